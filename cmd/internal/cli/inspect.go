package cli

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ctx-tools/ctx/cgroupview"
	"github.com/ctx-tools/ctx/cmd/internal/printers"
	"github.com/ctx-tools/ctx/inspect"
	"github.com/ctx-tools/ctx/inspect/hostfs"
	"github.com/ctx-tools/ctx/netdebug"
)

type inspectOptions struct {
	f      *Factory
	Target string
	Check  bool
	All    bool
	FailOn inspect.Severity
}

func newCmdInspect(f *Factory, runF func(context.Context, *inspectOptions) error) *cobra.Command {
	opts := &inspectOptions{f: f}
	var failOn string
	cmd := &cobra.Command{
		Use:   "inspect {<target> | --all}",
		Short: "X-ray one process or container: identity, PIDs, namespaces, cgroup, privileges, mounts, network",
		Long: `Show what one process or container is, from the kernel's view and the
runtimes' on-disk state (no engine API needed): its identity (runtime, ID,
name, image, pod, labels), its PIDs at every pid namespace level, its
namespaces and which it shares with the host or other containers, its cgroup
limits and usage, capabilities decoded, seccomp, NoNewPrivs, LSM label, uid
maps, its rootfs layers and the mounts that expose the host, and its network
interfaces with their host-side veth peers.

TARGET is a PID; a container name, ID or unique ID prefix of Docker,
containerd (Kubernetes CRI included), CRI-O or Podman; pod/NAMESPACE/NAME[/CONTAINER];
netns/NAME; or a path to an nsfs file.

--check adds findings with a severity (privileged, dangerous capabilities,
host namespaces, docker.sock, missing seccomp/LSM/limits) and exits 3 when any
is at or above --fail-on. --all checks every running container.

Needs root (CAP_SYS_PTRACE to read another user's process, CAP_SYS_ADMIN for
namespaces).`,
		Example: `  # what is PID 4242?
  ctx inspect 4242

  # a container by name, as JSON
  ctx inspect web-1 -o json

  # what can this pod's container do to the host? exit 3 on high findings
  ctx inspect --check pod/shop/cart-7d9f/app

  # audit every container, failing on medium and above
  ctx inspect --check --all --fail-on medium`,
		Args: maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Target = args[0]
			}
			if err := opts.validate(failOn); err != nil {
				return err
			}
			if runF == nil {
				runF = runInspect
			}
			return runF(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&opts.Check, "check", false, "report risky posture as findings; exit 3 when any is at or above --fail-on")
	fl.BoolVar(&opts.All, "all", false, "inspect every running container")
	fl.StringVar(&failOn, "fail-on", "high", "lowest severity that makes --check exit 3: low|medium|high|critical")
	return cmd
}

func (o *inspectOptions) validate(failOn string) error {
	if err := o.f.Printer.Validate(); err != nil {
		return err
	}
	if (o.Target == "") == !o.All {
		return &usageError{fmt.Errorf("give one TARGET or --all")}
	}
	sev, err := inspect.ParseSeverity(failOn)
	if err != nil {
		return &usageError{err}
	}
	o.FailOn = sev
	return nil
}

// report is the JSON item of ctx inspect.
type report struct {
	Target     *inspect.Target    `json:"target"`
	Container  *inspect.Container `json:"container,omitempty"`
	Process    *inspect.Process   `json:"process"`
	PIDs       pidReport          `json:"pids"`
	Namespaces []nsReport         `json:"namespaces"`
	Cgroup     *cgroupReport      `json:"cgroup,omitempty"`
	Security   *inspect.Security  `json:"security,omitempty"`
	// Network lists the interfaces of the target's netns with their
	// host-side veth peers; empty when it shares the host's netns.
	Network  []netdebug.Interface `json:"network"`
	Findings []inspect.Finding    `json:"findings,omitempty"`
	Warnings []string             `json:"-"`
}

// cgroupReport is the target's cgroup: where it is in each hierarchy, its
// usage and own limits, and the effective (inherited) limits.
type cgroupReport struct {
	Mode       cgroupview.Mode        `json:"mode"`
	Membership *cgroupview.Membership `json:"membership"`
	Stats      *cgroupview.Stats      `json:"stats"`
	Effective  *cgroupview.Limits     `json:"effective"`
}

type pidReport struct {
	Host int `json:"host"`
	// Chain is the PID at each pid namespace level, host first.
	Chain []int `json:"chain"`
	// Init is the host PID of the container's init (PID 1 in its pid
	// namespace), when the target is a container.
	Init int `json:"init,omitempty"`
}

type nsReport struct {
	Type  string `json:"type"`
	Inode uint64 `json:"inode"`
	// SharedWithHost is nil when the host's namespaces could not be read.
	SharedWithHost *bool `json:"sharedWithHost,omitempty"`
	// SharedWith lists other containers in the same namespace.
	SharedWith []string `json:"sharedWith,omitempty"`
}

func runInspect(ctx context.Context, opts *inspectOptions) error {
	root, err := opts.f.Host()
	if err != nil {
		return err
	}
	env, err := newInspectEnv(root)
	if err != nil {
		return err
	}
	targets, err := env.targets(opts)
	if err != nil {
		return err
	}
	var reports []*report
	warnings := env.warnings
	for _, t := range targets {
		r, err := env.report(t, opts.Check)
		if err != nil {
			if opts.All && hostfs.IsGone(err) {
				warnings = append(warnings, fmt.Sprintf("%s exited during inspection", t.Container.Label()))
				continue
			}
			return err
		}
		reports = append(reports, r)
		warnings = append(warnings, r.Warnings...)
	}
	doc := printers.Doc{Kind: "Inspection", Warnings: warnings,
		Text: func(w io.Writer) error { return writeReports(w, reports) }}
	if opts.All {
		doc.Kind, doc.Items = "InspectionList", reports
	} else if len(reports) == 1 {
		doc.Item = reports[0]
	}
	if err := opts.f.Emit(doc); err != nil {
		return err
	}
	if opts.Check {
		n := 0
		for _, r := range reports {
			for _, fd := range r.Findings {
				if inspect.SeverityAtLeast(fd.Severity, opts.FailOn) {
					n++
				}
			}
		}
		if n > 0 {
			return &FindingsError{N: n}
		}
	}
	return nil
}

// targets resolves the TARGET, or with --all every container that has a
// process.
func (env *inspectEnv) targets(opts *inspectOptions) ([]*inspect.Target, error) {
	if !opts.All {
		t, err := env.rt.Resolve(opts.Target)
		if err != nil {
			return nil, err
		}
		return []*inspect.Target{t}, nil
	}
	return env.rt.RunningContainers()
}

// inspectEnv is what every report of one run shares: the runtimes' state,
// all processes with their namespaces, and the network topology.
type inspectEnv struct {
	root     hostfs.Root
	rt       *inspect.Runtimes
	procs    []*inspect.ProcessNS
	topo     *netdebug.Topology
	cgroups  *cgroupview.Layout
	users    inspect.Users
	warnings []string
}

func newInspectEnv(root hostfs.Root) (*inspectEnv, error) {
	env := &inspectEnv{root: root, rt: inspect.LoadRuntimes(root), users: inspect.ReadUsers(root)}
	env.warnings = append(env.warnings, env.rt.Warnings...)
	procs, err := inspect.Processes(root, inspect.ProcessFilter{})
	if err != nil {
		return nil, err
	}
	env.procs = procs.Processes
	for _, p := range env.procs {
		env.rt.NameProcess(p.Process)
	}
	if env.cgroups, err = cgroupview.Detect(root); err != nil {
		env.warnings = append(env.warnings, "cgroups unavailable: "+err.Error())
	} else {
		env.warnings = append(env.warnings, env.cgroups.Warnings...)
	}
	if root.Live() {
		set, err := inspect.Namespaces(root, inspect.ScanOptions{Types: []string{"net"}})
		if err == nil {
			env.topo, err = netdebug.Snapshot(root, netdebug.FromInspect(set.Namespaces))
		}
		if err != nil {
			env.warnings = append(env.warnings, "network topology unavailable: "+err.Error())
		} else {
			env.warnings = append(env.warnings, env.topo.Warnings...)
		}
	}
	return env, nil
}

// report gathers one target's report.
func (env *inspectEnv) report(t *inspect.Target, check bool) (*report, error) {
	root, rt, all := env.root, env.rt, env.procs
	if t.PID == 0 {
		return nil, fmt.Errorf("inspect needs a process or container; %q is a namespace file: try ctx ns ls or ctx net show", t.Path)
	}
	p, err := inspect.ReadProcess(root, t.PID)
	if err != nil {
		return nil, fmt.Errorf("reading process %d: %w", t.PID, err)
	}
	p.User = env.users.Name(p.UID)
	r := &report{Target: t, Process: p, PIDs: pidReport{Host: p.PID, Chain: p.NSpid}}
	if t.Container != nil {
		r.Container = t.Container
		rt.Enrich(r.Container)
		r.PIDs.Init = containerInit(root, t.PIDs)
	}
	r.Namespaces, r.Warnings = namespaceReport(root, all, p)
	r.Network = env.network(r.Namespaces)
	r.Cgroup = env.cgroup(t.PID, &r.Warnings)
	sec, err := inspect.ReadSecurity(root, t.PID)
	if err != nil {
		return nil, err
	}
	r.Security = sec
	r.Warnings = append(r.Warnings, sec.Warnings...)
	if check {
		posture := sec.Posture()
		if r.Cgroup != nil && r.Cgroup.Effective != nil {
			posture.MemoryLimit = limitValue(r.Cgroup.Effective.Memory)
			posture.PIDsLimit = limitValue(r.Cgroup.Effective.PIDs)
		}
		posture.SharedWithHost = map[string]bool{}
		for _, ns := range r.Namespaces {
			if ns.SharedWithHost != nil {
				posture.SharedWithHost[ns.Type] = *ns.SharedWithHost
			}
		}
		r.Findings = inspect.Check(posture)
	}
	return r, nil
}

// cgroup reads the target's cgroup; nil when cgroups are unreadable.
func (env *inspectEnv) cgroup(pid int, warnings *[]string) *cgroupReport {
	if env.cgroups == nil {
		return nil
	}
	m, err := cgroupview.ForPID(env.root, env.cgroups, pid)
	if err != nil {
		*warnings = append(*warnings, fmt.Sprintf("cgroup of PID %d: %v", pid, err))
		return nil
	}
	*warnings = append(*warnings, m.Warnings...)
	stats, w1 := cgroupview.ReadStats(env.root, env.cgroups, m)
	eff, w2 := cgroupview.EffectiveLimits(env.root, env.cgroups, m)
	*warnings = append(append(*warnings, w1...), w2...)
	return &cgroupReport{Mode: env.cgroups.Mode, Membership: m, Stats: stats, Effective: eff}
}

// limitValue turns an effective limit into the posture's form: nil when
// unknown, inspect.Unlimited when there is none.
func limitValue(e *cgroupview.Effective) *uint64 {
	switch {
	case e == nil:
		return nil
	case e.Unlimited:
		v := inspect.Unlimited
		return &v
	}
	return e.Max
}

// network lists the interfaces of the target's own netns; a target in the
// host's netns gets none (they are the host's).
func (env *inspectEnv) network(nss []nsReport) []netdebug.Interface {
	for _, ns := range nss {
		if ns.Type != "net" || env.topo == nil || (ns.SharedWithHost != nil && *ns.SharedWithHost) {
			continue
		}
		if ifs := netdebug.ContainerInterfaces(env.topo, ns.Inode); ifs != nil {
			return ifs
		}
	}
	return []netdebug.Interface{}
}

// containerInit is the process that is PID 1 in the container's pid
// namespace, else the lowest PID.
func containerInit(root hostfs.Root, pids []int) int {
	for _, pid := range pids {
		if p, err := inspect.ReadProcess(root, pid); err == nil && len(p.NSpid) > 1 && p.NSpid[len(p.NSpid)-1] == 1 {
			return pid
		}
	}
	if len(pids) > 0 {
		return pids[0]
	}
	return 0
}

// namespaceReport lists p's namespaces and what shares them: the host's
// init, and other containers.
func namespaceReport(root hostfs.Root, all []*inspect.ProcessNS, p *inspect.Process) ([]nsReport, []string) {
	var warnings []string
	own, err := inspect.NamespacesOf(root, p.PID)
	if err != nil {
		return nil, []string{fmt.Sprintf("cannot read the namespaces of PID %d: %v", p.PID, err)}
	}
	host, _, err := inspect.HostNamespaces(root)
	if err != nil {
		warnings = append(warnings, "cannot read the host's namespaces, so sharing with the host is unknown: "+err.Error())
	}
	// Which containers are in each namespace, by inode.
	others := map[uint64]map[string]bool{}
	for _, q := range all {
		if q.Container == nil || (p.Container != nil && q.Container.ID == p.Container.ID) {
			continue
		}
		for _, ino := range q.Namespaces {
			if others[ino] == nil {
				others[ino] = map[string]bool{}
			}
			others[ino][q.Container.Label()] = true
		}
	}
	var out []nsReport
	for _, typ := range inspect.NSTypes {
		id, ok := own[typ]
		if !ok {
			continue
		}
		n := nsReport{Type: typ, Inode: id.Ino}
		if host != nil {
			shared := host[typ] == id
			n.SharedWithHost = &shared
		}
		// Everything shares the host's namespaces; listing who else does
		// says nothing.
		if n.SharedWithHost == nil || !*n.SharedWithHost {
			for label := range others[id.Ino] {
				n.SharedWith = append(n.SharedWith, label)
			}
		}
		sort.Strings(n.SharedWith)
		out = append(out, n)
	}
	return out, warnings
}

// writeReports renders reports as labelled sections for a terminal.
func writeReports(w io.Writer, reports []*report) error {
	for i, r := range reports {
		if i > 0 {
			fmt.Fprintln(w)
		}
		writeReport(&sectionWriter{w: w}, r)
	}
	return nil
}

// sectionWriter prints "key: value" lines, escaping values.
type sectionWriter struct{ w io.Writer }

func (s *sectionWriter) head(title string) { fmt.Fprintf(s.w, "%s:\n", title) }
func (s *sectionWriter) kv(key, val string) {
	fmt.Fprintf(s.w, "  %-16s %s\n", key+":", printers.Escape(val))
}

func writeReport(s *sectionWriter, r *report) {
	s.head("Identity")
	if c := r.Container; c != nil {
		s.kv("runtime", c.Runtime)
		s.kv("id", c.ID)
		s.kv("name", orDash(c.Name))
		if c.Namespace != "" {
			s.kv("namespace", c.Namespace)
		}
		s.kv("image", orDash(c.Image))
		if c.Pod != nil {
			s.kv("pod", orDash(c.Pod.Namespace)+"/"+orDash(c.Pod.Name)+" (uid "+orDash(c.Pod.UID)+")")
		}
		if len(c.Labels) > 0 {
			for _, k := range slices.Sorted(maps.Keys(c.Labels)) {
				s.kv("label", k+"="+c.Labels[k])
			}
		}
	} else {
		s.kv("container", "- (a host process)")
	}
	s.kv("command", r.Process.Command())
	s.kv("user", r.Process.User+" ("+strconv.Itoa(r.Process.UID)+")")

	s.head("PIDs")
	s.kv("host", strconv.Itoa(r.PIDs.Host))
	s.kv("chain", joinInts(r.PIDs.Chain, " > "))
	if r.PIDs.Init != 0 {
		s.kv("init", strconv.Itoa(r.PIDs.Init))
	}

	s.head("Namespaces")
	for _, n := range r.Namespaces {
		v := strconv.FormatUint(n.Inode, 10)
		if n.SharedWithHost != nil && *n.SharedWithHost {
			v += "  shared with the host"
		}
		if len(n.SharedWith) > 0 {
			v += "  shared with " + strings.Join(n.SharedWith, ", ")
		}
		s.kv(n.Type, v)
	}
	if sec := r.Security; sec != nil {
		writeSecurity(s, sec)
	}
	writeCgroup(s, r.Cgroup)
	writeNetwork(s, r)
	if r.Findings != nil {
		s.head("Findings")
		for _, f := range r.Findings {
			s.kv(string(f.Severity), f.Check+": "+f.Message)
		}
	}
}

func writeSecurity(s *sectionWriter, sec *inspect.Security) {
	s.head("Capabilities")
	if sec.Capabilities == nil {
		s.kv("capabilities", "unknown")
	}
	if c := sec.Capabilities; c != nil {
		s.kv("effective", capList(c.Effective))
		s.kv("bounding", capList(c.Bounding))
		if c.Ambient != 0 {
			s.kv("ambient", capList(c.Ambient))
		}
		if d := c.Usable().Dangerous(); d != 0 {
			s.kv("dangerous", d.String())
		}
		s.kv("privileged", strconv.FormatBool(sec.Privileged))
	}
	s.head("Confinement")
	if sec.Confinement == nil {
		s.kv("confinement", "unknown")
	}
	if c := sec.Confinement; c != nil {
		seccomp := orDash(c.Seccomp)
		if c.SeccompFilters != nil {
			seccomp += fmt.Sprintf(" (%d filters)", *c.SeccompFilters)
		}
		s.kv("seccomp", seccomp)
		s.kv("no_new_privs", boolPtr(c.NoNewPrivs))
		lsm := orDash(c.LSM)
		if c.AppArmor != "" {
			lsm += " " + c.AppArmor
		}
		if c.SELinux != "" {
			lsm += " " + c.SELinux
		}
		s.kv("lsm", lsm)
		s.kv("root is host root", boolPtr(c.RootIsHostRoot))
	}
	s.head("Filesystem")
	if fs := sec.Rootfs; fs != nil {
		s.kv("rootfs", fs.FSType+" "+fs.Source)
		if o := fs.Overlay; o != nil {
			s.kv("upper", o.UpperDir)
			for _, l := range o.LowerDirs {
				s.kv("lower", l)
			}
		}
	}
	for _, e := range sec.Exposures {
		mode := "ro"
		if e.Writable {
			mode = "rw"
		}
		s.kv("exposes", e.Kind+" "+e.MountPoint+" <- "+orDash(e.HostPath)+" ("+mode+")")
	}
}

func capList(c inspect.CapSet) string {
	if c == 0 {
		return "(none)"
	}
	return c.String()
}

func boolPtr(b *bool) string {
	if b == nil {
		return "unknown"
	}
	return strconv.FormatBool(*b)
}

func joinInts(v []int, sep string) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return orDash(strings.Join(s, sep))
}

func writeNetwork(s *sectionWriter, r *report) {
	s.head("Network")
	for _, ns := range r.Namespaces {
		if ns.Type == "net" && ns.SharedWithHost != nil && *ns.SharedWithHost {
			s.kv("netns", "the host's")
		}
	}
	for _, i := range r.Network {
		v := fmt.Sprintf("%s mtu %d %s", i.Type, i.MTU, strings.Join(i.Addrs, " "))
		if p := i.Peer; p != nil {
			v += "  <-> " + p.Name
			if p.Label != "" {
				v += " in " + p.Label
			}
			if p.Master != "" {
				v += " on " + p.Master
			}
		}
		s.kv(i.Name, v)
	}
}

func writeCgroup(s *sectionWriter, c *cgroupReport) {
	s.head("Cgroup")
	if c == nil {
		s.kv("cgroup", "unknown")
		return
	}
	s.kv("mode", string(c.Mode))
	for _, p := range c.Membership.Placements {
		name := strings.Join(p.Controllers, ",")
		if name == "" {
			name = "unified"
		}
		s.kv(name, p.Path)
	}
	st, eff := c.Stats, c.Effective
	if st.Memory != nil {
		s.kv("memory", bytesOf(st.Memory.Current)+" used, working set "+bytesOf(st.Memory.WorkingSet)+
			", limit "+effLimit(eff.Memory, bytesOf)+oomKills(st.Memory.OOMKills))
	}
	if st.CPU != nil {
		v := "limit " + cpuLimit(eff.CPU)
		if st.CPU.NrPeriods != nil && st.CPU.NrThrottled != nil && *st.CPU.NrPeriods > 0 {
			v += fmt.Sprintf(", throttled %d of %d periods", *st.CPU.NrThrottled, *st.CPU.NrPeriods)
		}
		s.kv("cpu", v)
	}
	if st.PIDs != nil {
		s.kv("pids", countOf(st.PIDs.Current)+" of "+effLimit(eff.PIDs, countOf))
	}
}

func bytesOf(v *uint64) string {
	if v == nil {
		return "unknown"
	}
	return humanBytes(*v)
}

func effLimit(e *cgroupview.Effective, format func(*uint64) string) string {
	switch {
	case e == nil:
		return "unknown"
	case e.Unlimited:
		return "none"
	case e.SetBy != "":
		return format(e.Max) + " (set by " + e.SetBy + ")"
	}
	return format(e.Max)
}

func cpuLimit(e *cgroupview.EffectiveCPU) string {
	switch {
	case e == nil:
		return "unknown"
	case e.Cores == nil:
		return "none"
	}
	return strconv.FormatFloat(*e.Cores, 'f', -1, 64) + " CPUs (set by " + e.SetBy + ")"
}

func oomKills(v *uint64) string {
	if v == nil || *v == 0 {
		return ""
	}
	return fmt.Sprintf(", %d OOM kills", *v)
}
