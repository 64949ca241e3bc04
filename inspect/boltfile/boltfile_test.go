package boltfile

import (
	"encoding/binary"
	"errors"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"testing"
)

const ps = 4096

var le = binary.LittleEndian

type kv struct {
	k, v   string
	bucket bool
}

// writeMeta writes a meta page with a valid checksum.
func writeMeta(data []byte, pg int, root, hw, txid uint64) {
	p := data[pg*ps:]
	le.PutUint64(p[0:], uint64(pg))
	le.PutUint16(p[8:], flagMeta)
	m := p[pageHeader:]
	le.PutUint32(m[0:], magic)
	le.PutUint32(m[4:], version)
	le.PutUint32(m[8:], ps)
	le.PutUint64(m[16:], root)
	le.PutUint64(m[40:], hw)
	le.PutUint64(m[48:], txid)
	h := fnv.New64a()
	h.Write(m[:56])
	le.PutUint64(m[56:], h.Sum64())
}

// writeLeaf writes a leaf page (header id, then elements, then keys and
// values) into buf and returns its length.
func writeLeaf(buf []byte, id uint64, items []kv) int {
	le.PutUint64(buf[0:], id)
	le.PutUint16(buf[8:], flagLeaf)
	le.PutUint16(buf[10:], uint16(len(items)))
	off := pageHeader + len(items)*element
	for i, it := range items {
		e := pageHeader + i*element
		if it.bucket {
			le.PutUint32(buf[e:], flagBucketLeaf)
		}
		le.PutUint32(buf[e+4:], uint32(off-e))
		le.PutUint32(buf[e+8:], uint32(len(it.k)))
		le.PutUint32(buf[e+12:], uint32(len(it.v)))
		off += copy(buf[off:], it.k)
		off += copy(buf[off:], it.v)
	}
	return off
}

func inline(items []kv) string {
	b := make([]byte, 1024)
	n := writeLeaf(b[bucketHeader:], 0, items) // root 0: the page follows
	return string(b[:bucketHeader+n])
}

// testFile builds a bbolt file by hand: a stale meta 0 and a newer meta
// 1 whose root (page 2) is a branch over leaves 3 and 4; leaf 4 holds
// bucket "v1" -> inline bucket "ns" -> {"k": "v"}; leaf 5 is bucket
// "big" stored in its own page.
func testFile() []byte {
	data := make([]byte, 6*ps)
	writeMeta(data, 0, 99, 6, 1) // stale: points nowhere
	writeMeta(data, 1, 2, 6, 2)
	br := data[2*ps:]
	le.PutUint64(br[0:], 2)
	le.PutUint16(br[8:], flagBranch)
	le.PutUint16(br[10:], 2)
	for i, c := range []struct {
		key string
		pg  uint64
	}{{"a", 3}, {"big", 4}} {
		e := pageHeader + i*element
		off := pageHeader + 2*element + 8*i
		le.PutUint32(br[e:], uint32(off-e))
		le.PutUint32(br[e+4:], uint32(len(c.key)))
		le.PutUint64(br[e+8:], c.pg)
		copy(br[off:], c.key)
	}
	writeLeaf(data[3*ps:], 3, []kv{{k: "a", v: "plain"}})
	big := make([]byte, bucketHeader)
	le.PutUint64(big, 5)
	ns := inline([]kv{{k: "k", v: "v"}})
	writeLeaf(data[4*ps:], 4, []kv{{k: "big", v: string(big), bucket: true},
		{k: "v1", v: inline([]kv{{k: "ns", v: ns, bucket: true}}), bucket: true}})
	writeLeaf(data[5*ps:], 5, []kv{{k: "x", v: "1"}, {k: "y", v: "2"}})
	return data
}

func keys(t *testing.T, b *Bucket) []string {
	t.Helper()
	var out []string
	if err := b.ForEach(func(k, v []byte, nb *Bucket) error {
		out = append(out, string(k))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestParse(t *testing.T) {
	db, err := Parse(testFile())
	if err != nil {
		t.Fatal(err)
	}
	if db.TxID() != 2 {
		t.Errorf("TxID = %d; want 2, the newer meta", db.TxID())
	}
	if got := keys(t, db.Root()); !slices.Equal(got, []string{"a", "big", "v1"}) {
		t.Errorf("root keys = %q", got)
	}
	if v, nb, err := db.Root().Get("a"); string(v) != "plain" || nb != nil || err != nil {
		t.Errorf("Get(a) = %q, %v, %v", v, nb, err)
	}
	ns, err := db.Root().Bucket("v1", "ns")
	if err != nil || ns == nil {
		t.Fatalf("Bucket(v1, ns) = %v, %v", ns, err)
	}
	if v, _, _ := ns.Get("k"); string(v) != "v" {
		t.Errorf("v1/ns/k = %q; want v", v)
	}
	big, _ := db.Root().Bucket("big")
	if got := keys(t, big); !slices.Equal(got, []string{"x", "y"}) {
		t.Errorf("big keys = %q (a bucket in its own page)", got)
	}
	if b, err := db.Root().Bucket("v1", "nope"); b != nil || err != nil {
		t.Errorf("absent bucket = %v, %v; want nil, nil", b, err)
	}
	if b, err := db.Root().Bucket("a"); b != nil || err != nil {
		t.Errorf("a plain key as a bucket = %v, %v; want nil, nil", b, err)
	}
}

func TestParseBadMeta(t *testing.T) {
	data := testFile()
	data[ps+pageHeader+20] ^= 1 // meta 1's root: the checksum no longer matches
	db, err := Parse(data)
	if err != nil || db.TxID() != 1 {
		t.Fatalf("Parse with a torn meta 1 = %v, %v; want meta 0", db, err)
	}
	if err := db.Root().ForEach(func(k, v []byte, nb *Bucket) error { return nil }); !errors.Is(err, ErrFormat) {
		t.Errorf("meta 0's root page 99: %v; want ErrFormat", err)
	}
	data[pageHeader] ^= 1 // meta 0's magic too
	if _, err := Parse(data); !errors.Is(err, ErrFormat) {
		t.Errorf("no valid meta: %v; want ErrFormat", err)
	}
	if _, err := Parse(nil); !errors.Is(err, ErrFormat) {
		t.Errorf("empty file: %v; want ErrFormat", err)
	}
}

// TestLoop: a branch that points at itself is an error, not a hang.
func TestLoop(t *testing.T) {
	data := testFile()
	le.PutUint64(data[2*ps+pageHeader+element+8:], 2) // "big" -> page 2
	db, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Root().ForEach(func(k, v []byte, nb *Bucket) error { return nil }); !errors.Is(err, ErrFormat) {
		t.Errorf("loop: %v; want ErrFormat", err)
	}
}

// TestDamageNoPanic truncates the file everywhere and flips random bytes:
// every outcome is data or an error, never a panic.
func TestDamageNoPanic(t *testing.T) {
	walkAll := func(data []byte) {
		db, err := Parse(data)
		if err != nil {
			return
		}
		var visit func(b *Bucket, depth int) error
		visit = func(b *Bucket, depth int) error {
			return b.ForEach(func(k, v []byte, nb *Bucket) error {
				if nb != nil && depth < 8 {
					return visit(nb, depth+1)
				}
				return nil
			})
		}
		visit(db.Root(), 0)
	}
	full := testFile()
	for n := 0; n <= len(full); n += 97 {
		walkAll(full[:n])
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		data := slices.Clone(full)
		for range 1 + r.IntN(8) {
			data[2*ps+r.IntN(4*ps)] = byte(r.Uint32())
		}
		walkAll(data)
	}
}
