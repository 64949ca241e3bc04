package cgroupview

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ctx-tools/ctx/inspect/hostfs"
	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

const (
	v2KB     = "/kubepods.slice/kubepods-burstable.slice"
	v2C      = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
	v2GPod   = "/kubepods.slice/kubepods-pod0a1b2c3d_4e5f_4a6b_8c7d_9e0f1a2b3c4d.slice"
	v2G      = v2GPod + "/cri-containerd-1111111111111111222222222222222233333333333333334444444444444444.scope"
	v2EPod   = "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod9f8e7d6c_5b4a_4392_8170_6f5e4d3c2b1a.slice"
	v2E      = v2EPod + "/cri-containerd-5555555555555555666666666666666677777777777777778888888888888888.scope"
	v2Scope  = "/system.slice/docker-" + v2Docker + ".scope"
	v2BScope = v2Pod + "/cri-containerd-" + v2CRI + ".scope"
	v2CScope = v2Pod + "/cri-containerd-" + v2C + ".scope"
)

// scan runs Detect and Scan, failing the test on errors.
func scan(t *testing.T, root hostfs.Root, opts ScanOptions) *Tree {
	t.Helper()
	l, err := Detect(root)
	if err != nil {
		t.Fatalf("Detect: %v", err)
	}
	tr, err := Scan(root, l, opts)
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return tr
}

func node(t *testing.T, tr *Tree, p string) *Node {
	t.Helper()
	n := tr.Node(p)
	if n == nil {
		var have []string
		for _, n := range tr.Nodes {
			have = append(have, n.Path)
		}
		t.Fatalf("no node %q in %q", p, have)
	}
	return n
}

// TestScanV2Systemd covers a v2 host with the systemd driver: kubepods QoS
// slices, a Guaranteed pod, nested limits and a Docker scope.
func TestScanV2Systemd(t *testing.T) {
	tr := scan(t, hostfstest.Fixture(t, "cgroup-v2"), ScanOptions{Depth: -1, Procs: true})
	noWarnings(t, "Scan", tr.Warnings)
	if tr.Mode != ModeV2 || tr.Top != "/" {
		t.Errorf("Mode, Top = %q, %q; want v2, /", tr.Mode, tr.Top)
	}
	var paths []string
	for _, n := range tr.Nodes {
		paths = append(paths, n.Path)
	}
	want := []string{"/", "/init.scope", "/kubepods.slice", "/kubepods.slice/kubepods-besteffort.slice", v2EPod, v2E,
		v2KB, v2Pod, v2BScope, v2CScope, v2GPod, v2G, "/system.slice", v2Scope}
	if !slices.Equal(paths, want) {
		t.Errorf("nodes =\n%q\nwant (parents first, siblings by name)\n%q", paths, want)
	}

	tests := []struct {
		path          string
		mem           uint64 // 0: unlimited
		memBy         string
		cores         float64 // 0: unlimited
		cpuBy         string
		pids          uint64
		pidsBy        string
		runtime, qos  string
		podUID, podOn string
	}{
		// Docker, systemd driver: its own limits.
		{path: v2Scope, mem: 64 << 20, memBy: v2Scope, cores: 0.5, cpuBy: v2Scope, pids: 50, pidsBy: v2Scope, runtime: "docker"},
		// Burstable, no limits of its own: the pod's and kubepods.slice's.
		{path: v2BScope, mem: 256 << 20, memBy: v2Pod, cores: 2, cpuBy: v2Pod, pids: 4096, pidsBy: "/kubepods.slice", runtime: "containerd", qos: "burstable", podUID: "6b9f1c2a-3d4e-4f50-8a1b-2c3d4e5f6a7b"},
		// Nested: its own 512 MiB is looser than the pod's 256 MiB.
		{path: v2CScope, mem: 256 << 20, memBy: v2Pod, cores: 2, cpuBy: v2Pod, pids: 4096, pidsBy: "/kubepods.slice", runtime: "containerd", qos: "burstable"},
		// Guaranteed: the container's limits equal the pod's; the nearest sets them.
		{path: v2G, mem: 128 << 20, memBy: v2G, cores: 1, cpuBy: v2G, pids: 4096, pidsBy: "/kubepods.slice", runtime: "containerd", qos: "guaranteed"},
		// BestEffort: only kubepods.slice limits it.
		{path: v2E, mem: 3758096384, memBy: "/kubepods.slice", pids: 4096, pidsBy: "/kubepods.slice", runtime: "containerd", qos: "besteffort"},
		{path: v2Pod, mem: 256 << 20, memBy: v2Pod, cores: 2, cpuBy: v2Pod, pids: 4096, pidsBy: "/kubepods.slice", podOn: "burstable"},
		{path: v2GPod, mem: 128 << 20, memBy: v2GPod, cores: 1, cpuBy: v2GPod, pids: 4096, pidsBy: "/kubepods.slice", podOn: "guaranteed"},
		{path: "/init.scope"},
		{path: "/"},
	}
	for _, tt := range tests {
		n := node(t, tr, tt.path)
		e := n.Effective
		if tt.mem == 0 {
			if e.Memory == nil || !e.Memory.Unlimited {
				t.Errorf("%s memory = %+v; want unlimited", tt.path, e.Memory)
			}
		} else {
			eqEffective(t, tt.path+" memory", e.Memory, tt.mem, tt.memBy)
		}
		if tt.cores == 0 {
			if e.CPU == nil || e.CPU.Cores != nil {
				t.Errorf("%s cpu = %+v; want unlimited", tt.path, e.CPU)
			}
		} else {
			eqCPU(t, tt.path+" cpu", e.CPU, tt.cores, tt.cpuBy)
		}
		if tt.pids == 0 {
			if e.PIDs == nil || !e.PIDs.Unlimited {
				t.Errorf("%s pids = %+v; want unlimited", tt.path, e.PIDs)
			}
		} else {
			eqEffective(t, tt.path+" pids", e.PIDs, tt.pids, tt.pidsBy)
		}
		if tt.runtime != "" {
			if n.Container == nil || n.Container.Runtime != tt.runtime {
				t.Errorf("%s container = %+v; want runtime %s", tt.path, n.Container, tt.runtime)
			} else if tt.qos != "" && (n.Container.Pod == nil || n.Container.Pod.QoS != tt.qos) {
				t.Errorf("%s pod = %+v; want QoS %s", tt.path, n.Container.Pod, tt.qos)
			} else if tt.podUID != "" && n.Container.Pod.UID != tt.podUID {
				t.Errorf("%s pod UID = %q; want %q", tt.path, n.Container.Pod.UID, tt.podUID)
			}
		}
		if tt.podOn != "" && (n.Pod == nil || n.Pod.QoS != tt.podOn || n.Container != nil) {
			t.Errorf("%s Pod = %+v, Container %+v; want the pod (%s) and no container", tt.path, n.Pod, n.Container, tt.podOn)
		}
	}

	b := node(t, tr, v2BScope)
	if !slices.Equal(b.Procs, []int{5100}) || b.ProcsFrom != "cgroup2" {
		t.Errorf("procs = %v from %q; want [5100] from cgroup2", b.Procs, b.ProcsFrom)
	}
	if !slices.Equal(b.Controllers, []string{"cpu", "memory", "pids"}) || !b.Unified {
		t.Errorf("controllers = %v, unified %v; want cpu, memory, pids on cgroup2", b.Controllers, b.Unified)
	}
	eqU(t, "oom kills", b.Memory.OOMKills, 1)
	eqU(t, "oom group kills", b.Memory.LocalEvents.OOMGroupKill, 1)
	eqU(t, "working set", b.Memory.WorkingSet, 6291456-3883008)
	if b.Memory.Peak != nil || b.Memory.Detail != nil {
		t.Errorf("a scan read the peak or the detail: %+v", b.Memory)
	}
	s := node(t, tr, v2Scope)
	if pct, ok := s.CPU.ThrottledPct(); !ok || pct != 37.5 {
		t.Errorf("throttled = %v, %v; want 37.5%%", pct, ok)
	}
	if s.PSI == nil || s.PSI.CPU.Some.Avg10 != 12.5 {
		t.Errorf("PSI = %+v; want cpu some avg10 12.5", s.PSI)
	}
	if s.IO != nil {
		t.Errorf("IO = %+v without ScanOptions.IO", s.IO)
	}
	root := node(t, tr, "/")
	if root.Memory == nil || root.Memory.Current != nil || root.Memory.Limit == nil || !root.Memory.Limit.Unlimited {
		t.Errorf("root memory = %+v; want no current (no such file at the root), unlimited", root.Memory)
	}
	if len(tr.Dying) != 1 || tr.Dying[0] != (DyingCount{Hierarchy: "cgroup2", Path: "/", Live: 13, Dying: 150}) {
		t.Errorf("Dying = %+v; want 13 live, 150 dying in cgroup2", tr.Dying)
	}
}

// TestScanSwap checks that only a scan with Swap reads the v2 swap files:
// ls, tree and top stay as cheap as before.
func TestScanSwap(t *testing.T) {
	root := hostfstest.Fixture(t, "cgroup-v2")
	for _, n := range scan(t, root, ScanOptions{Depth: -1}).Nodes {
		if m := n.Memory; m != nil && (m.Swap != nil || m.SwapMax != nil || m.SwapEvents != nil) {
			t.Errorf("%s: scan without Swap read swap %v, %+v, %+v", n.Path, m.Swap, m.SwapMax, m.SwapEvents)
		}
	}
	tr := scan(t, root, ScanOptions{Depth: -1, Swap: true})
	noWarnings(t, "Scan", tr.Warnings)
	c := node(t, tr, v2CScope).Memory
	if c.Swap == nil || *c.Swap != 31457280 || c.SwapMax == nil || c.SwapMax.Max == nil || *c.SwapMax.Max != 33554432 {
		t.Errorf("C swap = %v of %+v; want 30MiB of 32MiB", c.Swap, c.SwapMax)
	}
	e := node(t, tr, v2E).Memory
	if e.SwapMax == nil || !e.SwapMax.Unlimited || e.SwapEvents == nil || e.SwapEvents.Fail == nil || *e.SwapEvents.Fail != 5 ||
		e.SwapEvents.Max == nil || *e.SwapEvents.Max != 0 {
		t.Errorf("E swap max %+v, events %+v; want max, fail 5, max 0", e.SwapMax, e.SwapEvents)
	}
	if a := node(t, tr, v2Scope).Memory; a.Swap == nil || a.SwapMax != nil || a.SwapEvents != nil {
		t.Errorf("docker swap %v, %+v, %+v; want 0 and no max or events files (absent is unknown)", a.Swap, a.SwapMax, a.SwapEvents)
	}
}

func TestScanSubtreeAndDepth(t *testing.T) {
	root := hostfstest.Fixture(t, "cgroup-v2")
	tr := scan(t, root, ScanOptions{Top: v2KB, Depth: 1})
	noWarnings(t, "Scan", tr.Warnings)
	if len(tr.Nodes) != 2 || tr.Nodes[0].Path != v2KB || tr.Nodes[1].Path != v2Pod {
		t.Fatalf("nodes = %d; want the burstable slice and its pod", len(tr.Nodes))
	}
	top := tr.Nodes[0]
	if top.Parent != "" || top.Depth != 0 || tr.Nodes[1].Parent != v2KB || tr.Nodes[1].Depth != 1 {
		t.Errorf("top %+v; child parent %q depth %d", top, tr.Nodes[1].Parent, tr.Nodes[1].Depth)
	}
	// The top's limits come from above it.
	eqEffective(t, "top memory", top.Effective.Memory, 3758096384, "/kubepods.slice")
	eqEffective(t, "top pids", top.Effective.PIDs, 4096, "/kubepods.slice")
	eqEffective(t, "pod memory", tr.Nodes[1].Effective.Memory, 256<<20, v2Pod)

	l, _ := Detect(root)
	_, err := Scan(root, l, ScanOptions{Top: "/nope"})
	var nce *NoCgroupError
	if !asNoCgroup(err, &nce) || nce.Path != "/nope" {
		t.Errorf("Scan(/nope) = %v; want a NoCgroupError", err)
	}
}

func asNoCgroup(err error, target **NoCgroupError) bool {
	e, ok := err.(*NoCgroupError)
	if ok {
		*target = e
	}
	return ok
}

// TestScanHybrid covers the hybrid host: the union of v1 hierarchies by
// path, cpu.stat and PSI from the cgroup2 mount at /sys/fs/cgroup/unified.
func TestScanHybrid(t *testing.T) {
	tr := scan(t, hostfstest.Fixture(t, "cgroup-hybrid"), ScanOptions{Depth: -1, Procs: true})
	if len(tr.Warnings) != 0 {
		t.Errorf("warnings = %q", tr.Warnings)
	}
	c := node(t, tr, "/docker/"+hybridCtr)
	if !slices.Equal(c.Controllers, []string{"cpu", "cpuacct", "memory", "pids"}) || !c.Unified {
		t.Errorf("controllers = %v, unified %v", c.Controllers, c.Unified)
	}
	if c.Memory == nil || c.Memory.Version != 1 || c.CPU == nil || c.PSI == nil {
		t.Fatalf("container = %+v; want v1 memory, cpu and PSI", c)
	}
	eqU(t, "usage from unified cpu.stat", c.CPU.UsageUsec, 1060410)
	eqU(t, "throttled (ns → µs)", c.CPU.ThrottledUsec, 508951)
	if c.PSI.CPU.Some.Avg10 != 4.52 {
		t.Errorf("PSI cpu some avg10 = %v; want 4.52 from the unified tree", c.PSI.CPU.Some.Avg10)
	}
	if !slices.Equal(c.Procs, []int{667}) || c.ProcsFrom != "memory" {
		t.Errorf("procs %v from %q; want [667] from memory", c.Procs, c.ProcsFrom)
	}
	eqEffective(t, "memory", c.Effective.Memory, 64<<20, "/docker/"+hybridCtr)
	eqCPU(t, "cpu", c.Effective.CPU, 0.5, "/docker/"+hybridCtr)
	// A memory-only group: no cpu, pids or PSI (not applicable, not 0).
	j := node(t, tr, "/batch/job1")
	if !slices.Equal(j.Controllers, []string{"memory"}) || j.Unified || j.CPU != nil || j.PIDs != nil || j.PSI != nil {
		t.Errorf("/batch/job1 = %+v; want memory only", j)
	}
	eqEffective(t, "job1 memory", j.Effective.Memory, 32<<20, "/batch")
	if j.Effective.CPU != nil || j.Effective.PIDs != nil {
		t.Errorf("job1 effective = %+v; want memory only", j.Effective)
	}
	if c.Container == nil || c.Container.Runtime != "docker" || c.Container.ID != hybridCtr {
		t.Errorf("container = %+v", c.Container)
	}
}

// TestScanLiveHybrid reads the machine's own cgroups: where a hybrid host
// has a real cgroup2 mount, its cpu.stat and PSI are read too.
func TestScanLiveHybrid(t *testing.T) {
	root := liveRoot(t)
	l, err := Detect(root)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := Scan(root, l, ScanOptions{Depth: -1, Procs: true})
	if err != nil {
		t.Fatal(err)
	}
	m, err := ForPID(root, l, os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	own, _ := m.CgroupPath(l)
	n := tr.Node(own)
	if n == nil || !slices.Contains(n.Procs, os.Getpid()) && n.ProcsFrom == "memory" {
		t.Errorf("own cgroup %q: %+v; want it listed with this process", own, n)
	}
	if l.Mode != ModeHybrid || l.Unified() == nil {
		t.Skipf("not a hybrid host (%s): nothing more to check", l.Mode)
	}
	unified := 0
	for _, n := range tr.Nodes {
		if !n.Unified {
			continue
		}
		unified++
		if n.PSI == nil || n.CPU == nil || n.CPU.UsageUsec == nil {
			t.Errorf("%s is in the cgroup2 tree but PSI %v, CPU %+v", n.Path, n.PSI, n.CPU)
		}
	}
	if unified == 0 {
		t.Error("no node from the cgroup2 mount")
	}
}

// TestScanUnknownIsNotZero checks that a missing file is unknown (nil)
// with a warning, a real zero stays 0, and absent controllers are nil.
func TestScanUnknownIsNotZero(t *testing.T) {
	root := hostfstest.New(t, map[string]string{
		"proc/1/mountinfo":                 mountinfoV2("/"),
		"sys/fs/cgroup/cgroup.controllers": "cpu memory pids\n",
		"sys/fs/cgroup/cgroup.procs":       "1\n",
		"sys/fs/cgroup/cpu.stat":           "usage_usec 10\n",
		"sys/fs/cgroup/a/cgroup.procs":     "",
		"sys/fs/cgroup/a/memory.current":   "0\n",
		"sys/fs/cgroup/a/memory.max":       "max\n",
		"sys/fs/cgroup/a/pids.max":         "10\n",
		"sys/fs/cgroup/a/cpu.stat":         "usage_usec 0\n",
		"sys/fs/cgroup/a/cpu.pressure":     "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
		"sys/fs/cgroup/a/b/cgroup.procs":   "",
		"sys/fs/cgroup/a/b/cpu.stat":       "usage_usec 0\n",
	})
	tr := scan(t, root, ScanOptions{Depth: -1, Procs: true})
	a := node(t, tr, "/a")
	if a.Memory == nil || a.PIDs == nil {
		t.Fatalf("/a = %+v; want memory and pids (their files exist)", a)
	}
	eqU(t, "memory current", a.Memory.Current, 0) // a real zero stays zero
	eqU(t, "cpu usage", a.CPU.UsageUsec, 0)
	if a.Memory.WorkingSet != nil || a.Memory.OOMKills != nil || a.PIDs.Current != nil || a.PIDs.EventsMax != nil {
		t.Errorf("/a memory %+v, pids %+v; want working set, OOM kills, current and events unknown", a.Memory, a.PIDs)
	}
	if a.PSI == nil || a.PSI.CPU == nil || a.PSI.Memory != nil || a.PSI.IO != nil {
		t.Errorf("/a PSI = %+v; want cpu only", a.PSI)
	}
	if a.Effective.Memory == nil || !a.Effective.Memory.Unlimited {
		t.Errorf("/a effective memory = %+v; want unlimited", a.Effective.Memory)
	}
	b := node(t, tr, "/a/b")
	if b.Memory != nil || b.PIDs != nil || b.Effective.Memory != nil || slices.Contains(b.Controllers, "memory") {
		t.Errorf("/a/b = %+v; want no memory or pids (its parent does not enable them)", b)
	}
	for _, f := range []string{"memory.stat", "memory.events", "pids.current", "pids.events"} {
		if !slices.ContainsFunc(tr.Warnings, func(w string) bool { return strings.Contains(w, `"/a": `+f+": missing") }) {
			t.Errorf("no warning for /a %s in %q", f, tr.Warnings)
		}
	}
}

// TestScanPermission checks that an unreadable file is unknown with a
// warning. Root reads anything, so as root the test re-runs itself as
// nobody.
func TestScanPermission(t *testing.T) {
	dir := permissionTree(t)
	if os.Geteuid() == 0 {
		asNobody(t, "TestScanPermission", dir)
		return
	}
	root, err := hostfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	tr := scan(t, root, ScanOptions{Depth: -1})
	a := node(t, tr, "/a")
	if a.Memory == nil || a.Memory.Limit != nil || a.Effective.Memory != nil {
		t.Errorf("/a memory = %+v, effective %+v; want the limit and the effective limit unknown", a.Memory, a.Effective.Memory)
	}
	eqU(t, "memory current", a.Memory.Current, 4096)
	if !slices.ContainsFunc(tr.Warnings, func(w string) bool { return strings.Contains(w, "memory.max: permission denied") }) {
		t.Errorf("warnings = %q; want memory.max: permission denied", tr.Warnings)
	}
}

// permissionTree builds, or under the re-run takes from the environment,
// a v2 host whose /a/memory.max is unreadable.
func permissionTree(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv(permDirEnv); dir != "" {
		return dir
	}
	dir := t.TempDir()
	files := map[string]string{
		"proc/1/mountinfo":                 mountinfoV2("/"),
		"sys/fs/cgroup/cgroup.controllers": "memory\n",
		"sys/fs/cgroup/a/memory.current":   "4096\n",
		"sys/fs/cgroup/a/memory.max":       "8192\n",
		"sys/fs/cgroup/a/memory.stat":      "inactive_file 0\n",
		"sys/fs/cgroup/a/memory.events":    "oom_kill 0\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(dir, "sys/fs/cgroup/a/memory.max"), 0); err != nil {
		t.Fatal(err)
	}
	// nobody must reach the tree: open up t.TempDir's private parents.
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestScanRatesAndDeltas(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("proc/1/mountinfo", mountinfoV2("/"))
	write("sys/fs/cgroup/cgroup.controllers", "cpu io memory pids\n")
	write("sys/fs/cgroup/c/cpu.max", "50000 100000\n")
	write("sys/fs/cgroup/c/cpu.stat", "usage_usec 1000000\nnr_periods 100\nnr_throttled 90\nthrottled_usec 5000000\n")
	write("sys/fs/cgroup/c/io.stat", "8:0 rbytes=1000 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n")
	write("sys/fs/cgroup/c/memory.current", "100\n")
	write("sys/fs/cgroup/c/memory.events.local", "oom_kill 3\n")
	root, err := hostfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Unix(1000, 0)
	now := func() time.Time { return clock }
	opts := ScanOptions{Depth: -1, IO: true, Now: now}
	prev := scan(t, root, opts)
	clock = clock.Add(2 * time.Second)
	write("sys/fs/cgroup/c/cpu.stat", "usage_usec 2000000\nnr_periods 120\nnr_throttled 100\nthrottled_usec 6000000\n")
	write("sys/fs/cgroup/c/io.stat", "8:0 rbytes=3000 wbytes=4000 rios=2 wios=4 dbytes=0 dios=0\n")
	write("sys/fs/cgroup/c/memory.events.local", "oom_kill 4\n")
	cur := scan(t, root, opts)

	rates := Rates(prev, cur)
	var r Rate
	for _, x := range rates {
		if x.Path == "/c" {
			r = x
		}
	}
	checkF := func(name string, got *float64, want float64) {
		t.Helper()
		if got == nil || *got != want {
			t.Errorf("%s = %v; want %v", name, deref(got), want)
		}
	}
	checkF("cpu %", r.CPUPct, 50)
	checkF("throttled %", r.ThrottledPct, 50)
	checkF("throttled s/s", r.ThrottledPerSec, 0.5)
	checkF("read B/s", r.ReadBPS, 1000)
	checkF("write B/s", r.WriteBPS, 2000)
	eqU(t, "oom kills", r.OOMKills, 1)

	// Cumulative: 100 of 120 periods; over the interval 10 of 20.
	if f := findCode(Check(cur, nil), "CPU_THROTTLED", "/c"); f == nil || f.Value != 83.3 || f.Level != LevelCritical {
		t.Errorf("cumulative CPU_THROTTLED = %+v; want 83.3%% critical", f)
	}
	if f := findCode(Check(cur, prev), "CPU_THROTTLED", "/c"); f == nil || f.Value != 50 || !strings.Contains(f.Message, "in the last 2s") {
		t.Errorf("delta CPU_THROTTLED = %+v; want 50%% in the last 2s", f)
	}
	if f := findCode(Check(cur, prev), "OOM_KILLED", "/c"); f == nil || f.Value != 1 {
		t.Errorf("delta OOM_KILLED = %+v; want 1", f)
	}
	if f := findCode(Check(cur, cur), "OOM_KILLED", "/c"); f != nil {
		t.Errorf("no change, yet %+v", f)
	}

	// Recreated (another inode): no rate, counters from zero.
	if err := os.Rename(filepath.Join(dir, "sys/fs/cgroup/c"), filepath.Join(dir, "old")); err != nil {
		t.Fatal(err)
	}
	write("sys/fs/cgroup/c/cpu.max", "50000 100000\n")
	write("sys/fs/cgroup/c/cpu.stat", "usage_usec 5\nnr_periods 10\nnr_throttled 9\n")
	again := scan(t, root, opts)
	for _, x := range Rates(cur, again) {
		if x.Path == "/c" && (x.CPUPct != nil || x.ThrottledPct != nil) {
			t.Errorf("recreated cgroup has rates %+v", x)
		}
	}
	if f := findCode(Check(again, cur), "CPU_THROTTLED", "/c"); f == nil || f.Value != 90 {
		t.Errorf("recreated CPU_THROTTLED = %+v; want 90%% (counted from zero)", f)
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func findCode(fs []Finding, code, p string) *Finding {
	for i := range fs {
		if fs[i].Code == code && fs[i].Path == p {
			return &fs[i]
		}
	}
	return nil
}

// TestScanMountedSubtree covers a mount that exposes only a subtree (a
// container with --cgroupns=host and its own cgroup bind-mounted): the
// scan starts there, names it, and takes its limits as effective.
func TestScanMountedSubtree(t *testing.T) {
	root := hostfstest.New(t, map[string]string{
		"proc/1/mountinfo":                       mountinfoV2("/kubepods.slice/pod.slice"),
		"sys/fs/cgroup/cgroup.controllers":       "memory pids\n",
		"sys/fs/cgroup/cgroup.procs":             "",
		"sys/fs/cgroup/memory.max":               "268435456\n",
		"sys/fs/cgroup/pids.max":                 "max\n",
		"sys/fs/cgroup/ctr.scope/cgroup.procs":   "7\n",
		"sys/fs/cgroup/ctr.scope/memory.max":     "max\n",
		"sys/fs/cgroup/ctr.scope/pids.max":       "100\n",
		"sys/fs/cgroup/ctr.scope/memory.current": "4096\n",
	})
	tr := scan(t, root, ScanOptions{Depth: -1})
	if len(tr.Nodes) != 2 || tr.Nodes[0].Path != "/kubepods.slice/pod.slice" || tr.Nodes[1].Parent != tr.Nodes[0].Path || tr.Nodes[1].Depth != 1 {
		t.Fatalf("nodes = %+v; want the pod slice and its container", tr.Nodes)
	}
	eqEffective(t, "container memory", tr.Nodes[1].Effective.Memory, 256<<20, "/kubepods.slice/pod.slice")
	eqEffective(t, "container pids", tr.Nodes[1].Effective.PIDs, 100, "/kubepods.slice/pod.slice/ctr.scope")
	if !slices.ContainsFunc(tr.Warnings, func(w string) bool { return strings.Contains(w, "exposes only this subtree") }) {
		t.Errorf("warnings = %q; want one about the subtree", tr.Warnings)
	}
}
