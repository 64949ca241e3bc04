//go:build linux

package layers

import (
	"context"
	"fmt"
	"path"
	"sort"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/inspect"
)

// recentAge is how young an unreferenced layer dir may be and still be a
// pull or build in progress, which creates the dir before its metadata.
const recentAge = time.Hour

// Orphans finds the layer dirs nothing references: for docker, no
// layerdb cache-id, mount-id or init-id, no BuildKit snapshots.db record
// and no overlay mount in the host's mount table; for containers/storage,
// none of layers.json and volatile-layers.json; for containerd, no
// snapshot id in the snapshotter's metadata.db (when it cannot be read or
// parsed, the root is skipped with a warning).
func (s *Storage) Orphans(ctx context.Context, now time.Time) (*OrphanReport, error) {
	rep := &OrphanReport{Orphans: []*Orphan{}, BuildCache: []*Orphan{}, DanglingLinks: []string{}, Checked: []string{}}
	mounted := s.mountedDirs(&rep.Warnings)
	var found []*Orphan
	for _, l := range s.layouts() {
		if l.driver == "" {
			continue // no layer dirs of its own
		}
		if l.cs != nil && l.cs.partial {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("containers/storage layers in %q not checked for orphans: its metadata could not be read", l.driver))
			continue
		}
		if l.store == StoreContainerd {
			if _, err := s.snapshotDB(path.Dir(l.driver)); err != nil {
				// snapshotDB has warned with the reason; say only what it costs.
				rep.Warnings = append(rep.Warnings, fmt.Sprintf("containerd snapshots in %q not checked for orphans: their metadata.db cannot be used", l.driver))
				continue
			}
		}
		if err := s.list(l); err != nil {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s: listing %q: %v", l.store, l.driver, err))
			continue
		}
		rep.Checked = append(rep.Checked, l.driver)
		buildkit := s.buildkitRefs(l, &rep.Warnings)
		for _, ld := range l.dirs {
			if s.referenced(l, ld, mounted) {
				continue
			}
			o := &Orphan{Store: l.store, ID: ld.id, Dir: ld.parent, Modified: ld.mtime.UTC(), Recent: now.Sub(ld.mtime) < recentAge}
			if buildkit.owns(ld.id) {
				rep.BuildCache = append(rep.BuildCache, o)
			} else {
				rep.Orphans = append(rep.Orphans, o)
			}
			found = append(found, o)
			o.Usage = nil
			s.scan.area(ld.parent, nil)
		}
		rep.DanglingLinks = append(rep.DanglingLinks, s.danglingLinks(l)...)
	}
	if err := s.scan.walk(ctx); err != nil {
		return nil, err
	}
	for _, o := range found {
		if n := s.scan.nodes["area\x00"+o.Dir]; n != nil && n.layer.Usage != nil {
			u := *n.layer.Usage
			o.Usage = &u
		}
	}
	for _, o := range rep.Orphans {
		if o.Usage != nil {
			rep.Total.Add(o.Usage.Sizes)
		}
	}
	return rep, nil
}

// referenced reports whether a store's metadata or a mount names a dir.
func (s *Storage) referenced(l *storeLayout, ld layoutDir, mounted map[string]bool) bool {
	if mounted[ld.dir] || mounted[ld.parent] {
		return true
	}
	switch l.store {
	case StoreDocker:
		d := s.docker
		if d.byCache[ld.id] != nil || d.mountByDir[ld.id] != nil {
			return true
		}
	case StoreContainerd:
		// Orphans only checks roots whose database was read.
		if db, _ := s.snapshotDB(path.Dir(l.driver)); db != nil && db.byID[ld.id] != nil {
			return true
		}
	case StoreCStorage:
		if l.cs.layers[ld.id] != nil {
			return true
		}
		for _, c := range l.cs.containers {
			if c.Layer == ld.id {
				return true
			}
		}
	}
	return false
}

// mountedDirs collects every dir an overlay mount of the host names: its
// upper, lowers and work dir, and their parents.
func (s *Storage) mountedDirs(warnings *[]string) map[string]bool {
	out := map[string]bool{}
	mounts, err := inspect.ReadMounts(s.root, 1)
	if err != nil {
		*warnings = append(*warnings, "cannot read the host's mount table (PID 1's mountinfo): mounted layers may show as orphans: "+err.Error())
		return out
	}
	for i := range mounts {
		m := &mounts[i]
		if m.FSType != "overlay" {
			continue
		}
		spec, err := s.mountSpec(m)
		if err != nil {
			continue
		}
		for _, l := range spec.layers {
			out[l.Dir] = true
			out[path.Dir(l.Dir)] = true
		}
		if w := inspect.OverlayOf(*m).WorkDir; w != "" {
			out[path.Dir(w)] = true
		}
	}
	return out
}

// danglingLinks lists l/ short links whose target dir is gone.
func (s *Storage) danglingLinks(l *storeLayout) []string {
	if l.store == StoreContainerd {
		return nil
	}
	ldir := path.Join(l.driver, "l")
	f, err := s.scan.confine.open(s.root, ldir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW)
	if err != nil {
		return nil
	}
	defer f.Close()
	names, _ := f.Readdirnames(-1)
	sort.Strings(names)
	var out []string
	buf := make([]byte, 256)
	for _, n := range names {
		k, err := unix.Readlinkat(int(f.Fd()), n, buf)
		if err != nil {
			continue
		}
		id, ok := resolveShortLink(string(buf[:k]))
		if !ok {
			continue
		}
		var st unix.Stat_t
		if err := unix.Fstatat(int(f.Fd()), "../"+id+"/diff", &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			out = append(out, path.Join(ldir, n))
		}
	}
	return out
}
