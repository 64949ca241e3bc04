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
	// Burst: cpu.max.burst (v1 cpu.cfs_burst_us), and how often and how
	// long the group ran on burst (cpu.stat nr_bursts, burst_usec; v1
	// burst_time ns → µs). Set by ReadCgroup only.
	BurstUsec      *uint64 `json:"burstUsec,omitempty"`
	NrBursts       *uint64 `json:"nrBursts,omitempty"`
	BurstUsageUsec *uint64 `json:"burstUsageUsec,omitempty"`
	// LocalThrottledUsec is cpu.stat.local throttled_usec (v2, new
	// kernels): time throttled by any ancestor's quota too. A scan reads
	// it only for groups without a quota of their own.
	LocalThrottledUsec *uint64 `json:"localThrottledUsec,omitempty"`
}

// ThrottledPct is nr_throttled / nr_periods in percent; ok is false when
// either is unknown or no period has elapsed.
func (c *CPU) ThrottledPct() (pct float64, ok bool) {
	if c == nil || c.NrPeriods == nil || c.NrThrottled == nil || *c.NrPeriods == 0 {
		return 0, false
	}
	return 100 * float64(*c.NrThrottled) / float64(*c.NrPeriods), true
}

var (
	cpuStatV2  = []string{"usage_usec", "user_usec", "system_usec", "nr_periods", "nr_throttled", "throttled_usec", "nr_bursts", "burst_usec"}
	cpuStatV1  = []string{"nr_periods", "nr_throttled", "throttled_time", "nr_bursts", "burst_time"}
	cpuStatLoc = []string{"throttled_usec"}
)

// cpuController reads the cpu controller's own files in d (cpu.max,
// cpu.weight, cpu.stat; v1 cpu.cfs_*, cpu.shares, cpu.stat) into c. On v2
// cpu.stat also carries the usage.
func (s *statReader) cpuController(d *dir, version int, isRoot bool, c *CPU) {
	if version == 2 {
		if b := s.file(d, "cpu.max", isRoot); b != nil {
			if mx, err := parseCPUMax(b); err != nil {
				s.warnf("cpu.max: %v", err)
			} else {
				c.Max = &mx
			}
		} else if isRoot {
			c.Max = &CPUMax{Unlimited: true}
		}
		if !s.summary {
			c.Weight = s.uint(d, "cpu.weight", isRoot)
		}
		s.cpuStatV2(d, c, true)
		if s.full {
			c.BurstUsec = s.uint(d, "cpu.max.burst", true)
		}
		return
	}
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
	if !s.summary {
		c.Shares = s.uint(d, "cpu.shares", false)
	}
	if b := s.file(d, "cpu.stat", false); b != nil {
		v := pickKeyed(b, cpuStatV1)
		c.NrPeriods, c.NrThrottled, c.ThrottledUsec = v[0], v[1], usecFromNsec(v[2])
		if s.full {
			c.NrBursts, c.BurstUsageUsec = v[3], usecFromNsec(v[4])
		}
	}
	if s.full {
		c.BurstUsec = s.uint(d, "cpu.cfs_burst_us", true)
	}
}

// cpuStatV2 reads a unified cpu.stat: usage always (the cgroup2 core
// serves it even where the cpu controller is bound elsewhere), throttling
// when bandwidth is the cpu controller's.
func (s *statReader) cpuStatV2(d *dir, c *CPU, bandwidth bool) {
	if b := s.file(d, "cpu.stat", false); b != nil {
		v := pickKeyed(b, cpuStatV2)
		c.UsageUsec, c.UserUsec, c.SystemUsec = v[0], v[1], v[2]
		if bandwidth {
			c.NrPeriods, c.NrThrottled, c.ThrottledUsec = v[3], v[4], v[5]
			if s.full {
				c.NrBursts, c.BurstUsageUsec = v[6], v[7]
			}
		}
	}
	// A scan reads cpu.stat.local only where the group has no quota of
	// its own: there it shows throttling by an ancestor's quota, which the
	// group's cpu.stat (non-hierarchical bandwidth fields) cannot.
	if s.full || (bandwidth && c.Max != nil && c.Max.Unlimited) {
		if b := s.file(d, "cpu.stat.local", true); b != nil {
			c.LocalThrottledUsec = pickKeyed(b, cpuStatLoc)[0]
		}
	}
}

// cpuacct reads v1 cpuacct usage (ns → µs).
func (s *statReader) cpuacct(d *dir, c *CPU) {
	c.UsageUsec = usecFromNsec(s.uint(d, "cpuacct.usage", false))
	if !s.summary {
		c.UserUsec = usecFromNsec(s.uint(d, "cpuacct.usage_user", true))
		c.SystemUsec = usecFromNsec(s.uint(d, "cpuacct.usage_sys", true))
	}
}

// cpu reads the cpu controller and usage from cpu.stat of the unified
// tree, which has it even where the cpu controller is bound elsewhere; v1
// cpuacct.usage is the fallback.
func (s *statReader) cpu(l *Layout, m *Membership) *CPU {
	var c *CPU
	if d, v, p := s.open(l, m, "cpu"); d != nil {
		c = &CPU{Version: v, Path: p.Path}
		s.cpuController(d, v, p.Path == "/", c)
		d.close()
	}
	if c != nil && c.UsageUsec != nil {
		return c
	}
	// Usage: the unified cpu.stat of the same group, else cpuacct.
	if u, p := l.Unified(), m.Unified(); u != nil && p != nil && p.Dir != "" && (c == nil || c.Path == p.Path) {
		if d, err := s.r.open(s.root.Host(p.Dir)); err == nil {
			if c == nil {
				c = &CPU{Version: 2, Path: p.Path}
			}
			s.cpuStatV2(d, c, false)
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
			s.cpuacct(d, c)
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
