package cgroupview

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// PSI is pressure stall information of one cgroup (v2, or the unified
// tree of a hybrid host). A nil resource is unavailable (psi=0, kernel
// without PSI, cgroup.pressure 0), never "no pressure".
type PSI struct {
	Path   string    `json:"path"`
	CPU    *Pressure `json:"cpu,omitempty"`
	Memory *Pressure `json:"memory,omitempty"`
	IO     *Pressure `json:"io,omitempty"`
}

// psi reads cpu, memory and io pressure from the process's unified
// cgroup. EOPNOTSUPP (psi=0, cgroup.pressure 0) and a missing file mean
// unavailable.
func (s *statReader) psi(l *Layout, m *Membership) *PSI {
	u, p := l.Unified(), m.Unified()
	if u == nil {
		s.warnf("PSI unavailable: no cgroup2 mount")
		return nil
	}
	if p == nil || p.Dir == "" {
		s.warnf("PSI unavailable: PID %d's cgroup2 group is not reachable", m.PID)
		return nil
	}
	d, err := s.r.open(s.root.Host(p.Dir))
	if err != nil {
		s.warnf("PSI unavailable: cgroup %q: %s", p.Path, errText(err))
		return nil
	}
	defer d.close()
	return s.psiDir(d, p.Path)
}

var psiFiles = [3]string{"cpu.pressure", "memory.pressure", "io.pressure"}

// psiDir reads the three pressure files of one unified cgroup directory.
func (s *statReader) psiDir(d *dir, cgPath string) *PSI {
	out := &PSI{Path: cgPath}
	dst := [3]**Pressure{&out.CPU, &out.Memory, &out.IO}
	missing := 0
	for i, name := range psiFiles {
		b, err := d.read(name)
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) && !errors.Is(err, unix.EOPNOTSUPP) {
				s.warnf("%s: %s", name, errText(err))
			}
			missing++
			continue
		}
		pr, err := parsePSI(b)
		if err != nil {
			s.warnf("%s: %v", name, err)
			continue
		}
		*dst[i] = pr
	}
	if missing == 3 {
		s.warnf("PSI unavailable for cgroup %q (kernel booted with psi=0, or cgroup.pressure is 0)", cgPath)
		return nil
	}
	return out
}
