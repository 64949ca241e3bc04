package main_test

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

// nsTypes are the eight namespace types as /proc/PID/ns names them.
var nsTypes = []string{"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"}

// typeFlag is the ctx enter (and nsenter) long flag of a type.
func typeFlag(t string) string {
	if t == "mnt" {
		return "--mount"
	}
	return "--" + t
}

// enterTarget starts `unshare ARGS --fork --kill-child [WRAPPER...] sleep
// 300`, ARGS and WRAPPER separated by "--" in args, and returns the PID of
// the sleep, inside the new namespaces. cred, when set, runs unshare as
// that user. The test's cleanup kills both.
func enterTarget(t *testing.T, cred *syscall.Credential, args ...string) int {
	t.Helper()
	hostfstest.RequirePrivileged(t)
	hostfstest.RequireTool(t, "privileged", "unshare")
	opts, wrapper := args, []string(nil)
	for i, a := range args {
		if a == "--" {
			opts, wrapper = args[:i], args[i+1:]
			break
		}
	}
	argv := append(append(append(append([]string{}, opts...), "--fork", "--kill-child"), wrapper...), "sleep", "300")
	cmd := exec.Command("unshare", argv...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: cred}
	cmd.Dir = "/"
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	})
	self := cmd.Process.Pid
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", self, self))
		f := strings.Fields(string(data))
		if len(f) == 0 {
			continue
		}
		pid, _ := strconv.Atoi(f[0])
		if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); strings.TrimSpace(string(comm)) == "sleep" {
			return pid
		}
	}
	t.Fatalf("unshare %s started no sleep: %s", strings.Join(argv, " "), errOut.String())
	return 0
}

// nsLink reads /proc/PID/ns/TYPE: "net:[4026532281]".
func nsLink(t *testing.T, pid int, typ string) string {
	t.Helper()
	l, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, typ))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// enterResult is one run of a binary.
type enterResult struct {
	out, err string
	code     int
	signal   syscall.Signal // set when it died of a signal
}

// runBin runs bin with args (30 s at most) and extra fds.
func runBin(t *testing.T, bin string, extra []*os.File, args ...string) enterResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.WaitDelay = time.Second
	cmd.ExtraFiles = extra
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("%s %s: %v", bin, strings.Join(args, " "), err)
	}
	r := enterResult{out: out.String(), err: errOut.String()}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		r.signal = ws.Signal()
	} else {
		r.code = cmd.ProcessState.ExitCode()
	}
	return r
}

// ctxEnter runs `ctx enter ARGS` with the test binary.
func ctxEnter(t *testing.T, args ...string) enterResult {
	t.Helper()
	return runBin(t, hostfstest.Binary(t), nil, append([]string{"enter"}, args...)...)
}

// mustEnter runs ctx enter and fails the test unless it exits 0.
func mustEnter(t *testing.T, args ...string) string {
	t.Helper()
	r := ctxEnter(t, args...)
	if r.code != 0 || r.signal != 0 {
		t.Fatalf("ctx enter %s: exit %d (signal %v): %s", strings.Join(args, " "), r.code, r.signal, r.err)
	}
	return r.out
}

// readlinkAll is a shell loop printing /proc/self/ns/* of every type.
var readlinkAll = "for t in " + strings.Join(nsTypes, " ") + "; do readlink /proc/self/ns/$t; done"

// TestEnterEachType joins each of the eight types alone, then all of them,
// on a target with its own namespace of every type (its user namespace
// maps root, like a rootless container), and compares the inodes with the
// target's and with what util-linux nsenter -a sees.
func TestEnterEachType(t *testing.T) {
	hostfstest.RequireTool(t, "privileged", "nsenter")
	pid := enterTarget(t, nil, "--user", "--map-root-user", "--mount", "--uts", "--ipc", "--net", "--pid", "--cgroup", "--time")
	target := map[string]string{}
	for _, typ := range nsTypes {
		target[typ] = nsLink(t, pid, typ)
		if self := nsLink(t, os.Getpid(), typ); self == target[typ] {
			t.Fatalf("the target shares ctx's %s namespace %s", typ, self)
		}
	}
	p := strconv.Itoa(pid)
	for _, typ := range nsTypes {
		t.Run(typ, func(t *testing.T) {
			got := strings.TrimSpace(mustEnter(t, p, typeFlag(typ), "--", "readlink", "/proc/self/ns/"+typ))
			if got != target[typ] {
				t.Errorf("ctx enter %s %s: readlink = %s; want the target's %s", p, typeFlag(typ), got, target[typ])
			}
		})
	}
	t.Run("failure inside user and pid", func(t *testing.T) {
		// Joined user and pid, not forked (-F): the Go runtime cannot
		// start threads here and ctx has no right to step back, so the
		// constructor reports the failure itself.
		r := ctxEnter(t, p, "-U", "-p", "-F", "--", "/no/such/cmd")
		if r.code != 127 || !strings.Contains(r.err, `cannot run "/no/such/cmd"`) {
			t.Errorf("exit %d, %q; want 127 and cannot run", r.code, r.err)
		}
	})
	t.Run("all", func(t *testing.T) {
		got := strings.Fields(mustEnter(t, p, "-a", "--", "sh", "-c", readlinkAll))
		out, err := exec.Command("nsenter", "-t", p, "-a", "sh", "-c", readlinkAll).CombinedOutput()
		if err != nil {
			t.Fatalf("nsenter -a: %v: %s", err, out)
		}
		peer := strings.Fields(string(out))
		for i, typ := range nsTypes {
			if i >= len(got) || got[i] != target[typ] || i >= len(peer) || peer[i] != got[i] {
				t.Errorf("-a, %s: ctx %q, nsenter %q; want the target's %s", typ, at(got, i), at(peer, i), target[typ])
			}
		}
	})
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return ""
}

// TestEnterUserNS enters a rootless-style target: a user namespace created
// by an unprivileged user (nobody) with `unshare -U -r`, in which that
// user is root. ctx must become root inside it with -U.
func TestEnterUserNS(t *testing.T) {
	pid := enterTarget(t, &syscall.Credential{Uid: 65534, Gid: 65534}, "--user", "--map-root-user")
	want := nsLink(t, pid, "user")
	out := mustEnter(t, strconv.Itoa(pid), "-U", "--", "sh", "-c", "readlink /proc/self/ns/user; id -u; cat /proc/self/uid_map")
	f := strings.Fields(out)
	if len(f) < 5 || f[0] != want || f[1] != "0" || f[2] != "0" || f[3] != "65534" {
		t.Errorf("ctx enter -U: %q; want %s, uid 0, map \"0 65534 1\"", out, want)
	}
	// --preserve-credentials keeps the host uid, unmapped inside.
	out = mustEnter(t, strconv.Itoa(pid), "-U", "--preserve-credentials", "--", "id", "-u")
	if got := strings.TrimSpace(out); got != "65534" {
		t.Errorf("ctx enter -U --preserve-credentials: id -u = %s; want the overflow uid 65534", got)
	}
}

// TestEnterTimeNS enters a time namespace whose boot clock runs a day
// ahead: the inode matches and /proc/uptime, read through the vDSO's
// offsets, shows the day.
func TestEnterTimeNS(t *testing.T) {
	pid := enterTarget(t, nil, "--time", "--boottime", "86400")
	want := nsLink(t, pid, "time")
	out := mustEnter(t, strconv.Itoa(pid), "-T", "--", "sh", "-c", "readlink /proc/self/ns/time; cut -d. -f1 /proc/uptime")
	f := strings.Fields(out)
	host, _ := os.ReadFile("/proc/uptime")
	hostUp, _ := strconv.Atoi(strings.Split(string(host), ".")[0])
	if len(f) != 2 || f[0] != want {
		t.Fatalf("ctx enter -T: %q; want %s and an uptime", out, want)
	}
	if up, _ := strconv.Atoi(f[1]); up < hostUp+86000 {
		t.Errorf("uptime in the time namespace %d; want at least the host's %d + 86400", up, hostUp)
	}
}

// TestEnterExitStatus: ctx exits with the command's status, through the
// relay (pid namespace) and without it, and dies of the command's signal.
func TestEnterExitStatus(t *testing.T) {
	p := strconv.Itoa(enterTarget(t, nil, "--pid", "--net"))
	tests := []struct {
		name   string
		args   []string
		code   int
		signal syscall.Signal
		stderr string
	}{
		{"relayed", []string{p, "-p", "--", "sh", "-c", "exit 42"}, 42, 0, ""},
		{"in place", []string{p, "-n", "--", "sh", "-c", "exit 7"}, 7, 0, ""},
		{"keep-tools", []string{p, "--", "sh", "-c", "exit 3"}, 3, 0, ""},
		{"signal", []string{p, "-p", "--", "sh", "-c", "kill -TERM $$"}, 0, syscall.SIGTERM, ""},
		{"not found", []string{p, "-p", "--", "/no/such/cmd"}, 127, 0, `cannot run "/no/such/cmd"`},
		{"not found in place", []string{p, "-n", "--", "no-such-cmd"}, 127, 0, `cannot run "no-such-cmd"`},
		{"not executable", []string{p, "-n", "--", "/etc"}, 126, 0, "permission denied"},
	}
	for _, tt := range tests {
		r := ctxEnter(t, tt.args...)
		if r.code != tt.code || r.signal != tt.signal || !strings.Contains(r.err, tt.stderr) {
			t.Errorf("%s: exit %d, signal %v, stderr %q; want %d, %v, %q", tt.name, r.code, r.signal, r.err, tt.code, tt.signal, tt.stderr)
		}
	}
}

// TestEnterSignals: SIGTERM and SIGINT sent to ctx reach the command,
// which runs in another pid namespace behind the relay.
func TestEnterSignals(t *testing.T) {
	p := strconv.Itoa(enterTarget(t, nil, "--pid"))
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		name := strings.TrimPrefix(sigName(sig), "SIG")
		script := fmt.Sprintf(`trap "echo got %s; exit 3" %s; echo ready; while :; do sleep 0.05; done`, name, name)
		cmd := exec.Command(hostfstest.Binary(t), "enter", p, "-p", "--", "sh", "-c", script)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		timer := time.AfterFunc(20*time.Second, func() { cmd.Process.Kill() })
		sc := bufio.NewScanner(stdout)
		if !sc.Scan() || sc.Text() != "ready" {
			t.Fatalf("%v: the command did not start: %q", sig, sc.Text())
		}
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		var rest []string
		for sc.Scan() {
			rest = append(rest, sc.Text())
		}
		cmd.Wait()
		timer.Stop()
		if code := cmd.ProcessState.ExitCode(); code != 3 || strings.Join(rest, "|") != "got "+name {
			t.Errorf("%v to ctx: exit %d, output %q; want 3 and %q from the command's trap", sig, code, rest, "got "+name)
		}
	}
}

func sigName(s syscall.Signal) string {
	switch s {
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGINT:
		return "SIGINT"
	}
	return s.String()
}

// TestEnterNoFDLeak: the command holds only 0, 1 and 2, though ctx was
// started with two more open fds and opened a dozen itself; with
// --preserve-fds 1 it also gets ctx's fd 3.
func TestEnterNoFDLeak(t *testing.T) {
	// Its own mount namespace with a /proc of its pid namespace, for -a.
	p := strconv.Itoa(enterTarget(t, nil, "--pid", "--net", "--mount", "--mount-proc"))
	r1, w1, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r1.Close()
	defer w1.Close()
	fds := []*os.File{r1, w1} // fds 3 and 4 in ctx
	// No pipeline: dash holds a pipe fd while it sets one up.
	list := "ls /proc/$$/fd"
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"keep-tools (forked child, fresh /proc)", []string{p, "--", "sh", "-c", list}, "0 1 2"},
		{"full (forked child)", []string{p, "-a", "--", "sh", "-c", list}, "0 1 2"},
		{"net only (in place)", []string{p, "-n", "--", "sh", "-c", list}, "0 1 2"},
		{"--preserve-fds 1", []string{p, "-n", "--preserve-fds", "1", "--", "sh", "-c", list}, "0 1 2 3"},
	}
	for _, tt := range tests {
		r := runBin(t, hostfstest.Binary(t), fds, append([]string{"enter"}, tt.args...)...)
		if got := strings.Join(strings.Fields(r.out), " "); r.code != 0 || got != tt.want {
			t.Errorf("%s: fds %q (exit %d, %s); want %q", tt.name, got, r.code, r.err, tt.want)
		}
	}
}

// TestEnterNoZombie: after ctx exits, neither its command nor anything it
// forked is left as a zombie, in the target's pid namespace or below the
// test.
func TestEnterNoZombie(t *testing.T) {
	pid := enterTarget(t, nil, "--pid")
	p := strconv.Itoa(pid)
	pidns := nsLink(t, pid, "pid")
	for _, args := range [][]string{
		{p, "-p", "--", "true"},
		{p, "-p", "--", "sh", "-c", "exit 5"},
		{p, "-p", "--", "sh", "-c", "kill -KILL $$"},
		{p, "--", "true"},
	} {
		ctxEnter(t, args...)
	}
	time.Sleep(50 * time.Millisecond)
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", n))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so cut at ')'.
		f := strings.Fields(string(st[bytes.LastIndexByte(st, ')')+1:]))
		if len(f) < 2 || f[0] != "Z" {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		l, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", n))
		if ppid == os.Getpid() || ppid == pid || l == pidns {
			t.Errorf("zombie left behind: PID %d (parent %d): %s", n, ppid, st)
		}
	}
}

// TestEnterErrors: the target is gone (a zombie), the pid namespace's init
// has died, a capability is missing: each says so.
func TestEnterErrors(t *testing.T) {
	t.Run("target gone", func(t *testing.T) {
		hostfstest.RequirePrivileged(t)
		cmd := exec.Command("sh", "-c", "(exit 0) & exec sleep 300")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { cmd.Process.Kill(); cmd.Wait() }()
		var zombie string
		for deadline := time.Now().Add(5 * time.Second); zombie == "" && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", cmd.Process.Pid, cmd.Process.Pid))
			if f := strings.Fields(string(data)); len(f) > 0 {
				if st, _ := os.ReadFile("/proc/" + f[0] + "/stat"); strings.Contains(string(st), ") Z ") {
					zombie = f[0]
				}
			}
		}
		if zombie == "" {
			t.Fatal("no zombie to enter")
		}
		r := ctxEnter(t, zombie, "-n", "--", "true")
		if r.code != 1 || !strings.Contains(r.err, "target process is gone") {
			t.Errorf("zombie target: exit %d, %q; want 1 and \"target process is gone\"", r.code, r.err)
		}
	})
	t.Run("pid namespace init died", func(t *testing.T) {
		pid := enterTarget(t, nil, "--pid")
		f, err := os.Open(fmt.Sprintf("/proc/%d/ns/pid", pid))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		syscall.Kill(pid, syscall.SIGKILL) // the init: its pid namespace dies, held by f
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err != nil || strings.Contains(string(st), ") Z ") {
				break
			}
		}
		r := ctxEnter(t, fmt.Sprintf("--pid=/proc/%d/fd/%d", os.Getpid(), f.Fd()), "--", "true")
		if r.code != 1 || !strings.Contains(r.err, "pid namespace has no init") {
			t.Errorf("dead pid namespace: exit %d, %q; want 1 and \"pid namespace has no init\"", r.code, r.err)
		}
	})
	t.Run("forged marker", func(t *testing.T) {
		// The constructor acts only on a sealed memfd request; anything
		// else in its variable is refused, and other commands run as usual.
		f, err := os.CreateTemp(t.TempDir(), "request")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		f.WriteString("ctx-nsexec/1\x00arg=/bin/true\x00")
		cmd := exec.Command(hostfstest.Binary(t), "enter", strconv.Itoa(os.Getpid()), "-n", "--", "true")
		cmd.Env = append(os.Environ(), "_CTX_NSEXEC=3")
		cmd.ExtraFiles = []*os.File{f}
		out, err := cmd.CombinedOutput()
		if cmd.ProcessState.ExitCode() != 1 || !strings.Contains(string(out), "does not name a sealed request") {
			t.Errorf("forged request: %v, %q; want exit 1 and the request refused", err, out)
		}
		cmd = exec.Command(hostfstest.Binary(t), "version")
		cmd.Env = append(os.Environ(), "_CTX_NSEXEC=3")
		if out, err := cmd.CombinedOutput(); err != nil || !strings.HasPrefix(string(out), "ctx ") {
			t.Errorf("ctx version with a stray marker: %v, %q", err, out)
		}
	})
	t.Run("missing capability", func(t *testing.T) {
		hostfstest.RequireTool(t, "privileged", "setpriv")
		p := strconv.Itoa(enterTarget(t, nil, "--net"))
		r := runBin(t, "setpriv", nil, "--bounding-set", "-sys_admin", "--inh-caps", "-sys_admin", "--", hostfstest.Binary(t), "enter", p, "-n", "--", "true")
		if r.code != 4 || !strings.Contains(r.err, "needs CAP_SYS_ADMIN") || !strings.Contains(r.err, "net namespace") {
			t.Errorf("without CAP_SYS_ADMIN: exit %d, %q; want 4 naming CAP_SYS_ADMIN and the net namespace", r.code, r.err)
		}
	})
}

// TestEnterNoCgo builds ctx with CGO_ENABLED=0: it still joins what a Go
// process can join, and refuses user and time namespaces by name.
func TestEnterNoCgo(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	bin := filepath.Join(t.TempDir(), "ctx-nocgo")
	build := exec.Command("go", "build", "-o", bin, "github.com/ctx-tools/ctx/cmd/ctx")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build: %v\n%s", err, out)
	}
	pid := enterTarget(t, nil, "--user", "--map-root-user", "--net", "--pid", "--time")
	p := strconv.Itoa(pid)
	r := runBin(t, bin, nil, "enter", p, "-n", "-p", "--", "sh", "-c", "readlink /proc/self/ns/net; readlink /proc/self/ns/pid")
	if want := nsLink(t, pid, "net") + "\n" + nsLink(t, pid, "pid"); r.code != 0 || strings.TrimSpace(r.out) != want {
		t.Errorf("CGO_ENABLED=0 -n -p: exit %d, %q, %s; want %q", r.code, r.out, r.err, want)
	}
	r = runBin(t, bin, nil, "enter", p, "-n", "--", "sh", "-c", "exit 9")
	if r.code != 9 {
		t.Errorf("CGO_ENABLED=0: exit %d (%s); want the command's 9", r.code, r.err)
	}
	for _, flag := range []string{"-U", "-T"} {
		r = runBin(t, bin, nil, "enter", p, flag, "--", "true")
		typ := map[string]string{"-U": "user", "-T": "time"}[flag]
		if r.code != 1 || !strings.Contains(r.err, "CGO_ENABLED=0") || !strings.Contains(r.err, "the "+typ+" namespace") {
			t.Errorf("CGO_ENABLED=0 %s: exit %d, %q; want 1 saying CGO_ENABLED=0 and the %s namespace", flag, r.code, r.err, typ)
		}
	}
}

// noShellImage is a read-only-friendly image with nothing but /bin/sleep
// (busybox under that name only): no shell to exec.
const noShellImage = "ctx-test/noshell:latest"

func ensureNoShellImage(t *testing.T) string {
	t.Helper()
	hostfstest.TestImage(t) // gates on Docker; its busybox is what we copy
	if _, err := dockerTry("image", "inspect", noShellImage); err == nil {
		return noShellImage
	}
	bin, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Fatalf("the no-shell image needs /bin/busybox (busybox-static): %v", err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, d := range []string{"bin/", "dev/", "etc/", "proc/", "sys/", "tmp/"} {
		tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d, Mode: 0o755})
	}
	tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "bin/sleep", Mode: 0o755, Size: int64(len(bin))})
	tw.Write(bin)
	tw.Close()
	cmd := exec.Command("docker", "import", "--change", `CMD ["/bin/sleep", "3600"]`, "-", noShellImage)
	cmd.Stdin = &buf
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker import: %v: %s", err, out)
	}
	return noShellImage
}

// TestEnterDocker: a real container's network, its processes seen with the
// host's ps, its files through $CTX_ROOT, and its writable layer
// byte-for-byte unchanged after all of it.
func TestEnterDocker(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	// Some state in the writable layer, so the comparison covers content.
	id := hostfstest.DockerRun(t, hostfstest.TestImage(t), "sh", "-c", "mkdir /srv && echo state >/srv/state && exec sleep 3600")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := dockerTry("exec", id, "test", "-f", "/srv/state"); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatal("the container did not write /srv/state")
		}
	}
	if drv := hostfstest.Docker(t, "info", "--format", "{{.Driver}}"); drv != "overlay2" {
		hostfstest.Gate(t, "e2e: needs Docker's overlay2 storage driver, have "+drv)
	}
	upper := hostfstest.Docker(t, "inspect", "--format", "{{.GraphDriver.Data.UpperDir}}", id)
	before := treeHash(t, upper)

	t.Run("net", func(t *testing.T) {
		ip := hostfstest.Docker(t, "inspect", "--format", "{{.NetworkSettings.IPAddress}}", id)
		out := mustEnter(t, id, "-n", "--", "ip", "-o", "addr")
		if ip == "" || !strings.Contains(out, " eth0 ") || !strings.Contains(out, " "+ip+"/") || strings.Contains(out, "docker0") {
			t.Errorf("ctx enter -n -- ip addr:\n%s\nwant the container's eth0 with %s and no docker0", out, ip)
		}
	})
	t.Run("keep-tools ps", func(t *testing.T) {
		if out := mustEnter(t, id[:12], "--keep-tools", "--", "ps", "--version"); !strings.Contains(out, "procps") {
			t.Errorf("ps --version = %q; want the host's procps ps, not the container's busybox", out)
		}
		out := mustEnter(t, id[:12], "--keep-tools", "--", "ps", "-e", "-o", "pid=,comm=")
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			got = append(got, strings.Join(strings.Fields(l), " "))
		}
		if len(got) != 2 || got[0] != "1 sleep" || !strings.HasSuffix(got[1], " ps") {
			t.Errorf("ps -e in the container: %q; want only its sleep (PID 1) and ps", got)
		}
	})
	t.Run("keep-tools root", func(t *testing.T) {
		out := mustEnter(t, id, "--", "sh", "-c", `echo $CTX_ROOT; cat "$CTX_ROOT/etc/group"`)
		if !strings.HasPrefix(out, "/proc/1/root\n") || !strings.Contains(out, "nogroup:x:65534:") {
			t.Errorf("the container's files at $CTX_ROOT: %q", out)
		}
	})
	t.Run("full", func(t *testing.T) {
		if out := mustEnter(t, id, "-a", "--", "sh", "-c", "readlink /proc/self/exe; hostname"); !strings.HasPrefix(out, "/bin/busybox\n"+id[:12]) {
			t.Errorf("-a runs the container's busybox with its hostname: %q", out)
		}
	})
	t.Run("env and cgroup", func(t *testing.T) {
		// -n, not -a: a private cgroup namespace would hide the path.
		out := mustEnter(t, id, "-n", "-e", "-c", "--", "sh", "-c", "echo $HOSTNAME; cat /proc/self/cgroup")
		if !strings.HasPrefix(out, id[:12]+"\n") || !strings.Contains(out, id) {
			t.Errorf("-e -c: %q; want the container's HOSTNAME and its cgroups (named by its ID)", out)
		}
	})
	if after := treeHash(t, upper); after != before {
		t.Errorf("the container's writable layer %s changed:\nbefore %s\nafter  %s", upper, before, after)
	}
}

// TestEnterReadOnlyNoShell debugs a --read-only container that has no
// shell: nsenter-style entry cannot run one, --keep-tools brings the
// host's.
func TestEnterReadOnlyNoShell(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	id := hostfstest.DockerRun(t, "--read-only", "--network", "none", ensureNoShellImage(t))
	if r := ctxEnter(t, id, "-a", "--", "sh", "-c", "true"); r.code != 127 {
		t.Errorf("-a -- sh in a shell-less container: exit %d (%s); want 127", r.code, r.err)
	}
	out := mustEnter(t, id, "--keep-tools", "--", "sh", "-c",
		`ls "$CTX_ROOT/bin"; ps -e -o comm=; ip -o link | cut -d: -f2; touch "$CTX_ROOT/probe" 2>/dev/null || echo read-only`)
	if got := strings.Fields(out); strings.Join(got, " ") != "sleep sleep sh ps lo read-only" {
		t.Errorf("keep-tools in the read-only, shell-less container: %q; want its /bin (sleep), processes (sleep, the host's sh and ps), links (lo), read-only root", got)
	}
}

// treeHash hashes a directory tree: every path with its type, mode, size,
// mtime, link target and content.
func treeHash(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	var lines []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		line := fmt.Sprintf("%s %v %d %d", rel, info.Mode(), info.Size(), info.ModTime().UnixNano())
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			l, _ := os.Readlink(path)
			line += " -> " + l
		case info.Mode().IsRegular():
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			c := sha256.New()
			io.Copy(c, f)
			f.Close()
			line += " " + hex.EncodeToString(c.Sum(nil))
		}
		lines = append(lines, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(lines)
	for _, l := range lines {
		io.WriteString(h, l+"\n")
	}
	return fmt.Sprintf("%d entries, sha256 %x", len(lines), h.Sum(nil))
}

// TestEnterOptions covers the rest of nsenter's options: -S/-G with
// follow, --keep-caps, -r, -w, -W, and namespace files as --TYPE=FILE and
// as the TARGET.
func TestEnterOptions(t *testing.T) {
	hostfstest.RequireTool(t, "privileged", "setpriv")
	// A process of uid and gid 1000 in its own net and mount namespaces.
	pid := enterTarget(t, nil, "--net", "--mount", "--", "setpriv", "--reuid=1000", "--regid=1000", "--clear-groups")
	p := strconv.Itoa(pid)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"follow", []string{p, "-n", "-S", "follow", "-G", "follow", "--", "sh", "-c", "id -u; id -g"}, "1000 1000"},
		{"explicit ids", []string{p, "-n", "-S", "2000", "-G", "3000", "--", "sh", "-c", "id -u; id -g"}, "2000 3000"},
		{"keep-caps", []string{p, "-n", "-S", "1000", "--keep-caps", "--", "sh", "-c", "grep -c '^CapAmb:.*[1-9a-f]' /proc/self/status"}, "1"},
		{"no keep-caps", []string{p, "-n", "-S", "1000", "--", "sh", "-c", "grep '^CapEff:' /proc/self/status | cut -f2"}, "0000000000000000"},
		{"wd", []string{p, "-m", "-w=/usr/share", "--", "pwd"}, "/usr/share"},
		{"wdns", []string{p, "-m", "-W", "/etc", "--", "pwd"}, "/etc"},
		{"root and target wd", []string{p, "-m", "-r", "-w", "--", "pwd"}, "/"},
	}
	for _, tt := range tests {
		if got := strings.Join(strings.Fields(mustEnter(t, tt.args...)), " "); got != tt.want {
			t.Errorf("%s: ctx enter %s: %q; want %q", tt.name, strings.Join(tt.args, " "), got, tt.want)
		}
	}

	t.Run("namespace files", func(t *testing.T) {
		hostfstest.RequireTool(t, "privileged", "ip")
		name := fmt.Sprintf("ctx-test-enter-%d", os.Getpid())
		if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
			t.Fatalf("ip netns add: %v: %s", err, out)
		}
		defer exec.Command("ip", "netns", "del", name).Run()
		var st syscall.Stat_t
		if err := syscall.Stat("/run/netns/"+name, &st); err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("net:[%d]", st.Ino)
		for _, args := range [][]string{
			{"netns/" + name, "--", "readlink", "/proc/self/ns/net"},
			{"/run/netns/" + name, "--", "readlink", "/proc/self/ns/net"},
			{"--net=/run/netns/" + name, "--", "readlink", "/proc/self/ns/net"},
			{p, "--net=/run/netns/" + name, "-m", "--", "readlink", "/proc/self/ns/net"},
		} {
			if got := strings.TrimSpace(mustEnter(t, args...)); got != want {
				t.Errorf("ctx enter %s: %s; want %s", strings.Join(args, " "), got, want)
			}
		}
		if r := ctxEnter(t, "--mount=/run/netns/"+name, "--", "true"); r.code != 2 || !strings.Contains(r.err, "is a net namespace, not mnt") {
			t.Errorf("--mount=<a netns>: exit %d, %q; want a usage error naming the type", r.code, r.err)
		}
	})
}

// TestEnterFastPath holds the constructor's fast path for the exact shape
// `ctx enter PID -a -- CMD` to the Go path (the same options in another
// order): same namespaces, working directory, user, fds and exit status,
// for a target in all eight namespaces and for one sharing ctx's user and
// time namespaces. With extra fds open in ctx, only 0, 1 and 2 reach CMD.
func TestEnterFastPath(t *testing.T) {
	script := readlinkAll + `; ls /proc/self/fd | tr '\n' ' '; echo; pwd; id -u; exit 5`
	extra, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	for name, args := range map[string][]string{
		"all types":  {"--user", "--map-root-user", "--mount", "--uts", "--ipc", "--net", "--pid", "--cgroup", "--time"},
		"some types": {"--mount", "--uts", "--net", "--pid"},
	} {
		t.Run(name, func(t *testing.T) {
			p := strconv.Itoa(enterTarget(t, nil, args...))
			bin := hostfstest.Binary(t)
			fast := runBin(t, bin, []*os.File{extra}, "enter", p, "-a", "--", "sh", "-c", script)
			slow := runBin(t, bin, []*os.File{extra}, "enter", "-a", p, "--", "sh", "-c", script)
			if fast.code != 5 || slow.code != 5 || fast.out != slow.out || fast.err != slow.err {
				t.Errorf("fast path: exit %d, %q, %q\nGo path: exit %d, %q, %q", fast.code, fast.out, fast.err, slow.code, slow.out, slow.err)
			}
			if lines := strings.Split(fast.out, "\n"); len(lines) <= len(nsTypes) || strings.TrimSpace(lines[len(nsTypes)]) != "0 1 2 3" {
				// ls itself holds fd 3 open on /proc/self/fd.
				t.Errorf("fds seen by the command: %q; want 0 1 2 and ls's own 3", at(lines, len(nsTypes)))
			}
		})
	}
	t.Run("gone", func(t *testing.T) {
		// A PID that does not exist falls through to the Go path, which
		// explains it.
		r := ctxEnter(t, "999999999", "-a", "--", "true")
		if r.code == 0 || !strings.Contains(r.err, "999999999") {
			t.Errorf("exit %d, %q; want an error naming the PID", r.code, r.err)
		}
	})
}
