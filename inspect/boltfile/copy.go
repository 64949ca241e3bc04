package boltfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// readAttempts bounds the reads of a file that keeps changing.
const readAttempts = 3

// ReadCopy reads the bbolt file f into memory, at most max bytes, and
// parses the copy. The file's owner (containerd) holds an flock on it and
// may commit while it is read: ctx never takes the lock, so after the read
// it looks at the meta pages again, and a changed transaction ID makes the
// copy unusable (the pages its meta points at may have been reused). Such
// a copy is read again, a moment later, up to readAttempts reads in all:
// containerd commits in bursts (a container's creation, then its lease).
func ReadCopy(f *os.File, max int64) (*DB, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%q is not a regular file", f.Name())
	}
	for attempt := 1; ; attempt++ {
		data, err := io.ReadAll(io.NewSectionReader(f, 0, max+1))
		if err != nil {
			return nil, err
		}
		if int64(len(data)) > max {
			return nil, fmt.Errorf("%q is larger than %d MiB", f.Name(), max>>20)
		}
		db, err := Parse(data)
		switch {
		case err == nil && !changedSince(f, db):
			return db, nil
		case err != nil && !headChanged(f, data):
			return nil, fmt.Errorf("%q: %w", f.Name(), err) // damaged, not changing
		case attempt == readAttempts:
			return nil, fmt.Errorf("%q changed while it was read, %d times (commits meanwhile)", f.Name(), readAttempts)
		}
		time.Sleep(time.Duration(attempt) * 20 * time.Millisecond)
	}
}

// metaHead is how much of the file's head holds both meta pages, at
// bbolt's largest page size.
const metaHead = 2 << 16

// changedSince reports whether the meta pages at the head of f now name
// another transaction than db's.
func changedSince(f io.ReaderAt, db *DB) bool {
	now := make([]byte, min(metaHead, len(db.data)))
	if n, err := f.ReadAt(now, 0); n < len(now) && !errors.Is(err, io.EOF) {
		return true
	}
	again, err := Parse(now)
	return err != nil || again.TxID() != db.TxID()
}

// headChanged reports whether the head of f (the meta pages) differs from
// the copy's: a commit since the read began.
func headChanged(f io.ReaderAt, data []byte) bool {
	now := make([]byte, min(metaHead, len(data)))
	n, err := f.ReadAt(now, 0)
	if n < len(now) && !errors.Is(err, io.EOF) {
		return true
	}
	return !bytes.Equal(now[:n], data[:n])
}

// Buckets lists the names of the bucket's nested buckets, in key order.
func (b *Bucket) Buckets() ([]string, error) {
	var out []string
	err := b.ForEach(func(k, _ []byte, nested *Bucket) error {
		if nested != nil {
			out = append(out, string(k))
		}
		return nil
	})
	return out, err
}
