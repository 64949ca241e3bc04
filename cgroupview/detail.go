package cgroupview

import (
	"errors"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/ctx-tools/ctx/inspect"
	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// Detail is one cgroup in depth, what `ctx cgroup show` prints: every
// controller that matters, v1 and v2 mapped onto one model with explicit
// units, the limits of its ancestors, its events, PSI and members.
type Detail struct {
	Node
	Mode Mode `json:"mode"`
	// Dirs are the cgroup's directories, one per hierarchy holding it.
	Dirs    []HierarchyDir `json:"dirs"`
	Cpuset  *Cpuset        `json:"cpuset,omitempty"`
	Hugetlb []Hugetlb      `json:"hugetlb,omitempty"`
	Devices *Devices       `json:"devices,omitempty"`
	// Descendants is v2 cgroup.stat of this cgroup.
	Descendants *DyingCount `json:"descendants,omitempty"`
	// Ancestors are the own limits of each ancestor, parent first, up to
	// the top the mounts expose.
	Ancestors []Ancestor `json:"ancestors"`
	Warnings  []string   `json:"warnings,omitempty"`
}

// HierarchyDir is where a cgroup lives in one hierarchy.
type HierarchyDir struct {
	Version     int      `json:"version"`
	Controllers []string `json:"controllers"`
	// Dir is host-absolute; open it through Root.Host.
	Dir string `json:"dir"`
	// Procs are the member processes in this hierarchy.
	Procs []int `json:"procs"`
}

// Ancestor is one ancestor's own limits; nil is unknown or, where the
// ancestor is not in that controller's hierarchy, not applicable.
type Ancestor struct {
	Path   string  `json:"path"`
	Memory *Limit  `json:"memory,omitempty"`
	CPU    *CPUMax `json:"cpu,omitempty"`
	PIDs   *Limit  `json:"pids,omitempty"`
}

// Cpuset is the cpuset controller: CPU and memory-node lists as the kernel
// prints them ("0-3,8"), requested and effective.
type Cpuset struct {
	Version       int    `json:"version"`
	CPUs          string `json:"cpus"`
	Mems          string `json:"mems"`
	EffectiveCPUs string `json:"effectiveCpus"`
	EffectiveMems string `json:"effectiveMems"`
	// NumEffectiveCPUs counts EffectiveCPUs; nil when unknown.
	NumEffectiveCPUs *int `json:"numEffectiveCpus,omitempty"`
	// Partition is v2 cpuset.cpus.partition (member, root, isolated).
	Partition string `json:"partition,omitempty"`
}

// Hugetlb is one huge page size of the hugetlb controller. Bytes.
type Hugetlb struct {
	Version  int     `json:"version"`
	PageSize string  `json:"pageSize"` // "2MB", "1GB"
	Current  *uint64 `json:"currentBytes,omitempty"`
	Limit    *Limit  `json:"limit,omitempty"`
	// EventsMax is v2 hugetlb.<size>.events max; FailCnt v1 failcnt.
	EventsMax *uint64 `json:"eventsMax,omitempty"`
	FailCnt   *uint64 `json:"failcnt,omitempty"`
}

// Devices is the device controller: v1's allow list (devices.list, "c
// 1:3 rwm"), or on v2 whether a BPF_CGROUP_DEVICE program applies (v2 has
// no list; runtimes attach a program).
type Devices struct {
	Version int      `json:"version"`
	Allow   []string `json:"allow,omitempty"`
	// BPFProgram is set on v2: a device program is attached to the
	// cgroup or an ancestor. Nil when it could not be queried.
	BPFProgram *bool `json:"bpfProgram,omitempty"`
}

// ReadCgroup reads one cgroup in depth (ctx cgroup show). name names
// containers as in ScanOptions. It fails only when the path exists in no
// hierarchy.
//
// Equivalent to: cat of every interface file of the cgroup in each
// hierarchy, and the limit files of each ancestor.
func ReadCgroup(root hostfs.Root, l *Layout, cgPath string, name func(string) *inspect.Container) (*Detail, error) {
	cgPath = path.Clean("/" + cgPath)
	t, err := Scan(root, l, ScanOptions{Top: cgPath, Depth: 0, IO: true, AllHierarchies: true, Name: name, full: true})
	if err != nil {
		return nil, err
	}
	n := t.Node(cgPath)
	d := &Detail{Node: *n, Mode: l.Mode, Warnings: t.Warnings, Ancestors: []Ancestor{}}
	s := &statReader{root: root, full: true}
	seen := map[int]bool{}
	for i := range l.Hierarchies {
		h := &l.Hierarchies[i]
		dp, ok := dirOf(h, cgPath)
		if !ok {
			continue
		}
		dd, err := s.r.open(root.Host(dp))
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				s.warnf("%s: %s", h.label(), errText(err))
			}
			continue
		}
		hd := HierarchyDir{Version: h.Version, Controllers: h.Controllers, Dir: dp, Procs: []int{}}
		if b := s.file(dd, "cgroup.procs", false); b != nil {
			hd.Procs = parseProcs(b)
			for _, p := range hd.Procs {
				seen[p] = true
			}
		}
		d.Dirs = append(d.Dirs, hd)
		d.readExtra(s, l, h, dd, cgPath)
		dd.close()
	}
	d.Procs = make([]int, 0, len(seen))
	for p := range seen {
		d.Procs = append(d.Procs, p)
	}
	sort.Ints(d.Procs)
	d.ProcsFrom = "all"
	d.Ancestors = ancestors(s, l, cgPath)
	for _, w := range s.warnings {
		d.Warnings = append(d.Warnings, "cgroup "+strconv.Quote(cgPath)+": "+w)
	}
	return d, nil
}

// readExtra reads the controllers a scan skips: cpuset, hugetlb, freezer,
// devices, and v2 cgroup.events and cgroup.stat.
func (d *Detail) readExtra(s *statReader, l *Layout, h *Hierarchy, dd *dir, cg string) {
	isRoot := cg == "/"
	if h.Version == 2 {
		d.readEvents(s, l, dd, isRoot)
		if b := s.file(dd, "cgroup.stat", true); b != nil {
			v := pickKeyed(b, cgroupStatKeys)
			if v[0] != nil && v[1] != nil {
				d.Descendants = &DyingCount{Hierarchy: "cgroup2", Path: cg, Live: *v[0], Dying: *v[1]}
			}
		}
		if h.Has("cpuset") && (isRoot || d.Has("cpuset")) {
			d.Cpuset = readCpuset(s, dd, 2, isRoot)
		}
		if h.Has("hugetlb") && (isRoot || d.Has("hugetlb")) {
			d.Hugetlb = readHugetlb(s, dd, 2, isRoot)
		}
		if l.V1("devices") == nil {
			dev := &Devices{Version: 2}
			if !s.root.Live() {
				s.warnf("devices: the BPF device program can only be queried on a live host")
			} else if has, err := deviceProgram(dd.fd); err != nil {
				s.warnf("devices: querying the BPF device program: %s", errText(err))
			} else {
				dev.BPFProgram = &has
			}
			d.Devices = dev
		}
		return
	}
	switch {
	case h.Has("cpuset"):
		d.Cpuset = readCpuset(s, dd, 1, isRoot)
	case h.Has("hugetlb"):
		d.Hugetlb = readHugetlb(s, dd, 1, isRoot)
	}
	if h.Has("freezer") && !isRoot {
		d.setFreezer(s.freezerV1(dd))
	}
	if h.Has("devices") {
		dev := &Devices{Version: 1, Allow: []string{}}
		if b := s.file(dd, "devices.list", false); b != nil {
			for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
				if line != "" {
					dev.Allow = append(dev.Allow, line)
				}
			}
		}
		d.Devices = dev
	}
}

func (s *statReader) boolFile(d *dir, name string) *bool {
	v := s.uint(d, name, true)
	if v == nil {
		return nil
	}
	b := *v != 0
	return &b
}

func (s *statReader) text(d *dir, name string, optional bool) string {
	b := s.file(d, name, optional)
	return strings.TrimSpace(string(b))
}

// readCpuset reads cpuset.* (cgroup-v2.rst "Cpuset"; cgroup-v1/cpusets.rst).
func readCpuset(s *statReader, d *dir, version int, isRoot bool) *Cpuset {
	c := &Cpuset{Version: version}
	if version == 2 {
		c.CPUs = s.text(d, "cpuset.cpus", isRoot)
		c.Mems = s.text(d, "cpuset.mems", isRoot)
		c.EffectiveCPUs = s.text(d, "cpuset.cpus.effective", false)
		c.EffectiveMems = s.text(d, "cpuset.mems.effective", false)
		if !isRoot {
			c.Partition = s.text(d, "cpuset.cpus.partition", true)
		}
	} else {
		c.CPUs = s.text(d, "cpuset.cpus", false)
		c.Mems = s.text(d, "cpuset.mems", false)
		c.EffectiveCPUs = s.text(d, "cpuset.effective_cpus", false)
		c.EffectiveMems = s.text(d, "cpuset.effective_mems", false)
	}
	if n, ok := countList(c.EffectiveCPUs); ok {
		c.NumEffectiveCPUs = &n
	}
	return c
}

// countList counts the members of a kernel list such as "0-3,8".
func countList(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return 0, false
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return 0, false
			}
		}
		n += b - a + 1
	}
	return n, true
}

// readHugetlb reads hugetlb.<size>.* for every page size the directory
// lists (cgroup-v2.rst "HugeTLB"; cgroup-v1/hugetlb.rst).
func readHugetlb(s *statReader, d *dir, version int, isRoot bool) []Hugetlb {
	var sizes []string
	_, err := d.list(func(name []byte) {
		n := string(name)
		suffix := ".max"
		if version == 1 {
			suffix = ".limit_in_bytes"
		}
		if strings.HasPrefix(n, "hugetlb.") && strings.HasSuffix(n, suffix) && !strings.Contains(n, ".rsvd.") {
			sizes = append(sizes, strings.TrimSuffix(strings.TrimPrefix(n, "hugetlb."), suffix))
		}
	})
	if err != nil {
		s.warnf("hugetlb: %s", errText(err))
	}
	sort.Slice(sizes, func(i, j int) bool { return pageBytes(sizes[i]) < pageBytes(sizes[j]) })
	var out []Hugetlb
	for _, sz := range sizes {
		hp := Hugetlb{Version: version, PageSize: sz}
		pre := "hugetlb." + sz
		if version == 2 {
			hp.Current = s.uint(d, pre+".current", isRoot)
			hp.Limit = s.limit(d, pre+".max", isRoot, parseMax)
			if b := s.file(d, pre+".events", isRoot); b != nil {
				hp.EventsMax = pickKeyed(b, pidsEventsKeys)[0]
			}
		} else {
			hp.Current = s.uint(d, pre+".usage_in_bytes", false)
			hp.Limit = s.limit(d, pre+".limit_in_bytes", isRoot, parseV1Limit)
			hp.FailCnt = s.uint(d, pre+".failcnt", true)
		}
		out = append(out, hp)
	}
	return out
}

func pageBytes(sz string) uint64 {
	mult := uint64(1)
	switch {
	case strings.HasSuffix(sz, "KB"):
		mult = 1 << 10
	case strings.HasSuffix(sz, "MB"):
		mult = 1 << 20
	case strings.HasSuffix(sz, "GB"):
		mult = 1 << 30
	}
	v, _ := strconv.ParseUint(strings.TrimRight(sz, "KMGB"), 10, 64)
	return v * mult
}

// ancestors reads the own memory, CPU and pids limits of each ancestor of
// cg, parent first.
func ancestors(s *statReader, l *Layout, cg string) []Ancestor {
	out := []Ancestor{}
	if cg == "/" {
		return out
	}
	m := membershipAt(l, cg)
	type src struct {
		v int
		p *Placement
		h *Hierarchy
	}
	var mem, pids, cpu src
	mem.v, mem.p, mem.h = s.lineage(l, m, "memory")
	pids.v, pids.p, pids.h = s.lineage(l, m, "pids")
	cpu.v, cpu.p, cpu.h = s.lineage(l, m, "cpu")
	// Any hierarchy bounds how far up ctx can see.
	var chain []string
	for _, x := range []src{mem, pids, cpu} {
		if x.p != nil {
			if c := s.ancestors(x.h, x.p); len(c) > len(chain) {
				chain = c
			}
		}
	}
	s.warnings = dedupe(s.warnings)
	for _, a := range chain[min(1, len(chain)):] {
		anc := Ancestor{Path: a}
		if mem.p != nil {
			name, parse := "memory.max", parseMax
			if mem.v == 1 {
				name, parse = "memory.limit_in_bytes", parseV1Limit
			}
			if b, ok := s.levelFile(mem.h, a, name); ok {
				if lim, err := parse(b); err == nil {
					anc.Memory = &lim
				}
			} else if a == "/" {
				anc.Memory = &Limit{Unlimited: true}
			}
		}
		if pids.p != nil {
			if b, ok := s.levelFile(pids.h, a, "pids.max"); ok {
				if lim, err := parseMax(b); err == nil {
					anc.PIDs = &lim
				}
			} else if a == "/" {
				anc.PIDs = &Limit{Unlimited: true}
			}
		}
		if cpu.p != nil {
			if cpu.v == 2 {
				if b, ok := s.levelFile(cpu.h, a, "cpu.max"); ok {
					if mx, err := parseCPUMax(b); err == nil {
						anc.CPU = &mx
					}
				}
			} else if q, ok := s.levelFile(cpu.h, a, "cpu.cfs_quota_us"); ok {
				if per, ok := s.levelFile(cpu.h, a, "cpu.cfs_period_us"); ok {
					if mx, err := parseV1Quota(q, per); err == nil {
						anc.CPU = &mx
					}
				}
			}
			if anc.CPU == nil && a == "/" {
				anc.CPU = &CPUMax{Unlimited: true}
			}
		}
		out = append(out, anc)
	}
	return out
}

func dedupe(list []string) []string {
	seen := map[string]bool{}
	out := list[:0]
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
