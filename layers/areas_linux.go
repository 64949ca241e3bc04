//go:build linux

package layers

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// layoutDir is a layer dir found by listing a driver dir.
type layoutDir struct {
	id     string
	parent string // the <id> dir (docker) or snapshots/<n> (containerd)
	dir    string // its contents: …/diff or …/fs
	mtime  time.Time
}

// storeLayout is where one store keeps its layers and metadata.
type storeLayout struct {
	store   string
	root    string            // the storage dir
	driver  string            // the dir holding layer dirs
	sub     string            // "diff" or "fs"
	areas   map[string]string // subdir of root -> category
	dirs    []layoutDir
	claimed []string  // subtrees walked by others (nested stores)
	cs      *cStorage // the store of a StoreCStorage layout
}

// layouts lists the storage dirs present on the host.
func (s *Storage) layouts() []*storeLayout {
	var out []*storeLayout
	if d := s.docker; d != nil {
		l := &storeLayout{store: StoreDocker, root: d.dataRoot, driver: d.driverDir, sub: "diff",
			areas: map[string]string{"containers": "containers", "volumes": "volumes", "image": "image metadata", "buildkit": "buildkit"}}
		if d.noDriver {
			l.driver = "" // layers in containerd's snapshotter: no layer dirs here
		}
		out = append(out, l)
		nested := path.Join(d.dataRoot, "containerd", "daemon", containerdSnapshotter)
		if existsInRoot(s.root, nested) {
			c := &storeLayout{store: StoreContainerd, root: path.Join(d.dataRoot, "containerd"), driver: path.Join(nested, "snapshots"), sub: "fs",
				areas: map[string]string{}}
			l.claimed = append(l.claimed, c.root)
			out = append(out, c)
		}
	}
	for _, r := range s.ctrdRoots {
		if existsInRoot(s.root, path.Join(r, "snapshots")) {
			out = append(out, &storeLayout{store: StoreContainerd, root: path.Dir(r), driver: path.Join(r, "snapshots"), sub: "fs",
				areas: map[string]string{"io.containerd.content.v1.content": "content store"}})
		}
	}
	for _, c := range s.cs {
		out = append(out, &storeLayout{store: StoreCStorage, cs: c, root: c.graphRoot, driver: path.Join(c.graphRoot, "overlay"), sub: "diff",
			areas: map[string]string{"overlay-images": "image metadata", "overlay-layers": "image metadata",
				"overlay-containers": "containers", "volumes": "volumes"}})
	}
	return out
}

// list finds the layer dirs of a layout (none without a driver dir).
func (s *Storage) list(l *storeLayout) error {
	if l.driver == "" {
		return nil
	}
	f, err := s.scan.confine.open(s.root, l.driver, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW)
	if err != nil {
		return err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, n := range names {
		if n == "l" || !isLayerDirName(n) {
			continue
		}
		var st, sub unix.Stat_t
		if unix.Fstatat(int(f.Fd()), n, &st, unix.AT_SYMLINK_NOFOLLOW) != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
			continue
		}
		if unix.Fstatat(int(f.Fd()), n+"/"+l.sub, &sub, unix.AT_SYMLINK_NOFOLLOW) != nil || sub.Mode&unix.S_IFMT != unix.S_IFDIR {
			continue
		}
		l.dirs = append(l.dirs, layoutDir{id: n, parent: path.Join(l.driver, n), dir: path.Join(l.driver, n, l.sub),
			mtime: time.Unix(int64(st.Mtim.Sec), int64(st.Mtim.Nsec))})
	}
	return nil
}

// claim returns the (dev, ino) of host dirs, for area walks to skip.
func (s *Storage) claim(dirs ...string) map[devIno]bool {
	out := map[devIno]bool{}
	for _, d := range dirs {
		f, err := s.scan.confine.open(s.root, d, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW)
		if err != nil {
			continue
		}
		var st unix.Stat_t
		if unix.Fstat(int(f.Fd()), &st) == nil {
			out[devIno{st.Dev, st.Ino}] = true
		}
		f.Close()
	}
	return out
}

// areaPlan is the walks of one layout and how to sum them.
type areaPlan struct {
	layout  *storeLayout
	layers  map[string]*layerNode // layer dir -> node counting it
	kind    map[string]string     // layer dir -> category
	areas   []*layerNode
	areaCat map[*layerNode]string
}

// planAreas registers, for each storage dir, a walk of every layer dir
// (attributed by what references it) and area walks of the rest, so that
// the categories add up to the dir's total.
func (s *Storage) planAreas(r *refs) ([]*areaPlan, []string) {
	var plans []*areaPlan
	var warnings []string
	for _, l := range s.layouts() {
		if err := s.list(l); err != nil {
			warnings = append(warnings, fmt.Sprintf("%s: listing %q: %v", l.store, l.driver, err))
			continue
		}
		var claimed []string // walked apart from "other"
		p := &areaPlan{layout: l, layers: map[string]*layerNode{}, kind: map[string]string{}, areaCat: map[*layerNode]string{}}
		buildkit := s.buildkitRefs(l, &warnings)
		var layerDirs []string
		for _, ld := range l.dirs {
			layerDirs = append(layerDirs, ld.dir)
			p.kind[ld.dir] = s.classify(l, ld, r, buildkit)
			if s.scan.byDir[ld.dir] == nil {
				// Not in any stack: walked on its own.
				spec := &stackSpec{ns: trustedNS, layers: []layerSpec{{Role: RoleLower, Layer: Layer{ID: ld.id, Store: l.store, Dir: ld.dir}}}}
				s.scan.add(spec)
			}
		}
		if l.driver != "" {
			// overlay internal: the driver dir without the layer contents.
			in := s.scan.area(l.driver, nil)
			in.skipIno = s.claim(layerDirs...)
			p.areas = append(p.areas, in)
			p.areaCat[in] = "overlay internal"
			claimed = append(claimed, l.driver)
		}
		// Categorised subdirs, then everything else.
		claimed = append(claimed, l.claimed...)
		names := make([]string, 0, len(l.areas))
		for n := range l.areas {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			d := path.Join(l.root, n)
			if !existsInRoot(s.root, d) {
				continue
			}
			a := s.scan.area(d, nil)
			if l.store == StoreDocker && n == "containers" {
				// container logs are counted apart; see sum.
				p.areaCat[a] = "containers"
			} else {
				p.areaCat[a] = l.areas[n]
			}
			p.areas = append(p.areas, a)
			claimed = append(claimed, d)
		}
		other := s.scan.area(l.root, nil)
		other.skipIno = s.claim(claimed...)
		// A driver dir nested deeper than the root's children (containerd's
		// snapshots/) leaves its ancestors to "other".
		p.areas = append(p.areas, other)
		p.areaCat[other] = "other"
		plans = append(plans, p)
	}
	return plans, warnings
}

// classify names what a layer dir is: image layers, container layers,
// build cache or orphan layers. containerd snapshots are named by their
// kind in metadata.db (see snapshotKind); when that cannot be read, only
// as snapshots in use (by a stack) or other snapshots.
func (s *Storage) classify(l *storeLayout, ld layoutDir, r *refs, buildkit *buildkitRefs) string {
	if l.store == StoreContainerd {
		if kind, ok := s.snapshotKind(l, ld, r); ok {
			return kind
		}
	}
	switch {
	case len(r.containers[ld.dir]) > 0 && s.isUpperOrInit(ld.dir):
		return "container layers"
	case len(r.images[ld.dir]) > 0, len(r.containers[ld.dir]) > 0:
		if l.store == StoreContainerd {
			return "snapshots in use"
		}
		return "image layers"
	case l.store == StoreContainerd:
		return "other snapshots"
	case buildkit.owns(ld.id):
		return "build cache"
	}
	return "orphan layers"
}

// snapshotKind classifies a containerd snapshot dir by its record in
// metadata.db: committed snapshots are image layers, active ones (and
// views, uncommitted too) container layers, and a dir with no record
// that no stack uses is an orphan. ok is false without the database.
func (s *Storage) snapshotKind(l *storeLayout, ld layoutDir, r *refs) (string, bool) {
	db, err := s.snapshotDB(path.Dir(l.driver))
	if err != nil {
		return "", false
	}
	sn := db.byID[ld.id]
	switch {
	case sn == nil && (len(r.images[ld.dir]) > 0 || len(r.containers[ld.dir]) > 0):
		return "snapshots in use", true // mounted, but newer than the copy
	case sn == nil:
		return "orphan layers", true
	case sn.Kind == snapCommitted:
		return "image layers", true
	}
	return "container layers", true
}

func (s *Storage) isUpperOrInit(dir string) bool {
	if d := s.docker; d != nil {
		for _, m := range d.mounts {
			if dir == d.layerDir(m.MountID) || m.InitID != "" && dir == d.layerDir(m.InitID) {
				return true
			}
		}
	}
	for _, c := range s.cs {
		for _, ct := range c.containers {
			if dir == c.layerDir(ct.Layer) {
				return true
			}
		}
	}
	return false
}

// DuAll is ctx layers du --all: every container and image of every store,
// and each storage dir broken into areas that add up to its total.
func (s *Storage) DuAll(ctx context.Context) (*Report, []StorageRoot, error) {
	targets, warnings := s.allTargets()
	r := s.refsOf(targets)
	for _, t := range targets {
		s.scan.add(t.spec) // before planAreas, which walks the rest
	}
	plans, pw := s.planAreas(r)
	warnings = append(warnings, pw...)
	rep, err := s.du(ctx, targets, r)
	if err != nil {
		return nil, nil, err
	}
	rep.Warnings = append(warnings, rep.Warnings...)
	var roots []StorageRoot
	rep.Total = Sizes{}
	for _, p := range plans {
		areas, tot := s.sumPlan(p, rep)
		rep.Areas = append(rep.Areas, areas...)
		r := StorageRoot{Dir: p.layout.root, Store: p.layout.store, Total: tot}
		if c := p.layout.cs; c != nil && c.owner != nil {
			r.User = c.owner.user
		}
		roots = append(roots, r)
	}
	// A storage dir nested in another (dockerd's own containerd under
	// /var/lib/docker) has its own areas; the outer dir's total includes
	// it, so that each total is what du -sx says of that dir. The roots'
	// own areas never overlap: the grand total is their sum.
	own := make([]Sizes, len(roots))
	for i := range roots {
		own[i] = roots[i].Total
		rep.Total.Add(own[i])
	}
	for i := range roots {
		for j := range roots {
			if i != j && strings.HasPrefix(roots[i].Dir, roots[j].Dir+"/") {
				roots[j].Total.Add(own[i])
			}
		}
	}
	open := &Area{Root: "-", Name: "deleted, still open"}
	for _, c := range rep.Containers {
		open.Sizes.Add(c.DeletedOpenBytes)
		open.Inodes += int64(len(c.DeletedOpen))
	}
	if open.Inodes > 0 {
		rep.Areas = append(rep.Areas, open)
		rep.Total.Add(open.Sizes)
	}
	return rep, roots, nil
}

// sumPlan adds up one storage dir's walks by category. Hard links between
// walks are counted once, in the first.
func (s *Storage) sumPlan(p *areaPlan, rep *Report) ([]*Area, Sizes) {
	byName := map[string]*Area{}
	var order []string
	get := func(name string) *Area {
		if a := byName[name]; a != nil {
			return a
		}
		a := &Area{Root: p.layout.root, Name: name}
		byName[name] = a
		order = append(order, name)
		return a
	}
	global := map[devIno]bool{}
	var tot Sizes
	add := func(a *Area, n *layerNode, u *Usage) {
		a.Sizes.Add(u.Sizes)
		a.Inodes += u.Inodes
		a.Incomplete = a.Incomplete || u.Incomplete
		tot.Add(u.Sizes)
		if n != nil && n.links != nil {
			n.links.each(func(k devIno, sz Sizes) {
				if global[k] {
					a.Sizes.Sub(sz)
					tot.Sub(sz)
				}
				global[k] = true
			})
		}
	}
	for _, ld := range p.layout.dirs {
		lay := s.scan.byDir[ld.dir]
		if lay == nil || lay.Usage == nil {
			continue
		}
		a := get(p.kind[ld.dir])
		a.Dirs++
		add(a, s.scan.counted[ld.dir], lay.Usage)
	}
	var logs Sizes
	var nlogs int64
	if p.layout.store == StoreDocker {
		for _, c := range rep.Containers {
			logs.Add(c.LogBytes)
			nlogs += int64(len(c.Logs))
		}
	}
	for _, n := range p.areas {
		if n.layer.Usage == nil {
			continue
		}
		cat := p.areaCat[n]
		u := *n.layer.Usage
		if cat == "containers" && p.layout.store == StoreDocker {
			la := get("container logs")
			la.Sizes.Add(logs)
			la.Inodes += nlogs
			u.Sizes.Sub(logs)
			u.Inodes -= nlogs
			tot.Add(logs)
		}
		add(get(cat), n, &u)
	}
	out := make([]*Area, 0, len(order))
	for _, name := range order {
		out = append(out, byName[name])
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Sizes.Disk > out[j].Sizes.Disk })
	return out, tot
}
