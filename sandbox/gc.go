package sandbox

import "time"

// GCOptions select what GC looks at.
type GCOptions struct {
	// DryRun lists what would be removed without removing it.
	DryRun bool
	// Kept also removes runs left with --keep.
	Kept bool
	// StateDir and CgroupParent are those of the runs (defaults as in
	// Spec); BridgeNetNS is where the bridge and veths live ("" for
	// ctx's own network namespace).
	StateDir, CgroupParent, BridgeNetNS string
}

// GCItem is one leftover GC found.
type GCItem struct {
	// Kind is cgroup, veth, netns, mount, scratch or bridge.
	Kind string `json:"kind"`
	// Name is the object's name (ctx-<id>, ctx0); Path where it is.
	Name string `json:"name"`
	Path string `json:"path,omitempty"`
	// Action is removed, "would remove" (dry run), or failed.
	Action string `json:"action"`
	Error  string `json:"error,omitempty"`
}

// GCReport lists what GC found; Skipped counts runs left alone because
// their ctx still runs or they were kept.
type GCReport struct {
	Items    []GCItem `json:"items"`
	Live     int      `json:"live"`
	Kept     int      `json:"kept"`
	Warnings []string `json:"-"`
}

// Failed counts the items GC could not remove.
func (r *GCReport) Failed() int {
	n := 0
	for _, it := range r.Items {
		if it.Action == "failed" {
			n++
		}
	}
	return n
}

// ownerGrace is how long a state dir without a readable owner file counts
// as a run still being set up.
const ownerGrace = time.Minute

// nowFunc is time.Now, injectable in tests.
var nowFunc = time.Now
