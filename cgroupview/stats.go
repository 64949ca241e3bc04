package cgroupview

import (
	"errors"
	"fmt"
	"os"

	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// Stats is one process's cgroup usage and limits, v1 and v2 mapped onto
// one model with explicit units. Every pointer is nil when the value is
// unknown (file missing, unreadable, controller not mounted): unknown is
// never 0. On hybrid hosts each controller is read where it is bound (v1
// usually), CPU usage and PSI come from the unified tree.
type Stats struct {
	Memory *Memory `json:"memory,omitempty"`
	CPU    *CPU    `json:"cpu,omitempty"`
	PIDs   *PIDs   `json:"pids,omitempty"`
	PSI    *PSI    `json:"psi,omitempty"`
}

// ReadStats reads the usage and limits of the cgroups process membership
// m sits in. It returns what it could read and a warning for everything it
// could not.
//
// Equivalent to: cat memory.{current,max,stat,events} cpu.{max,stat}
// pids.{current,max,events} *.pressure in each of the process's cgroups.
func ReadStats(root hostfs.Root, l *Layout, m *Membership) (*Stats, []string) {
	s := &statReader{root: root}
	st := &Stats{}
	if d, v, p := s.open(l, m, "memory"); d != nil {
		st.Memory = s.memory(d, v, p)
		d.close()
	}
	st.CPU = s.cpu(l, m)
	if d, v, p := s.open(l, m, "pids"); d != nil {
		st.PIDs = s.pids(d, v, p)
		d.close()
	}
	st.PSI = s.psi(l, m)
	return st, s.warnings
}

// statReader carries the buffer and warnings of one ReadStats call.
type statReader struct {
	root     hostfs.Root
	r        reader
	warnings []string
	// summary skips what a scan of many cgroups does not show (peaks,
	// swap, weights); swap reads the v2 swap files all the same (for ctx
	// cgroup check); full adds what `ctx cgroup show` does; ioLimits
	// reads the per-device IO statistics and limits (for the IO_LIMITED
	// check).
	summary, swap, full, ioLimits bool
}

func (s *statReader) warnf(format string, args ...any) {
	s.warnings = append(s.warnings, fmt.Sprintf(format, args...))
}

// placementFor finds where controller c of m is: its v1 hierarchy, or the
// unified one when c is bound there.
func placementFor(l *Layout, m *Membership, c string) (int, *Placement) {
	if l.V1(c) != nil {
		return 1, m.V1(c)
	}
	if u := l.Unified(); u != nil && u.Has(c) {
		return 2, m.Unified()
	}
	return 0, nil
}

// open opens the directory of controller c; nil with a warning when it is
// not mounted or not reachable.
func (s *statReader) open(l *Layout, m *Membership, c string) (*dir, int, *Placement) {
	v, p := placementFor(l, m, c)
	switch {
	case v == 0:
		s.warnf("%s: controller not mounted", c)
		return nil, 0, nil
	case p == nil:
		s.warnf("%s: PID %d has no cgroup in its hierarchy", c, m.PID)
		return nil, 0, nil
	case p.Dir == "":
		return nil, 0, nil // ForPID warned
	}
	d, err := s.r.open(s.root.Host(p.Dir))
	if err != nil {
		s.warnf("%s: cgroup %q: %s", c, p.Path, errText(err))
		return nil, 0, nil
	}
	return d, v, p
}

// file reads name; on failure it returns nil and warns, except for a
// missing optional file (one that only newer kernels or some setups have,
// or that the root cgroup lacks).
func (s *statReader) file(d *dir, name string, optional bool) []byte {
	b, err := d.read(name)
	if err == nil {
		return b
	}
	if optional && errors.Is(err, os.ErrNotExist) {
		return nil
	}
	s.warnf("%s: %s", name, errText(err))
	return nil
}

func (s *statReader) uint(d *dir, name string, optional bool) *uint64 {
	b := s.file(d, name, optional)
	if b == nil {
		return nil
	}
	v, err := parseUint(b)
	if err != nil {
		s.warnf("%s: %v", name, err)
		return nil
	}
	return &v
}

func (s *statReader) keyed(d *dir, name string, optional bool) map[string]uint64 {
	b := s.file(d, name, optional)
	if b == nil {
		return nil
	}
	return parseKeyed(b)
}

// limit reads a limit file with parse. The root cgroup has no limit files
// and cannot be limited: there a missing file means unlimited.
func (s *statReader) limit(d *dir, name string, isRoot bool, parse func([]byte) (Limit, error)) *Limit {
	b := s.file(d, name, isRoot)
	if b == nil {
		if isRoot {
			return &Limit{Unlimited: true}
		}
		return nil
	}
	l, err := parse(b)
	if err != nil {
		s.warnf("%s: %v", name, err)
		return nil
	}
	return &l
}

// key returns a pointer to k's value in kv, or nil when absent.
func key(kv map[string]uint64, k string) *uint64 {
	if v, ok := kv[k]; ok {
		return &v
	}
	return nil
}

// optLimit reads an optional limit file (absent on older kernels or
// without an accounting option), like limit.
func (s *statReader) optLimit(d *dir, name string, parse func([]byte) (Limit, error)) *Limit {
	b := s.file(d, name, true)
	if b == nil {
		return nil
	}
	l, err := parse(b)
	if err != nil {
		s.warnf("%s: %v", name, err)
		return nil
	}
	return &l
}
