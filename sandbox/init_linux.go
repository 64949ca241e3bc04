//go:build linux

package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/cgroupview"
)

// initEnv marks a ctx re-executed as a container's init. It differs from
// enter/nsexec's marker (_CTX_NSEXEC), whose C constructor ignores it.
const initEnv = "_CTX_SANDBOX_INIT"

// The container's init is ctx itself, re-executed by Run with new mount,
// pid, uts, ipc (and net, user) namespaces set at clone time, and born in
// its cgroup2 dir (CLONE_INTO_CGROUP). This init function takes over such
// a process before main: it is the one place where package sandbox reads
// the environment and exits the process, and it acts only when the marker
// is set, so every other ctx invocation returns at once.
//
// Everything that must happen in the container runs on the main thread,
// locked: namespaces joined later (setns of --net container, the cgroup
// namespace), no_new_privs, capabilities and the seccomp filter are
// per-thread, and the command is exec'd (or, with --init, forked) from
// that thread. The Go runtime's other threads never run container code;
// the runtime spawns new threads from its template thread, never from a
// locked one. pivot_root and the mounts happen after the runtime started,
// which is fine: mount namespaces are per process, and this process is
// single-purpose.
func init() {
	if os.Getenv(initEnv) != "1" {
		return
	}
	runtime.LockOSThread()
	os.Exit(containerInit())
}

// containerInit sets the container up and runs the command; it returns
// the exit status of the init process.
func containerInit() int {
	status := os.NewFile(fdStatus, "status")
	fail := func(code int, format string, args ...any) int {
		msg := strings.ReplaceAll(fmt.Sprintf(format, args...), "\n", " ")
		fmt.Fprintf(status, "error %d %s\n", code, msg)
		return code
	}
	// Subscribing to signals (for --init) hands each one to the
	// runtime's signal thread and back: about a millisecond, done while
	// the config arrives and the root is built.
	sigs := make(chan os.Signal, 64)
	notified := make(chan struct{})
	go func() {
		signal.Notify(sigs, initSignals...)
		close(notified)
	}()
	var cfg initConfig
	cf := os.NewFile(fdConfig, "config")
	if err := json.NewDecoder(cf).Decode(&cfg); err != nil {
		return fail(125, "reading the config: %v", err)
	}
	cf.Close()
	// Into the v1 cgroups first: this thread execs or forks the command.
	if err := cgroupview.JoinThread(cfg.JoinV1); err != nil {
		return fail(125, "%v", err)
	}
	// Nothing ctx holds may leak into the container.
	if err := unix.CloseRange(fdSync, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
		for fd := fdSync; fd <= fdNetNS; fd++ {
			unix.CloseOnExec(fd)
		}
	}
	unix.Umask(0)
	newroot, err := prepareRoot(&cfg)
	if err != nil {
		return fail(125, "preparing the root: %v", err)
	}
	// Wait until the parent has set the network up (and, in a user
	// namespace, moved this process into its v1 cgroups): nothing of the
	// command runs before.
	var b [1]byte
	if n, _ := unix.Read(fdSync, b[:]); n != 1 {
		return 1 // the parent gave up
	}
	if !cfg.ReportTasks {
		unix.Close(fdSync)
	}
	// The cgroup namespace is made now, after the move into the cgroups,
	// so that the container sees its own cgroup as its root.
	if err := unix.Unshare(unix.CLONE_NEWCGROUP); err != nil {
		return fail(125, "new cgroup namespace: %v", err)
	}
	if cfg.JoinNet {
		if err := unix.Setns(fdNetNS, unix.CLONE_NEWNET); err != nil {
			return fail(125, "joining the network namespace: %v", err)
		}
		unix.Close(fdNetNS)
	}
	if err := finishRoot(&cfg, newroot); err != nil {
		return fail(125, "setting up the root: %v", err)
	}
	if err := unix.Sethostname([]byte(cfg.Hostname)); err != nil {
		return fail(125, "setting the hostname: %v", err)
	}
	unix.Umask(0o022)

	u, err := lookupUser(cfg.User)
	if err != nil {
		return fail(125, "user %q: %v", cfg.User, err)
	}
	env := containerEnv(cfg.Env, cfg.Hostname, u)
	cwd := cfg.Cwd
	if cwd == "" {
		cwd = "/"
	}
	if err := os.Chdir(cwd); err != nil {
		os.MkdirAll(cwd, 0o755)
		if err := os.Chdir(cwd); err != nil {
			return fail(125, "working directory %q: %v", cwd, err)
		}
	}
	bin, code, err := lookPath(cfg.Args[0], env)
	if err != nil {
		return fail(code, "%v", err)
	}
	if err := dropPrivileges(&cfg, u); err != nil {
		return fail(125, "dropping privileges: %v", err)
	}
	if cfg.Init {
		<-notified
		if cfg.ReportTasks {
			// The parent counts this process's tasks in the pids cgroup
			// now and adds them to the limit.
			fmt.Fprintf(status, "tasks ready\n")
			if n, _ := unix.Read(fdSync, b[:]); n != 1 {
				return 1
			}
			unix.Close(fdSync)
		}
		return runInit(bin, cfg.Args, env, u, sigs, status, fail)
	}
	fmt.Fprintf(status, "exec %d\n", os.Getpid())
	err = unix.Exec(bin, cfg.Args, env)
	return fail(execCode(err), "%s: %v", cfg.Args[0], err)
}

// initSignals are what the init forwards.
var initSignals = []os.Signal{unix.SIGHUP, unix.SIGINT, unix.SIGQUIT, unix.SIGTERM, unix.SIGUSR1,
	unix.SIGUSR2, unix.SIGWINCH, unix.SIGCONT, unix.SIGALRM, unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU}

// execCode maps an execve error onto 127 (not found) or 126 (cannot
// execute), as shells and docker run do.
func execCode(err error) int {
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
		return 127
	}
	return 126
}

// user is the resolved --user.
type user struct {
	uid, gid uint32
	groups   []uint32
	home     string
}

// lookupUser resolves UID[:GID] or NAME[:GROUP] against the container's
// /etc/passwd and /etc/group (the new root is / by now).
func lookupUser(spec string) (user, error) {
	u := user{home: "/root"}
	if spec == "" {
		return u, nil
	}
	name, group, hasGroup := strings.Cut(spec, ":")
	passwd, _ := os.ReadFile("/etc/passwd")
	groups, _ := os.ReadFile("/etc/group")
	if v, err := strconv.ParseUint(name, 10, 32); err == nil {
		u.uid, u.home = uint32(v), "/"
		for _, f := range colonLines(passwd) {
			if len(f) >= 6 && f[2] == name {
				if g, err := strconv.ParseUint(f[3], 10, 32); err == nil {
					u.gid = uint32(g)
				}
				u.home = f[5]
				break
			}
		}
	} else {
		found := false
		for _, f := range colonLines(passwd) {
			if len(f) >= 6 && f[0] == name {
				uid, err1 := strconv.ParseUint(f[2], 10, 32)
				gid, err2 := strconv.ParseUint(f[3], 10, 32)
				if err1 != nil || err2 != nil {
					return u, fmt.Errorf("bad /etc/passwd entry for %q", name)
				}
				u.uid, u.gid, u.home, found = uint32(uid), uint32(gid), f[5], true
				break
			}
		}
		if !found {
			return u, fmt.Errorf("no such user in the container's /etc/passwd")
		}
	}
	if hasGroup {
		if v, err := strconv.ParseUint(group, 10, 32); err == nil {
			u.gid = uint32(v)
		} else {
			found := false
			for _, f := range colonLines(groups) {
				if len(f) >= 3 && f[0] == group {
					g, err := strconv.ParseUint(f[2], 10, 32)
					if err != nil {
						return u, fmt.Errorf("bad /etc/group entry for %q", group)
					}
					u.gid, found = uint32(g), true
				}
			}
			if !found {
				return u, fmt.Errorf("no such group %q in the container's /etc/group", group)
			}
		}
	}
	u.groups = []uint32{u.gid}
	return u, nil
}

func colonLines(b []byte) [][]string {
	var out [][]string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, strings.Split(l, ":"))
		}
	}
	return out
}

const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// containerEnv is the command's environment: PATH and HOSTNAME and HOME
// unless given.
func containerEnv(env []string, hostname string, u user) []string {
	out := append([]string(nil), env...)
	has := func(k string) bool {
		for _, e := range out {
			if strings.HasPrefix(e, k+"=") {
				return true
			}
		}
		return false
	}
	if !has("PATH") {
		out = append(out, "PATH="+defaultPath)
	}
	if !has("HOSTNAME") {
		out = append(out, "HOSTNAME="+hostname)
	}
	if !has("HOME") {
		out = append(out, "HOME="+u.home)
	}
	return out
}

// lookPath finds the command in the container, returning 127 when it is
// missing and 126 when it is not executable.
func lookPath(arg string, env []string) (string, int, error) {
	check := func(p string) (int, error) {
		fi, err := os.Stat(p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return 127, fmt.Errorf("%s: no such file or directory", arg)
			}
			return 126, fmt.Errorf("%s: %v", arg, err)
		}
		if fi.IsDir() {
			return 126, fmt.Errorf("%s: is a directory", arg)
		}
		if fi.Mode().Perm()&0o111 == 0 {
			return 126, fmt.Errorf("%s: permission denied", arg)
		}
		return 0, nil
	}
	if strings.Contains(arg, "/") {
		code, err := check(arg)
		return arg, code, err
	}
	p := defaultPath
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "PATH="); ok {
			p = v
		}
	}
	for _, dir := range filepath.SplitList(p) {
		if dir == "" {
			dir = "."
		}
		c := filepath.Join(dir, arg)
		if code, err := check(c); err == nil {
			return c, 0, nil
		} else if code == 126 && !strings.Contains(err.Error(), "is a directory") {
			return c, 126, err
		}
	}
	return "", 127, fmt.Errorf("%s: executable file not found in $PATH", arg)
}

// dropPrivileges makes the calling thread what the command runs as, in
// runc's order: no_new_privs, the capability bounding set, the user (the
// command's, unless an init forks it), the remaining capability sets, and
// the seccomp filter last, so that it need not allow any of this.
func dropPrivileges(cfg *initConfig, u user) error {
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("no_new_privs: %w", err)
	}
	keep := cfg.Caps
	if err := dropBounding(keep); err != nil {
		return err
	}
	switchUser := !cfg.Init && (u.uid != 0 || u.gid != 0)
	if switchUser {
		if err := setUser(u); err != nil {
			return err
		}
	}
	if !switchUser || u.uid == 0 {
		if err := setCaps(keep); err != nil {
			return err
		}
	}
	if cfg.Seccomp {
		if err := loadSeccomp(); err != nil {
			return fmt.Errorf("seccomp: %w", err)
		}
	}
	return nil
}

// setUser switches the calling thread (only: raw syscalls, not glibc's or
// Go's all-thread wrappers) to u; execve makes its credentials the
// process's. A credential change clears the parent-death signal, so it is
// set again.
func setUser(u user) error {
	gids := u.groups
	if len(gids) == 0 {
		gids = []uint32{u.gid}
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETGROUPS, uintptr(len(gids)), uintptr(unsafe.Pointer(&gids[0])), 0); e != 0 {
		return fmt.Errorf("setgroups: %w", e)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESGID, uintptr(u.gid), uintptr(u.gid), uintptr(u.gid)); e != 0 {
		return fmt.Errorf("setresgid: %w", e)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, uintptr(u.uid), uintptr(u.uid), uintptr(u.uid)); e != 0 {
		return fmt.Errorf("setresuid: %w", e)
	}
	return unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0)
}

// runInit is --init: a minimal reaper as PID 1. It forks the command from
// the locked, already restricted thread, forwards every signal it gets to
// it, reaps orphans, and when the command exits reports its wait status
// to ctx and exits with the same code (128+n for signal n: PID 1 cannot
// kill itself with a signal its namespace ignores).
func runInit(bin string, args, env []string, u user, sigs chan os.Signal, status *os.File, fail func(int, string, ...any) int) int {
	// PID 1 must not be readable or ptraceable by the container: its
	// /proc/1/exe is the ctx binary.
	unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	sys := &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if u.uid != 0 || u.gid != 0 {
		sys.Credential = &syscall.Credential{Uid: u.uid, Gid: u.gid, Groups: u.groups}
	}
	pid, err := syscall.ForkExec(bin, args, &syscall.ProcAttr{Env: env, Files: []uintptr{0, 1, 2}, Sys: sys})
	if err != nil {
		return fail(execCode(err), "%s: %v", args[0], err)
	}
	fmt.Fprintf(status, "exec %d\n", pid)
	// Forward signals from a goroutine; reap on this thread with a
	// blocking wait4, which returns the moment the command exits (a
	// SIGCHLD through the runtime's signal queue costs a round trip
	// between threads).
	go func() {
		for sig := range sigs {
			if s, ok := sig.(syscall.Signal); ok {
				unix.Kill(pid, s)
			}
		}
	}()
	for {
		var ws unix.WaitStatus
		wpid, err := unix.Wait4(-1, &ws, 0, nil)
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return fail(125, "waiting for the command: %v", err)
		case wpid != pid:
			continue // an orphan, reaped
		}
		fmt.Fprintf(status, "exit %d\n", uint32(ws))
		if ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ws.ExitStatus()
	}
}
