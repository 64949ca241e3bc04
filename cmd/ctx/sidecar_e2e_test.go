package main_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

// sidecarFlags are the documented flags of docs/sidecar.md.
var sidecarFlags = []string{"--pid=host", "--net=host", "--cap-add", "SYS_ADMIN", "--cap-add", "SYS_PTRACE", "-v", "/:/host:ro"}

// sidecarImage builds the image with `make image` (offline: no pull, no
// download) under a tag of its own and removes it at cleanup.
func sidecarImage(t *testing.T) string {
	t.Helper()
	hostfstest.RequirePrivileged(t)
	hostfstest.RequireDocker(t)
	hostfstest.RequireTool(t, "e2e", "make")
	tag := fmt.Sprintf("ctx-test/sidecar:%d", os.Getpid())
	cmd := exec.Command("make", "image", "IMAGE="+tag)
	cmd.Dir = moduleRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make image: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", tag).Run() })
	return tag
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// TestSidecarNamespaces runs the image with the documented flags and holds
// its ns ls -o json to ctx's on the host.
func TestSidecarNamespaces(t *testing.T) {
	image := sidecarImage(t)
	img := hostfstest.TestImage(t)
	c1 := hostfstest.DockerRun(t, "--network", "none", img)
	hostfstest.DockerRun(t, img)

	before := ctxNamespaces(t)
	args := append(append([]string{"run", "--rm"}, sidecarFlags...), image, "ns", "ls", "-o", "json")
	out, err := exec.Command("docker", args...).Output()
	if err != nil {
		t.Fatalf("docker run sidecar: %v", err)
	}
	after := ctxNamespaces(t)
	var doc struct{ Items []nsItem }
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("sidecar JSON: %v\n%s", err, out)
	}
	side := map[uint64]nsItem{}
	for _, it := range doc.Items {
		side[it.NS] = it
	}
	compared := 0
	for ino, b := range before {
		a, stable := after[ino]
		if !stable || a.NProcs != b.NProcs {
			continue // came or went while the sidecar ran
		}
		s, ok := side[ino]
		switch {
		case !ok:
			t.Errorf("host lists %s %d; the sidecar does not", b.Type, ino)
		case s.Type != b.Type:
			t.Errorf("ns %d: sidecar type %s; host %s", ino, s.Type, b.Type)
		case b.Process != nil && b.Process.Container != nil:
			// Container namespaces hold neither ctx run: counts match.
			if s.NProcs != b.NProcs || s.Process == nil || s.Process.Container == nil || s.Process.Container.ID != b.Process.Container.ID {
				t.Errorf("container ns %d: sidecar %+v; host %+v", ino, s, b)
			}
		}
		compared++
	}
	netIno := statIno(t, filepath.Join("/proc", hostfstest.Docker(t, "inspect", "-f", "{{.State.Pid}}", c1), "ns", "net"))
	if row, ok := side[netIno]; !ok || row.Process == nil || row.Process.Container == nil || row.Process.Container.ID != c1 {
		t.Errorf("sidecar does not name container %s's netns %d: %+v", c1[:12], netIno, row)
	}
	if compared < 10 {
		t.Errorf("only %d namespaces compared", compared)
	}
}

// TestSidecarStatic checks the image's binary is static: it runs in a
// scratch image with no libc at all.
func TestSidecarStatic(t *testing.T) {
	image := sidecarImage(t)
	out, err := exec.Command("docker", "run", "--rm", image, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "ctx ") {
		t.Fatalf("ctx version in the scratch image: %v: %s", err, out)
	}
	out, err = exec.Command("docker", "run", "--rm", "--entrypoint", "/bin/sh", image, "-c", "ls /lib* /usr/lib 2>/dev/null | wc -l").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "0" {
		t.Errorf("the image should hold no libraries: %v: %s", err, out)
	}
}

// TestSidecarEnterKeepTools enters a container from inside the sidecar
// with --keep-tools: the sidecar's busybox ps sees only the container.
func TestSidecarEnterKeepTools(t *testing.T) {
	image := sidecarImage(t)
	name := fmt.Sprintf("ctxe2e-sidecar-%d", os.Getpid())
	hostfstest.DockerRun(t, "--name", name, hostfstest.TestImage(t))
	args := append(append([]string{"run", "--rm"}, sidecarFlags...), image,
		"enter", "--keep-tools", name, "--", "ps", "-o", "pid,comm")
	out, err := exec.Command("docker", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ctx enter --keep-tools from the sidecar: %v\n%s", err, out)
	}
	got := strings.Fields(string(out))
	// Header, then the container's sleep as PID 1 and the ps itself.
	if len(got) != 6 || got[2] != "1" || got[3] != "sleep" || got[5] != "ps" {
		t.Errorf("ps in the container from the sidecar: %q; want PID 1 sleep and ps only", got)
	}
}
