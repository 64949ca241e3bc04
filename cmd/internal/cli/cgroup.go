package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ctx-tools/ctx/cgroupview"
	"github.com/ctx-tools/ctx/cmd/internal/printers"
	"github.com/ctx-tools/ctx/inspect"
	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// cgroupPrivileges is the privilege paragraph every cgroup command's Long
// ends with.
const cgroupPrivileges = `Privileges: cgroupfs is world-readable, so this works as any user; root (or
CAP_SYS_PTRACE) is needed to name other users' processes. In a container,
mount the host's /sys/fs/cgroup and run with --cgroupns=host (and --pid=host),
or ctx sees only its own cgroup namespace and says so.`

// cgroupLegend explains the cells every cgroup table shares.
const cgroupLegend = `A "-" means not applicable (the cgroup is not in that controller's hierarchy,
or the kernel has no such file at the root); "?" means unknown (a file is
missing or unreadable: a warning says which). Unknown is never shown as 0.
Sizes are bytes, humanized on a terminal; CPU is seconds of CPU time; LIMIT
and QUOTA are effective (the minimum over the cgroup and its ancestors).`

type cgroupOptions struct {
	f          *Factory
	Target     string
	Depth      int
	Sort       string
	Procs      bool
	All        bool
	Interval   time.Duration
	Once       bool
	Iterations int
	// sleep waits between samples and now stamps them; tests replace
	// both.
	sleep func(ctx context.Context, d time.Duration) error
	now   func() time.Time
}

func newCgroupOptions(f *Factory) *cgroupOptions {
	return &cgroupOptions{f: f, Depth: -1, sleep: sleepCtx, now: time.Now}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func newCmdCgroup(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cgroup",
		Short: "Cgroups: tree, ls, show, top, check",
		Long: `Cgroups on v1, v2 and hybrid hosts, mapped onto one model: usage, limits,
effective (inherited) limits, OOM kills, CPU throttling, PIDs and pressure
(PSI), with processes named by container and pod.

The layout is detected from the mount table: v1 hierarchies (controllers from
the superblock options), the cgroup2 mount (also at /sys/fs/cgroup/unified on
hybrid hosts, where it serves cpu.stat and PSI even with no controllers
bound), and private cgroup namespaces, whose paths are relative to the
namespace root.

` + cgroupPrivileges,
		Example: `  # the hierarchy with usage, limits and processes
  ctx cgroup tree

  # why was this container OOM-killed? its limits, its pod's, the events
  ctx cgroup show web-1

  # everything in trouble on this host (exit 3 if anything is)
  ctx cgroup check`,
		Args: noArgs,
	}
	cmd.AddCommand(
		newCmdCgroupTree(f, nil),
		newCmdCgroupLs(f, nil),
		newCmdCgroupShow(f, nil),
		newCmdCgroupTop(f, nil),
		newCmdCgroupCheck(f, nil),
	)
	return cmd
}

func newCmdCgroupTree(f *Factory, runF func(context.Context, *cgroupOptions) error) *cobra.Command {
	opts := newCgroupOptions(f)
	opts.Procs = true
	cmd := &cobra.Command{
		Use:   "tree [<target> | <path>] [flags]",
		Short: "Show the cgroup hierarchy with usage, limits and processes",
		Long: `Show the cgroup hierarchy, the union of every hierarchy keyed by path, like
systemd-cgls but with the numbers: memory (current, working set = usage minus
inactive file cache, effective limit), CPU (usage, quota, throttled periods),
PIDs (current and effective max), OOM kills and PSI (some avg10 of cpu, memory
and io). Member processes are listed under their cgroup, named by container
and pod; kernel threads are left out.

PATH is a cgroup path such as /docker or /kubepods.slice; TARGET is a PID, a
container name or ID, or pod/NAMESPACE/NAME, and shows that cgroup's subtree.

` + cgroupLegend + `

` + cgroupPrivileges,
		Example: `  # the whole hierarchy, with processes
  ctx cgroup tree

  # one container's cgroup, and the pods two levels below kubepods
  ctx cgroup tree web-1
  ctx cgroup tree /kubepods.slice --depth 2

  # cgroups only, every column
  ctx cgroup tree --procs=false -o wide`,
		Args: maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return opts.run(cmd, args, runF, runCgroupTree, "")
		},
	}
	cmd.Flags().IntVar(&opts.Depth, "depth", -1, "levels below the top to show (-1: all)")
	cmd.Flags().BoolVar(&opts.Procs, "procs", true, "list member processes under their cgroup")
	cmd.Flags().BoolVar(&opts.All, "all-hierarchies", false, "also walk v1 hierarchies without statistics (cpuset, devices, freezer, name=systemd, ...)")
	return cmd
}

func newCmdCgroupLs(f *Factory, runF func(context.Context, *cgroupOptions) error) *cobra.Command {
	opts := newCgroupOptions(f)
	cmd := &cobra.Command{
		Use:   "ls [<target> | <path>] [flags]",
		Short: "List cgroups with usage, limits, throttling, PIDs, OOM kills and PSI",
		Long: `List cgroups as a flat table with the columns of ctx cgroup tree, sorted by
path or, with --sort, largest first by memory (current usage), cpu (CPU time
used), pids (current tasks), throttled (share of throttled CFS periods) or
oom (OOM kills). With a TARGET or PATH only that cgroup's subtree is listed.

Counters are cumulative since each cgroup was created; ctx cgroup top shows
rates.

` + cgroupLegend + `

` + cgroupPrivileges,
		Example: `  # every cgroup, biggest memory users first
  ctx cgroup ls --sort memory

  # who is throttled the most, with the limits' owners
  ctx cgroup ls --sort throttled -o wide

  # machine-readable
  ctx cgroup ls -o json | jq '.items[] | select(.memory.oomKills > 0) | .path'`,
		Args: maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return opts.run(cmd, args, runF, runCgroupLs, "memory|cpu|pids|throttled|oom")
		},
	}
	cmd.Flags().StringVar(&opts.Sort, "sort", "", "sort by memory, cpu, pids, throttled or oom (largest first)")
	cmd.Flags().IntVar(&opts.Depth, "depth", -1, "levels below the top to list (-1: all)")
	cmd.Flags().BoolVar(&opts.All, "all-hierarchies", false, "also walk v1 hierarchies without statistics (cpuset, devices, freezer, name=systemd, ...)")
	return cmd
}

func newCmdCgroupShow(f *Factory, runF func(context.Context, *cgroupOptions) error) *cobra.Command {
	opts := newCgroupOptions(f)
	cmd := &cobra.Command{
		Use:   "show <target> | <path>",
		Short: "Show one cgroup in depth: every controller, ancestors' limits, events, PSI, members",
		Long: `Show one cgroup in depth, v1 and v2 mapped onto one model with explicit units:
memory (usage, working set, breakdown, limits max/high/low/min, swap, peak),
cpu and cpuacct (quota, period, burst, weight or shares, usage, throttling),
cpuset (cpus and mems, effective), io or blkio (weights, per-device limits and
statistics), pids, hugetlb, the freezer state (cgroup.freeze, v1
freezer.state) and devices (the v1 allow list; on v2 whether a BPF device
program is attached). Then the limits of every ancestor, the effective limits
and who sets them, the events (memory.events and .local, v1 oom_control,
pids.events), PSI and the member processes.

TARGET is a PID, a container name or ID, or pod/NAMESPACE/NAME; PATH a cgroup
path. For a process, its memory cgroup is shown (v1 allows a different path
per hierarchy; a warning names them).

Privileges: cgroupfs is world-readable; root is needed to name other users'
processes, and CAP_NET_ADMIN or CAP_SYS_ADMIN to query a v2 device program.
In a container, run with --cgroupns=host (and --pid=host).`,
		Example: `  # a container's cgroup
  ctx cgroup show web-1

  # a cgroup by path, as JSON
  ctx cgroup show /kubepods.slice/kubepods-burstable.slice -o json

  # the cgroup of a process
  ctx cgroup show 4242`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return opts.run(cmd, args, runF, runCgroupShow, "")
		},
	}
	return cmd
}

func newCmdCgroupTop(f *Factory, runF func(context.Context, *cgroupOptions) error) *cobra.Command {
	opts := newCgroupOptions(f)
	cmd := &cobra.Command{
		Use:   "top [<target> | <path>] [flags]",
		Short: "Live view of cgroups: CPU %, throttling rate, IO rate, memory, PIDs",
		Long: `Sample the cgroups every --interval and show rates between two samples: CPU %
(of one CPU), throttled % (throttled CFS periods per elapsed period) and
throttled seconds per second, IO read and write bytes per second, OOM kills,
beside memory and PIDs. Rates are keyed by cgroup path and inode: a cgroup
recreated between samples shows "?".

Without a terminal each sample is printed as a frame after a header line; on a
terminal the screen is redrawn. With -o json each sample is one JSON object
(kind CgroupSample). --once prints one sample (two scans, --interval apart);
-n stops after that many.

` + cgroupLegend + `

` + cgroupPrivileges,
		Example: `  # like systemd-cgtop, with throttling
  ctx cgroup top

  # three samples, 2 s apart, the busiest IO first
  ctx cgroup top --interval 2s -n 3 --sort io

  # one sample as JSON
  ctx cgroup top --once -o json`,
		Args: maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return opts.run(cmd, args, runF, runCgroupTop, "cpu|memory|pids|throttled|io|oom")
		},
	}
	cmd.Flags().DurationVar(&opts.Interval, "interval", time.Second, "time between samples")
	cmd.Flags().StringVar(&opts.Sort, "sort", "cpu", "sort by cpu, memory, pids, throttled, io or oom (largest first)")
	cmd.Flags().BoolVar(&opts.Once, "once", false, "print one sample and exit (same as -n 1)")
	cmd.Flags().IntVarP(&opts.Iterations, "iterations", "n", 0, "stop after this many samples (0: until interrupted)")
	cmd.Flags().IntVar(&opts.Depth, "depth", -1, "levels below the top to show (-1: all)")
	return cmd
}

func newCmdCgroupCheck(f *Factory, runF func(context.Context, *cgroupOptions) error) *cobra.Command {
	opts := newCgroupOptions(f)
	cmd := &cobra.Command{
		Use:   "check [<target> | <path>] [flags]",
		Short: "Find cgroup trouble: OOM kills, near limits, throttling, PID exhaustion, pressure",
		Long: `Check cgroups for trouble and exit 3 when there is any. Thresholds:

  OOM_KILLED          critical  OOM kills (memory.events.local oom_kill, v1 oom_control oom_kill)
  OOM_AT_ANCESTOR     critical  kills, or a fired limit, where the limit sits on an ancestor (a pod)
  UNDER_OOM           critical  v1 tasks hang at the limit (under_oom with oom_kill_disable)
  NEAR_LIMIT          warning   working set >= 90% of the effective memory limit (critical >= 98%)
  LIMIT_HITS          warning   reclaim at its own memory.max (memory.events.local max; v2 only)
  HIGH_THROTTLED      warning   throttled above its memory.high (memory.events.local high)
  SWAP                warning   swap >= 90% of memory.swap.max, or swap allocations failed (memory.swap.events; v2 only)
  CPU_THROTTLED       warning   throttled periods >= 25% (critical >= 50%)
  INHERITED_THROTTLE  warning   throttled by an ancestor's CPU quota, none of its own (cpu.stat.local)
  PIDS_NEAR_MAX       warning   tasks >= 80% of the effective pids.max (critical >= 95%)
  FORK_REJECTED       critical  forks rejected by pids.max (pids.events max)
  MEM_PRESSURE        warning   memory some avg10 >= 10% (critical: full avg10 >= 10% or some avg60 >= 40%)
  CPU_PRESSURE        warning   cpu some avg10 >= 20% (self-inflicted when the cgroup is throttled)
  IO_PRESSURE         warning   io full avg10 >= 10%
  IO_LIMITED          warning   read or write rate >= 90% of its io.max / blkio.throttle limit on a device (needs --interval)
  DYING_CGROUPS       warning   more than 1000 dying cgroups, or more than 10x the live ones
  FROZEN              info      frozen, or stuck freezing (docker pause; cgroup.events frozen, v1 freezer.state)
  EMPTY               info      a container's cgroup with no process left (cgroup.events populated 0; v2 only)

Counters are cumulative since each cgroup was created; with --interval they
are what changed between two samples that far apart. With a TARGET or PATH
only that cgroup's subtree is checked.

Exit codes: 0 no warning or critical finding (info findings are listed, not
counted), 3 warnings or criticals, 1 error.

` + cgroupPrivileges,
		Example: `  # the whole host
  ctx cgroup check

  # one container; only what happens in the next 10 s
  ctx cgroup check web-1 --interval 10s

  # findings as JSON, for alerting
  ctx cgroup check -o json | jq '.items[] | select(.level == "critical")'`,
		Args: maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return opts.run(cmd, args, runF, runCgroupCheck, "")
		},
	}
	cmd.Flags().DurationVar(&opts.Interval, "interval", 0, "compare two samples this far apart instead of counting since creation")
	return cmd
}

// run validates (before the host is touched) and runs the command.
func (o *cgroupOptions) run(cmd *cobra.Command, args []string, runF, def func(context.Context, *cgroupOptions) error, sorts string) error {
	if err := o.f.Printer.Validate(); err != nil {
		return err
	}
	if len(args) == 1 {
		o.Target = args[0]
	}
	if o.Sort != "" && !slices.Contains(strings.Split(sorts, "|"), o.Sort) {
		return &usageError{fmt.Errorf("invalid --sort %q: use one of %s", o.Sort, strings.ReplaceAll(sorts, "|", ", "))}
	}
	if o.Depth < -1 {
		return &usageError{fmt.Errorf("invalid --depth %d: use -1 (all) or more", o.Depth)}
	}
	if o.Interval < 0 || (o.Interval == 0 && cmd.Name() == "top") {
		return &usageError{fmt.Errorf("invalid --interval %s: use a positive duration", o.Interval)}
	}
	if o.Iterations < 0 {
		return &usageError{fmt.Errorf("invalid -n %d: use 0 (until interrupted) or more", o.Iterations)}
	}
	if runF == nil {
		runF = def
	}
	return runF(cmd.Context(), o)
}

// cgroupEnv is what every cgroup command reads first: the host, its
// cgroup layout and the runtimes' state that names containers.
type cgroupEnv struct {
	root     hostfs.Root
	layout   *cgroupview.Layout
	rt       *inspect.Runtimes
	warnings []string
}

// newCgroupEnv reads the host's cgroup environment and resolves target to
// the cgroup path the command starts at.
func newCgroupEnv(f *Factory, target string) (*cgroupEnv, string, error) {
	root, err := f.Host()
	if err != nil {
		return nil, "", err
	}
	l, err := cgroupview.Detect(root)
	if err != nil {
		return nil, "", err
	}
	rt := inspect.LoadRuntimes(root)
	env := &cgroupEnv{root: root, layout: l, rt: rt}
	env.warnings = append(append(env.warnings, l.Warnings...), rt.Warnings...)
	top, err := env.resolve(target)
	if err != nil {
		return nil, "", err
	}
	return env, top, nil
}

// resolve turns a TARGET or PATH into a cgroup path: an existing cgroup
// path as given, else a process, container or pod by inspect.Resolve and
// the cgroup of its (init) process; a pod's is its containers' parent.
func (env *cgroupEnv) resolve(target string) (string, error) {
	if target == "" {
		return "/", nil
	}
	if strings.HasPrefix(target, "/") && cgroupview.Exists(env.root, env.layout, target) {
		return path.Clean(target), nil
	}
	t, err := env.rt.Resolve(target)
	if err != nil {
		if strings.HasPrefix(target, "/") {
			return "", fmt.Errorf("no cgroup %q in any hierarchy, and %w", target, err)
		}
		return "", err
	}
	if t.PID == 0 {
		return "", fmt.Errorf("%s %q has no process, so no cgroup", t.Kind, target)
	}
	m, err := cgroupview.ForPID(env.root, env.layout, t.PID)
	if err != nil {
		return "", err
	}
	p, warn := m.CgroupPath(env.layout)
	env.warnings = append(append(env.warnings, m.Warnings...), warn...)
	if t.Kind == "pod" && p != "/" {
		p = path.Dir(p)
	}
	return p, nil
}

func (env *cgroupEnv) scan(opts cgroupview.ScanOptions) (*cgroupview.Tree, error) {
	opts.Name = env.rt.FromCgroup
	return cgroupview.Scan(env.root, env.layout, opts)
}

// --- tree and ls ---

// cgroupItem is a node with its processes, as tree prints it.
type cgroupItem struct {
	*cgroupview.Node
	Processes []*inspect.Process `json:"processes,omitempty"`
}

func runCgroupTree(ctx context.Context, opts *cgroupOptions) error {
	env, top, err := newCgroupEnv(opts.f, opts.Target)
	if err != nil {
		return err
	}
	t, err := env.scan(cgroupview.ScanOptions{Top: top, Depth: opts.Depth, Procs: opts.Procs, AllHierarchies: opts.All})
	if err != nil {
		return err
	}
	items := make([]cgroupItem, len(t.Nodes))
	tty := opts.f.IO.IsStdoutTTY()
	tbl := &printers.Table{Columns: cgroupColumns("CGROUP")}
	for i, n := range t.Nodes {
		items[i] = cgroupItem{Node: n}
		if opts.Procs {
			items[i].Processes = env.processes(n.Procs)
		}
		tbl.Rows = append(tbl.Rows, nodeRow(n, treeName(n), tty))
		for _, p := range items[i].Processes {
			tbl.Rows = append(tbl.Rows, processRow(p, n))
		}
	}
	return opts.f.Emit(printers.Doc{
		Kind:     "CgroupTree",
		Items:    items,
		Table:    tbl,
		Warnings: append(env.warnings, t.Warnings...),
	})
}

// processes reads and names the processes of pids, leaving out kernel
// threads and those gone meanwhile.
func (env *cgroupEnv) processes(pids []int) []*inspect.Process {
	var out []*inspect.Process
	for _, pid := range pids {
		p, err := inspect.ReadProcess(env.root, pid)
		if err != nil || p.KernelThread {
			continue
		}
		env.rt.NameProcess(p)
		out = append(out, p)
	}
	return out
}

// treeName indents a node's name under its parent, like ns ls --tree.
func treeName(n *cgroupview.Node) string {
	if n.Parent == "" {
		return n.Path
	}
	return strings.Repeat("  ", n.Depth-1) + "└─" + n.Name()
}

// processRow is a member process under its cgroup's row.
func processRow(p *inspect.Process, n *cgroupview.Node) []string {
	row := make([]string, len(cgroupColumnSet))
	indent := strings.Repeat("  ", n.Depth)
	row[0] = indent + "· " + strconv.Itoa(p.PID) + " " + p.Command()
	c := cellsOf(p.Container)
	row[1] = c.label
	row[colPod] = c.pod
	return row
}

func runCgroupLs(ctx context.Context, opts *cgroupOptions) error {
	env, top, err := newCgroupEnv(opts.f, opts.Target)
	if err != nil {
		return err
	}
	t, err := env.scan(cgroupview.ScanOptions{Top: top, Depth: opts.Depth, Procs: true, AllHierarchies: opts.All})
	if err != nil {
		return err
	}
	nodes := slices.Clone(t.Nodes)
	if opts.Sort != "" {
		sortNodes(nodes, opts.Sort)
	}
	tty := opts.f.IO.IsStdoutTTY()
	tbl := &printers.Table{Columns: cgroupColumns("CGROUP")}
	for _, n := range nodes {
		tbl.Rows = append(tbl.Rows, nodeRow(n, n.Path, tty))
	}
	return opts.f.Emit(printers.Doc{
		Kind:     "CgroupList",
		Items:    nodes,
		Table:    tbl,
		Warnings: append(env.warnings, t.Warnings...),
	})
}

// sortNodes orders nodes largest first by key; unknown values go last,
// ties by path.
func sortNodes(nodes []*cgroupview.Node, key string) {
	val := func(n *cgroupview.Node) (float64, bool) {
		switch key {
		case "memory":
			if n.Memory != nil && n.Memory.Current != nil {
				return float64(*n.Memory.Current), true
			}
		case "cpu":
			if n.CPU != nil && n.CPU.UsageUsec != nil {
				return float64(*n.CPU.UsageUsec), true
			}
		case "pids":
			if n.PIDs != nil && n.PIDs.Current != nil {
				return float64(*n.PIDs.Current), true
			}
		case "throttled":
			return n.CPU.ThrottledPct()
		case "oom":
			if n.Memory != nil && n.Memory.OOMKills != nil {
				return float64(*n.Memory.OOMKills), true
			}
		}
		return 0, false
	}
	largestFirst(nodes, val, func(n *cgroupview.Node) string { return n.Path })
}

// largestFirst sorts s largest first by val; unknown values go last, ties
// by path.
func largestFirst[T any](s []T, val func(T) (float64, bool), path func(T) string) {
	sort.SliceStable(s, func(i, j int) bool {
		a, okA := val(s[i])
		b, okB := val(s[j])
		switch {
		case okA != okB:
			return okA
		case a != b:
			return a > b
		}
		return path(s[i]) < path(s[j])
	})
}

// Column indexes of the wide-only columns processRow fills.
const colPod = 13

var cgroupColumnSet = []printers.Column{
	{Header: ""}, {Header: "CONTAINER"}, {Header: "PROCS"}, {Header: "MEMORY"}, {Header: "WSET"},
	{Header: "LIMIT"}, {Header: "CPU"}, {Header: "QUOTA"}, {Header: "THROTTLED"}, {Header: "PIDS"},
	{Header: "OOM"}, {Header: "PSI-CPU/MEM/IO"},
	{Header: "CACHE", Wide: true}, {Header: "POD", Wide: true}, {Header: "SHMEM", Wide: true},
	{Header: "LIMIT-BY", Wide: true}, {Header: "QUOTA-BY", Wide: true}, {Header: "PIDS-BY", Wide: true},
	{Header: "PSI-FULL10", Wide: true}, {Header: "PSI-SOME60", Wide: true}, {Header: "CONTROLLERS", Wide: true},
}

func cgroupColumns(first string) []printers.Column {
	cols := slices.Clone(cgroupColumnSet)
	cols[0].Header = first
	return cols
}

// nodeRow renders one node; name is the first cell (a path or an
// indented name).
func nodeRow(n *cgroupview.Node, name string, tty bool) []string {
	isRoot := n.Path == "/"
	unknown := "?"
	if isRoot {
		unknown = "-" // the kernel has no such file at the root
	}
	size := func(v *uint64, applicable bool) string {
		switch {
		case !applicable:
			return "-"
		case v == nil:
			return unknown
		case tty:
			return humanBytes(*v)
		}
		return strconv.FormatUint(*v, 10)
	}
	count := func(v *uint64, applicable bool) string {
		switch {
		case !applicable:
			return "-"
		case v == nil:
			return unknown
		}
		return strconv.FormatUint(*v, 10)
	}
	m, c, p, eff := n.Memory, n.CPU, n.PIDs, n.Effective
	row := make([]string, len(cgroupColumnSet))
	row[0] = name
	row[1] = containerLabel(n)
	switch {
	case n.Procs != nil:
		row[2] = strconv.Itoa(len(n.Procs))
	case n.ProcsFrom != "":
		row[2] = "?" // cgroup.procs unreadable: warned
	default:
		row[2] = "-" // not read (tree --procs=false)
	}
	var cur, ws, file, shmem, oom *uint64
	if m != nil {
		cur, ws, file, shmem, oom = m.Current, m.WorkingSet, m.File, m.Shmem, m.OOMKills
	}
	row[3] = size(cur, m != nil)
	row[4] = size(ws, m != nil)
	row[5], row[15] = effCells(memEff(eff), m != nil, func(v uint64) string { return size(&v, true) })
	row[6] = "-"
	if c != nil {
		row[6] = unknown
		if c.UsageUsec != nil {
			row[6] = strconv.FormatFloat(float64(*c.UsageUsec)/1e6, 'f', 2, 64)
		}
	}
	hasCPU := c != nil && n.Has("cpu")
	row[7], row[16] = cpuCells(cpuEff(eff), hasCPU)
	row[8] = "-"
	if hasCPU {
		switch pct, ok := c.ThrottledPct(); {
		case ok:
			row[8] = strconv.FormatFloat(pct, 'f', 1, 64) + "%"
		case c.NrPeriods != nil:
			row[8] = "0%"
		default:
			row[8] = unknown
		}
	}
	row[9] = "-"
	row[17] = "-"
	if p != nil {
		lim, by := effCells(pidsEff(eff), true, func(v uint64) string { return strconv.FormatUint(v, 10) })
		row[9] = count(p.Current, true) + "/" + lim
		row[17] = by
	}
	row[10] = count(oom, m != nil)
	row[11], row[18], row[19] = psiCells(n)
	row[12] = size(file, m != nil)
	row[13] = podLabel(n)
	row[14] = size(shmem, m != nil)
	row[20] = strings.Join(n.Controllers, ",")
	return row
}

// effCells renders an effective limit and who sets it.
func effCells(e *cgroupview.Effective, applicable bool, format func(uint64) string) (string, string) {
	switch {
	case !applicable:
		return "-", "-"
	case e == nil:
		return "?", "?"
	case e.Unlimited || e.Max == nil:
		return "none", "-"
	}
	return format(*e.Max), orDash(e.SetBy)
}

func cpuCells(e *cgroupview.EffectiveCPU, applicable bool) (string, string) {
	switch {
	case !applicable:
		return "-", "-"
	case e == nil:
		return "?", "?"
	case e.Cores == nil:
		return "none", "-"
	}
	return strconv.FormatFloat(*e.Cores, 'f', -1, 64), orDash(e.SetBy)
}

// psiCells renders cpu/memory/io some avg10, full avg10 and some avg60.
func psiCells(n *cgroupview.Node) (string, string, string) {
	if n.PSI == nil {
		if n.Unified {
			return "?", "?", "?"
		}
		return "-", "-", "-"
	}
	cell := func(get func(*cgroupview.Pressure) (float64, bool)) string {
		parts := make([]string, 3)
		for i, p := range []*cgroupview.Pressure{n.PSI.CPU, n.PSI.Memory, n.PSI.IO} {
			parts[i] = "?"
			if p != nil {
				if v, ok := get(p); ok {
					parts[i] = strconv.FormatFloat(v, 'f', 1, 64)
				} else {
					parts[i] = "-"
				}
			}
		}
		return strings.Join(parts, "/")
	}
	some10 := cell(func(p *cgroupview.Pressure) (float64, bool) { return p.Some.Avg10, true })
	full10 := cell(func(p *cgroupview.Pressure) (float64, bool) {
		if p.Full == nil {
			return 0, false
		}
		return p.Full.Avg10, true
	})
	some60 := cell(func(p *cgroupview.Pressure) (float64, bool) { return p.Some.Avg60, true })
	return some10, full10, some60
}

// containerLabel is the CONTAINER cell: the container, or the pod whose
// own cgroup this is.
func containerLabel(n *cgroupview.Node) string {
	switch {
	case n.Container != nil:
		return n.Container.Label()
	case n.Pod != nil:
		return "pod:" + podName(n.Pod)
	}
	return "-"
}

func podLabel(n *cgroupview.Node) string {
	switch {
	case n.Container != nil && n.Container.Pod != nil:
		return podName(n.Container.Pod)
	case n.Pod != nil:
		return podName(n.Pod)
	}
	return "-"
}

func podName(p *inspect.Pod) string {
	if p.Name == "" {
		return "uid:" + p.UID
	}
	return orDash(p.Namespace) + "/" + p.Name
}

// --- show ---

// cgroupShown is what show prints as JSON: the cgroup and its member
// processes, named.
type cgroupShown struct {
	*cgroupview.Detail
	Processes []*inspect.Process `json:"processes"`
}

func runCgroupShow(ctx context.Context, opts *cgroupOptions) error {
	env, p, err := newCgroupEnv(opts.f, opts.Target)
	if err != nil {
		return err
	}
	d, err := cgroupview.ReadCgroup(env.root, env.layout, p, env.rt.FromCgroup)
	if err != nil {
		return err
	}
	shown := &cgroupShown{Detail: d, Processes: env.processes(d.Procs)}
	if shown.Processes == nil {
		shown.Processes = []*inspect.Process{}
	}
	tty := opts.f.IO.IsStdoutTTY()
	return opts.f.Emit(printers.Doc{
		Kind:     "CgroupDetail",
		Item:     shown,
		Text:     func(w io.Writer) error { writeCgroupDetail(w, shown, tty); return nil },
		Warnings: append(env.warnings, d.Warnings...),
	})
}

// --- top ---

// cgroupSample is one frame of top as JSON.
type cgroupSample struct {
	Time            time.Time `json:"time"`
	IntervalSeconds float64   `json:"intervalSeconds"`
	Top             string    `json:"top"`
	Rows            []topRow  `json:"rows"`
}

// topRow is one cgroup of a sample.
type topRow struct {
	cgroupview.Rate
	Container       *inspect.Container       `json:"container,omitempty"`
	Pod             *inspect.Pod             `json:"pod,omitempty"`
	MemoryBytes     *uint64                  `json:"memoryBytes,omitempty"`
	WorkingSetBytes *uint64                  `json:"workingSetBytes,omitempty"`
	MemoryLimit     *cgroupview.Effective    `json:"memoryLimit,omitempty"`
	CPULimit        *cgroupview.EffectiveCPU `json:"cpuLimit,omitempty"`
	Tasks           *uint64                  `json:"tasks,omitempty"`
	OOMKillsTotal   *uint64                  `json:"oomKillsTotal,omitempty"`
	node            *cgroupview.Node
}

var topColumns = []printers.Column{
	{Header: "CGROUP"}, {Header: "CONTAINER"}, {Header: "CPU%"}, {Header: "THROTTLED%"}, {Header: "THR-S/S"},
	{Header: "READ/S"}, {Header: "WRITE/S"}, {Header: "MEMORY"}, {Header: "LIMIT"}, {Header: "TASKS"}, {Header: "OOM"},
	{Header: "QUOTA", Wide: true}, {Header: "POD", Wide: true}, {Header: "WSET", Wide: true}, {Header: "OOM-TOTAL", Wide: true},
}

func runCgroupTop(ctx context.Context, opts *cgroupOptions) error {
	env, top, err := newCgroupEnv(opts.f, opts.Target)
	if err != nil {
		return err
	}
	so := cgroupview.ScanOptions{Top: top, Depth: opts.Depth, IO: true, Now: opts.now}
	prev, err := env.scan(so)
	if err != nil {
		return err
	}
	n := opts.Iterations
	if opts.Once {
		n = 1
	}
	printed := map[string]bool{}
	for i := 0; n == 0 || i < n; i++ {
		if err := opts.sleep(ctx, opts.Interval); err != nil {
			if errors.Is(err, context.Canceled) {
				return nil // Ctrl-C ends a live view normally
			}
			return err
		}
		cur, err := env.scan(so)
		if err != nil {
			return err
		}
		if err := emitSample(opts, env, prev, cur, printed); err != nil {
			return err
		}
		prev = cur
	}
	return nil
}

// emitSample prints one frame: a header and a table, or one JSON object.
// Table warnings are printed once, the first time they occur.
func emitSample(opts *cgroupOptions, env *cgroupEnv, prev, cur *cgroupview.Tree, printed map[string]bool) error {
	rates := cgroupview.Rates(prev, cur)
	rows := make([]topRow, len(rates))
	for i, r := range rates {
		n := cur.Nodes[i]
		row := topRow{Rate: r, Container: n.Container, Pod: n.Pod, node: n}
		if n.Memory != nil {
			row.MemoryBytes, row.WorkingSetBytes, row.OOMKillsTotal = n.Memory.Current, n.Memory.WorkingSet, n.Memory.OOMKills
			row.MemoryLimit = memEff(n.Effective)
		}
		if n.PIDs != nil {
			row.Tasks = n.PIDs.Current
		}
		row.CPULimit = cpuEff(n.Effective)
		rows[i] = row
	}
	sortTop(rows, opts.Sort)
	interval := cgroupview.Interval(prev, cur)
	sample := cgroupSample{Time: cur.Time.UTC(), IntervalSeconds: interval.Seconds(), Top: cur.Top, Rows: rows}
	warnings := append(slices.Clone(env.warnings), cur.Warnings...)
	if opts.f.Printer.Output == "json" {
		return opts.f.Emit(printers.Doc{Kind: "CgroupSample", Item: sample, Warnings: warnings})
	}
	var fresh []string
	for _, w := range warnings {
		if !printed[w] {
			printed[w] = true
			fresh = append(fresh, w)
		}
	}
	tty := opts.f.IO.IsStdoutTTY()
	if tty {
		fmt.Fprint(opts.f.IO.Out, "\x1b[H\x1b[2J") // redraw: cursor home, clear screen
	}
	fmt.Fprintf(opts.f.IO.Out, "ctx cgroup top: %s, %d cgroups, interval %s, sorted by %s\n",
		cur.Time.UTC().Format(time.RFC3339), len(rows), interval.Round(time.Millisecond), opts.Sort)
	tbl := &printers.Table{Columns: topColumns}
	for _, r := range rows {
		tbl.Rows = append(tbl.Rows, topRowCells(r, tty))
	}
	if err := opts.f.Emit(printers.Doc{Kind: "CgroupSample", Item: sample, Table: tbl, Warnings: fresh}); err != nil {
		return err
	}
	if !tty {
		fmt.Fprintln(opts.f.IO.Out)
	}
	return nil
}

func sortTop(rows []topRow, key string) {
	val := func(r topRow) (float64, bool) {
		f := func(p *float64) (float64, bool) {
			if p == nil {
				return 0, false
			}
			return *p, true
		}
		u := func(p *uint64) (float64, bool) {
			if p == nil {
				return 0, false
			}
			return float64(*p), true
		}
		switch key {
		case "cpu":
			return f(r.CPUPct)
		case "throttled":
			return f(r.ThrottledPct)
		case "io":
			a, okA := f(r.ReadBPS)
			b, okB := f(r.WriteBPS)
			return a + b, okA || okB
		case "memory":
			return u(r.MemoryBytes)
		case "pids":
			return u(r.Tasks)
		case "oom":
			return u(r.OOMKills)
		}
		return 0, false
	}
	largestFirst(rows, val, func(r topRow) string { return r.Path })
}

func topRowCells(r topRow, tty bool) []string {
	n := r.node
	pct := func(p *float64, applicable bool) string {
		switch {
		case !applicable:
			return "-"
		case p == nil:
			return "?"
		}
		return strconv.FormatFloat(*p, 'f', 1, 64)
	}
	rate := func(p *float64, applicable bool) string {
		switch {
		case !applicable:
			return "-"
		case p == nil:
			return "?"
		case tty:
			return humanBytes(uint64(*p + 0.5))
		}
		return strconv.FormatFloat(*p, 'f', 0, 64)
	}
	row := nodeRow(n, n.Path, tty)
	hasCPU := n.CPU != nil && n.Has("cpu")
	thr := pct(r.ThrottledPct, hasCPU)
	if hasCPU && r.ThrottledPct == nil && n.CPU.NrPeriods != nil {
		thr = "0.0" // no period elapsed: no quota or idle
	}
	thrS := "-"
	if hasCPU {
		thrS = "?"
		if r.ThrottledPerSec != nil {
			thrS = strconv.FormatFloat(*r.ThrottledPerSec, 'f', 2, 64)
		}
	}
	oom := "-"
	if n.Memory != nil {
		oom = "?"
		if r.OOMKills != nil {
			oom = strconv.FormatUint(*r.OOMKills, 10)
		}
	}
	return []string{
		n.Path, row[1], pct(r.CPUPct, n.CPU != nil), thr, thrS,
		rate(r.ReadBPS, n.IO != nil), rate(r.WriteBPS, n.IO != nil), row[3], row[5], strings.SplitN(row[9], "/", 2)[0], oom,
		row[7], row[13], row[4], row[10],
	}
}

// --- check ---

var checkColumns = []printers.Column{
	{Header: "LEVEL"}, {Header: "CODE"}, {Header: "CGROUP"}, {Header: "CONTAINER"}, {Header: "MESSAGE"},
	{Header: "VALUE", Wide: true}, {Header: "THRESHOLD", Wide: true}, {Header: "SET-BY", Wide: true},
}

func runCgroupCheck(ctx context.Context, opts *cgroupOptions) error {
	env, top, err := newCgroupEnv(opts.f, opts.Target)
	if err != nil {
		return err
	}
	so := cgroupview.ScanOptions{Top: top, Depth: -1, Swap: true, Freeze: true, IOLimits: true, Now: opts.now}
	cur, err := env.scan(so)
	if err != nil {
		return err
	}
	var prev *cgroupview.Tree
	if opts.Interval > 0 {
		if err := opts.sleep(ctx, opts.Interval); err != nil {
			return err
		}
		prev = cur
		if cur, err = env.scan(so); err != nil {
			return err
		}
	}
	findings := cgroupview.Check(cur, prev)
	if findings == nil {
		findings = []cgroupview.Finding{}
	}
	tbl := &printers.Table{Columns: checkColumns}
	for _, fd := range findings {
		c := "-"
		if fd.Container != nil {
			c = fd.Container.Label()
		}
		tbl.Rows = append(tbl.Rows, []string{
			strings.ToUpper(string(fd.Level)), fd.Code, fd.Path, c, fd.Message,
			strconv.FormatFloat(fd.Value, 'f', -1, 64), strconv.FormatFloat(fd.Threshold, 'f', -1, 64), orDash(fd.SetBy),
		})
	}
	if err := opts.f.Emit(printers.Doc{
		Kind:     "CgroupFindingList",
		Items:    findings,
		Table:    tbl,
		Warnings: append(env.warnings, cur.Warnings...),
	}); err != nil {
		return err
	}
	problems := 0
	for _, fd := range findings {
		if fd.Problem() {
			problems++
		}
	}
	if problems > 0 {
		return &FindingsError{N: problems}
	}
	if len(findings) == 0 && opts.f.Printer.Output != "json" {
		fmt.Fprintf(opts.f.IO.ErrOut, "no findings in %d cgroups\n", len(cur.Nodes))
	}
	return nil
}

// memEff, cpuEff and pidsEff read a possibly nil Limits.
func memEff(l *cgroupview.Limits) *cgroupview.Effective {
	if l == nil {
		return nil
	}
	return l.Memory
}

func cpuEff(l *cgroupview.Limits) *cgroupview.EffectiveCPU {
	if l == nil {
		return nil
	}
	return l.CPU
}

func pidsEff(l *cgroupview.Limits) *cgroupview.Effective {
	if l == nil {
		return nil
	}
	return l.PIDs
}

// detailWriter renders show's sections with explicit units.
type detailWriter struct {
	sectionWriter
	tty bool
}

func (w *detailWriter) size(v *uint64) string {
	switch {
	case v == nil:
		return "unknown"
	case w.tty:
		return humanBytes(*v)
	}
	return strconv.FormatUint(*v, 10) + " bytes"
}

func (w *detailWriter) eff(e *cgroupview.Effective, unit func(*uint64) string, own string) string {
	switch {
	case e == nil:
		return "unknown"
	case e.Unlimited || e.Max == nil:
		return "none"
	case e.SetBy == own:
		return unit(e.Max) + " (its own)"
	}
	return unit(e.Max) + " (set by " + e.SetBy + ")"
}

func usec(v *uint64) string {
	if v == nil {
		return "unknown"
	}
	return strconv.FormatFloat(float64(*v)/1e6, 'f', 6, 64) + " s"
}

func yesNo(b *bool) string {
	switch {
	case b == nil:
		return "unknown"
	case *b:
		return "yes"
	}
	return "no"
}

func cpuMax(m *cgroupview.CPUMax) string {
	switch {
	case m == nil:
		return "unknown"
	case m.Unlimited || m.QuotaUsec == nil:
		if m.PeriodUsec > 0 {
			return fmt.Sprintf("none (period %d µs)", m.PeriodUsec)
		}
		return "none"
	}
	cores, _ := m.CPUs()
	return fmt.Sprintf("%d µs per %d µs period (%s CPUs)", *m.QuotaUsec, m.PeriodUsec, strconv.FormatFloat(cores, 'f', -1, 64))
}

func writeCgroupDetail(out io.Writer, d *cgroupShown, tty bool) {
	w := &detailWriter{sectionWriter{out}, tty}
	w.head("Cgroup")
	w.kv("path", d.Path)
	w.kv("container", containerLabel(&d.Node))
	w.kv("pod", podLabel(&d.Node))
	w.kv("mode", string(d.Mode))
	w.kv("controllers", orDash(strings.Join(d.Controllers, ",")))
	for _, hd := range d.Dirs {
		name := strings.Join(hd.Controllers, ",")
		if hd.Version == 2 {
			name = "cgroup2"
			if len(hd.Controllers) > 0 {
				name += " (" + strings.Join(hd.Controllers, ",") + ")"
			}
		}
		procs := "1 process"
		if len(hd.Procs) != 1 {
			procs = strconv.Itoa(len(hd.Procs)) + " processes"
		}
		w.kv("dir", fmt.Sprintf("%s: %s (%s)", name, hd.Dir, procs))
	}
	if d.Populated != nil {
		w.kv("populated", yesNo(d.Populated))
	}
	if d.Descendants != nil {
		w.kv("descendants", fmt.Sprintf("%d live, %d dying", d.Descendants.Live, d.Descendants.Dying))
	}
	writeDetailMemory(w, d)
	writeDetailCPU(w, d)
	if c := d.Cpuset; c != nil {
		w.head(fmt.Sprintf("Cpuset (v%d)", c.Version))
		n := "unknown"
		if c.NumEffectiveCPUs != nil {
			n = strconv.Itoa(*c.NumEffectiveCPUs)
		}
		w.kv("cpus", fmt.Sprintf("%s (effective %s: %s CPUs)", orDash(c.CPUs), orDash(c.EffectiveCPUs), n))
		w.kv("mems", fmt.Sprintf("%s (effective %s)", orDash(c.Mems), orDash(c.EffectiveMems)))
		if c.Partition != "" {
			w.kv("partition", c.Partition)
		}
	}
	if io := d.IO; io != nil {
		w.head(fmt.Sprintf("IO (v%d)", io.Version))
		if io.Weight != nil {
			w.kv("weight", countOf(io.Weight))
		}
		w.kv("total", fmt.Sprintf("read %s in %s IOs, write %s in %s IOs", w.size(io.ReadBytes), countOf(io.ReadIOs), w.size(io.WriteBytes), countOf(io.WriteIOs)))
		for _, dev := range io.Devices {
			v := fmt.Sprintf("read %s in %s IOs, write %s in %s IOs", w.size(dev.ReadBytes), countOf(dev.ReadIOs), w.size(dev.WriteBytes), countOf(dev.WriteIOs))
			var lim []string
			for _, l := range []struct {
				name string
				v    *uint64
			}{{"rbps", dev.ReadBPS}, {"wbps", dev.WriteBPS}, {"riops", dev.ReadIOPS}, {"wiops", dev.WriteIOPS}, {"weight", dev.Weight}} {
				if l.v != nil {
					lim = append(lim, l.name+"="+strconv.FormatUint(*l.v, 10))
				}
			}
			if len(lim) > 0 {
				v += "; limits " + strings.Join(lim, " ")
			}
			w.kv(dev.Device, v)
		}
	}
	if p := d.PIDs; p != nil {
		w.head(fmt.Sprintf("PIDs (v%d)", p.Version))
		w.kv("current", countOf(p.Current))
		w.kv("limit", limitOf(p.Limit, countOf))
		w.kv("effective limit", w.eff(pidsEff(d.Effective), countOf, d.Path))
		if p.Peak != nil {
			w.kv("peak", countOf(p.Peak))
		}
		ev := "max " + countOf(p.EventsMax) + " (forks rejected at the limit)"
		if p.LocalEventsMax != nil {
			ev += ", local max " + countOf(p.LocalEventsMax)
		}
		w.kv("events", ev)
	}
	for _, hp := range d.Hugetlb {
		w.head(fmt.Sprintf("Hugetlb %s (v%d)", hp.PageSize, hp.Version))
		w.kv("current", w.size(hp.Current))
		w.kv("limit", limitOf(hp.Limit, w.size))
		if hp.EventsMax != nil {
			w.kv("events", "max "+countOf(hp.EventsMax))
		}
		if hp.FailCnt != nil {
			w.kv("failcnt", countOf(hp.FailCnt))
		}
	}
	if fz := d.Freezer; fz != nil {
		w.head(fmt.Sprintf("Freezer (v%d)", fz.Version))
		w.kv("state", fz.State)
		if fz.SelfFreezing != nil || fz.ParentFreezing != nil {
			w.kv("frozen by", "itself "+yesNo(fz.SelfFreezing)+", an ancestor "+yesNo(fz.ParentFreezing))
		}
	}
	if dv := d.Devices; dv != nil {
		w.head(fmt.Sprintf("Devices (v%d)", dv.Version))
		if dv.Version == 1 {
			if len(dv.Allow) == 0 {
				w.kv("allow", "nothing")
			}
			for _, a := range dv.Allow {
				w.kv("allow", a)
			}
		} else {
			w.kv("bpf program", yesNo(dv.BPFProgram))
		}
	}
	w.head("PSI")
	if d.PSI == nil {
		w.kv("pressure", "unavailable")
	} else {
		for _, r := range []struct {
			name string
			p    *cgroupview.Pressure
		}{{"cpu", d.PSI.CPU}, {"memory", d.PSI.Memory}, {"io", d.PSI.IO}} {
			if r.p == nil {
				w.kv(r.name, "unavailable")
				continue
			}
			v := "some " + psiLine(r.p.Some)
			if r.p.Full != nil {
				v += "; full " + psiLine(*r.p.Full)
			}
			w.kv(r.name, v)
		}
	}
	w.head("Ancestors")
	if len(d.Ancestors) == 0 {
		w.kv("ancestors", "none visible")
	}
	for _, a := range d.Ancestors {
		w.kv(a.Path, fmt.Sprintf("memory %s, cpu %s, pids %s", limitOf(a.Memory, w.size), cpuMaxShort(a.CPU), limitOf(a.PIDs, countOf)))
	}
	w.head("Processes")
	if len(d.Processes) == 0 {
		w.kv("processes", "none")
	}
	for _, p := range d.Processes {
		v := p.Command()
		if p.Container != nil {
			v += "  (" + p.Container.Label() + ")"
		}
		w.kv(strconv.Itoa(p.PID), v)
	}
}

func psiLine(l cgroupview.PressureLine) string {
	return fmt.Sprintf("avg10 %.2f%% avg60 %.2f%% avg300 %.2f%%, total %s", l.Avg10, l.Avg60, l.Avg300, usec(&l.TotalUsec))
}

// limitOf renders a cgroup's own limit in unit (w.size or countOf).
func limitOf(l *cgroupview.Limit, unit func(*uint64) string) string {
	switch {
	case l == nil:
		return "unknown"
	case l.Unlimited || l.Max == nil:
		return "none"
	}
	return unit(l.Max)
}

func cpuMaxShort(m *cgroupview.CPUMax) string {
	switch {
	case m == nil:
		return "unknown"
	case m.Unlimited || m.QuotaUsec == nil:
		return "none"
	}
	cores, _ := m.CPUs()
	return strconv.FormatFloat(cores, 'f', -1, 64) + " CPUs"
}

func writeDetailMemory(w *detailWriter, d *cgroupShown) {
	m := d.Memory
	if m == nil {
		return
	}
	w.head(fmt.Sprintf("Memory (v%d)", m.Version))
	w.kv("usage", w.size(m.Current)+" (includes page cache)")
	ws := w.size(m.WorkingSet)
	if m.InactiveFile != nil {
		ws += " (usage minus inactive file " + w.size(m.InactiveFile) + ")"
	}
	w.kv("working set", ws)
	w.kv("limit", limitOf(m.Limit, w.size))
	w.kv("effective limit", w.eff(memEff(d.Effective), w.size, d.Path))
	det := m.Detail
	if det != nil {
		for _, l := range []struct {
			name string
			v    *cgroupview.Limit
		}{{"high", det.High}, {"low", det.Low}, {"min", det.Min}, {"soft limit", det.SoftLimit}, {"swap max", det.SwapMax}, {"memsw limit", det.MemSwLimit}} {
			if l.v != nil {
				w.kv(l.name, limitOf(l.v, w.size))
			}
		}
	}
	if m.Peak != nil {
		w.kv("peak", w.size(m.Peak))
	}
	if m.Swap != nil {
		w.kv("swap", w.size(m.Swap))
	}
	w.kv("file", w.size(m.File))
	w.kv("anon", w.size(m.Anon))
	w.kv("shmem", w.size(m.Shmem)+" (tmpfs and shared memory: not reclaimable without swap)")
	if det != nil {
		for _, l := range []struct {
			name string
			v    *uint64
		}{{"kernel", det.Kernel}, {"slab", det.Slab}, {"sock", det.Sock}, {"file mapped", det.FileMapped}, {"file dirty", det.FileDirty}, {"file writeback", det.FileWriteback}} {
			if l.v != nil {
				w.kv(l.name, w.size(l.v))
			}
		}
	}
	w.kv("oom kills", countOf(m.OOMKills))
	if ev := m.Events; ev != nil {
		w.kv("events", memEvents(ev))
	}
	if ev := m.LocalEvents; ev != nil {
		w.kv("events.local", memEvents(ev))
	}
	if m.Version == 1 {
		oc := "under_oom " + yesNo(m.UnderOOM) + ", oom_kill " + countOf(m.OOMKills)
		if det != nil {
			oc = "oom_kill_disable " + yesNo(det.OOMKillDisable) + ", " + oc
		}
		w.kv("oom_control", oc)
		if det != nil && det.FailCnt != nil {
			w.kv("failcnt", countOf(det.FailCnt)+" (unreliable)")
		}
	}
	if det != nil && det.OOMGroup != nil {
		w.kv("oom.group", yesNo(det.OOMGroup))
	}
}

func memEvents(ev *cgroupview.MemoryEvents) string {
	var parts []string
	for _, e := range []struct {
		name string
		v    *uint64
	}{{"low", ev.Low}, {"high", ev.High}, {"max", ev.Max}, {"oom", ev.OOM}, {"oom_kill", ev.OOMKill}, {"oom_group_kill", ev.OOMGroupKill}} {
		if e.v != nil {
			parts = append(parts, e.name+" "+strconv.FormatUint(*e.v, 10))
		}
	}
	return orDash(strings.Join(parts, ", "))
}

func writeDetailCPU(w *detailWriter, d *cgroupShown) {
	c := d.CPU
	if c == nil {
		return
	}
	w.head(fmt.Sprintf("CPU (v%d)", c.Version))
	u := usec(c.UsageUsec)
	if c.UserUsec != nil || c.SystemUsec != nil {
		u += " (user " + usec(c.UserUsec) + ", system " + usec(c.SystemUsec) + ")"
	}
	w.kv("usage", u)
	if d.Has("cpu") {
		w.kv("quota", cpuMax(c.Max))
		e := cpuEff(d.Effective)
		switch {
		case e == nil:
			w.kv("effective quota", "unknown")
		case e.Cores == nil:
			w.kv("effective quota", "none")
		default:
			by := " (set by " + e.SetBy + ")"
			if e.SetBy == d.Path {
				by = " (its own)"
			}
			w.kv("effective quota", strconv.FormatFloat(*e.Cores, 'f', -1, 64)+" CPUs"+by)
		}
		if c.BurstUsec != nil {
			w.kv("burst", strconv.FormatUint(*c.BurstUsec, 10)+" µs")
		}
		if c.Weight != nil {
			w.kv("weight", countOf(c.Weight)+" (1..10000, default 100)")
		}
		if c.Shares != nil {
			w.kv("shares", countOf(c.Shares)+" (2..262144, default 1024)")
		}
		thr := countOf(c.NrThrottled) + " of " + countOf(c.NrPeriods) + " periods"
		if pct, ok := c.ThrottledPct(); ok {
			thr += fmt.Sprintf(" (%.1f%%)", pct)
		}
		thr += ", " + usec(c.ThrottledUsec)
		w.kv("throttled", thr)
		if c.NrBursts != nil {
			w.kv("bursts", countOf(c.NrBursts)+", "+usec(c.BurstUsageUsec))
		}
	}
	if c.LocalThrottledUsec != nil {
		w.kv("throttled (any quota)", usec(c.LocalThrottledUsec)+" (cpu.stat.local: also by ancestors' quotas)")
	}
}
