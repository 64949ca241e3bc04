// Package boltfile reads a bbolt database held in memory, read-only: the
// few parts of the format (go.etcd.io/bbolt: meta, branch and leaf pages,
// inline buckets) that ctx needs to read containerd's metadata without
// containerd's help.
//
// containerd flocks its bbolt files while it runs, and bbolt's own Open
// waits for that lock; ctx never takes it. Callers read the file once into
// memory (size-capped) and parse the copy here. The copy may be stale, or
// torn when containerd committed more than once during the read; every
// page and offset is bounds-checked, every page is visited at most once
// per bucket walk, and damage is an error, never a panic or a loop.
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
