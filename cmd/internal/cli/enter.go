package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ctx-tools/ctx/enter"
	"github.com/ctx-tools/ctx/inspect"
)

type enterOptions struct {
	f      *Factory
	Target string
	// Enter is complete but for the target's PID or namespace file, which
	// runEnter resolves.
	Enter enter.Options
}

// nsFlag is a namespace type flag with an optional file: -n joins the
// target's network namespace, --net=FILE the one at FILE.
type nsFlag struct {
	set  bool
	path string
}

func (f *nsFlag) String() string { return f.path }
func (f *nsFlag) Type() string   { return "boolfunc" } // usage shows no value
func (f *nsFlag) Set(s string) error {
	f.set, f.path = true, s
	if s == "true" {
		f.path = ""
	}
	return nil
}

// dirFlag is -r or -w: the target's directory, or --root=DIR.
type dirFlag = nsFlag

// idFlag is -S or -G: a number or "follow".
type idFlag struct{ id *enter.ID }

func (f *idFlag) String() string {
	switch {
	case f.id == nil:
		return ""
	case f.id.Follow:
		return "follow"
	}
	return strconv.Itoa(f.id.Value)
}
func (f *idFlag) Type() string { return "id" }
func (f *idFlag) Set(s string) error {
	if s == "follow" {
		f.id = &enter.ID{Follow: true}
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return fmt.Errorf("want a non-negative number or \"follow\", got %q", s)
	}
	f.id = &enter.ID{Value: n}
	return nil
}

// newCmdEnter is `ctx enter`.
func newCmdEnter(f *Factory) *cobra.Command { return newCmdEnterF(f, nil) }

func newCmdEnterF(f *Factory, runF func(context.Context, *enterOptions) error) *cobra.Command {
	opts := &enterOptions{f: f}
	ns := map[enter.Type]*nsFlag{}
	var root, wd dirFlag
	var uid, gid idFlag
	cmd := &cobra.Command{
		Use:   "enter <target> [-m -u -i -n -p -C -U -T | -a] [--keep-tools] [flags] [-- <command> [<arg>...]]",
		Short: "Run a command in a process's or container's namespaces, user and time included",
		Long: `Run a command in the namespaces of a process, container or pod: nsenter with
every namespace type (user and time included), container names, and a mode
that keeps your own tools without writing anything into the target.

TARGET is a PID, a container name, ID or unique ID prefix, a pod
(pod/NAMESPACE/NAME[/CONTAINER]), or a namespace file (netns/NAME, a bind
mount, /proc/PID/fd/N), which is joined as whatever type it is. Without a
command, ctx runs ${SHELL:-/bin/sh}. ctx exits with the command's status;
126 and 127 mean it could not be run.

Modes:
  --keep-tools (the default without type flags) joins the target's net,
     pid, ipc, uts and cgroup namespaces (user too when ctx needs it) but
     not mnt: host or sidecar binaries (ip, ss, ps, strace, tcpdump) run
     with the target's view. The command gets a private copy of ctx's mount
     namespace (slave: nothing propagates back) with a fresh /proc of the
     target's pid namespace; the target's root is at $CTX_ROOT
     (/proc/N/root, N being the target's PID there: 1 for a container's
     init). Nothing is written into the target: it works on read-only and
     shell-less containers.
  -a, or type flags: exactly nsenter's semantics. With -m the command and
     its libraries come from the target's filesystem.

Each type flag joins the target's namespace of that type, or with
--TYPE=FILE the namespace at FILE (--net=/run/netns/x). -a joins every
namespace that differs from ctx's own. The pid and time namespaces apply to
children, so ctx forks and stays as a relay (signals in, stop/continue
mirrored, exit status out) unless -F.

The target's seccomp filter, LSM profile, capabilities and cgroup limits
are not applied (-c moves the command into its cgroups, v1 and v2).

Needs root: CAP_SYS_ADMIN (plus CAP_SYS_CHROOT for mnt) and CAP_SYS_PTRACE.
A ctx built with CGO_ENABLED=0 cannot join user or time namespaces or keep
tools, and says so.`,
		Example: `  # a shell with the host's tools in the view of container web-1
  ctx enter web-1

  # the container's interfaces, with the host's ip
  ctx enter web-1 -n -- ip addr

  # its processes, with the host's ps, on a read-only distroless image
  ctx enter web-1 --keep-tools -- ps -ef

  # its files, from the host: nothing is written into the container
  ctx enter web-1 -- sh -c 'ls -l $CTX_ROOT/etc'

  # everything, like nsenter -a (the command comes from the container)
  ctx enter 4242 -a -- /bin/sh

  # a rootless container's user namespace, as root in it
  ctx enter 4242 -U -m -- id

  # a named network namespace
  ctx enter netns/blue -- ss -ltn`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			// A re-executed ctx whose entry failed in the constructor
			// reports it before touching anything: it may already be
			// inside some of the target's namespaces.
			if err := enter.ReexecError(); err != nil {
				return enterError(err)
			}
			command := args
			switch dash := cmd.ArgsLenAtDash(); {
			case dash == 0:
			case dash > 1:
				return &usageError{fmt.Errorf("one TARGET before --, got %d", dash)}
			case len(args) > 0:
				opts.Target, command = args[0], args[1:]
			}
			e := &opts.Enter
			e.Types = nil
			for t, fl := range ns {
				if fl.set {
					if e.Types == nil {
						e.Types = map[enter.Type]string{}
					}
					e.Types[t] = fl.path
				}
			}
			if root.set {
				e.Root = &root.path
			}
			if wd.set {
				e.WD = &wd.path
			}
			e.UID, e.GID = uid.id, gid.id
			e.Argv = command
			if len(e.Argv) == 0 {
				sh := f.getenv("SHELL")
				if sh == "" {
					sh = "/bin/sh"
				}
				e.Argv = []string{sh}
			}
			check := *e
			if opts.Target != "" {
				check.PID = 1 // a stand-in: resolution comes after validation
			}
			if err := check.Validate(); err != nil {
				return &usageError{err}
			}
			if runF == nil {
				runF = runEnter
			}
			return runF(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	for _, d := range []struct {
		t           enter.Type
		long, short string
		what        string
	}{
		{enter.Mnt, "mount", "m", "mount"},
		{enter.UTS, "uts", "u", "UTS"},
		{enter.IPC, "ipc", "i", "IPC"},
		{enter.Net, "net", "n", "network"},
		{enter.PID, "pid", "p", "pid"},
		{enter.Cgroup, "cgroup", "C", "cgroup"},
		{enter.User, "user", "U", "user"},
		{enter.Time, "time", "T", "time"},
	} {
		v := &nsFlag{}
		ns[d.t] = v
		flg := fl.VarPF(v, d.long, d.short, fmt.Sprintf("join the target's %s namespace; --%s=FILE joins the one at FILE", d.what, d.long))
		flg.NoOptDefVal = "true"
	}
	fl.BoolVarP(&opts.Enter.All, "all", "a", false, "join every namespace of the target that differs from ctx's")
	fl.BoolVar(&opts.Enter.KeepTools, "keep-tools", false, "keep ctx's own filesystem and tools: join all but mnt, fresh /proc, target root at $CTX_ROOT (default without type flags)")
	fl.VarP(&uid, "setuid", "S", "run as this `uid` (or \"follow\": the target's); default 0 after joining a user namespace")
	fl.VarP(&gid, "setgid", "G", "run as this `gid` (or \"follow\": the target's); default 0 after joining a user namespace")
	fl.BoolVar(&opts.Enter.PreserveCredentials, "preserve-credentials", false, "keep uid, gid and groups when joining a user namespace")
	fl.BoolVar(&opts.Enter.KeepCaps, "keep-caps", false, "keep the capabilities into the command (ambient set), also as a non-root uid")
	rf := fl.VarPF(&root, "root", "r", "set the root directory to the target's; --root=DIR to DIR (opened before entering)")
	rf.NoOptDefVal = "true"
	wf := fl.VarPF(&wd, "wd", "w", "set the working directory to the target's; --wd=DIR to DIR (opened before entering)")
	wf.NoOptDefVal = "true"
	fl.StringVarP(&opts.Enter.WDNS, "wdns", "W", "", "set the working directory to `dir`, a path inside the entered mount namespace")
	fl.BoolVarP(&opts.Enter.NoFork, "no-fork", "F", false, "do not fork after joining a pid or time namespace (the command stays outside it)")
	fl.BoolVarP(&opts.Enter.TargetEnv, "env", "e", false, "give the command the target's environment instead of ctx's")
	fl.BoolVarP(&opts.Enter.JoinCgroup, "join-cgroup", "c", false, "move the command into the target's cgroups (v1 and v2)")
	fl.IntVar(&opts.Enter.PreserveFDs, "preserve-fds", 0, "pass ctx's fds 3 to 3+`N`-1 to the command (others never reach it)")
	return cmd
}

// runEnter resolves the target and enters it. On success with the C
// constructor it does not return: ctx becomes the command.
func runEnter(_ context.Context, opts *enterOptions) error {
	root, err := opts.f.Host()
	if err != nil {
		return err
	}
	o := opts.Enter
	if opts.Target != "" {
		t, err := inspect.Resolve(root, opts.Target)
		if err != nil {
			return err
		}
		switch {
		case t.PID > 0:
			o.PID = t.PID
		case t.Path != "":
			o.NSPath = t.Path
		default:
			return fmt.Errorf("target %q has no process to enter", opts.Target)
		}
	}
	o.Self, o.Env = os.Args, os.Environ()
	o.Stdin, o.Stdout, o.Stderr = opts.f.IO.In, opts.f.IO.Out, opts.f.IO.ErrOut
	return enterError(enter.Exec(root, o))
}

// enterError maps enter's errors onto the exit ladder: the command's
// status passes through, bad options are usage errors.
func enterError(err error) error {
	var ee *enter.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee):
		return &ExitStatusError{Code: ExitCode(ee.Code), Err: ee.Err}
	case errors.Is(err, enter.ErrOption):
		return &usageError{err}
	}
	return err
}

var (
	_ pflag.Value = (*nsFlag)(nil)
	_ pflag.Value = (*idFlag)(nil)
)
