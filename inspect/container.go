package inspect

import (
	"regexp"
	"strings"
	"sync"
)

// Container names what a process runs in. From a cgroup path alone only
// Runtime, ID, Namespace and Pod are known; the runtimes' state files add
// the rest.
type Container struct {
	Runtime string `json:"runtime"` // docker, containerd, cri, crio, podman, lxc, nspawn, ecs
	ID      string `json:"id"`
	Name    string `json:"name,omitempty"`
	// Namespace is the containerd namespace, when known.
	Namespace string            `json:"namespace,omitempty"`
	Image     string            `json:"image,omitempty"`
	Pod       *Pod              `json:"pod,omitempty"`
	Labels    map[string]string `json:"labels,omitempty"`
	// Sandbox marks a Kubernetes pod's sandbox (pause) container.
	Sandbox bool `json:"sandbox,omitempty"`
	// User runs the container with a rootless runtime (Podman in a
	// user's home); empty for the system's runtimes.
	User string `json:"user,omitempty"`
}

// Pod is the Kubernetes pod a container belongs to.
type Pod struct {
	UID       string `json:"uid,omitempty"`
	Name      string `json:"name,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	QoS       string `json:"qos,omitempty"`
}

// ShortID is the 12-character ID that docker ps shows.
func (c *Container) ShortID() string {
	if len(c.ID) > 12 && isHex(c.ID) {
		return c.ID[:12]
	}
	return c.ID
}

// Label is the CONTAINER column: runtime:name, or runtime:shortid when no
// name is known.
func (c *Container) Label() string {
	if c == nil {
		return ""
	}
	switch {
	case c.User != "":
		// Rootless names are only unique per user.
		name := c.Name
		if name == "" {
			name = c.ShortID()
		}
		return c.Runtime + ":" + name + " (" + c.User + ")"
	case c.Name != "":
		return c.Runtime + ":" + c.Name
	case c.Namespace != "":
		// containerd IDs are only unique within a namespace.
		return c.Runtime + ":" + c.Namespace + "/" + c.ShortID()
	}
	return c.Runtime + ":" + c.ShortID()
}

const hex64 = `([0-9a-f]{64})`

// leafRule matches the last component of a cgroup path.
type leafRule struct {
	re      *regexp.Regexp
	runtime string // "" means: a monitor, not a container
}

// cgroupPatterns are the container and pod shapes of cgroup paths
// (../shared/notes/cgroups.md §5). They are compiled on first use, not at
// start-up: the 64-hex repetitions cost most of a millisecond, which every
// ctx command (ctx enter most of all) would otherwise pay.
type cgroupPatterns struct {
	// leaf rules, monitors (conmon) first: they run beside a container,
	// not in it.
	leaf                                             []leafRule
	bareID, ecsID, lxcName, nspawn, podSlice, podDir *regexp.Regexp
}

var patterns = sync.OnceValue(func() *cgroupPatterns {
	return &cgroupPatterns{
		leaf: []leafRule{
			{regexp.MustCompile(`^crio-conmon-` + hex64 + `(?:\.scope)?$`), ""},
			{regexp.MustCompile(`^libpod-conmon-` + hex64 + `(?:\.scope)?$`), ""},
			{regexp.MustCompile(`^docker-` + hex64 + `\.scope$`), "docker"},
			{regexp.MustCompile(`^cri-containerd-` + hex64 + `\.scope$`), "containerd"},
			{regexp.MustCompile(`^nerdctl-` + hex64 + `\.scope$`), "containerd"},
			{regexp.MustCompile(`^crio-` + hex64 + `(?:\.scope)?$`), "crio"},
			{regexp.MustCompile(`^libpod-` + hex64 + `(?:\.scope)?$`), "podman"},
		},
		bareID:   regexp.MustCompile(`^` + hex64 + `$`),
		ecsID:    regexp.MustCompile(`^([0-9a-f]{32}-[0-9]+)$`),
		lxcName:  regexp.MustCompile(`^lxc\.payload\.(.+)$`),
		nspawn:   regexp.MustCompile(`^machine-(.+)\.scope$`),
		podSlice: regexp.MustCompile(`^kubepods(?:-(besteffort|burstable))?-pod([0-9a-f]{8}(?:_[0-9a-f]{4}){3}_[0-9a-f]{12})\.slice$`),
		podDir:   regexp.MustCompile(`^pod([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$`),
	}
})

// ContainerFromCgroup names the container a cgroup path belongs to, or
// returns nil. The path is one from /proc/PID/cgroup; the same path appears
// in every v1 hierarchy and in v2.
func ContainerFromCgroup(path string) *Container {
	path = strings.TrimSuffix(path, " (deleted)")
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) == 0 || parts[0] == "" {
		return nil
	}
	// Podman may put the payload in a child "container" of its scope.
	if len(parts) > 1 && parts[len(parts)-1] == "container" {
		parts = parts[:len(parts)-1]
	}
	leaf := parts[len(parts)-1]
	parent := ""
	if len(parts) > 1 {
		parent = parts[len(parts)-2]
	}
	c := containerFromLeaf(leaf, parent)
	if c == nil {
		return nil
	}
	c.Pod = podFromPath(parts[:len(parts)-1])
	if c.Pod != nil && c.Runtime == "containerd" && c.Namespace == "" {
		c.Namespace = "k8s.io"
	}
	return c
}

func containerFromLeaf(leaf, parent string) *Container {
	pat := patterns()
	for _, r := range pat.leaf {
		if m := r.re.FindStringSubmatch(leaf); m != nil {
			if r.runtime == "" {
				return nil
			}
			return &Container{Runtime: r.runtime, ID: m[1]}
		}
	}
	if m := pat.bareID.FindStringSubmatch(leaf); m != nil {
		switch {
		case parent == "docker":
			return &Container{Runtime: "docker", ID: m[1]}
		case pat.podDir.MatchString(parent) || pat.podSlice.MatchString(parent):
			// kubelet's cgroupfs driver does not say which CRI runtime.
			return &Container{Runtime: "cri", ID: m[1]}
		case parent != "":
			// containerd without CRI puts tasks under /<namespace>/<id>.
			return &Container{Runtime: "containerd", ID: m[1], Namespace: parent}
		}
		return nil
	}
	if m := pat.ecsID.FindStringSubmatch(leaf); m != nil && parent != "" {
		return &Container{Runtime: "ecs", ID: m[1]}
	}
	if m := pat.lxcName.FindStringSubmatch(leaf); m != nil {
		return &Container{Runtime: "lxc", ID: m[1], Name: m[1]}
	}
	if m := pat.nspawn.FindStringSubmatch(leaf); m != nil && parent == "machine.slice" && !strings.HasPrefix(m[1], "libpod") {
		name := unescapeSystemd(m[1])
		return &Container{Runtime: "nspawn", ID: name, Name: name}
	}
	return nil
}

// podFromPath finds the Kubernetes pod among the ancestors of a container's
// cgroup, for both kubelet cgroup drivers.
func podFromPath(ancestors []string) *Pod {
	pat := patterns()
	for i := len(ancestors) - 1; i >= 0; i-- {
		a := ancestors[i]
		if m := pat.podSlice.FindStringSubmatch(a); m != nil {
			qos := m[1]
			if qos == "" {
				qos = "guaranteed"
			}
			return &Pod{UID: strings.ReplaceAll(m[2], "_", "-"), QoS: qos}
		}
		if m := pat.podDir.FindStringSubmatch(a); m != nil {
			qos := "guaranteed"
			if i > 0 && (ancestors[i-1] == "burstable" || ancestors[i-1] == "besteffort") {
				qos = ancestors[i-1]
			}
			return &Pod{UID: m[1], QoS: qos}
		}
	}
	return nil
}

// unescapeSystemd undoes systemd's unit-name escaping (\x2d for '-').
func unescapeSystemd(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] == 'x' {
			if v, ok := hexByte(s[i+2 : i+4]); ok {
				b.WriteByte(v)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func hexByte(s string) (byte, bool) {
	var v byte
	for _, c := range []byte(s) {
		v <<= 4
		switch {
		case c >= '0' && c <= '9':
			v |= c - '0'
		case c >= 'a' && c <= 'f':
			v |= c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v |= c - 'A' + 10
		default:
			return 0, false
		}
	}
	return v, true
}

func isHex(s string) bool {
	for _, c := range []byte(s) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
