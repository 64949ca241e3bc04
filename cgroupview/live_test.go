package cgroupview

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ctx-tools/ctx/inspect/hostfs"
	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

// liveRoot returns the Root of the machine the test runs on.
func liveRoot(t *testing.T) hostfs.Root {
	t.Helper()
	root, err := hostfs.New("/")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// TestDockerLimits checks a real container's limits against what it was
// started with and what docker inspect reports.
func TestDockerLimits(t *testing.T) {
	id := hostfstest.DockerRun(t, "--memory", "64m", "--pids-limit", "50", "--cpus", "0.5", hostfstest.TestImage(t))
	pid, err := strconv.Atoi(hostfstest.Docker(t, "inspect", "-f", "{{.State.Pid}}", id))
	if err != nil || pid <= 0 {
		t.Fatalf("docker inspect pid: %v", err)
	}
	hc := hostfstest.Docker(t, "inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}} {{.HostConfig.NanoCpus}}", id)
	if want := "67108864 50 500000000"; hc != want {
		t.Fatalf("docker inspect HostConfig = %q; want %q", hc, want)
	}

	root := liveRoot(t)
	l, m := load(t, root, pid)
	t.Logf("layout %s, warnings %q", l.Mode, l.Warnings)
	noWarnings(t, "ForPID", m.Warnings)
	st, warn := ReadStats(root, l, m)
	noWarnings(t, "ReadStats", warn)

	if st.Memory == nil {
		t.Fatal("Memory = nil")
	}
	eqLimit(t, "memory limit", st.Memory.Limit, 64<<20)
	if st.Memory.Current == nil || *st.Memory.Current == 0 {
		t.Errorf("memory current = %v; want > 0", st.Memory.Current)
	}
	if st.Memory.WorkingSet == nil {
		t.Error("working set unknown")
	}
	if st.PIDs == nil {
		t.Fatal("PIDs = nil")
	}
	eqLimit(t, "pids max", st.PIDs.Limit, 50)
	if st.PIDs.Current == nil || *st.PIDs.Current < 1 {
		t.Errorf("pids current = %v; want ≥ 1", st.PIDs.Current)
	}
	if st.CPU == nil || st.CPU.Max == nil {
		t.Fatalf("CPU = %+v; want a quota", st.CPU)
	}
	if n, ok := st.CPU.Max.CPUs(); !ok || n != 0.5 {
		t.Errorf("cpu quota = %v, %v; want 0.5", n, ok)
	}
	if st.CPU.UsageUsec == nil {
		t.Error("cpu usage unknown")
	}
	if l.Unified() != nil && st.PSI == nil {
		t.Error("PSI = nil with a cgroup2 mount")
	}

	lim, warn := EffectiveLimits(root, l, m)
	noWarnings(t, "EffectiveLimits", warn)
	own := st.Memory.Path
	eqEffective(t, "effective memory", lim.Memory, 64<<20, own)
	eqEffective(t, "effective pids", lim.PIDs, 50, st.PIDs.Path)
	eqCPU(t, "effective cpu", lim.CPU, 0.5, st.CPU.Path)
}

// TestHostProcess reads ctx's own cgroups and PID 1's: known everywhere,
// and PID 1 (init, at or near the root) is not limited. cgroupfs and
// /proc/PID/cgroup are world-readable: no privilege needed.
func TestHostProcess(t *testing.T) {
	root := liveRoot(t)
	l, m := load(t, root, os.Getpid())
	noWarnings(t, "ForPID", m.Warnings)
	st, warn := ReadStats(root, l, m)
	noWarnings(t, "ReadStats", warn)
	if st.Memory == nil || st.Memory.Limit == nil || st.CPU == nil || st.CPU.UsageUsec == nil || st.PIDs == nil || st.PIDs.Limit == nil {
		t.Errorf("own stats = %+v; want memory limit, cpu usage and pids limit known", st)
	}
	lim, warn := EffectiveLimits(root, l, m)
	noWarnings(t, "EffectiveLimits", warn)
	if lim.Memory == nil || lim.CPU == nil || lim.PIDs == nil {
		t.Errorf("own effective limits = %+v; want all known", lim)
	}

	init, err := ForPID(root, l, 1)
	if err != nil {
		t.Fatal(err)
	}
	lim, warn = EffectiveLimits(root, l, init)
	noWarnings(t, "EffectiveLimits(1)", warn)
	if lim.Memory == nil || !lim.Memory.Unlimited || lim.PIDs == nil || !lim.PIDs.Unlimited || lim.CPU == nil || !lim.CPU.Unlimited {
		t.Errorf("PID 1 effective limits = %+v; want all unlimited", lim)
	}
}

// TestOwnCgroup makes a memory cgroup with a limit, moves a child process
// into it, reads it back, and removes it.
func TestOwnCgroup(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	hostfstest.NoFDLeak(t)
	root := liveRoot(t)
	l, err := Detect(root)
	if err != nil {
		t.Fatal(err)
	}
	limitFile := "memory.limit_in_bytes"
	h := l.V1("memory")
	if h == nil {
		h, limitFile = l.Unified(), "memory.max"
	}
	if h == nil || !h.Has("memory") || h.MountRoot != "/" {
		t.Fatalf("no memory hierarchy mounted at its root: %+v", l.Hierarchies)
	}
	name := "ctxtest-" + strconv.Itoa(os.Getpid())
	dir := filepath.Join(root.Host(h.MountPoint), name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // runs last: nothing may be left
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("cgroup %q left behind (stat: %v)", dir, err)
		}
	})
	t.Cleanup(func() {
		var err error
		for range 50 { // the kernel may briefly hold a just-emptied cgroup
			if err = os.Remove(dir); err == nil || errors.Is(err, os.ErrNotExist) {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Errorf("removing %q: %v", dir, err)
	})
	const limit = 48 << 20
	if err := os.WriteFile(filepath.Join(dir, limitFile), []byte(strconv.Itoa(limit)), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sleep", "300")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(cmd.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}

	m, err := ForPID(root, l, cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	st, warn := ReadStats(root, l, m)
	noWarnings(t, "ReadStats", warn)
	if st.Memory == nil || st.Memory.Path != "/"+name {
		t.Fatalf("Memory = %+v; want path /%s", st.Memory, name)
	}
	eqLimit(t, "memory limit", st.Memory.Limit, limit)
	if st.Memory.Current == nil {
		t.Error("memory current unknown")
	}
	lim, _ := EffectiveLimits(root, l, m)
	eqEffective(t, "effective memory", lim.Memory, limit, "/"+name)
}

// TestFrozenEmptyLive: the kernel's freezers and an empty container
// cgroup, as ctx cgroup check sees them. A docker pause freezes with the
// hierarchy docker uses (v1 freezer on a hybrid host); a cgroup2 cgroup
// is frozen through cgroup.freeze; and an empty dir named like a
// containerd task is a container cgroup with no process.
func TestFrozenEmptyLive(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	root := liveRoot(t)
	l, err := Detect(root)
	if err != nil {
		t.Fatal(err)
	}
	u := l.Unified()
	if u == nil || u.MountRoot != "/" {
		t.Fatalf("no cgroup2 mount at its root: %+v", l.Hierarchies)
	}
	name := "ctxtest-frz-" + strconv.Itoa(os.Getpid())
	hostfstest.RemoveCgroupAtCleanup(t, name)
	top := filepath.Join(root.Host(u.MountPoint), name)
	frz, empty := filepath.Join(top, "frz"), filepath.Join(top, strings.Repeat("e", 64))
	for _, d := range []string{top, frz, empty} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	sleep := exec.Command("sleep", "300")
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // before the cgroups go: thaw, kill, reap
		os.WriteFile(filepath.Join(frz, "cgroup.freeze"), []byte("0"), 0)
		sleep.Process.Kill()
		sleep.Wait()
	})
	write := func(p, v string) {
		if err := os.WriteFile(p, []byte(v), 0); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(frz, "cgroup.procs"), strconv.Itoa(sleep.Process.Pid))
	write(filepath.Join(frz, "cgroup.freeze"), "1")
	waitFor(t, "cgroup.events frozen 1", func() bool {
		b, _ := os.ReadFile(filepath.Join(frz, "cgroup.events"))
		return strings.Contains(string(b), "frozen 1")
	})

	id := hostfstest.DockerRun(t, "--network", "none", hostfstest.TestImage(t), "sleep", "300")
	hostfstest.Docker(t, "pause", id)
	t.Cleanup(func() { hostfstest.Docker(t, "unpause", id) }) // before docker rm -f

	tr, err := Scan(root, l, ScanOptions{Depth: -1, Freeze: true})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Finding{}
	for _, f := range Check(tr, nil) {
		if f.Code == "FROZEN" || f.Code == "EMPTY" {
			got[f.Code+" "+f.Path] = f
		}
	}
	cg := "/" + name
	if f, ok := got["FROZEN "+cg+"/frz"]; !ok || f.Level != LevelInfo || !strings.Contains(f.Message, "cgroup.freeze") {
		t.Errorf("no FROZEN for the cgroup2-frozen %s/frz: %+v", cg, got)
	}
	if f, ok := got["EMPTY "+cg+"/"+strings.Repeat("e", 64)]; !ok || f.Container == nil || f.Container.Runtime != "containerd" {
		t.Errorf("no EMPTY for the empty task cgroup: %+v", got)
	}
	var paused *Finding
	for k, f := range got {
		if f.Code == "FROZEN" && f.Container != nil && f.Container.ID == id {
			f := got[k]
			paused = &f
		}
	}
	if paused == nil {
		t.Errorf("no FROZEN for the paused container %s: %+v", id[:12], got)
	}
	// Once per subtree: not again for the frozen cgroup's parent or the
	// empty one's (other tests' cgroups may come and go meanwhile).
	mine := 0
	for k := range got {
		if strings.Contains(k, " "+cg) {
			mine++
		}
	}
	if mine != 2 {
		t.Errorf("findings under %s: %v; want the frozen and the empty cgroup only", cg, got)
	}
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 100; i++ {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}
