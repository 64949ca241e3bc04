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
}

// pids reads pids.* (cgroup-v2.rst "PID"; cgroup-v1/pids.rst).
func (s *statReader) pids(d *dir, version int, p *Placement) *PIDs {
	isRoot := p.Path == "/"
	out := &PIDs{Version: version, Path: p.Path}
	out.Current = s.uint(d, "pids.current", isRoot)
	out.Limit = s.limit(d, "pids.max", isRoot, parseMax)
	out.Peak = s.uint(d, "pids.peak", true)
	if ev := s.keyed(d, "pids.events", isRoot); ev != nil {
		out.EventsMax = key(ev, "max")
	}
	return out
}
