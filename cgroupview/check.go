package cgroupview

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/ctx-tools/ctx/inspect"
)

// Level ranks a Finding.
type Level string

// Levels, least severe first. An info finding is a state worth knowing
// (a frozen or empty container cgroup), not trouble: ctx cgroup check
// exits 3 only for warnings and criticals.
const (
	LevelInfo     Level = "info"
	LevelWarning  Level = "warning"
	LevelCritical Level = "critical"
)

// rank orders levels, most severe first.
func (l Level) rank() int {
	switch l {
	case LevelCritical:
		return 0
	case LevelWarning:
		return 1
	}
	return 2
}

// Problem reports whether the finding is trouble (warning or critical).
func (f Finding) Problem() bool { return f.Level != LevelInfo }

// Finding is one trouble signal of `ctx cgroup check`. Codes and
// thresholds are those of the cgroups field note (§6): OOM_KILLED,
// OOM_AT_ANCESTOR, UNDER_OOM, NEAR_LIMIT, LIMIT_HITS, HIGH_THROTTLED,
// SWAP, CPU_THROTTLED, INHERITED_THROTTLE, PIDS_NEAR_MAX, FORK_REJECTED,
// MEM_PRESSURE, CPU_PRESSURE, IO_PRESSURE, IO_LIMITED (two scans with
// ScanOptions.IOLimits), DYING_CGROUPS, and at info level FROZEN and
// EMPTY (scans with ScanOptions.Freeze).
type Finding struct {
	Level     Level              `json:"level"`
	Code      string             `json:"code"`
	Path      string             `json:"path"`
	Container *inspect.Container `json:"container,omitempty"`
	Message   string             `json:"message"`
	// Value is what fired (a percentage, a count, or seconds for
	// INHERITED_THROTTLE) and Threshold the level it crossed.
	Value     float64 `json:"value"`
	Threshold float64 `json:"threshold"`
	// SetBy names the cgroup whose limit is involved, when not this one.
	SetBy string `json:"setBy,omitempty"`
}

// Thresholds (percent) from the field note, anchored on public defaults.
const (
	NearLimitWarn   = 90.0 // working set / effective memory limit
	NearLimitCrit   = 98.0
	SwapWarn        = 90.0 // memory.swap.current / memory.swap.max; systemd-oomd SwapUsedLimit
	ThrottledWarn   = 25.0 // throttled periods; Prometheus CPUThrottlingHigh
	ThrottledCrit   = 50.0
	PIDsWarn        = 80.0 // pids.current / effective pids.max
	PIDsCrit        = 95.0
	MemSomeWarn     = 10.0 // memory some avg10
	MemFullCrit     = 10.0 // memory full avg10
	MemSome60Crit   = 40.0 // memory some avg60
	CPUSomeWarn     = 20.0 // cpu some avg10
	IOFullWarn      = 10.0 // io full avg10
	IOLimitWarn     = 90.0 // IO rate / the device's io.max (blkio.throttle) limit
	DyingMax        = 1000 // dying cgroups, or more than 10× the live ones
	DyingLiveFactor = 10
)

// Check finds trouble in cur. Counters (OOM kills, throttled periods,
// rejected forks) are cumulative since each cgroup was created; with prev,
// an earlier scan of the same tree, they are the change between the two,
// and a cgroup recreated in between (new inode) counts from zero.
func Check(cur, prev *Tree) []Finding {
	c := checker{cur: cur, prev: prev}
	if prev != nil {
		c.span = cur.Time.Sub(prev.Time)
	}
	for _, n := range cur.Nodes {
		c.memory(n)
		c.limitHits(n)
		c.highThrottled(n)
		c.swap(n)
		c.cpu(n)
		c.inheritedThrottle(n)
		c.pids(n)
		c.pressure(n)
		c.ioLimited(n)
		c.frozen(n)
		c.empty(n)
	}
	for _, d := range cur.Dying {
		live := max(d.Live, 1)
		if d.Dying > DyingMax || d.Dying > DyingLiveFactor*live {
			c.add(nil, LevelWarning, "DYING_CGROUPS", d.Path, float64(d.Dying), DyingMax,
				"%d dying cgroups in the %s hierarchy beside %d live ones: removed cgroups pinned by charged memory (page cache, kernel memory) slow reclaim", d.Dying, d.Hierarchy, d.Live)
		}
	}
	sort.SliceStable(c.out, func(i, j int) bool {
		a, b := c.out[i], c.out[j]
		if a.Level != b.Level {
			return a.Level.rank() < b.Level.rank()
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Code < b.Code
	})
	return c.out
}

type checker struct {
	cur, prev *Tree
	span      time.Duration
	out       []Finding
}

func (c *checker) add(n *Node, lvl Level, code, p string, value, threshold float64, format string, args ...any) *Finding {
	f := Finding{Level: lvl, Code: code, Path: p, Value: value, Threshold: threshold, Message: fmt.Sprintf(format, args...)}
	if n != nil {
		f.Container = n.Container
	}
	c.out = append(c.out, f)
	return &c.out[len(c.out)-1]
}

// since words the counting span.
func (c *checker) since() string {
	if c.prev == nil {
		return "since the cgroup was created"
	}
	return "in the last " + c.span.Round(time.Millisecond).String()
}

// prevNode is n's node in the previous scan, if it is the same cgroup.
func (c *checker) prevNode(n *Node) *Node {
	if c.prev == nil {
		return nil
	}
	p := c.prev.Node(n.Path)
	if p == nil || p.Inode != n.Inode {
		return nil
	}
	return p
}

// delta is cur minus the previous value (cumulative without one); ok is
// false when cur is unknown.
func delta(cur *uint64, prev *uint64, havePrev bool) (uint64, bool) {
	switch {
	case cur == nil:
		return 0, false
	case !havePrev || prev == nil || *prev > *cur:
		return *cur, true
	}
	return *cur - *prev, true
}

func (c *checker) memory(n *Node) {
	m := n.Memory
	if m == nil {
		return
	}
	pn := c.prevNode(n)
	var pm *Memory
	if pn != nil {
		pm = pn.Memory
	}
	eff := n.Effective.mem()
	var prevKills, prevGroup *uint64
	if pm != nil {
		prevKills = pm.OOMKills
		if pm.LocalEvents != nil {
			prevGroup = pm.LocalEvents.OOMGroupKill
		}
	}
	kills, _ := delta(m.OOMKills, prevKills, pm != nil)
	var group uint64
	if m.LocalEvents != nil {
		group, _ = delta(m.LocalEvents.OOMGroupKill, prevGroup, pm != nil)
	}
	groupNote := ""
	if group > 0 {
		groupNote = fmt.Sprintf("; %s (memory.oom.group: the whole cgroup was killed)", plural(group, "group kill", "group kills"))
	}
	ancestor := ""
	if eff != nil && eff.SetBy != "" && eff.SetBy != n.Path {
		ancestor = eff.SetBy
	}
	if a := c.firedAncestor(n); a != "" {
		ancestor = a
	}
	switch {
	case kills > 0 && ancestor != "":
		f := c.add(n, LevelCritical, "OOM_AT_ANCESTOR", n.Path, float64(kills), 0,
			"%s OOM-killed %s by the memory limit of ancestor %s (%s), not this cgroup's own (%s)%s",
			plural(kills, "process", "processes"), c.since(), ancestor, limitText(c.cur.Node(ancestor), eff), ownText(m.Limit), groupNote)
		f.SetBy = ancestor
	case kills > 0:
		c.add(n, LevelCritical, "OOM_KILLED", n.Path, float64(kills), 0,
			"%s OOM-killed %s at its memory limit (%s)%s", plural(kills, "process", "processes"), c.since(), ownText(m.Limit), groupNote)
	case ancestor != "" && c.ancestorOOM(ancestor) > 0 && (m.Limit == nil || m.Limit.Unlimited):
		f := c.add(n, LevelCritical, "OOM_AT_ANCESTOR", n.Path, float64(c.ancestorOOM(ancestor)), 0,
			"the memory limit of ancestor %s (%s) fired %d times %s; this cgroup has no limit of its own and its processes are the candidates",
			ancestor, limitText(c.cur.Node(ancestor), eff), c.ancestorOOM(ancestor), c.since())
		f.SetBy = ancestor
	}
	if m.UnderOOM != nil && *m.UnderOOM {
		c.add(n, LevelCritical, "UNDER_OOM", n.Path, 1, 0,
			"tasks hang at the memory limit (memory.oom_control under_oom 1, oom_kill_disable set)")
	}
	if m.WorkingSet != nil && eff != nil && !eff.Unlimited && eff.Max != nil && *eff.Max > 0 && n.Path != "/" {
		pct := 100 * float64(*m.WorkingSet) / float64(*eff.Max)
		lvl, thr := LevelWarning, NearLimitWarn
		if pct >= NearLimitCrit {
			lvl, thr = LevelCritical, NearLimitCrit
		}
		if pct >= NearLimitWarn {
			by := ""
			if eff.SetBy != n.Path {
				by = " set by " + eff.SetBy
			}
			shm := ""
			if m.Shmem != nil && *m.Shmem > 0 {
				shm = fmt.Sprintf("; %s of it is shmem/tmpfs, not reclaimable without swap", bytesText(*m.Shmem))
			}
			f := c.add(n, lvl, "NEAR_LIMIT", n.Path, round1(pct), thr,
				"working set %s is %.1f%% of the memory limit %s%s%s", bytesText(*m.WorkingSet), pct, bytesText(*eff.Max), by, shm)
			if eff.SetBy != n.Path {
				f.SetBy = eff.SetBy
			}
		}
	}
}

// firedAncestor names the nearest ancestor whose own limit fired (v2
// memory.events.local oom > 0), when n's own did not.
func (c *checker) firedAncestor(n *Node) string {
	if n.Memory == nil || n.Memory.LocalEvents == nil {
		return ""
	}
	if o := n.Memory.LocalEvents.OOM; o != nil && *o > 0 {
		return "" // its own limit fired
	}
	for a := n.Parent; a != ""; {
		an := c.cur.Node(a)
		if an == nil {
			break
		}
		if c.ancestorOOM(a) > 0 {
			return a
		}
		a = an.Parent
	}
	return ""
}

// ancestorOOM is how often cgroup a's own memory limit fired (v2
// memory.events.local oom), 0 when unknown.
func (c *checker) ancestorOOM(a string) uint64 {
	n := c.cur.Node(a)
	if n == nil || n.Memory == nil || n.Memory.LocalEvents == nil {
		return 0
	}
	var prev *uint64
	pn := c.prevNode(n)
	if pn != nil && pn.Memory != nil && pn.Memory.LocalEvents != nil {
		prev = pn.Memory.LocalEvents.OOM
	}
	v, _ := delta(n.Memory.LocalEvents.OOM, prev, pn != nil)
	return v
}

// ownMemoryEvent is the change of one of n's own memory events (v2
// memory.events.local, as OOM_KILLED counts them): an event at a
// descendant's limit is the descendant's. 0 when unknown, as on v1.
func (c *checker) ownMemoryEvent(n *Node, key func(*MemoryEvents) *uint64) uint64 {
	if n.Memory == nil || n.Memory.LocalEvents == nil {
		return 0
	}
	var prev *uint64
	pn := c.prevNode(n)
	if pn != nil && pn.Memory != nil && pn.Memory.LocalEvents != nil {
		prev = key(pn.Memory.LocalEvents)
	}
	v, _ := delta(key(n.Memory.LocalEvents), prev, pn != nil)
	return v
}

// limitHits flags reclaim at the cgroup's own memory.max (memory.events
// max). v1 memory.failcnt would be the equivalent but is unreliable.
func (c *checker) limitHits(n *Node) {
	hits := c.ownMemoryEvent(n, func(e *MemoryEvents) *uint64 { return e.Max })
	if hits == 0 {
		return
	}
	c.add(n, LevelWarning, "LIMIT_HITS", n.Path, float64(hits), 0,
		"hit its memory limit %s %s (memory.events max; %s): reclaim at the limit stalls its tasks and comes before OOM kills",
		plural(hits, "time", "times"), c.since(), ownText(n.Memory.Limit))
}

// highThrottled flags the cgroup going over its own memory.high
// (memory.events high).
func (c *checker) highThrottled(n *Node) {
	high := c.ownMemoryEvent(n, func(e *MemoryEvents) *uint64 { return e.High })
	if high == 0 {
		return
	}
	c.add(n, LevelWarning, "HIGH_THROTTLED", n.Path, float64(high), 0,
		"went over memory.high %s %s (memory.events high): its tasks were slowed and forced into reclaim",
		plural(high, "time", "times"), c.since())
}

// swap flags a v2 cgroup whose swap is nearly full, or whose swap
// allocations failed (memory.swap.events fail, max). v1 memsw mixes memory
// and swap, so there is no swap-only view to check.
func (c *checker) swap(n *Node) {
	m := n.Memory
	if m == nil || m.Version != 2 {
		return
	}
	if sm := m.SwapMax; m.Swap != nil && sm != nil && !sm.Unlimited && sm.Max != nil && *sm.Max > 0 {
		if pct := 100 * float64(*m.Swap) / float64(*sm.Max); pct >= SwapWarn {
			c.add(n, LevelWarning, "SWAP", n.Path, round1(pct), SwapWarn,
				"swap %s is %.1f%% of memory.swap.max %s: once it is full, the next allocation stalls in reclaim or OOM-kills",
				bytesText(*m.Swap), pct, bytesText(*sm.Max))
			return
		}
	}
	fails := c.swapFails(n)
	if !c.cur.memLocal {
		// memory.swap.events counts descendants' failures too: report
		// them where they happened.
		for _, ch := range n.children {
			fails -= min(fails, c.swapFails(ch))
		}
	}
	if fails > 0 {
		c.add(n, LevelWarning, "SWAP", n.Path, float64(fails), 0,
			"swap allocation failed %s %s (memory.swap.events fail/max): with swap full, the next allocation stalls in reclaim or OOM-kills",
			plural(fails, "time", "times"), c.since())
	}
}

// swapFails is the change of n's failed swap allocations, 0 when unknown:
// the larger of memory.swap.events fail and max, as the kernel counts a
// refusal at memory.swap.max in both.
func (c *checker) swapFails(n *Node) uint64 {
	if n.Memory == nil || n.Memory.SwapEvents == nil {
		return 0
	}
	var prev *SwapEvents
	pn := c.prevNode(n)
	if pn != nil && pn.Memory != nil {
		prev = pn.Memory.SwapEvents
	}
	if prev == nil {
		prev = &SwapEvents{}
	}
	e := n.Memory.SwapEvents
	fail, _ := delta(e.Fail, prev.Fail, pn != nil)
	hits, _ := delta(e.Max, prev.Max, pn != nil)
	return max(fail, hits)
}

func (c *checker) cpu(n *Node) {
	cp := n.CPU
	if cp == nil || cp.NrPeriods == nil || cp.NrThrottled == nil {
		return
	}
	var pp *CPU
	if pn := c.prevNode(n); pn != nil {
		pp = pn.CPU
	}
	var prevP, prevT *uint64
	if pp != nil {
		prevP, prevT = pp.NrPeriods, pp.NrThrottled
	}
	periods, _ := delta(cp.NrPeriods, prevP, pp != nil)
	throttled, _ := delta(cp.NrThrottled, prevT, pp != nil)
	if periods == 0 {
		return
	}
	pct := 100 * float64(throttled) / float64(periods)
	if pct < ThrottledWarn {
		return
	}
	lvl, thr := LevelWarning, ThrottledWarn
	if pct >= ThrottledCrit {
		lvl, thr = LevelCritical, ThrottledCrit
	}
	quota := "its CPU quota"
	if cp.Max != nil {
		if cores, ok := cp.Max.CPUs(); ok {
			quota = fmt.Sprintf("its quota of %s CPUs", trimFloat(cores))
		}
	}
	c.add(n, lvl, "CPU_THROTTLED", n.Path, round1(pct), thr,
		"throttled in %d of %d CFS periods (%.1f%%) %s by %s", throttled, periods, pct, c.since(), quota)
}

// inheritedThrottle flags a cgroup without a CPU quota of its own that
// an ancestor's (a pod's) quota throttles. cpu.stat's nr_throttled counts
// only the group's own quota, so CPU_THROTTLED cannot see it; cpu.stat.local
// throttled_usec can.
func (c *checker) inheritedThrottle(n *Node) {
	cp := n.CPU
	if cp == nil || cp.Max == nil || !cp.Max.Unlimited {
		return
	}
	var prev *uint64
	pn := c.prevNode(n)
	if pn != nil && pn.CPU != nil {
		prev = pn.CPU.LocalThrottledUsec
	}
	usec, _ := delta(cp.LocalThrottledUsec, prev, pn != nil)
	if usec == 0 {
		return
	}
	by, cores := c.quotaAncestor(n)
	quota := "an ancestor's CPU quota"
	if by != "" {
		quota = fmt.Sprintf("the quota of ancestor %s (%s CPUs)", by, trimFloat(cores))
	}
	f := c.add(n, LevelWarning, "INHERITED_THROTTLE", n.Path, float64(usec)/1e6, 0,
		"throttled for %s %s by %s; it has no quota of its own, so its cpu.stat shows no throttling (cpu.stat.local throttled_usec)",
		time.Duration(usec)*time.Microsecond, c.since(), quota)
	f.SetBy = by
}

// quotaAncestor names the nearest ancestor in the tree with a CPU quota
// and its quota in CPUs; above the top of the scan, the one that sets the
// effective quota.
func (c *checker) quotaAncestor(n *Node) (string, float64) {
	for p := n.Parent; p != ""; {
		a := c.cur.Node(p)
		if a == nil {
			break
		}
		if a.CPU != nil && a.CPU.Max != nil {
			if cores, ok := a.CPU.Max.CPUs(); ok {
				return a.Path, cores
			}
		}
		p = a.Parent
	}
	if e := n.Effective.cpu(); e != nil && e.SetBy != "" && e.SetBy != n.Path && e.Cores != nil {
		return e.SetBy, *e.Cores
	}
	return "", 0
}

func (c *checker) pids(n *Node) {
	p := n.PIDs
	if p == nil {
		return
	}
	eff := n.Effective.pids()
	if eff != nil && n.Path != "/" {
		if pct, ok := p.UsedPct(&eff.Limit); ok && pct >= PIDsWarn {
			lvl, thr := LevelWarning, PIDsWarn
			if pct >= PIDsCrit {
				lvl, thr = LevelCritical, PIDsCrit
			}
			by := ""
			if eff.SetBy != n.Path {
				by = " set by " + eff.SetBy
			}
			f := c.add(n, lvl, "PIDS_NEAR_MAX", n.Path, round1(pct), thr,
				"%d tasks of the pids limit %d%s (%.0f%%)", *p.Current, *eff.Max, by, pct)
			if eff.SetBy != n.Path {
				f.SetBy = eff.SetBy
			}
		}
	}
	var pp *PIDs
	if pn := c.prevNode(n); pn != nil {
		pp = pn.PIDs
	}
	var prev *uint64
	if pp != nil {
		prev = pp.EventsMax
	}
	rejected, ok := delta(p.EventsMax, prev, pp != nil)
	if !ok || rejected == 0 {
		return
	}
	if p.Version == 2 && !c.localPIDsEvents() {
		// v2 pids.events counts descendants' rejections too: report
		// them where they happened.
		var below uint64
		for _, ch := range n.children {
			if ch.PIDs != nil {
				var cprev *uint64
				cpn := c.prevNode(ch)
				if cpn != nil && cpn.PIDs != nil {
					cprev = cpn.PIDs.EventsMax
				}
				d, _ := delta(ch.PIDs.EventsMax, cprev, cpn != nil)
				below += d
			}
		}
		if rejected <= below {
			return
		}
		rejected -= below
	}
	c.add(n, LevelCritical, "FORK_REJECTED", n.Path, float64(rejected), 0,
		"%s rejected by the pids limit %s (pids.events max; the kernel logs \"fork rejected by pids controller\")", plural(rejected, "fork", "forks"), c.since())
}

// localPIDsEvents reports whether v2 pids.events is local (the
// pids_localevents mount option, as on v1).
func (c *checker) localPIDsEvents() bool { return c.cur.pidsLocal }

func (c *checker) pressure(n *Node) {
	ps := n.PSI
	if ps == nil {
		return
	}
	if m := ps.Memory; m != nil {
		switch {
		case m.Full != nil && m.Full.Avg10 >= MemFullCrit:
			c.add(n, LevelCritical, "MEM_PRESSURE", n.Path, m.Full.Avg10, MemFullCrit,
				"all tasks stalled on memory %.1f%% of the last 10 s (memory full avg10): thrashing or reclaim at the limit", m.Full.Avg10)
		case m.Some.Avg60 >= MemSome60Crit:
			c.add(n, LevelCritical, "MEM_PRESSURE", n.Path, m.Some.Avg60, MemSome60Crit,
				"tasks stalled on memory %.1f%% of the last 60 s (memory some avg60)", m.Some.Avg60)
		case m.Some.Avg10 >= MemSomeWarn:
			c.add(n, LevelWarning, "MEM_PRESSURE", n.Path, m.Some.Avg10, MemSomeWarn,
				"tasks stalled on memory %.1f%% of the last 10 s (memory some avg10)", m.Some.Avg10)
		}
	}
	if cp := ps.CPU; cp != nil && cp.Some.Avg10 >= CPUSomeWarn {
		why := "contention for CPU"
		if pct, ok := n.CPU.ThrottledPct(); ok && pct > 0 {
			why = "self-inflicted by its CPU limit (it is throttled), not contention"
		}
		c.add(n, LevelWarning, "CPU_PRESSURE", n.Path, cp.Some.Avg10, CPUSomeWarn,
			"tasks waited for CPU %.1f%% of the last 10 s (cpu some avg10): %s", cp.Some.Avg10, why)
	}
	if io := ps.IO; io != nil && io.Full != nil && io.Full.Avg10 >= IOFullWarn {
		c.add(n, LevelWarning, "IO_PRESSURE", n.Path, io.Full.Avg10, IOFullWarn,
			"all tasks stalled on IO %.1f%% of the last 10 s (io full avg10)", io.Full.Avg10)
	}
}

func limitText(n *Node, eff *Effective) string {
	if n != nil && n.Memory != nil && n.Memory.Limit != nil && !n.Memory.Limit.Unlimited && n.Memory.Limit.Max != nil {
		return bytesText(*n.Memory.Limit.Max)
	}
	if eff != nil && eff.Max != nil {
		return bytesText(*eff.Max)
	}
	return "limit unknown"
}

func ownText(l *Limit) string {
	switch {
	case l == nil:
		return "own limit unknown"
	case l.Unlimited:
		return "own limit: none"
	}
	return "own limit " + bytesText(*l.Max)
}

// bytesText renders bytes in binary units for messages.
func bytesText(b uint64) string {
	const unit = 1024
	if b < unit {
		return fmt.Sprintf("%dB", b)
	}
	div, exp := uint64(unit), 0
	for n := b / unit; n >= unit && exp < 5; n /= unit {
		div *= unit
		exp++
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(b)/float64(div)), ".0") + string("KMGTPE"[exp]) + "iB"
}

func trimFloat(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}

func round1(v float64) float64 { return float64(int64(v*10+0.5)) / 10 }

// HasOption reports whether the hierarchy's mount has option o (nsdelegate,
// memory_localevents, pids_localevents, …).
func (h *Hierarchy) HasOption(o string) bool { return slices.Contains(h.Options, o) }

func plural(n uint64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// parent is n's parent in the scan; nil at its top.
func (c *checker) parent(n *Node) *Node {
	if n.Parent == "" {
		return nil
	}
	return c.cur.Node(n.Parent)
}

// frozen reports a frozen cgroup, once at the top of a frozen subtree
// (its descendants are frozen with it): docker pause, or a freezer left on.
func (c *checker) frozen(n *Node) {
	fz := n.Freezer
	if fz == nil || fz.State == "THAWED" {
		return
	}
	if p := c.parent(n); p != nil && p.Freezer != nil && p.Freezer.State != "THAWED" {
		return
	}
	if fz.State == "FREEZING" {
		c.add(n, LevelInfo, "FROZEN", n.Path, 1, 0,
			"stuck freezing: asked to freeze, but some of its tasks have not stopped (often a task in uninterruptible sleep); the rest do not run")
		return
	}
	how := "echo 0 > cgroup.freeze"
	if fz.Version == 1 {
		how = "echo THAWED > freezer.state"
	}
	c.add(n, LevelInfo, "FROZEN", n.Path, 1, 0,
		"frozen: none of its processes run (docker pause, or a freezer left on); thaw with docker unpause or %s", how)
}

// empty reports a container's cgroup with no process in it or below (v2
// populated 0), once at the top: a leftover of a container that is gone,
// or one not started yet.
func (c *checker) empty(n *Node) {
	if n.Container == nil || n.Populated == nil || *n.Populated {
		return
	}
	if p := c.parent(n); p != nil && p.Container != nil && p.Populated != nil && !*p.Populated {
		return
	}
	c.add(n, LevelInfo, "EMPTY", n.Path, 0, 0,
		"no process left in this container's cgroup: a leftover of a container that is gone (or one not started yet)")
}

// ioLimited reports the device whose IO over the interval came nearest a
// limit of the cgroup's own (io.max, v1 blkio.throttle.*), when that is
// at least IOLimitWarn percent of it: the cgroup's IO is being throttled.
// A rate needs two scans; io.stat and the v1 throttle counts include
// descendants, as the limit does.
func (c *checker) ioLimited(n *Node) {
	p := c.prevNode(n)
	secs := c.span.Seconds()
	if p == nil || p.IO == nil || n.IO == nil || secs <= 0 {
		return
	}
	prev := map[string]IODevice{}
	for _, d := range p.IO.Devices {
		prev[d.Device] = d
	}
	var best float64
	var what string
	for _, d := range n.IO.Devices {
		pd, ok := prev[d.Device]
		if !ok {
			continue
		}
		for _, k := range []struct {
			name, unit       string
			limit, cur, last *uint64
		}{
			{"read", "B/s", d.ReadBPS, d.ReadBytes, pd.ReadBytes},
			{"write", "B/s", d.WriteBPS, d.WriteBytes, pd.WriteBytes},
			{"read", "IO/s", d.ReadIOPS, d.ReadIOs, pd.ReadIOs},
			{"write", "IO/s", d.WriteIOPS, d.WriteIOs, pd.WriteIOs},
		} {
			if k.limit == nil || *k.limit == 0 || k.cur == nil || k.last == nil || *k.cur < *k.last {
				continue
			}
			rate := float64(*k.cur-*k.last) / secs
			if pct := 100 * rate / float64(*k.limit); pct > best {
				best = pct
				what = fmt.Sprintf("device %s: %s %s of a %s limit of %s", d.Device, k.name, rateText(rate, k.unit), k.name, rateText(float64(*k.limit), k.unit))
			}
		}
	}
	if best >= IOLimitWarn {
		c.add(n, LevelWarning, "IO_LIMITED", n.Path, round1(best), IOLimitWarn,
			"IO throttled: %s (%.0f%%) %s; its IO waits at the limit", what, best, c.since())
	}
}

// rateText renders a rate for messages: bytes in binary units, IOs as is.
func rateText(v float64, unit string) string {
	if unit == "B/s" {
		return bytesText(uint64(v+0.5)) + "/s"
	}
	return trimFloat(v) + " " + unit
}
