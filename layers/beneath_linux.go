//go:build linux

package layers

import (
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/inspect"
	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// confined lists the dirs below which ctx follows no symlink at all: those
// that hold users' rootless stores (their homes, or the fixed part of
// rootless_storage_path). Below them the user controls every path
// component, so a symlink there (a layer's diff, the store itself, a
// metadata file) could point a root walk or read anywhere on the host.
// The dirs themselves come from /etc/passwd and storage.conf, whose paths
// are the administrator's.
type confined []string

// base returns the dir confining hostPath, or "" when none does.
func (c confined) base(hostPath string) string {
	for _, b := range c {
		if strings.HasPrefix(hostPath, b+"/") {
			return b
		}
	}
	return ""
}

// open opens hostPath through the host root, or, below a confining dir,
// beneath it.
func (c confined) open(root hostfs.Root, hostPath string, flags int) (*os.File, error) {
	if b := c.base(hostPath); b != "" {
		return openBeneath(root, b, hostPath, flags)
	}
	return inspect.OpenInRoot(root, hostPath, flags)
}

// readFile reads a store metadata file as inspect.ReadStateFile does (a
// regular file, bounded), opened as open does.
func (c confined) readFile(root hostfs.Root, hostPath string) ([]byte, error) {
	if c.base(hostPath) == "" {
		return inspect.ReadStateFile(root, hostPath)
	}
	f, err := c.open(root, hostPath, unix.O_RDONLY|unix.O_NONBLOCK)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return inspect.ReadStateOpened(f, hostPath)
}

// openBeneath opens hostPath, which lies below base, from base one
// component at a time, each with O_NOFOLLOW: a symlink anywhere below
// base fails the open (ELOOP or ENOTDIR) instead of being followed. base
// itself is opened through the host root; base "/" follows no symlink at
// all.
func openBeneath(root hostfs.Root, base, hostPath string, flags int) (*os.File, error) {
	rel, below := strings.CutPrefix(path.Clean(hostPath), strings.TrimSuffix(base, "/")+"/")
	parts := strings.Split(rel, "/")
	if !below || slices.ContainsFunc(parts, func(p string) bool { return p == "" || p == "." || p == ".." }) {
		return nil, &os.PathError{Op: "open", Path: hostPath, Err: unix.EINVAL}
	}
	dir, err := inspect.OpenInRoot(root, base, unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return nil, err
	}
	fd := int(dir.Fd())
	defer func() { dir.Close() }()
	for _, p := range parts[:len(parts)-1] {
		next, err := unix.Openat(fd, p, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: hostPath, Err: symlinkErr(fd, p, err)}
		}
		dir.Close()
		dir = os.NewFile(uintptr(next), base)
		fd = next
	}
	last, err := unix.Openat(fd, parts[len(parts)-1], flags|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: hostPath, Err: symlinkErr(fd, parts[len(parts)-1], err)}
	}
	return os.NewFile(uintptr(last), root.Host(hostPath)), nil
}

// errSymlinkInPath is a refused open: a symlink where openBeneath follows
// none. It is ELOOP to errors.Is.
var errSymlinkInPath = fmt.Errorf("a symlink on the way, not followed: %w", unix.ELOOP)

// symlinkErr names err (ENOTDIR or ELOOP from an O_NOFOLLOW open of name
// in dirfd) as errSymlinkInPath when name is a symlink.
func symlinkErr(dirfd int, name string, err error) error {
	var st unix.Stat_t
	if (errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP)) &&
		unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK {
		return errSymlinkInPath
	}
	return err
}
