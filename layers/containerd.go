package layers

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/ctx-tools/ctx/inspect/boltfile"
)

// Kinds of a containerd snapshot, as the snapshotter stores them.
const (
	snapView      = 1
	snapActive    = 2
	snapCommitted = 3
)

// snapshot is one record of the overlayfs snapshotter's metadata.db.
type snapshot struct {
	ID     string // the snapshots/<ID> dir
	Key    string // "<namespace>/<n>/<key>"
	Kind   int
	Parent string // the parent's Key
}

// name is the key the client chose: the part after "<namespace>/<n>/".
// For image layers unpacked by containerd it is the ChainID; for a
// container's snapshot, usually the container ID.
func (s *snapshot) name() string {
	parts := strings.SplitN(s.Key, "/", 3)
	if len(parts) < 3 {
		return s.Key
	}
	return parts[2]
}

// label is the snapshot's key without the internal counter:
// "<namespace>/<key>".
func (s *snapshot) label() string {
	parts := strings.SplitN(s.Key, "/", 3)
	if len(parts) < 3 {
		return s.Key
	}
	return parts[0] + "/" + parts[2]
}

// chainID is the snapshot's ChainID: the key of a committed snapshot when
// it has a digest's shape, else "".
func (s *snapshot) chainID() string {
	if n := s.name(); s.Kind == snapCommitted && isDigest(n) {
		return n
	}
	return ""
}

// snapshotDB is what ctx knows of one snapshotter's metadata.db.
type snapshotDB struct {
	byID  map[string]*snapshot
	byKey map[string]*snapshot
}

// chainOf is the stack of the active snapshot a client keyed name (a
// container ID), top first down its parents; nil when there is none. A
// name in more than one namespace is ambiguous: nil too.
func (db *snapshotDB) chainOf(name string) []*snapshot {
	var top *snapshot
	for _, s := range db.byID {
		if s.Kind == snapActive && s.name() == name {
			if top != nil {
				return nil
			}
			top = s
		}
	}
	return db.chainFrom(top)
}

// chainFrom is top and its parents, top first; nil for a nil top. A loop
// in the parent keys (the file is data) ends it.
func (db *snapshotDB) chainFrom(top *snapshot) []*snapshot {
	var out []*snapshot
	for s := top; s != nil && len(out) <= len(db.byID); s = db.byKey[s.Parent] {
		out = append(out, s)
	}
	return out
}

// parseSnapshotDB reads v1/snapshots of a containerd overlayfs
// snapshotter's metadata.db: one bucket per key holding id (uvarint), kind
// (one byte) and parent (the parent's key). Damage anywhere is an error:
// a partial list would turn live snapshots into orphans.
func parseSnapshotDB(data []byte) (*snapshotDB, error) {
	db, err := boltfile.Parse(data)
	if err != nil {
		return nil, err
	}
	return snapshotsOf(db)
}

// snapshotsOf is parseSnapshotDB on a parsed file.
func snapshotsOf(db *boltfile.DB) (*snapshotDB, error) {
	snaps, err := db.Root().Bucket("v1", "snapshots")
	if err != nil {
		return nil, err
	}
	out := &snapshotDB{byID: map[string]*snapshot{}, byKey: map[string]*snapshot{}}
	if snaps == nil {
		return out, nil // a snapshotter that never made a snapshot
	}
	err = snaps.ForEach(func(k, _ []byte, b *boltfile.Bucket) error {
		if b == nil {
			return nil
		}
		s, err := parseSnapshot(string(k), b)
		if err != nil {
			return err
		}
		out.byID[s.ID] = s
		out.byKey[s.Key] = s
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func parseSnapshot(key string, b *boltfile.Bucket) (*snapshot, error) {
	s := &snapshot{Key: key}
	err := b.ForEach(func(k, v []byte, _ *boltfile.Bucket) error {
		switch string(k) {
		case "id":
			id, n := binary.Uvarint(v)
			if n <= 0 {
				return fmt.Errorf("snapshot %q: bad id %x", key, v)
			}
			s.ID = strconv.FormatUint(id, 10)
		case "kind":
			if len(v) == 1 {
				s.Kind = int(v[0])
			}
		case "parent":
			s.Parent = string(v)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if s.ID == "" {
		return nil, fmt.Errorf("snapshot %q has no id", key)
	}
	return s, nil
}
