package cgroupview

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ctx-tools/ctx/inspect/hostfs"
	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

// planned returns the Group Create would make on l, without touching disk.
func planned(t *testing.T, root hostfs.Root, l *Layout, p string) *Group {
	t.Helper()
	g := &Group{Path: p, root: root, layout: l}
	for _, h := range groupHierarchies(l) {
		d, ok := dirOf(h, p)
		if !ok {
			t.Fatalf("%q outside %q", p, h.MountPoint)
		}
		g.dirs = append(g.dirs, groupDir{h: h, dir: root.Host(d)})
	}
	return g
}

func TestWritesPlan(t *testing.T) {
	res := Resources{MemoryMax: 32 << 20, PIDsMax: 20, CPUQuota: 10000, CPUShares: 512,
		IOWeight: 500, IODevices: []IODeviceLimit{{Major: 8, Minor: 0, ReadBPS: 1 << 20}}}
	cases := []struct {
		fixture string
		want    []string // "dirbase/file=value"
	}{
		{"cgroup-v2", []string{
			"ctx-x/memory.max=33554432", "ctx-x/memory.swap.max=0", "ctx-x/pids.max=20",
			"ctx-x/cpu.max=10000 100000", "ctx-x/cpu.weight=20", "ctx-x/io.weight=default 500",
			"ctx-x/io.max=8:0 rbps=1048576",
		}},
		{"cgroup-hybrid", []string{
			"memory/memory.limit_in_bytes=33554432", "memory/memory.memsw.limit_in_bytes=33554432",
			"pids/pids.max=20", "cpu/cpu.cfs_period_us=100000", "cpu/cpu.cfs_quota_us=10000",
			"cpu/cpu.shares=512", "blkio/blkio.weight|blkio.bfq.weight=500",
			"blkio/blkio.throttle.read_bps_device=8:0 1048576",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.fixture, func(t *testing.T) {
			root := hostfstest.Fixture(t, tc.fixture)
			l, err := Detect(root)
			if err != nil {
				t.Fatal(err)
			}
			g := planned(t, root, l, "/ctx-x")
			ws, err := g.writes(res)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range ws {
				dir, _ := g.dirFor(w.ctrl)
				base := path.Base(dir)
				if l.Mode != ModeV2 {
					base = path.Base(path.Dir(dir)) // the hierarchy's mount dir
				}
				got = append(got, base+"/"+w.file+"="+w.value)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("writes:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestWritesRejects(t *testing.T) {
	root := hostfstest.Fixture(t, "cgroup-v2")
	l, err := Detect(root)
	if err != nil {
		t.Fatal(err)
	}
	g := planned(t, root, l, "/ctx-x")
	for _, r := range []Resources{
		{MemorySwapMax: 64 << 20},
		{MemoryMax: 64 << 20, MemorySwapMax: 32 << 20},
	} {
		if _, err := g.writes(r); err == nil {
			t.Errorf("writes(%+v) = nil error; want one", r)
		}
	}
	if ws, err := g.writes(Resources{MemoryMax: 1 << 20, MemorySwapMax: -1}); err != nil || ws[1].value != "max" {
		t.Errorf("unlimited swap: %v %v; want memory.swap.max=max", ws, err)
	}
}

func TestSharesWeight(t *testing.T) {
	for _, c := range []struct{ shares, weight uint64 }{{2, 1}, {1024, 39}, {262144, 10000}} {
		if got := SharesToWeight(c.shares); got != c.weight {
			t.Errorf("SharesToWeight(%d) = %d; want %d", c.shares, got, c.weight)
		}
	}
	if got := WeightToShares(100); got < 2500 || got > 2700 {
		t.Errorf("WeightToShares(100) = %d; want about 2596", got)
	}
	if SharesToWeight(1) != 1 || WeightToShares(0) != 2 {
		t.Error("out-of-range values are not clamped")
	}
}

func randName(t *testing.T) string {
	b := make([]byte, 4)
	rand.Read(b)
	return "ctx-test-w" + hex.EncodeToString(b)
}

// TestCreateLive makes a real cgroup with limits, puts a process in it,
// reads it back and removes it.
func TestCreateLive(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	root := liveRoot(t)
	l, err := Detect(root)
	if err != nil {
		t.Fatal(err)
	}
	name := randName(t)
	g, err := Create(root, l, "/"+name, Resources{MemoryMax: 64 << 20, PIDsMax: 10, CPUQuota: 50000, CPUShares: 512})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Remove(5 * time.Second) })
	if _, err := Create(root, l, "/"+name, Resources{}); !errors.Is(err, ErrExists) {
		t.Errorf("second Create: %v; want ErrExists", err)
	}
	t.Logf("layout %s, dirs %q, warnings %q", l.Mode, g.Dirs(), g.Warnings)

	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	if err := g.AddPID(cmd.Process.Pid, true, true); err != nil {
		t.Fatal(err)
	}
	if got := g.PIDs(); !slices.Equal(got, []int{cmd.Process.Pid}) {
		t.Errorf("PIDs() = %v; want [%d]", got, cmd.Process.Pid)
	}
	st, warn := g.Stats()
	t.Logf("stats warnings: %q", warn)
	if st.Memory == nil || st.Memory.Limit == nil || st.Memory.Limit.Max == nil || *st.Memory.Limit.Max != 64<<20 {
		t.Errorf("memory limit = %+v; want 64 MiB", st.Memory)
	}
	if st.PIDs == nil || st.PIDs.Current == nil || *st.PIDs.Current != 1 || st.PIDs.Limit.Max == nil || *st.PIDs.Limit.Max != 10 {
		t.Errorf("pids = %+v; want current 1, max 10", st.PIDs)
	}
	if st.CPU == nil || st.CPU.Max == nil {
		t.Errorf("cpu = %+v; want a quota", st.CPU)
	} else if c, ok := st.CPU.Max.CPUs(); !ok || c != 0.5 {
		t.Errorf("cpu quota = %v CPUs; want 0.5", c)
	}

	// Found again the way ctx gc finds it.
	kids, err := Children(root, l, "/", func(n string) bool { return n == name })
	if err != nil || !slices.Equal(kids, []string{"/" + name}) {
		t.Errorf("Children = %q, %v; want [/%s]", kids, err, name)
	}
	og, err := Open(root, l, "/"+name)
	if err != nil {
		t.Fatal(err)
	}
	if len(og.Dirs()) < len(g.Dirs()) {
		t.Errorf("Open found %q; want at least %q", og.Dirs(), g.Dirs())
	}

	if err := g.Remove(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-waited:
		if err == nil || !strings.Contains(err.Error(), "killed") {
			t.Errorf("sleep ended with %v; want killed", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("Remove did not kill the member")
	}
	for _, d := range g.Dirs() {
		t.Errorf("left %q", d)
	}
	for _, d := range og.Dirs() {
		if _, err := os.Stat(d); err == nil {
			t.Errorf("%q still exists", d)
		}
	}
	if _, err := Open(root, l, "/"+name); !errors.Is(err, ErrNoCgroup) {
		t.Errorf("Open after Remove: %v; want ErrNoCgroup", err)
	}
}
