package inspect

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// Target is what a TARGET argument resolved to.
type Target struct {
	// Kind is pid, container, netns or nsfs.
	Kind string `json:"kind"`
	// PID is the process to look at: the PID itself, or a container's
	// lowest PID (its init, as seen from the host). Zero for nsfs paths.
	PID       int        `json:"pid,omitempty"`
	PIDs      []int      `json:"pids,omitempty"`
	Container *Container `json:"container,omitempty"`
	// Path is the nsfs file of a netns/NAME or path target, openable here.
	Path string `json:"path,omitempty"`
}

// Resolve turns a TARGET into a Target. It accepts a PID; a container name,
// ID or unique ID prefix; netns/NAME (/run/netns/NAME); or a path to an nsfs
// file. Every command resolves its TARGET here.
func Resolve(root hostfs.Root, spec string) (*Target, error) {
	switch {
	case spec == "":
		return nil, fmt.Errorf("%w: empty target", ErrNotFound)
	case isDigits(spec):
		pid, _ := strconv.Atoi(spec)
		if _, err := os.Stat(root.PID(pid)); err != nil {
			return nil, fmt.Errorf("%w: no process %d", ErrNotFound, pid)
		}
		return &Target{Kind: "pid", PID: pid, PIDs: []int{pid}}, nil
	case strings.HasPrefix(spec, "netns/"):
		p := root.Host("/run/netns/" + strings.TrimPrefix(spec, "netns/"))
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("%w: no network namespace %q (looked for %q)", ErrNotFound, spec, p)
		}
		return &Target{Kind: "netns", Path: p}, nil
	case strings.HasPrefix(spec, "/"):
		if _, err := os.Stat(spec); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrNotFound, err)
		}
		return &Target{Kind: "nsfs", Path: spec}, nil
	}
	return resolveContainer(root, spec)
}

// resolveContainer matches spec against every container that has a process,
// by name, full ID or ID prefix.
func resolveContainer(root hostfs.Root, spec string) (*Target, error) {
	byID, err := containersByID(root)
	if err != nil {
		return nil, err
	}
	var matches []*Target
	for id, t := range byID {
		if t.Container.Name == spec || id == spec {
			return t, nil
		}
		if strings.HasPrefix(id, spec) {
			matches = append(matches, t)
		}
	}
	switch len(matches) {
	case 0:
		return nil, fmt.Errorf("%w: no process, container or namespace matches %q", ErrNotFound, spec)
	case 1:
		return matches[0], nil
	}
	amb := &AmbiguousError{Target: spec}
	for _, m := range matches {
		amb.Candidates = append(amb.Candidates, m.Container.Runtime+" "+m.Container.ID)
	}
	sort.Strings(amb.Candidates)
	return nil, amb
}

// containersByID groups the processes of the host by container.
func containersByID(root hostfs.Root) (map[string]*Target, error) {
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
			continue
		}
		t := out[c.ID]
		if t == nil {
			t = &Target{Kind: "container", PID: pid, Container: c}
			out[c.ID] = t
		}
		t.PIDs = append(t.PIDs, pid)
	}
	return out, nil
}

func isDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
