package inspect

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ctx-tools/ctx/inspect/hostfs"
	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

func TestResolveFixtures(t *testing.T) {
	const (
		criS1 = "5a1b2c3d4e5f60718293a4b5c6d7e8f905a1b2c3d4e5f60718293a4b5c6d7e8f"
		criC1 = "abcd1234e5f60718293a4b5c6d7e8f90abcd1234e5f60718293a4b5c6d7e8f90"
		criC2 = "abcd5678e5f60718293a4b5c6d7e8f90abcd5678e5f60718293a4b5c6d7e8f90"
		crioR = "4d2c1b0a99887766554433221100ffeeddccbbaa99887766554433221100ffee"
		pgDB  = "beef01a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e"
	)
	tests := []struct {
		fixture, spec string
		kind, label   string // Target.Kind and Container.Label()
		pid           int
		pids          []int
	}{
		{"docker-v1", "4250", "pid", "", 4250, []int{4250}},
		{"docker-v1", "web-1", "container", "docker:web-1", 4242, []int{4242, 4250}},
		{"docker-v1", "/web-1", "container", "docker:web-1", 4242, []int{4242, 4250}},
		{"docker-v1", dockerA, "container", "docker:web-1", 4242, []int{4242, 4250}},
		{"docker-v1", "aabbcc", "container", "docker:web-1", 4242, []int{4242, 4250}},
		{"docker-v1", "sidecar", "container", "docker:sidecar", 4300, []int{4300}},
		{"docker-v1", "0123456789abc", "container", "docker:sidecar", 4300, []int{4300}},
		{"k8s-cri", "log-shipper", "container", "containerd:log-shipper", 3200, []int{3200}},
		{"k8s-cri", "abcd1", "container", "containerd:nginx", 3150, []int{3150, 3160}},
		{"k8s-cri", "k8s.io/" + criC2, "container", "containerd:log-shipper", 3200, []int{3200}},
		{"k8s-cri", criS1, "container", "containerd:web-7d9f8b6c5-x2x9q", 3100, []int{3100}},
		{"k8s-cri", "pod/shop/web-7d9f8b6c5-x2x9q", "pod", "containerd:web-7d9f8b6c5-x2x9q", 3100, []int{3100, 3150, 3160, 3200}},
		{"k8s-cri", "pod/shop/web-7d9f8b6c5-x2x9q/nginx", "container", "containerd:nginx", 3150, []int{3150, 3160}},
		{"k8s-cri", "pod/payments/api-0/nginx", "container", "containerd:nginx", 3300, []int{3300}},
		{"k8s-cri", "api-0", "container", "containerd:api-0", 3290, []int{3290}},
		{"crio", "redis", "container", "crio:redis", 2150, []int{2150}},
		{"crio", crioR[:12], "container", "crio:redis", 2150, []int{2150}},
		{"crio", "pod/default/redis-0", "pod", "crio:redis-0", 2100, []int{2100, 2150}},
		{"podman", "db", "container", "podman:db", 1500, []int{1500, 1530}},
		{"podman", pgDB, "container", "podman:db", 1500, []int{1500, 1530}},
	}
	for _, tt := range tests {
		root := hostfstest.Fixture(t, tt.fixture)
		got, err := Resolve(root, tt.spec)
		if err != nil {
			t.Errorf("%s: Resolve(%q): %v", tt.fixture, tt.spec, err)
			continue
		}
		label := ""
		if got.Container != nil {
			label = got.Container.Label()
		}
		if got.Kind != tt.kind || label != tt.label || got.PID != tt.pid || !reflect.DeepEqual(got.PIDs, tt.pids) {
			t.Errorf("%s: Resolve(%q) = %s %s PID %d PIDs %v; want %s %s PID %d PIDs %v",
				tt.fixture, tt.spec, got.Kind, label, got.PID, got.PIDs, tt.kind, tt.label, tt.pid, tt.pids)
		}
	}
}

func TestResolvePodContainers(t *testing.T) {
	rt := LoadRuntimes(hostfstest.Fixture(t, "k8s-cri"))
	got, err := rt.Resolve("pod/shop/web-7d9f8b6c5-x2x9q")
	if err != nil {
		t.Fatal(err)
	}
	want := "containerd:web-7d9f8b6c5-x2x9q containerd:log-shipper containerd:nginx"
	if l := strings.Join(labels(got.Containers), " "); l != want {
		t.Errorf("Containers = %s; want %s", l, want)
	}
	if !got.Containers[0].Sandbox || got.Containers[1].Sandbox {
		t.Errorf("Sandbox flags = %v, %v; want true, false", got.Containers[0].Sandbox, got.Containers[1].Sandbox)
	}
	c := got.Containers[2]
	if c.Pod == nil || c.Pod.UID != "6f1c2b3a-4d5e-4f60-8a9b-0c1d2e3f4a5b" || c.Pod.QoS != "burstable" || c.Namespace != "k8s.io" {
		t.Errorf("nginx = %+v pod %+v; want pod uid 6f1c2b3a-… qos burstable in namespace k8s.io", c, c.Pod)
	}
}

func TestResolveErrors(t *testing.T) {
	tests := []struct {
		fixture, spec string
		is            error
		candidates    []string // for ambiguity
		msg           string   // substring of the error
	}{
		{"docker-v1", "0123456789ab", ErrAmbiguous, []string{
			"docker old-job 0123456789ab (not running)",
			"docker sidecar 0123456789ab",
		}, ""},
		{"docker-v1", "old-job", ErrNotRunning, nil, "container old-job (docker 0123456789ab) is not running"},
		{"docker-v1", "0123456789ab99", ErrNotRunning, nil, "is not running"},
		{"docker-v1", "nope", ErrNotFound, nil, `"nope"`},
		{"docker-v1", "/nope", ErrNotFound, nil, ""},
		{"docker-v1", "99999", ErrNotFound, nil, "no process 99999"},
		{"docker-v1", "netns/../../etc", ErrNotFound, nil, ""},
		{"docker-v1", "netns/red", ErrNotFound, nil, ""},
		{"docker-v1", "", ErrNotFound, nil, ""},
		{"k8s-cri", "abcd", ErrAmbiguous, []string{
			"containerd log-shipper abcd5678e5f6 (namespace k8s.io)",
			"containerd nginx abcd1234e5f6 (namespace k8s.io)",
		}, ""},
		{"k8s-cri", "nginx", ErrAmbiguous, []string{
			"containerd nginx abcd1234e5f6 (namespace k8s.io)",
			"containerd nginx e3e3e3e3a1a1 (namespace k8s.io)",
		}, ""},
		{"k8s-cri", "pod/shop/nope", ErrNotFound, nil, "no pod shop/nope"},
		{"k8s-cri", "pod/shop/web-7d9f8b6c5-x2x9q/nope", ErrNotFound, nil, `no container "nope"`},
		{"k8s-cri", "pod/shop", ErrNotFound, nil, "want pod/NAMESPACE/NAME"},
		{"k8s-cri", "pod/a/b/c/d", ErrNotFound, nil, "want pod/NAMESPACE/NAME"},
		{"crio", "4d2c1b0a", ErrAmbiguous, []string{
			"crio init-db 4d2c1b0a0f0e (not running)",
			"crio redis 4d2c1b0a9988",
		}, ""},
		{"crio", "pod/default/redis-0/init-db", ErrNotRunning, nil, "container init-db (crio 4d2c1b0a0f0e) is not running"},
		{"podman", "cache", ErrNotRunning, nil, "container cache (podman beef02a2b3c4) is not running"},
		{"podman", "beef0", ErrAmbiguous, []string{
			"podman cache beef02a2b3c4 (not running)",
			"podman db beef01a2b3c4",
		}, ""},
	}
	for _, tt := range tests {
		root := hostfstest.Fixture(t, tt.fixture)
		got, err := Resolve(root, tt.spec)
		if !errors.Is(err, tt.is) {
			t.Errorf("%s: Resolve(%q) = %+v, %v; want %v", tt.fixture, tt.spec, got, err, tt.is)
			continue
		}
		if !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: Resolve(%q) error %q; want it to contain %q", tt.fixture, tt.spec, err, tt.msg)
		}
		var amb *AmbiguousError
		if errors.As(err, &amb) && !reflect.DeepEqual(amb.Candidates, tt.candidates) {
			t.Errorf("%s: Resolve(%q) candidates %q; want %q", tt.fixture, tt.spec, amb.Candidates, tt.candidates)
		}
	}
}

func TestResolvePodNotRunning(t *testing.T) {
	root := hostfstest.New(t, map[string]string{
		"run/containerd/io.containerd.runtime.v2.task/k8s.io/" + dockerA + "/config.json": `{"annotations":{"io.kubernetes.cri.container-type":"sandbox","io.kubernetes.cri.sandbox-name":"gone","io.kubernetes.cri.sandbox-namespace":"ns"}}`,
	})
	_, err := Resolve(root, "pod/ns/gone")
	if !errors.Is(err, ErrNotRunning) || err.Error() != "pod ns/gone is not running" {
		t.Errorf("Resolve(pod/ns/gone) error = %v; want pod ns/gone is not running", err)
	}
}

func TestContainersListsStateOnly(t *testing.T) {
	rt := LoadRuntimes(hostfstest.Fixture(t, "docker-v1"))
	all, err := rt.Containers()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tg := range all {
		got = append(got, fmt.Sprintf("%s/%d", tg.Container.Label(), len(tg.PIDs)))
	}
	want := []string{"docker:old-job/0", "docker:sidecar/1", "docker:web-1/2"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Containers() = %v; want %v", got, want)
	}
	running, err := RunningContainers(hostfstest.Fixture(t, "docker-v1"))
	if err != nil {
		t.Fatal(err)
	}
	if len(running) != 2 || running[0].Container.Name != "sidecar" || running[1].Container.Name != "web-1" {
		t.Errorf("RunningContainers() = %d targets; want sidecar and web-1", len(running))
	}
}

// liveRoot is the Root of the host the test runs on.
func liveRoot(t *testing.T) hostfs.Root {
	t.Helper()
	root, err := hostfs.New("/")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func TestResolveDockerE2E(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	image := hostfstest.TestImage(t)
	suffix := randomHex(t, 4)
	var ids, names []string
	for i := range 2 {
		name := fmt.Sprintf("ctx-test-resolve-%s-%d", suffix, i)
		ids = append(ids, hostfstest.DockerRun(t, "--name", name, "--network", "none", image))
		names = append(names, name)
	}
	rt := LoadRuntimes(liveRoot(t))
	for i, id := range ids {
		inspected := strings.Fields(hostfstest.Docker(t, "inspect", "-f", "{{.State.Pid}} {{.Name}} {{.Config.Image}}", id))
		if len(inspected) != 3 {
			t.Fatalf("docker inspect printed %q", inspected)
		}
		wantPID, _ := strconv.Atoi(inspected[0])
		for _, spec := range []string{names[i], "/" + names[i], id[:12], id} {
			got, err := rt.Resolve(spec)
			if err != nil {
				t.Errorf("Resolve(%q): %v", spec, err)
				continue
			}
			c := got.Container
			if got.Kind != "container" || got.PID != wantPID || c.Runtime != "docker" || c.ID != id ||
				"/"+c.Name != inspected[1] || c.Image != inspected[2] {
				t.Errorf("Resolve(%q) = %s PID %d %+v; want docker %s PID %d name %s image %s",
					spec, got.Kind, got.PID, c, id, wantPID, inspected[1], inspected[2])
			}
			if c.Labels["ctx-test"] != "1" {
				t.Errorf("Resolve(%q) labels = %v; want ctx-test=1", spec, c.Labels)
			}
		}
	}
	// Stopped: the state stays, the process goes.
	hostfstest.Docker(t, "stop", "-t", "0", ids[1])
	if _, err := LoadRuntimes(liveRoot(t)).Resolve(names[1]); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Resolve(stopped %q) = %v; want %v", names[1], err, ErrNotRunning)
	}
}

// ctrAddress picks the containerd socket ctr can reach: the system one, or
// the one dockerd started itself.
func ctrAddress(t *testing.T) string {
	t.Helper()
	for _, addr := range []string{"/run/containerd/containerd.sock", "/run/docker/containerd/containerd.sock"} {
		if _, err := os.Stat(addr); err != nil {
			continue
		}
		if _, err := runCtr(addr, "", nil, "version"); err == nil {
			return addr
		}
	}
	t.Fatal("e2e: ctr reaches no containerd at /run/containerd/containerd.sock or /run/docker/containerd/containerd.sock")
	return ""
}

// runCtr runs `ctr --address addr [-n ns] args...` with stdin.
func runCtr(addr, ns string, stdin []byte, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	full := []string{"--address", addr}
	if ns != "" {
		full = append(full, "-n", ns)
	}
	full = append(full, args...)
	cmd := exec.CommandContext(ctx, "ctr", full...)
	cmd.WaitDelay = time.Second
	if stdin != nil {
		cmd.Stdin = strings.NewReader(string(stdin))
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("ctr %s: %w\n%s", strings.Join(full, " "), err, out)
	}
	return string(out), nil
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func TestResolveContainerdE2E(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	hostfstest.RequireTool(t, "e2e", "ctr")
	image := hostfstest.TestImage(t) // also gates on Docker, which runs a containerd
	addr := ctrAddress(t)
	ns := "ctx-test-" + randomHex(t, 4)
	hostfstest.RemoveContainerdNamespaceAtCleanup(t, ns)
	id := "ctxtest-" + randomHex(t, 4) // not 64 hex digits: found by its cgroupsPath
	ref := "docker.io/" + image

	tar, err := exec.Command("docker", "save", image).Output()
	if err != nil {
		t.Fatalf("docker save %s: %v", image, err)
	}
	// Cleanups run last-in-first-out: the namespace goes last.
	t.Cleanup(func() {
		var err error
		for range 10 {
			if _, err = runCtr(addr, "", nil, "namespace", "remove", ns); err == nil {
				return
			}
			// Content and snapshots go with the lazy garbage collector.
			time.Sleep(500 * time.Millisecond)
		}
		t.Errorf("removing containerd namespace %s: %v", ns, err)
	})
	if _, err := runCtr(addr, ns, tar, "image", "import", "-"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := runCtr(addr, ns, nil, "image", "rm", "--sync", ref); err != nil {
			t.Errorf("removing image: %v", err)
		}
	})
	t.Cleanup(func() {
		runCtr(addr, ns, nil, "task", "kill", "-s", "KILL", id)
		for range 20 {
			if _, err := runCtr(addr, ns, nil, "task", "delete", id); err == nil || strings.Contains(err.Error(), "not found") {
				break
			}
			time.Sleep(250 * time.Millisecond)
		}
		if _, err := runCtr(addr, ns, nil, "container", "delete", id); err != nil {
			t.Errorf("deleting container: %v", err)
		}
	})
	if _, err := runCtr(addr, ns, nil, "run", "-d", ref, id, "sleep", "3600"); err != nil {
		t.Fatal(err)
	}
	out, err := runCtr(addr, ns, nil, "task", "ls")
	if err != nil {
		t.Fatal(err)
	}
	wantPID := 0
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == id {
			wantPID, _ = strconv.Atoi(f[1])
		}
	}
	if wantPID == 0 {
		t.Fatalf("ctr task ls shows no PID for %s:\n%s", id, out)
	}
	rt := LoadRuntimes(liveRoot(t))
	for _, spec := range []string{id, ns + "/" + id} {
		got, err := rt.Resolve(spec)
		if err != nil {
			t.Errorf("Resolve(%q): %v", spec, err)
			continue
		}
		c := got.Container
		if got.PID != wantPID || c.Runtime != "containerd" || c.Namespace != ns || c.ID != id || c.Name != id {
			t.Errorf("Resolve(%q) = PID %d %+v; want containerd %s/%s PID %d", spec, got.PID, c, ns, id, wantPID)
		}
	}
}
