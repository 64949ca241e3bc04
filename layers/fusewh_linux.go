//go:build linux

package layers

import (
	"bytes"

	"golang.org/x/sys/unix"
)

// fuse-overlayfs's deletion markers. containers/storage unpacks image
// layers with them when a mount_program (fuse-overlayfs) mounts its
// stores, and fuse-overlayfs writes them where it cannot mknod the
// kernel's 0/0 whiteout: ".wh.NAME" hides NAME in the layers below its
// own, and ".wh..wh..opq" makes its directory opaque. They are honoured
// only in stacks fuse-overlayfs mounts (ns == fuseNS); elsewhere they are
// a container's ordinary files, which it may name as it likes.
const (
	whPrefix = ".wh."
	whMeta   = ".wh..wh."
	whOpaque = ".wh..wh..opq"
)

// whiteoutFile classifies a name in a fuse-overlayfs layer: hides is the
// name a ".wh." file deletes; meta is true for ".wh..wh." files (the
// opaque marker), which delete nothing by name. Both are zero for an
// ordinary name.
func whiteoutFile(name []byte) (hides []byte, meta bool) {
	switch {
	case !bytes.HasPrefix(name, []byte(whPrefix)):
		return nil, false
	case bytes.HasPrefix(name, []byte(whMeta)):
		return nil, true
	case len(name) == len(whPrefix):
		return nil, true // ".wh." alone names nothing
	}
	return name[len(whPrefix):], false
}

// skipWhiteoutFile reports whether a lower's entry is a fuse-overlayfs
// marker, which a listing of the merged lowers skips. A ".wh." whiteout
// marks the name it deletes as seen, so that the layers below do not show
// it (seen may be nil: one lower).
func skipWhiteoutFile(name []byte, seen map[string]bool) bool {
	hides, meta := whiteoutFile(name)
	if hides != nil && seen != nil {
		seen[string(hides)] = true
	}
	return hides != nil || meta
}

// hasWhiteoutFile reports a ".wh.NAME" whiteout for name in the directory
// dirfd.
func hasWhiteoutFile(dirfd int, name string) bool {
	var st unix.Stat_t
	return statWhiteoutFile(dirfd, name, &st)
}

// statWhiteoutFile stats name's ".wh." whiteout in dirfd into st; false
// when there is none.
func statWhiteoutFile(dirfd int, name string, st *unix.Stat_t) bool {
	return len(whPrefix)+len(name) <= 255 && unix.Fstatat(dirfd, whPrefix+name, st, unix.AT_SYMLINK_NOFOLLOW) == nil
}

// fuseOpaque is fuse-overlayfs's test for an opaque directory: the first
// of its three opaque xattrs present decides ('y' is opaque); with none,
// a ".wh..wh..opq" file in the directory makes it opaque. It returns 'y'
// or 0: fuse-overlayfs has no xattr whiteouts ('x').
func (x *xattrBuf) fuseOpaque(fd int) byte {
	for _, attr := range []string{trustedNS + "opaque", userNS + "opaque", fuseNS + "opaque"} {
		n, err := unix.Fgetxattr(fd, attr, x.val)
		if err == unix.ENODATA {
			continue
		}
		if err == nil && n > 0 && x.val[0] == 'y' {
			return 'y'
		}
		if err != unix.ENOTSUP {
			return 0 // another value, or unreadable
		}
		break // the filesystem has no xattrs: the marker file decides
	}
	var st unix.Stat_t
	if unix.Fstatat(fd, whOpaque, &st, unix.AT_SYMLINK_NOFOLLOW) == nil {
		return 'y'
	}
	return 0
}
