package cgroupview

import (
	"fmt"
	"path"
	"slices"
	"time"

	"github.com/ctx-tools/ctx/inspect"
)

// Node is one cgroup as `ctx cgroup tree`, `ls` and `top` show it: the
// union of its directories in every hierarchy, keyed by path (on hybrid
// hosts v1 controller data beside cpu.stat and PSI of the unified tree).
// A nil controller means the cgroup is not in that controller's hierarchy
// (not applicable); a nil value inside a controller means unknown, and a
// warning says why. Unknown is never 0.
type Node struct {
	Path string `json:"path"`
	// Parent is the parent's path; empty for the top of a scan.
	Parent string `json:"parent,omitempty"`
	// Depth is the number of levels below the top of the scan.
	Depth int `json:"depth"`
	// Inode is the inode of the cgroup's directory: in the unified
	// hierarchy (the cgroup ID that cgls and BPF tools print) when it is
	// there, else in the first v1 hierarchy holding it. With Path it keys
	// samples: a recreated cgroup has a new inode.
	Inode uint64 `json:"inode,omitempty"`
	// Controllers are the controllers in effect for the cgroup: those of
	// the v1 hierarchies holding its path, and on v2 those its parent
	// enables (its interface files exist).
	Controllers []string `json:"controllers"`
	// Unified is set when the cgroup exists in the cgroup2 hierarchy,
	// which serves cpu.stat and PSI even on hybrid hosts.
	Unified bool `json:"unified"`
	// Procs are the member processes (cgroup.procs) in ProcsFrom, the
	// first hierarchy holding the path in the order memory, pids, cpu,
	// cgroup2, others. Nil when not read or unreadable.
	Procs     []int  `json:"procs,omitempty"`
	ProcsFrom string `json:"procsFrom,omitempty"`
	// Container names the container (and pod) the cgroup belongs to,
	// from its path and the runtimes' state.
	Container *inspect.Container `json:"container,omitempty"`
	// Pod is set on a Kubernetes pod's own cgroup (the slice or directory
	// holding its containers), from the containers below it.
	Pod    *inspect.Pod `json:"pod,omitempty"`
	Memory *Memory      `json:"memory,omitempty"`
	CPU    *CPU         `json:"cpu,omitempty"`
	PIDs   *PIDs        `json:"pids,omitempty"`
	IO     *IO          `json:"io,omitempty"`
	PSI    *PSI         `json:"psi,omitempty"`
	// Populated is v2 cgroup.events populated (non-root only): whether a
	// process is in the cgroup or below. Freezer is its freezer state.
	// Scans read both only with ScanOptions.Freeze; ctx cgroup show always.
	Populated *bool    `json:"populated,omitempty"`
	Freezer   *Freezer `json:"freezer,omitempty"`
	// Effective are the limits that bind: the minimum over the cgroup and
	// its ancestors, naming the cgroup that sets each.
	Effective *Limits `json:"effective,omitempty"`

	procsDone bool
	children  []*Node
}

// Has reports whether controller c is in effect for n.
func (n *Node) Has(c string) bool { return slices.Contains(n.Controllers, c) }

// Children lists n's child cgroups in the scan, by name.
func (n *Node) Children() []*Node { return n.children }

// Name is the last path component ("/" for the root).
func (n *Node) Name() string { return path.Base(n.Path) }

// Tree is the result of a Scan: cgroups parent first, siblings by name.
type Tree struct {
	Mode Mode `json:"mode"`
	// Top is the cgroup the scan started at.
	Top string `json:"top"`
	// Time is when the scan started; rates divide by the time between
	// two scans.
	Time  time.Time `json:"time"`
	Nodes []*Node   `json:"nodes"`
	// Dying counts cgroups removed but still pinned by charged memory,
	// where the kernel tells (v2 cgroup.stat of the top, v1
	// /proc/cgroups num_cgroups of the memory hierarchy).
	Dying    []DyingCount `json:"dying,omitempty"`
	Warnings []string     `json:"warnings,omitempty"`

	byPath    map[string]*Node
	pidsLocal bool
	memLocal  bool // memory.events and memory.swap.events are local
}

// Node returns the node of cgroup path p, or nil.
func (t *Tree) Node(p string) *Node { return t.byPath[path.Clean("/"+p)] }

// DyingCount is the number of live and dying cgroups of one hierarchy.
type DyingCount struct {
	// Hierarchy is "cgroup2" or a v1 controller ("memory").
	Hierarchy string `json:"hierarchy"`
	Path      string `json:"path"`
	// Live is the number of live descendants of Path (v2
	// nr_descendants; v1 directories found).
	Live uint64 `json:"live"`
	// Dying is v2 nr_dying_descendants; on v1 /proc/cgroups num_cgroups
	// minus the directories, since num_cgroups counts dying memcgs.
	Dying uint64 `json:"dying"`
}

// NoCgroupError means a cgroup path exists in no hierarchy.
type NoCgroupError struct{ Path string }

func (e *NoCgroupError) Error() string {
	return fmt.Sprintf("cgroupview: no cgroup %q in any hierarchy", e.Path)
}

// Unwrap makes errors.Is(err, ErrNoCgroup) work.
func (e *NoCgroupError) Unwrap() error { return ErrNoCgroup }
