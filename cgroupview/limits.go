package cgroupview

import (
	"errors"
	"os"
	"path"

	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// Effective is the limit that binds a cgroup: the minimum over the group
// and its ancestors. SetBy is the cgroup path that sets it (empty when
// unlimited).
type Effective struct {
	Limit
	SetBy string `json:"setBy,omitempty"`
}

// EffectiveCPU is the CPU bandwidth limit that binds a cgroup: the
// smallest quota/period over the group and its ancestors.
type EffectiveCPU struct {
	CPUMax
	// Cores is quota/period in CPUs (0.5 = half a CPU), nil when
	// unlimited.
	Cores *float64 `json:"cores,omitempty"`
	SetBy string   `json:"setBy,omitempty"`
}

// Limits are the effective limits of one process's cgroups. A nil field
// is unknown (controller not mounted, or no level readable). Memory is in
// bytes, PIDs in tasks.
type Limits struct {
	Memory *Effective    `json:"memory,omitempty"`
	CPU    *EffectiveCPU `json:"cpu,omitempty"`
	PIDs   *Effective    `json:"pids,omitempty"`
}

// EffectiveLimits computes the memory, CPU-quota and pids limits that bind
// the cgroups of m: each the minimum over the group and every ancestor
// visible through its mount, naming the group that sets it. A container
// without a limit of its own is still bound by its pod's.
//
// Equivalent to: walking up from the group, cat memory.max cpu.max
// pids.max (v1 memory.limit_in_bytes, cpu.cfs_quota_us, pids.max) at each
// level.
func EffectiveLimits(root hostfs.Root, l *Layout, m *Membership) (*Limits, []string) {
	s := &statReader{root: root}
	out := &Limits{}
	if v, p, h := s.lineage(l, m, "memory"); p != nil {
		name, parse := "memory.max", parseMax
		if v == 1 {
			name, parse = "memory.limit_in_bytes", parseV1Limit
		}
		out.Memory = s.minLimit(h, p, name, parse)
	}
	if _, p, h := s.lineage(l, m, "pids"); p != nil {
		out.PIDs = s.minLimit(h, p, "pids.max", parseMax)
	}
	if v, p, h := s.lineage(l, m, "cpu"); p != nil {
		out.CPU = s.minCPU(v, h, p)
	}
	return out, s.warnings
}

// lineage finds controller c's placement and hierarchy.
func (s *statReader) lineage(l *Layout, m *Membership, c string) (int, *Placement, *Hierarchy) {
	v, p := placementFor(l, m, c)
	if v == 0 || p == nil || p.Dir == "" {
		return 0, nil, nil
	}
	h := l.V1(c)
	if v == 2 {
		h = l.Unified()
	}
	return v, p, h
}

// ancestors lists the cgroup paths from p up to the top h exposes, leaf
// first, warning when the top is not the root.
func (s *statReader) ancestors(h *Hierarchy, p *Placement) []string {
	top := path.Clean("/" + h.MountRoot)
	var out []string
	for cur := path.Clean(p.Path); ; cur = path.Dir(cur) {
		out = append(out, cur)
		if cur == top || cur == "/" {
			break
		}
	}
	if top != "/" {
		s.warnf("limits above %q are not visible through the mount at %q", top, h.MountPoint)
	}
	return out
}

// levelFile reads one limit file at cgroup path cg. ok is false when the
// level does not constrain (the root, where limit files are absent, or a
// v2 group whose parent does not enable the controller) or is unknown
// (warned).
func (s *statReader) levelFile(h *Hierarchy, cg, name string) ([]byte, bool) {
	dp, _ := dirOf(h, cg)
	d, err := s.r.open(s.root.Host(dp))
	if err != nil {
		s.warnf("cgroup %q: %s", cg, errText(err))
		return nil, false
	}
	defer d.close()
	b, err := d.read(name)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && (cg == "/" || h.Version == 2) {
			return nil, false
		}
		s.warnf("%s of %q: %s", name, cg, errText(err))
		return nil, false
	}
	return append([]byte(nil), b...), true
}

func (s *statReader) minLimit(h *Hierarchy, p *Placement, name string, parse func([]byte) (Limit, error)) *Effective {
	var best *Effective
	known := false
	for _, cg := range s.ancestors(h, p) {
		b, ok := s.levelFile(h, cg, name)
		if !ok {
			if cg == "/" {
				known = true // the root cannot be limited
			}
			continue
		}
		lim, err := parse(b)
		if err != nil {
			s.warnf("%s of %q: %v", name, cg, err)
			continue
		}
		known = true
		if best == nil || lim.Less(best.Limit) {
			best = &Effective{Limit: lim, SetBy: cg}
		}
	}
	if best == nil && known {
		best = &Effective{Limit: Limit{Unlimited: true}}
	}
	if best != nil && best.Unlimited {
		best.SetBy = ""
	}
	return best
}

func (s *statReader) minCPU(version int, h *Hierarchy, p *Placement) *EffectiveCPU {
	var best *EffectiveCPU
	known := false
	for _, cg := range s.ancestors(h, p) {
		var mx CPUMax
		var err error
		if version == 2 {
			b, ok := s.levelFile(h, cg, "cpu.max")
			if !ok {
				known = known || cg == "/"
				continue
			}
			mx, err = parseCPUMax(b)
		} else {
			q, ok := s.levelFile(h, cg, "cpu.cfs_quota_us")
			if !ok {
				known = known || cg == "/"
				continue
			}
			per, ok := s.levelFile(h, cg, "cpu.cfs_period_us")
			if !ok {
				continue
			}
			mx, err = parseV1Quota(q, per)
		}
		if err != nil {
			s.warnf("cpu limit of %q: %v", cg, err)
			continue
		}
		known = true
		if best == nil || mx.Less(best.CPUMax) {
			best = &EffectiveCPU{CPUMax: mx, SetBy: cg}
		}
	}
	if best == nil && known {
		best = &EffectiveCPU{CPUMax: CPUMax{Unlimited: true}}
	}
	if best != nil {
		if n, ok := best.CPUs(); ok {
			best.Cores = &n
		} else {
			best.SetBy = ""
		}
	}
	return best
}
