package cgroupview

import "time"

// Rate is one cgroup's activity between two scans: what `ctx cgroup top`
// sorts by. A nil field is unknown: the cgroup is new (or was recreated,
// a new inode), or a counter is missing in either scan.
type Rate struct {
	Path string `json:"path"`
	// CPUPct is CPU time used per wall time, in percent of one CPU
	// (200 = two CPUs busy).
	CPUPct *float64 `json:"cpuPct,omitempty"`
	// ThrottledPct is throttled periods per elapsed CFS period, percent;
	// nil when no period elapsed (no quota, or idle).
	ThrottledPct *float64 `json:"throttledPct,omitempty"`
	// ThrottledPerSec is seconds throttled per second (summed over CPUs).
	ThrottledPerSec *float64 `json:"throttledPerSec,omitempty"`
	// ReadBPS and WriteBPS are bytes per second of block IO.
	ReadBPS  *float64 `json:"readBps,omitempty"`
	WriteBPS *float64 `json:"writeBps,omitempty"`
	// OOMKills counts OOM kills between the scans.
	OOMKills *uint64 `json:"oomKills,omitempty"`
}

// Rates computes the rate of every cgroup of cur from prev, an earlier
// scan, keyed by (path, inode) as below does: a recreated cgroup has no
// rate. The result is in the order of cur.Nodes.
func Rates(prev, cur *Tree) []Rate {
	out := make([]Rate, len(cur.Nodes))
	dt := cur.Time.Sub(prev.Time)
	for i, n := range cur.Nodes {
		r := Rate{Path: n.Path}
		p := prev.Node(n.Path)
		if p == nil || p.Inode != n.Inode || dt <= 0 {
			out[i] = r
			continue
		}
		if n.CPU != nil && p.CPU != nil {
			if d, ok := diff(n.CPU.UsageUsec, p.CPU.UsageUsec); ok {
				v := 100 * float64(d) / float64(dt.Microseconds())
				r.CPUPct = &v
			}
			dp, okP := diff(n.CPU.NrPeriods, p.CPU.NrPeriods)
			dth, okT := diff(n.CPU.NrThrottled, p.CPU.NrThrottled)
			if okP && okT && dp > 0 {
				v := 100 * float64(dth) / float64(dp)
				r.ThrottledPct = &v
			}
			if d, ok := diff(n.CPU.ThrottledUsec, p.CPU.ThrottledUsec); ok {
				v := float64(d) / float64(dt.Microseconds())
				r.ThrottledPerSec = &v
			}
		}
		if n.IO != nil && p.IO != nil {
			if d, ok := diff(n.IO.ReadBytes, p.IO.ReadBytes); ok {
				v := float64(d) / dt.Seconds()
				r.ReadBPS = &v
			}
			if d, ok := diff(n.IO.WriteBytes, p.IO.WriteBytes); ok {
				v := float64(d) / dt.Seconds()
				r.WriteBPS = &v
			}
		}
		if n.Memory != nil && p.Memory != nil {
			if d, ok := diff(n.Memory.OOMKills, p.Memory.OOMKills); ok {
				r.OOMKills = &d
			}
		}
		out[i] = r
	}
	return out
}

// Interval is the time between two scans.
func Interval(prev, cur *Tree) time.Duration { return cur.Time.Sub(prev.Time) }

// diff is a counter's growth; ok is false when either value is unknown or
// the counter went backwards (reset).
func diff(cur, prev *uint64) (uint64, bool) {
	if cur == nil || prev == nil || *cur < *prev {
		return 0, false
	}
	return *cur - *prev, true
}
