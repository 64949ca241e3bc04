package cli

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/cgroupview"
	"github.com/ctx-tools/ctx/inspect/hostfs"
	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

// TestCgroupV1Live drives real v1 cgroups into an OOM kill, PID
// exhaustion and CPU throttling, and checks that show and check report
// each with counts and findings. The cgroups are removed afterwards.
func TestCgroupV1Live(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	for _, tool := range []string{"sh", "head", "tail", "perl", "timeout"} {
		hostfstest.RequireTool(t, "privileged", tool)
	}
	root, l := liveLayout(t)
	hier := map[string]string{}
	for _, c := range []string{"memory", "pids", "cpu"} {
		h := l.V1(c)
		if h == nil || h.MountRoot != "/" {
			hostfstest.Gate(t, "privileged: needs the v1 "+c+" hierarchy mounted at its root (a v1 or hybrid host)")
			return
		}
		hier[c] = root.Host(h.MountPoint)
	}
	prefix := "ctxtest-" + strconv.Itoa(os.Getpid()) + "-"
	noCgroupLeak(t, hier, prefix)
	mk := func(ctrl, name string, files ...string) string {
		t.Helper()
		dir := filepath.Join(hier[ctrl], prefix+name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { removeCgroup(t, dir) })
		for i := 0; i+1 < len(files); i += 2 {
			p := filepath.Join(dir, files[i])
			if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) && strings.Contains(files[i], "memsw") {
				continue // no swap accounting: nothing to swap to either
			}
			if err := os.WriteFile(p, []byte(files[i+1]), 0o644); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
		}
		return dir
	}
	oomDir := mk("memory", "oom", "memory.limit_in_bytes", "16777216", "memory.memsw.limit_in_bytes", "16777216")
	pidsDir := mk("pids", "pids", "pids.max", "5")
	cpuDir := mk("cpu", "cpu", "cpu.cfs_period_us", "100000", "cpu.cfs_quota_us", "10000")

	// Each workload moves itself in first, so every fork happens inside.
	start := func(dir, script string) *exec.Cmd {
		t.Helper()
		cmd := exec.Command("sh", "-c", `echo $$ > "$CG/cgroup.procs" && exec `+script)
		cmd.Env = append(os.Environ(), "CG="+dir)
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { killCgroup(dir, cmd) })
		return cmd
	}
	// tail keeps a line whole: 64 MiB without a newline in 16 MiB.
	oom := start(oomDir, `sh -c "head -c 64M /dev/zero | tail"`)
	// perl survives failed forks (sh gives up): it and 4 children fill
	// pids.max 5, the other 4 forks are rejected; it then waits.
	start(pidsDir, `perl -e 'for (1..8) { my $p = fork; if (defined $p && $p == 0) { sleep 120; exit } } 1 while wait != -1'`)
	busy := start(cpuDir, `timeout 1 sh -c "while :; do :; done"`)
	oom.Wait()
	busy.Wait()
	waitFor(t, "rejected forks", func() bool {
		b, _ := os.ReadFile(filepath.Join(pidsDir, "pids.events"))
		return strings.TrimSpace(string(b)) != "max 0"
	})

	show := func(name string) cgroupNode {
		t.Helper()
		code, out, errOut := runCLI(t, root, "cgroup", "show", "/"+prefix+name, "-o", "json")
		if code != ExitOK {
			t.Fatalf("show %s: exit %d: %s", name, code, errOut)
		}
		_, _, n, _ := decode[cgroupNode](t, out)
		return n
	}
	check := func(name string) []findingJ {
		t.Helper()
		code, out, errOut := runCLI(t, root, "cgroup", "check", "/"+prefix+name, "-o", "json")
		if code != ExitFindings {
			t.Fatalf("check %s: exit %d; want %d: %s", name, code, ExitFindings, errOut)
		}
		_, fs, _, _ := decode[findingJ](t, out)
		code, table, _ := runCLI(t, root, "cgroup", "check", "/"+prefix+name)
		for _, f := range fs {
			if code != ExitFindings || !strings.Contains(table, f.Code) {
				t.Errorf("check %s table (exit %d) lacks %s:\n%s", name, code, f.Code, table)
			}
		}
		return fs
	}
	has := func(fs []findingJ, code string) *findingJ {
		for i := range fs {
			if fs[i].Code == code {
				return &fs[i]
			}
		}
		t.Errorf("findings %+v lack %s", fs, code)
		return nil
	}

	n := show("oom")
	if n.Memory == nil || n.Memory.OOMKills == nil || *n.Memory.OOMKills < 1 || n.Memory.Limit == nil || n.Memory.Limit.Max == nil || *n.Memory.Limit.Max != 16<<20 {
		t.Errorf("show oom: memory = %+v; want ≥ 1 OOM kill at a 16 MiB limit", n.Memory)
	}
	if f := has(check("oom"), "OOM_KILLED"); f != nil && (f.Level != "critical" || f.Value < 1) {
		t.Errorf("OOM_KILLED = %+v", f)
	}
	_, text, _ := runCLI(t, root, "cgroup", "show", "/"+prefix+"oom")
	if !strings.Contains(text, "oom kills:       1") && !strings.Contains(text, "oom kills:       2") {
		t.Errorf("show text lacks the OOM kill count:\n%s", text)
	}

	n = show("pids")
	if n.PIDs == nil || n.PIDs.EventsMax == nil || *n.PIDs.EventsMax < 1 || n.PIDs.Current == nil || *n.PIDs.Current != 5 {
		t.Errorf("show pids: pids = %+v; want 5 tasks and ≥ 1 rejected fork", n.PIDs)
	}
	fs := check("pids")
	has(fs, "FORK_REJECTED")
	if f := has(fs, "PIDS_NEAR_MAX"); f != nil && (f.Level != "critical" || f.Value != 100) {
		t.Errorf("PIDS_NEAR_MAX = %+v; want 100%% critical", f)
	}

	n = show("cpu")
	if n.CPU == nil || n.CPU.NrThrottled == nil || *n.CPU.NrThrottled == 0 || n.CPU.Max == nil || n.CPU.Max.QuotaUsec == nil || *n.CPU.Max.QuotaUsec != 10000 {
		t.Errorf("show cpu: cpu = %+v; want throttled periods at a 10000 µs quota", n.CPU)
	}
	if c := n.Effective.CPU; c == nil || c.Cores == nil || *c.Cores != 0.1 {
		t.Errorf("effective cpu = %+v; want 0.1 CPUs", c)
	}
	if f := has(check("cpu"), "CPU_THROTTLED"); f != nil && f.Value < 25 {
		t.Errorf("CPU_THROTTLED = %+v", f)
	}
}

// noCgroupLeak fails the test when a cgroup named prefix* is left in any
// of the hierarchies after its cleanups. Call it before creating any.
func noCgroupLeak(t *testing.T, hier map[string]string, prefix string) {
	t.Cleanup(func() {
		for _, dir := range hier {
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				if strings.HasPrefix(e.Name(), prefix) {
					t.Errorf("leaked cgroup %s", filepath.Join(dir, e.Name()))
				}
			}
		}
	})
}

// killCgroup kills every process of a test cgroup, the workload's
// children before the workload so that it reaps them, then reaps it.
func killCgroup(dir string, cmd *exec.Cmd) {
	for range 50 {
		b, _ := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
		var others bool
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil && pid != cmd.Process.Pid {
				syscall.Kill(pid, syscall.SIGKILL)
				others = true
			}
		}
		if !others {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
}

func removeCgroup(t *testing.T, dir string) {
	var err error
	for range 100 { // the kernel may briefly hold a just-emptied cgroup
		if err = os.Remove(dir); err == nil || errors.Is(err, os.ErrNotExist) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("removing %s: %v", dir, err)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestCgroupCheckFrozenLive: a cgroup frozen with the v1 freezer is an
// info finding, listed in the table and JSON, and alone it does not make
// check exit 3.
func TestCgroupCheckFrozenLive(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	root, l := liveLayout(t)
	h := l.V1("freezer")
	if h == nil || h.MountRoot != "/" {
		hostfstest.Gate(t, "privileged: needs the v1 freezer hierarchy mounted at its root (a v1 or hybrid host)")
		return
	}
	prefix := "ctxtest-" + strconv.Itoa(os.Getpid()) + "-"
	noCgroupLeak(t, map[string]string{"freezer": root.Host(h.MountPoint)}, prefix)
	dir := filepath.Join(root.Host(h.MountPoint), prefix+"frz")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { removeCgroup(t, dir) })
	cmd := exec.Command("sh", "-c", `echo $$ > "$CG/cgroup.procs" && exec sleep 300`)
	cmd.Env = append(os.Environ(), "CG="+dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // thaw first: a frozen task cannot die
		os.WriteFile(filepath.Join(dir, "freezer.state"), []byte("THAWED"), 0)
		killCgroup(dir, cmd)
	})
	waitFor(t, "the shell to move itself in", func() bool {
		b, _ := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
		return strings.TrimSpace(string(b)) != ""
	})
	if err := os.WriteFile(filepath.Join(dir, "freezer.state"), []byte("FROZEN"), 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "freezer.state FROZEN", func() bool {
		b, _ := os.ReadFile(filepath.Join(dir, "freezer.state"))
		return strings.TrimSpace(string(b)) == "FROZEN"
	})
	code, out, errOut := runCLI(t, root, "cgroup", "check", "/"+prefix+"frz", "-o", "json")
	if code != ExitOK {
		t.Fatalf("check: exit %d; want 0 for an info finding: %s", code, errOut)
	}
	_, fs, _, _ := decode[findingJ](t, out)
	if len(fs) != 1 || fs[0].Code != "FROZEN" || fs[0].Level != "info" || fs[0].Path != "/"+prefix+"frz" {
		t.Errorf("findings %+v; want one info FROZEN", fs)
	}
	code, table, _ := runCLI(t, root, "cgroup", "check", "/"+prefix+"frz")
	if code != ExitOK || !strings.Contains(table, "INFO") || !strings.Contains(table, "freezer.state") {
		t.Errorf("table (exit %d):\n%s", code, table)
	}
}

// liveLayout is this machine's root and cgroup layout.
func liveLayout(t *testing.T) (hostfs.Root, *cgroupview.Layout) {
	t.Helper()
	root, err := hostfs.New("/")
	if err != nil {
		t.Fatal(err)
	}
	l, err := cgroupview.Detect(root)
	if err != nil {
		t.Fatal(err)
	}
	return root, l
}

// TestCgroupCheckIOLimitedLive: a v1 blkio cgroup throttled to 1 MiB/s of
// reads from the disk under the test's temp dir, with dd reading a file
// there through O_DIRECT (no page cache: every read reaches the disk and
// its throttle). Over --interval 2s check finds the reads at the limit.
func TestCgroupCheckIOLimitedLive(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	hostfstest.RequireTool(t, "privileged", "dd")
	root, l := liveLayout(t)
	h := l.V1("blkio")
	if h == nil || h.MountRoot != "/" {
		hostfstest.Gate(t, "privileged: needs the v1 blkio hierarchy mounted at its root (a v1 or hybrid host)")
		return
	}
	data := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(data, make([]byte, 16<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(data, &st); err != nil {
		t.Fatal(err)
	}
	// The throttle belongs to the whole disk; /sys/dev/block names it.
	disk := diskOf(t, st.Dev)
	prefix := "ctxtest-" + strconv.Itoa(os.Getpid()) + "-"
	noCgroupLeak(t, map[string]string{"blkio": root.Host(h.MountPoint)}, prefix)
	dir := filepath.Join(root.Host(h.MountPoint), prefix+"io")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { removeCgroup(t, dir) })
	if err := os.WriteFile(filepath.Join(dir, "blkio.throttle.read_bps_device"), []byte(disk+" 1048576"), 0); err != nil {
		t.Fatalf("throttling %s: %v", disk, err)
	}
	cmd := exec.Command("sh", "-c", `echo $$ > "$CG/cgroup.procs" && exec dd if="$F" of=/dev/null bs=64k iflag=direct`)
	cmd.Env = append(os.Environ(), "CG="+dir, "F="+data)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { killCgroup(dir, cmd) })
	waitFor(t, "dd to start reading", func() bool {
		b, _ := os.ReadFile(filepath.Join(dir, "blkio.throttle.io_service_bytes_recursive"))
		return strings.Contains(string(b), disk+" Read ") && !strings.Contains(string(b), disk+" Read 0")
	})
	code, out, errOut := runCLI(t, root, "cgroup", "check", "/"+prefix+"io", "--interval", "2s", "-o", "json")
	if code != ExitFindings {
		t.Fatalf("check: exit %d; want %d: %s", code, ExitFindings, errOut)
	}
	_, fs, _, _ := decode[findingJ](t, out)
	var f *findingJ
	for i := range fs {
		if fs[i].Code == "IO_LIMITED" {
			f = &fs[i]
		}
	}
	// 16 MiB at 1 MiB/s outlasts the 2 s; throttling keeps the rate at
	// the limit, never much above it.
	if f == nil || f.Level != "warning" || f.Value < 90 || f.Value > 110 {
		t.Errorf("findings %+v; want IO_LIMITED at about 100%% of 1 MiB/s", fs)
	}
}

// diskOf is the MAJ:MIN of the whole disk holding dev (itself, or the
// disk of a partition).
func diskOf(t *testing.T, dev uint64) string {
	t.Helper()
	node := fmt.Sprintf("%d:%d", unix.Major(dev), unix.Minor(dev))
	sys := filepath.Join("/sys/dev/block", node)
	if _, err := os.Stat(filepath.Join(sys, "partition")); err == nil {
		b, err := os.ReadFile(filepath.Join(sys, "..", "dev"))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	if _, err := os.Stat(sys); err != nil {
		hostfstest.Gate(t, "privileged: the temp dir is not on a block device ("+node+"): "+err.Error())
	}
	return node
}
