//go:build !linux

package inspect

import (
	"errors"
	"os"

	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// errNotImplemented is what namespace reads return off Linux: namespaces,
// nsfs and O_PATH are Linux features.
var errNotImplemented = errors.New("inspect: not implemented on this OS")

// newKernel returns an inert kernel: no fds, no ioctls.
func newKernel(hostfs.Root) *kernel { return &kernel{} }

func (k *kernel) scanFDs(hostfs.Root, int, []byte, *warnings) []fdNS { return nil }

func (k *kernel) describe(*NamespaceSet, *warnings) {}

// openPath returns errNotImplemented: O_PATH is Linux-only.
func openPath(dir string) (int, error) {
	return -1, &os.PathError{Op: "open", Path: dir, Err: errNotImplemented}
}
