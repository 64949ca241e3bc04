package layers

import "sync"

// linkShards spreads the inode set over locks: workers add concurrently.
const linkShards = 16

type devIno struct{ dev, ino uint64 }

// linkSet is the set of inodes with more than one link seen by one walk.
// Only nlink > 1 inodes go in, so its size is bounded by the hard links of
// the tree, not by its inodes: a million plain files cost nothing here.
type linkSet struct {
	shards [linkShards]struct {
		mu sync.Mutex
		m  map[devIno]Sizes
	}
}

// add records the inode with its bytes and reports whether it is new.
func (s *linkSet) add(dev, ino uint64, sz Sizes) bool {
	sh := &s.shards[ino%linkShards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.m == nil {
		sh.m = map[devIno]Sizes{}
	}
	k := devIno{dev, ino}
	if _, ok := sh.m[k]; ok {
		return false
	}
	sh.m[k] = sz
	return true
}

// each calls fn for every inode of the set.
func (s *linkSet) each(fn func(devIno, Sizes)) {
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for k, v := range sh.m {
			fn(k, v)
		}
		sh.mu.Unlock()
	}
}

// len is the number of inodes in the set.
func (s *linkSet) len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}
