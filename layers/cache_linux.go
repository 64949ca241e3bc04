//go:build linux

package layers

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"golang.org/x/sys/unix"
)

// The layer cache keeps the walk results of committed image layers between
// runs (../shared/notes/layers.md §7.3): a committed layer never changes,
// so with a cache a run walks only what can change (writable and init
// layers, logs, the storage dirs' other areas) and reads the rest. It is
// opt-in (Options.CacheDir) because ctx writes nothing by default.
//
// An entry is used only while the layer dir and each of its lowers still
// have the device, inode, ctime and mtime they had when it was walked: a
// layer re-extracted or with an entry added, removed or renamed at its
// root is walked again. A file changed in place deeper down is not
// noticed; committed layers are not meant to change, and ctx layers du
// without --cache always walks.
const (
	cacheFile    = "layers.json"
	cacheVersion = 1
	// cacheMaxBytes bounds the read: a cache is about 1 KiB per layer.
	cacheMaxBytes = 64 << 20
	// Entries not used for cacheMaxAge are dropped, and at most
	// cacheMaxEntries are kept, the most recently used.
	cacheMaxAge     = 30 * 24 * time.Hour
	cacheMaxEntries = 20_000
)

// dirStamp identifies one layer dir as it was when walked.
type dirStamp struct {
	Dir   string `json:"dir"`
	Dev   uint64 `json:"dev"`
	Ino   uint64 `json:"ino"`
	Ctime int64  `json:"ctime"` // ns
	Mtime int64  `json:"mtime"` // ns
}

func stampOf(dir string, st *unix.Stat_t) dirStamp {
	return dirStamp{Dir: dir, Dev: st.Dev, Ino: st.Ino, Ctime: st.Ctim.Nano(), Mtime: st.Mtim.Nano()}
}

// cachedLink is one entry of a node's linkSet.
type cachedLink struct {
	Dev uint64 `json:"dev"`
	Ino uint64 `json:"ino"`
	Sizes
}

// cacheEntry is one layer node's walk: the node's dir first, then its
// lowers top first.
type cacheEntry struct {
	Dirs     []dirStamp   `json:"dirs"`
	Metacopy bool         `json:"metacopy,omitempty"`
	Usage    Usage        `json:"usage"`
	Hides    []hiddenAcc  `json:"hides,omitempty"`
	Links    []cachedLink `json:"links,omitempty"`
	Used     int64        `json:"used"` // unix seconds
}

type cacheFileData struct {
	Version int                    `json:"version"`
	Entries map[string]*cacheEntry `json:"entries"` // by layerNode.key
}

// layerCache is the cache of one run: loaded on the first walk, saved
// after each walk that added to it.
type layerCache struct {
	path    string
	entries map[string]*cacheEntry
	dirty   bool
	now     time.Time
}

// loadCache reads dir's cache. A missing cache is empty; an unusable one
// is empty too, with a warning, and is replaced on save.
func loadCache(dir string, now time.Time) (*layerCache, string) {
	c := &layerCache{path: filepath.Join(dir, cacheFile), entries: map[string]*cacheEntry{}, now: now}
	data, err := readCacheFile(c.path)
	if errors.Is(err, os.ErrNotExist) {
		return c, ""
	}
	if err != nil {
		return c, fmt.Sprintf("layer cache %q not used: %v", c.path, err)
	}
	var f cacheFileData
	if err := json.Unmarshal(data, &f); err != nil {
		return c, fmt.Sprintf("layer cache %q not used: %v", c.path, err)
	}
	if f.Version != cacheVersion {
		c.dirty = true
		return c, ""
	}
	for k, e := range f.Entries {
		if e != nil && len(e.Dirs) > 0 {
			c.entries[k] = e
		}
	}
	return c, ""
}

// readCacheFile reads the cache file only if this user owns it and no
// one else can write it: another user's file could make ctx report any
// sizes it likes.
func readCacheFile(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return nil, err
	}
	switch {
	case st.Mode&unix.S_IFMT != unix.S_IFREG:
		return nil, errors.New("not a regular file")
	case st.Uid != uint32(os.Geteuid()):
		return nil, fmt.Errorf("owned by uid %d, not by this user", st.Uid)
	case st.Mode&0o022 != 0:
		return nil, fmt.Errorf("writable by others (mode %#o)", st.Mode&0o777)
	case st.Size > cacheMaxBytes:
		return nil, fmt.Errorf("%d bytes, more than the %d a cache may have", st.Size, cacheMaxBytes)
	}
	return io.ReadAll(io.LimitReader(f, cacheMaxBytes))
}

// lookup returns the entry of key if its dirs still match stamps.
func (c *layerCache) lookup(key string, stamps []dirStamp, metacopy bool) *cacheEntry {
	e := c.entries[key]
	if e == nil || e.Metacopy != metacopy || len(e.Dirs) != len(stamps) {
		return nil
	}
	for i := range stamps {
		if e.Dirs[i] != stamps[i] {
			return nil
		}
	}
	if c.now.Unix()-e.Used > int64(time.Hour/time.Second) {
		e.Used = c.now.Unix()
		c.dirty = true // keeps it from ageing out
	}
	return e
}

// store records a node's complete walk.
func (c *layerCache) store(key string, stamps []dirStamp, n *layerNode) {
	u := n.usage
	if u.Incomplete || len(u.Errors) > 0 || len(u.Skipped) > 0 || u.Vanished > 0 {
		return
	}
	e := &cacheEntry{Dirs: stamps, Metacopy: n.metacopy, Usage: u, Hides: n.hides, Used: c.now.Unix()}
	if n.links != nil {
		n.links.each(func(k devIno, sz Sizes) {
			e.Links = append(e.Links, cachedLink{Dev: k.dev, Ino: k.ino, Sizes: sz})
		})
	}
	c.entries[key] = e
	c.dirty = true
}

// apply sets a node's results from its entry.
func (e *cacheEntry) apply(n *layerNode) {
	n.usage = e.Usage
	n.usage.Cached = true
	n.hides = e.Hides
	n.links = &linkSet{}
	for _, l := range e.Links {
		n.links.add(l.Dev, l.Ino, l.Sizes)
	}
}

// save writes the cache if it changed: a temporary file renamed over the
// old one, so a reader never sees half of it, mode 0600 in a 0700 dir.
func (c *layerCache) save() error {
	if !c.dirty {
		return nil
	}
	c.prune()
	dir := filepath.Dir(c.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, cacheFile+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	err = json.NewEncoder(tmp).Encode(cacheFileData{Version: cacheVersion, Entries: c.entries})
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), c.path)
	}
	if err == nil {
		c.dirty = false
	}
	return err
}

// prune drops entries unused for cacheMaxAge and keeps at most
// cacheMaxEntries, the most recently used.
func (c *layerCache) prune() {
	keys := make([]string, 0, len(c.entries))
	for k, e := range c.entries {
		if c.now.Sub(time.Unix(e.Used, 0)) > cacheMaxAge {
			delete(c.entries, k)
			continue
		}
		keys = append(keys, k)
	}
	if len(keys) <= cacheMaxEntries {
		return
	}
	sort.Slice(keys, func(i, j int) bool { return c.entries[keys[i]].Used > c.entries[keys[j]].Used })
	for _, k := range keys[cacheMaxEntries:] {
		delete(c.entries, k)
	}
}
