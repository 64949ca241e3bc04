package inspect

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// stateRecord is one container as a runtime's state files describe it.
type stateRecord struct {
	Container
	// PID is the init PID the state names (Docker's State.Pid, a bundle's
	// init.pid, conmon's pidfile); 0 when unknown or stopped. It is only
	// trusted when a process of the container's cgroup has it.
	PID int
	// CgroupPath is the OCI bundle's linux.cgroupsPath as written: a path
	// for the cgroupfs driver, "slice:prefix:name" for the systemd one.
	CgroupPath string
	// SandboxID is the ID of the pod sandbox a Kubernetes container
	// belongs to (its own ID for a sandbox).
	SandboxID string
}

var errNoID = errors.New("no container ID")

// dockerConfig is the part of Docker's containers/<id>/config.v2.json
// (moby daemon/container.Container) that names a container.
type dockerConfig struct {
	ID    string
	Name  string
	Image string // sha256:…, the image ID
	State struct {
		Running bool
		Pid     int
	}
	Config struct {
		Image  string // the reference the user asked for
		Labels map[string]string
	}
}

// parseDockerConfig parses Docker's config.v2.json.
func parseDockerConfig(data []byte) (*stateRecord, error) {
	var dc dockerConfig
	if err := json.Unmarshal(data, &dc); err != nil {
		return nil, err
	}
	if dc.ID == "" {
		return nil, errNoID
	}
	r := &stateRecord{Container: Container{
		Runtime: "docker",
		ID:      dc.ID,
		Name:    strings.TrimPrefix(dc.Name, "/"),
		Image:   dc.Config.Image,
		Labels:  dc.Config.Labels,
	}}
	if r.Image == "" {
		r.Image = dc.Image
	}
	if dc.State.Running {
		r.PID = dc.State.Pid
	}
	// Containers started by kubelet's dockershim carry their pod in labels.
	l := dc.Config.Labels
	if name := l["io.kubernetes.pod.name"]; name != "" {
		r.Pod = &Pod{Name: name, Namespace: l["io.kubernetes.pod.namespace"], UID: l["io.kubernetes.pod.uid"]}
		r.Sandbox = l["io.kubernetes.docker.type"] == "podsandbox"
	}
	return r, nil
}

// parseDaemonDataRoot returns the data-root of /etc/docker/daemon.json
// ("graph" before Docker 17.05), or "" when it is not set.
func parseDaemonDataRoot(data []byte) (string, error) {
	var d struct {
		DataRoot string `json:"data-root"`
		Graph    string `json:"graph"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return "", err
	}
	if d.DataRoot != "" {
		return d.DataRoot, nil
	}
	return d.Graph, nil
}

// ociSpec is the part of an OCI runtime bundle's config.json
// (opencontainers/runtime-spec config.md) that names a container.
type ociSpec struct {
	Annotations map[string]string `json:"annotations"`
	Linux       struct {
		CgroupsPath string `json:"cgroupsPath"`
	} `json:"linux"`
}

// CRI annotations written by containerd's CRI plugin
// (containerd/containerd pkg/cri/annotations).
const (
	criContainerType  = "io.kubernetes.cri.container-type"
	criContainerName  = "io.kubernetes.cri.container-name"
	criImageName      = "io.kubernetes.cri.image-name"
	criSandboxID      = "io.kubernetes.cri.sandbox-id"
	criSandboxName    = "io.kubernetes.cri.sandbox-name"
	criSandboxNS      = "io.kubernetes.cri.sandbox-namespace"
	criSandboxUID     = "io.kubernetes.cri.sandbox-uid"
	criTypeSandbox    = "sandbox"
	crioContainerType = "io.kubernetes.cri-o.ContainerType"
)

// parseContainerdBundle parses the config.json of a containerd task bundle,
// io.containerd.runtime.v2.task/<ns>/<id>/config.json. Kubernetes CRI
// containers are named by their io.kubernetes.cri.* annotations; any other
// container by its ID, as `ctr` names it.
func parseContainerdBundle(ns, id string, data []byte) (*stateRecord, error) {
	if id == "" {
		return nil, errNoID
	}
	var spec ociSpec
	if err := json.Unmarshal(data, &spec); err != nil {
		return nil, err
	}
	a := spec.Annotations
	r := &stateRecord{
		Container:  Container{Runtime: "containerd", ID: id, Name: id, Namespace: ns},
		CgroupPath: spec.Linux.CgroupsPath,
	}
	if typ := a[criContainerType]; typ != "" {
		r.Pod = &Pod{Name: a[criSandboxName], Namespace: a[criSandboxNS], UID: a[criSandboxUID]}
		r.SandboxID = a[criSandboxID]
		r.Image = a[criImageName]
		if typ == criTypeSandbox {
			r.Sandbox = true
			r.Name = r.Pod.Name
			if r.SandboxID == "" {
				r.SandboxID = id
			}
		} else if n := a[criContainerName]; n != "" {
			r.Name = n
		}
	}
	return r, nil
}

// parseCRIOConfig parses the userdata/config.json CRI-O keeps per container
// in containers/storage (cri-o/cri-o pkg/annotations). ok is false when the
// bundle is not CRI-O's: Podman writes the same file, without Kubernetes
// annotations.
func parseCRIOConfig(id string, data []byte) (r *stateRecord, ok bool, err error) {
	if id == "" {
		return nil, false, errNoID
	}
	var spec ociSpec
	if err := json.Unmarshal(data, &spec); err != nil {
		return nil, false, err
	}
	a := spec.Annotations
	pod := a["io.kubernetes.pod.name"]
	if pod == "" || a["io.container.manager"] == "libpod" {
		return nil, false, nil
	}
	r = &stateRecord{
		Container: Container{
			Runtime: "crio",
			ID:      id,
			Name:    a["io.kubernetes.container.name"],
			Image:   a["io.kubernetes.cri-o.ImageName"],
			Pod:     &Pod{Name: pod, Namespace: a["io.kubernetes.pod.namespace"], UID: a["io.kubernetes.pod.uid"]},
		},
		CgroupPath: spec.Linux.CgroupsPath,
		SandboxID:  a["io.kubernetes.cri-o.SandboxID"],
	}
	if a[crioContainerType] == criTypeSandbox || r.Name == "POD" {
		r.Sandbox = true
		r.Name = pod
		if r.SandboxID == "" {
			r.SandboxID = id
		}
	}
	if r.Image == "" {
		r.Image = a["io.kubernetes.cri-o.Image"]
	}
	if lbl := a["io.kubernetes.cri-o.Labels"]; lbl != "" {
		// A JSON object in a string; a bad one only loses the labels.
		_ = json.Unmarshal([]byte(lbl), &r.Labels)
	}
	return r, true, nil
}

// storageContainer is one entry of containers/storage's
// overlay-containers/containers.json (containers/storage containers.go).
type storageContainer struct {
	ID       string   `json:"id"`
	Names    []string `json:"names"`
	Image    string   `json:"image"`
	Layer    string   `json:"layer"`
	Metadata string   `json:"metadata"`
}

// parseStorageContainers parses containers/storage's containers.json, which
// Podman, Buildah and CRI-O share. Names and image come from there; the
// image reference is in the metadata string Podman writes (libpod
// RuntimeContainerMetadata). Every entry is returned as podman; CRI-O's own
// state overrides its entries.
func parseStorageContainers(data []byte) ([]*stateRecord, error) {
	var list []storageContainer
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, err
	}
	out := make([]*stateRecord, 0, len(list))
	for _, sc := range list {
		if sc.ID == "" {
			continue
		}
		r := &stateRecord{Container: Container{Runtime: "podman", ID: sc.ID, Image: sc.Image}}
		if len(sc.Names) > 0 {
			r.Name = sc.Names[0]
		}
		var md struct {
			ImageName string `json:"image-name"`
			Name      string `json:"name"`
		}
		if sc.Metadata != "" && json.Unmarshal([]byte(sc.Metadata), &md) == nil {
			if md.ImageName != "" {
				r.Image = md.ImageName
			}
			if r.Name == "" {
				r.Name = md.Name
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// parsePIDFile parses a file holding one PID: a bundle's init.pid or
// conmon's pidfile.
func parsePIDFile(data []byte) (int, error) {
	s := strings.TrimSpace(string(data))
	pid, err := strconv.Atoi(s)
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("not a PID: %q", s)
	}
	return pid, nil
}

// systemdCgroupPath expands the systemd driver's "slice:prefix:name"
// cgroupsPath (runc libcontainer/cgroups/systemd) to a cgroup path:
// "kubepods-besteffort-pod1.slice:cri-containerd:ID" becomes
// "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-containerd-ID.scope".
// A cgroupfs path is returned cleaned; "" when s is neither.
func systemdCgroupPath(s string) string {
	if strings.HasPrefix(s, "/") {
		return strings.TrimRight(s, "/")
	}
	parts := strings.Split(s, ":")
	if len(parts) != 3 || parts[2] == "" {
		return ""
	}
	slice, prefix, name := parts[0], parts[1], parts[2]
	if slice == "" {
		slice = "system.slice" // runc's default
	}
	var p strings.Builder
	if slice != "-.slice" {
		base := strings.TrimSuffix(slice, ".slice")
		words := strings.Split(base, "-")
		for i := range words {
			p.WriteString("/" + strings.Join(words[:i+1], "-") + ".slice")
		}
	}
	unit := name
	if !strings.HasSuffix(name, ".slice") {
		if prefix != "" {
			unit = prefix + "-" + name
		}
		unit += ".scope"
	}
	p.WriteString("/" + unit)
	return p.String()
}
