package sandbox

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ctx-tools/ctx/inspect/hostfs"
	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

// The test binary is also the container init: sandbox's init function
// takes over a re-executed test binary the way it takes over ctx.

var (
	rootfsOnce sync.Once
	rootfsDir  string
	rootfsErr  error
	tmpBase    string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if tmpBase != "" {
		os.RemoveAll(tmpBase)
	}
	os.Exit(code)
}

// busyboxRootfs returns a shared, read-only-by-convention rootfs: Debian's
// static busybox with a link per applet, /etc/passwd and /etc/group, and
// empty /tmp, /root and /home/user. Tests must not write into it.
func busyboxRootfs(t testing.TB) string {
	t.Helper()
	rootfsOnce.Do(func() {
		tmpBase, rootfsErr = os.MkdirTemp("", "ctx-sandbox-test-")
		if rootfsErr != nil {
			return
		}
		rootfsDir = filepath.Join(tmpBase, "rootfs")
		rootfsErr = makeBusyboxRootfs(rootfsDir)
	})
	if rootfsErr != nil {
		hostfstest.Gate(t, "privileged: needs /bin/busybox (Debian busybox-static) for a test rootfs: "+rootfsErr.Error())
	}
	return rootfsDir
}

func makeBusyboxRootfs(dir string) error {
	const busybox = "/bin/busybox"
	bin, err := os.ReadFile(busybox)
	if err != nil {
		return err
	}
	list, err := exec.Command(busybox, "--list").Output()
	if err != nil {
		return fmt.Errorf("busybox --list: %w", err)
	}
	for _, d := range []string{"bin", "etc", "tmp", "root", "home/user", "proc", "sys", "dev"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	os.Chmod(filepath.Join(dir, "tmp"), 0o1777)
	if err := os.WriteFile(filepath.Join(dir, "bin", "busybox"), bin, 0o755); err != nil {
		return err
	}
	for _, a := range strings.Fields(string(list)) {
		if a == "busybox" || strings.Contains(a, "/") {
			continue
		}
		if err := os.Symlink("busybox", filepath.Join(dir, "bin", a)); err != nil {
			return err
		}
	}
	files := map[string]string{
		"etc/passwd": "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
		"etc/group":  "root:x:0:\nuser:x:1000:\nnogroup:x:65534:\n",
		"etc/motd":   "hello from the rootfs\n",
		"bin/noexec": "#!/bin/sh\necho never\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func liveRoot(t testing.TB) hostfs.Root {
	t.Helper()
	root, err := hostfs.New("/")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// result is one Run with its output.
type result struct {
	rep            *Report
	err            error
	stdout, stderr string
}

// runIn runs spec with buffered output and a per-test state dir, so that
// leftovers of one test never hide in another's.
func runIn(t *testing.T, spec Spec) result {
	t.Helper()
	var out, errOut bytes.Buffer
	spec.Stdout, spec.Stderr = &out, &errOut
	if spec.StateDir == "" {
		spec.StateDir = t.TempDir()
	}
	if spec.Rootfs == "" && spec.Image == "" && spec.Bundle == "" {
		spec.Rootfs = busyboxRootfs(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rep, err := Run(ctx, liveRoot(t), &spec)
	r := result{rep: rep, err: err, stdout: out.String(), stderr: errOut.String()}
	if rep != nil {
		t.Logf("report: exit %d signal %q oom %v peak %v pids peak %v max events %v cpu %v throttled %v wall %dµs warnings %q",
			rep.ExitCode, rep.Signal, rep.OOMKilled, deref(rep.MemoryPeakBytes), deref(rep.PIDsPeak),
			deref(rep.PIDsEventsMax), deref(rep.CPUUsageUsec), deref(rep.CPUThrottledUsec), rep.WallUsec, rep.Warnings)
	}
	return r
}

func deref(p *uint64) any {
	if p == nil {
		return "unknown"
	}
	return *p
}

func sh(script string) []string { return []string{"/bin/sh", "-c", script} }
