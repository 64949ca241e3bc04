package inspect

import "testing"

const (
	id1 = "3f2a9c0d1e4b5a69788796a5b4c3d2e1f0a9b8c7d6e5f40312233445566778899"
	id2 = "aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899"
)

func TestContainerFromCgroup(t *testing.T) {
	if len(id1) != 65 {
		// id1 is deliberately 65 chars: not an ID. Keep the guard honest.
		t.Fatalf("len(id1) = %d", len(id1))
	}
	tests := []struct {
		path                   string
		runtime, id, namespace string
		podUID, qos            string
	}{
		{path: "/docker/" + id2, runtime: "docker", id: id2},
		{path: "/system.slice/docker-" + id2 + ".scope", runtime: "docker", id: id2},
		{path: "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1b2c3d4e_0000_1111_2222_333344445555.slice/cri-containerd-" + id2 + ".scope",
			runtime: "containerd", id: id2, namespace: "k8s.io", podUID: "1b2c3d4e-0000-1111-2222-333344445555", qos: "burstable"},
		{path: "/kubepods.slice/kubepods-pod1b2c3d4e_0000_1111_2222_333344445555.slice/cri-containerd-" + id2 + ".scope",
			runtime: "containerd", id: id2, namespace: "k8s.io", podUID: "1b2c3d4e-0000-1111-2222-333344445555", qos: "guaranteed"},
		{path: "/kubepods/besteffort/pod1b2c3d4e-0000-1111-2222-333344445555/" + id2,
			runtime: "cri", id: id2, podUID: "1b2c3d4e-0000-1111-2222-333344445555", qos: "besteffort"},
		{path: "/kubepods/pod1b2c3d4e-0000-1111-2222-333344445555/" + id2,
			runtime: "cri", id: id2, podUID: "1b2c3d4e-0000-1111-2222-333344445555", qos: "guaranteed"},
		{path: "/default/" + id2, runtime: "containerd", id: id2, namespace: "default"},
		{path: "/k8s.io/" + id2, runtime: "containerd", id: id2, namespace: "k8s.io"},
		{path: "/system.slice/nerdctl-" + id2 + ".scope", runtime: "containerd", id: id2},
		{path: "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1b2c3d4e_0000_1111_2222_333344445555.slice/crio-" + id2 + ".scope",
			runtime: "crio", id: id2, podUID: "1b2c3d4e-0000-1111-2222-333344445555", qos: "besteffort"},
		{path: "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1b2c3d4e_0000_1111_2222_333344445555.slice/crio-conmon-" + id2 + ".scope"},
		{path: "/crio/crio-" + id2, runtime: "crio", id: id2},
		{path: "/machine.slice/libpod-" + id2 + ".scope", runtime: "podman", id: id2},
		{path: "/machine.slice/libpod-" + id2 + ".scope/container", runtime: "podman", id: id2},
		{path: "/machine.slice/libpod-conmon-" + id2 + ".scope"},
		{path: "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + id2 + ".scope", runtime: "podman", id: id2},
		{path: "/libpod_parent/libpod-" + id2, runtime: "podman", id: id2},
		{path: "/lxc.payload.web1", runtime: "lxc", id: "web1"},
		{path: "/machine.slice/machine-build\\x2dbox.scope", runtime: "nspawn", id: "build-box"},
		{path: "/ecs/task1/0123456789abcdef0123456789abcdef-4242", runtime: "ecs", id: "0123456789abcdef0123456789abcdef-4242"},
		{path: "/docker/" + id2 + " (deleted)", runtime: "docker", id: id2},
		// Not containers.
		{path: "/"},
		{path: "/user.slice/user-1000.slice/session-2.scope"},
		{path: "/system.slice/docker.service"},
		{path: "/" + id2},
		{path: "/docker/" + id1},
		{path: "/system.slice/var-lib-docker-overlay2-" + id2 + "-merged.mount"},
	}
	for _, tt := range tests {
		c := ContainerFromCgroup(tt.path)
		if tt.runtime == "" {
			if c != nil {
				t.Errorf("ContainerFromCgroup(%q) = %+v; want nil", tt.path, c)
			}
			continue
		}
		if c == nil {
			t.Errorf("ContainerFromCgroup(%q) = nil; want %s %s", tt.path, tt.runtime, tt.id)
			continue
		}
		if c.Runtime != tt.runtime || c.ID != tt.id || c.Namespace != tt.namespace {
			t.Errorf("ContainerFromCgroup(%q) = %s %s ns=%q; want %s %s ns=%q", tt.path, c.Runtime, c.ID, c.Namespace, tt.runtime, tt.id, tt.namespace)
		}
		gotUID, gotQoS := "", ""
		if c.Pod != nil {
			gotUID, gotQoS = c.Pod.UID, c.Pod.QoS
		}
		if gotUID != tt.podUID || gotQoS != tt.qos {
			t.Errorf("ContainerFromCgroup(%q) pod = %q %q; want %q %q", tt.path, gotUID, gotQoS, tt.podUID, tt.qos)
		}
	}
}

func TestContainerLabel(t *testing.T) {
	c := &Container{Runtime: "docker", ID: id2}
	if got, want := c.Label(), "docker:aabbccddeeff"; got != want {
		t.Errorf("Label() = %q; want %q", got, want)
	}
	c.Name = "web-1"
	if got, want := c.Label(), "docker:web-1"; got != want {
		t.Errorf("Label() = %q; want %q", got, want)
	}
	ctr := &Container{Runtime: "containerd", ID: "ctxtest1", Namespace: "ctxtest"}
	if got, want := ctr.Label(), "containerd:ctxtest/ctxtest1"; got != want {
		t.Errorf("Label() = %q; want %q", got, want)
	}
	var none *Container
	if got := none.Label(); got != "" {
		t.Errorf("nil Label() = %q; want empty", got)
	}
}
