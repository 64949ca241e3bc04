package cgroupview

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ctx-tools/ctx/inspect/hostfs"
	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

const (
	v2Docker  = "aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899"
	v2CRI     = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	v2Pod     = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod6b9f1c2a_3d4e_4f50_8a1b_2c3d4e5f6a7b.slice"
	hybridCtr = "7f43e69b011f54ae5c4bd6f5662e002f7c968be384464616909bd6447579996e"
)

// load runs Detect and ForPID, failing the test on errors.
func load(t *testing.T, root hostfs.Root, pid int) (*Layout, *Membership) {
	t.Helper()
	l, err := Detect(root)
	if err != nil {
		t.Fatalf("Detect: %v", err)
	}
	m, err := ForPID(root, l, pid)
	if err != nil {
		t.Fatalf("ForPID(%d): %v", pid, err)
	}
	return l, m
}

func eqU(t *testing.T, name string, got *uint64, want uint64) {
	t.Helper()
	if got == nil {
		t.Errorf("%s = nil; want %d", name, want)
	} else if *got != want {
		t.Errorf("%s = %d; want %d", name, *got, want)
	}
}

func eqLimit(t *testing.T, name string, got *Limit, want uint64) {
	t.Helper()
	switch {
	case got == nil:
		t.Errorf("%s = unknown; want %d", name, want)
	case got.Unlimited:
		t.Errorf("%s = unlimited; want %d", name, want)
	default:
		eqU(t, name, got.Max, want)
	}
}

func eqEffective(t *testing.T, name string, got *Effective, want uint64, setBy string) {
	t.Helper()
	if got == nil {
		t.Errorf("%s = unknown; want %d set by %q", name, want, setBy)
		return
	}
	eqLimit(t, name, &got.Limit, want)
	if got.SetBy != setBy {
		t.Errorf("%s set by %q; want %q", name, got.SetBy, setBy)
	}
}

func eqCPU(t *testing.T, name string, got *EffectiveCPU, cores float64, setBy string) {
	t.Helper()
	switch {
	case got == nil:
		t.Errorf("%s = unknown; want %v cores", name, cores)
	case got.Cores == nil:
		t.Errorf("%s = unlimited; want %v cores", name, cores)
	case *got.Cores != cores || got.SetBy != setBy:
		t.Errorf("%s = %v cores set by %q; want %v set by %q", name, *got.Cores, got.SetBy, cores, setBy)
	}
}

func noWarnings(t *testing.T, what string, w []string) {
	t.Helper()
	if len(w) > 0 {
		t.Errorf("%s warnings = %q; want none", what, w)
	}
}

func TestDetectV2(t *testing.T) {
	l, err := Detect(hostfstest.Fixture(t, "cgroup-v2"))
	if err != nil {
		t.Fatal(err)
	}
	want := &Layout{
		Mode: ModeV2,
		Hierarchies: []Hierarchy{{
			Version:     2,
			Controllers: []string{"cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"},
			MountPoint:  "/sys/fs/cgroup",
			MountRoot:   "/",
			Options:     []string{"nsdelegate", "memory_recursiveprot"},
		}},
	}
	if !reflect.DeepEqual(l, want) {
		t.Errorf("Detect = %+v; want %+v", l, want)
	}
}

func TestDetectHybrid(t *testing.T) {
	l, err := Detect(hostfstest.Fixture(t, "cgroup-hybrid"))
	if err != nil {
		t.Fatal(err)
	}
	if l.Mode != ModeHybrid {
		t.Errorf("Mode = %q; want %q", l.Mode, ModeHybrid)
	}
	if l.PrivateNS {
		t.Errorf("PrivateNS = true; want false")
	}
	if len(l.Warnings) != 1 || !strings.Contains(l.Warnings[0], "PID 1") {
		t.Errorf("Warnings = %q; want one about PID 1's mount table", l.Warnings)
	}
	if got := len(l.Hierarchies); got != 10 {
		t.Errorf("got %d hierarchies; want 10", got)
	}
	for _, c := range []string{"cpu", "cpuacct", "memory", "pids", "name=systemd"} {
		h := l.V1(c)
		if h == nil {
			t.Errorf("V1(%q) = nil", c)
			continue
		}
		if want := "/sys/fs/cgroup/" + strings.TrimPrefix(c, "name="); h.MountPoint != want || h.MountRoot != "/" {
			t.Errorf("V1(%q) at %q root %q; want %q root /", c, h.MountPoint, h.MountRoot, want)
		}
	}
	u := l.Unified()
	if u == nil || u.MountPoint != "/sys/fs/cgroup/unified" || !slices.Equal(u.Controllers, []string{"hugetlb"}) {
		t.Errorf("Unified() = %+v; want /sys/fs/cgroup/unified binding hugetlb", u)
	}
}

func TestForPIDV2(t *testing.T) {
	root := hostfstest.Fixture(t, "cgroup-v2")
	_, m := load(t, root, 4242)
	want := []Placement{{HierarchyID: 0, Controllers: []string{}, Path: "/system.slice/docker-" + v2Docker + ".scope", Dir: "/sys/fs/cgroup/system.slice/docker-" + v2Docker + ".scope"}}
	if !reflect.DeepEqual(m.Placements, want) {
		t.Errorf("Placements = %+v; want %+v", m.Placements, want)
	}
	noWarnings(t, "ForPID", m.Warnings)

	_, z := load(t, root, 4300)
	if p := z.Unified(); p == nil || !p.Deleted || p.Path != "/system.slice/old.scope" {
		t.Errorf("zombie placement = %+v; want deleted /system.slice/old.scope", p)
	}
	if len(z.Warnings) != 1 || !strings.Contains(z.Warnings[0], "removed") {
		t.Errorf("zombie warnings = %q; want one saying it was removed", z.Warnings)
	}
}

func TestForPIDHybrid(t *testing.T) {
	_, m := load(t, hostfstest.Fixture(t, "cgroup-hybrid"), 667)
	noWarnings(t, "ForPID", m.Warnings)
	if got := len(m.Placements); got != 10 {
		t.Fatalf("got %d placements; want 10", got)
	}
	for c, dir := range map[string]string{
		"memory":       "/sys/fs/cgroup/memory/docker/" + hybridCtr,
		"cpu":          "/sys/fs/cgroup/cpu/docker/" + hybridCtr,
		"name=systemd": "/sys/fs/cgroup/systemd/docker/" + hybridCtr,
	} {
		if p := m.V1(c); p == nil || p.Dir != dir {
			t.Errorf("V1(%q) = %+v; want dir %q", c, p, dir)
		}
	}
	if p := m.Unified(); p == nil || p.Dir != "/sys/fs/cgroup/unified/docker/"+hybridCtr {
		t.Errorf("Unified() = %+v", p)
	}
}

func TestReadStatsV2(t *testing.T) {
	root := hostfstest.Fixture(t, "cgroup-v2")
	l, m := load(t, root, 4242)
	st, warn := ReadStats(root, l, m)
	noWarnings(t, "ReadStats", warn)

	mem := st.Memory
	if mem == nil || mem.Version != 2 {
		t.Fatalf("Memory = %+v; want v2", mem)
	}
	eqU(t, "memory current", mem.Current, 6291456)
	eqLimit(t, "memory limit", mem.Limit, 64<<20)
	eqU(t, "working set", mem.WorkingSet, 6291456-3883008)
	eqU(t, "file", mem.File, 4505600)
	eqU(t, "anon", mem.Anon, 1228800)
	eqU(t, "shmem", mem.Shmem, 12288)
	eqU(t, "peak", mem.Peak, 9437184)
	eqU(t, "swap", mem.Swap, 0)
	eqU(t, "oom kills", mem.OOMKills, 0)
	if mem.UnderOOM != nil {
		t.Errorf("UnderOOM = %v; want nil on v2", *mem.UnderOOM)
	}

	c := st.CPU
	if c == nil || c.Version != 2 || c.Max == nil {
		t.Fatalf("CPU = %+v; want v2 with cpu.max", c)
	}
	if n, ok := c.Max.CPUs(); !ok || n != 0.5 {
		t.Errorf("CPU max = %v, %v; want 0.5", n, ok)
	}
	eqU(t, "cpu weight", c.Weight, 100)
	if c.Shares != nil {
		t.Errorf("Shares = %d; want nil on v2", *c.Shares)
	}
	eqU(t, "usage", c.UsageUsec, 2345678)
	eqU(t, "nr_periods", c.NrPeriods, 120)
	eqU(t, "nr_throttled", c.NrThrottled, 45)
	eqU(t, "throttled", c.ThrottledUsec, 3456789)

	p := st.PIDs
	if p == nil {
		t.Fatal("PIDs = nil")
	}
	eqU(t, "pids current", p.Current, 3)
	eqLimit(t, "pids max", p.Limit, 50)
	eqU(t, "pids peak", p.Peak, 7)
	eqU(t, "pids events max", p.EventsMax, 2)

	if st.PSI == nil || st.PSI.CPU == nil || st.PSI.CPU.Some.Avg10 != 12.5 || st.PSI.CPU.Full == nil || st.PSI.CPU.Full.TotalUsec != 4000000 {
		t.Errorf("PSI = %+v; want cpu some avg10 12.5, full total 4000000", st.PSI)
	}
	if st.PSI != nil && (st.PSI.Memory == nil || st.PSI.IO == nil) {
		t.Errorf("PSI memory/io missing: %+v", st.PSI)
	}
}

func TestReadStatsV2OOMGroupKill(t *testing.T) {
	root := hostfstest.Fixture(t, "cgroup-v2")
	l, m := load(t, root, 5100)
	st, warn := ReadStats(root, l, m)
	noWarnings(t, "ReadStats", warn)
	if st.Memory == nil || st.Memory.Limit == nil || !st.Memory.Limit.Unlimited {
		t.Fatalf("Memory = %+v; want own limit unlimited", st.Memory)
	}
	eqU(t, "oom kills", st.Memory.OOMKills, 1)
	if st.Memory.Events == nil {
		t.Fatal("Events = nil")
	}
	eqU(t, "oom_group_kill", st.Memory.Events.OOMGroupKill, 1)
	// No limit of its own, so no limit hits of its own: they count at the
	// pod, whose limit was reached.
	eqU(t, "events max", st.Memory.Events.Max, 0)
	eqU(t, "local events max", st.Memory.LocalEvents.Max, 0)
	if st.CPU == nil || st.CPU.Max == nil || !st.CPU.Max.Unlimited || st.CPU.Max.QuotaUsec != nil {
		t.Errorf("CPU max = %+v; want unlimited", st.CPU)
	}
}

func TestReadStatsHybrid(t *testing.T) {
	root := hostfstest.Fixture(t, "cgroup-hybrid")
	l, m := load(t, root, 667)
	st, warn := ReadStats(root, l, m)
	noWarnings(t, "ReadStats", warn)

	mem := st.Memory
	if mem == nil || mem.Version != 1 || mem.Path != "/docker/"+hybridCtr {
		t.Fatalf("Memory = %+v; want v1 at /docker/<id>", mem)
	}
	eqU(t, "memory current", mem.Current, 4157440)
	eqLimit(t, "memory limit", mem.Limit, 64<<20)
	eqU(t, "working set", mem.WorkingSet, 4157440-3145728)
	eqU(t, "file", mem.File, 3334144)
	eqU(t, "anon", mem.Anon, 53248)
	eqU(t, "shmem", mem.Shmem, 0)
	eqU(t, "peak", mem.Peak, 5443584)
	eqU(t, "swap", mem.Swap, 0)
	eqU(t, "oom kills", mem.OOMKills, 0)
	if mem.UnderOOM == nil || *mem.UnderOOM {
		t.Errorf("UnderOOM = %v; want false", mem.UnderOOM)
	}
	if mem.Events != nil {
		t.Errorf("Events = %+v; want nil on v1", mem.Events)
	}

	c := st.CPU
	if c == nil || c.Version != 1 || c.Max == nil {
		t.Fatalf("CPU = %+v; want v1 with a quota", c)
	}
	if n, ok := c.Max.CPUs(); !ok || n != 0.5 {
		t.Errorf("CPU max = %v, %v; want 0.5", n, ok)
	}
	eqU(t, "shares", c.Shares, 1024)
	eqU(t, "nr_periods", c.NrPeriods, 24)
	eqU(t, "nr_throttled", c.NrThrottled, 18)
	eqU(t, "throttled µs (from ns)", c.ThrottledUsec, 508951)
	eqU(t, "usage (unified cpu.stat)", c.UsageUsec, 1060410)
	eqU(t, "user", c.UserUsec, 1037132)

	p := st.PIDs
	if p == nil || p.Version != 1 {
		t.Fatalf("PIDs = %+v; want v1", p)
	}
	eqU(t, "pids current", p.Current, 2)
	eqLimit(t, "pids max", p.Limit, 50)
	eqU(t, "pids peak", p.Peak, 8)
	eqU(t, "pids events max", p.EventsMax, 0)

	if st.PSI == nil || st.PSI.CPU == nil || st.PSI.CPU.Some.Avg10 != 4.52 || st.PSI.IO == nil || st.PSI.IO.Some.TotalUsec != 102 {
		t.Errorf("PSI = %+v; want unified cpu some avg10 4.52, io total 102", st.PSI)
	}
}

func TestReadStatsHybridRootCgroup(t *testing.T) {
	root := hostfstest.Fixture(t, "cgroup-hybrid")
	l, m := load(t, root, 4000)
	st, warn := ReadStats(root, l, m)
	noWarnings(t, "ReadStats", warn)
	if st.Memory == nil || st.Memory.Limit == nil || !st.Memory.Limit.Unlimited {
		t.Errorf("root memory = %+v; want unlimited", st.Memory)
	}
	eqU(t, "root working set", st.Memory.WorkingSet, 1295171584-220356608)
	if st.PIDs == nil || st.PIDs.Limit == nil || !st.PIDs.Limit.Unlimited || st.PIDs.Current != nil {
		t.Errorf("root pids = %+v; want unlimited, current unknown", st.PIDs)
	}
	if st.CPU == nil || st.CPU.Max == nil || !st.CPU.Max.Unlimited {
		t.Errorf("root cpu = %+v; want unlimited", st.CPU)
	}
	eqU(t, "root usage", st.CPU.UsageUsec, 305448491)
	lim, warn := EffectiveLimits(root, l, m)
	noWarnings(t, "EffectiveLimits", warn)
	if lim.Memory == nil || !lim.Memory.Unlimited || lim.PIDs == nil || !lim.PIDs.Unlimited || lim.CPU == nil || !lim.CPU.Unlimited || lim.CPU.Cores != nil {
		t.Errorf("EffectiveLimits = %+v; want all unlimited", lim)
	}
}

func TestEffectiveLimits(t *testing.T) {
	tests := []struct {
		fixture string
		pid     int
		mem     uint64
		memBy   string
		cores   float64
		cpuBy   string
		pids    uint64
		pidsBy  string
	}{
		{"cgroup-v2", 4242, 64 << 20, "/system.slice/docker-" + v2Docker + ".scope", 0.5, "/system.slice/docker-" + v2Docker + ".scope", 50, "/system.slice/docker-" + v2Docker + ".scope"},
		// No limits of its own: the pod slice and kubepods.slice bind.
		{"cgroup-v2", 5100, 256 << 20, v2Pod, 2, v2Pod, 4096, "/kubepods.slice"},
		{"cgroup-hybrid", 667, 64 << 20, "/docker/" + hybridCtr, 0.5, "/docker/" + hybridCtr, 50, "/docker/" + hybridCtr},
	}
	for _, tt := range tests {
		root := hostfstest.Fixture(t, tt.fixture)
		l, m := load(t, root, tt.pid)
		lim, warn := EffectiveLimits(root, l, m)
		noWarnings(t, tt.fixture+" EffectiveLimits", warn)
		eqEffective(t, tt.fixture+" memory", lim.Memory, tt.mem, tt.memBy)
		eqCPU(t, tt.fixture+" cpu", lim.CPU, tt.cores, tt.cpuBy)
		eqEffective(t, tt.fixture+" pids", lim.PIDs, tt.pids, tt.pidsBy)
	}
}

// TestJSON pins the field names of the contract.
func TestJSON(t *testing.T) {
	root := hostfstest.Fixture(t, "cgroup-hybrid")
	l, m := load(t, root, 667)
	st, _ := ReadStats(root, l, m)
	lim, _ := EffectiveLimits(root, l, m)
	b, err := json.Marshal(map[string]any{"stats": st, "limits": lim})
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Stats struct {
			Memory struct {
				CurrentBytes *uint64 `json:"currentBytes"`
				Limit        struct {
					Unlimited bool    `json:"unlimited"`
					Max       *uint64 `json:"max"`
				} `json:"limit"`
			} `json:"memory"`
			CPU struct {
				ThrottledUsec *uint64 `json:"throttledUsec"`
				Max           struct {
					QuotaUsec  *uint64 `json:"quotaUsec"`
					PeriodUsec uint64  `json:"periodUsec"`
				} `json:"max"`
			} `json:"cpu"`
		} `json:"stats"`
		Limits struct {
			CPU struct {
				Cores *float64 `json:"cores"`
				SetBy string   `json:"setBy"`
			} `json:"cpu"`
		} `json:"limits"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	s := got.Stats
	if s.Memory.CurrentBytes == nil || s.Memory.Limit.Max == nil || *s.Memory.Limit.Max != 64<<20 ||
		s.CPU.ThrottledUsec == nil || s.CPU.Max.QuotaUsec == nil || s.CPU.Max.PeriodUsec != 100000 ||
		got.Limits.CPU.Cores == nil || *got.Limits.CPU.Cores != 0.5 || got.Limits.CPU.SetBy == "" {
		t.Errorf("JSON = %s", b)
	}
}

// mountinfoV2 is a cgroup2 mount at /sys/fs/cgroup exposing root.
func mountinfoV2(root string) string {
	return "26 23 0:25 " + root + " /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n"
}

func TestPrivateNSFromMountRoot(t *testing.T) {
	root := hostfstest.New(t, map[string]string{
		"proc/1/mountinfo":                       mountinfoV2("/kubepods.slice/pod.slice"),
		"proc/7/cgroup":                          "0::/kubepods.slice/pod.slice/ctr.scope\n",
		"proc/8/cgroup":                          "0::/system.slice/other.scope\n",
		"sys/fs/cgroup/cgroup.controllers":       "memory pids\n",
		"sys/fs/cgroup/memory.max":               "268435456\n",
		"sys/fs/cgroup/pids.max":                 "max\n",
		"sys/fs/cgroup/ctr.scope/memory.max":     "max\n",
		"sys/fs/cgroup/ctr.scope/pids.max":       "100\n",
		"sys/fs/cgroup/ctr.scope/memory.current": "4096\n",
	})
	l, err := Detect(root)
	if err != nil {
		t.Fatal(err)
	}
	if !l.PrivateNS || len(l.Warnings) != 1 {
		t.Errorf("PrivateNS = %v, warnings %q; want true with one warning", l.PrivateNS, l.Warnings)
	}
	m, err := ForPID(root, l, 7)
	if err != nil {
		t.Fatal(err)
	}
	if p := m.Unified(); p == nil || p.Dir != "/sys/fs/cgroup/ctr.scope" {
		t.Errorf("placement = %+v; want dir /sys/fs/cgroup/ctr.scope", p)
	}
	lim, warn := EffectiveLimits(root, l, m)
	eqEffective(t, "memory", lim.Memory, 256<<20, "/kubepods.slice/pod.slice")
	eqEffective(t, "pids", lim.PIDs, 100, "/kubepods.slice/pod.slice/ctr.scope")
	if len(warn) == 0 || !strings.Contains(warn[0], "not visible") {
		t.Errorf("warnings = %q; want one saying ancestors are not visible", warn)
	}

	other, err := ForPID(root, l, 8)
	if err != nil {
		t.Fatal(err)
	}
	if p := other.Unified(); p == nil || p.Dir != "" || len(other.Warnings) != 1 {
		t.Errorf("outside the mount: %+v, warnings %q; want no dir and a warning", p, other.Warnings)
	}
	st, warn := ReadStats(root, l, other)
	if st.Memory != nil || st.PIDs != nil || len(warn) == 0 {
		t.Errorf("ReadStats outside the mount = %+v, %q; want nothing and warnings", st, warn)
	}
}

func TestPrivateNSFromSelfCgroup(t *testing.T) {
	root := hostfstest.New(t, map[string]string{
		"proc/1/mountinfo":                 mountinfoV2("/"),
		"proc/self/cgroup":                 "0::/\n",
		"sys/fs/cgroup/cgroup.controllers": "memory\n",
		// Only non-root cgroups have cgroup.events.
		"sys/fs/cgroup/cgroup.events": "populated 1\nfrozen 0\n",
	})
	l, err := Detect(root)
	if err != nil {
		t.Fatal(err)
	}
	if !l.PrivateNS {
		t.Errorf("PrivateNS = false; want true (warnings %q)", l.Warnings)
	}
}

func TestUnknownIsNotZero(t *testing.T) {
	root := hostfstest.New(t, map[string]string{
		"proc/1/mountinfo":                 mountinfoV2("/"),
		"proc/9/cgroup":                    "0::/a\n",
		"sys/fs/cgroup/cgroup.controllers": "cpu memory pids\n",
		"sys/fs/cgroup/a/memory.current":   "0\n",
		"sys/fs/cgroup/a/cpu.pressure":     "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
	})
	l, m := load(t, root, 9)
	st, warn := ReadStats(root, l, m)
	if st.Memory == nil {
		t.Fatal("Memory = nil")
	}
	eqU(t, "memory current", st.Memory.Current, 0) // a real zero stays zero
	if st.Memory.Limit != nil || st.Memory.WorkingSet != nil || st.Memory.Anon != nil {
		t.Errorf("Memory = %+v; want limit, working set and anon unknown", st.Memory)
	}
	if st.PIDs == nil || st.PIDs.Current != nil || st.PIDs.Limit != nil {
		t.Errorf("PIDs = %+v; want current and limit unknown", st.PIDs)
	}
	if st.PSI == nil || st.PSI.CPU == nil || st.PSI.Memory != nil || st.PSI.IO != nil {
		t.Errorf("PSI = %+v; want cpu only", st.PSI)
	}
	for _, f := range []string{"memory.max", "memory.stat", "pids.current", "pids.max", "cpu.stat"} {
		if !slices.ContainsFunc(warn, func(w string) bool { return strings.HasPrefix(w, f+":") }) {
			t.Errorf("no warning for %s in %q", f, warn)
		}
	}
}

func TestNoCgroups(t *testing.T) {
	root := hostfstest.New(t, map[string]string{"proc/1/mountinfo": "27 1 254:0 / / rw - ext4 /dev/vda rw\n"})
	if _, err := Detect(root); err != ErrNoCgroups {
		t.Errorf("Detect = %v; want ErrNoCgroups", err)
	}
}
