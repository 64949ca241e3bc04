package inspect

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

const (
	dockerA = "aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899"
	dockerB = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	dockerC = "0123456789ab99887766554433221100ffeeddccbbaa99887766554433221100"
)

func TestParseDockerConfig(t *testing.T) {
	tests := []struct {
		name, in       string
		id, cname, img string
		pid            int
		pod            string
		sandbox        bool
		err            bool
	}{
		{name: "running", in: `{"ID":"` + dockerA + `","Name":"/web-1","Image":"sha256:ab","State":{"Running":true,"Pid":42},"Config":{"Image":"nginx:1.25","Labels":{"com.docker.compose.project":"shop"}}}`,
			id: dockerA, cname: "web-1", img: "nginx:1.25", pid: 42},
		{name: "exited keeps no pid", in: `{"ID":"x","Name":"/old","State":{"Running":false,"Pid":42},"Config":{"Image":"busybox"}}`,
			id: "x", cname: "old", img: "busybox"},
		{name: "image id fallback", in: `{"ID":"x","Name":"/n","Image":"sha256:ab","Config":{}}`, id: "x", cname: "n", img: "sha256:ab"},
		{name: "dockershim sandbox", in: `{"ID":"x","Name":"/k8s_POD_web_shop_u_0","Config":{"Labels":{"io.kubernetes.pod.name":"web","io.kubernetes.pod.namespace":"shop","io.kubernetes.pod.uid":"u","io.kubernetes.docker.type":"podsandbox"}}}`,
			id: "x", cname: "k8s_POD_web_shop_u_0", pod: "shop/web", sandbox: true},
		{name: "no id", in: `{"Name":"/n"}`, err: true},
		{name: "not json", in: `{"ID":`, err: true},
		{name: "wrong type", in: `{"ID":1}`, err: true},
	}
	for _, tt := range tests {
		r, err := parseDockerConfig([]byte(tt.in))
		if tt.err {
			if err == nil {
				t.Errorf("%s: got %+v; want an error", tt.name, r)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if r.Runtime != "docker" || r.ID != tt.id || r.Name != tt.cname || r.Image != tt.img || r.PID != tt.pid || r.Sandbox != tt.sandbox {
			t.Errorf("%s: got %+v pid %d; want id %q name %q image %q pid %d", tt.name, r.Container, r.PID, tt.id, tt.cname, tt.img, tt.pid)
		}
		if got := podString(r.Pod); got != tt.pod {
			t.Errorf("%s: pod = %q; want %q", tt.name, got, tt.pod)
		}
	}
}

func podString(p *Pod) string {
	if p == nil {
		return ""
	}
	return p.Namespace + "/" + p.Name
}

func TestParseDaemonDataRoot(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{}`, ""},
		{`{"data-root":"/srv/docker","log-driver":"journald"}`, "/srv/docker"},
		{`{"graph":"/old/docker"}`, "/old/docker"},
	}
	for _, tt := range tests {
		if got, err := parseDaemonDataRoot([]byte(tt.in)); err != nil || got != tt.want {
			t.Errorf("parseDaemonDataRoot(%s) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := parseDaemonDataRoot([]byte(`{"data-root":`)); err == nil {
		t.Errorf("parseDaemonDataRoot(truncated): got no error")
	}
}

func TestParseContainerdBundle(t *testing.T) {
	ann := func(kv ...string) string {
		var b strings.Builder
		for i := 0; i < len(kv); i += 2 {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(`"` + kv[i] + `":"` + kv[i+1] + `"`)
		}
		return `{"annotations":{` + b.String() + `},"linux":{"cgroupsPath":"/default/web"}}`
	}
	tests := []struct {
		name, ns, id, in string
		cname, img, pod  string
		sandbox          bool
		sandboxID        string
		err              bool
	}{
		{name: "ctr", ns: "default", id: "web", in: `{"ociVersion":"1.0.2-dev","root":{"path":"rootfs"},"linux":{"cgroupsPath":"/default/web"}}`, cname: "web"},
		{name: "cri container", ns: "k8s.io", id: "c1", in: ann(criContainerType, "container", criContainerName, "nginx", criImageName, "nginx:1.25",
			criSandboxID, "s1", criSandboxName, "web", criSandboxNS, "shop", criSandboxUID, "u1"), cname: "nginx", img: "nginx:1.25", pod: "shop/web", sandboxID: "s1"},
		{name: "cri sandbox", ns: "k8s.io", id: "s1", in: ann(criContainerType, "sandbox", criSandboxName, "web", criSandboxNS, "shop", criSandboxUID, "u1"),
			cname: "web", pod: "shop/web", sandbox: true, sandboxID: "s1"},
		{name: "no annotations value", ns: "default", id: "x", in: `{"annotations":null}`, cname: "x"},
		{name: "no id", ns: "default", in: `{}`, err: true},
		{name: "garbage", ns: "default", id: "x", in: "\x00\x01", err: true},
	}
	for _, tt := range tests {
		r, err := parseContainerdBundle(tt.ns, tt.id, []byte(tt.in))
		if tt.err {
			if err == nil {
				t.Errorf("%s: got %+v; want an error", tt.name, r)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if r.Runtime != "containerd" || r.Namespace != tt.ns || r.ID != tt.id || r.Name != tt.cname || r.Image != tt.img ||
			r.Sandbox != tt.sandbox || r.SandboxID != tt.sandboxID || podString(r.Pod) != tt.pod {
			t.Errorf("%s: got %+v sandbox %q; want name %q image %q pod %q sandbox %v/%q", tt.name, r.Container, r.SandboxID, tt.cname, tt.img, tt.pod, tt.sandbox, tt.sandboxID)
		}
	}
}

func TestParseCRIOConfig(t *testing.T) {
	tests := []struct {
		name, in     string
		ok           bool
		cname, img   string
		pod          string
		sandbox      bool
		labelPodName string
		err          bool
	}{
		{name: "container", ok: true, in: `{"annotations":{"io.kubernetes.pod.name":"redis-0","io.kubernetes.pod.namespace":"default","io.kubernetes.pod.uid":"u","io.kubernetes.container.name":"redis","io.kubernetes.cri-o.ContainerType":"container","io.kubernetes.cri-o.ImageName":"redis:7.2","io.kubernetes.cri-o.Labels":"{\"io.kubernetes.pod.name\":\"redis-0\"}"}}`,
			cname: "redis", img: "redis:7.2", pod: "default/redis-0", labelPodName: "redis-0"},
		{name: "sandbox", ok: true, in: `{"annotations":{"io.kubernetes.pod.name":"redis-0","io.kubernetes.pod.namespace":"default","io.kubernetes.container.name":"POD","io.kubernetes.cri-o.ContainerType":"sandbox","io.kubernetes.cri-o.Labels":"not json"}}`,
			cname: "redis-0", pod: "default/redis-0", sandbox: true},
		{name: "podman", in: `{"annotations":{"io.container.manager":"libpod","io.podman.annotations.init":"FALSE"}}`},
		{name: "podman in a kube play pod", in: `{"annotations":{"io.container.manager":"libpod","io.kubernetes.pod.name":"x"}}`},
		{name: "not json", in: `[`, err: true},
	}
	for _, tt := range tests {
		r, ok, err := parseCRIOConfig("id1", []byte(tt.in))
		if tt.err != (err != nil) || ok != tt.ok {
			t.Errorf("%s: got ok %v, err %v; want ok %v, err %v", tt.name, ok, err, tt.ok, tt.err)
			continue
		}
		if !ok {
			continue
		}
		if r.Runtime != "crio" || r.Name != tt.cname || r.Image != tt.img || podString(r.Pod) != tt.pod || r.Sandbox != tt.sandbox || r.Labels["io.kubernetes.pod.name"] != tt.labelPodName {
			t.Errorf("%s: got %+v; want name %q image %q pod %q sandbox %v", tt.name, r.Container, tt.cname, tt.img, tt.pod, tt.sandbox)
		}
	}
}

func TestParseStorageContainers(t *testing.T) {
	in := `[{"id":"a1","names":["db","db-alias"],"image":"4b8b","metadata":"{\"image-name\":\"docker.io/library/postgres:16\",\"name\":\"db\"}"},
		{"id":"b2","names":[],"image":"5c9c","metadata":"{\"name\":\"meta-name\"}"},
		{"id":"c3","image":"6d0d","metadata":"not json"},
		{"names":["no-id"]}]`
	got, err := parseStorageContainers([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Container{
		{Runtime: "podman", ID: "a1", Name: "db", Image: "docker.io/library/postgres:16"},
		{Runtime: "podman", ID: "b2", Name: "meta-name", Image: "5c9c"},
		{Runtime: "podman", ID: "c3", Image: "6d0d"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d records; want %d", len(got), len(want))
	}
	for i := range want {
		g := got[i].Container
		if g.Runtime != want[i].Runtime || g.ID != want[i].ID || g.Name != want[i].Name || g.Image != want[i].Image {
			t.Errorf("record %d: got %+v; want %+v", i, g, want[i])
		}
	}
	for _, bad := range []string{`{}`, `[`, `[{"id":1}]`} {
		if _, err := parseStorageContainers([]byte(bad)); err == nil {
			t.Errorf("parseStorageContainers(%s): got no error", bad)
		}
	}
}

func TestParsePIDFile(t *testing.T) {
	tests := []struct {
		in   string
		want int
		err  bool
	}{
		{"4242", 4242, false},
		{"4242\n", 4242, false},
		{"", 0, true},
		{"0", 0, true},
		{"-1", 0, true},
		{"12a", 0, true},
	}
	for _, tt := range tests {
		got, err := parsePIDFile([]byte(tt.in))
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("parsePIDFile(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestSystemdCgroupPath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/default/web", "/default/web"},
		{"/docker/abc/", "/docker/abc"},
		{"kubepods-besteffort-pod1_2.slice:cri-containerd:abc", "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1_2.slice/cri-containerd-abc.scope"},
		{"machine.slice:libpod:abc", "/machine.slice/libpod-abc.scope"},
		{":docker:abc", "/system.slice/docker-abc.scope"},
		{"-.slice::abc", "/abc.scope"},
		{"system.slice:docker:", ""},
		{"web", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := systemdCgroupPath(tt.in); got != tt.want {
			t.Errorf("systemdCgroupPath(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestReadStateFileStaysInRoot(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret.json")
	if err := os.WriteFile(outside, []byte(`{"ID":"outside"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	root := hostfstest.New(t, map[string]string{
		"etc/real.json":                `{"ok":true}`,
		"var/lib/docker":               "-> /srv/docker", // absolute: the host's /srv
		"srv/docker/containers/x.json": `{"in":"root"}`,
		"etc/abs-escape.json":          "-> " + outside,
		"etc/up-escape":                "-> ../../../../../../../../..",
		"etc/last-link.json":           "-> real.json",
		"etc/loop":                     "-> loop",
	})
	if got, err := readStateFile(root, "/var/lib/docker/containers/x.json"); err != nil || string(got) != `{"in":"root"}` {
		t.Errorf("through an absolute directory link: got %q, %v; want the file inside the root", got, err)
	}
	// An absolute target means the host's /: the file is not there.
	if got, err := readStateFile(root, "/etc/abs-escape.json"); err == nil {
		t.Errorf("absolute escape: got %q; want an error", got)
	}
	// ".." stops at the host root.
	if got, err := readStateFile(root, "/etc/up-escape/etc/real.json"); err != nil || string(got) != `{"ok":true}` {
		t.Errorf("dot-dot escape: got %q, %v; want the root's /etc/real.json", got, err)
	}
	if _, err := readStateFile(root, "/etc/last-link.json"); err == nil {
		t.Errorf("symlink as last component: got no error")
	}
	if _, err := readStateFile(root, "/etc/loop/x"); err == nil {
		t.Errorf("symlink loop: got no error")
	}
	if _, err := readStateFile(root, "/etc"); err == nil {
		t.Errorf("directory: got no error")
	}
	for _, p := range []string{"/var/lib/docker/containers/x.json", "/etc/up-escape/etc/real.json"} {
		f, err := openInRootWalk(root, p, os.O_RDONLY|syscall.O_NOFOLLOW)
		if err != nil {
			t.Errorf("openInRootWalk(%q): %v", p, err)
			continue
		}
		f.Close()
	}
	if f, err := openInRootWalk(root, "/etc/abs-escape.json", os.O_RDONLY); err == nil {
		f.Close()
		t.Errorf("openInRootWalk(abs-escape): got no error")
	}
}

func TestReadStateFileLimits(t *testing.T) {
	root := hostfstest.New(t, map[string]string{"etc/": ""})
	big := root.Host("/etc/big.json")
	if err := os.WriteFile(big, make([]byte, maxStateFile+1), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readStateFile(root, "/etc/big.json"); !errors.Is(err, errTooLarge) {
		t.Errorf("oversized file: got %v; want %v", err, errTooLarge)
	}
	if err := syscall.Mkfifo(root.Host("/etc/fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A FIFO must not block the read.
	if _, err := readStateFile(root, "/etc/fifo"); err == nil {
		t.Errorf("fifo: got no error")
	}
}

func TestLoadRuntimesBadFiles(t *testing.T) {
	root := hostfstest.New(t, map[string]string{
		"etc/docker/daemon.json":                                               `{"data-root":"/data/docker"}`,
		"data/docker/containers/" + dockerA + "/config.v2.json":                `{"ID":`,
		"data/docker/containers/" + dockerB + "/config.v2.json":                `{"ID":"` + dockerB + `","Name":"/ok"}`,
		"data/docker/containers/not-an-id/config.v2.json":                      `{"ID":"x","Name":"/ignored"}`,
		"var/lib/docker/containers/" + dockerC + "/config.v2.json":             `{"ID":"` + dockerC + `","Name":"/stale-default-root"}`,
		"run/containerd/io.containerd.runtime.v2.task/default/web/config.json": `nope`,
		"var/lib/containers/storage/overlay-containers/containers.json":        `{}`,
	})
	rt := LoadRuntimes(root)
	all := rt.All()
	if len(all) != 1 || all[0].Name != "ok" {
		t.Errorf("All() = %v; want only docker ok", labels(all))
	}
	want := []string{"config.v2.json", "containerd", "containers.json"}
	if len(rt.Warnings) != len(want) {
		t.Fatalf("Warnings = %q; want %d", rt.Warnings, len(want))
	}
	for _, w := range want {
		found := false
		for _, got := range rt.Warnings {
			found = found || strings.Contains(got, w)
		}
		if !found {
			t.Errorf("Warnings = %q; want one about %s", rt.Warnings, w)
		}
	}
}

func labels(list []*Container) []string {
	var out []string
	for _, c := range list {
		out = append(out, c.Label())
	}
	return out
}

func TestLoadRuntimesFixtures(t *testing.T) {
	tests := []struct {
		fixture string
		want    []string // Label() of All(), sorted
	}{
		{"docker-v1", []string{"docker:old-job", "docker:sidecar", "docker:web-1"}},
		{"k8s-cri", []string{"containerd:api-0", "containerd:log-shipper", "containerd:nginx", "containerd:nginx", "containerd:web-7d9f8b6c5-x2x9q"}},
		{"crio", []string{"crio:init-db", "crio:redis", "crio:redis-0"}},
		{"podman", []string{"podman:cache", "podman:db"}},
	}
	for _, tt := range tests {
		rt := LoadRuntimes(hostfstest.Fixture(t, tt.fixture))
		if len(rt.Warnings) > 0 {
			t.Errorf("%s: Warnings = %q", tt.fixture, rt.Warnings)
		}
		if got := strings.Join(labels(rt.All()), " "); got != strings.Join(tt.want, " ") {
			t.Errorf("%s: All() = %s; want %s", tt.fixture, got, strings.Join(tt.want, " "))
		}
	}
}

func TestEnrichFixtures(t *testing.T) {
	const (
		criNginx = "abcd1234e5f60718293a4b5c6d7e8f90abcd1234e5f60718293a4b5c6d7e8f90"
		crioRD   = "4d2c1b0a99887766554433221100ffeeddccbbaa99887766554433221100ffee"
		podmanDB = "beef01a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e"
	)
	tests := []struct {
		fixture, cgroup               string
		runtime, name, image, ns, pod string
		podUID, qos                   string
		label                         string
	}{
		{fixture: "docker-v1", cgroup: "/docker/" + dockerA, runtime: "docker", name: "web-1", image: "nginx:1.25", label: "com.docker.compose.project=shop"},
		{fixture: "k8s-cri", cgroup: "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod6f1c2b3a_4d5e_4f60_8a9b_0c1d2e3f4a5b.slice/cri-containerd-" + criNginx + ".scope",
			runtime: "containerd", name: "nginx", image: "docker.io/library/nginx:1.25", ns: "k8s.io", pod: "shop/web-7d9f8b6c5-x2x9q", podUID: "6f1c2b3a-4d5e-4f60-8a9b-0c1d2e3f4a5b", qos: "burstable"},
		// kubelet's cgroupfs driver names no runtime; the state does.
		{fixture: "k8s-cri", cgroup: "/kubepods/burstable/pod6f1c2b3a-4d5e-4f60-8a9b-0c1d2e3f4a5b/" + criNginx,
			runtime: "containerd", name: "nginx", image: "docker.io/library/nginx:1.25", ns: "k8s.io", pod: "shop/web-7d9f8b6c5-x2x9q", podUID: "6f1c2b3a-4d5e-4f60-8a9b-0c1d2e3f4a5b", qos: "burstable"},
		{fixture: "crio", cgroup: "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1b2c3d4e_0000_4111_8222_333344445555.slice/crio-" + crioRD + ".scope",
			runtime: "crio", name: "redis", image: "docker.io/library/redis:7.2", pod: "default/redis-0", podUID: "1b2c3d4e-0000-4111-8222-333344445555", qos: "besteffort",
			label: "io.kubernetes.container.name=redis"},
		{fixture: "podman", cgroup: "/machine.slice/libpod-" + podmanDB + ".scope", runtime: "podman", name: "db", image: "docker.io/library/postgres:16"},
	}
	for _, tt := range tests {
		rt := LoadRuntimes(hostfstest.Fixture(t, tt.fixture))
		c := ContainerFromCgroup(tt.cgroup)
		if c == nil {
			t.Fatalf("ContainerFromCgroup(%q) = nil", tt.cgroup)
		}
		rt.Enrich(c)
		if c.Runtime != tt.runtime || c.Name != tt.name || c.Image != tt.image || c.Namespace != tt.ns || tt.pod != "" && podString(c.Pod) != tt.pod {
			t.Errorf("%s %s: got %+v pod %q; want runtime %s name %s image %s ns %q pod %q", tt.fixture, tt.cgroup, c, podString(c.Pod), tt.runtime, tt.name, tt.image, tt.ns, tt.pod)
		}
		if tt.pod == "" && c.Pod != nil {
			t.Errorf("%s: pod = %+v; want none", tt.fixture, c.Pod)
		}
		if tt.pod != "" && (c.Pod == nil || c.Pod.UID != tt.podUID || c.Pod.QoS != tt.qos) {
			t.Errorf("%s: pod = %+v; want uid %s qos %s", tt.fixture, c.Pod, tt.podUID, tt.qos)
		}
		if tt.label != "" {
			k, v, _ := strings.Cut(tt.label, "=")
			if c.Labels[k] != v {
				t.Errorf("%s: labels = %v; want %s", tt.fixture, c.Labels, tt.label)
			}
		}
		// Enrich keeps what the cgroup said and tolerates nil.
		rt.Enrich(nil)
		var none *Runtimes
		none.Enrich(c)
	}
}

func TestFromCgroupNonHexID(t *testing.T) {
	root := hostfstest.New(t, map[string]string{
		"run/containerd/io.containerd.runtime.v2.task/default/web/config.json": `{"linux":{"cgroupsPath":"/default/web"}}`,
		"run/containerd/io.containerd.runtime.v2.task/other/web/config.json":   `{"linux":{"cgroupsPath":"other.slice:ctr:web"}}`,
	})
	rt := LoadRuntimes(root)
	if c := ContainerFromCgroup("/default/web"); c != nil {
		t.Fatalf("ContainerFromCgroup(/default/web) = %+v; want nil (not an ID)", c)
	}
	for path, ns := range map[string]string{"/default/web": "default", "/other.slice/ctr-web.scope": "other"} {
		c := rt.FromCgroup(path)
		if c == nil || c.Runtime != "containerd" || c.ID != "web" || c.Name != "web" || c.Namespace != ns {
			t.Errorf("FromCgroup(%q) = %+v; want containerd web in %s", path, c, ns)
		}
	}
	if c := rt.FromCgroup("/user.slice"); c != nil {
		t.Errorf("FromCgroup(/user.slice) = %+v; want nil", c)
	}
}
