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

func TestReadCopy(t *testing.T) {
	db, err := ReadCopy(writeTemp(t, testFile()), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	names, err := db.Root().Buckets()
	if err != nil || !slices.Equal(names, []string{"big", "v1"}) {
		t.Errorf("Buckets() = %q, %v; want [big v1]", names, err)
	}
	if _, err := ReadCopy(writeTemp(t, testFile()), 4*ps); err == nil {
		t.Error("a file over the cap was read")
	}
	dir, err := os.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	if _, err := ReadCopy(dir, 1<<20); err == nil {
		t.Error("a directory was read as a database")
	}
}

// TestChangedSince: a commit between the copy and the second look at
// the meta pages (a higher transaction ID) makes the copy unusable.
func TestChangedSince(t *testing.T) {
	db, err := Parse(testFile())
	if err != nil {
		t.Fatal(err)
	}
	if changedSince(writeTemp(t, testFile()), db) {
		t.Error("an unchanged file reported as changed")
	}
	later := testFile()
	writeMeta(later, 0, 2, 6, 3) // the next commit rewrites the older meta
	if !changedSince(writeTemp(t, later), db) {
		t.Error("a commit during the copy went unnoticed")
	}
	if !changedSince(writeTemp(t, []byte("truncated")), db) {
		t.Error("a file cut short after the copy went unnoticed")
	}
}

// TestHeadChanged: a copy that does not parse is read again only when
// the meta pages moved on since (a commit meanwhile), not when the file
// is just damaged.
func TestHeadChanged(t *testing.T) {
	data := testFile()
	if headChanged(writeTemp(t, data), data) {
		t.Error("an unchanged file reported as changed")
	}
	later := testFile()
	writeMeta(later, 0, 2, 6, 3)
	if !headChanged(writeTemp(t, later), data) {
		t.Error("a commit went unnoticed")
	}
	// No valid meta page and nothing changing: the format error, at once.
	damaged := testFile()
	damaged[20] ^= 0xff
	damaged[ps+20] ^= 0xff
	if _, err := ReadCopy(writeTemp(t, damaged), 1<<20); !errors.Is(err, ErrFormat) {
		t.Errorf("a damaged file: %v; want ErrFormat", err)
	}
}
