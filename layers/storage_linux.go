//go:build linux

package layers

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/inspect"
	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// statTimeout bounds the stat of /proc/PID/root: on a fuse-overlayfs root a
// user-space daemon answers it, and may not.
const statTimeout = 2 * time.Second

// rootDev is the "major:minor" of the filesystem at a process's root, from
// stat(/proc/PID/root), which follows the magic link. ok is false on a
// fixture, or when the stat fails or hangs.
func rootDev(root hostfs.Root, pid int) (string, bool) {
	if !root.Live() {
		return "", false
	}
	type res struct {
		dev uint64
		err error
	}
	ch := make(chan res, 1)
	go func() {
		var st unix.Stat_t
		err := unix.Stat(root.PID(pid, "root"), &st)
		ch <- res{st.Dev, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return "", false
		}
		return fmt.Sprintf("%d:%d", unix.Major(r.dev), unix.Minor(r.dev)), true
	case <-time.After(statTimeout):
		return "", false
	}
}

// existsInRoot reports whether a host path exists, without following a
// symlink as its last component.
func existsInRoot(root hostfs.Root, p string) bool {
	f, err := inspect.OpenInRoot(root, p, unix.O_PATH|unix.O_NOFOLLOW)
	if err != nil {
		return false
	}
	f.Close()
	return true
}

// readShortLink reads <driverDir>/l/<link>, which must point at
// ../<id>/diff, and returns the id.
func readShortLink(root hostfs.Root, driverDir, link string) (string, bool) {
	f, err := inspect.OpenInRoot(root, driverDir, unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return "", false
	}
	defer f.Close()
	buf := make([]byte, 256)
	n, err := unix.Readlinkat(int(f.Fd()), "l/"+link, buf)
	if err != nil || n >= len(buf) {
		return "", false
	}
	return resolveShortLink(string(buf[:n]))
}
