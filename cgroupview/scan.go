package cgroupview

import (
	"bytes"
	"errors"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ctx-tools/ctx/inspect"
	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// ScanOptions choose what Scan reads.
type ScanOptions struct {
	// Top is the cgroup path to start at; "" or "/" is the root.
	Top string
	// Depth is how many levels below Top to read; negative is no limit.
	Depth int
	// Procs reads each cgroup's member processes (cgroup.procs).
	Procs bool
	// IO reads io.stat (v1 blkio.throttle.io_service*_recursive), for
	// IO rates.
	IO bool
	// Swap reads v2 memory.swap.{current,max,events}, for the SWAP check.
	// v1 has no swap-only limit (memsw is memory plus swap).
	Swap bool
	// Freeze reads v2 cgroup.events and v1 freezer.state (walking the v1
	// freezer hierarchy), for the FROZEN and EMPTY checks.
	Freeze bool
	// IOLimits reads IO per device with each device's limits (io.max, v1
	// blkio.throttle.*), for the IO_LIMITED check. It implies IO.
	IOLimits bool
	// AllHierarchies also walks the v1 hierarchies that carry no
	// statistics ctx shows (cpuset, devices, freezer, net_cls, perf_event,
	// name=systemd, …), so cgroups that exist only there are listed too.
	AllHierarchies bool
	// Name names the container of a cgroup path; nil uses
	// inspect.ContainerFromCgroup (paths alone). Pass
	// Runtimes.FromCgroup to add names, images and pods.
	Name func(cgroupPath string) *inspect.Container
	// Now is the clock for Tree.Time; nil is time.Now.
	Now func() time.Time

	full bool // ReadCgroup: every file ctx cgroup show reports
}

// role is what a walk reads in a hierarchy's directories.
type role uint8

const (
	roleMemory  role = 1 << iota
	roleCPU          // cpu bandwidth: cpu.max, v1 cpu.cfs_*, cpu.stat throttling
	roleCPUAcct      // v1 cpuacct usage, when the unified cpu.stat lacks it
	rolePIDs
	roleIO
	roleCore    // cgroup2 core files: cpu.stat usage, PSI
	roleFreezer // v1 freezer.state
)

// walkPlan is one hierarchy to walk, in the order walks run: memory,
// pids, cpu, cgroup2, cpuacct, blkio, the rest. The first hierarchy
// holding a path lends it its member processes.
type walkPlan struct {
	h     *Hierarchy
	roles role
	rank  int
}

func plans(l *Layout, opts ScanOptions) []walkPlan {
	var out []walkPlan
	for i := range l.Hierarchies {
		h := &l.Hierarchies[i]
		p := walkPlan{h: h, rank: 6}
		if h.Version == 2 {
			p.roles, p.rank = roleCore, 3
			for c, r := range map[string]role{"memory": roleMemory, "cpu": roleCPU, "pids": rolePIDs} {
				if h.Has(c) {
					p.roles |= r
				}
			}
			if opts.IO && h.Has("io") {
				p.roles |= roleIO
			}
		} else {
			for _, c := range []struct {
				name string
				r    role
				rank int
			}{{"blkio", roleIO, 5}, {"cpuacct", roleCPUAcct, 4}, {"cpu", roleCPU, 2}, {"pids", rolePIDs, 1}, {"memory", roleMemory, 0}} {
				if h.Has(c.name) && (c.r != roleIO || opts.IO) {
					p.roles |= c.r
					p.rank = c.rank
				}
			}
			if opts.Freeze && h.Has("freezer") {
				p.roles |= roleFreezer
			}
		}
		if p.roles == 0 && !opts.AllHierarchies {
			continue
		}
		out = append(out, p)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].rank < out[j].rank })
	return out
}

// scanner carries one Scan.
type scanner struct {
	root  hostfs.Root
	l     *Layout
	opts  ScanOptions
	s     statReader
	nodes map[string]*Node
	warn  warnAgg
	dying []DyingCount
	// memDirs counts the directories of the v1 memory hierarchy.
	memDirs uint64
}

// Scan reads the cgroups at and below opts.Top in every hierarchy and
// merges them by path into one tree, with usage, limits, effective limits
// (the minimum over ancestors, including those above Top), OOM kills,
// throttling, PIDs and PSI. It never forks and reads each file once, with
// openat on directory fds and one reused buffer. It fails only when Top
// exists in no hierarchy; everything else it could not read is a warning.
//
// Equivalent to: systemd-cgls plus, per cgroup, cat memory.{current,max,
// stat,events} cpu.{max,stat} pids.{current,max,events} *.pressure
// cgroup.procs (v1: memory.{usage,limit}_in_bytes, memory.oom_control,
// cpu.cfs_{quota,period}_us, cpuacct.usage).
func Scan(root hostfs.Root, l *Layout, opts ScanOptions) (*Tree, error) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	top := path.Clean("/" + opts.Top)
	opts.IO = opts.IO || opts.IOLimits
	sc := &scanner{root: root, l: l, opts: opts, nodes: map[string]*Node{}}
	sc.s = statReader{root: root, summary: !opts.full, swap: opts.Swap, full: opts.full, ioLimits: opts.IOLimits}
	t := &Tree{Mode: l.Mode, Top: top, Time: now()}
	if u := l.Unified(); u != nil {
		t.pidsLocal = u.HasOption("pids_localevents")
		t.memLocal = u.HasOption("memory_localevents")
	}
	for _, p := range plans(l, opts) {
		start := top
		if _, ok := dirOf(p.h, top); !ok && top == "/" {
			// The mount exposes only a subtree (a bind-mounted cgroup,
			// --cgroupns=host in a container): start at its root.
			start = path.Clean("/" + p.h.MountRoot)
			sc.warn.add(start, "the mount at "+strconv.Quote(p.h.MountPoint)+" ("+p.h.label()+") exposes only this subtree: cgroups and limits above it are out of sight")
		}
		sc.walk(p, start)
	}
	if len(sc.nodes) == 0 {
		return nil, &NoCgroupError{Path: top}
	}
	t.byPath = sc.nodes
	t.Nodes = sc.order(top)
	for _, n := range t.Nodes {
		sort.Strings(n.Controllers)
	}
	sc.effective(t)
	name := opts.Name
	if name == nil {
		name = inspect.ContainerFromCgroup
	}
	for _, n := range t.Nodes {
		n.Container = name(n.Path)
	}
	for _, n := range t.Nodes {
		n.Pod = podOf(n)
	}
	sc.v1Dying(top)
	t.Dying = sc.dying
	t.Warnings = sc.warn.list()
	return t, nil
}

func (sc *scanner) walk(p walkPlan, top string) {
	dp, ok := dirOf(p.h, top)
	if !ok {
		return // outside this mount: Detect warned about the namespace
	}
	d, err := sc.s.r.open(sc.root.Host(dp))
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			sc.warn.add(top, p.h.label()+": "+errText(err))
		}
		return
	}
	sc.visit(p, d, top, 0, d.inode())
}

// interesting files, whose presence a directory listing records: on v2 a
// controller's interface files exist only where the parent enables it.
const (
	hasMemory uint8 = 1 << iota
	hasCPU
	hasPIDs
	hasIO
	hasCpuset
	hasHugetlb
	hasRdma
	hasMisc
)

func presence(name []byte) uint8 {
	switch string(name) {
	case "memory.max", "memory.current", "memory.stat":
		return hasMemory
	case "cpu.max", "cpu.weight":
		return hasCPU
	case "pids.max", "pids.current":
		return hasPIDs
	case "io.stat", "io.max":
		return hasIO
	case "cpuset.cpus":
		return hasCpuset
	case "rdma.max":
		return hasRdma
	case "misc.max":
		return hasMisc
	}
	if bytes.HasPrefix(name, []byte("hugetlb.")) {
		return hasHugetlb
	}
	return 0
}

// visit reads directory d, cgroup cg, in hierarchy p.h and recurses. It
// closes d.
func (sc *scanner) visit(p walkPlan, d *dir, cg string, depth int, ino uint64) {
	defer d.close()
	var present uint8
	subdirs, err := d.list(func(name []byte) { present |= presence(name) })
	if err != nil {
		sc.warn.add(cg, p.h.label()+": "+errText(err))
	}
	n := sc.nodes[cg]
	if n == nil {
		n = &Node{Path: cg, Depth: depth, Controllers: []string{}}
		if cg != "/" && depth > 0 {
			n.Parent = path.Dir(cg)
		}
		sc.nodes[cg] = n
	}
	if p.h.Version == 2 || n.Inode == 0 {
		n.Inode = ino
	}
	sc.read(p, d, n, present, depth)
	if sc.opts.Depth >= 0 && depth >= sc.opts.Depth {
		return
	}
	for _, e := range subdirs {
		c, err := d.openChild(e.name)
		if err != nil {
			if !hostfs.IsGone(err) {
				sc.warn.add(path.Join(cg, e.name), p.h.label()+": "+errText(err))
			}
			continue // removed during the walk
		}
		sc.visit(p, c, path.Join(cg, e.name), depth+1, e.ino)
	}
}

// read reads the files of hierarchy p.h in d for node n.
func (sc *scanner) read(p walkPlan, d *dir, n *Node, present uint8, depth int) {
	s, h := &sc.s, p.h
	before := len(s.warnings)
	isRoot := n.Path == "/"
	v2 := h.Version == 2
	enabled := func(c string, bit uint8) bool {
		return !v2 || (isRoot && h.Has(c)) || (!isRoot && present&bit != 0)
	}
	pl := &Placement{Path: n.Path}
	if h.Has("memory") && !v2 {
		sc.memDirs++
	}
	if sc.opts.Procs && !n.procsDone {
		n.procsDone = true
		n.ProcsFrom = h.label()
		if b := s.file(d, "cgroup.procs", false); b != nil {
			n.Procs = parseProcs(b)
		}
	}
	if v2 {
		n.Unified = true
	} else {
		n.Controllers = appendNew(n.Controllers, h.Controllers...)
	}
	if p.roles&roleMemory != 0 && enabled("memory", hasMemory) {
		if v2 {
			n.Controllers = appendNew(n.Controllers, "memory")
		}
		n.Memory = s.memory(d, h.Version, pl)
	}
	cpuDone := false
	if p.roles&roleCPU != 0 && enabled("cpu", hasCPU) {
		if v2 {
			n.Controllers = appendNew(n.Controllers, "cpu")
		}
		if n.CPU == nil {
			n.CPU = &CPU{Version: h.Version, Path: n.Path}
		}
		s.cpuController(d, h.Version, isRoot, n.CPU)
		cpuDone = v2
	}
	if p.roles&roleCore != 0 {
		if !cpuDone {
			if n.CPU == nil {
				n.CPU = &CPU{Version: 2, Path: n.Path}
			}
			s.cpuStatV2(d, n.CPU, false)
		}
		n.PSI = s.psiDir(d, n.Path)
		if sc.opts.Freeze {
			n.readEvents(s, sc.l, d, isRoot)
		}
		if depth == 0 {
			if b := s.file(d, "cgroup.stat", true); b != nil {
				v := pickKeyed(b, cgroupStatKeys)
				if v[0] != nil && v[1] != nil {
					sc.dying = append(sc.dying, DyingCount{Hierarchy: "cgroup2", Path: n.Path, Live: *v[0], Dying: *v[1]})
				}
			}
		}
	}
	if p.roles&roleCPUAcct != 0 {
		if n.CPU == nil {
			n.CPU = &CPU{Version: 1, Path: n.Path}
		}
		if n.CPU.UsageUsec == nil {
			s.cpuacct(d, n.CPU)
		}
	}
	if p.roles&rolePIDs != 0 && enabled("pids", hasPIDs) {
		if v2 {
			n.Controllers = appendNew(n.Controllers, "pids")
		}
		n.PIDs = s.pids(d, h.Version, pl)
	}
	if p.roles&roleIO != 0 && enabled("io", hasIO) {
		if v2 {
			n.Controllers = appendNew(n.Controllers, "io")
			n.IO = s.ioV2(d, n.Path)
		} else {
			n.IO = s.ioV1(d, n.Path)
		}
	}
	if p.roles&roleFreezer != 0 && !isRoot {
		n.setFreezer(s.freezerV1(d))
	}
	if sc.opts.full && v2 {
		for c, bit := range map[string]uint8{"cpuset": hasCpuset, "hugetlb": hasHugetlb, "rdma": hasRdma, "misc": hasMisc} {
			if h.Has(c) && enabled(c, bit) {
				n.Controllers = appendNew(n.Controllers, c)
			}
		}
	}
	for _, w := range s.warnings[before:] {
		sc.warn.add(n.Path, w)
	}
	s.warnings = s.warnings[:before]
}

var cgroupStatKeys = []string{"nr_descendants", "nr_dying_descendants"}

// v1Dying compares the v1 memory hierarchy's num_cgroups in /proc/cgroups,
// which counts dying memcgs, with the directories the walk found. Only a
// walk of the whole hierarchy can tell.
func (sc *scanner) v1Dying(top string) {
	h := sc.l.V1("memory")
	if h == nil || top != "/" || sc.opts.Depth >= 0 || path.Clean("/"+h.MountRoot) != "/" || sc.memDirs == 0 {
		return
	}
	b, err := hostfs.ReadFile(sc.root.Proc("cgroups"))
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[0] == "memory" {
			if num, err := strconv.ParseUint(f[2], 10, 64); err == nil && num >= sc.memDirs {
				sc.dying = append(sc.dying, DyingCount{Hierarchy: "memory", Path: "/", Live: sc.memDirs - 1, Dying: num - sc.memDirs})
			}
		}
	}
}

// order lists the nodes parent first, siblings by name, and links
// children. A node whose parent was not walked (a path that exists in one
// hierarchy below a depth cut of another) hangs under its nearest walked
// ancestor.
func (sc *scanner) order(top string) []*Node {
	paths := make([]string, 0, len(sc.nodes))
	for p := range sc.nodes {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		n := sc.nodes[p]
		n.Parent = ""
		if p == top {
			continue
		}
		for a := path.Dir(p); ; a = path.Dir(a) {
			if parent := sc.nodes[a]; parent != nil {
				parent.children = append(parent.children, n)
				n.Parent = a
				break
			}
			if a == "/" || a == top {
				break
			}
		}
	}
	out := make([]*Node, 0, len(sc.nodes))
	var add func(n *Node)
	add = func(n *Node) {
		out = append(out, n)
		sort.Slice(n.children, func(i, j int) bool { return n.children[i].Name() < n.children[j].Name() })
		for _, c := range n.children {
			add(c)
		}
	}
	// Tops: the scan's top, or where each mount's visible subtree starts.
	for _, p := range paths {
		if n := sc.nodes[p]; n.Parent == "" {
			n.Depth = 0
			add(n)
		}
	}
	fixDepth(out)
	return out
}

// fixDepth sets each node's depth below its top, for nodes hung under a
// nearer ancestor than their walk's.
func fixDepth(nodes []*Node) {
	depth := map[string]int{}
	for _, n := range nodes {
		if n.Parent == "" {
			n.Depth = 0
		} else {
			n.Depth = depth[n.Parent] + 1
		}
		depth[n.Path] = n.Depth
	}
}

// effective computes each node's effective limits from its parent's and
// its own; the top's come from its ancestors, read here. Where the mount
// hides the ancestors, the top's own limits count as effective (Scan
// warned).
func (sc *scanner) effective(t *Tree) {
	for _, n := range t.Nodes {
		var pe *Limits
		first := n.Parent == ""
		if !first {
			if p := sc.nodes[n.Parent]; p != nil {
				pe = p.Effective
			}
		} else if n.Path != "/" {
			pe = sc.above(n.Path)
		}
		top := func(c string) bool { return first && (n.Path == "/" || !sc.parentVisible(c, n.Path)) }
		n.Effective = &Limits{}
		if n.Memory != nil {
			n.Effective.Memory = minEffective(pe.mem(), n.Memory.Limit, n.Path, top("memory"))
		}
		if n.PIDs != nil {
			n.Effective.PIDs = minEffective(pe.pids(), n.PIDs.Limit, n.Path, top("pids"))
		}
		if n.CPU != nil && n.Has("cpu") {
			n.Effective.CPU = minEffectiveCPU(pe.cpu(), n.CPU.Max, n.Path, top("cpu"))
		}
	}
}

// parentVisible reports whether the parent of cgroup p is exposed by the
// mount of controller c.
func (sc *scanner) parentVisible(c, p string) bool {
	h := sc.l.V1(c)
	if h == nil {
		h = sc.l.Unified()
	}
	if h == nil {
		return false
	}
	_, ok := dirOf(h, path.Dir(p))
	return ok
}

// above returns the effective limits of the parent of cgroup p, read
// from p's ancestors.
func (sc *scanner) above(p string) *Limits {
	parent := path.Dir(p)
	m := membershipAt(sc.l, parent)
	r := &statReader{root: sc.root}
	out := &Limits{}
	if v, pl, h := r.lineage(sc.l, m, "memory"); pl != nil {
		name, parse := "memory.max", parseMax
		if v == 1 {
			name, parse = "memory.limit_in_bytes", parseV1Limit
		}
		out.Memory = r.minLimit(h, pl, name, parse)
	}
	if _, pl, h := r.lineage(sc.l, m, "pids"); pl != nil {
		out.PIDs = r.minLimit(h, pl, "pids.max", parseMax)
	}
	if v, pl, h := r.lineage(sc.l, m, "cpu"); pl != nil {
		out.CPU = r.minCPU(v, h, pl)
	}
	for _, w := range r.warnings {
		sc.warn.add(parent, w)
	}
	return out
}

func (l *Limits) mem() *Effective {
	if l == nil {
		return nil
	}
	return l.Memory
}

func (l *Limits) pids() *Effective {
	if l == nil {
		return nil
	}
	return l.PIDs
}

func (l *Limits) cpu() *EffectiveCPU {
	if l == nil {
		return nil
	}
	return l.CPU
}

// minEffective combines a parent's effective limit with a cgroup's own.
// Either unknown makes the result unknown, except at the root, which has
// no parent.
func minEffective(parent *Effective, own *Limit, p string, isRoot bool) *Effective {
	switch {
	case own == nil:
		return nil
	case parent == nil && !isRoot:
		return nil
	case parent == nil || !parent.Limit.Less(*own):
		// Its own limit binds, also on a tie: the nearest sets it.
		if own.Unlimited {
			return &Effective{Limit: *own}
		}
		return &Effective{Limit: *own, SetBy: p}
	}
	e := *parent
	return &e
}

func minEffectiveCPU(parent *EffectiveCPU, own *CPUMax, p string, isRoot bool) *EffectiveCPU {
	var e EffectiveCPU
	switch {
	case own == nil:
		return nil
	case parent == nil && !isRoot:
		return nil
	case parent == nil || !parent.CPUMax.Less(*own):
		e = EffectiveCPU{CPUMax: *own, SetBy: p}
	default:
		e = *parent
	}
	if n, ok := e.CPUs(); ok {
		e.Cores = &n
	} else {
		e.SetBy, e.Cores = "", nil
	}
	return &e
}

// membershipAt is a Membership placing a process at cgroup path p in every
// hierarchy, for the readers that take one.
func membershipAt(l *Layout, p string) *Membership {
	m := &Membership{}
	for i := range l.Hierarchies {
		h := &l.Hierarchies[i]
		pl := Placement{HierarchyID: i + 1, Controllers: h.Controllers, Path: p}
		if h.Version == 2 {
			pl.HierarchyID, pl.Controllers = 0, []string{}
		}
		if dir, ok := dirOf(h, p); ok {
			pl.Dir = dir
		}
		m.Placements = append(m.Placements, pl)
	}
	return m
}

// label names a hierarchy for messages: its controllers, or "cgroup2".
func (h *Hierarchy) label() string {
	if h.Version == 2 {
		return "cgroup2"
	}
	return strings.Join(h.Controllers, ",")
}

func appendNew(list []string, items ...string) []string {
	for _, it := range items {
		found := false
		for _, x := range list {
			if x == it {
				found = true
				break
			}
		}
		if !found {
			list = append(list, it)
		}
	}
	return list
}

// warnAgg collects per-cgroup warnings and folds repeats: the same
// problem in a thousand cgroups is one line with a count.
type warnAgg struct {
	order []string
	by    map[string][]string // message -> cgroup paths
}

func (w *warnAgg) add(cg, msg string) {
	if w.by == nil {
		w.by = map[string][]string{}
	}
	if _, ok := w.by[msg]; !ok {
		w.order = append(w.order, msg)
	}
	w.by[msg] = append(w.by[msg], cg)
}

func (w *warnAgg) list() []string {
	var out []string
	for _, msg := range w.order {
		paths := w.by[msg]
		switch {
		case len(paths) <= 3:
			for _, p := range paths {
				out = append(out, "cgroup "+strconv.Quote(p)+": "+msg)
			}
		default:
			out = append(out, msg+" in "+strconv.Itoa(len(paths))+" cgroups (first "+strconv.Quote(paths[0])+")")
		}
	}
	return out
}

// podOf names the pod whose own cgroup n is: a child container's pod whose
// UID n's name carries (kubepods-burstable-pod<uid_>.slice, pod<uid>).
func podOf(n *Node) *inspect.Pod {
	if n.Container != nil {
		return nil
	}
	for _, c := range n.children {
		if c.Container == nil || c.Container.Pod == nil || c.Container.Pod.UID == "" {
			continue
		}
		uid := c.Container.Pod.UID
		if name := n.Name(); strings.Contains(name, uid) || strings.Contains(name, strings.ReplaceAll(uid, "-", "_")) {
			p := *c.Container.Pod
			return &p
		}
	}
	return nil
}
