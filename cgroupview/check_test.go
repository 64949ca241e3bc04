package cgroupview

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ctx-tools/ctx/inspect"
	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

// summary renders findings as "LEVEL CODE PATH" lines for comparison.
func summary(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s %s %s", f.Level, f.Code, f.Path))
	}
	return out
}

func TestCheckV2(t *testing.T) {
	tr := scan(t, hostfstest.Fixture(t, "cgroup-v2"), ScanOptions{Depth: -1, Swap: true})
	fs := Check(tr, nil)
	want := []string{
		"critical OOM_AT_ANCESTOR " + v2BScope,
		"critical FORK_REJECTED " + v2Scope,
		"warning DYING_CGROUPS /",
		"warning SWAP " + v2E,
		"warning LIMIT_HITS " + v2Pod,
		"warning INHERITED_THROTTLE " + v2BScope,
		"warning HIGH_THROTTLED " + v2CScope,
		"warning SWAP " + v2CScope,
		"warning NEAR_LIMIT " + v2GPod,
		"warning MEM_PRESSURE " + v2G,
		"warning NEAR_LIMIT " + v2G,
		"warning CPU_THROTTLED " + v2Scope,
	}
	if got := summary(fs); !slices.Equal(got, want) {
		t.Fatalf("findings =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	oom := fs[0]
	if oom.SetBy != v2Pod || oom.Value != 1 || !strings.Contains(oom.Message, "ancestor "+v2Pod+" (256MiB)") ||
		!strings.Contains(oom.Message, "1 group kill") || oom.Container == nil || oom.Container.ID != v2CRI {
		t.Errorf("OOM_AT_ANCESTOR = %+v", oom)
	}
	if f := fs[1]; f.Value != 2 {
		t.Errorf("FORK_REJECTED value = %v; want 2 (the scope's, not again at system.slice)", f.Value)
	}
	if f := fs[10]; f.Value != 93.8 || f.Threshold != NearLimitWarn || f.SetBy != "" || !strings.Contains(f.Message, "shmem") {
		t.Errorf("NEAR_LIMIT = %+v; want 93.8%% of its own limit, shmem called out", f)
	}
	if f := fs[11]; f.Value != 37.5 || f.Threshold != ThrottledWarn || !strings.Contains(f.Message, "45 of 120") {
		t.Errorf("CPU_THROTTLED = %+v", f)
	}
	if f := fs[2]; f.Value != 150 || !strings.Contains(f.Message, "150 dying cgroups") {
		t.Errorf("DYING_CGROUPS = %+v", f)
	}
	if f := fs[4]; f.Value != 14 || f.SetBy != "" || !strings.Contains(f.Message, "14 times since the cgroup was created") ||
		!strings.Contains(f.Message, "own limit 256MiB") {
		t.Errorf("LIMIT_HITS = %+v; want the pod's own 14 hits of its 256MiB limit", f)
	}
	if f := fs[5]; f.Value != 1.234567 || f.SetBy != v2Pod || !strings.Contains(f.Message, "1.234567s") ||
		!strings.Contains(f.Message, "ancestor "+v2Pod+" (2 CPUs)") || f.Container == nil || f.Container.ID != v2CRI {
		t.Errorf("INHERITED_THROTTLE = %+v; want 1.234567 s by the pod's 2 CPUs", f)
	}
	if f := fs[6]; f.Value != 23 || f.SetBy != "" || !strings.Contains(f.Message, "memory.high 23 times") {
		t.Errorf("HIGH_THROTTLED = %+v; want 23", f)
	}
	if f := fs[7]; f.Value != 93.8 || f.Threshold != SwapWarn || !strings.Contains(f.Message, "swap 30MiB is 93.8% of memory.swap.max 32MiB") ||
		!strings.Contains(f.Message, "OOM-kills") || f.Container == nil {
		t.Errorf("SWAP %s = %+v; want 93.8%% of its 32MiB swap.max", v2CScope, f)
	}
	if f := fs[3]; f.Value != 5 || f.Threshold != 0 || !strings.Contains(f.Message, "failed 5 times since the cgroup was created") ||
		!strings.Contains(f.Message, "memory.swap.events") || f.Container == nil {
		t.Errorf("SWAP %s = %+v; want its 5 failed swap allocations, not again at its parents", v2E, f)
	}
	// Checked alone, the container still names the pod whose quota
	// throttles it (from its effective quota: the pod is above the scan).
	sub := scan(t, hostfstest.Fixture(t, "cgroup-v2"), ScanOptions{Top: v2BScope, Depth: -1})
	if f := findCode(Check(sub, nil), "INHERITED_THROTTLE", v2BScope); f == nil || f.SetBy != v2Pod {
		t.Errorf("INHERITED_THROTTLE under %s = %+v; want set by the pod", v2BScope, f)
	}
}

// TestCheckV2Deltas checks the counters as deltas: against a previous
// scan with the same counters, none of the counter checks fires.
func TestCheckV2Deltas(t *testing.T) {
	root := hostfstest.Fixture(t, "cgroup-v2")
	prev := scan(t, root, ScanOptions{Depth: -1, Swap: true})
	cur := scan(t, root, ScanOptions{Depth: -1, Swap: true})
	for _, f := range Check(cur, prev) {
		if f.Code == "SWAP" && f.Path != v2CScope {
			t.Errorf("no swap event changed, yet SWAP %s (only C's full swap should remain)", f.Path)
		}
		switch f.Code {
		case "OOM_KILLED", "OOM_AT_ANCESTOR", "FORK_REJECTED", "CPU_THROTTLED", "LIMIT_HITS", "HIGH_THROTTLED", "INHERITED_THROTTLE":
			t.Errorf("no counter changed, yet %s %s", f.Code, f.Path)
		}
	}
	// Lower counters before: the findings count only the change.
	u := func(v uint64) *uint64 { return &v }
	prev.Node(v2Pod).Memory.LocalEvents.Max = u(10)
	prev.Node(v2CScope).Memory.LocalEvents.High = u(20)
	prev.Node(v2BScope).CPU.LocalThrottledUsec = u(1000000)
	prev.Node(v2E).Memory.SwapEvents.Fail = u(3)
	fs := Check(cur, prev)
	for _, w := range []struct {
		code, path string
		value      float64
	}{{"LIMIT_HITS", v2Pod, 4}, {"HIGH_THROTTLED", v2CScope, 3}, {"INHERITED_THROTTLE", v2BScope, 0.234567}, {"SWAP", v2E, 2}} {
		if f := findCode(fs, w.code, w.path); f == nil || f.Value != w.value || !strings.Contains(f.Message, "in the last") {
			t.Errorf("delta %s = %+v; want %v in the last interval", w.code, f, w.value)
		}
	}
}

func TestCheckHybrid(t *testing.T) {
	tr := scan(t, hostfstest.Fixture(t, "cgroup-hybrid"), ScanOptions{Depth: -1})
	want := []string{
		"critical NEAR_LIMIT /batch",
		"critical OOM_KILLED /batch",
		"critical NEAR_LIMIT /batch/job1",
		"critical OOM_AT_ANCESTOR /batch/job1",
		"critical CPU_THROTTLED /docker/" + hybridCtr,
		"warning CPU_PRESSURE /",
	}
	fs := Check(tr, nil)
	if got := summary(fs); !slices.Equal(got, want) {
		t.Fatalf("findings =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if f := fs[3]; f.SetBy != "/batch" || !strings.Contains(f.Message, "own limit: none") {
		t.Errorf("OOM_AT_ANCESTOR = %+v", f)
	}
	if f := fs[4]; f.Value != 75 || f.Threshold != ThrottledCrit {
		t.Errorf("CPU_THROTTLED = %+v; want 75%% over the critical 50%%", f)
	}
	if f := fs[5]; !strings.Contains(f.Message, "contention") {
		t.Errorf("CPU_PRESSURE = %+v", f)
	}
	// Subtree: only the container.
	sub := scan(t, hostfstest.Fixture(t, "cgroup-hybrid"), ScanOptions{Top: "/docker", Depth: -1})
	if got := summary(Check(sub, nil)); !slices.Equal(got, []string{"critical CPU_THROTTLED /docker/" + hybridCtr}) {
		t.Errorf("findings under /docker = %q", got)
	}
}

// TestCheckThresholds pins the levels at and around each threshold.
func TestCheckThresholds(t *testing.T) {
	u := func(v uint64) *uint64 { return &v }
	lim := func(v uint64) *Effective { return &Effective{Limit: Limit{Max: &v}, SetBy: "/x"} }
	tests := []struct {
		name string
		n    Node
		want string // "" none
	}{
		{"ws 89.9%", Node{Memory: &Memory{WorkingSet: u(899)}, Effective: &Limits{Memory: lim(1000)}}, ""},
		{"ws 90%", Node{Memory: &Memory{WorkingSet: u(900)}, Effective: &Limits{Memory: lim(1000)}}, "warning NEAR_LIMIT"},
		{"ws 98%", Node{Memory: &Memory{WorkingSet: u(980)}, Effective: &Limits{Memory: lim(1000)}}, "critical NEAR_LIMIT"},
		{"unlimited", Node{Memory: &Memory{WorkingSet: u(980)}, Effective: &Limits{Memory: &Effective{Limit: Limit{Unlimited: true}}}}, ""},
		{"throttled 24%", Node{CPU: &CPU{NrPeriods: u(100), NrThrottled: u(24)}}, ""},
		{"throttled 25%", Node{CPU: &CPU{NrPeriods: u(100), NrThrottled: u(25)}}, "warning CPU_THROTTLED"},
		{"throttled 50%", Node{CPU: &CPU{NrPeriods: u(100), NrThrottled: u(50)}}, "critical CPU_THROTTLED"},
		{"no periods", Node{CPU: &CPU{NrPeriods: u(0), NrThrottled: u(0)}}, ""},
		{"pids 79%", Node{PIDs: &PIDs{Current: u(79)}, Effective: &Limits{PIDs: lim(100)}}, ""},
		{"pids 80%", Node{PIDs: &PIDs{Current: u(80)}, Effective: &Limits{PIDs: lim(100)}}, "warning PIDS_NEAR_MAX"},
		{"pids 95%", Node{PIDs: &PIDs{Current: u(95)}, Effective: &Limits{PIDs: lim(100)}}, "critical PIDS_NEAR_MAX"},
		{"fork rejected", Node{PIDs: &PIDs{Version: 1, EventsMax: u(1)}}, "critical FORK_REJECTED"},
		{"pids unknown", Node{PIDs: &PIDs{}, Effective: &Limits{PIDs: lim(100)}}, ""},
		{"mem some 10", Node{PSI: &PSI{Memory: &Pressure{Some: PressureLine{Avg10: 10}}}}, "warning MEM_PRESSURE"},
		{"mem some60 40", Node{PSI: &PSI{Memory: &Pressure{Some: PressureLine{Avg60: 40}}}}, "critical MEM_PRESSURE"},
		{"mem full 10", Node{PSI: &PSI{Memory: &Pressure{Full: &PressureLine{Avg10: 10}}}}, "critical MEM_PRESSURE"},
		{"cpu some 19.9", Node{PSI: &PSI{CPU: &Pressure{Some: PressureLine{Avg10: 19.9}}}}, ""},
		{"cpu some 20", Node{PSI: &PSI{CPU: &Pressure{Some: PressureLine{Avg10: 20}}}}, "warning CPU_PRESSURE"},
		{"io full 10", Node{PSI: &PSI{IO: &Pressure{Full: &PressureLine{Avg10: 10}}}}, "warning IO_PRESSURE"},
		{"io some only", Node{PSI: &PSI{IO: &Pressure{Some: PressureLine{Avg10: 90}}}}, ""},
		{"under oom", Node{Memory: &Memory{UnderOOM: boolp(true)}}, "critical UNDER_OOM"},
		{"limit hit", Node{Memory: &Memory{LocalEvents: &MemoryEvents{Max: u(1)}}}, "warning LIMIT_HITS"},
		{"no limit hit", Node{Memory: &Memory{LocalEvents: &MemoryEvents{Max: u(0)}}}, ""},
		{"descendant's limit hit", Node{Memory: &Memory{Events: &MemoryEvents{Max: u(5)}, LocalEvents: &MemoryEvents{Max: u(0)}}}, ""},
		{"v1 has no limit hits", Node{Memory: &Memory{Version: 1}}, ""},
		{"over high", Node{Memory: &Memory{LocalEvents: &MemoryEvents{High: u(1)}}}, "warning HIGH_THROTTLED"},
		{"not over high", Node{Memory: &Memory{LocalEvents: &MemoryEvents{High: u(0)}}}, ""},
		{"swap 89%", Node{Memory: &Memory{Version: 2, Swap: u(89), SwapMax: &Limit{Max: u(100)}}}, ""},
		{"swap 90%", Node{Memory: &Memory{Version: 2, Swap: u(90), SwapMax: &Limit{Max: u(100)}}}, "warning SWAP"},
		{"swap max unlimited", Node{Memory: &Memory{Version: 2, Swap: u(1 << 40), SwapMax: &Limit{Unlimited: true}}}, ""},
		{"swap fail 1", Node{Memory: &Memory{Version: 2, SwapEvents: &SwapEvents{Fail: u(1), Max: u(0)}}}, "warning SWAP"},
		{"swap fail 0", Node{Memory: &Memory{Version: 2, SwapEvents: &SwapEvents{High: u(7), Fail: u(0), Max: u(0)}}}, ""},
		{"swap max 0 hit", Node{Memory: &Memory{Version: 2, Swap: u(0), SwapMax: &Limit{Max: u(0)}, SwapEvents: &SwapEvents{Max: u(1)}}}, "warning SWAP"},
		{"swap full and failing: one finding", Node{Memory: &Memory{Version: 2, Swap: u(100), SwapMax: &Limit{Max: u(100)}, SwapEvents: &SwapEvents{Fail: u(3)}}}, "warning SWAP"},
		{"v1 has no swap check", Node{Memory: &Memory{Version: 1, Swap: u(100), SwapMax: &Limit{Max: u(100)}, SwapEvents: &SwapEvents{Fail: u(1)}}}, ""},
		{"inherited throttle", Node{CPU: &CPU{Max: &CPUMax{Unlimited: true}, LocalThrottledUsec: u(1)}}, "warning INHERITED_THROTTLE"},
		{"no inherited throttle", Node{CPU: &CPU{Max: &CPUMax{Unlimited: true}, LocalThrottledUsec: u(0)}}, ""},
		{"own quota throttles", Node{CPU: &CPU{Max: &CPUMax{QuotaUsec: u(50000), PeriodUsec: 100000}, LocalThrottledUsec: u(1)}}, ""},
		{"own quota unknown", Node{CPU: &CPU{LocalThrottledUsec: u(1)}}, ""},
	}
	for _, tt := range tests {
		n := tt.n
		n.Path = "/x"
		if n.Effective == nil {
			n.Effective = &Limits{}
		}
		tr := &Tree{Nodes: []*Node{&n}, byPath: map[string]*Node{"/x": &n}}
		got := summary(Check(tr, nil))
		switch {
		case tt.want == "" && len(got) != 0:
			t.Errorf("%s: findings %q; want none", tt.name, got)
		case tt.want != "" && (len(got) != 1 || got[0] != tt.want+" /x"):
			t.Errorf("%s: findings %q; want %q", tt.name, got, tt.want)
		}
	}
	for _, d := range []struct {
		live, dying uint64
		want        bool
	}{{100, 1000, false}, {100, 1001, true}, {10, 100, false}, {10, 101, true}, {0, 11, true}} {
		tr := &Tree{Dying: []DyingCount{{Hierarchy: "cgroup2", Path: "/", Live: d.live, Dying: d.dying}}, byPath: map[string]*Node{}}
		if got := len(Check(tr, nil)) == 1; got != d.want {
			t.Errorf("%d dying beside %d live: finding %v; want %v", d.dying, d.live, got, d.want)
		}
	}
}

func boolp(b bool) *bool { return &b }

// TestCheckFrozenEmpty: FROZEN once at the top of a frozen subtree (and
// for a cgroup stuck freezing), EMPTY once at the top of an empty
// container cgroup, both at info level, after every problem.
func TestCheckFrozenEmpty(t *testing.T) {
	ctr := &inspect.Container{Runtime: "docker", ID: strings.Repeat("a", 64)}
	nodes := []*Node{
		{Path: "/", Freezer: nil},
		{Path: "/p", Parent: "/", Freezer: &Freezer{Version: 2, State: "FROZEN"}},
		{Path: "/p/c", Parent: "/p", Freezer: &Freezer{Version: 2, State: "FROZEN"}},
		{Path: "/q", Parent: "/", Freezer: &Freezer{Version: 1, State: "FREEZING"}},
		{Path: "/r", Parent: "/", Freezer: &Freezer{Version: 1, State: "THAWED"}},
		{Path: "/d", Parent: "/", Container: ctr, Populated: boolp(false)},
		{Path: "/d/sub", Parent: "/d", Container: ctr, Populated: boolp(false)},
		{Path: "/e", Parent: "/", Container: ctr, Populated: boolp(true)},
		{Path: "/f", Parent: "/", Populated: boolp(false)}, // not a container's
		{Path: "/g", Parent: "/", PIDs: &PIDs{Current: u64(99)}, Effective: &Limits{PIDs: &Effective{Limit: Limit{Max: u64(100)}}}},
	}
	tr := &Tree{Nodes: nodes, byPath: map[string]*Node{}}
	for _, n := range nodes {
		tr.byPath[n.Path] = n
		if n.Effective == nil {
			n.Effective = &Limits{}
		}
	}
	fs := Check(tr, nil)
	want := []string{"critical PIDS_NEAR_MAX /g", "info EMPTY /d", "info FROZEN /p", "info FROZEN /q"}
	if got := summary(fs); !slices.Equal(got, want) {
		t.Fatalf("findings =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !fs[0].Problem() || fs[1].Problem() || fs[1].Container != ctr {
		t.Errorf("problem flags %v %v, EMPTY container %+v", fs[0].Problem(), fs[1].Problem(), fs[1].Container)
	}
	if !strings.Contains(fs[2].Message, "cgroup.freeze") || !strings.Contains(fs[3].Message, "stuck freezing") {
		t.Errorf("messages %q, %q", fs[2].Message, fs[3].Message)
	}
}

// TestCheckIOLimited: the rate over the interval against the device's
// own limit; no finding without a previous scan, below 90%, or for a
// device without a limit.
func TestCheckIOLimited(t *testing.T) {
	mk := func(at time.Time, rb, wios uint64) *Tree {
		n := &Node{Path: "/x", Inode: 7, Effective: &Limits{}, IO: &IO{Version: 2, Devices: []IODevice{
			{Device: "254:0", ReadBytes: u64(rb), WriteIOs: u64(wios), ReadBPS: u64(1 << 20), WriteIOPS: u64(100)},
			{Device: "8:0", ReadBytes: u64(rb * 10)}, // no limit: never throttled
		}}}
		return &Tree{Time: at, Nodes: []*Node{n}, byPath: map[string]*Node{"/x": n}}
	}
	t0 := time.Unix(1000, 0)
	// 2 s: 1.9 MiB read (95% of 1 MiB/s), 100 write IOs (50% of 100/s).
	prev, cur := mk(t0, 0, 0), mk(t0.Add(2*time.Second), 1<<20*19/10, 100)
	fs := Check(cur, prev)
	if len(fs) != 1 || fs[0].Code != "IO_LIMITED" || fs[0].Level != LevelWarning || fs[0].Value != 95 ||
		!strings.Contains(fs[0].Message, "device 254:0: read 972.8KiB/s of a read limit of 1MiB/s") {
		t.Fatalf("findings %+v; want IO_LIMITED at 95%% of the read limit", fs)
	}
	if fs := Check(cur, nil); len(fs) != 0 {
		t.Errorf("without a previous scan: %+v", fs)
	}
	if fs := Check(mk(t0.Add(2*time.Second), 1<<20*17/10, 190), prev); len(fs) != 1 || fs[0].Value != 95 ||
		!strings.Contains(fs[0].Message, "write 95 IO/s of a write limit of 100 IO/s") {
		t.Errorf("85%% of the read limit, 95%% of the write IOPS limit: %+v", fs)
	}
	if fs := Check(mk(t0.Add(2*time.Second), 1<<20*17/10, 100), prev); len(fs) != 0 {
		t.Errorf("85%% and 50%%: %+v", fs)
	}
}
