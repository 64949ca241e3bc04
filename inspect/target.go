package inspect

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// Target is what a TARGET argument resolved to.
type Target struct {
	// Kind is pid, container, pod, netns or nsfs.
	Kind string `json:"kind"`
	// PID is the process to look at: the PID itself, or a container's init
	// as seen from the host (the PID its runtime recorded, else its lowest
	// PID); for a pod, its sandbox's. Zero for nsfs paths.
	PID int `json:"pid,omitempty"`
	// PIDs are every process of the container, or of all of the pod's
	// containers.
	PIDs      []int      `json:"pids,omitempty"`
	Container *Container `json:"container,omitempty"`
	// Containers are a pod's containers, sandbox first, running or not.
	Containers []*Container `json:"containers,omitempty"`
	// Path is the nsfs file of a netns/NAME or path target, openable here.
	Path string `json:"path,omitempty"`
}

// ErrNotRunning means a TARGET names a container or pod the runtimes'
// state knows, but no process runs in it.
var ErrNotRunning = errors.New("inspect: not running")

// NotRunningError says which container or pod is not running.
type NotRunningError struct {
	// What is "container NAME (runtime ID)" or "pod NAMESPACE/NAME".
	What      string
	Container *Container
}

func (e *NotRunningError) Error() string { return e.What + " is not running" }

// Unwrap lets callers test errors.Is(err, ErrNotRunning).
func (e *NotRunningError) Unwrap() error { return ErrNotRunning }

// Resolve turns a TARGET into a Target. It accepts a PID; a container name,
// full ID or unique ID prefix of any runtime (containerd's also as
// NAMESPACE/ID); pod/NAMESPACE/NAME[/CONTAINER]; netns/NAME
// (/run/netns/NAME); or a path to an nsfs file. Every command resolves its
// TARGET here. Runtime state is read only for container and pod targets;
// use Runtimes.Resolve to share it with other lookups of the same run.
func Resolve(root hostfs.Root, spec string) (*Target, error) {
	return resolve(root, nil, spec)
}

// Resolve is the package-level Resolve over runtime state already loaded.
func (r *Runtimes) Resolve(spec string) (*Target, error) {
	return resolve(r.root, r, spec)
}

func resolve(root hostfs.Root, rt *Runtimes, spec string) (*Target, error) {
	load := func() *Runtimes {
		if rt == nil {
			rt = LoadRuntimes(root)
		}
		return rt
	}
	switch {
	case spec == "":
		return nil, fmt.Errorf("%w: empty target", ErrNotFound)
	case isDigits(spec):
		pid, err := strconv.Atoi(spec)
		if err != nil || pid <= 0 {
			return nil, fmt.Errorf("%w: no process %s", ErrNotFound, spec)
		}
		if _, err := os.Stat(root.PID(pid)); err != nil {
			return nil, fmt.Errorf("%w: no process %d", ErrNotFound, pid)
		}
		return &Target{Kind: "pid", PID: pid, PIDs: []int{pid}}, nil
	case strings.HasPrefix(spec, "netns/"):
		name := strings.TrimPrefix(spec, "netns/")
		if name == "" || name == "." || name == ".." || strings.Contains(name, "/") {
			return nil, fmt.Errorf("%w: bad network namespace name %q", ErrNotFound, name)
		}
		p := root.Host("/run/netns/" + name)
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("%w: no network namespace %q (looked for %q)", ErrNotFound, spec, p)
		}
		return &Target{Kind: "netns", Path: p}, nil
	case strings.HasPrefix(spec, "pod/"):
		return load().resolvePod(spec)
	case strings.HasPrefix(spec, "/"):
		_, err := os.Stat(spec)
		if err == nil {
			return &Target{Kind: "nsfs", Path: spec}, nil
		}
		// Docker shows names with a leading slash: "/web-1".
		if strings.Count(spec, "/") == 1 && len(spec) > 1 {
			if t, cerr := load().resolveContainer(spec); !errors.Is(cerr, ErrNotFound) {
				return t, cerr
			}
		}
		return nil, fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return load().resolveContainer(spec)
}

// Containers lists every container of the host: those with processes,
// found by their cgroups and joined by ID with the runtimes' state, then
// those only the state knows (stopped, or their processes gone), with no
// PIDs. Sorted by runtime, namespace, name and ID.
func (r *Runtimes) Containers() ([]*Target, error) {
	byKey, err := r.containersByID()
	if err != nil {
		return nil, err
	}
	used := map[*stateRecord]bool{}
	out := make([]*Target, 0, len(byKey)+len(r.records))
	for _, t := range byKey {
		if rec := r.enrich(t.Container); rec != nil {
			used[rec] = true
			if rec.PID > 0 && containsInt(t.PIDs, rec.PID) {
				t.PID = rec.PID
			}
		}
		out = append(out, t)
	}
	for _, rec := range r.records {
		if !used[rec] {
			out = append(out, &Target{Kind: "container", Container: copyContainer(&rec.Container)})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return containerLess(out[i].Container, out[j].Container) })
	return out, nil
}

// RunningContainers lists every container that has a process, named from
// the runtimes' state; see Runtimes.Containers.
func RunningContainers(root hostfs.Root) ([]*Target, error) {
	return LoadRuntimes(root).RunningContainers()
}

// RunningContainers is Containers without those that have no process.
func (r *Runtimes) RunningContainers() ([]*Target, error) {
	all, err := r.Containers()
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, t := range all {
		if len(t.PIDs) > 0 {
			out = append(out, t)
		}
	}
	return out, nil
}

// containersByID groups the processes of the host by container, keyed by
// containerd namespace and ID.
func (r *Runtimes) containersByID() (map[string]*Target, error) {
	root := r.root
	pids, err := root.PIDs()
	if err != nil {
		return nil, err
	}
	sort.Ints(pids)
	out := map[string]*Target{}
	for _, pid := range pids {
		data, err := hostfs.ReadFile(root.PID(pid, "cgroup"))
		if err != nil {
			continue
		}
		c := containerFromCgroupFile(data)
		if c == nil {
			// An ID that is not 64 hex digits: known by its bundle's cgroupsPath.
			c = r.fromCgroupFile(data)
		}
		if c == nil {
			continue
		}
		key := c.Namespace + "/" + c.ID
		t := out[key]
		if t == nil {
			t = &Target{Kind: "container", PID: pid, Container: c}
			out[key] = t
		}
		t.PIDs = append(t.PIDs, pid)
	}
	return out, nil
}

// resolveContainer matches spec as Docker does: full ID first (or
// containerd's NAMESPACE/ID), then name, then unique ID prefix.
func (r *Runtimes) resolveContainer(spec string) (*Target, error) {
	all, err := r.Containers()
	if err != nil {
		return nil, err
	}
	var byID, byName, byPrefix []*Target
	name := strings.TrimPrefix(spec, "/")
	for _, t := range all {
		c := t.Container
		switch {
		case c.ID == spec || c.Namespace != "" && c.Namespace+"/"+c.ID == spec:
			byID = append(byID, t)
		case c.Name != "" && c.Name == name:
			byName = append(byName, t)
		case strings.HasPrefix(c.ID, spec):
			byPrefix = append(byPrefix, t)
		}
	}
	// A pod's sandbox carries the pod's name; a container of that name wins.
	if len(byName) > 1 {
		var nonSandbox []*Target
		for _, t := range byName {
			if !t.Container.Sandbox {
				nonSandbox = append(nonSandbox, t)
			}
		}
		if len(nonSandbox) > 0 {
			byName = nonSandbox
		}
	}
	for _, set := range [][]*Target{byID, byName, byPrefix} {
		switch len(set) {
		case 0:
			continue
		case 1:
			return running(set[0])
		}
		return nil, ambiguous(spec, set)
	}
	return nil, fmt.Errorf("%w: no process, container or namespace matches %q", ErrNotFound, spec)
}

// running returns t, or a NotRunningError when it has no process.
func running(t *Target) (*Target, error) {
	if len(t.PIDs) > 0 {
		return t, nil
	}
	c := t.Container
	what := "container " + c.ShortID()
	if c.Name != "" && c.Name != c.ID {
		what = "container " + c.Name + " (" + c.Runtime + " " + c.ShortID() + ")"
	}
	return nil, &NotRunningError{What: what, Container: c}
}

// ambiguous lists candidates as "runtime name id12", naming containerd's
// namespace, so the user can pick one by ID.
func ambiguous(spec string, set []*Target) error {
	amb := &AmbiguousError{Target: spec}
	for _, t := range set {
		c := t.Container
		name := c.Name
		if name == "" {
			name = "-"
		}
		line := c.Runtime + " " + name + " " + c.ShortID()
		if c.Runtime == "containerd" && c.Namespace != "" {
			line += " (namespace " + c.Namespace + ")"
		}
		if len(t.PIDs) == 0 {
			line += " (not running)"
		}
		amb.Candidates = append(amb.Candidates, line)
	}
	sort.Strings(amb.Candidates)
	return amb
}

// resolvePod resolves pod/NAMESPACE/NAME[/CONTAINER] from the pods' state
// (containerd CRI annotations, CRI-O annotations, dockershim labels).
func (r *Runtimes) resolvePod(spec string) (*Target, error) {
	parts := strings.Split(strings.TrimPrefix(spec, "pod/"), "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" || len(parts) == 3 && parts[2] == "" {
		return nil, fmt.Errorf("%w: %q: want pod/NAMESPACE/NAME[/CONTAINER]", ErrNotFound, spec)
	}
	ns, name := parts[0], parts[1]
	all, err := r.Containers()
	if err != nil {
		return nil, err
	}
	var members []*Target
	for _, t := range all {
		if p := t.Container.Pod; p != nil && p.Namespace == ns && p.Name == name {
			members = append(members, t)
		}
	}
	if len(members) == 0 {
		return nil, fmt.Errorf("%w: no pod %s/%s in the runtimes' state", ErrNotFound, ns, name)
	}
	// Sandbox first, then running before exited, then by name.
	sort.SliceStable(members, func(i, j int) bool {
		a, b := members[i], members[j]
		if a.Container.Sandbox != b.Container.Sandbox {
			return a.Container.Sandbox
		}
		if (len(a.PIDs) > 0) != (len(b.PIDs) > 0) {
			return len(a.PIDs) > 0
		}
		return a.Container.Name < b.Container.Name
	})
	if len(parts) == 3 {
		var named, live []*Target
		for _, t := range members {
			if !t.Container.Sandbox && t.Container.Name == parts[2] {
				named = append(named, t)
				if len(t.PIDs) > 0 {
					live = append(live, t)
				}
			}
		}
		switch {
		case len(named) == 0:
			return nil, fmt.Errorf("%w: pod %s/%s has no container %q", ErrNotFound, ns, name, parts[2])
		case len(live) == 1:
			return live[0], nil
		case len(live) > 1:
			return nil, ambiguous(spec, live)
		}
		return running(named[0]) // an exited container: restarts keep old ones
	}
	pod := &Target{Kind: "pod"}
	for _, t := range members {
		pod.Containers = append(pod.Containers, t.Container)
		if len(t.PIDs) == 0 {
			continue
		}
		if pod.Container == nil {
			pod.Container, pod.PID = t.Container, t.PID
		}
		pod.PIDs = append(pod.PIDs, t.PIDs...)
	}
	if pod.Container == nil {
		return nil, &NotRunningError{What: "pod " + ns + "/" + name}
	}
	sort.Ints(pod.PIDs)
	return pod, nil
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func isDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
