package cgroupview

import (
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// Placement is one line of /proc/PID/cgroup: where the process sits in
// one hierarchy.
type Placement struct {
	// HierarchyID is the first field: 0 for the unified hierarchy.
	HierarchyID int `json:"hierarchyID"`
	// Controllers are the v1 controllers of the line ("cpu", "cpuacct",
	// "name=systemd"); empty on the v2 line.
	Controllers []string `json:"controllers"`
	// Path is relative to the reader's cgroup namespace, without the
	// " (deleted)" suffix.
	Path string `json:"path"`
	// Deleted is set when the cgroup was removed (a zombie's).
	Deleted bool `json:"deleted,omitempty"`
	// Dir is the host-absolute directory of the cgroup (mount point +
	// path relative to the mount root); open it through Root.Host. Empty
	// when no mount exposes the cgroup.
	Dir string `json:"dir,omitempty"`
}

// Membership is where one process sits in every hierarchy.
type Membership struct {
	PID        int         `json:"pid"`
	Placements []Placement `json:"placements"`
	Warnings   []string    `json:"warnings,omitempty"`
}

// Unified returns the placement in the cgroup2 hierarchy, or nil.
func (m *Membership) Unified() *Placement {
	for i := range m.Placements {
		if p := &m.Placements[i]; p.HierarchyID == 0 && len(p.Controllers) == 0 {
			return p
		}
	}
	return nil
}

// V1 returns the placement in the v1 hierarchy binding controller c, or
// nil.
func (m *Membership) V1(c string) *Placement {
	for i := range m.Placements {
		p := &m.Placements[i]
		for _, pc := range p.Controllers {
			if pc == c {
				return p
			}
		}
	}
	return nil
}

// parseProcCgroup parses /proc/PID/cgroup (cgroups(7)): v1 lines
// "ID:ctrl,ctrl:/path", the v2 line "0::/path". Paths of removed cgroups
// end in " (deleted)".
func parseProcCgroup(data []byte) []Placement {
	var out []Placement
	for _, line := range strings.Split(string(data), "\n") {
		id, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		ctrls, p, ok := strings.Cut(rest, ":")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(id)
		if err != nil {
			continue
		}
		pl := Placement{HierarchyID: n, Controllers: []string{}, Path: p}
		if ctrls != "" {
			pl.Controllers = strings.Split(ctrls, ",")
		}
		if s, ok := strings.CutSuffix(p, " (deleted)"); ok {
			pl.Path, pl.Deleted = s, true
		}
		out = append(out, pl)
	}
	return out
}

// dirOf maps a cgroup path onto hierarchy h: mount point + path relative
// to the mount root. ok is false when the mount does not expose it (the
// path lies outside the mount root, or outside the reader's cgroupns,
// where the kernel prints "/..").
func dirOf(h *Hierarchy, p string) (string, bool) {
	for _, c := range strings.Split(p, "/") {
		if c == ".." {
			return "", false
		}
	}
	p = path.Clean("/" + p)
	rootDir := path.Clean("/" + h.MountRoot)
	var rel string
	switch {
	case rootDir == "/":
		rel = p
	case p == rootDir:
		rel = "/"
	case strings.HasPrefix(p, rootDir+"/"):
		rel = strings.TrimPrefix(p, rootDir)
	default:
		return "", false
	}
	return path.Join(h.MountPoint, rel), true
}

// ForPID reads where process pid sits in each hierarchy of l and maps
// every placement to its directory.
//
// Equivalent to: cat /proc/PID/cgroup.
func ForPID(root hostfs.Root, l *Layout, pid int) (*Membership, error) {
	data, err := hostfs.ReadFile(root.PID(pid, "cgroup"))
	if err != nil {
		return nil, fmt.Errorf("cgroupview: reading cgroups of PID %d: %w", pid, err)
	}
	m := &Membership{PID: pid, Placements: parseProcCgroup(data)}
	for i := range m.Placements {
		p := &m.Placements[i]
		name := p.label()
		h := l.hierarchyFor(*p)
		if h == nil {
			if p.HierarchyID == 0 && l.Mode == ModeV1 {
				continue // every kernel prints "0::"; v1-only hosts just don't mount it
			}
			m.Warnings = append(m.Warnings, fmt.Sprintf("hierarchy %s of PID %d is not mounted", name, pid))
			continue
		}
		dir, ok := dirOf(h, p.Path)
		if !ok {
			m.Warnings = append(m.Warnings, fmt.Sprintf("cgroup %q (%s) of PID %d is not exposed by the mount at %q (root %q): it lies outside ctx's cgroup namespace or the mounted subtree", p.Path, name, pid, h.MountPoint, h.MountRoot))
			continue
		}
		p.Dir = dir
		if p.Deleted {
			m.Warnings = append(m.Warnings, fmt.Sprintf("cgroup %q (%s) of PID %d was removed", p.Path, name, pid))
		}
	}
	return m, nil
}

// label names a placement's hierarchy for messages.
func (p *Placement) label() string {
	if len(p.Controllers) == 0 {
		return "cgroup2"
	}
	return strings.Join(p.Controllers, ",")
}

// CgroupPath picks the cgroup path that best describes the process: its
// memory cgroup (where OOM kills and the limit that matters live), else
// its cgroup2, pids or cpu cgroup, else any, preferring paths below the
// root. v1 allows a process to sit at different paths per hierarchy; the
// warning names them when it does.
func (m *Membership) CgroupPath(l *Layout) (string, []string) {
	var pick *Placement
	seen := map[string][]string{}
	var order []string
	consider := func(p *Placement) {
		if p == nil {
			return
		}
		if _, ok := seen[p.Path]; !ok {
			order = append(order, p.Path)
		}
		seen[p.Path] = append(seen[p.Path], p.label())
		if pick == nil || (pick.Path == "/" && p.Path != "/") {
			pick = p
		}
	}
	if _, p := placementFor(l, m, "memory"); p != nil {
		consider(p)
	}
	consider(m.Unified())
	for _, c := range []string{"pids", "cpu"} {
		if _, p := placementFor(l, m, c); p != nil {
			consider(p)
		}
	}
	for i := range m.Placements {
		if l.hierarchyFor(m.Placements[i]) != nil {
			consider(&m.Placements[i])
		}
	}
	if pick == nil {
		return "/", nil
	}
	var warn []string
	nonRoot := 0
	for _, p := range order {
		if p != "/" {
			nonRoot++
		}
	}
	if nonRoot > 1 {
		var parts []string
		for _, p := range order {
			parts = append(parts, strings.Join(seen[p], ",")+" "+p)
		}
		warn = append(warn, fmt.Sprintf("PID %d sits at different paths per hierarchy (%s); showing %s", m.PID, strings.Join(parts, "; "), pick.Path))
	}
	return pick.Path, warn
}

// Exists reports whether cgroup path p exists in some hierarchy of l.
func Exists(root hostfs.Root, l *Layout, p string) bool {
	p = path.Clean("/" + p)
	for i := range l.Hierarchies {
		if dir, ok := dirOf(&l.Hierarchies[i], p); ok {
			if st, err := os.Stat(root.Host(dir)); err == nil && st.IsDir() {
				return true
			}
		}
	}
	return false
}
