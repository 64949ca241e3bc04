package layers

import (
	"container/heap"
	"sort"
	"sync"
	"sync/atomic"
)

// topFiles keeps the N largest regular files of a walk by
// max(disk, apparent), so a sparse file whose apparent size misleads
// docker shows up beside the files that really fill the disk.
type topFiles struct {
	mu sync.Mutex
	h  fileHeap
	// floor is the smallest key in a full heap; offers at or below it are
	// dropped without the lock.
	floor atomic.Int64
	full  atomic.Bool
}

type fileHeap []File

func topKey(f *File) int64            { return max(f.Disk, f.Apparent) }
func (h fileHeap) Len() int           { return len(h) }
func (h fileHeap) Less(i, j int) bool { return lessFile(&h[i], &h[j]) }
func (h fileHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *fileHeap) Push(x any)        { *h = append(*h, x.(File)) }
func (h *fileHeap) Pop() any          { old := *h; f := old[len(old)-1]; *h = old[:len(old)-1]; return f }
func lessFile(a, b *File) bool {
	if ka, kb := topKey(a), topKey(b); ka != kb {
		return ka < kb
	}
	return a.Path > b.Path
}

// add offers one file; path is called only if the file makes the list.
func (t *topFiles) add(n int, s Sizes, links uint64, path func() string) {
	key := max(s.Disk, s.Apparent)
	if t.full.Load() && key <= t.floor.Load() {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.h) >= n && key <= topKey(&t.h[0]) {
		return
	}
	heap.Push(&t.h, newFile(path(), "file", s, links))
	for len(t.h) > n {
		heap.Pop(&t.h)
	}
	if len(t.h) >= n {
		t.floor.Store(topKey(&t.h[0]))
		t.full.Store(true)
	}
}

// list returns the files, largest first.
func (t *topFiles) list() []File {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := append([]File(nil), t.h...)
	sort.Slice(out, func(i, j int) bool { return lessFile(&out[j], &out[i]) })
	return out
}
