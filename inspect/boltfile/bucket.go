package boltfile

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Bucket is a bucket: a tree of pages in the file, or an inline page
// stored in its parent's value.
type Bucket struct {
	db     *DB
	root   uint64
	inline []byte // the page of an inline bucket (root == 0)
}

// ForEach calls fn for every key of the bucket in key order, with its
// value, or with the nested bucket (and a nil value) when the key is one.
// It stops at fn's first error or at damage, and returns that error.
func (b *Bucket) ForEach(fn func(k, v []byte, nested *Bucket) error) error {
	w := walker{db: b.db, fn: fn, seen: map[uint64]bool{}}
	if b.root == 0 {
		return w.walk(b.inline, 0)
	}
	return w.walkPage(b.root, 0)
}

// walker visits one bucket's tree, each page at most once: a damaged
// branch pointing back up must not loop or fan out.
type walker struct {
	db   *DB
	fn   func(k, v []byte, nested *Bucket) error
	seen map[uint64]bool
}

func (w *walker) walkPage(id uint64, depth int) error {
	if w.seen[id] {
		return fmt.Errorf("%w: page %d referenced twice", ErrFormat, id)
	}
	w.seen[id] = true
	p, err := w.db.page(id)
	if err != nil {
		return err
	}
	return w.walk(p, depth)
}

func (w *walker) walk(p []byte, depth int) error {
	if depth > maxDepth || len(p) < pageHeader {
		return fmt.Errorf("%w: malformed page", ErrFormat)
	}
	le := binary.LittleEndian
	flags, count := le.Uint16(p[8:]), int(le.Uint16(p[10:]))
	if pageHeader+count*element > len(p) {
		return fmt.Errorf("%w: page elements past its end", ErrFormat)
	}
	for i := range count {
		e := p[pageHeader+i*element:]
		var err error
		switch {
		case flags&flagBranch != 0:
			err = w.walkPage(le.Uint64(e[8:]), depth+1)
		case flags&flagLeaf != 0:
			err = w.leaf(p, pageHeader+i*element)
		default:
			err = fmt.Errorf("%w: page flags %#x in a bucket", ErrFormat, flags)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// leaf decodes the leaf element at offset e of page p; its key and value
// lie pos bytes after the element.
func (w *walker) leaf(p []byte, e int) error {
	le := binary.LittleEndian
	eflags := le.Uint32(p[e:])
	pos, ksize, vsize := uint64(le.Uint32(p[e+4:])), uint64(le.Uint32(p[e+8:])), uint64(le.Uint32(p[e+12:]))
	k0 := uint64(e) + pos
	if k0+ksize+vsize > uint64(len(p)) {
		return fmt.Errorf("%w: leaf element past its page", ErrFormat)
	}
	k, v := p[k0:k0+ksize], p[k0+ksize:k0+ksize+vsize]
	if eflags&flagBucketLeaf == 0 {
		return w.fn(k, v, nil)
	}
	if len(v) < bucketHeader {
		return fmt.Errorf("%w: bucket %q: short header", ErrFormat, k)
	}
	nb := &Bucket{db: w.db, root: le.Uint64(v)}
	if nb.root == 0 {
		nb.inline = v[bucketHeader:]
	}
	return w.fn(k, nil, nb)
}

var errFound = errors.New("found")

// Get returns the value of key and, when key is a nested bucket, that
// bucket instead. Both are nil when the key is absent.
func (b *Bucket) Get(key string) ([]byte, *Bucket, error) {
	var val []byte
	var nested *Bucket
	err := b.ForEach(func(k, v []byte, nb *Bucket) error {
		if string(k) == key {
			val, nested = v, nb
			return errFound
		}
		return nil
	})
	if err != nil && !errors.Is(err, errFound) {
		return nil, nil, err
	}
	return val, nested, nil
}

// Bucket returns the nested bucket at path, or nil, nil when a part of the
// path is absent or not a bucket.
func (b *Bucket) Bucket(path ...string) (*Bucket, error) {
	cur := b
	for _, name := range path {
		_, nb, err := cur.Get(name)
		if err != nil || nb == nil {
			return nil, err
		}
		cur = nb
	}
	return cur, nil
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
