package layers

import (
	"path"
	"sort"
	"sync"
)

// Change kinds, as docker diff prints them.
const (
	ChangeAdd    = "A"
	ChangeModify = "C"
	ChangeDelete = "D"
)

// Change is one line of ctx layers diff: docker diff's kind and path, with
// the entry's own sizes and what it hides below (the old version of a
// changed file, the tree under a deleted path).
type Change struct {
	Kind string `json:"kind"`
	File
	// Hidden is the lower content the change masks.
	Hidden Sizes `json:"hidden"`
	// From is set on a redirect_dir mount for an entry a renamed
	// directory shows from a lower layer: its path there. Its bytes are
	// that layer's, not the writable layer's.
	From string `json:"from,omitempty"`
	mu   sync.Mutex
}

func (c *Change) addHidden(s Sizes) {
	c.mu.Lock()
	c.Hidden.Add(s)
	c.mu.Unlock()
}

// diffSink collects the changes of one writable layer.
type diffSink struct {
	mu      sync.Mutex
	changes []*Change
	// redirected are the layer's renamed directories (redirect_dir).
	redirected []string
}

func (d *diffSink) add(c *Change) {
	d.mu.Lock()
	d.changes = append(d.changes, c)
	d.mu.Unlock()
}

func (d *diffSink) renamed(p string) {
	d.mu.Lock()
	d.redirected = append(d.redirected, p)
	d.mu.Unlock()
}

// finish adds docker's parent records and sorts by path. Docker's diff on
// overlay2 compares the container's merged tree with its parent's
// (archive.ChangesDirs): every directory that holds a change, and is not
// itself added or changed, is listed as changed, up to but excluding "/".
func (d *diffSink) finish() []*Change {
	recorded := map[string]bool{}
	for _, c := range d.changes {
		recorded[c.Path] = true
	}
	out := d.changes
	for _, c := range d.changes {
		for p := path.Dir(c.Path); p != "/" && p != "." && !recorded[p]; p = path.Dir(p) {
			recorded[p] = true
			out = append(out, &Change{Kind: ChangeModify, File: newFile(p, "dir", Sizes{}, 0)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}
