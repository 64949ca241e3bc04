package cgroupview

import (
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/ctx-tools/ctx/inspect"
	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// Mode is how a host arranges its cgroup hierarchies.
type Mode string

const (
	// ModeV1 has only v1 (cgroup) hierarchies.
	ModeV1 Mode = "v1"
	// ModeV2 has only the unified (cgroup2) hierarchy.
	ModeV2 Mode = "v2"
	// ModeHybrid has v1 hierarchies and a cgroup2 mount, which may bind
	// few or no controllers yet still serves cpu.stat and PSI.
	ModeHybrid Mode = "hybrid"
)

// Hierarchy is one mounted cgroup hierarchy.
type Hierarchy struct {
	// Version is 1 for a v1 "cgroup" mount, 2 for "cgroup2".
	Version int `json:"version"`
	// Controllers come from the superblock options on v1 ("cpu",
	// "cpuacct", "name=systemd"), never from directory names, and from
	// cgroup.controllers of the mount on v2 (empty if none are bound).
	Controllers []string `json:"controllers"`
	// MountPoint is host-absolute; open it through Root.Host.
	MountPoint string `json:"mountPoint"`
	// MountRoot is mountinfo field 4: the cgroup the mount exposes, as a
	// path in the reading process's cgroup namespace.
	MountRoot string `json:"mountRoot"`
	// Options are the superblock options other than rw/ro and
	// controllers (v2: nsdelegate, memory_localevents, …).
	Options []string `json:"options,omitempty"`
}

// Has reports whether h binds controller c.
func (h *Hierarchy) Has(c string) bool { return slices.Contains(h.Controllers, c) }

// Layout is the cgroup layout of a host.
type Layout struct {
	Mode        Mode        `json:"mode"`
	Hierarchies []Hierarchy `json:"hierarchies"`
	// PrivateNS is true when the paths ctx reads are relative to a cgroup
	// namespace other than the host's, or the mounts expose only a
	// subtree: ancestors and other groups are then out of sight.
	PrivateNS bool `json:"privateNS"`
	// Warnings are partial results met while detecting.
	Warnings []string `json:"warnings,omitempty"`
}

// Unified returns the cgroup2 hierarchy, or nil.
func (l *Layout) Unified() *Hierarchy {
	for i := range l.Hierarchies {
		if l.Hierarchies[i].Version == 2 {
			return &l.Hierarchies[i]
		}
	}
	return nil
}

// V1 returns the v1 hierarchy that binds controller c, or nil.
func (l *Layout) V1(c string) *Hierarchy {
	for i := range l.Hierarchies {
		if h := &l.Hierarchies[i]; h.Version == 1 && h.Has(c) {
			return h
		}
	}
	return nil
}

// cgroupMount is one cgroup or cgroup2 line of mountinfo.
type cgroupMount struct {
	dev        string // major:minor: one per hierarchy (superblock)
	root       string
	mountPoint string
	fstype     string
	super      []string
}

// parseCgroupMounts picks the cgroup and cgroup2 mounts out of
// /proc/PID/mountinfo (proc(5)), parsed by inspect.ParseMountInfo.
func parseCgroupMounts(data []byte) ([]cgroupMount, error) {
	mounts, err := inspect.ParseMountInfo(data)
	if err != nil {
		return nil, err
	}
	var out []cgroupMount
	for _, m := range mounts {
		if m.FSType != "cgroup" && m.FSType != "cgroup2" {
			continue
		}
		out = append(out, cgroupMount{
			dev:        m.Dev(),
			root:       m.Root,
			mountPoint: m.MountPoint,
			fstype:     m.FSType,
			super:      m.SuperOptions,
		})
	}
	return out, nil
}

// v1Controller reports whether a v1 superblock option names a controller
// rather than a mount flag.
func v1Controller(opt string) bool {
	switch opt {
	case "rw", "ro", "noprefix", "clone_children", "xattr", "cpuset_v2_mode", "favordynmods", "all", "none":
		return false
	}
	return !strings.HasPrefix(opt, "release_agent=")
}

// hierarchiesFrom groups mounts by superblock: a hierarchy mounted twice
// (bind mounts) is listed once, at the mount exposing the most (shortest
// root), first in mount order on ties.
func hierarchiesFrom(mounts []cgroupMount) []Hierarchy {
	var out []Hierarchy
	seen := map[string]int{}
	for _, m := range mounts {
		h := Hierarchy{Version: 1, MountPoint: m.mountPoint, MountRoot: m.root}
		if m.fstype == "cgroup2" {
			h.Version = 2
		}
		for _, o := range m.super {
			switch {
			case o == "rw" || o == "ro":
			case h.Version == 1 && v1Controller(o):
				h.Controllers = append(h.Controllers, o)
			default:
				h.Options = append(h.Options, o)
			}
		}
		if h.Controllers == nil {
			h.Controllers = []string{}
		}
		if i, ok := seen[m.dev]; ok {
			if len(h.MountRoot) < len(out[i].MountRoot) {
				out[i] = h
			}
			continue
		}
		seen[m.dev] = len(out)
		out = append(out, h)
	}
	return out
}

// Detect finds the cgroup hierarchies of the host from the mount table of
// PID 1, or of ctx itself when PID 1's is unreadable (some hosts refuse
// even root), and whether ctx sees them through a private cgroup
// namespace.
//
// Equivalent to: findmnt -t cgroup,cgroup2; stat -f /sys/fs/cgroup.
func Detect(root hostfs.Root) (*Layout, error) {
	l := &Layout{}
	data, err := hostfs.ReadFile(root.PID(1, "mountinfo"))
	if err != nil {
		var err2 error
		data, err2 = hostfs.ReadFile(root.Proc("self", "mountinfo"))
		if err2 != nil {
			return nil, fmt.Errorf("cgroupview: reading mountinfo: %w", errors.Join(err, err2))
		}
		l.Warnings = append(l.Warnings, "cannot read the mount table of PID 1 ("+errText(err)+"); using ctx's own")
	}
	mounts, err := parseCgroupMounts(data)
	if err != nil {
		return nil, fmt.Errorf("cgroupview: %w", err)
	}
	l.Hierarchies = hierarchiesFrom(mounts)
	var v1, v2 bool
	for i := range l.Hierarchies {
		h := &l.Hierarchies[i]
		if h.Version == 1 {
			v1 = true
			continue
		}
		v2 = true
		b, err := hostfs.ReadFile(path.Join(root.Host(h.MountPoint), "cgroup.controllers"))
		if err != nil {
			l.Warnings = append(l.Warnings, "cgroup2 controllers unknown: "+errText(err))
			continue
		}
		h.Controllers = strings.Fields(string(b))
	}
	switch {
	case v1 && v2:
		l.Mode = ModeHybrid
	case v1:
		l.Mode = ModeV1
	case v2:
		l.Mode = ModeV2
	default:
		return nil, ErrNoCgroups
	}
	l.detectNS(root)
	return l, nil
}

// detectNS sets PrivateNS. /proc/PID/cgroup and mountinfo roots are
// relative to the reader's cgroup namespace (cgroup_namespaces(7)). The
// best test compares the namespace links of ctx and PID 1, but PID 1's
// may refuse even root; then two heuristics apply: a mount whose root is
// not "/" exposes only a subtree, and a mount showing a non-root cgroup
// (v2: it has cgroup.events; v1: it lacks release_agent) while ctx's own
// path there is "/" means the namespace root is not the host's.
func (l *Layout) detectNS(root hostfs.Root) {
	const remedy = "run ctx with --cgroupns=host (and --pid=host), or via nsenter -t 1 -C -m"
	self, errSelf := os.Readlink(root.Proc("self", "ns", "cgroup"))
	init, errInit := os.Readlink(root.PID(1, "ns", "cgroup"))
	if errSelf == nil && errInit == nil {
		if self != init {
			l.PrivateNS = true
			l.Warnings = append(l.Warnings, "ctx runs in a private cgroup namespace: cgroup paths are relative to it; "+remedy)
		}
		return
	}
	for _, h := range l.Hierarchies {
		if h.MountRoot != "/" {
			l.PrivateNS = true
			l.Warnings = append(l.Warnings, fmt.Sprintf("the cgroup mount at %q exposes only %q: ancestors and other groups are out of sight; %s", h.MountPoint, h.MountRoot, remedy))
			return
		}
	}
	data, err := hostfs.ReadFile(root.Proc("self", "cgroup"))
	if err != nil {
		return // not a live host, or no self: nothing more to tell
	}
	for _, p := range parseProcCgroup(data) {
		h := l.hierarchyFor(p)
		if h == nil || p.Path != "/" {
			continue
		}
		dir := root.Host(h.MountPoint)
		var nonRoot bool
		if h.Version == 2 {
			nonRoot = exists(path.Join(dir, "cgroup.events"))
		} else {
			nonRoot = !exists(path.Join(dir, "release_agent"))
		}
		if nonRoot {
			l.PrivateNS = true
			l.Warnings = append(l.Warnings, fmt.Sprintf("ctx's cgroup is \"/\" but %q is not the root cgroup: ctx runs in a private cgroup namespace; %s", h.MountPoint, remedy))
			return
		}
	}
}

// hierarchyFor finds the hierarchy of one /proc/PID/cgroup line: the
// cgroup2 mount for "0::", else the v1 mount with the same controllers.
func (l *Layout) hierarchyFor(p Placement) *Hierarchy {
	if p.HierarchyID == 0 && len(p.Controllers) == 0 {
		return l.Unified()
	}
	for i := range l.Hierarchies {
		h := &l.Hierarchies[i]
		if h.Version != 1 || len(h.Controllers) != len(p.Controllers) {
			continue
		}
		match := true
		for _, c := range p.Controllers {
			if !h.Has(c) {
				match = false
				break
			}
		}
		if match {
			return h
		}
	}
	return nil
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// errText renders err for a warning: the permission and absence cases in
// words, others as they are.
func errText(err error) string {
	switch {
	case hostfs.IsPermission(err):
		return "permission denied"
	case errors.Is(err, os.ErrNotExist):
		return "missing"
	}
	return err.Error()
}
