//go:build linux

package layers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// direntBufSize is the getdents64 buffer of each worker: 64 KiB holds about
// 2,000 entries of a typical layer, so most directories take one call.
const direntBufSize = 64 << 10

// lowerFD is one lower layer's directory at the path a node walks.
type lowerFD struct {
	pos int // the layer's index in the job's lower chain, top first
	fd  int
	dev uint64
}

// walkJob is one layer directory to walk, with the lower layers it sits on
// (its parent chain, top first). While it walks the layer it probes the
// lowers at the same paths, so one pass gives the layer's own usage and
// the bytes it hides in each lower: every lower entry it masks (with a
// whiteout, a non-directory or an opaque directory) is counted once, by
// the nearest layer above that masks it.
type walkJob struct {
	label string
	// root is the layer root's fd, lowers the lower roots; the caller owns
	// and closes them after the walk.
	root   int
	dev    uint64
	lowers []lowerFD
	// ns is the overlay xattr prefix the mount's options select:
	// "trusted.overlay." or "user.overlay.".
	ns       string
	topN     int
	metacopy bool
	// diff, when set, receives a change record for every entry (ctx
	// layers diff).
	diff *diffSink
	// skipIno are directories not to walk or count: a storage-dir walk
	// leaves out what other jobs count.
	skipIno map[devIno]bool
	// origins are the lower paths ("/a/b") that the layer's redirected
	// directories merge with, known on a second pass (see runJobs); a
	// masked walk skips them.
	origins map[string]bool
	// redirected collects those paths on the first pass.
	redirected []string

	mu     sync.Mutex
	usage  Usage
	hidden []hiddenAcc
	top    topFiles
	links  linkSet
	hlinks linkSet
	nerrs  int
}

// hiddenAcc sums what a job hides in one lower layer.
type hiddenAcc struct {
	Sizes
	Entries int64 `json:"entries"`
}

func (j *walkJob) addUsage(u *Usage) {
	j.mu.Lock()
	j.usage.add(u)
	j.mu.Unlock()
}

func (j *walkJob) addHidden(pos int, s Sizes, entries int64) {
	j.mu.Lock()
	if pos >= 0 && pos < len(j.hidden) {
		j.hidden[pos].Add(s)
		j.hidden[pos].Entries += entries
	}
	j.mu.Unlock()
}

// fail records an error that left part of the tree uncounted.
func (j *walkJob) fail(msg string) {
	j.mu.Lock()
	j.usage.Incomplete = true
	j.nerrs++
	if len(j.usage.Errors) < maxMessages {
		j.usage.Errors = append(j.usage.Errors, msg)
	}
	j.mu.Unlock()
}

// node is a directory being walked. A normal node is a directory of the
// job's layer (fd) with the lower directories at the same path (lowers);
// a masked node has no fd of its own and walks the merged view of lowers,
// counting everything visible there as hidden.
type node struct {
	parent *node
	name   string
	job    *walkJob
	fd     int
	lowers []lowerFD
	owned  bool // fd and lowers are closed on the last release
	// borrowedLowers marks a root's lowers: the caller's fds.
	borrowedLowers bool
	refs           atomic.Int32
	masked         bool
	// opaqueX marks a directory with overlay.opaque "x": it may hold
	// xattr whiteouts (kernel 6.7+).
	opaqueX bool
	// rec is the diff change whose hidden bytes a masked node counts.
	rec *Change
	// diffOpaque marks an opaque dir in a diff walk: its lowers' names
	// that it lacks are deletions.
	diffOpaque bool
}

func (n *node) release() {
	if n.refs.Add(-1) != 0 || !n.owned {
		return
	}
	if n.fd >= 0 {
		unix.Close(n.fd)
	}
	if n.borrowedLowers {
		return
	}
	for _, l := range n.lowers {
		unix.Close(l.fd)
	}
}

// path is the node's path from the layer root, "/" for the root. It is
// built only when a message or a top file needs it: paths may exceed
// PATH_MAX.
func (n *node) path() string {
	if n.parent == nil {
		return "/"
	}
	var parts []string
	for p := n; p.parent != nil; p = p.parent {
		parts = append(parts, p.name)
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteByte('/')
		b.WriteString(parts[i])
	}
	return b.String()
}

func (n *node) child(name string) string {
	p := n.path()
	if p == "/" {
		return "/" + name
	}
	return p + "/" + name
}

// item is queued work: a directory to open and walk.
type item struct {
	job    *walkJob
	parent *node
	name   string
	dev    uint64
	ino    uint64
	masked bool
	from   int
	// ready is a node opened already (a job root).
	ready *node
	rec   *Change
}

// walker runs jobs on a pool of workers over one LIFO stack of
// directories: depth first, so at most about workers × depth directory
// fds are open however wide the tree is.
type walker struct {
	ctx      context.Context
	workers  int
	progress *Progress
	procFD   string // <proc>/self/fd, for xattrs of non-directories on old kernels

	mu      sync.Mutex
	cond    *sync.Cond
	stack   []*item
	pending int
}

func newWalker(ctx context.Context, workers int, p *Progress, procFD string) *walker {
	if workers < 1 {
		workers = 1
	}
	if p == nil {
		p = &Progress{}
	}
	w := &walker{ctx: ctx, workers: workers, progress: p, procFD: procFD}
	w.cond = sync.NewCond(&w.mu)
	return w
}

// runJobs walks jobs, then walks again each whose layer has redirected
// directories (redirect_dir mounts). A directory renamed in the merged
// view leaves a whiteout at its old path, yet its lower contents stay
// visible through the redirect, so they are not hidden; where the
// redirects are is known only after a walk. Redirects are rare, and only
// their layers pay a second walk, whose hidden bytes and diff replace the
// first's.
func runJobs(ctx context.Context, workers int, p *Progress, procFD string, jobs []*walkJob) {
	newWalker(ctx, workers, p, procFD).run(jobs)
	var again, from []*walkJob
	for _, j := range jobs {
		if len(j.redirected) > 0 && ctx.Err() == nil {
			again = append(again, j.withOrigins())
			from = append(from, j)
		}
	}
	if len(again) == 0 {
		return
	}
	newWalker(ctx, workers, nil, procFD).run(again)
	for i, j := range from {
		j2 := again[i]
		j.hidden, j.diff = j2.hidden, j2.diff
		if j2.usage.Incomplete {
			j.usage.Incomplete = true
			j.usage.Errors = append(j.usage.Errors, j2.usage.Errors...)
		}
	}
}

// isOrigin reports whether name in n is the origin of a redirect of the
// layer: still in use at the new path. Known on the second walk only.
func (j *walkJob) isOrigin(n *node, name []byte) bool {
	return len(j.origins) > 0 && j.origins[n.child(string(name))]
}

// withOrigins is a fresh job for the same layer that knows the origins
// of its redirected directories.
func (j *walkJob) withOrigins() *walkJob {
	j2 := &walkJob{label: j.label, root: j.root, dev: j.dev, lowers: j.lowers, ns: j.ns, topN: j.topN,
		metacopy: j.metacopy, skipIno: j.skipIno, origins: map[string]bool{}}
	for _, o := range j.redirected {
		j2.origins[o] = true
	}
	if j.diff != nil {
		j2.diff = &diffSink{}
	}
	return j2
}

// run walks every job to completion (or until the context ends, which
// marks the unfinished jobs incomplete).
func (w *walker) run(jobs []*walkJob) {
	for _, j := range jobs {
		j.hidden = make([]hiddenAcc, len(j.lowers))
		// The root gets a file description of its own: getdents keeps its
		// offset there, and the caller's fd may serve other jobs too.
		fd, err := unix.Openat(j.root, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			j.fail(fmt.Sprintf("reopening the layer root: %v", err))
			continue
		}
		root := &node{job: j, fd: fd, owned: true, borrowedLowers: true}
		root.refs.Store(1)
		// The lower roots are visible down to the first opaque one.
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			unix.Close(fd)
			j.fail(fmt.Sprintf("stat of the layer root: %v", err))
			continue
		}
		u := &Usage{}
		j.countRoot(u, &st)
		j.addUsage(u)
		x := newXattrBuf()
		for _, l := range j.lowers {
			root.lowers = append(root.lowers, l)
			if x.opaque(l.fd, j.ns) == 'y' {
				break
			}
		}
		op := x.opaque(j.root, j.ns)
		if op == 'x' {
			root.opaqueX = true
		}
		w.push([]*item{{job: j, ready: root}})
	}
	var wg sync.WaitGroup
	for i := 0; i < w.workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.work()
		}()
	}
	wg.Wait()
}

func (w *walker) push(items []*item) {
	if len(items) == 0 {
		return
	}
	w.mu.Lock()
	w.stack = append(w.stack, items...)
	w.pending += len(items)
	w.mu.Unlock()
	if len(items) == 1 {
		w.cond.Signal()
	} else {
		w.cond.Broadcast()
	}
}

// pop returns the next item, or nil when all work is done.
func (w *walker) pop() *item {
	w.mu.Lock()
	defer w.mu.Unlock()
	for len(w.stack) == 0 {
		if w.pending == 0 {
			return nil
		}
		w.cond.Wait()
	}
	it := w.stack[len(w.stack)-1]
	w.stack[len(w.stack)-1] = nil
	w.stack = w.stack[:len(w.stack)-1]
	return it
}

func (w *walker) done() {
	w.mu.Lock()
	w.pending--
	last := w.pending == 0
	w.mu.Unlock()
	if last {
		w.cond.Broadcast()
	}
}

// worker state reused across directories.
type worker struct {
	w     *walker
	buf   []byte
	x     *xattrBuf
	items []*item
}

func (w *walker) work() {
	wk := &worker{w: w, buf: make([]byte, direntBufSize), x: newXattrBuf()}
	for {
		it := w.pop()
		if it == nil {
			return
		}
		if w.ctx.Err() != nil {
			// Drain: release what the item holds, and say the walk stopped.
			if it.parent != nil {
				it.parent.release()
			}
			if it.ready != nil {
				it.ready.release()
			}
			it.job.fail("walk stopped: " + w.ctx.Err().Error())
			w.done()
			continue
		}
		wk.process(it)
		w.done()
	}
}

func (wk *worker) process(it *item) {
	wk.items = wk.items[:0]
	var n *node
	switch {
	case it.ready != nil:
		n = it.ready
	case it.masked:
		n = wk.openMasked(it)
	default:
		n = wk.openChild(it)
	}
	if n == nil {
		wk.w.push(wk.items)
		return
	}
	if n.masked {
		wk.walkMasked(n)
	} else {
		wk.walkDir(n)
	}
	n.release()
	wk.w.push(wk.items)
}

// openChild opens a directory of the job's layer below its parent, checks
// it is the inode the parent's stat saw, reads its overlay xattrs, and
// finds the lower directories it merges with (or hides).
func (wk *worker) openChild(it *item) *node {
	j, parent := it.job, it.parent
	defer parent.release()
	fd, err := unix.Openat(parent.fd, it.name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		wk.openFailed(j, parent, it.name, err)
		return nil
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Dev != it.dev || st.Ino != it.ino {
		unix.Close(fd)
		j.fail(fmt.Sprintf("%s: replaced while walking", parent.child(it.name)))
		return nil
	}
	n := &node{parent: parent, name: it.name, job: j, fd: fd, owned: true}
	n.refs.Store(1)
	opaque, redirect := wk.x.dirAttrs(fd, j.ns)
	switch opaque {
	case 'x':
		n.opaqueX = true
	case 'y':
		j.mu.Lock()
		j.usage.OpaqueDirs++
		j.mu.Unlock()
	}
	var rec *Change
	if j.diff != nil {
		rec = j.diff.recordDir(parent, it.name, &st)
	}
	origin := ""
	if redirect != "" {
		origin = redirectOrigin(parent, redirect)
		j.mu.Lock()
		j.usage.Redirects++
		if origin != "" && j.origins == nil {
			j.redirected = append(j.redirected, origin)
		}
		j.mu.Unlock()
		if origin != "" && j.diff != nil {
			j.diff.renamed(parent.child(it.name))
		}
	}
	// A redirected directory merges with the lower directories at its
	// origin, unless it is opaque (then the kernel looks at no lower).
	if origin != "" && opaque != 'y' {
		// What the lowers have at its own path (renamed onto a deleted
		// path) is hidden, unless another rename took it along.
		if len(parent.lowers) > 0 {
			if rec == nil && j.diff != nil {
				// Somewhere to count it; the listing is redone (relist).
				rec = &Change{Kind: ChangeModify, File: newFile(parent.child(it.name), "dir", Sizes{}, 0)}
				j.diff.add(rec)
			}
			parent.refs.Add(1)
			wk.items = append(wk.items, &item{job: j, parent: parent, name: it.name, masked: true, rec: rec})
		}
		if strings.HasPrefix(redirect, "/") {
			// Moved from another parent: looked up from the lower roots.
			n.lowers = lowerSetAt(rootOf(parent).lowers, origin, j.ns, wk.x)
		} else {
			n.lowers, _ = lowerSet(parent.lowers, 0, redirect, j.ns, wk.x) // renamed within its parent
		}
		return n
	}
	if len(parent.lowers) == 0 {
		return n
	}
	set, nd := lowerSet(parent.lowers, 0, it.name, j.ns, wk.x)
	if nd != nil {
		// A directory over a lower non-directory hides it.
		wk.hideNonDir(j, rec, nd)
	}
	if opaque == 'y' && j.diff != nil {
		// docker diff compares the opaque dir's children with the lower
		// ones: walkDir lists the lower names it hides as deleted.
		n.lowers, n.diffOpaque = set, true
		return n
	}
	if opaque == 'y' {
		// Everything below an opaque directory in the lowers is hidden:
		// a masked walk of the same path counts it.
		if len(set) > 0 {
			closeAll(set)
			parent.refs.Add(1)
			wk.items = append(wk.items, &item{job: j, parent: parent, name: it.name, masked: true})
		}
		return n
	}
	n.lowers = set
	return n
}

// openMasked opens the merged lower directories at a masked path. The
// origin of a redirected directory is not hidden: it is visible at the
// directory's new path.
func (wk *worker) openMasked(it *item) *node {
	j, parent := it.job, it.parent
	defer parent.release()
	if j.isOrigin(parent, []byte(it.name)) {
		return nil
	}
	set, nd := lowerSet(parent.lowers, it.from, it.name, j.ns, wk.x)
	if nd != nil && len(set) == 0 {
		wk.hideNonDir(j, it.rec, nd)
	}
	if len(set) == 0 {
		return nil
	}
	n := &node{parent: parent, name: it.name, job: j, fd: -1, lowers: set, owned: true, masked: true, rec: it.rec}
	n.refs.Store(1)
	return n
}

func (wk *worker) openFailed(j *walkJob, parent *node, name string, err error) {
	switch {
	case errors.Is(err, unix.ENOENT):
		j.mu.Lock()
		j.usage.Vanished++
		j.mu.Unlock()
	case errors.Is(err, unix.ELOOP), errors.Is(err, unix.ENOTDIR):
		j.fail(fmt.Sprintf("%s: replaced by a non-directory while walking", parent.child(name)))
	default:
		j.fail(fmt.Sprintf("%s: %v", parent.child(name), err))
	}
}

// nonDir is a lower non-directory found where a path is probed.
type nonDir struct {
	pos int
	st  unix.Stat_t
}

// lowerSet returns the merged view's directories at name below lowers,
// from index from: every lower where name is a directory, top first, down
// to the first opaque one. A whiteout or non-directory ends the set; when
// it comes first, it is returned as nd (a non-directory, not a whiteout).
func lowerSet(lowers []lowerFD, from int, name, ns string, x *xattrBuf) (set []lowerFD, nd *nonDir) {
	for i := from; i < len(lowers); i++ {
		l := lowers[i]
		fd, err := unix.Openat(l.fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if errors.Is(err, unix.ENOENT) {
			if ns == fuseNS && hasWhiteoutFile(l.fd, name) {
				return set, nd // a ".wh." whiteout ends the merge
			}
			continue
		}
		if err != nil {
			// ENOTDIR or ELOOP: a file, symlink, whiteout or special ends
			// the merge. O_DIRECTORY fails before any device is opened.
			if len(set) == 0 {
				var st unix.Stat_t
				if unix.Fstatat(l.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && !isWhiteout(&st) && st.Dev == l.dev {
					nd = &nonDir{pos: l.pos, st: st}
				}
			}
			return set, nd
		}
		var st unix.Stat_t
		if unix.Fstat(fd, &st) != nil || st.Dev != l.dev {
			unix.Close(fd) // another filesystem: never entered
			return set, nd
		}
		set = append(set, lowerFD{pos: l.pos, fd: fd, dev: l.dev})
		if x.opaque(fd, ns) == 'y' {
			return set, nd
		}
	}
	return set, nd
}

// hideNonDir counts a lower non-directory as hidden.
func (wk *worker) hideNonDir(j *walkJob, rec *Change, nd *nonDir) {
	s := sizesOf(&nd.st)
	if nd.st.Nlink > 1 && !j.hlinks.add(nd.st.Dev, nd.st.Ino, Sizes{}) {
		return
	}
	if rec != nil {
		rec.addHidden(s)
		return
	}
	j.addHidden(nd.pos, s, 1)
}

// walkDir reads one directory of the job's layer: counts every entry,
// probes the lowers for what it hides, queues subdirectories.
func (wk *worker) walkDir(n *node) {
	j := n.job
	u := &Usage{}
	var entries, dirs int64
	var bytes int64
	var upperNames map[string]bool
	if n.diffOpaque {
		upperNames = map[string]bool{}
	}
	err := readDir(n.fd, wk.buf, func(name []byte, namePtr *byte) bool {
		if upperNames != nil {
			upperNames[string(name)] = true
		}
		var st unix.Stat_t
		if err := fstatat(n.fd, name, namePtr, &st); err != nil {
			if errors.Is(err, unix.ENOENT) {
				u.Vanished++
			} else {
				j.fail(fmt.Sprintf("%s: %v", n.child(string(name)), err))
			}
			return true
		}
		entries++
		if st.Dev != j.dev {
			// A mount point: never crossed, never counted.
			u.Skipped = appendCapped(u.Skipped, n.child(string(name)))
			return true
		}
		if j.skipIno != nil && st.Mode&unix.S_IFMT == unix.S_IFDIR && j.skipIno[devIno{st.Dev, st.Ino}] {
			return true
		}
		wh := isWhiteout(&st)
		if !wh && n.opaqueX && st.Mode&unix.S_IFMT == unix.S_IFREG && st.Size == 0 {
			wh = wk.xattrWhiteout(n, name, namePtr)
		}
		if j.ns == fuseNS && st.Mode&unix.S_IFMT != unix.S_IFDIR {
			hides, meta := whiteoutFile(name)
			if meta {
				j.count(u, &st, false) // the opaque marker: a file, but no change
				return true
			}
			if hides != nil {
				// From here on the entry stands for the name it deletes.
				wh, name = true, hides
				namePtr = (*byte)(unsafe.Add(unsafe.Pointer(namePtr), len(whPrefix)))
			}
		}
		counted := j.count(u, &st, wh)
		if counted {
			bytes += st.Blocks * 512
		}
		isDir := st.Mode&unix.S_IFMT == unix.S_IFDIR
		if !isDir && j.topN > 0 && st.Mode&unix.S_IFMT == unix.S_IFREG && counted {
			j.top.offer(j.topN, &st, func() string { return n.child(string(name)) })
		}
		if !isDir && j.metacopy && st.Mode&unix.S_IFMT == unix.S_IFREG && wk.hasXattr(n, namePtr, j.ns+"metacopy") {
			u.Metacopy++
			wk.fileRedirect(n, namePtr)
		}
		var rec *Change
		if j.diff != nil {
			rec = j.diff.record(n, name, &st, wh, wk)
		}
		if isDir {
			dirs++
			wk.items = append(wk.items, &item{job: j, parent: n, name: string(name), dev: st.Dev, ino: st.Ino})
			n.refs.Add(1)
			return true
		}
		if len(n.lowers) > 0 {
			wk.probe(n, name, namePtr, &st, wh, rec)
		}
		return true
	})
	if err != nil {
		j.fail(fmt.Sprintf("%s: reading directory: %v", n.path(), err))
	}
	if n.diffOpaque {
		wk.diffOpaqueDeletes(n, upperNames)
	}
	j.addUsage(u)
	p := wk.w.progress
	p.Entries.Add(entries)
	p.Dirs.Add(dirs)
	p.Bytes.Add(bytes)
}

// diffOpaqueDeletes records, for an opaque directory of a diff walk, each
// name the merged lowers show there and the upper lacks: docker diff lists
// it as deleted.
func (wk *worker) diffOpaqueDeletes(n *node, upperNames map[string]bool) {
	j := n.job
	seen := map[string]bool{}
	for idx, l := range n.lowers {
		// A description of its own: getdents moves the offset.
		rfd, err := unix.Openat(l.fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			j.fail(fmt.Sprintf("%s (in a lower layer): %v", n.path(), err))
			continue
		}
		err = readDir(rfd, wk.buf, func(name []byte, namePtr *byte) bool {
			if j.ns == fuseNS && skipWhiteoutFile(name, seen) {
				return true
			}
			if upperNames[string(name)] || seen[string(name)] {
				return true
			}
			seen[string(name)] = true
			var st unix.Stat_t
			if fstatat(l.fd, name, namePtr, &st) != nil || st.Dev != l.dev || isWhiteout(&st) {
				return true
			}
			rec := &Change{Kind: ChangeDelete, File: newFile(n.child(string(name)), typeOf(&st, false), Sizes{}, 0)}
			j.diff.add(rec)
			if st.Mode&unix.S_IFMT == unix.S_IFDIR {
				wk.items = append(wk.items, &item{job: j, parent: n, name: string(name), masked: true, from: idx, rec: rec})
				n.refs.Add(1)
			} else {
				rec.addHidden(sizesOf(&st))
			}
			return true
		})
		unix.Close(rfd)
		if err != nil {
			j.fail(fmt.Sprintf("%s (in a lower layer): %v", n.path(), err))
		}
	}
}

// fileRedirect notes the origin of a renamed metacopy file (metacopy=on
// renames a lower file by copying up its metadata only, with an
// overlay.redirect): its data stays in use at the origin, not hidden.
func (wk *worker) fileRedirect(n *node, namePtr *byte) {
	j := n.job
	sz, err := wk.entryXattr(n, namePtr, j.ns+"redirect")
	if err != nil || sz <= 0 {
		return
	}
	origin := redirectOrigin(n, string(wk.x.val[:sz]))
	j.mu.Lock()
	j.usage.Redirects++
	if origin != "" && j.origins == nil {
		j.redirected = append(j.redirected, origin)
	}
	j.mu.Unlock()
}

// probe looks up a non-directory entry of the job's layer in the lowers:
// the first lower that has the name is what the entry masks. A lower
// whiteout masks nothing more; a lower directory's merged subtree is
// walked as hidden.
func (wk *worker) probe(n *node, name []byte, namePtr *byte, st *unix.Stat_t, wh bool, rec *Change) {
	j := n.job
	if j.isOrigin(n, name) {
		return // a renamed metacopy file's data: in use
	}
	for i, l := range n.lowers {
		var lst unix.Stat_t
		if err := fstatat(l.fd, name, namePtr, &lst); err != nil {
			if j.ns == fuseNS && hasWhiteoutFile(l.fd, string(name)) {
				return // deleted in that lower: nothing further down shows
			}
			continue
		}
		if lst.Dev != l.dev || isWhiteout(&lst) {
			return
		}
		if j.diff != nil && rec == nil {
			return // unchanged in docker's terms: nothing to size
		}
		if lst.Mode&unix.S_IFMT == unix.S_IFDIR {
			wk.items = append(wk.items, &item{job: j, parent: n, name: string(name), masked: true, from: i, rec: rec})
			n.refs.Add(1)
			return
		}
		// The upper holds metadata only: the lower data is in use. Checked
		// whatever the mount says (a stopped container's is unknown): a
		// copy-up over a lower file is rare enough to afford the call.
		if !wh && st.Mode&unix.S_IFMT == unix.S_IFREG && lst.Mode&unix.S_IFMT == unix.S_IFREG && wk.hasXattr(n, namePtr, j.ns+"metacopy") {
			return
		}
		wk.hideNonDir(j, rec, &nonDir{pos: l.pos, st: lst})
		return
	}
}

// walkMasked counts the merged view of a masked path as hidden: each name
// is taken from the topmost lower that has it; lower copies of a name are
// hidden by that lower itself, which counts them in its own walk.
func (wk *worker) walkMasked(n *node) {
	j := n.job
	add := func(pos int, st *unix.Stat_t) {
		if st.Mode&unix.S_IFMT != unix.S_IFDIR && st.Nlink > 1 && !j.hlinks.add(st.Dev, st.Ino, Sizes{}) {
			return
		}
		s := sizesOf(st)
		if n.rec != nil {
			n.rec.addHidden(s)
			return
		}
		j.addHidden(pos, s, 1)
	}
	for _, l := range n.lowers {
		var st unix.Stat_t
		if unix.Fstat(l.fd, &st) == nil {
			add(l.pos, &st)
		}
	}
	var seen map[string]bool
	if len(n.lowers) > 1 {
		seen = map[string]bool{}
	}
	for idx, l := range n.lowers {
		err := readDir(l.fd, wk.buf, func(name []byte, namePtr *byte) bool {
			if j.ns == fuseNS && skipWhiteoutFile(name, seen) {
				return true
			}
			if seen != nil {
				if seen[string(name)] {
					return true
				}
				seen[string(name)] = true
			}
			var st unix.Stat_t
			if fstatat(l.fd, name, namePtr, &st) != nil || st.Dev != l.dev || isWhiteout(&st) {
				return true
			}
			if st.Mode&unix.S_IFMT == unix.S_IFDIR {
				wk.items = append(wk.items, &item{job: j, parent: n, name: string(name), masked: true, from: idx, rec: n.rec})
				n.refs.Add(1)
				return true
			}
			if !j.isOrigin(n, name) {
				add(l.pos, &st)
			}
			return true
		})
		if err != nil {
			j.fail(fmt.Sprintf("%s (hidden, in a lower layer): %v", n.path(), err))
		}
	}
}

// redirectOrigin is the path from the layer root that a directory's
// overlay.redirect names: absolute ("/a/b", moved from another parent) or
// a sibling's name (renamed in place). Redirects are data from the
// container: "" for any value with an empty, "." or ".." component or a
// name longer than NAME_MAX.
func redirectOrigin(parent *node, redirect string) string {
	if strings.HasPrefix(redirect, "/") {
		return redirectOriginAbs(redirect)
	}
	if !validName(redirect) {
		return ""
	}
	return parent.child(redirect)
}

func validName(c string) bool {
	return c != "" && c != "." && c != ".." && len(c) <= 255 && !strings.Contains(c, "/")
}

func rootOf(n *node) *node {
	for n.parent != nil {
		n = n.parent
	}
	return n
}

// lowerSetAt is lowerSet for a path from the lower roots (whose fds stay
// open): component by component, each step merging down to the first
// opaque directory and stopping at a whiteout or non-directory, as the
// kernel resolves an absolute redirect.
func lowerSetAt(roots []lowerFD, origin, ns string, x *xattrBuf) []lowerFD {
	cur, owned := roots, false
	for _, c := range strings.Split(origin[1:], "/") {
		next, _ := lowerSet(cur, 0, c, ns, x)
		if owned {
			closeAll(cur)
		}
		cur, owned = next, true
		if len(cur) == 0 {
			break
		}
	}
	return cur
}

func closeAll(set []lowerFD) {
	for _, l := range set {
		unix.Close(l.fd)
	}
}
