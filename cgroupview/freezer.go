package cgroupview

import "strings"

// Freezer is the freezer state: v2 cgroup.freeze and cgroup.events frozen,
// v1 freezer.state (THAWED, FREEZING, FROZEN). docker pause freezes.
type Freezer struct {
	Version int `json:"version"`
	// State is THAWED, FREEZING or FROZEN on both versions.
	State string `json:"state"`
	// SelfFreezing and ParentFreezing are v1's: frozen by its own
	// freezer.state or an ancestor's.
	SelfFreezing   *bool `json:"selfFreezing,omitempty"`
	ParentFreezing *bool `json:"parentFreezing,omitempty"`
}

// readEvents reads v2 cgroup.events into n: populated, and the freezer
// state (the root has none). On a hybrid host the v1 freezer is the one
// runtimes use, so a thawed v2 state is not recorded there.
func (n *Node) readEvents(s *statReader, l *Layout, dd *dir, isRoot bool) {
	b := s.file(dd, "cgroup.events", isRoot)
	if b == nil {
		return
	}
	kv := parseKeyed(b)
	if v, ok := kv["populated"]; ok {
		p := v != 0
		n.Populated = &p
	}
	if v, ok := kv["frozen"]; ok && !isRoot {
		st := "THAWED"
		if v != 0 {
			st = "FROZEN"
		}
		if fz := s.uint(dd, "cgroup.freeze", true); fz != nil && *fz != 0 && v == 0 {
			st = "FREEZING"
		}
		if l.V1("freezer") == nil || st != "THAWED" {
			n.setFreezer(&Freezer{Version: 2, State: st})
		}
	}
}

// setFreezer records a freezer state. A hybrid host has two freezers,
// and a cgroup either one freezes is frozen: a frozen state wins over a
// thawed one.
func (n *Node) setFreezer(fz *Freezer) {
	if fz != nil && (n.Freezer == nil || n.Freezer.State == "THAWED") {
		n.Freezer = fz
	}
}

// freezerV1 reads a v1 freezer cgroup's state; nil if unreadable.
func (s *statReader) freezerV1(dd *dir) *Freezer {
	b := s.file(dd, "freezer.state", false)
	if b == nil {
		return nil
	}
	fz := &Freezer{Version: 1, State: strings.TrimSpace(string(b))}
	fz.SelfFreezing = s.boolFile(dd, "freezer.self_freezing")
	fz.ParentFreezing = s.boolFile(dd, "freezer.parent_freezing")
	return fz
}
