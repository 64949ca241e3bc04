package boltfile

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// ReadCopy reads the bbolt file f into memory, at most max bytes, and
// parses the copy. The file's owner (containerd) holds an flock on it and
// may commit while it is read: ctx never takes the lock, so after the read
// it looks at the meta pages again, and a changed transaction ID makes the
// copy unusable (the pages its meta points at may have been reused).
func ReadCopy(f *os.File, max int64) (*DB, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%q is not a regular file", f.Name())
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%q is larger than %d MiB", f.Name(), max>>20)
	}
	db, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", f.Name(), err)
	}
	if changedSince(f, db) {
		return nil, fmt.Errorf("%q changed while it was read (a commit meanwhile)", f.Name())
	}
	return db, nil
}

// changedSince reports whether the meta pages at the head of f now name
// another transaction than db's.
func changedSince(f io.ReaderAt, db *DB) bool {
	const head = 2 << 16 // both meta pages at bbolt's largest page size
	now := make([]byte, min(head, len(db.data)))
	if n, err := f.ReadAt(now, 0); n < len(now) && !errors.Is(err, io.EOF) {
		return true
	}
	again, err := Parse(now)
	return err != nil || again.TxID() != db.TxID()
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
