//go:build linux

package enter

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// forwarded are the signals the Go fallback passes on to the command.
var forwarded = []os.Signal{unix.SIGHUP, unix.SIGINT, unix.SIGQUIT, unix.SIGTERM,
	unix.SIGUSR1, unix.SIGUSR2, unix.SIGWINCH, unix.SIGALRM, unix.SIGCONT}

// runGo is the entry of a ctx without the C constructor (CGO_ENABLED=0):
// it joins from a locked, throw-away OS thread and forks the command from
// it, so the command starts inside (a child lands in the pid namespace
// joined for children). A multithreaded process can join neither user
// nor time namespaces, and the fresh /proc of --keep-tools must be mounted
// by a process already in the target's pid namespace: those are refused
// by name.
func (p *prepared) runGo(o *Options) error {
	var need []string
	for _, t := range []Type{User, Time} {
		if p.sel.has(t) && !(t == User && p.sel.optUser) {
			need = append(need, "the "+string(t)+" namespace")
		}
	}
	if p.req.keepTools {
		need = append(need, "--keep-tools")
	}
	if p.req.keepCaps {
		need = append(need, "--keep-caps")
	}
	if len(need) > 0 {
		return fmt.Errorf("%w: this ctx was built without cgo (CGO_ENABLED=0), so it cannot do %s; rebuild it with cgo, or join only net, uts, ipc, cgroup, pid and mnt (-n -u -i -C -p -m)",
			ErrNoConstructor, strings.Join(need, ", "))
	}
	if err := p.joinCgroups(); err != nil {
		return err
	}

	type started struct {
		cmd *exec.Cmd
		err error
	}
	done := make(chan started, 1)
	go func() {
		// Never unlocked: the thread is destroyed with the goroutine, so
		// no other goroutine ever runs in the joined namespaces (P1-P4).
		runtime.LockOSThread()
		cmd, err := p.startOnThread(o)
		done <- started{cmd, err}
	}()
	s := <-done
	if s.err != nil {
		return s.err
	}

	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, forwarded...)
	defer signal.Stop(sigs)
	waited := make(chan error, 1)
	go func() { waited <- s.cmd.Wait() }()
	for {
		select {
		case sig := <-sigs:
			s.cmd.Process.Signal(sig)
		case err := <-waited:
			var ee *exec.ExitError
			if err != nil && !errors.As(err, &ee) {
				return fmt.Errorf("enter: waiting for the command: %w", err)
			}
			ws := s.cmd.ProcessState.Sys().(syscall.WaitStatus)
			switch {
			case ws.Signaled():
				return &ExitError{Code: 128 + int(ws.Signal())}
			case ws.ExitStatus() != 0:
				return &ExitError{Code: ws.ExitStatus()}
			}
			return nil
		}
	}
}

// startOnThread joins and starts the command; it must run on a locked
// thread that is never unlocked.
func (p *prepared) startOnThread(o *Options) (*exec.Cmd, error) {
	r := &p.req
	// Own fs_struct first: a mount namespace join (and chroot) must not
	// touch the other threads (P5, P6).
	if err := unix.Unshare(unix.CLONE_FS); err != nil {
		return nil, fmt.Errorf("enter: unshare(CLONE_FS): %w", err)
	}
	flags := 0
	for _, t := range p.sel.types {
		flags |= t.Flag()
	}
	if flags != 0 && (r.pidFD < 0 || unix.Setns(r.pidFD, flags) != nil) {
		for _, t := range Types {
			fd, ok := r.nsFD[t]
			if !ok {
				continue
			}
			if err := unix.Setns(fd, t.Flag()); err != nil {
				return nil, setnsError(t, errnoOf(err))
			}
		}
	}
	if r.rootFD >= 0 {
		if err := unix.Fchdir(r.rootFD); err != nil {
			return nil, (&StageError{Stage: "root", Err: errnoOf(err)}).Explain()
		}
		if err := unix.Chroot("."); err != nil {
			return nil, (&StageError{Stage: "root", Err: errnoOf(err)}).Explain()
		}
		unix.Chdir("/")
	}
	switch {
	case r.wdNS != "":
		if err := unix.Chdir(r.wdNS); err != nil {
			return nil, (&StageError{Stage: "wdns", Detail: r.wdNS, Err: errnoOf(err)}).Explain()
		}
	case r.wdFD >= 0:
		if err := unix.Fchdir(r.wdFD); err != nil {
			return nil, (&StageError{Stage: "wd", Err: errnoOf(err)}).Explain()
		}
	}

	path, err := lookPath(r.argv[0], r.env)
	if err != nil {
		return nil, err
	}
	cmd := &exec.Cmd{Path: path, Args: r.argv, Env: r.env, Stdin: o.Stdin, Stdout: o.Stdout, Stderr: o.Stderr}
	for i := 0; i < o.PreserveFDs; i++ {
		cmd.ExtraFiles = append(cmd.ExtraFiles, os.NewFile(uintptr(3+i), fmt.Sprintf("fd%d", 3+i)))
	}
	uid, gid := r.uid, r.gid
	if uid >= 0 || gid >= 0 {
		if uid < 0 {
			uid = os.Getuid()
		}
		if gid < 0 {
			gid = os.Getgid()
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	}
	// Forked from this thread: the child inherits its namespaces, root
	// and cwd.
	if err := cmd.Start(); err != nil {
		code := 126
		if errors.Is(err, os.ErrNotExist) {
			code = 127
		}
		return nil, &ExitError{Code: code, Err: fmt.Errorf("cannot run %q: %w", r.argv[0], unwrapErrno(err))}
	}
	return cmd, nil
}

// lookPath finds file in the PATH of env, as execvp does, resolving paths
// on the calling thread: inside the joined mount namespace.
func lookPath(file string, env []string) (string, error) {
	notFound := &ExitError{Code: 127, Err: fmt.Errorf("cannot run %q: %w", file, unix.ENOENT)}
	if strings.Contains(file, "/") {
		if _, err := os.Stat(file); err != nil {
			return "", notFound
		}
		return file, nil
	}
	pathEnv := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "PATH="); ok {
			pathEnv = v
		}
	}
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, file)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", notFound
}

// errnoOf returns the errno in err, or EIO for anything else.
func errnoOf(err error) unix.Errno {
	var errno unix.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return unix.EIO
}
