package hostfstest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// fixturesDir is where committed host snapshots live, relative to the
// module root.
var fixturesDir = filepath.Join("inspect", "hostfs", "testdata", "hosts")

// symlinkPrefix marks a New tree value as a symlink target.
const symlinkPrefix = "-> "

// Fixture opens the committed host snapshot
// inspect/hostfs/testdata/hosts/<name> of this module.
func Fixture(t testing.TB, name string) hostfs.Root {
	t.Helper()
	if !filepath.IsLocal(name) {
		t.Fatalf("Fixture: name %q is not a local path", name)
	}
	mod, err := moduleRoot()
	if err != nil {
		t.Fatalf("Fixture: %v", err)
	}
	root, err := hostfs.New(filepath.Join(mod, fixturesDir, name))
	if err != nil {
		t.Fatalf("Fixture %q: %v", name, err)
	}
	return root
}

// New builds a host tree in t.TempDir and returns its Root. Each key is a
// slash-separated path relative to the host's /, each value the file's
// content; a value "-> target" makes a symlink to target instead, as the
// kernel shows namespaces:
//
//	root := hostfstest.New(t, map[string]string{
//		"proc/1/ns/net": "-> net:[4026531993]",
//		"proc/1/comm":   "systemd\n",
//	})
//
// A key ending in "/" makes an empty directory. proc/ always exists.
func New(t testing.TB, tree map[string]string) hostfs.Root {
	t.Helper()
	dir := t.TempDir()
	if err := writeTree(dir, tree); err != nil {
		t.Fatalf("New: %v", err)
	}
	root, err := hostfs.New(dir)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return root
}

// writeTree materializes tree under dir (see New).
func writeTree(dir string, tree map[string]string) error {
	if err := os.MkdirAll(filepath.Join(dir, "proc"), 0o755); err != nil {
		return err
	}
	for key, value := range tree {
		rel := filepath.FromSlash(strings.TrimSuffix(key, "/"))
		if !filepath.IsLocal(rel) {
			return fmt.Errorf("tree path %q is not local", key)
		}
		p := filepath.Join(dir, rel)
		if strings.HasSuffix(key, "/") {
			if value != "" {
				return fmt.Errorf("tree path %q: a directory has no content", key)
			}
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		var err error
		if target, ok := strings.CutPrefix(value, symlinkPrefix); ok {
			err = os.Symlink(target, p)
		} else {
			err = os.WriteFile(p, []byte(value), 0o644)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// moduleRoot walks up from the working directory (the package directory
// under go test) to the directory holding go.mod.
func moduleRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above %q", wd)
		}
		dir = parent
	}
}
