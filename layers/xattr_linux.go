//go:build linux

package layers

import (
	"bytes"
	"errors"
	"runtime"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Overlay xattr prefixes. The mount's options choose one, never the file:
// a container can set user.overlay.* on its own files in a trusted-mode
// upper, and the kernel ignores them there.
const (
	trustedNS = "trusted.overlay."
	userNS    = "user.overlay."
	// fuseNS selects fuse-overlayfs's rules (fusewh_linux.go): ".wh."
	// whiteout files, and opaque dirs by any of three xattrs or a file.
	fuseNS = "user.fuseoverlayfs."
)

// xattrBuf is a reusable buffer for one worker's xattr reads.
type xattrBuf struct {
	list []byte
	val  []byte
}

func newXattrBuf() *xattrBuf {
	return &xattrBuf{list: make([]byte, 4096), val: make([]byte, 4096)}
}

// opaque returns the first byte of the directory's overlay.opaque xattr,
// or 0 when it has none. In a fuse-overlayfs stack it is 'y' or 0, by
// fuse-overlayfs's own rules.
func (x *xattrBuf) opaque(fd int, ns string) byte {
	if ns == fuseNS {
		return x.fuseOpaque(fd)
	}
	n, err := unix.Fgetxattr(fd, ns+"opaque", x.val)
	if err != nil || n < 1 {
		return 0
	}
	return x.val[0]
}

// dirAttrs reads the overlay markers of an open directory: its opaque
// byte ('y', 'x' or 0) and its redirect target. One flistxattr call
// answers "none", the usual case.
func (x *xattrBuf) dirAttrs(fd int, ns string) (opaque byte, redirect string) {
	if ns == fuseNS {
		return x.fuseOpaque(fd), "" // fuse-overlayfs writes no kernel redirects
	}
	n, err := unix.Flistxattr(fd, x.list)
	if errors.Is(err, unix.ERANGE) {
		if sz, err2 := unix.Flistxattr(fd, nil); err2 == nil && sz > 0 && sz <= 1<<16 {
			x.list = make([]byte, sz)
			n, err = unix.Flistxattr(fd, x.list)
		}
	}
	if err != nil || n <= 0 {
		return 0, ""
	}
	prefix := []byte(ns)
	for _, name := range bytes.Split(x.list[:n], []byte{0}) {
		if !bytes.HasPrefix(name, prefix) {
			continue
		}
		switch string(name[len(prefix):]) {
		case "opaque":
			if v, err := unix.Fgetxattr(fd, string(name), x.val); err == nil && v > 0 {
				opaque = x.val[0]
			}
		case "redirect":
			if v, err := unix.Fgetxattr(fd, string(name), x.val); err == nil && v > 0 && v <= 255 {
				redirect = string(x.val[:v])
			}
		}
	}
	return opaque, redirect
}

// getxattrat reads an xattr of the entry name in directory dirfd without
// following a symlink and without opening the entry: getxattrat(2), Linux
// 6.13+. It returns ENOSYS on older kernels.
func getxattrat(dirfd int, namePtr *byte, attr string, buf []byte) (int, error) {
	a, err := unix.BytePtrFromString(attr)
	if err != nil {
		return 0, err
	}
	// struct xattr_args { __aligned_u64 value; __u32 size; __u32 flags; }
	args := struct {
		value uint64
		size  uint32
		flags uint32
	}{uint64(uintptr(unsafe.Pointer(&buf[0]))), uint32(len(buf)), 0}
	r, _, e := unix.Syscall6(unix.SYS_GETXATTRAT, uintptr(dirfd), uintptr(unsafe.Pointer(namePtr)),
		unix.AT_SYMLINK_NOFOLLOW, uintptr(unsafe.Pointer(a)), uintptr(unsafe.Pointer(&args)), unsafe.Sizeof(args))
	runtime.KeepAlive(buf)
	runtime.KeepAlive(a)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

// entryXattr reads an xattr of a non-directory entry of n without opening
// it: getxattrat(2), or on kernels before 6.13 lgetxattr on
// <proc>/self/fd/<dirfd>/<name>, which resolves through the open directory.
func (wk *worker) entryXattr(n *node, namePtr *byte, attr string) (int, error) {
	sz, err := getxattrat(n.fd, namePtr, attr, wk.x.val)
	if !errors.Is(err, unix.ENOSYS) || wk.w.procFD == "" {
		return sz, err
	}
	name := unix.BytePtrToString(namePtr)
	return unix.Lgetxattr(wk.w.procFD+"/"+strconv.Itoa(n.fd)+"/"+name, attr, wk.x.val)
}

// hasXattr reports whether a non-directory entry of n carries attr.
func (wk *worker) hasXattr(n *node, namePtr *byte, attr string) bool {
	_, err := wk.entryXattr(n, namePtr, attr)
	return err == nil
}

// xattrWhiteout reports a kernel 6.7+ xattr whiteout: a zero-size regular
// file with overlay.whiteout, in a directory marked opaque "x".
func (wk *worker) xattrWhiteout(n *node, _ []byte, namePtr *byte) bool {
	return wk.hasXattr(n, namePtr, n.job.ns+"whiteout")
}

// xattrWhiteoutAt reports a kernel 6.7+ xattr whiteout named name in the
// directory dirfd: a zero-size regular file with overlay.whiteout in a
// directory marked opaque "x".
func xattrWhiteoutAt(dirfd int, name, ns string, x *xattrBuf) bool {
	if x.opaque(dirfd, ns) != 'x' {
		return false
	}
	_, err := xattrAt(dirfd, name, ns+"whiteout", x.val)
	return err == nil
}

// xattrAt reads an xattr of the entry name in directory dirfd into buf
// without following a symlink: getxattrat(2), or before Linux 6.13
// lgetxattr through /proc/self/fd.
func xattrAt(dirfd int, name, attr string, buf []byte) (int, error) {
	p, err := unix.BytePtrFromString(name)
	if err != nil {
		return 0, err
	}
	sz, err := getxattrat(dirfd, p, attr, buf)
	if !errors.Is(err, unix.ENOSYS) {
		return sz, err
	}
	return unix.Lgetxattr("/proc/self/fd/"+strconv.Itoa(dirfd)+"/"+name, attr, buf)
}
