//go:build linux

package layers

import (
	"errors"
	"fmt"
	"io"
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

// readSnapshotDB copies metadata.db into memory and parses the copy.
// containerd holds an flock on the file while it runs; ctx never takes
// it (that would stall containerd) and never writes. If containerd
// committed while the copy was read, the pages the copy's meta points at
// may have been reused, so a changed meta makes the copy unusable.
func (s *Storage) readSnapshotDB(p string) (*snapshotDB, error) {
	f, err := inspect.OpenInRoot(s.root, p, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return nil, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, fmt.Errorf("%q is not a regular file", p)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxSnapshotDB+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxSnapshotDB {
		return nil, fmt.Errorf("%q is larger than %d MiB", p, maxSnapshotDB>>20)
	}
	db, err := parseSnapshotDB(data)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", p, err)
	}
	if changed(f, data) {
		return nil, fmt.Errorf("%q changed while it was read (containerd committed meanwhile)", p)
	}
	return db, nil
}

// changed reports whether the meta pages at the head of the file now name
// another transaction than the copy's.
func changed(f io.ReaderAt, data []byte) bool {
	const head = 2 << 16 // both meta pages at bbolt's largest page size
	now := make([]byte, min(head, len(data)))
	if n, err := f.ReadAt(now, 0); n < len(now) && !errors.Is(err, io.EOF) {
		return true
	}
	a, errA := boltfile.Parse(data)
	b, errB := boltfile.Parse(now)
	return errA != nil || errB != nil || a.TxID() != b.TxID()
}

// snapshotChainID is the ChainID of snapshot id under a snapshotter root,
// from its metadata.db; "" when the database cannot be read (see
// snapshotDB) or the snapshot is not a committed image layer.
func (s *Storage) snapshotChainID(snapRoot, id string) string {
	db, err := s.snapshotDB(snapRoot)
	if err != nil {
		return ""
	}
	if sn := db.byID[id]; sn != nil {
		return sn.chainID()
	}
	return ""
}
