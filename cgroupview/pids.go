package cgroupview

// PIDs is the pids controller of one cgroup.
type PIDs struct {
	Version int     `json:"version"`
	Path    string  `json:"path"`
	Current *uint64 `json:"current,omitempty"`
	Limit   *Limit  `json:"limit,omitempty"`
	Peak    *uint64 `json:"peak,omitempty"`
	// EventsMax is pids.events max: forks rejected at the limit (v1 and
	// pids_localevents: this group's limit only; v2: also descendants').
	EventsMax *uint64 `json:"eventsMax,omitempty"`
	// LocalEventsMax is v2 pids.events.local max (new kernels): forks
	// rejected by this group's own limit. Set by ReadCgroup only.
	LocalEventsMax *uint64 `json:"localEventsMax,omitempty"`
}

// UsedPct is current / limit in percent against limit, which the caller
// picks (own or effective); ok is false when either is unknown or the
// limit is unlimited or 0.
func (p *PIDs) UsedPct(limit *Limit) (float64, bool) {
	if p == nil || p.Current == nil || limit == nil || limit.Unlimited || limit.Max == nil || *limit.Max == 0 {
		return 0, false
	}
	return 100 * float64(*p.Current) / float64(*limit.Max), true
}

var pidsEventsKeys = []string{"max"}

// pids reads pids.* (cgroup-v2.rst "PID"; cgroup-v1/pids.rst).
func (s *statReader) pids(d *dir, version int, p *Placement) *PIDs {
	isRoot := p.Path == "/"
	out := &PIDs{Version: version, Path: p.Path}
	out.Current = s.uint(d, "pids.current", isRoot)
	out.Limit = s.limit(d, "pids.max", isRoot, parseMax)
	if !s.summary {
		out.Peak = s.uint(d, "pids.peak", true)
	}
	if b := s.file(d, "pids.events", isRoot); b != nil {
		out.EventsMax = pickKeyed(b, pidsEventsKeys)[0]
	}
	if s.full && version == 2 {
		if b := s.file(d, "pids.events.local", true); b != nil {
			out.LocalEventsMax = pickKeyed(b, pidsEventsKeys)[0]
		}
	}
	return out
}
