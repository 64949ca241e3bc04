// Package hostfs is the host-root abstraction: every reader in ctx asks a
// Root for the paths of /proc, /sys, the cgroup mount and host files, so the
// same code runs on the host, in a sidecar with the host at /host, and on
// fixture trees in tests.
package hostfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// ErrNotLive is returned by kernel-only operations (netlink, setns, ioctls)
// when the Root is a fixture tree rather than a real procfs.
var ErrNotLive = errors.New("hostfs: not a live procfs")

// Root is one host as seen from where ctx runs. Use New; the zero value is
// invalid.
type Root struct {
	proc, sys, cgroup, rootfs string
	live                      bool
}

// Option overrides one of the paths New derives from the prefix.
type Option func(*Root)

// WithProc sets the procfs directory (default prefix/proc).
func WithProc(dir string) Option { return func(r *Root) { r.proc = dir } }

// WithSys sets the sysfs directory (default prefix/sys).
func WithSys(dir string) Option { return func(r *Root) { r.sys = dir } }

// WithCgroup sets the cgroup mount root (default prefix/sys/fs/cgroup).
func WithCgroup(dir string) Option { return func(r *Root) { r.cgroup = dir } }

// New returns the Root of the host whose / is at prefix ("/" on the host,
// "/host" in a sidecar). Empty option values are ignored, so callers can
// pass flags through unconditionally.
func New(prefix string, opts ...Option) (Root, error) {
	if prefix == "" {
		prefix = "/"
	}
	abs, err := filepath.Abs(prefix)
	if err != nil {
		return Root{}, fmt.Errorf("hostfs: host root %q: %w", prefix, err)
	}
	r := Root{
		rootfs: abs,
		proc:   filepath.Join(abs, "proc"),
		sys:    filepath.Join(abs, "sys"),
		cgroup: filepath.Join(abs, "sys", "fs", "cgroup"),
	}
	for _, o := range opts {
		saved := r
		o(&r)
		// An empty override keeps the derived default.
		if r.proc == "" {
			r.proc = saved.proc
		}
		if r.sys == "" {
			r.sys = saved.sys
		}
		if r.cgroup == "" {
			r.cgroup = saved.cgroup
		}
	}
	if _, err := os.Stat(r.proc); err != nil {
		return Root{}, fmt.Errorf("hostfs: procfs at %q: %w", r.proc, err)
	}
	r.live = isProcfs(r.proc)
	return r, nil
}

// Proc joins elem under the procfs directory.
func (r Root) Proc(elem ...string) string { return join(r.proc, elem) }

// PID joins elem under the procfs directory of process pid.
func (r Root) PID(pid int, elem ...string) string {
	return join(r.proc, append([]string{strconv.Itoa(pid)}, elem...))
}

// Sys joins elem under the sysfs directory.
func (r Root) Sys(elem ...string) string { return join(r.sys, elem) }

// Cgroup joins elem under the cgroup mount root.
func (r Root) Cgroup(elem ...string) string { return join(r.cgroup, elem) }

// Host turns a host-absolute path (from mountinfo, an overlay option, a
// runtime's state file) into a path openable from here. It does not resolve
// symlinks; use OpenInRoot for that.
//
// Paths under /sys/fs/cgroup, /sys and /proc land in the cgroup, sys and
// proc directories, so --cgroup-root, --sys and --proc also apply to the
// mount points mountinfo names.
func (r Root) Host(p string) string {
	p = filepath.Clean("/" + p)
	for _, m := range []struct{ host, dir string }{
		{"/sys/fs/cgroup", r.cgroup}, {"/sys", r.sys}, {"/proc", r.proc},
	} {
		if rel, ok := strings.CutPrefix(p, m.host); ok && (rel == "" || rel[0] == '/') {
			return m.dir + rel
		}
	}
	if r.rootfs == "/" {
		return p
	}
	return filepath.Join(r.rootfs, p)
}

// Prefix is the directory that holds the host's /.
func (r Root) Prefix() string { return r.rootfs }

// Live reports whether Proc is a real procfs, not a fixture tree.
func (r Root) Live() bool { return r.live }

func join(base string, elem []string) string {
	if len(elem) == 0 {
		return base
	}
	return filepath.Join(append([]string{base}, elem...)...)
}

// ReadFile reads a whole pseudo-file. procfs and sysfs report sizes of 0 or
// 4096 whatever the content, so the stat size is never trusted.
//
// It uses raw open and read rather than os.ReadFile: pseudo-files need no
// poller registration and no fstat for a size that would be wrong anyway,
// and scans read thousands of them.
func ReadFile(path string) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	for err == unix.EINTR {
		fd, err = unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	var out []byte
	buf := make([]byte, 4096)
	for {
		n, err := unix.Read(fd, buf)
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return nil, &os.PathError{Op: "read", Path: path, Err: err}
		case n == 0:
			if out == nil {
				out = []byte{}
			}
			return out, nil
		}
		out = append(out, buf[:n]...)
	}
}

// PIDs lists the numeric entries of procfs: every process visible from here.
func (r Root) PIDs() ([]int, error) {
	f, err := os.Open(r.proc)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("hostfs: listing %q: %w", r.proc, err)
	}
	pids := make([]int, 0, len(names))
	for _, n := range names {
		if n == "" || n[0] < '0' || n[0] > '9' {
			continue
		}
		if pid, err := strconv.Atoi(n); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// IsGone reports whether err means the process or file vanished while being
// read: the normal fate of short-lived processes during a scan.
func IsGone(err error) bool {
	return errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ESRCH)
}

// IsPermission reports whether err is a permission refusal.
func IsPermission(err error) bool {
	return errors.Is(err, os.ErrPermission) || errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES)
}
