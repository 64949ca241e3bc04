//go:build linux

package enter

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/inspect"
	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// Exec enters the namespaces o selects and runs o.Argv there; equivalent
// to `nsenter -t PID -a CMD` and, with KeepTools, to
// `nsenter -t PID -n -u -i -p -C -- unshare -m --mount-proc CMD`.
//
// With the C constructor linked (enter/nsexec in a cgo build) it does not
// return on success: ctx re-executes itself in place, joins in the
// constructor, and becomes the command, or its relay when it forks for a
// pid or time namespace; either way the process exits with the command's
// status. Without the constructor it joins from a locked Go thread, starts
// the command, waits, and returns an *ExitError with a non-zero status.
func Exec(root hostfs.Root, o Options) error {
	if err := o.Validate(); err != nil {
		return err
	}
	if !root.Live() {
		return hostfs.ErrNotLive
	}
	p := &prepared{}
	if err := p.prepare(root, &o); err != nil {
		p.close()
		return err
	}
	if constructor.Linked {
		err := p.reexec(root, &o)
		p.close()
		return err
	}
	defer p.close()
	return p.runGo(&o)
}

// prepared holds an entry ready to go: every fd open, every choice made.
type prepared struct {
	req   request
	sel   selection
	fds   []int    // to close when the entry is abandoned
	procs []string // cgroup.procs files to join (-c)
}

func (p *prepared) close() {
	for _, fd := range p.fds {
		unix.Close(fd)
	}
	p.fds = nil
}

func (p *prepared) keep(fd int) int {
	p.fds = append(p.fds, fd)
	return fd
}

// nsID identifies a namespace: (st_dev, st_ino) of its nsfs file.
type nsID struct{ dev, ino uint64 }

func (p *prepared) prepare(root hostfs.Root, o *Options) error {
	r := &p.req
	*r = request{pidFD: -1, selfPID: -1, nsFD: map[Type]int{}, rootFD: -1, wdFD: -1, uid: -1, gid: -1,
		closeFrom: 3 + o.PreserveFDs, argv: o.Argv, wdNS: o.WDNS,
		preserve: o.PreserveCredentials, keepCaps: o.KeepCaps}

	own := map[Type]nsID{}
	available := func(t Type) bool {
		var st unix.Stat_t
		if err := unix.Stat(root.Proc("self", "ns", string(t)), &st); err != nil {
			return false
		}
		own[t] = nsID{st.Dev, st.Ino}
		return true
	}
	for _, t := range Types {
		available(t)
	}

	if o.PID > 0 {
		fd, err := unix.PidfdOpen(o.PID, 0)
		switch {
		case err == nil:
			r.pidFD = p.keep(fd)
		case errors.Is(err, unix.ESRCH):
			return fmt.Errorf("%w: PID %d", ErrGone, o.PID)
		case errors.Is(err, unix.ENOSYS):
			// Before Linux 5.3: join through the per-namespace fds only.
		default:
			return fmt.Errorf("enter: pidfd_open %d: %w", o.PID, err)
		}
	}

	types := map[Type]string{}
	for t, path := range o.Types {
		types[t] = path
	}
	if o.NSPath != "" {
		fd, t, err := openNSFile(o.NSPath)
		if err != nil {
			return err
		}
		unix.Close(fd)
		if len(types) == 0 {
			types[t] = o.NSPath
		}
		for u, path := range types {
			switch {
			case path != "":
			case u == t:
				types[u] = o.NSPath
			default:
				return optionErr("%q is a %s namespace: it has no %s namespace to join (give that one as --%s=FILE)", o.NSPath, t, u, flagName(u))
			}
		}
	}
	sel := *o
	sel.Types = types

	// Open the candidates' namespace files now, before anything is
	// joined: paths resolve in ctx's mount namespace (notes P14).
	target := map[Type]nsID{}
	var openErr error
	same := func(t Type) bool {
		if openErr != nil {
			return false
		}
		fd, err := p.openNS(root, o.PID, t, types[t])
		if err != nil {
			openErr = err
			return false
		}
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			openErr = err
			return false
		}
		target[t] = nsID{st.Dev, st.Ino}
		r.nsFD[t] = fd
		id, ok := own[t]
		return ok && id == target[t]
	}
	p.sel = selectTypes(&sel, func(t Type) bool { _, ok := own[t]; return ok }, same)
	if openErr != nil {
		return openErr
	}
	for t, fd := range r.nsFD {
		if !p.sel.has(t) {
			delete(r.nsFD, t)
			unix.Close(fd)
			p.drop(fd)
		}
	}
	for _, t := range p.sel.types {
		if _, ok := r.nsFD[t]; !ok {
			// selectTypes skipped same() for it (mnt is joined even when
			// equal, and a user optional by default is checked there).
			fd, err := p.openNS(root, o.PID, t, types[t])
			if err != nil {
				return err
			}
			r.nsFD[t] = fd
		}
	}
	// The atomic join through the pidfd only fits namespaces all taken
	// from the target itself.
	for _, t := range p.sel.types {
		if types[t] != "" {
			if r.pidFD >= 0 {
				p.drop(r.pidFD)
				unix.Close(r.pidFD)
			}
			r.pidFD = -1
			break
		}
	}
	r.optUser, r.fork = p.sel.optUser, p.sel.fork
	if p.sel.has(PID) {
		// A failed entry returns to the Go runtime, which cannot start
		// threads while its pid namespace for children differs from its
		// own: the constructor steps back through this fd.
		fd, err := unix.Open(root.Proc("self", "ns", "pid"), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("enter: opening ctx's own pid namespace: %w", err)
		}
		r.selfPID = p.keep(fd)
	}
	r.keepTools = o.keepTools()

	if o.PID > 0 {
		if err := p.readTarget(root, o); err != nil {
			return err
		}
	} else {
		r.env = withoutEnv(o.Env, markerEnv)
		if o.UID != nil {
			r.uid = o.UID.Value
		}
		if o.GID != nil {
			r.gid = o.GID.Value
		}
	}
	if o.Root != nil {
		fd, err := p.openDir(root, o.PID, "root", *o.Root)
		if err != nil {
			return err
		}
		r.rootFD = fd
	}
	if o.WD != nil {
		fd, err := p.openDir(root, o.PID, "cwd", *o.WD)
		if err != nil {
			return err
		}
		r.wdFD = fd
	}
	if r.pidFD >= 0 {
		// The target may have exited while its files were opened.
		if err := unix.PidfdSendSignal(r.pidFD, 0, nil, 0); errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("%w: PID %d", ErrGone, o.PID)
		}
	}
	return nil
}

func (p *prepared) drop(fd int) {
	for i, x := range p.fds {
		if x == fd {
			p.fds = append(p.fds[:i], p.fds[i+1:]...)
			return
		}
	}
}

// readTarget reads what the request needs from the target process: IDs
// for "follow", its environment (-e), its PID inside its pid namespace
// (--keep-tools) and its cgroups (-c).
func (p *prepared) readTarget(root hostfs.Root, o *Options) error {
	r := &p.req
	data, err := hostfs.ReadFile(root.PID(o.PID, "status"))
	if err != nil {
		return p.targetErr(root, o.PID, "status", err)
	}
	st, err := parseStatus(data)
	if err != nil {
		return err
	}
	resolve := func(id *ID, host int, mapFile string) (int, error) {
		if id == nil {
			return -1, nil
		}
		if !id.Follow {
			return id.Value, nil
		}
		if !p.sel.has(User) || p.sel.optUser {
			return host, nil
		}
		m, err := hostfs.ReadFile(root.PID(o.PID, mapFile))
		if err != nil {
			return -1, p.targetErr(root, o.PID, mapFile, err)
		}
		v, ok := mapID(host, m)
		if !ok {
			return -1, fmt.Errorf("enter: the target's ID %d is not mapped in its user namespace", host)
		}
		return v, nil
	}
	if r.uid, err = resolve(o.UID, st.UID, "uid_map"); err != nil {
		return err
	}
	if r.gid, err = resolve(o.GID, st.GID, "gid_map"); err != nil {
		return err
	}

	env := o.Env
	if o.TargetEnv {
		data, err := hostfs.ReadFile(root.PID(o.PID, "environ"))
		if err != nil {
			return p.targetErr(root, o.PID, "environ", err)
		}
		env = parseEnviron(data)
	}
	env = withoutEnv(env, markerEnv)
	if r.keepTools {
		n := o.PID
		if p.sel.has(PID) && len(st.NSpid) > 0 {
			n = st.NSpid[len(st.NSpid)-1]
		}
		r.rootPID = n
	}
	r.env = env

	if o.JoinCgroup {
		data, err := hostfs.ReadFile(root.PID(o.PID, "cgroup"))
		if err != nil {
			return p.targetErr(root, o.PID, "cgroup", err)
		}
		mounts, err := inspect.ReadMounts(root, os.Getpid())
		if err != nil {
			return fmt.Errorf("enter: reading ctx's mounts: %w", err)
		}
		// Mount points of ctx's own mountinfo are paths here, not host paths.
		dirs, err := cgroupDirs(data, mounts, func(p string) string { return p })
		if err != nil {
			return err
		}
		for _, d := range dirs {
			p.procs = append(p.procs, filepath.Join(d, "cgroup.procs"))
		}
	}
	return nil
}

// targetErr explains a failure to read the target's procfs file what.
func (p *prepared) targetErr(root hostfs.Root, pid int, what string, err error) error {
	path := root.PID(pid, what)
	switch {
	case hostfs.IsGone(err):
		return fmt.Errorf("%w: PID %d", ErrGone, pid)
	case hostfs.IsPermission(err):
		return &CapabilityError{Action: fmt.Sprintf("reading %q", path), Caps: []string{"CAP_SYS_PTRACE"}, Err: unwrapErrno(err)}
	}
	return fmt.Errorf("enter: reading %q: %w", path, err)
}

// openNS opens the namespace of type t to join: the file at path, or the
// target's /proc/PID/ns/t.
func (p *prepared) openNS(root hostfs.Root, pid int, t Type, path string) (int, error) {
	if path != "" {
		fd, got, err := openNSFile(path)
		if err != nil {
			return -1, err
		}
		p.keep(fd)
		if got != t {
			return -1, optionErr("%q is a %s namespace, not %s", path, got, t)
		}
		return fd, nil
	}
	fd, err := unix.Open(root.PID(pid, "ns", string(t)), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			var st unix.Stat_t
			if unix.Stat(root.PID(pid), &st) == nil && unix.Stat(root.Proc("self", "ns", string(t)), &st) == nil {
				return -1, fmt.Errorf("%w: PID %d is a zombie (it exited and its parent has not reaped it)", ErrGone, pid)
			}
		}
		return -1, p.targetErr(root, pid, "ns/"+string(t), err)
	}
	return p.keep(fd), nil
}

// openDir opens the directory of -r or -w: path in ctx's mount namespace,
// or the target's root or cwd.
func (p *prepared) openDir(root hostfs.Root, pid int, which, path string) (int, error) {
	name := path
	if path == "" {
		name = root.PID(pid, which)
	}
	fd, err := unix.Open(name, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		if path == "" {
			return -1, p.targetErr(root, pid, which, err)
		}
		return -1, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return p.keep(fd), nil
}

// openNSFile opens a namespace file and asks the kernel its type
// (NS_GET_NSTYPE, Linux 4.11).
func openNSFile(path string) (int, Type, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, "", &fs.PathError{Op: "open", Path: path, Err: err}
	}
	flag, err := unix.IoctlRetInt(fd, unix.NS_GET_NSTYPE)
	if err != nil {
		unix.Close(fd)
		return -1, "", fmt.Errorf("enter: %q is not a namespace file: %w", path, err)
	}
	t, ok := typeOfFlag(flag)
	if !ok {
		unix.Close(fd)
		return -1, "", fmt.Errorf("enter: %q: unknown namespace type %#x", path, flag)
	}
	return fd, t, nil
}

func unwrapErrno(err error) error {
	var errno unix.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return err
}

// flagName is the long flag of a type.
func flagName(t Type) string {
	if t == Mnt {
		return "mount"
	}
	return string(t)
}

// joinCgroups moves this process into the target's cgroups (-c): the
// command inherits them. Equivalent to `echo $$ > DIR/cgroup.procs`.
func (p *prepared) joinCgroups() error {
	self := []byte(strconv.Itoa(os.Getpid()))
	for _, f := range p.procs {
		if err := os.WriteFile(f, self, 0); err != nil {
			if hostfs.IsPermission(err) {
				return &CapabilityError{Action: "joining the target's cgroup " + strings.TrimSuffix(f, "/cgroup.procs"), Caps: []string{"CAP_SYS_ADMIN (or write access to cgroup.procs)"}, Err: unwrapErrno(err)}
			}
			return fmt.Errorf("enter: joining the target's cgroup: %w", err)
		}
	}
	return nil
}

// reexec hands the request to the constructor: a sealed memfd whose
// number is in the marker variable, fds without close-on-exec, and an
// execve of ctx's own binary in place. It returns only on failure.
func (p *prepared) reexec(root hostfs.Root, o *Options) error {
	mfd, err := unix.MemfdCreate("ctx-enter", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return fmt.Errorf("enter: memfd_create: %w", err)
	}
	p.keep(mfd)
	data := p.req.encode()
	for len(data) > 0 {
		n, err := unix.Write(mfd, data)
		if err != nil {
			return fmt.Errorf("enter: writing the request: %w", err)
		}
		data = data[n:]
	}
	if _, err := unix.FcntlInt(uintptr(mfd), unix.F_ADD_SEALS,
		unix.F_SEAL_SEAL|unix.F_SEAL_SHRINK|unix.F_SEAL_GROW|unix.F_SEAL_WRITE); err != nil {
		return fmt.Errorf("enter: sealing the request: %w", err)
	}
	if err := p.joinCgroups(); err != nil {
		return err
	}
	for _, fd := range p.fds {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil {
			return fmt.Errorf("enter: passing fd %d: %w", fd, err)
		}
	}
	exe := root.Proc("self", "exe")
	if _, err := os.Stat(exe); err != nil {
		// A procfs of another pid namespace has no "self" for us.
		if exe, err = os.Executable(); err != nil {
			return fmt.Errorf("enter: finding ctx's own binary: %w", err)
		}
	}
	self := o.Self
	if len(self) == 0 {
		self = []string{"ctx"}
	}
	env := append(withoutEnv(o.Env, markerEnv), markerEnv+"="+strconv.Itoa(mfd))
	err = unix.Exec(exe, self, env)
	for _, fd := range p.fds {
		unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC)
	}
	return fmt.Errorf("enter: re-executing ctx (%s): %w", exe, err)
}
