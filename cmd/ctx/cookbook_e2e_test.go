package main_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

// sample records a command and its output for docs/cookbook.md when
// CTX_COOKBOOK_DIR is set (`make cookbook`): the cookbook's samples come
// from these runs, never typed by hand.
func sample(t *testing.T, name string, args []string, out string) {
	t.Helper()
	dir := os.Getenv("CTX_COOKBOOK_DIR")
	if dir == "" {
		return
	}
	text := "$ sudo ctx " + strings.Join(args, " ") + "\n" + out
	if err := os.WriteFile(filepath.Join(dir, name+".txt"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// cook runs ctx with args, records the sample and returns the output and
// exit code. Exit codes other than 0 and 3 (findings) fail the test.
func cook(t *testing.T, name string, args ...string) (string, int) {
	t.Helper()
	out, errOut, code := ctxRun(t, nil, args...)
	if code != 0 && code != 3 {
		t.Fatalf("ctx %s: exit %d: %s", strings.Join(args, " "), code, errOut)
	}
	sample(t, name, args, out)
	return out, code
}

// waitFor polls cond every 100 ms for up to d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestCookbook runs the troubleshooting scenarios of docs/cookbook.md and
// checks that ctx's answer says what the recipe claims.
func TestCookbook(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	img := hostfstest.TestImage(t)
	name := func(s string) string { return fmt.Sprintf("cook-%s-%d", s, os.Getpid()) }

	t.Run("oom", func(t *testing.T) {
		n := name("oom")
		// The container idles; an exec'd tail then holds 64 MiB of zeros and
		// the 16 MiB limit kills it, while the container's init lives on.
		hostfstest.DockerRun(t, "--name", n, "--memory", "16m", "--memory-swap", "16m", img)
		if out, err := dockerTry("exec", n, "sh", "-c", "head -c 64m /dev/zero | tail >/dev/null"); err == nil {
			t.Fatalf("the 64 MiB tail was not killed under a 16 MiB limit: %s", out)
		}
		var out string
		waitFor(t, 20*time.Second, "the OOM kill", func() bool {
			out, _ = cook(t, "oom-check", "cgroup", "check", n)
			return strings.Contains(out, "OOM_KILLED")
		})
		show, _ := cook(t, "oom-show", "cgroup", "show", n)
		if !strings.Contains(show, "16.0MiB") && !strings.Contains(show, "16 MiB") && !strings.Contains(show, "16777216") {
			t.Errorf("cgroup show does not state the 16 MiB limit:\n%s", show)
		}
	})
	t.Run("throttled", func(t *testing.T) {
		n := name("cpu")
		hostfstest.DockerRun(t, "--name", n, "--cpus", "0.1", img, "sh", "-c", "while :; do :; done")
		waitFor(t, 20*time.Second, "throttling", func() bool {
			out, _ := cook(t, "throttled-check", "cgroup", "check", n)
			return strings.Contains(out, "CPU_THROTTLED")
		})
		cook(t, "throttled-top", "cgroup", "top", "--once", "--interval", "1s")
	})
	t.Run("frozen", func(t *testing.T) {
		n := name("frozen")
		hostfstest.DockerRun(t, "--name", n, img)
		hostfstest.Docker(t, "pause", n)
		t.Cleanup(func() { dockerTry("unpause", n) }) // before docker rm -f
		out, _ := cook(t, "frozen-check", "cgroup", "check", n)
		if !strings.Contains(out, "FROZEN") || !strings.Contains(out, "INFO") || !strings.Contains(out, "docker:"+n) {
			t.Errorf("cgroup check does not call the paused container frozen:\n%s", out)
		}
	})
	t.Run("no-network", func(t *testing.T) {
		n := name("net")
		// A container whose default route is gone: it reaches its bridge
		// but nothing beyond.
		hostfstest.DockerRun(t, "--name", n, "--cap-add", "NET_ADMIN", img,
			"sh", "-c", "ip route del default; sleep 3600")
		waitFor(t, 10*time.Second, "the route removal", func() bool {
			out, code := cook(t, "network-check", "net", "check", n)
			return code == 3 && strings.Contains(strings.ToLower(out), "default route")
		})
		show, _ := cook(t, "network-show", "net", "show", n)
		if !strings.Contains(show, "eth0") || strings.Contains(show, "default") {
			t.Errorf("net show should list eth0 and no default route:\n%s", show)
		}
	})
	t.Run("distroless", func(t *testing.T) {
		n := name("distroless")
		hostfstest.DockerRun(t, "--name", n, "--read-only", ensureNoShellImage(t))
		out, _ := cook(t, "distroless-enter", "enter", "--keep-tools", n, "--", "ps", "-o", "pid,comm")
		if !strings.Contains(out, "sleep") || !strings.Contains(out, "ps") {
			t.Errorf("keep-tools ps shows no sleep and ps:\n%s", out)
		}
	})
	t.Run("disk", func(t *testing.T) {
		n := name("disk")
		// A container that writes 20 MB into its writable layer.
		hostfstest.DockerRun(t, "--name", n, img, "sh", "-c", "head -c 20000000 /dev/urandom > /big.tmp && mv /big.tmp /big.bin; sleep 3600")
		waitFor(t, 10*time.Second, "the 20 MB write", func() bool {
			out, _ := cook(t, "disk-all", "layers", "du", "--all", "--top", "3")
			// The whole file, apparent size 20000000, is on disk.
			return strings.Contains(out, "docker:"+n) && strings.Contains(out, "20000000") && strings.Contains(out, "container layers")
		})
		cook(t, "disk-diff", "layers", "diff", n)
	})
	t.Run("containerd", func(t *testing.T) {
		ctr, _, ref := ctrImport(t)
		id := name("seed")
		t.Cleanup(func() { ctrRemove(ctr, id) })
		// An init container with kubelet's labels writes 30 MB and exits:
		// ctr run removes its task, the container and its snapshot stay.
		if out, err := ctr("run", "--label", "io.kubernetes.container.name=seed-data", "--label", "io.kubernetes.pod.name=shop-7d9f6",
			"--label", "io.kubernetes.pod.namespace=shop", ref[0], id, "sh", "-c", "head -c 30000000 /dev/urandom > /seed.bin"); err != nil {
			t.Fatalf("ctr run: %v\n%s", err, out)
		}
		all, _ := cook(t, "containerd-all", "layers", "du", "--all", "--top", "1")
		if !strings.Contains(all, "containerd:seed-data") || !strings.Contains(all, "/seed.bin") || !strings.Contains(all, "30000000") {
			t.Errorf("du --all does not show the exited container's 30 MB:\n%s", all)
		}
		images, _ := cook(t, "containerd-images", "layers", "du", "--all", "--by", "image")
		if !strings.Contains(images, ref[0]) {
			t.Errorf("du --all --by image does not list %s:\n%s", ref[0], images)
		}
	})
	t.Run("owner", func(t *testing.T) {
		n := name("owner")
		id := hostfstest.DockerRun(t, "--name", n, img)
		pid := hostfstest.Docker(t, "inspect", "-f", "{{.State.Pid}}", id)
		out, _ := cook(t, "owner-ps", "ps", pid)
		if !strings.Contains(out, "docker:"+n) {
			t.Errorf("ctx ps %s does not name docker:%s:\n%s", pid, n, out)
		}
		show, _ := cook(t, "owner-net-show", "net", "show", n)
		if !strings.Contains(show, "veth") || !strings.Contains(show, "docker0") {
			t.Errorf("net show does not give the host-side veth on docker0:\n%s", show)
		}
	})
}
