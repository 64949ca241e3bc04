package main_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

// ctxRun runs the built binary and returns stdout, stderr and exit code.
func ctxRun(t *testing.T, cred *syscall.Credential, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(hostfstest.Binary(t), args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		cmd.Dir = "/"
	}
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errOut.String(), code
}

type nsItem struct {
	NS      uint64 `json:"ns"`
	Type    string `json:"type"`
	NProcs  int    `json:"nprocs"`
	Holders []struct {
		Kind string `json:"kind"`
		PID  int    `json:"pid"`
		FD   int    `json:"fd"`
		Path string `json:"path"`
	} `json:"holders"`
	Process *struct {
		PID       int `json:"pid"`
		Container *struct {
			Runtime string `json:"runtime"`
			ID      string `json:"id"`
		} `json:"container"`
	} `json:"process"`
}

func ctxNamespaces(t *testing.T) map[uint64]nsItem {
	t.Helper()
	out, errOut, code := ctxRun(t, nil, "ns", "ls", "-o", "json")
	if code != 0 {
		t.Fatalf("ctx ns ls: exit %d: %s", code, errOut)
	}
	var doc struct{ Items []nsItem }
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("ctx ns ls -o json: %v", err)
	}
	m := map[uint64]nsItem{}
	for _, it := range doc.Items {
		m[it.NS] = it
	}
	return m
}

type lsnsItem struct {
	NS     uint64 `json:"ns"`
	Type   string `json:"type"`
	NProcs int    `json:"nprocs"`
}

func lsns(t *testing.T) map[uint64]lsnsItem {
	t.Helper()
	out, err := exec.Command("lsns", "-J").Output()
	if err != nil {
		t.Fatalf("lsns -J: %v", err)
	}
	var doc struct{ Namespaces []lsnsItem }
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("lsns -J: %v", err)
	}
	m := map[uint64]lsnsItem{}
	for _, it := range doc.Namespaces {
		m[it.NS] = it
	}
	return m
}

func statIno(t *testing.T, path string) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

// TestNSLsAgainstLsns holds ctx ns ls to lsns -J on the same host, with two
// containers (one --network none, one sharing its netns), a netns held only
// by `ip netns add` and one held only by an open fd.
func TestNSLsAgainstLsns(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	hostfstest.RequireTool(t, "e2e", "lsns")
	hostfstest.RequireTool(t, "e2e", "ip")
	hostfstest.NoFDLeak(t)
	img := hostfstest.TestImage(t)
	c1 := hostfstest.DockerRun(t, "--network", "none", img)
	c2 := hostfstest.DockerRun(t, "--network", "container:"+c1, img)
	pid1 := hostfstest.Docker(t, "inspect", "-f", "{{.State.Pid}}", c1)
	pid2 := hostfstest.Docker(t, "inspect", "-f", "{{.State.Pid}}", c2)

	bindName := fmt.Sprintf("ctxe2e-bind-%d", os.Getpid())
	fdName := fmt.Sprintf("ctxe2e-fd-%d", os.Getpid())
	for _, n := range []string{bindName, fdName} {
		if out, err := exec.Command("ip", "netns", "add", n).CombinedOutput(); err != nil {
			t.Fatalf("ip netns add: %v: %s", err, out)
		}
		t.Cleanup(func() { exec.Command("ip", "netns", "delete", n).Run() })
	}
	bindIno := statIno(t, "/run/netns/"+bindName)
	fdIno := statIno(t, "/run/netns/"+fdName)
	fd, err := unix.Open("/run/netns/"+fdName, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if out, err := exec.Command("ip", "netns", "delete", fdName).CombinedOutput(); err != nil {
		t.Fatalf("ip netns delete: %v: %s", err, out)
	}

	before := lsns(t)
	got := ctxNamespaces(t)
	after := lsns(t)

	compared := 0
	for ino, l := range before {
		a, stable := after[ino]
		c, ok := got[ino]
		switch {
		case !ok && stable:
			t.Errorf("lsns lists %s %d; ctx does not", l.Type, ino)
		case !ok:
			// Gone between the runs: nothing to compare.
		case c.Type != l.Type:
			t.Errorf("ns %d: ctx type %s; lsns %s", ino, c.Type, l.Type)
		case stable && a.NProcs == l.NProcs && c.NProcs != l.NProcs:
			t.Errorf("ns %d (%s): ctx nprocs %d; lsns %d", ino, l.Type, c.NProcs, l.NProcs)
		case stable && (c.NProcs < min(a.NProcs, l.NProcs) || c.NProcs > max(a.NProcs, l.NProcs)):
			t.Errorf("ns %d (%s): ctx nprocs %d outside lsns's %d..%d", ino, l.Type, c.NProcs, l.NProcs, a.NProcs)
		default:
			compared++
		}
	}
	if compared < 10 {
		t.Errorf("only %d namespaces compared; the test proved little", compared)
	}

	if b, ok := got[bindIno]; !ok || b.Type != "net" || !hasHolder(b, "bind", "/run/netns/"+bindName) {
		t.Errorf("bind-only netns %d missing or wrong: %+v", bindIno, b)
	}
	if _, inLsns := before[bindIno]; inLsns {
		t.Logf("note: this lsns lists bind-only namespaces too")
	}
	if f, ok := got[fdIno]; !ok || f.Type != "net" || !hasFD(f, os.Getpid(), fd) {
		t.Errorf("fd-only netns %d missing or wrong: %+v", fdIno, f)
	}

	// The containers' rows carry their IDs.
	for _, c := range []struct{ id, pid string }{{c1, pid1}, {c2, pid2}} {
		ino := statIno(t, filepath.Join("/proc", c.pid, "ns", "pid"))
		row, ok := got[ino]
		if !ok || row.Process == nil || row.Process.Container == nil || row.Process.Container.ID != c.id {
			t.Errorf("pid ns of container %s: row %+v; want its ID", c.id[:12], row.Process)
		}
	}
	netIno := statIno(t, filepath.Join("/proc", pid1, "ns", "net"))
	if row := got[netIno]; row.NProcs != 2 || row.Process == nil || row.Process.Container == nil ||
		(row.Process.Container.ID != c1 && row.Process.Container.ID != c2) {
		t.Errorf("shared netns %d: %+v; want 2 processes in container %s", netIno, row, c1[:12])
	}
}

func hasHolder(it nsItem, kind, path string) bool {
	for _, h := range it.Holders {
		if h.Kind == kind && h.Path == path {
			return true
		}
	}
	return false
}

func hasFD(it nsItem, pid, fd int) bool {
	for _, h := range it.Holders {
		if h.Kind == "fd" && h.PID == pid && h.FD == fd {
			return true
		}
	}
	return false
}

// TestNSLsUnprivileged runs ctx as nobody: a partial list, a warning that
// names the missing capability, exit 0, and exit 8 with --strict.
func TestNSLsUnprivileged(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	nobody := &syscall.Credential{Uid: 65534, Gid: 65534}
	out, errOut, code := ctxRun(t, nobody, "ns", "ls")
	if code != 0 {
		t.Fatalf("as nobody: exit %d; want 0 (stderr %q)", code, errOut)
	}
	if !strings.Contains(errOut, "warning:") || !strings.Contains(errOut, "CAP_SYS_PTRACE") {
		t.Errorf("as nobody: stderr %q; want a warning naming CAP_SYS_PTRACE", errOut)
	}
	if strings.Count(out, "\n") < 2 {
		t.Errorf("as nobody: no rows:\n%s", out)
	}
	if strings.Contains(errOut, "panic") || strings.Contains(errOut, "goroutine") {
		t.Errorf("as nobody: %s", errOut)
	}
	_, _, code = ctxRun(t, nobody, "ns", "ls", "--strict")
	if code != 8 {
		t.Errorf("as nobody with --strict: exit %d; want 8", code)
	}
	js, _, code := ctxRun(t, nobody, "ns", "ls", "-o", "json")
	var doc struct{ Warnings []string }
	if err := json.Unmarshal([]byte(js), &doc); err != nil || code != 0 || len(doc.Warnings) == 0 {
		t.Errorf("as nobody, JSON: exit %d, err %v, warnings %q; want 0, valid, some", code, err, doc.Warnings)
	}
}

// TestPsUntrustedNameLive runs a process whose name holds an escape sequence
// and a newline; tables escape it, JSON keeps the bytes.
func TestPsUntrustedNameLive(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Fatal(err)
	}
	evil := "ev\x1b[31m\nil"
	link := filepath.Join(t.TempDir(), evil)
	if err := os.Symlink(sleep, link); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(link, "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	pid := fmt.Sprint(cmd.Process.Pid)

	out, _, code := ctxRun(t, nil, "ps", pid)
	if code != 0 || strings.Contains(out, "\x1b") || !strings.Contains(out, `ev\x1b[31m\nil`) {
		t.Errorf("ctx ps %s (exit %d) did not escape the name:\n%q", pid, code, out)
	}
	js, _, _ := ctxRun(t, nil, "ps", pid, "-o", "json")
	var doc struct {
		Items []struct {
			Comm    string   `json:"comm"`
			Cmdline []string `json:"cmdline"`
		}
	}
	if err := json.Unmarshal([]byte(js), &doc); err != nil || len(doc.Items) != 1 {
		t.Fatalf("ctx ps -o json: %v: %s", err, js)
	}
	if doc.Items[0].Comm != evil || doc.Items[0].Cmdline[0] != link {
		t.Errorf("JSON comm %q cmdline %q; want %q and %q", doc.Items[0].Comm, doc.Items[0].Cmdline, evil, link)
	}
}
