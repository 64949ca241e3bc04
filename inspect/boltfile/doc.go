// Package boltfile reads a bbolt database held in memory, read-only: the
// few parts of the format (go.etcd.io/bbolt: meta, branch and leaf pages,
// inline buckets) that ctx needs to read containerd's metadata without
// containerd's help.
//
// containerd flocks its bbolt files while it runs, and bbolt's own Open
// waits for that lock; ctx never takes it. ReadMapped maps the file
// read-only and runs the caller's reads on it; only the pages read count
// toward ctx's memory, whatever the file's size. containerd may commit
// during the reads: ReadMapped compares the meta pages' transaction before
// and after, and has the reads done again when it moved. Every page and
// offset is bounds-checked, every page is visited at most once per bucket
// walk, and damage is an error, never a panic or a loop (a fault on the
// mapping too).
//
// Example (equivalent to `bbolt buckets metadata.db`):
//
//	db, err := boltfile.Parse(data)
//	if err != nil {
//		return err
//	}
//	snaps, err := db.Root().Bucket("v1", "snapshots")
//	if err != nil || snaps == nil {
//		return err // nil, nil: no such bucket
//	}
//	err = snaps.ForEach(func(k, v []byte, b *boltfile.Bucket) error {
//		fmt.Printf("%q bucket=%v\n", k, b != nil)
//		return nil
//	})
package boltfile
