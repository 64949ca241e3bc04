//go:build linux

package layers

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// layerNode is a layer dir on top of a fixed chain of lowers: the unit a
// walk computes, shared by every stack with the same chain.
type layerNode struct {
	key      string
	layer    *Layer
	parent   *layerNode
	ns       string
	metacopy bool
	topN     int
	walked   bool
	// image is set while every stack that has this node says its layer
	// is a committed image layer: the layer cache keeps only those.
	image bool
	usage Usage
	hides []hiddenAcc // by depth below: 0 is the parent
	top   []File
	links *linkSet
	// skipIno are directories an area walk leaves out: others count them.
	skipIno map[devIno]bool
}

// scanner walks the layer nodes of the stacks added to it, each once.
type scanner struct {
	root     hostfs.Root
	opts     Options
	nodes    map[string]*layerNode
	byDir    map[string]*Layer
	warnings []string
	xattrOK  map[string]bool
	// cache is the layer cache when Options.CacheDir is set, loaded on
	// the first walk.
	cache *layerCache
	// counted is the node whose walk gave each dir's Usage.
	counted map[string]*layerNode
	// confine lists the users' home dirs below which no layer dir is
	// opened through a symlink (rootless stores).
	confine confined
}

func newScanner(root hostfs.Root, opts Options) *scanner {
	return &scanner{root: root, opts: opts, nodes: map[string]*layerNode{}, byDir: map[string]*Layer{}, xattrOK: map[string]bool{}, counted: map[string]*layerNode{}}
}

// layer returns the one Layer of a dir, merging what specs know of it.
func (s *scanner) layer(l Layer) *Layer {
	if have := s.byDir[l.Dir]; have != nil {
		if have.ChainID == "" {
			have.ChainID = l.ChainID
		}
		if have.DiffID == "" {
			have.DiffID = l.DiffID
		}
		if have.StoredSize == nil {
			have.StoredSize = l.StoredSize
		}
		if have.SnapshotKey == "" {
			have.SnapshotKey = l.SnapshotKey
		}
		return have
	}
	c := l
	c.DirRaw = setRaw(c.Dir)
	s.byDir[l.Dir] = &c
	return &c
}

// add registers a stack's layers and returns their nodes, top first.
func (s *scanner) add(spec *stackSpec) []*layerNode {
	out := make([]*layerNode, len(spec.layers))
	var parent *layerNode
	for i := len(spec.layers) - 1; i >= 0; i-- {
		ls := spec.layers[i]
		p := parent
		if ls.Role == RoleData {
			p = nil // data-only layers are never looked up by name
		}
		key := spec.key(i)
		if ls.Role == RoleData {
			key = spec.ns + "\x00data\x00" + ls.Dir
		}
		n := s.nodes[key]
		if n == nil {
			n = &layerNode{key: key, layer: s.layer(ls.Layer), parent: p, ns: spec.ns, metacopy: spec.metacopy, image: true}
			s.nodes[key] = n
		}
		n.image = n.image && ls.Role == RoleImage
		if i == 0 && ls.Role == RoleUpper && spec.topN > n.topN {
			n.topN = spec.topN
		}
		out[i] = n
		if ls.Role != RoleData {
			parent = n
		}
	}
	return out
}

// openDir opens a layer dir through the host root, never following a
// symlink as its last component (nor any below a confining home dir), and
// stats it. A layer dir that only an overlay mount names (no store knows
// it) follows no symlink at all: whoever mounted it, a user in a user
// namespace say, chose its path.
func (s *scanner) openDir(dir string) (*os.File, unix.Stat_t, error) {
	var st unix.Stat_t
	open := s.confine.open
	if l := s.byDir[dir]; l != nil && l.Store == StoreMount {
		open = func(root hostfs.Root, p string, flags int) (*os.File, error) { return openBeneath(root, "/", p, flags) }
	}
	f, err := open(s.root, dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW)
	if err != nil {
		if hostfs.IsPermission(err) {
			return nil, st, &PrivilegeError{Path: dir, Missing: "root (CAP_DAC_READ_SEARCH)", Err: err}
		}
		return nil, st, err
	}
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		f.Close()
		return nil, st, err
	}
	return f, st, nil
}

// openDirs holds the layer dirs one walk opened, each once.
type openDirs map[string]*openedDir

type openedDir struct {
	f   *os.File
	st  unix.Stat_t
	err error
}

func (s *scanner) open(dirs openDirs, dir string) *openedDir {
	if o := dirs[dir]; o != nil {
		return o
	}
	f, st, err := s.openDir(dir)
	o := &openedDir{f: f, st: st, err: err}
	dirs[dir] = o
	return o
}

func (dirs openDirs) close() {
	for _, o := range dirs {
		if o.f != nil {
			o.f.Close()
		}
	}
}

// walk walks every node not walked yet, or takes it from the layer cache.
// A missing layer dir makes its node incomplete; lack of privilege is an
// error.
func (s *scanner) walk(ctx context.Context) error {
	var todo []*layerNode
	for _, n := range s.nodes {
		if !n.walked {
			todo = append(todo, n)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	dirs := openDirs{}
	defer dirs.close()
	var jobs []*walkJob
	var jobNodes []*layerNode
	var jobStamps [][]dirStamp
	s.loadCache()
	for _, n := range todo {
		n.walked = true
		j, stamps, err := s.jobFor(n, dirs)
		if err != nil {
			return err
		}
		if j == nil {
			continue
		}
		if !s.cacheable(n) || n.usage.Incomplete {
			stamps = nil
		} else if e := s.cache.lookup(n.key, stamps, n.metacopy); e != nil {
			e.apply(n)
			continue
		}
		jobs = append(jobs, j)
		jobNodes = append(jobNodes, n)
		jobStamps = append(jobStamps, stamps)
	}
	runJobs(ctx, s.opts.workers(), s.opts.Progress, s.procFD(), jobs)
	for i, j := range jobs {
		n := jobNodes[i]
		j.usage.Incomplete = j.usage.Incomplete || n.usage.Incomplete
		j.usage.Errors = append(n.usage.Errors, j.usage.Errors...)
		if j.nerrs > len(j.usage.Errors) {
			j.usage.Errors = append(j.usage.Errors, fmt.Sprintf("… and %d more errors", j.nerrs-len(j.usage.Errors)))
		}
		n.usage = j.usage
		n.hides = j.hidden
		n.top = j.top.list()
		n.links = &j.links
		if jobStamps[i] != nil && ctx.Err() == nil {
			s.cache.store(n.key, jobStamps[i], n)
		}
	}
	s.saveCache()
	for _, n := range todo {
		if n.layer.Usage == nil {
			u := n.usage
			n.layer.Usage = &u
			s.counted[n.layer.Dir] = n
		}
	}
	return ctx.Err()
}

// jobFor is the walk of n's layer dir over its lowers, with the stamps
// of those dirs for the layer cache. It is nil when the layer dir cannot
// be opened, and a lower that cannot be opened ends the lowers; both
// make n incomplete. Lack of privilege is an error.
func (s *scanner) jobFor(n *layerNode, dirs openDirs) (*walkJob, []dirStamp, error) {
	var pe *PrivilegeError
	o := s.open(dirs, n.layer.Dir)
	if errors.As(o.err, &pe) {
		return nil, nil, o.err
	}
	if o.err != nil {
		n.usage.Incomplete = true
		n.usage.Errors = append(n.usage.Errors, fmt.Sprintf("opening the layer dir: %v", unwrapPath(o.err)))
		return nil, nil, nil
	}
	j := &walkJob{label: n.layer.Dir, root: int(o.f.Fd()), dev: o.st.Dev, ns: n.ns, topN: n.topN, metacopy: n.metacopy, skipIno: n.skipIno}
	stamps := []dirStamp{stampOf(n.layer.Dir, &o.st)}
	for p := n.parent; p != nil; p = p.parent {
		lo := s.open(dirs, p.layer.Dir)
		if errors.As(lo.err, &pe) {
			return nil, nil, lo.err
		}
		if lo.err != nil {
			n.usage.Incomplete = true
			n.usage.Errors = append(n.usage.Errors, fmt.Sprintf("opening lower %q: %v", p.layer.Dir, unwrapPath(lo.err)))
			break
		}
		j.lowers = append(j.lowers, lowerFD{pos: len(j.lowers), fd: int(lo.f.Fd()), dev: lo.st.Dev})
		stamps = append(stamps, stampOf(p.layer.Dir, &lo.st))
	}
	s.checkXattrs(n.ns)
	return j, stamps, nil
}

// loadCache loads the layer cache once, if there is one to use.
func (s *scanner) loadCache() {
	if s.opts.CacheDir == "" || s.cache != nil {
		return
	}
	c, warning := loadCache(s.opts.CacheDir, time.Now())
	s.cache = c
	if warning != "" {
		s.warnings = append(s.warnings, warning)
	}
}

// cacheable reports whether n's walk may be cached: a committed image
// layer on committed image layers, walked whole.
func (s *scanner) cacheable(n *layerNode) bool {
	if s.cache == nil || n.skipIno != nil || n.topN > 0 {
		return false
	}
	for p := n; p != nil; p = p.parent {
		if !p.image {
			return false
		}
	}
	return true
}

// saveCache writes what this walk added to the layer cache. A cache that
// cannot be written costs the next run a walk, so it is only a warning.
func (s *scanner) saveCache() {
	if s.cache == nil {
		return
	}
	if err := s.cache.save(); err != nil {
		s.warnings = append(s.warnings, fmt.Sprintf("layer cache not saved: %v", err))
	}
}

// procFD is <proc>/self/fd on a live host: the lgetxattr fallback for
// kernels without getxattrat(2).
func (s *scanner) procFD() string {
	if !s.root.Live() {
		return ""
	}
	return s.root.Proc("self", "fd")
}

// checkXattrs warns, once per namespace, when overlay xattrs cannot be
// read: without CAP_SYS_ADMIN, trusted.* reads return nothing and no
// error, so opaque dirs silently vanish.
func (s *scanner) checkXattrs(ns string) {
	if ns != trustedNS {
		return
	}
	if _, done := s.xattrOK[ns]; done {
		return
	}
	ok := hasCapSysAdmin()
	s.xattrOK[ns] = ok
	if !ok {
		s.warnings = append(s.warnings, "DEGRADED: cannot read trusted.overlay.* xattrs without CAP_SYS_ADMIN "+
			"(the kernel returns nothing, not an error): opaque dirs, redirects and xattr whiteouts are invisible, "+
			"so hidden bytes are undercounted and diff misses opaque dirs; run as root with CAP_SYS_ADMIN")
	}
}

// hasCapSysAdmin reports whether CAP_SYS_ADMIN is in this process's
// effective set.
func hasCapSysAdmin() bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return false
	}
	return data[unix.CAP_SYS_ADMIN/32].Effective&(1<<(unix.CAP_SYS_ADMIN%32)) != 0
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// stack assembles the walked nodes of a spec into a Stack.
func (s *scanner) stack(spec *stackSpec, nodes []*layerNode) *Stack {
	st := &Stack{Source: spec.source, XattrNamespace: spec.ns, Layers: make([]StackLayer, len(nodes))}
	if ok, known := s.xattrOK[spec.ns]; known && !ok {
		st.Degraded = true
	}
	for i, n := range nodes {
		sl := StackLayer{Layer: *n.layer, Role: spec.layers[i].Role}
		if sl.Role == RoleUpper && len(n.top) > 0 {
			sl.TopFiles = n.top
		}
		for _, h := range n.hides {
			sl.Hides.Add(h.Sizes)
		}
		st.Layers[i] = sl
	}
	// What node i hides at depth d lands on the layer d+1 below it.
	for i, n := range nodes {
		if spec.layers[i].Role == RoleData {
			continue
		}
		k := i
		for d := range n.hides {
			k++
			for k < len(nodes) && spec.layers[k].Role == RoleData {
				k++
			}
			if k >= len(nodes) {
				break
			}
			st.Layers[k].Hidden.Add(n.hides[d].Sizes)
			st.Layers[k].HiddenEntries += n.hides[d].Entries
		}
	}
	for _, l := range st.Layers {
		st.Hidden.Add(l.Hidden)
	}
	return st
}
