//go:build linux

package layers

import (
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/inspect"
	"github.com/ctx-tools/ctx/inspect/boltfile"
)

// maxBoltDB caps the containerd and BuildKit databases ctx maps. They
// never shrink and may grow large on a busy node; only the pages read
// count toward ctx's memory (see boltfile.ReadMapped).
const maxBoltDB = 1 << 30

// snapshotDBResult is one snapshotter root's database, read once.
type snapshotDBResult struct {
	db  *snapshotDB
	err error
}

// snapshotDB returns the parsed metadata.db of a containerd overlayfs
// snapshotter root (…/io.containerd.snapshotter.v1.overlayfs), reading it
// on first use. The error says why it could not be used; callers then
// keep to what the dirs and mounts show.
func (s *Storage) snapshotDB(snapRoot string) (*snapshotDB, error) {
	s.ctrdMu.Lock()
	defer s.ctrdMu.Unlock()
	if r, ok := s.ctrd[snapRoot]; ok {
		return r.db, r.err
	}
	db, err := s.readSnapshotDB(path.Join(snapRoot, "metadata.db"))
	if err != nil {
		// Said once here; each use falls back to the dirs and mounts.
		s.warnings = append(s.warnings, fmt.Sprintf("containerd snapshots in %q: no chain IDs or kinds: %v", snapRoot, err))
	}
	if s.ctrd == nil {
		s.ctrd = map[string]snapshotDBResult{}
	}
	s.ctrd[snapRoot] = snapshotDBResult{db, err}
	return db, err
}

// readSnapshotDB reads metadata.db through a mapping (see
// boltfile.ReadMapped: ctx never takes containerd's lock and never writes).
func (s *Storage) readSnapshotDB(p string) (*snapshotDB, error) {
	f, err := inspect.OpenInRoot(s.root, p, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var snaps *snapshotDB
	err = boltfile.ReadMapped(f, maxBoltDB, func(db *boltfile.DB) (err error) {
		snaps, err = snapshotsOf(db)
		return err
	})
	if err != nil {
		return nil, err
	}
	return snaps, nil
}

// snapshotNames are the ChainID of snapshot id under a snapshotter root,
// or its key when it is not a committed image layer, from its
// metadata.db; both "" when the database cannot be read (see snapshotDB)
// or has no such snapshot.
func (s *Storage) snapshotNames(snapRoot, id string) (chainID, key string) {
	db, err := s.snapshotDB(snapRoot)
	if err != nil {
		return "", ""
	}
	sn := db.byID[id]
	switch {
	case sn == nil:
		return "", ""
	case sn.chainID() != "":
		return sn.chainID(), ""
	}
	return "", sn.label()
}

// ctrdMeta is what the meta.db of the containerd whose overlayfs
// snapshotter root is snapRoot says (images, containers), read through a
// mapping, without containerd's lock and never written. Empty without
// one; a warning, once, when it cannot be used.
func (s *Storage) ctrdMeta(snapRoot string) *ctrdMeta {
	s.ctrdMu.Lock()
	defer s.ctrdMu.Unlock()
	if m, ok := s.ctrdMetas[snapRoot]; ok {
		return m
	}
	if s.ctrdMetas == nil {
		s.ctrdMetas = map[string]*ctrdMeta{}
	}
	p := path.Join(path.Dir(snapRoot), "io.containerd.metadata.v1.bolt", "meta.db")
	m := &ctrdMeta{}
	f, err := inspect.OpenInRoot(s.root, p, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK)
	if err == nil {
		err = boltfile.ReadMapped(f, maxBoltDB, func(db *boltfile.DB) error {
			read, err := ctrdMetaOf(db)
			if err == nil {
				m = read
			}
			return err
		})
		f.Close()
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		s.warnings = append(s.warnings, fmt.Sprintf("containerd images and stopped containers in %q not listed: %v", p, err))
	}
	s.ctrdMetas[snapRoot] = m
	return m
}

// ctrdImageTargets are the containerd images of every snapshotter root,
// one target per namespace and top layer (an image's tags together).
func (s *Storage) ctrdImageTargets() []*Target {
	var out []*Target
	for _, root := range s.snapRoots {
		byTop := map[string]*Target{}
		for _, im := range s.ctrdMeta(root).images {
			if t := byTop[im.TopKey]; t != nil {
				t.Image.Names = append(t.Image.Names, im.Ref)
				continue
			}
			db, err := s.snapshotDB(root)
			if err != nil {
				continue
			}
			spec := s.snapshotSpec(root, db.chainFrom(db.byKey[im.TopKey]), "meta.db", false)
			if spec == nil {
				continue
			}
			t := &Target{Kind: "image", Image: &Image{ID: im.Config, Names: []string{im.Ref}, Namespace: im.Namespace, Store: StoreContainerd}, spec: spec}
			byTop[im.TopKey] = t
			out = append(out, t)
		}
	}
	return out
}

// ctrdImage resolves spec to a containerd image: a ref (docker.io/ and
// :latest implied) or its config digest or a prefix of it (4+ digits).
func (s *Storage) ctrdImage(spec string) (*Target, error) {
	want := strings.TrimPrefix(spec, "sha256:")
	var hits []*Target
	for _, t := range s.ctrdImageTargets() {
		id := strings.TrimPrefix(t.Image.ID, "sha256:")
		if id == want || slices.ContainsFunc(t.Image.Names, func(n string) bool { return matchesRef(n, spec) }) {
			return t, nil
		}
		if len(want) >= 4 && strings.HasPrefix(id, want) {
			hits = append(hits, t)
		}
	}
	switch len(hits) {
	case 0:
		return nil, nil
	case 1:
		return hits[0], nil
	}
	return nil, fmt.Errorf("image %q is ambiguous", spec)
}

// ctrdContainerTargets are the containerd containers of every snapshotter
// root that skip (by ID) does not name: stopped ones, as running ones
// are found from their processes. Each is its writable snapshot and its
// parents, named from its labels (kubelet's) when the runtimes do not
// know it.
func (s *Storage) ctrdContainerTargets(skip func(id string) bool) []*Target {
	var out []*Target
	for _, root := range s.snapRoots {
		db, err := s.snapshotDB(root)
		if err != nil {
			continue
		}
		for _, c := range s.ctrdMeta(root).containers {
			if skip(c.ID) {
				continue
			}
			spec := s.snapshotSpec(root, db.chainFrom(db.byKey[c.TopKey]), "meta.db", true)
			if spec == nil {
				continue
			}
			out = append(out, &Target{Kind: "container", Container: s.ctrdContainer(c), spec: spec})
		}
	}
	return out
}

// ctrdIdle is the containerd container with no task whose ID is spec (a
// whole ID: the runtimes resolve prefixes of the ones they know), or nil.
func (s *Storage) ctrdIdle(spec string) *Target {
	if ts := s.ctrdContainerTargets(func(id string) bool { return id != spec }); len(ts) > 0 {
		return ts[0]
	}
	return nil
}

// ctrdContainer names a containerd container: as the runtimes do, else
// from kubelet's labels.
func (s *Storage) ctrdContainer(c *ctrdContainer) *inspect.Container {
	if k := s.known(c.ID); k != nil {
		return k
	}
	ic := &inspect.Container{Runtime: "containerd", ID: c.ID, Namespace: c.Namespace, Image: c.Image,
		Name: c.Labels["io.kubernetes.container.name"]}
	if pod := c.Labels["io.kubernetes.pod.name"]; pod != "" {
		ic.Pod = &inspect.Pod{Name: pod, Namespace: c.Labels["io.kubernetes.pod.namespace"], UID: c.Labels["io.kubernetes.pod.uid"]}
		if c.Labels["io.cri-containerd.kind"] == "sandbox" {
			ic.Sandbox, ic.Name = true, pod
		}
	}
	return ic
}
