package layers

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/ctx-tools/ctx/inspect/boltfile"
)

// The snapshots of testdata/containerd/metadata.db (see its README):
// an image layer, a second layer committed on it, a container's active
// snapshot and a view, all in namespace ctx-dev-cmeta.
const (
	fxNS       = "ctx-dev-cmeta/"
	fxChain1   = "sha256:be803628802a3316bd4f789070ff353a51375daec002e40688d1f2d96916b0a0"
	fxChain2   = "sha256:95cf1a2e1698fe3ca1fcc3f653119146b271d0b62e487ec264441e886a11bd06"
	fxSnapDB   = "testdata/containerd/metadata.db"
	fxSnapKey1 = fxNS + "2/" + fxChain1
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseSnapshotDB(t *testing.T) {
	db, err := parseSnapshotDB(readFixture(t, fxSnapDB))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]snapshot{
		"168": {ID: "168", Key: fxSnapKey1, Kind: snapCommitted},
		"170": {ID: "170", Key: fxNS + "4/cmeta-dev", Kind: snapActive, Parent: fxSnapKey1},
		"171": {ID: "171", Key: fxNS + "6/" + fxChain2, Kind: snapCommitted, Parent: fxSnapKey1},
		"172": {ID: "172", Key: fxNS + "7/cmeta-view", Kind: snapView, Parent: fxSnapKey1},
	}
	if len(db.byID) != len(want) {
		t.Errorf("got %d snapshots; want %d", len(db.byID), len(want))
	}
	for id, w := range want {
		if got := db.byID[id]; got == nil || *got != w {
			t.Errorf("snapshot %s = %+v; want %+v", id, got, w)
		}
	}
	// The parent chain: every parent key is a snapshot of the file.
	keys := map[string]bool{}
	for _, s := range db.byID {
		keys[s.Key] = true
	}
	for _, s := range db.byID {
		if s.Parent != "" && !keys[s.Parent] {
			t.Errorf("snapshot %s: parent %q not in the file", s.ID, s.Parent)
		}
	}
	for id, chain := range map[string]string{"168": fxChain1, "171": fxChain2, "170": "", "172": ""} {
		if got := db.byID[id].chainID(); got != chain {
			t.Errorf("snapshot %s: chainID %q; want %q (committed digest keys only)", id, got, chain)
		}
	}
}

func TestSnapshotName(t *testing.T) {
	for _, tt := range []struct {
		s         snapshot
		name, cid string
	}{
		{snapshot{Key: "k8s.io/12/" + fxChain1, Kind: snapCommitted}, fxChain1, fxChain1},
		{snapshot{Key: "moby/3/extract-123 " + fxChain1, Kind: snapActive}, "extract-123 " + fxChain1, ""},
		{snapshot{Key: "default/4/a/b", Kind: snapCommitted}, "a/b", ""},
		{snapshot{Key: "odd", Kind: snapCommitted}, "odd", ""},
		{snapshot{Key: "default/5/sha256:abc", Kind: snapCommitted}, "sha256:abc", ""},
	} {
		if n, c := tt.s.name(), tt.s.chainID(); n != tt.name || c != tt.cid {
			t.Errorf("%q: name %q, chainID %q; want %q, %q", tt.s.Key, n, c, tt.name, tt.cid)
		}
	}
}

// TestParseSnapshotDBTorn: a copy cut short or damaged is an error (or,
// for damage to bytes nothing reads, the same data), never a panic.
func TestParseSnapshotDBTorn(t *testing.T) {
	full := readFixture(t, fxSnapDB)
	for _, n := range []int{0, 100, 4096, 8192} {
		if _, err := parseSnapshotDB(full[:n]); !errors.Is(err, boltfile.ErrFormat) {
			t.Errorf("first %d bytes: %v; want boltfile.ErrFormat", n, err)
		}
	}
	// Cut anywhere: an error, or all four snapshots (when only unused
	// pages were cut), never a partial list that would make orphans.
	for n := 0; n <= len(full); n += 512 {
		db, err := parseSnapshotDB(full[:n])
		if err == nil && len(db.byID) != 4 {
			t.Errorf("first %d bytes: %d snapshots and no error; want 4 or an error", n, len(db.byID))
		}
	}
	for off := 2 * 4096; off < len(full); off += 61 {
		data := append([]byte(nil), full...)
		data[off] ^= 0xa5
		db, err := parseSnapshotDB(data)
		if err == nil && len(db.byID) > 4 {
			t.Errorf("byte %d flipped: %d snapshots from a file of 4", off, len(db.byID))
		}
	}
	if _, err := parseSnapshotDB([]byte(strings.Repeat("bolt", 2048))); err == nil {
		t.Error("not a bbolt file: no error")
	}
}
