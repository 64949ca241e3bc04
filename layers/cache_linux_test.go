package layers

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctx-tools/ctx/inspect/hostfs"
	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

// duAllCached runs DuAll with the layer cache in dir ("" for none) and
// returns the report as JSON with the cached marks taken out, which
// layer dirs came from the cache, and the warnings.
func duAllCached(t *testing.T, root hostfs.Root, dir string) (string, map[string]bool, []string) {
	t.Helper()
	s, err := Open(root, Options{TopN: 5, CacheDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	rep, roots, err := s.DuAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cached := map[string]bool{}
	for _, l := range rep.Layers {
		if l.Usage != nil && l.Usage.Cached {
			cached[strings.TrimPrefix(l.Dir, "/var/lib/docker/overlay2/")[:2]] = true
		}
	}
	b, err := json.Marshal(struct {
		R *Report
		S []StorageRoot
	}{rep, roots})
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(b), `,"cached":true`, ""), cached, append(rep.Warnings, s.Warnings()...)
}

func keys(m map[string]bool) string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	if len(out) == 2 && out[0] > out[1] {
		out[0], out[1] = out[1], out[0]
	}
	return strings.Join(out, " ")
}

// TestLayerCache: a second run takes the image layers (and only them)
// from the cache and reports exactly what a full walk does, hard links
// and hidden bytes included; a change at a layer's root, or its lower's,
// makes it walked again; no cache is written without one asked for.
func TestLayerCache(t *testing.T) {
	hostfstest.NoFDLeak(t)
	root := dockerHost(t)
	o := root.Host("/var/lib/docker/overlay2/")
	// A hard link between a cached layer and a walked dir: the storage
	// total counts it once only if the cache keeps the layer's links.
	if err := os.Link(filepath.Join(o, fxL1, "diff/bin/sh"), filepath.Join(o, fxOrphan, "diff/sh")); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "cache")

	want, cached, _ := duAllCached(t, root, "")
	if len(cached) != 0 {
		t.Fatalf("cached %v without a cache", cached)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("a run without a cache dir made %s (%v)", dir, err)
	}
	got, cached, _ := duAllCached(t, root, dir)
	if got != want || len(cached) != 0 {
		t.Fatalf("first cached run (cached %v) differs:\n%s\nwant\n%s", cached, got, want)
	}
	for p, mode := range map[string]os.FileMode{dir: os.ModeDir | 0o700, filepath.Join(dir, cacheFile): 0o600} {
		if fi, err := os.Stat(p); err != nil || fi.Mode() != mode {
			t.Errorf("%s: %v %v; want mode %v", p, fi.Mode(), err, mode)
		}
	}

	got, cached, _ = duAllCached(t, root, dir)
	if keys(cached) != "11 22" {
		t.Errorf("from the cache: %v; want the two image layers, never upper or init", keys(cached))
	}
	if got != want {
		t.Errorf("cached run differs:\n%s\nwant\n%s", got, want)
	}

	// A file added at the top layer's root: that layer is walked again.
	writeFile(t, filepath.Join(o, fxL2, "diff/added"), 5000)
	want, _, _ = duAllCached(t, root, "")
	got, cached, _ = duAllCached(t, root, dir)
	if keys(cached) != "11" || got != want {
		t.Errorf("after a change in layer 2: cached %v; report equal %v", keys(cached), got == want)
	}
	// A change in the lower layer: both are walked again, since what the
	// upper one hides depends on it.
	if err := os.Remove(filepath.Join(o, fxL1, "diff/bin/sh")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(o, fxL1, "diff/bin")); err != nil {
		t.Fatal(err)
	}
	want, _, _ = duAllCached(t, root, "")
	got, cached, _ = duAllCached(t, root, dir)
	if len(cached) != 0 || got != want {
		t.Errorf("after a change in layer 1: cached %v; report equal %v", keys(cached), got == want)
	}
	if _, cached, _ = duAllCached(t, root, dir); keys(cached) != "11 22" {
		t.Errorf("the next run: cached %v", keys(cached))
	}
}

// TestLayerCacheUntrusted: a cache ctx cannot trust is not used, is
// named in a warning, and is replaced by a good one.
func TestLayerCacheUntrusted(t *testing.T) {
	root := dockerHost(t)
	want, _, _ := duAllCached(t, root, "")
	for name, spoil := range map[string]func(p string) error{
		"garbage":        func(p string) error { return os.WriteFile(p, []byte(`{"version":1,"entries":{"x":`), 0o600) },
		"world-writable": func(p string) error { return os.Chmod(p, 0o666) },
		"symlink": func(p string) error {
			if err := os.Rename(p, p+".real"); err != nil {
				return err
			}
			return os.Symlink(filepath.Base(p)+".real", p)
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			duAllCached(t, root, dir)
			if err := spoil(filepath.Join(dir, cacheFile)); err != nil {
				t.Fatal(err)
			}
			got, cached, warnings := duAllCached(t, root, dir)
			if len(cached) != 0 || got != want {
				t.Errorf("cached %v from a %s cache; report equal %v", cached, name, got == want)
			}
			if !strings.Contains(strings.Join(warnings, "\n"), "layer cache") {
				t.Errorf("no warning about the cache: %q", warnings)
			}
			if fi, err := os.Lstat(filepath.Join(dir, cacheFile)); err != nil || fi.Mode() != 0o600 {
				t.Errorf("not replaced by a good cache: %v %v", fi.Mode(), err)
			}
			if _, cached, _ := duAllCached(t, root, dir); keys(cached) != "11 22" {
				t.Errorf("the next run: cached %v", keys(cached))
			}
		})
	}
}
