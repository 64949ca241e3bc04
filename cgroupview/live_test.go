package cgroupview

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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
