//go:build linux

package layers

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// readDir calls fn for each entry of the open directory fd but "." and
// "..", reading getdents64(2) records into buf. fn gets the name and a
// pointer to its NUL-terminated bytes in buf, valid only during the call,
// so a stat needs no allocation. It stops early when fn returns false.
func readDir(fd int, buf []byte, fn func(name []byte, namePtr *byte) bool) error {
	// getdents continues from the fd's offset; a directory read before
	// (never, here) would need a seek to 0.
	for {
		n, err := getdents(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n <= 0 {
			return nil
		}
		for off := 0; off < n; {
			// struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
			reclen := int(*(*uint16)(unsafe.Pointer(&buf[off+16])))
			if reclen == 0 || off+reclen > n {
				return unix.EINVAL
			}
			nameStart := off + 19
			end := nameStart
			for end < off+reclen && buf[end] != 0 {
				end++
			}
			name := buf[nameStart:end]
			off += reclen
			if len(name) == 1 && name[0] == '.' || len(name) == 2 && name[0] == '.' && name[1] == '.' {
				continue
			}
			if !fn(name, &buf[nameStart]) {
				return nil
			}
		}
	}
}

// isWhiteout reports an overlay whiteout: a character device 0/0.
func isWhiteout(st *unix.Stat_t) bool {
	return st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == 0
}

// sizesOf is one inode's bytes: blocks for everyone, st_size for all but
// directories (docker, containerd and du --apparent-size disagree on
// directories; ctx counts them on disk only).
func sizesOf(st *unix.Stat_t) Sizes {
	s := Sizes{Disk: st.Blocks * 512}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		s.Apparent = st.Size
	}
	return s
}

// typeOf names an entry's type.
func typeOf(st *unix.Stat_t, whiteout bool) string {
	if whiteout {
		return "whiteout"
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		return "file"
	case unix.S_IFDIR:
		return "dir"
	case unix.S_IFLNK:
		return "symlink"
	case unix.S_IFIFO:
		return "fifo"
	case unix.S_IFSOCK:
		return "socket"
	case unix.S_IFCHR:
		return "char"
	case unix.S_IFBLK:
		return "block"
	}
	return "unknown"
}

// countRoot counts the layer root directory itself.
func (j *walkJob) countRoot(u *Usage, st *unix.Stat_t) {
	u.Dirs++
	u.Inodes++
	u.Sizes.Add(sizesOf(st))
}

// count adds one entry to u and reports whether its bytes were counted
// (false for whiteouts and for further links of an inode seen before).
func (j *walkJob) count(u *Usage, st *unix.Stat_t, whiteout bool) bool {
	if whiteout {
		u.Whiteouts++
		if st.Mode&unix.S_IFMT == unix.S_IFCHR {
			return false // the kernel shares one whiteout inode; its nlink means nothing
		}
		// A whiteout file (fuse-overlayfs's ".wh.NAME", or the kernel's
		// xattr whiteout) is an inode of its own, usually empty: counted so
		// that the layer still adds up to du.
		u.Inodes++
		u.Sizes.Add(sizesOf(st))
		return false
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		u.Dirs++
	case unix.S_IFREG:
		u.Files++
	case unix.S_IFLNK:
		u.Symlinks++
	default:
		u.Specials++
	}
	s := sizesOf(st)
	if st.Nlink > 1 && st.Mode&unix.S_IFMT != unix.S_IFDIR {
		if !j.links.add(st.Dev, st.Ino, s) {
			u.HardLinks++
			return false
		}
		u.HardLinked.Add(s)
	}
	u.Inodes++
	u.Sizes.Add(s)
	if st.Mode&unix.S_IFMT == unix.S_IFREG && s.Disk+4096 <= st.Size {
		u.Sparse++
	}
	return true
}

// offer adds a regular file to the job's top files.
func (t *topFiles) offer(n int, st *unix.Stat_t, path func() string) {
	t.add(n, sizesOf(st), uint64(st.Nlink), path)
}
