//go:build linux

package layers

import (
	"fmt"
	"path"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/inspect"
	"github.com/ctx-tools/ctx/inspect/boltfile"
)

// maxSnapshotDB caps the snapshotter database ctx copies into memory.
const maxSnapshotDB = 256 << 20

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

// readSnapshotDB copies metadata.db into memory and reads the copy (see
// boltfile.ReadCopy: ctx never takes containerd's lock and never writes).
func (s *Storage) readSnapshotDB(p string) (*snapshotDB, error) {
	f, err := inspect.OpenInRoot(s.root, p, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	db, err := boltfile.ReadCopy(f, maxSnapshotDB)
	if err != nil {
		return nil, err
	}
	snaps, err := snapshotsOf(db)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", p, err)
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
