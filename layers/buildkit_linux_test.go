//go:build linux

package layers

import (
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

// fxBuildkitDB is a real dockerd BuildKit snapshots.db (see its README).
const fxBuildkitDB = "testdata/buildkit/snapshots.db"

func TestBuildkitKeys(t *testing.T) {
	f, err := os.Open(fxBuildkitDB)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	keys, err := buildkitKeys(f)
	if err != nil {
		t.Fatal(err)
	}
	// Every snapshot of the README's table, and nothing else: not the
	// chainid, committed or parent values the bytes also hold.
	want := []string{"6j2zqwun5apl02ld082idmqoh", "b5e4sf6f1nnf0n5sy5nqc5rw3", "j2kzupqnsjs3re0303fjuw2bw",
		"jdoefmhue5s3f8bjmlpxsx1jj", "o8hykwf9odf3hcr7byp6lh7ra", "oz4swxmiyxfuts2lcncrivvvr",
		"sha256:be803628802a3316bd4f789070ff353a51375daec002e40688d1f2d96916b0a0",
		"tbicnoizowazivov4r0bx2zm4", "z1ok678ficf341exgjrj47eaq"}
	if got := slices.Sorted(maps.Keys(keys)); !slices.Equal(got, want) {
		t.Errorf("keys %q; want %q", got, want)
	}
}

// TestBuildkitRefsUnusable: no database means BuildKit owns nothing; one
// that cannot be parsed means any unreferenced dir may be BuildKit's, with
// a warning that says so.
func TestBuildkitRefsUnusable(t *testing.T) {
	s := &Storage{}
	l := &storeLayout{store: StoreDocker, root: "/var/lib/docker"}
	var warnings []string
	s.root = hostfstest.New(t, map[string]string{"var/lib/docker/overlay2/": ""})
	if b := s.buildkitRefs(l, &warnings); b != nil || b.owns(fxBK) || len(warnings) != 0 {
		t.Errorf("no database: %+v, warnings %q; want nil and none", b, warnings)
	}
	s.root = hostfstest.New(t, map[string]string{"var/lib/docker/buildkit/snapshots.db": "\x00\x01bucket" + fxBK + "\x00parent"})
	b := s.buildkitRefs(l, &warnings)
	if !b.owns(fxOrphan) || len(warnings) != 1 || !strings.Contains(warnings[0], "reported as build cache") {
		t.Errorf("garbage database: %+v, warnings %q; want every dir owned and one warning", b, warnings)
	}
	s.root = hostfstest.New(t, map[string]string{"var/lib/docker/buildkit/snapshots.db": string(readFixture(t, fxBuildkitDB))})
	if b := s.buildkitRefs(l, &warnings); !b.owns(fxBK) || b.owns(fxOrphan) || len(warnings) != 1 {
		t.Errorf("real database: owns %s %v, owns %s %v, warnings %q", fxBK, b.owns(fxBK), fxOrphan, b.owns(fxOrphan), warnings)
	}
}
