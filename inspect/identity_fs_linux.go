package inspect

import (
	"errors"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// openInRoot opens the host path hostPath with openat2(2) and
// RESOLVE_IN_ROOT, so the kernel resolves every symlink as if the host root
// were / (race-free, Linux 5.6+). Where openat2 is missing or filtered by
// seccomp, it falls back to resolving in user space.
func openInRoot(root hostfs.Root, hostPath string, flags int) (*os.File, error) {
	dir, err := unix.Open(root.Prefix(), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: root.Prefix(), Err: err}
	}
	defer unix.Close(dir)
	rel := strings.TrimLeft(hostPath, "/")
	if rel == "" {
		rel = "."
	}
	fd, err := unix.Openat2(dir, rel, &unix.OpenHow{
		Flags:   uint64(flags | unix.O_CLOEXEC),
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	})
	switch {
	case err == nil:
		return os.NewFile(uintptr(fd), root.Host(hostPath)), nil
	case errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EPERM):
		return openInRootWalk(root, hostPath, flags)
	}
	return nil, &os.PathError{Op: "open", Path: root.Host(hostPath), Err: err}
}
