//go:build linux

package sandbox

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/cgroupview"
	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
	"github.com/ctx-tools/ctx/netdebug"
)

// Privileged tests: each runs real containers from the busybox rootfs,
// with a state dir of its own, and checks that nothing is left.

// noRunLeak checks, after the test, that no cgroup, link or mount named
// ctx-<id> (or the ctx0 bridge) appeared. It looks only at ctx's names:
// other packages' tests may run meanwhile and make their own.
func noRunLeak(t *testing.T) {
	t.Helper()
	before := ctxCgroups(t)
	links := ctxLinks(t)
	mounts := ctxMounts(t)
	t.Cleanup(func() {
		for p := range ctxCgroups(t) {
			if !before[p] {
				t.Errorf("leaked cgroup %q", p)
			}
		}
		// The kernel deletes a dead netns's veths from a workqueue.
		for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			var left []string
			for l := range ctxLinks(t) {
				if !links[l] {
					left = append(left, l)
				}
			}
			if len(left) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("leaked links %q", left)
				break
			}
		}
		for m := range ctxMounts(t) {
			if !mounts[m] {
				t.Errorf("leaked mount %q", m)
			}
		}
	})
}

func ctxLinks(t *testing.T) map[string]bool {
	t.Helper()
	names, err := netdebug.LinkNames("", func(n string) bool { return idOf(n) != "" || n == BridgeName })
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, n := range names {
		out[n] = true
	}
	return out
}

func ctxMounts(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 5 {
			continue
		}
		for _, part := range strings.Split(f[4], "/") {
			if idOf(part) != "" {
				out[f[4]] = true
			}
		}
	}
	return out
}

func ctxCgroups(t *testing.T) map[string]bool {
	t.Helper()
	root := liveRoot(t)
	l, err := cgroupview.Detect(root)
	if err != nil {
		t.Fatal(err)
	}
	paths, err := cgroupview.Children(root, l, "/", func(n string) bool { return idOf(n) != "" })
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, p := range paths {
		out[p] = true
	}
	return out
}

func stateLeft(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if idOf(e.Name()) != "" {
			t.Errorf("leaked state dir %q", filepath.Join(dir, e.Name()))
		}
	}
}

// TestOOMKilled: --memory 32m and a process that holds 64 MB (busybox
// tail keeps a newline-free input whole) is reported as OOM-killed.
func TestOOMKilled(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	noRunLeak(t)
	state := t.TempDir()
	r := runIn(t, Spec{Args: sh("head -c 64m /dev/zero | tail"), Init: true, StateDir: state,
		Limits: Limits{Memory: 32 << 20}})
	if r.err != nil {
		t.Fatal(r.err)
	}
	rep := r.rep
	if !rep.OOMKilled || rep.OOMKills == nil || *rep.OOMKills < 1 {
		t.Errorf("OOMKilled = %v, oomKills = %v; want true, >= 1", rep.OOMKilled, deref(rep.OOMKills))
	}
	if rep.ExitCode != 137 {
		t.Errorf("exit code = %d; want 137 (the shell reports tail's SIGKILL)", rep.ExitCode)
	}
	if rep.MemoryLimitBytes == nil || *rep.MemoryLimitBytes != 32<<20 {
		t.Errorf("memory limit = %v; want %d", deref(rep.MemoryLimitBytes), 32<<20)
	}
	if rep.MemoryPeakBytes == nil || *rep.MemoryPeakBytes < 16<<20 || *rep.MemoryPeakBytes > 32<<20 {
		t.Errorf("memory peak = %v; want between 16 MiB and the 32 MiB limit", deref(rep.MemoryPeakBytes))
	}
	stateLeft(t, state)
}

// TestPIDsLimit: --pids 20 and a (bounded) fork bomb: the rejected forks
// are counted, the container never holds more than its limit, and the
// host still forks and keeps none of the bomb's processes.
func TestPIDsLimit(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	noRunLeak(t)
	const marker = "7.321"
	bomb := "i=0; while [ $i -lt 60 ]; do sleep " + marker + " & i=$((i+1)); done; echo started; kill $(jobs -p) 2>/dev/null; exit 0"
	for _, init := range []bool{true, false} {
		t.Run(fmt.Sprintf("init=%v", init), func(t *testing.T) {
			r := runIn(t, Spec{Args: sh(bomb), Init: init, Limits: Limits{PIDs: 20}})
			if r.err != nil {
				t.Fatal(r.err)
			}
			rep := r.rep
			if rep.PIDsEventsMax == nil || *rep.PIDsEventsMax == 0 {
				t.Errorf("pids.events max = %v; want > 0 rejected forks", deref(rep.PIDsEventsMax))
			}
			reserved := uint64(0)
			if rep.PIDsInitTasks != nil {
				reserved = *rep.PIDsInitTasks
			}
			if init != (rep.PIDsInitTasks != nil) {
				t.Errorf("pidsInitTasks = %v with init=%v", deref(rep.PIDsInitTasks), init)
			}
			if rep.PIDsPeak == nil || *rep.PIDsPeak > 20+reserved || *rep.PIDsPeak < 20 {
				t.Errorf("pids peak = %v; want 20..%d", deref(rep.PIDsPeak), 20+reserved)
			}
			if !strings.Contains(r.stderr, "fork") {
				t.Errorf("stderr %q; want the shell's fork failures", r.stderr)
			}
		})
	}
	// The host is unaffected: it forks, and no bomb process survived.
	if err := exec.Command("true").Run(); err != nil {
		t.Errorf("host fork after the bomb: %v", err)
	}
	time.Sleep(100 * time.Millisecond)
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		if b, err := os.ReadFile(p); err == nil && strings.Contains(string(b), marker) {
			t.Errorf("bomb process survived: %s %q", p, b)
		}
	}
}

// TestCPUThrottled: --cpus 0.1 and a busy loop of about a second is
// throttled, and the report says so.
func TestCPUThrottled(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	noRunLeak(t)
	r := runIn(t, Spec{Args: sh(`timeout 1 sh -c 'while :; do :; done'; exit 0`), Init: true, Limits: Limits{CPUs: 0.1}})
	if r.err != nil {
		t.Fatal(r.err)
	}
	rep := r.rep
	if rep.CPUNrThrottled == nil || *rep.CPUNrThrottled == 0 || rep.CPUThrottledUsec == nil || *rep.CPUThrottledUsec == 0 {
		t.Errorf("throttled %v periods, %v µs; want both > 0", deref(rep.CPUNrThrottled), deref(rep.CPUThrottledUsec))
	}
	if rep.CPULimit == nil || *rep.CPULimit != 0.1 {
		t.Errorf("cpu limit = %v; want 0.1", rep.CPULimit)
	}
	// 0.1 CPU over ~1 s of loop is ~100 ms; allow for the shell, the init
	// and one period of slack.
	if rep.CPUUsageUsec == nil || *rep.CPUUsageUsec > 400000 {
		t.Errorf("cpu usage = %v µs; want at most 400 ms under a 0.1 CPU quota", deref(rep.CPUUsageUsec))
	}
}

// TestNetNone: --net none has only lo, and it is up.
func TestNetNone(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	noRunLeak(t)
	r := runIn(t, Spec{Args: sh("ls /sys/class/net; ip -o link show lo; ping -c 1 -W 2 127.0.0.1 >/dev/null && echo ping-ok"), Init: true,
		Net: Network{Mode: NetNone}})
	if r.err != nil || r.rep.ExitCode != 0 {
		t.Fatalf("err %v, exit %v, stderr %q", r.err, r.rep, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 3 || lines[0] != "lo" || !strings.Contains(lines[1], "UP") || lines[2] != "ping-ok" {
		t.Errorf("stdout %q; want only lo, up, answering ping", r.stdout)
	}
}

// newTestNetNS makes a network namespace for the bridge to live in, held
// by an fd of this process, and returns its path.
func newTestNetNS(t *testing.T) string {
	t.Helper()
	ch := make(chan error)
	var fd int
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		err := unix.Unshare(unix.CLONE_NEWNET)
		if err == nil {
			fd, err = unix.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		}
		ch <- err
	}()
	if err := <-ch; err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), fd)
}

// TestNetBridge: --net bridge reaches the bridge's address, and the
// bridge and veth are gone afterwards. The bridge lives in a throwaway
// namespace, never on the host.
func TestNetBridge(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	noRunLeak(t)
	bridgeNS := newTestNetNS(t)
	r := runIn(t, Spec{Args: sh("gw=$(ip route | awk '/default/ {print $3}'); echo gw $gw; ip -o -4 addr show eth0; ping -c 1 -W 2 $gw"),
		Init: true, Net: Network{Mode: NetBridge, BridgeNetNS: bridgeNS}})
	if r.err != nil {
		t.Fatal(r.err)
	}
	t.Logf("stdout %s", r.stdout)
	if r.rep.ExitCode != 0 {
		t.Fatalf("ping of the bridge failed: exit %d\n%s\n%s", r.rep.ExitCode, r.stdout, r.stderr)
	}
	n := r.rep.Network
	if !strings.HasPrefix(n.Address, "10.") || !strings.Contains(r.stdout, "gw "+n.Gateway) || n.HostVeth != runName(r.rep.ID) {
		t.Errorf("network report %+v; stdout %q", n, r.stdout)
	}
	left, err := linkNames(bridgeNS)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || left[0] != "lo" {
		t.Errorf("links left in the bridge's namespace: %q; want only lo", left)
	}
}

// TestNetContainer: --net container:TARGET joins TARGET's network
// namespace (here a throwaway one, named by its nsfs path).
func TestNetContainer(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	hostfstest.RequireTool(t, "privileged", "nsenter")
	noRunLeak(t)
	ns := newTestNetNS(t)
	if out, err := exec.Command("nsenter", "--net="+ns, "ip", "addr", "add", "10.214.0.9/32", "dev", "lo").CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	r := runIn(t, Spec{Args: sh("ip -o -4 addr show lo"), Init: true, Net: Network{Mode: NetContainer, Target: ns}})
	if r.err != nil {
		t.Fatal(r.err)
	}
	if !strings.Contains(r.stdout, "10.214.0.9/32") || r.rep.Network.NetNS == "" {
		t.Errorf("stdout %q, network %+v; want the target's 10.214.0.9", r.stdout, r.rep.Network)
	}
}

// TestIsolation: the hostname is set, the command is PID 1 (or the
// init's only child), a read-only root holds, capabilities are dropped
// (CapEff), and the seccomp filter refuses namespace games.
func TestIsolation(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	noRunLeak(t)
	t.Run("hostname and PID 1", func(t *testing.T) {
		r := runIn(t, Spec{Args: sh("hostname; echo $$; cat /proc/1/cmdline | tr '\\0' ' '"), Hostname: "repro-1"})
		if r.err != nil {
			t.Fatal(r.err)
		}
		if got := strings.Fields(r.stdout); len(got) < 2 || got[0] != "repro-1" || got[1] != "1" {
			t.Errorf("stdout %q; want hostname repro-1 and PID 1", r.stdout)
		}
	})
	t.Run("init is PID 1, the command its child", func(t *testing.T) {
		r := runIn(t, Spec{Args: sh("echo ppid $PPID; cat /proc/1/comm; ls /proc | grep -c '^[0-9]'"), Init: true})
		if r.err != nil {
			t.Fatal(r.err)
		}
		if f := strings.Fields(r.stdout); len(f) < 4 || f[1] != "1" {
			t.Errorf("stdout %q; want the command's parent to be PID 1", r.stdout)
		}
	})
	t.Run("read-only root", func(t *testing.T) {
		r := runIn(t, Spec{Args: sh("touch /probe && echo wrote; touch /tmp/probe && echo wrote-tmp; touch /dev/shm/ok && echo shm-ok"), ReadOnly: true, Init: true})
		if r.err != nil {
			t.Fatal(r.err)
		}
		if strings.Contains(r.stdout, "wrote") || !strings.Contains(r.stderr, "Read-only file system") {
			t.Errorf("stdout %q stderr %q; want the writes refused", r.stdout, r.stderr)
		}
		if !strings.Contains(r.stdout, "shm-ok") {
			t.Errorf("stdout %q; /dev/shm should stay writable", r.stdout)
		}
	})
	t.Run("capabilities", func(t *testing.T) {
		caps := func(spec Spec) map[string]string {
			spec.Args = sh("grep ^Cap /proc/self/status; grep NoNewPrivs /proc/self/status; grep ^Seccomp: /proc/self/status")
			r := runIn(t, spec)
			if r.err != nil {
				t.Fatal(r.err)
			}
			out := map[string]string{}
			for _, l := range strings.Split(r.stdout, "\n") {
				if k, v, ok := strings.Cut(l, ":"); ok {
					out[k] = strings.TrimSpace(v)
				}
			}
			return out
		}
		def := caps(Spec{Init: true})
		if def["CapEff"] != "00000000a80425fb" || def["CapBnd"] != "00000000a80425fb" || def["CapPrm"] != "00000000a80425fb" {
			t.Errorf("default caps %v; want docker's a80425fb", def)
		}
		if def["NoNewPrivs"] != "1" || def["Seccomp"] != "2" {
			t.Errorf("NoNewPrivs %q Seccomp %q; want 1 and 2 (filter)", def["NoNewPrivs"], def["Seccomp"])
		}
		none := caps(Spec{CapDrop: []string{"ALL"}})
		if none["CapEff"] != "0000000000000000" || none["CapBnd"] != "0000000000000000" {
			t.Errorf("--cap-drop ALL caps %v; want none", none)
		}
		user := caps(Spec{User: "user", Init: true})
		if user["CapEff"] != "0000000000000000" {
			t.Errorf("--user user caps %v; want none", user)
		}
		unconf := caps(Spec{SeccompUnconfined: true, CapAdd: []string{"SYS_ADMIN"}})
		if unconf["Seccomp"] != "0" || unconf["CapEff"] != "00000000a82425fb" {
			t.Errorf("--seccomp unconfined --cap-add SYS_ADMIN: %v", unconf)
		}
	})
	t.Run("seccomp refuses namespaces", func(t *testing.T) {
		r := runIn(t, Spec{Args: sh("unshare -n true && echo escaped; id -u"), CapAdd: []string{"SYS_ADMIN"}, Init: true})
		if r.err != nil {
			t.Fatal(r.err)
		}
		if strings.Contains(r.stdout, "escaped") {
			t.Errorf("unshare -n succeeded under the default filter: %q %q", r.stdout, r.stderr)
		}
	})
	t.Run("volumes", func(t *testing.T) {
		ro, rw := t.TempDir(), t.TempDir()
		os.WriteFile(filepath.Join(ro, "in"), []byte("from host\n"), 0o644)
		r := runIn(t, Spec{Args: sh("cat /data/in; echo x > /data/new || echo refused; echo y > /out/new && echo written"), Init: true,
			Volumes: []Volume{{Source: ro, Target: "/data", ReadOnly: true}, {Source: rw, Target: "/out"}}})
		if r.err != nil {
			t.Fatal(r.err)
		}
		if r.stdout != "from host\nrefused\nwritten\n" {
			t.Errorf("stdout %q", r.stdout)
		}
		if b, err := os.ReadFile(filepath.Join(rw, "new")); err != nil || string(b) != "y\n" {
			t.Errorf("rw volume on the host: %q, %v", b, err)
		}
	})
	t.Run("user namespace", func(t *testing.T) {
		// The init runs as host uid 100000: it must be able to exec the
		// binary, which go test keeps in a 0700 dir.
		self := filepath.Join(tmpBase, "sandbox.test")
		if _, err := os.Stat(self); err != nil {
			os.MkdirAll(filepath.Join(tmpBase, "state"), 0o711)
			exe, _ := os.Executable()
			b, err := os.ReadFile(exe)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(self, b, 0o755); err != nil {
				t.Fatal(err)
			}
			os.Chmod(tmpBase, 0o755)
		}
		r := runIn(t, Spec{Args: sh("id -u; cat /proc/self/uid_map; touch /x && echo wrote"), UserNS: true, Init: true, Self: self,
			StateDir: filepath.Join(tmpBase, "state")}) // its parents must be traversable by uid 100000
		if r.err != nil {
			t.Fatal(r.err)
		}
		if f := strings.Fields(r.stdout); len(f) != 5 || f[0] != "0" || f[2] != "100000" || f[3] != "65536" || f[4] != "wrote" {
			t.Errorf("stdout %q; want root mapped to 100000 (65536 IDs), writing its scratch layer", r.stdout)
		}
	})
	t.Run("user", func(t *testing.T) {
		for _, init := range []bool{false, true} {
			r := runIn(t, Spec{Args: []string{"id"}, User: "user", Init: init})
			if r.err != nil {
				t.Fatal(r.err)
			}
			if !strings.HasPrefix(r.stdout, "uid=1000(user) gid=1000(user)") {
				t.Errorf("init=%v: id = %q; want uid=1000 gid=1000", init, r.stdout)
			}
		}
	})
}

// treeDigest hashes a directory tree: names, modes, sizes, link targets
// and contents, so any write shows.
func treeDigest(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		fmt.Fprintf(h, "%s %o %d %d %d\n", p, fi.Mode(), fi.Size(), st.Mtim.Nano(), st.Ctim.Nano())
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			fmt.Fprintln(h, l)
		case fi.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h.Write(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

const writeScript = "echo changed > /etc/motd; rm -f /bin/noexec; mkdir /newdir; touch /tmp/f /root/f; ln -s x /bin/newlink; chmod 700 /etc; ls /etc/motd /newdir >/dev/null && echo done"

// TestNoWritesLeak: writes in the container reach neither the --rootfs
// dir nor (see cmd/ctx's e2e test) image layers.
func TestNoWritesLeak(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	noRunLeak(t)
	rootfs := busyboxRootfs(t)
	before := treeDigest(t, rootfs)
	for _, init := range []bool{true, false} {
		r := runIn(t, Spec{Rootfs: rootfs, Args: sh(writeScript), Init: init})
		if r.err != nil {
			t.Fatal(r.err)
		}
		if !strings.Contains(r.stdout, "done") {
			t.Fatalf("the writes failed in the container: %q %q", r.stdout, r.stderr)
		}
	}
	if after := treeDigest(t, rootfs); after != before {
		t.Error("the rootfs changed")
	}
}

// TestExitStatus: the command's status passes through as docker run's.
func TestExitStatus(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	noRunLeak(t)
	for _, init := range []bool{true, false} {
		cases := []struct {
			args []string
			code int
			sig  string
		}{
			{sh("exit 3"), 3, ""},
			{sh("kill -9 $$"), 137, "SIGKILL"},
			{sh("kill -USR1 $$"), 138, "SIGUSR1"},
		}
		for _, c := range cases {
			if !init && c.sig != "" {
				continue // PID 1 cannot be killed by its own signals
			}
			r := runIn(t, Spec{Args: c.args, Init: init})
			if r.err != nil {
				t.Fatal(r.err)
			}
			if r.rep.ExitCode != c.code || r.rep.Signal != c.sig {
				t.Errorf("init=%v %q: exit %d signal %q; want %d %q", init, c.args, r.rep.ExitCode, r.rep.Signal, c.code, c.sig)
			}
		}
		var se *StartError
		r := runIn(t, Spec{Args: []string{"no-such-command"}, Init: init})
		if !errors.As(r.err, &se) || se.Code != 127 {
			t.Errorf("init=%v missing command: %v; want a 127 StartError", init, r.err)
		}
		r = runIn(t, Spec{Args: []string{"/bin/noexec"}, Init: init})
		if !errors.As(r.err, &se) || se.Code != 126 {
			t.Errorf("init=%v non-executable: %v; want a 126 StartError", init, r.err)
		}
	}
}

// TestStopTimeout: a forwarded SIGTERM the command (PID 1, no handler)
// ignores ends in a kill after --stop-timeout; with --init, the init
// forwards it and the command dies of it.
func TestStopTimeout(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	noRunLeak(t)
	for _, init := range []bool{false, true} {
		sigs := make(chan os.Signal, 1)
		go func() {
			time.Sleep(300 * time.Millisecond)
			sigs <- syscall.SIGTERM
		}()
		start := time.Now()
		r := runIn(t, Spec{Args: []string{"sleep", "30"}, Init: init, Signals: sigs, StopTimeout: 700 * time.Millisecond})
		if r.err != nil {
			t.Fatal(r.err)
		}
		took := time.Since(start)
		if init {
			if r.rep.Signal != "SIGTERM" || r.rep.ExitCode != 143 || took > 5*time.Second {
				t.Errorf("init: signal %q exit %d after %v; want SIGTERM, 143, at once", r.rep.Signal, r.rep.ExitCode, took)
			}
			continue
		}
		if r.rep.Signal != "SIGKILL" || !strings.Contains(r.rep.Stopped, "killed") || took < time.Second || took > 5*time.Second {
			t.Errorf("no init: signal %q stopped %q after %v; want SIGKILL after the 0.7 s timeout", r.rep.Signal, r.rep.Stopped, took)
		}
	}
}

// TestBadInput: each is refused with a typed error and leaves nothing.
func TestBadInput(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	noRunLeak(t)
	state := t.TempDir()
	cases := []struct {
		name string
		spec Spec
		want error
	}{
		{"missing rootfs", Spec{Rootfs: "/nonexistent/rootfs", Args: []string{"true"}}, ErrNoRootfs},
		{"no image", Spec{Image: "ctx-test/no-such-image:nope", Args: []string{"true"}}, ErrNoImage},
		{"bad user", Spec{Args: []string{"true"}, User: "nosuchuser"}, nil},
		{"bad volume", Spec{Args: []string{"true"}, Volumes: []Volume{{Source: "/nonexistent", Target: "/x"}}}, ErrInvalid},
		{"bad net target", Spec{Args: []string{"true"}, Net: Network{Mode: NetContainer, Target: "no-such-container-xyz"}}, nil},
	}
	for _, c := range cases {
		c.spec.StateDir = state
		r := runIn(t, c.spec)
		if r.err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		if c.want != nil && !errors.Is(r.err, c.want) {
			t.Errorf("%s: %v; want %v", c.name, r.err, c.want)
		}
		t.Logf("%s: %v", c.name, r.err)
	}
	if _, err := ParseSize("64q"); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `"64q"`) {
		t.Errorf("ParseSize(64q) = %v; want ErrInvalid naming it", err)
	}
	stateLeft(t, state)
}

// TestKeepAndGC: --keep leaves the cgroup with its counters; GC leaves it
// alone unless asked for kept runs, then removes it and the state dir.
func TestKeepAndGC(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	noRunLeak(t)
	state := t.TempDir()
	r := runIn(t, Spec{Args: sh("true"), Keep: true, StateDir: state, Limits: Limits{PIDs: 10}})
	if r.err != nil {
		t.Fatal(r.err)
	}
	if !r.rep.Kept || len(r.rep.CgroupDirs) == 0 {
		t.Fatalf("report %+v; want kept dirs", r.rep)
	}
	for _, d := range r.rep.CgroupDirs {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("kept cgroup %q: %v", d, err)
		}
	}
	// Other tests' leftovers may show up in the cgroup scan: look at ours.
	ours := func(rep *GCReport) []GCItem {
		var out []GCItem
		for _, it := range rep.Items {
			if it.Name == runName(r.rep.ID) {
				out = append(out, it)
			}
		}
		return out
	}
	rep, err := GC(liveRoot(t), GCOptions{StateDir: state})
	if err != nil {
		t.Fatal(err)
	}
	if len(ours(rep)) != 0 || rep.Kept != 1 {
		t.Errorf("GC without --kept: %+v; want nothing removed, 1 kept", rep)
	}
	rep, err = GC(liveRoot(t), GCOptions{StateDir: state, Kept: true, DryRun: true})
	if it := ours(rep); err != nil || len(it) != 2 || it[0].Action != "would remove" {
		t.Errorf("GC --kept --dry-run: %+v, %v; want the cgroup and scratch dir listed", rep, err)
	}
	rep, err = GC(liveRoot(t), GCOptions{StateDir: state, Kept: true})
	if err != nil || rep.Failed() != 0 {
		t.Fatalf("GC --kept: %+v, %v", rep, err)
	}
	for _, d := range r.rep.CgroupDirs {
		if _, err := os.Stat(d); err == nil {
			t.Errorf("%q survived GC --kept", d)
		}
	}
	stateLeft(t, state)
}

func linkNames(nsPath string) ([]string, error) {
	return netdebug.LinkNames(nsPath, func(string) bool { return true })
}
