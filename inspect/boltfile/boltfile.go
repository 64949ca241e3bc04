package boltfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
)

// ErrFormat means the bytes are not a (complete, consistent) bbolt file.
var ErrFormat = errors.New("boltfile: not a valid bbolt database")

// The on-disk format, from go.etcd.io/bbolt's page and meta layouts.
const (
	flagBranch     = 0x01
	flagLeaf       = 0x02
	flagMeta       = 0x04
	flagBucketLeaf = 0x01 // a leaf element whose value is a nested bucket
	magic          = 0xED0CDAED
	version        = 2
	pageHeader     = 16 // id u64, flags u16, count u16, overflow u32
	element        = 16 // leaf: flags, pos, ksize, vsize u32; branch: pos, ksize u32, pgid u64
	metaSize       = 64 // magic, version, pageSize, flags u32; root, seq, freelist, pgid, txid, checksum u64
	bucketHeader   = 16 // root pgid u64, sequence u64
	maxDepth       = 64 // a B+tree of 4 KiB pages is never near this deep
)

// DB is a parsed bbolt file: its bytes and the newest valid meta page.
type DB struct {
	data     []byte
	pageSize int
	root     uint64 // page of the root bucket
	maxPage  uint64 // high-water mark: pages at or above it are unused
	txid     uint64
}

type meta struct {
	pageSize     uint32
	root, hw, tx uint64
}

// Parse checks the two meta pages and keeps the valid one with the
// highest transaction ID, as bbolt's Open does. data is not copied.
func Parse(data []byte) (*DB, error) {
	m0, ok0 := readMeta(data, 0)
	ps := 4096
	if ok0 {
		ps = int(m0.pageSize)
	}
	m1, ok1 := readMeta(data, ps)
	best := m0
	switch {
	case ok0 && ok1 && m1.tx > m0.tx && m1.pageSize == m0.pageSize, !ok0 && ok1:
		best = m1
	case !ok0:
		return nil, fmt.Errorf("%w: no valid meta page", ErrFormat)
	}
	return &DB{data: data, pageSize: int(best.pageSize), root: best.root, maxPage: best.hw, txid: best.tx}, nil
}

// readMeta decodes the meta page at off and checks its magic, version,
// page size and FNV-1a checksum.
func readMeta(data []byte, off int) (meta, bool) {
	if off < 0 || off+pageHeader+metaSize > len(data) {
		return meta{}, false
	}
	p := data[off:]
	if binary.LittleEndian.Uint16(p[8:])&flagMeta == 0 {
		return meta{}, false
	}
	m := p[pageHeader : pageHeader+metaSize]
	h := fnv.New64a()
	h.Write(m[:56])
	le := binary.LittleEndian
	ps := le.Uint32(m[8:])
	if le.Uint32(m[0:]) != magic || le.Uint32(m[4:]) != version || le.Uint64(m[56:]) != h.Sum64() ||
		ps < 512 || ps > 1<<16 || ps&(ps-1) != 0 {
		return meta{}, false
	}
	return meta{pageSize: ps, root: le.Uint64(m[16:]), hw: le.Uint64(m[40:]), tx: le.Uint64(m[48:])}, true
}

// TxID is the transaction ID of the meta page in use: it changes with
// every commit, so two reads with the same TxID saw the same data.
func (db *DB) TxID() uint64 { return db.txid }

// Root is the root bucket, which holds the top-level buckets.
func (db *DB) Root() *Bucket { return &Bucket{db: db, root: db.root} }

// page returns the bytes of page id, overflow pages included, after
// checking that it lies in the file, below the high-water mark, and says
// it is that page.
func (db *DB) page(id uint64) ([]byte, error) {
	if id < 2 || id >= db.maxPage || id > uint64(len(db.data)/db.pageSize) {
		return nil, fmt.Errorf("%w: page %d out of range", ErrFormat, id)
	}
	off := int(id) * db.pageSize
	if off+pageHeader > len(db.data) || binary.LittleEndian.Uint64(db.data[off:]) != id {
		return nil, fmt.Errorf("%w: page %d: bad header", ErrFormat, id)
	}
	n := uint64(binary.LittleEndian.Uint32(db.data[off+12:])) + 1
	if id+n > db.maxPage || off+int(n)*db.pageSize > len(db.data) {
		return nil, fmt.Errorf("%w: page %d: overflow past the end", ErrFormat, id)
	}
	return db.data[off : off+int(n)*db.pageSize], nil
}
