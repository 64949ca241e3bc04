//go:build unix

package boltfile

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func writeTemp(t *testing.T, data []byte) *os.File {
	t.Helper()
	p := filepath.Join(t.TempDir(), "meta.db")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestReadMapped: a mapped file is parsed in place; a commit during use
// (a higher transaction ID) has use run again; size caps and damage are
// errors.
func TestReadMapped(t *testing.T) {
	f := writeTemp(t, testFile())
	calls := 0
	var names []string
	err := ReadMapped(f, 1<<20, func(db *DB) error {
		calls++
		if calls == 1 {
			// containerd commits while ctx reads: the older meta page
			// is rewritten with the next transaction.
			later := testFile()
			writeMeta(later, 0, 2, 6, 3)
			if err := os.WriteFile(f.Name(), later, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		var err error
		names, err = db.Root().Buckets()
		return err
	})
	if err != nil || calls != 2 || !slices.Equal(names, []string{"big", "v1"}) {
		t.Errorf("ReadMapped: %v after %d calls, buckets %q; want a second call after the commit, and [big v1]", err, calls, names)
	}
	if err := ReadMapped(writeTemp(t, testFile()), 4*ps, func(*DB) error { return nil }); err == nil {
		t.Error("a file over the cap was mapped")
	}
	damaged := testFile()
	damaged[20] ^= 0xff
	damaged[ps+20] ^= 0xff
	if err := ReadMapped(writeTemp(t, damaged), 1<<20, func(*DB) error { return nil }); !errors.Is(err, ErrFormat) {
		t.Errorf("a damaged file: %v; want ErrFormat", err)
	}
	dir, err := os.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	if err := ReadMapped(dir, 1<<20, func(*DB) error { return nil }); err == nil {
		t.Error("a directory was read as a database")
	}
}

// TestMappedChanged: mapped reports a commit made during use (the older
// meta page rewritten with the next transaction), seen through the shared
// mapping, and no change when there was none.
func TestMappedChanged(t *testing.T) {
	for _, commit := range []bool{false, true} {
		f := writeTemp(t, testFile())
		var tx uint64
		changed, err := mapped(f, len(testFile()), func(db *DB) error {
			tx = db.TxID()
			if commit {
				later := testFile()
				writeMeta(later, 0, 2, 6, 3)
				w, err := os.OpenFile(f.Name(), os.O_WRONLY, 0)
				if err != nil {
					return err
				}
				defer w.Close()
				if _, err := w.WriteAt(later[:ps], 0); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil || tx != 2 || changed != commit {
			t.Errorf("commit %v: changed %v, err %v, tx seen %d; want changed %v, tx 2", commit, changed, err, tx, commit)
		}
	}
}
