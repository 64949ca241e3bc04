package cgroupview

import (
	"io/fs"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// reader reads cgroupfs files with openat on a directory fd and one reused
// buffer: kernfs files are pollable, so os.Open registers each with the
// netpoller (fcntl, epoll_ctl ADD/DEL) and costs twice the syscalls.
type reader struct {
	buf   []byte
	dents []byte // getdents64 buffer, see dir.list
}

// dir is an open cgroup directory.
type dir struct {
	fd   int
	path string
	r    *reader
}

func (r *reader) open(path string) (*dir, error) {
	fd, err := openRetry(unix.AT_FDCWD, path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return &dir{fd: fd, path: path, r: r}, nil
}

func (d *dir) close() { unix.Close(d.fd) }

// read returns the whole content of file name. The slice is valid until
// the next read through the same reader.
func (d *dir) read(name string) ([]byte, error) {
	fd, err := openRetry(d.fd, name, unix.O_RDONLY|unix.O_CLOEXEC)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: filepath.Join(d.path, name), Err: err}
	}
	defer unix.Close(fd)
	if d.r.buf == nil {
		d.r.buf = make([]byte, 64*1024)
	}
	n := 0
	for {
		if n == len(d.r.buf) {
			d.r.buf = append(d.r.buf, make([]byte, len(d.r.buf))...)
		}
		m, err := unix.Read(fd, d.r.buf[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: filepath.Join(d.path, name), Err: err}
		}
		if m == 0 {
			return d.r.buf[:n], nil
		}
		n += m
	}
}

func openRetry(dirfd int, path string, flags int) (int, error) {
	for {
		fd, err := unix.Openat(dirfd, path, flags, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}
