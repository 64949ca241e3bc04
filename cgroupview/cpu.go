package cgroupview

// CPU is the cpu (and cpuacct) controller of one cgroup. Times are µs.
type CPU struct {
	Version int    `json:"version"`
	Path    string `json:"path"`
	// UsageUsec is cpu.stat usage_usec (v1 cpuacct.usage, ns → µs).
	UsageUsec  *uint64 `json:"usageUsec,omitempty"`
	UserUsec   *uint64 `json:"userUsec,omitempty"`
	SystemUsec *uint64 `json:"systemUsec,omitempty"`
	// Max is cpu.max (v1 cpu.cfs_quota_us and cpu.cfs_period_us).
	Max *CPUMax `json:"max,omitempty"`
	// Weight is v2 cpu.weight (1..10000, default 100); Shares is v1
	// cpu.shares (2..262144, default 1024).
	Weight *uint64 `json:"weight,omitempty"`
	Shares *uint64 `json:"shares,omitempty"`
	// Throttling by this group's own quota (cpu.stat; not inherited).
	NrPeriods     *uint64 `json:"nrPeriods,omitempty"`
	NrThrottled   *uint64 `json:"nrThrottled,omitempty"`
	ThrottledUsec *uint64 `json:"throttledUsec,omitempty"` // v1 throttled_time ns → µs
}

// cpu reads the cpu controller (cpu.max, cpu.weight, cpu.stat; v1
// cpu.cfs_*, cpu.shares, cpu.stat) and usage from cpu.stat of the unified
// tree, which has it even where the cpu controller is bound elsewhere;
// v1 cpuacct.usage is the fallback.
func (s *statReader) cpu(l *Layout, m *Membership) *CPU {
	var c *CPU
	if d, v, p := s.open(l, m, "cpu"); d != nil {
		c = &CPU{Version: v, Path: p.Path}
		isRoot := p.Path == "/"
		if v == 2 {
			if b := s.file(d, "cpu.max", isRoot); b != nil {
				if mx, err := parseCPUMax(b); err != nil {
					s.warnf("cpu.max: %v", err)
				} else {
					c.Max = &mx
				}
			} else if isRoot {
				c.Max = &CPUMax{Unlimited: true}
			}
			c.Weight = s.uint(d, "cpu.weight", isRoot)
		} else {
			q, per := s.file(d, "cpu.cfs_quota_us", false), []byte(nil)
			if q != nil {
				q = append([]byte(nil), q...) // the next read reuses the buffer
				per = s.file(d, "cpu.cfs_period_us", false)
			}
			if q != nil && per != nil {
				if mx, err := parseV1Quota(q, per); err != nil {
					s.warnf("cpu.cfs_quota_us: %v", err)
				} else {
					c.Max = &mx
				}
			}
			c.Shares = s.uint(d, "cpu.shares", false)
		}
		if st := s.keyed(d, "cpu.stat", false); st != nil {
			c.NrPeriods, c.NrThrottled = key(st, "nr_periods"), key(st, "nr_throttled")
			if v == 2 {
				c.ThrottledUsec = key(st, "throttled_usec")
				c.UsageUsec, c.UserUsec, c.SystemUsec = key(st, "usage_usec"), key(st, "user_usec"), key(st, "system_usec")
			} else {
				c.ThrottledUsec = usecFromNsec(key(st, "throttled_time"))
			}
		}
		d.close()
	}
	if c != nil && c.UsageUsec != nil {
		return c
	}
	// Usage: the unified cpu.stat of the same group, else cpuacct.
	if u, p := l.Unified(), m.Unified(); u != nil && p != nil && p.Dir != "" && (c == nil || c.Path == p.Path) {
		if d, err := s.r.open(s.root.Host(p.Dir)); err == nil {
			if st := s.keyed(d, "cpu.stat", false); st != nil {
				if c == nil {
					c = &CPU{Version: 2, Path: p.Path}
				}
				c.UsageUsec, c.UserUsec, c.SystemUsec = key(st, "usage_usec"), key(st, "user_usec"), key(st, "system_usec")
			}
			d.close()
		}
		if c != nil && c.UsageUsec != nil {
			return c
		}
	}
	if l.V1("cpuacct") != nil {
		if d, _, p := s.open(l, m, "cpuacct"); d != nil {
			if c == nil {
				c = &CPU{Version: 1, Path: p.Path}
			}
			c.UsageUsec = usecFromNsec(s.uint(d, "cpuacct.usage", false))
			c.UserUsec = usecFromNsec(s.uint(d, "cpuacct.usage_user", true))
			c.SystemUsec = usecFromNsec(s.uint(d, "cpuacct.usage_sys", true))
			d.close()
		}
	}
	return c
}

func usecFromNsec(p *uint64) *uint64 {
	if p == nil {
		return nil
	}
	v := *p / 1000
	return &v
}
