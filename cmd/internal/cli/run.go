package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/ctx-tools/ctx/cmd/internal/printers"
	"github.com/ctx-tools/ctx/sandbox"
)

// ExitRunFailed is `ctx run`'s status when ctx itself failed, usage
// errors included, as docker run's 125.
const ExitRunFailed ExitCode = 125

// runOptions are the parsed flags of `ctx run`.
type runOptions struct {
	f    *Factory
	Spec sandbox.Spec
	// ReportFile receives the report instead of stderr; NoReport drops it.
	ReportFile string
	NoReport   bool
}

// runFlags are the raw string flags that need parsing.
type runFlags struct {
	memory, memorySwap, cpus, net, seccomp string
	ioReadBPS, ioWriteBPS                  []string
	ioReadIOPS, ioWriteIOPS                []string
	volumes, env                           []string
}

// forwardedSignals are passed on to the container.
var forwardedSignals = []os.Signal{syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM,
	syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH, syscall.SIGCONT, syscall.SIGALRM}

// runError makes err ctx run's failure: 125.
func runError(err error) error {
	var st *ExitStatusError
	if errors.As(err, &st) {
		return err
	}
	return &ExitStatusError{Code: ExitRunFailed, Err: err}
}

// newCmdRun is `ctx run`.
func newCmdRun(f *Factory) *cobra.Command { return newCmdRunF(f, nil) }

func newCmdRunF(f *Factory, runF func(context.Context, *runOptions) error) *cobra.Command {
	opts := &runOptions{f: f}
	s := &opts.Spec
	var fl runFlags
	cmd := &cobra.Command{
		Use:   "run {--rootfs <dir> | --image <ref> | --bundle <dir>} [flags] [--] [<command> [<arg>...]]",
		Short: "Run a throw-away isolated container and report what happened to it",
		Long: `Run a command in a throw-away container with the limits given, on this
kernel, and report afterwards what the kernel recorded: the exit code or
signal, whether the OOM killer struck (memory.events oom_kill, v1
memory.oom_control), the memory peak, the pids peak and the forks the pids
limit refused, CPU used and throttled, and wall time. The counters are read
after the last process exits and before the cgroup is removed; --keep
leaves the cgroup for inspection (ctx gc --kept removes it later).

The root is one of: --rootfs DIR (read-only under a tmpfs scratch layer,
or in place with --rw), --image REF (a local Docker image name or ID,
containerd://[NAMESPACE/]NAME, podman://NAME; its layers become read-only
overlay lowerdirs), or --bundle DIR (an OCI bundle: config.json's process,
root, mounts, namespaces, limits and capabilities).

Isolation: new mount, pid, uts, ipc, cgroup (and net) namespaces, a user
namespace with --userns; private propagation, pivot_root (never chroot),
a fresh /proc with runc's masked and read-only paths, a minimal /dev,
read-only /sys; Docker's default capabilities, no_new_privs, and a
seccomp deny-list. The cgroup is made before the command runs: on cgroup
v2 the child is cloned into it (CLONE_INTO_CGROUP); on v1 and hybrid hosts
the child joins every v1 hierarchy first thing, and it waits on a pipe
until ctx has set its network up.

--init (on by default) runs a small reaper as PID 1 that forwards signals
and reaps orphans; its threads are added to --pids. SIGTERM and SIGINT are
forwarded, and after --stop-timeout the container is killed. If ctx itself
dies, the container dies with it (parent-death signal); ctx gc removes
what a killed ctx left.

The report goes to stderr (a table, or JSON with -o json), or to
--report-file. ctx exits like docker run: 125 when ctx failed (bad flags
included), 126 when the command cannot be executed, 127 when it is not
found, else the command's exit code, or 128+n when signal n killed it.

Needs root: it creates cgroups (write access to the cgroup hierarchies),
namespaces and mounts (CAP_SYS_ADMIN), and with --net bridge links
(CAP_NET_ADMIN). In a sidecar: --privileged is not enough where dockerd
lacks CAP_SYS_RESOURCE; use SYS_ADMIN, a writable /sys/fs/cgroup and
--security-opt seccomp=unconfined (see docs/privileges.md).`,
		Example: `  # does it get OOM-killed at 64 MiB? (Debian's busybox-static as the root)
  sudo ctx run --rootfs ./rootfs --memory 64m -- /bin/sh -c 'head -c 100m /dev/zero | tail'

  # a fork bomb against 20 PIDs, report as JSON
  sudo ctx run --rootfs ./rootfs --pids 20 -o json --report-file rep.json -- ./bomb.sh

  # a local image, throttled to a tenth of a CPU, networked through the ctx0 bridge
  sudo ctx run --image busybox:latest --cpus 0.1 --net bridge -- ping -c 3 10.213.0.1

  # an OCI bundle (runc spec), keeping its cgroup for a look afterwards
  sudo ctx run --bundle ./bundle --keep`,
		Args: cobra.ArbitraryArgs,
		PersistentPreRunE: func(*cobra.Command, []string) error {
			if err := f.validateGlobals(); err != nil {
				return runError(err)
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			s.Args = args
			if err := opts.complete(c, &fl); err != nil {
				return runError(err)
			}
			if runF == nil {
				runF = runRun
			}
			return runF(c.Context(), opts)
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return runError(fmt.Errorf("%w (see ctx run --help)", err))
	})
	fs := cmd.Flags()
	fs.SetInterspersed(false) // what follows the command is the command's
	fs.StringVar(&s.Rootfs, "rootfs", "", "root directory (used read-only under a scratch layer unless --rw)")
	fs.StringVar(&s.Image, "image", "", "local image: NAME[:TAG] or ID (Docker), containerd://[NS/]NAME, podman://NAME")
	fs.StringVar(&s.Bundle, "bundle", "", "OCI bundle directory (config.json and its root)")
	fs.BoolVar(&s.RW, "rw", false, "use --rootfs in place, writable, without the scratch layer")
	fs.BoolVar(&s.ReadOnly, "read-only", false, "mount the container's / read-only")
	fs.StringVarP(&fl.memory, "memory", "m", "", "memory limit, e.g. 64m (b, k, m, g)")
	fs.StringVar(&fl.memorySwap, "memory-swap", "", "memory plus swap, e.g. 128m; -1 is unlimited (default: no swap)")
	fs.StringVar(&fl.cpus, "cpus", "", "CPU quota in CPUs, e.g. 0.5")
	fs.Uint64Var(&s.Limits.CPUShares, "cpu-shares", 0, "relative CPU weight on the v1 scale (2..262144, default 1024)")
	fs.Uint64Var(&s.Limits.CPUWeight, "cpu-weight", 0, "relative CPU weight on the v2 scale (1..10000, default 100)")
	fs.Int64Var(&s.Limits.PIDs, "pids", 0, "maximum number of tasks (pids.max)")
	fs.Uint64Var(&s.Limits.IOWeight, "io-weight", 0, "default IO weight (1..10000; v1: 10..1000)")
	fs.StringArrayVar(&fl.ioReadBPS, "io-read-bps", nil, "read rate limit DEVICE:RATE, e.g. /dev/sda:10m (repeatable)")
	fs.StringArrayVar(&fl.ioWriteBPS, "io-write-bps", nil, "write rate limit DEVICE:RATE (repeatable)")
	fs.StringArrayVar(&fl.ioReadIOPS, "io-read-iops", nil, "read IO rate limit DEVICE:IOPS (repeatable)")
	fs.StringArrayVar(&fl.ioWriteIOPS, "io-write-iops", nil, "write IO rate limit DEVICE:IOPS (repeatable)")
	fs.StringVar(&fl.net, "net", "none", "network: none (lo only), host, bridge (veth to ctx0), container:TARGET")
	fs.StringVar(&s.Hostname, "hostname", "", "hostname (default ctx-<id>)")
	fs.StringArrayVarP(&fl.env, "env", "e", nil, "environment KEY=VALUE, or KEY to pass ctx's value (repeatable)")
	fs.StringVarP(&s.Cwd, "workdir", "w", "", "working directory in the container")
	fs.StringVarP(&s.User, "user", "u", "", "UID[:GID] or NAME[:GROUP] from the container's /etc/passwd")
	fs.StringArrayVar(&fl.volumes, "volume", nil, "bind mount HOST:CTR[:ro] (repeatable; -v is the global --verbose)")
	fs.BoolVar(&s.Init, "init", true, "run a reaper as PID 1 that forwards signals (--init=false: the command is PID 1)")
	fs.DurationVar(&s.StopTimeout, "stop-timeout", sandbox.DefaultStopTimeout, "after SIGTERM or SIGINT, kill the container when it has not exited by then")
	fs.BoolVar(&s.Keep, "keep", false, "leave the cgroup (and its counters) after the run")
	fs.BoolVar(&s.UserNS, "userns", false, "run in a new user namespace, root mapped to unprivileged host IDs")
	fs.Uint32Var(&s.UserNSBase, "userns-base", 100000, "first host ID of --userns's 65536 IDs")
	fs.StringSliceVar(&s.CapAdd, "cap-add", nil, "add capabilities to Docker's default set (ALL for all)")
	fs.StringSliceVar(&s.CapDrop, "cap-drop", nil, "drop capabilities (ALL for all)")
	fs.BoolVar(&s.Privileged, "privileged", false, "keep every capability and turn seccomp off")
	fs.StringVar(&fl.seccomp, "seccomp", "default", "seccomp: default (deny-list) or unconfined")
	fs.StringVar(&s.CgroupParent, "cgroup-parent", "", "cgroup under which ctx-<id> is made (default the root)")
	fs.StringVar(&s.StateDir, "state-dir", sandbox.DefaultStateDir, "directory of the runs' state, where ctx gc looks")
	fs.StringVar(&opts.ReportFile, "report-file", "", "write the report to this file instead of stderr")
	fs.BoolVar(&opts.NoReport, "no-report", false, "print no report")
	return cmd
}

// complete parses the flags that need it and validates the rest, before
// anything on the host is touched.
func (o *runOptions) complete(c *cobra.Command, fl *runFlags) error {
	s := &o.Spec
	if err := o.f.Printer.Validate("table", "wide", "json"); err != nil {
		return err
	}
	var err error
	if fl.memory != "" {
		if s.Limits.Memory, err = sandbox.ParseSize(fl.memory); err != nil {
			return fmt.Errorf("--memory: %w", err)
		}
	}
	switch fl.memorySwap {
	case "":
	case "-1":
		s.Limits.MemorySwap = -1
	default:
		if s.Limits.MemorySwap, err = sandbox.ParseSize(fl.memorySwap); err != nil {
			return fmt.Errorf("--memory-swap: %w", err)
		}
	}
	if fl.cpus != "" {
		if s.Limits.CPUs, err = sandbox.ParseCPUs(fl.cpus); err != nil {
			return fmt.Errorf("--cpus: %w", err)
		}
	}
	if c.Flags().Changed("net") || s.Bundle == "" {
		if s.Net, err = sandbox.ParseNetwork(fl.net); err != nil {
			return fmt.Errorf("--net: %w", err)
		}
	}
	switch fl.seccomp {
	case "default":
	case "unconfined":
		s.SeccompUnconfined = true
	default:
		return fmt.Errorf("invalid --seccomp %q: use default or unconfined", fl.seccomp)
	}
	byDev := map[string]*sandbox.IOLimit{}
	var order []string
	for _, io := range []struct {
		flag  string
		vals  []string
		bytes bool
		set   func(*sandbox.IOLimit, uint64)
	}{
		{"--io-read-bps", fl.ioReadBPS, true, func(l *sandbox.IOLimit, v uint64) { l.ReadBPS = v }},
		{"--io-write-bps", fl.ioWriteBPS, true, func(l *sandbox.IOLimit, v uint64) { l.WriteBPS = v }},
		{"--io-read-iops", fl.ioReadIOPS, false, func(l *sandbox.IOLimit, v uint64) { l.ReadIOPS = v }},
		{"--io-write-iops", fl.ioWriteIOPS, false, func(l *sandbox.IOLimit, v uint64) { l.WriteIOPS = v }},
	} {
		for _, v := range io.vals {
			dev, rate, err := sandbox.ParseIORate(v, io.bytes)
			if err != nil {
				return fmt.Errorf("%s: %w", io.flag, err)
			}
			l := byDev[dev]
			if l == nil {
				l = &sandbox.IOLimit{Device: dev}
				byDev[dev] = l
				order = append(order, dev)
			}
			io.set(l, rate)
		}
	}
	for _, d := range order {
		s.Limits.IO = append(s.Limits.IO, *byDev[d])
	}
	for _, v := range fl.volumes {
		vol, err := sandbox.ParseVolume(v)
		if err != nil {
			return fmt.Errorf("--volume: %w", err)
		}
		s.Volumes = append(s.Volumes, vol)
	}
	for _, e := range fl.env {
		if !strings.Contains(e, "=") {
			v, ok := os.LookupEnv(e)
			if !ok {
				continue // docker run -e KEY passes nothing when KEY is unset
			}
			e += "=" + v
		}
		s.Env = append(s.Env, e)
	}
	n := 0
	for _, v := range []string{s.Rootfs, s.Image, s.Bundle} {
		if v != "" {
			n++
		}
	}
	if n != 1 {
		return errors.New("give exactly one of --rootfs, --image and --bundle")
	}
	if len(s.Args) == 0 && s.Image == "" && s.Bundle == "" {
		return errors.New("no command: give one after --rootfs DIR (and --)")
	}
	if o.ReportFile != "" && o.NoReport {
		return errors.New("--report-file and --no-report exclude each other")
	}
	return nil
}

// runRun runs the container, prints the report and passes the command's
// status on.
func runRun(ctx context.Context, o *runOptions) error {
	root, err := o.f.Host()
	if err != nil {
		return runError(err)
	}
	s := o.Spec
	s.Stdin, s.Stdout, s.Stderr = o.f.IO.In, o.f.IO.Out, o.f.IO.ErrOut
	sigs := make(chan os.Signal, 16)
	// Each signal's subscription is a round trip to the runtime's signal
	// thread: do it while the container is set up. (SIGINT and SIGTERM
	// are caught from the start by Main.)
	subscribed := make(chan struct{})
	go func() {
		signal.Notify(sigs, forwardedSignals...)
		close(subscribed)
	}()
	defer func() {
		<-subscribed
		signal.Stop(sigs)
	}()
	s.Signals = sigs
	// SIGINT and SIGTERM are forwarded, then the stop timeout runs: the
	// root's signal-cancelled context must not stop the container too.
	rep, err := sandbox.Run(context.WithoutCancel(ctx), root, &s)
	if err != nil {
		return runFailure(err)
	}
	if err := o.printReport(rep); err != nil {
		return runError(err)
	}
	if rep.ExitCode != 0 {
		return &ExitStatusError{Code: ExitCode(rep.ExitCode)}
	}
	return nil
}

// runFailure maps a sandbox error onto ctx run's statuses, with a hint
// where one helps.
func runFailure(err error) error {
	var se *sandbox.StartError
	if errors.As(err, &se) {
		return &ExitStatusError{Code: ExitCode(se.Code), Err: err}
	}
	var pe *sandbox.PrivilegeError
	if errors.As(err, &pe) || isPermission(err) {
		err = fmt.Errorf("%w\nhint: run ctx run as root; in a sidecar add CAP_SYS_ADMIN, a writable /sys/fs/cgroup and --security-opt seccomp=unconfined (see docs/privileges.md)", err)
	}
	return runError(err)
}

// printReport writes the report where the flags say.
func (o *runOptions) printReport(rep *sandbox.Report) error {
	if o.NoReport {
		return nil
	}
	w := o.f.IO.ErrOut
	if o.ReportFile != "" {
		f, err := os.Create(o.ReportFile)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	return o.f.EmitTo(w, printers.Doc{Kind: "RunReport", Item: rep, Table: runReportTable(rep), Warnings: rep.Warnings})
}

// runReportTable is the report as FIELD / VALUE rows.
func runReportTable(r *sandbox.Report) *printers.Table {
	t := &printers.Table{Columns: []printers.Column{{Header: "FIELD"}, {Header: "VALUE"}}}
	add := func(k, v string) { t.Rows = append(t.Rows, []string{k, v}) }
	add("ID", r.ID)
	add("COMMAND", runQuoteArgs(r.Command))
	add("ROOT", r.Root)
	exit := strconv.Itoa(r.ExitCode)
	if r.Signal != "" {
		exit += " (killed by " + r.Signal + ")"
	}
	add("EXIT", exit)
	if r.Stopped != "" {
		add("STOPPED", r.Stopped)
	}
	oom := "no"
	switch {
	case r.OOMKilled:
		oom = fmt.Sprintf("yes (%d killed by the OOM killer)", *r.OOMKills)
	case r.OOMKills == nil:
		oom = "unknown"
	}
	add("OOM KILLED", oom)
	mem := runSize(r.MemoryPeakBytes)
	if r.MemoryLimitBytes != nil {
		mem += " of " + runSize(r.MemoryLimitBytes) + " limit"
	}
	if r.MemoryMaxEvents != nil && *r.MemoryMaxEvents > 0 {
		mem += fmt.Sprintf(", limit hit %d times", *r.MemoryMaxEvents)
	}
	add("MEMORY PEAK", mem)
	pids := countOf(r.PIDsPeak)
	if r.PIDsLimit != nil {
		pids += " of " + countOf(r.PIDsLimit)
	}
	if r.PIDsInitTasks != nil {
		pids += fmt.Sprintf(" (incl. %d of the init)", *r.PIDsInitTasks)
	}
	pids += ", forks rejected " + countOf(r.PIDsEventsMax)
	add("PIDS PEAK", pids)
	cpu := runUsec(r.CPUUsageUsec) + " used"
	if r.CPULimit != nil {
		cpu += fmt.Sprintf(" (limit %g CPUs)", *r.CPULimit)
	}
	if r.CPUThrottledUsec != nil && (r.CPULimit != nil || r.CPUNrThrottled != nil && *r.CPUNrThrottled > 0) {
		cpu += ", throttled " + runUsec(r.CPUThrottledUsec)
		if r.CPUNrThrottled != nil && r.CPUNrPeriods != nil {
			cpu += fmt.Sprintf(" in %d of %d periods", *r.CPUNrThrottled, *r.CPUNrPeriods)
		}
	}
	add("CPU", cpu)
	w := r.WallUsec
	add("WALL", runUsec(&w))
	net := string(r.Network.Mode)
	switch {
	case r.Network.Address != "":
		net += fmt.Sprintf(" %s via %s (host veth %s)", r.Network.Address, r.Network.Gateway, r.Network.HostVeth)
	case r.Network.NetNS != "":
		net += " " + r.Network.NetNS
	}
	add("NETWORK", net)
	cg := fmt.Sprintf("%s (%s), removed", r.Cgroup, r.CgroupMode)
	if r.Kept {
		cg = fmt.Sprintf("%s (%s), kept: %s", r.Cgroup, r.CgroupMode, strings.Join(r.CgroupDirs, " "))
	}
	add("CGROUP", cg)
	return t
}

func runQuoteArgs(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`") {
			a = strconv.Quote(a)
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}

// runSize prints bytes exactly, with a binary-unit reading beside.
func runSize(p *uint64) string {
	if p == nil {
		return "unknown"
	}
	v := *p
	if v < 1024 {
		return fmt.Sprintf("%d B", v)
	}
	f, unit := float64(v)/1024, "KiB"
	for _, u := range []string{"MiB", "GiB", "TiB"} {
		if f < 1024 {
			break
		}
		f, unit = f/1024, u
	}
	return fmt.Sprintf("%.1f %s (%d B)", f, unit, v)
}

// runUsec prints a duration in µs as milliseconds or seconds.
func runUsec(p *uint64) string {
	if p == nil {
		return "unknown"
	}
	v := *p
	if v < 1000000 {
		return fmt.Sprintf("%.1f ms", float64(v)/1000)
	}
	return fmt.Sprintf("%.3f s", float64(v)/1e6)
}
