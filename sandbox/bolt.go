package sandbox

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// boltDB is a read-only view of a bbolt file held in memory: enough of the
// format (go.etcd.io/bbolt: page.go, node.go, bucket.go) to read the
// nested buckets of containerd's meta.db and its snapshotter's
// metadata.db. containerd flocks those files while it runs, which bbolt's
// own Open honours; reading the bytes does not need the lock, and a copy
// taken mid-write is at worst stale, never corrupt: bbolt never overwrites
// the pages the newest meta points at.
type boltDB struct {
	data     []byte
	pageSize int
	root     uint64 // root bucket page
}

// bbolt's page flags and leaf element flags.
const (
	boltBranch     = 0x01
	boltLeaf       = 0x02
	boltMeta       = 0x04
	boltBucketLeaf = 0x01
	boltMagic      = 0xED0CDAED
	boltPageHeader = 16 // id u64, flags u16, count u16, overflow u32
	boltElement    = 16 // leaf: flags, pos, ksize, vsize u32; branch: pos, ksize u32, pgid u64
)

var errBolt = errors.New("not a bbolt database")

// openBolt parses the two meta pages and keeps the valid one with the
// highest transaction ID.
func openBolt(data []byte) (*boltDB, error) {
	if len(data) < 2*512 {
		return nil, errBolt
	}
	type meta struct {
		pageSize uint32
		root     uint64
		txid     uint64
	}
	read := func(off int) (meta, bool) {
		if off+boltPageHeader+64 > len(data) {
			return meta{}, false
		}
		p := data[off:]
		if binary.LittleEndian.Uint16(p[8:])&boltMeta == 0 {
			return meta{}, false
		}
		m := p[boltPageHeader:]
		if binary.LittleEndian.Uint32(m[0:]) != boltMagic {
			return meta{}, false
		}
		return meta{
			pageSize: binary.LittleEndian.Uint32(m[8:]),
			root:     binary.LittleEndian.Uint64(m[16:]),
			txid:     binary.LittleEndian.Uint64(m[48:]),
		}, true
	}
	m0, ok0 := read(0)
	if !ok0 || m0.pageSize < 512 || m0.pageSize > 1<<20 {
		return nil, errBolt
	}
	m1, ok1 := read(int(m0.pageSize))
	best := m0
	if ok1 && m1.txid > m0.txid && m1.pageSize == m0.pageSize {
		best = m1
	}
	return &boltDB{data: data, pageSize: int(best.pageSize), root: best.root}, nil
}

// boltBucket is a bucket: a root page in the file, or an inline page.
type boltBucket struct {
	db     *boltDB
	root   uint64
	inline []byte // the page of an inline bucket (root == 0)
}

func (db *boltDB) rootBucket() *boltBucket { return &boltBucket{db: db, root: db.root} }

// page returns the bytes of page id, overflow pages included.
func (db *boltDB) page(id uint64) ([]byte, error) {
	off := int(id) * db.pageSize
	if id == 0 || off < 0 || off+boltPageHeader > len(db.data) {
		return nil, fmt.Errorf("bbolt: page %d out of range", id)
	}
	overflow := int(binary.LittleEndian.Uint32(db.data[off+12:]))
	end := off + (overflow+1)*db.pageSize
	if end > len(db.data) || end < off {
		end = len(db.data)
	}
	return db.data[off:end], nil
}

// forEach calls fn for every key of the bucket, in key order, with its
// value and whether it is a nested bucket. It stops at the first error.
func (b *boltBucket) forEach(fn func(k, v []byte, bucket bool) error) error {
	if b.root == 0 {
		return b.db.walk(b.inline, fn, 0)
	}
	p, err := b.db.page(b.root)
	if err != nil {
		return err
	}
	return b.db.walk(p, fn, 0)
}

func (db *boltDB) walk(p []byte, fn func(k, v []byte, bucket bool) error, depth int) error {
	if depth > 64 || len(p) < boltPageHeader {
		return errors.New("bbolt: malformed page")
	}
	flags := binary.LittleEndian.Uint16(p[8:])
	count := int(binary.LittleEndian.Uint16(p[10:]))
	for i := 0; i < count; i++ {
		e := boltPageHeader + i*boltElement
		if e+boltElement > len(p) {
			return errors.New("bbolt: malformed page")
		}
		switch {
		case flags&boltBranch != 0:
			child, err := db.page(binary.LittleEndian.Uint64(p[e+8:]))
			if err != nil {
				return err
			}
			if err := db.walk(child, fn, depth+1); err != nil {
				return err
			}
		case flags&boltLeaf != 0:
			eflags := binary.LittleEndian.Uint32(p[e:])
			pos := int(binary.LittleEndian.Uint32(p[e+4:]))
			ksize := int(binary.LittleEndian.Uint32(p[e+8:]))
			vsize := int(binary.LittleEndian.Uint32(p[e+12:]))
			k0 := e + pos
			if k0 < 0 || k0+ksize+vsize > len(p) {
				return errors.New("bbolt: malformed leaf")
			}
			if err := fn(p[k0:k0+ksize], p[k0+ksize:k0+ksize+vsize], eflags&boltBucketLeaf != 0); err != nil {
				return err
			}
		default:
			return fmt.Errorf("bbolt: unexpected page flags %#x", flags)
		}
	}
	return nil
}

var errStop = errors.New("stop")

// get returns the value of key, or of the nested bucket key when bucket
// is set; nil when absent.
func (b *boltBucket) get(key string) (v []byte, isBucket bool) {
	b.forEach(func(k, val []byte, bk bool) error {
		if string(k) == key {
			v, isBucket = val, bk
			return errStop
		}
		return nil
	})
	return v, isBucket
}

// bucket returns the nested bucket at path, or nil.
func (b *boltBucket) bucket(path ...string) *boltBucket {
	cur := b
	for _, name := range path {
		v, ok := cur.get(name)
		if !ok || len(v) < 16 {
			return nil
		}
		nb := &boltBucket{db: cur.db, root: binary.LittleEndian.Uint64(v)}
		if nb.root == 0 {
			nb.inline = v[16:]
		}
		cur = nb
	}
	return cur
}

// keys lists the keys of a bucket; buckets selects nested buckets only.
func (b *boltBucket) keys(buckets bool) []string {
	var out []string
	b.forEach(func(k, _ []byte, bk bool) error {
		if bk == buckets {
			out = append(out, string(k))
		}
		return nil
	})
	return out
}
