package cgroupview

import (
	"slices"
	"strings"
	"testing"

	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

func readCgroup(t *testing.T, fixture, p string) *Detail {
	t.Helper()
	root := hostfstest.Fixture(t, fixture)
	l, err := Detect(root)
	if err != nil {
		t.Fatal(err)
	}
	d, err := ReadCgroup(root, l, p, nil)
	if err != nil {
		t.Fatalf("ReadCgroup(%s): %v", p, err)
	}
	return d
}

func TestReadCgroupV2(t *testing.T) {
	d := readCgroup(t, "cgroup-v2", v2Scope)
	// The device program needs a live host to query: unknown, warned.
	if len(d.Warnings) != 1 || !strings.Contains(d.Warnings[0], "BPF device program") {
		t.Errorf("warnings = %q; want one about the device program", d.Warnings)
	}
	if d.Devices == nil || d.Devices.Version != 2 || d.Devices.BPFProgram != nil {
		t.Errorf("Devices = %+v; want v2, program unknown", d.Devices)
	}
	m := d.Memory
	if m == nil || m.Detail == nil {
		t.Fatalf("Memory = %+v; want the detail", m)
	}
	eqU(t, "peak", m.Peak, 9437184)
	eqU(t, "kernel", m.Detail.Kernel, 557056)
	eqU(t, "slab", m.Detail.Slab, 416808)
	eqU(t, "file mapped", m.Detail.FileMapped, 2838528)
	c := d.CPU
	eqU(t, "weight", c.Weight, 100)
	eqU(t, "nr_bursts", c.NrBursts, 0)
	io := d.IO
	if io == nil || len(io.Devices) != 1 {
		t.Fatalf("IO = %+v; want one device", io)
	}
	dev := io.Devices[0]
	if dev.Device != "254:0" || dev.ReadBPS == nil || *dev.ReadBPS != 10485760 || dev.WriteBPS != nil || dev.WriteIOPS == nil || *dev.WriteIOPS != 1000 {
		t.Errorf("device = %+v; want rbps 10485760, wbps unlimited, wiops 1000", dev)
	}
	eqU(t, "device weight", dev.Weight, 200)
	eqU(t, "io weight", io.Weight, 100)
	eqU(t, "read bytes", io.ReadBytes, 1048576)
	if d.Freezer == nil || d.Freezer.State != "THAWED" || d.Populated == nil || !*d.Populated {
		t.Errorf("Freezer = %+v, populated %v; want THAWED, populated", d.Freezer, d.Populated)
	}
	if len(d.Dirs) != 1 || d.Dirs[0].Dir != "/sys/fs/cgroup"+v2Scope || !slices.Equal(d.Dirs[0].Procs, []int{4242}) {
		t.Errorf("Dirs = %+v", d.Dirs)
	}
	if !slices.Equal(d.Procs, []int{4242}) {
		t.Errorf("Procs = %v", d.Procs)
	}
	want := []string{"/system.slice", "/"}
	var got []string
	for _, a := range d.Ancestors {
		got = append(got, a.Path)
		if a.Memory == nil || !a.Memory.Unlimited || a.PIDs == nil || !a.PIDs.Unlimited || a.CPU == nil || !a.CPU.Unlimited {
			t.Errorf("ancestor %+v; want every limit none", a)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("ancestors %q; want %q", got, want)
	}
}

func TestReadCgroupV2Ancestors(t *testing.T) {
	d := readCgroup(t, "cgroup-v2", v2BScope)
	var got []string
	for _, a := range d.Ancestors {
		mem := "unknown"
		if a.Memory != nil {
			mem = "none"
			if a.Memory.Max != nil {
				mem = strings.TrimSuffix(bytesText(*a.Memory.Max), "")
			}
		}
		got = append(got, a.Path+" "+mem)
	}
	want := []string{v2Pod + " 256MiB", v2KB + " none", "/kubepods.slice 3.5GiB", "/ none"}
	if !slices.Equal(got, want) {
		t.Errorf("ancestors =\n%q\nwant\n%q", got, want)
	}
	ev := d.Memory.LocalEvents
	if ev == nil {
		t.Fatal("no memory.events.local")
	}
	eqU(t, "oom_kill", ev.OOMKill, 1)
	eqU(t, "oom_group_kill", ev.OOMGroupKill, 1)
	eqEffective(t, "effective memory", d.Effective.Memory, 256<<20, v2Pod)
}

func TestReadCgroupHybrid(t *testing.T) {
	d := readCgroup(t, "cgroup-hybrid", "/docker/"+hybridCtr)
	noWarnings(t, "ReadCgroup", d.Warnings)
	if len(d.Dirs) != 10 {
		t.Errorf("%d dirs; want one in each of the 10 hierarchies", len(d.Dirs))
	}
	for _, c := range []string{"cpuset", "devices", "freezer", "blkio", "name=systemd"} {
		if !d.Has(c) {
			t.Errorf("controllers %v lack %s", d.Controllers, c)
		}
	}
	cs := d.Cpuset
	if cs == nil || cs.Version != 1 || cs.CPUs != "0-1" || cs.EffectiveMems != "0" || cs.NumEffectiveCPUs == nil || *cs.NumEffectiveCPUs != 2 {
		t.Errorf("Cpuset = %+v", cs)
	}
	if fz := d.Freezer; fz == nil || fz.Version != 1 || fz.State != "THAWED" || fz.SelfFreezing == nil || *fz.SelfFreezing {
		t.Errorf("Freezer = %+v; want v1 THAWED", fz)
	}
	if dv := d.Devices; dv == nil || dv.Version != 1 || len(dv.Allow) != 9 || dv.Allow[0] != "c 1:3 rwm" {
		t.Errorf("Devices = %+v; want the v1 allow list", dv)
	}
	io := d.IO
	if io == nil || io.Version != 1 || len(io.Devices) != 1 || io.Devices[0].WriteBPS == nil || *io.Devices[0].WriteBPS != 10485760 {
		t.Fatalf("IO = %+v; want blkio with a write limit", io)
	}
	eqU(t, "write bytes", io.WriteBytes, 3149824)
	eqU(t, "write IOs", io.WriteIOs, 769)
	if d.PSI == nil || d.PSI.CPU.Some.Avg10 != 4.52 {
		t.Errorf("PSI = %+v; want the unified tree's", d.PSI)
	}
	if d.Memory.Detail == nil || d.Memory.Detail.OOMKillDisable == nil || *d.Memory.Detail.OOMKillDisable {
		t.Errorf("memory detail = %+v; want oom_kill_disable 0", d.Memory.Detail)
	}
	if !slices.Equal(d.Procs, []int{667}) || d.ProcsFrom != "all" {
		t.Errorf("Procs = %v from %q", d.Procs, d.ProcsFrom)
	}
}

func TestCgroupPath(t *testing.T) {
	root := hostfstest.Fixture(t, "cgroup-hybrid")
	l, m := load(t, root, 900)
	p, warn := m.CgroupPath(l)
	if p != "/batch/job1" || warn != nil {
		t.Errorf("CgroupPath(900) = %q, %q; want /batch/job1 (its memory cgroup)", p, warn)
	}
	_, m = load(t, root, 667)
	if p, _ := m.CgroupPath(l); p != "/docker/"+hybridCtr {
		t.Errorf("CgroupPath(667) = %q", p)
	}
	if !Exists(root, l, "/batch") || Exists(root, l, "/nope") {
		t.Error("Exists is wrong")
	}
	split := &Membership{PID: 7, Placements: []Placement{
		{HierarchyID: 4, Controllers: []string{"memory"}, Path: "/a"},
		{HierarchyID: 1, Controllers: []string{"cpu"}, Path: "/b"},
	}}
	if p, warn := split.CgroupPath(l); p != "/a" || len(warn) != 1 || !strings.Contains(warn[0], "cpu /b") {
		t.Errorf("split CgroupPath = %q, %q; want /a and a warning naming cpu /b", p, warn)
	}
}
