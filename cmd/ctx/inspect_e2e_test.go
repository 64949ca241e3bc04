package main_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

// inspection is the part of `ctx inspect -o json` these tests read.
type inspection struct {
	Container struct {
		Runtime string `json:"runtime"`
		ID      string `json:"id"`
		Name    string `json:"name"`
		Image   string `json:"image"`
	} `json:"container"`
	PIDs struct {
		Host int `json:"host"`
		Init int `json:"init"`
	} `json:"pids"`
	Namespaces []struct {
		Type           string `json:"type"`
		SharedWithHost *bool  `json:"sharedWithHost"`
	} `json:"namespaces"`
	Cgroup *struct {
		Effective struct {
			Memory *struct {
				Unlimited bool    `json:"unlimited"`
				Max       *uint64 `json:"max"`
			} `json:"memory"`
			PIDs *struct {
				Unlimited bool    `json:"unlimited"`
				Max       *uint64 `json:"max"`
			} `json:"pids"`
		} `json:"effective"`
	} `json:"cgroup"`
	Security struct {
		Privileged   bool `json:"privileged"`
		Capabilities struct {
			Effective struct {
				Names []string `json:"names"`
			} `json:"effective"`
		} `json:"capabilities"`
		Confinement struct {
			Seccomp string `json:"seccomp"`
		} `json:"confinement"`
		Exposures []struct {
			Kind       string `json:"kind"`
			MountPoint string `json:"mountPoint"`
		} `json:"exposures"`
	} `json:"security"`
	Network []struct {
		Name string `json:"name"`
		Peer *struct {
			Name   string `json:"name"`
			Master string `json:"master"`
		} `json:"peer"`
	} `json:"network"`
	Findings []struct {
		Severity string `json:"severity"`
		Check    string `json:"check"`
	} `json:"findings"`
}

func (in *inspection) finding(check string) bool {
	for _, f := range in.Findings {
		if f.Check == check {
			return true
		}
	}
	return false
}

func (in *inspection) cap(name string) bool {
	for _, c := range in.Security.Capabilities.Effective.Names {
		if c == name {
			return true
		}
	}
	return false
}

func (in *inspection) shared(typ string) bool {
	for _, ns := range in.Namespaces {
		if ns.Type == typ {
			return ns.SharedWithHost != nil && *ns.SharedWithHost
		}
	}
	return false
}

// inspectContainer runs a container with args and returns ctx's inspection
// of it by name, with ctx's exit code, after checking identity against
// docker inspect.
func inspectContainer(t *testing.T, args ...string) (*inspection, int) {
	t.Helper()
	name := fmt.Sprintf("ctxe2e-%d-%s", os.Getpid(), strings.ReplaceAll(strings.ToLower(t.Name()), "/", "-"))
	id := hostfstest.DockerRun(t, append(append([]string{"--name", name}, args...), hostfstest.TestImage(t))...)
	out, errOut, code := ctxRun(t, nil, "inspect", "--check", name, "-o", "json")
	if code != 0 && code != 3 {
		t.Fatalf("ctx inspect: exit %d: %s", code, errOut)
	}
	var doc struct{ Item inspection }
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("ctx inspect -o json: %v\n%s", err, out)
	}
	in := &doc.Item
	pid, _ := strconv.Atoi(hostfstest.Docker(t, "inspect", "-f", "{{.State.Pid}}", id))
	image := hostfstest.Docker(t, "inspect", "-f", "{{.Config.Image}}", id)
	if in.Container.ID != id || in.Container.Name != name || in.Container.Runtime != "docker" ||
		in.Container.Image != image || in.PIDs.Host != pid || in.PIDs.Init != pid {
		t.Errorf("identity %+v pids %+v; docker inspect says id %s name %s image %s pid %d",
			in.Container, in.PIDs, id[:12], name, image, pid)
	}
	return in, code
}

func TestInspectDockerE2E(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	hostfstest.RequireDocker(t)

	t.Run("default", func(t *testing.T) {
		in, _ := inspectContainer(t)
		if in.Security.Confinement.Seccomp != "filter" || in.finding("no-seccomp") {
			t.Errorf("default container: seccomp %q, no-seccomp finding %v", in.Security.Confinement.Seccomp, in.finding("no-seccomp"))
		}
		if !in.finding("no-memory-limit") || in.shared("net") || in.shared("pid") {
			t.Errorf("default container: findings %+v namespaces %+v", in.Findings, in.Namespaces)
		}
		var eth0 bool
		for _, i := range in.Network {
			eth0 = eth0 || (i.Name == "eth0" && i.Peer != nil && strings.HasPrefix(i.Peer.Name, "veth") && i.Peer.Master == "docker0")
		}
		if !eth0 {
			t.Errorf("eth0 with its host-side veth on docker0 missing: %+v", in.Network)
		}
	})
	t.Run("caps", func(t *testing.T) {
		in, code := inspectContainer(t, "--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN", "--cap-add", "SYS_PTRACE")
		for _, c := range []string{"cap_sys_admin", "cap_net_admin", "cap_sys_ptrace"} {
			if !in.cap(c) {
				t.Errorf("effective set lacks %s: %v", c, in.Security.Capabilities.Effective.Names)
			}
		}
		for _, f := range []string{"cap-sys-admin", "cap-net-admin", "cap-sys-ptrace"} {
			if !in.finding(f) {
				t.Errorf("no %s finding: %+v", f, in.Findings)
			}
		}
		if code != 3 || in.Security.Privileged {
			t.Errorf("exit %d privileged %v; want 3 and false", code, in.Security.Privileged)
		}
	})
	t.Run("cap-drop-all", func(t *testing.T) {
		in, _ := inspectContainer(t, "--cap-drop", "ALL")
		if len(in.Security.Capabilities.Effective.Names) != 0 {
			t.Errorf("effective = %v; want none", in.Security.Capabilities.Effective.Names)
		}
		for _, f := range in.Findings {
			if strings.HasPrefix(f.Check, "cap-") || f.Check == "privileged" {
				t.Errorf("capability finding with no capabilities: %+v", f)
			}
		}
	})
	t.Run("seccomp-unconfined", func(t *testing.T) {
		in, code := inspectContainer(t, "--security-opt", "seccomp=unconfined")
		if in.Security.Confinement.Seccomp != "disabled" || !in.finding("no-seccomp") || code != 3 {
			t.Errorf("seccomp %q, no-seccomp %v, exit %d", in.Security.Confinement.Seccomp, in.finding("no-seccomp"), code)
		}
	})
	t.Run("pid-host", func(t *testing.T) {
		in, _ := inspectContainer(t, "--pid", "host")
		if !in.shared("pid") || !in.finding("host-pid-ns") {
			t.Errorf("pid shared %v, host-pid-ns %v", in.shared("pid"), in.finding("host-pid-ns"))
		}
	})
	t.Run("network-host", func(t *testing.T) {
		in, _ := inspectContainer(t, "--network", "host")
		if !in.shared("net") || !in.finding("host-net-ns") || len(in.Network) != 0 {
			t.Errorf("net shared %v, host-net-ns %v, interfaces %+v", in.shared("net"), in.finding("host-net-ns"), in.Network)
		}
	})
	t.Run("docker-sock", func(t *testing.T) {
		in, code := inspectContainer(t, "-v", "/var/run/docker.sock:/var/run/docker.sock")
		var exposed bool
		for _, e := range in.Security.Exposures {
			exposed = exposed || (e.Kind == "runtime-socket" && e.MountPoint == "/var/run/docker.sock")
		}
		if !exposed || !in.finding("docker-sock") || code != 3 {
			t.Errorf("exposed %v, docker-sock %v, exit %d", exposed, in.finding("docker-sock"), code)
		}
	})
	t.Run("limits", func(t *testing.T) {
		in, _ := inspectContainer(t, "--memory", "64m", "--pids-limit", "50")
		eff := in.Cgroup.Effective
		if eff.Memory == nil || eff.Memory.Max == nil || *eff.Memory.Max != 64<<20 || eff.PIDs == nil || eff.PIDs.Max == nil || *eff.PIDs.Max != 50 {
			t.Errorf("effective limits %+v; want 64 MiB and 50 pids", eff)
		}
		if in.finding("no-memory-limit") || in.finding("no-pids-limit") {
			t.Errorf("limit findings despite limits: %+v", in.Findings)
		}
	})
	t.Run("privileged", func(t *testing.T) {
		// dockerd on some VMs lacks CAP_SYS_RESOURCE, so --privileged
		// fails; the caps case above covers the capability findings there.
		if _, err := dockerTry("run", "--rm", "--privileged", hostfstest.TestImage(t), "true"); err != nil {
			t.Logf("--privileged does not work on this host (%v); covered by the caps case", err)
			return
		}
		in, code := inspectContainer(t, "--privileged")
		if !in.Security.Privileged || !in.finding("privileged") || code != 3 {
			t.Errorf("privileged %v, finding %v, exit %d", in.Security.Privileged, in.finding("privileged"), code)
		}
	})
}
