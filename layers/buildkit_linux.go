//go:build linux

package layers

import (
	"fmt"
	"os"
	"path"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/inspect"
	"github.com/ctx-tools/ctx/inspect/boltfile"
)

// buildkitRefs are the snapshots of dockerd's BuildKit, from
// buildkit/snapshots.db. Each of its top-level buckets is a snapshot; one
// BuildKit keeps itself (a build context, a committed step) lives in the
// graph driver dir named by its key, while one with a "chainid" record
// points into the layerdb and has no dir of its own.
type buildkitRefs struct {
	keys map[string]bool
	// unknown: the database exists but could not be read, so any dir
	// no layerdb names may be BuildKit's: it is called build cache,
	// never an orphan, erring on the side of keeping it.
	unknown bool
}

// owns reports whether BuildKit may own the layer dir named id; false on
// a nil *buildkitRefs (no BuildKit database).
func (b *buildkitRefs) owns(id string) bool {
	return b != nil && (b.unknown || b.keys[id])
}

// buildkitRefs reads a docker store's buildkit/snapshots.db through a
// mapping, as containerd's metadata.db is read (boltfile.ReadMapped: no
// lock, no write). nil when the store is not docker's or has no database.
func (s *Storage) buildkitRefs(l *storeLayout, warnings *[]string) *buildkitRefs {
	if l.store != StoreDocker {
		return nil
	}
	p := path.Join(l.root, "buildkit", "snapshots.db")
	f, err := inspect.OpenInRoot(s.root, p, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK)
	if err != nil {
		if !os.IsNotExist(err) {
			*warnings = append(*warnings, fmt.Sprintf("docker: reading %q: %v: unreferenced layer dirs are reported as build cache", p, err))
			return &buildkitRefs{unknown: true}
		}
		return nil
	}
	defer f.Close()
	keys, err := buildkitKeys(f)
	if err != nil {
		*warnings = append(*warnings, fmt.Sprintf("docker: BuildKit's %v: unreferenced layer dirs are reported as build cache", err))
		return &buildkitRefs{unknown: true}
	}
	return &buildkitRefs{keys: keys}
}

// buildkitKeys lists the snapshot keys of an open snapshots.db.
func buildkitKeys(f *os.File) (map[string]bool, error) {
	var names []string
	err := boltfile.ReadMapped(f, maxBoltDB, func(db *boltfile.DB) (err error) {
		names, err = db.Root().Buckets()
		return err
	})
	if err != nil {
		return nil, err
	}
	keys := make(map[string]bool, len(names))
	for _, n := range names {
		keys[n] = true
	}
	return keys, nil
}
