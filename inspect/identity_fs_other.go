//go:build !linux

package inspect

import (
	"os"

	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// openInRoot resolves hostPath inside the host root in user space: openat2
// is Linux-only.
func openInRoot(root hostfs.Root, hostPath string, flags int) (*os.File, error) {
	return openInRootWalk(root, hostPath, flags)
}
