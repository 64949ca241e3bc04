//go:build linux

package layers

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// On a redirect_dir mount (metacopy=on turns it on: containers/storage on
// RHEL-family hosts), a directory renamed in the container keeps its lower
// content: the upper dir at the new path names the old one in an
// overlay.redirect xattr and holds only what changed. The diff walk looks
// through the redirect, which gets the hidden bytes right, but compares
// each entry with its copy at the old path. docker and podman diff such a
// layer naively, path by path, the merged tree against the parent's: the
// renamed dir and everything it shows are added at the new path, and the
// old path is deleted. relist redoes the listing of each renamed subtree
// that way, from the layer dirs; it mounts nothing.

// maxRelistDepth bounds the recursion below a renamed directory: each
// level keeps a directory fd per layer open.
const maxRelistDepth = 2048

// viewDir is one layer's directory in a merged view, top first.
type viewDir struct {
	lowerFD        // pos is -1 for the writable layer
	path    string // its path in its own layer
}

// viewEntry is one name of a merged view: the copy that shows.
type viewEntry struct {
	st    unix.Stat_t
	layer int // index of its viewDir
}

// relister lists the changes below renamed directories of a writable
// layer, naively.
type relister struct {
	upper  int       // the writable layer's root fd
	dev    uint64    // and its device
	lowers []lowerFD // the lower roots, top first
	ns     string
	x      *xattrBuf
	buf    []byte
	out    []*Change
	errs   []string
}

// relist replaces the changes at and below each renamed directory of
// redirected (paths in the writable layer) with a naive listing, and
// moves their hidden bytes to the same path in it, else to the nearest
// listed directory above. It returns the changes and any errors.
func (r *relister) relist(changes []*Change, redirected []string) ([]*Change, []string) {
	tops := map[string]bool{} // the renamed dirs listed anew
	for _, p := range topmost(redirected) {
		if r.renamed(p) {
			tops[p] = true
		}
	}
	var keep, dropped []*Change
	for _, c := range changes {
		if under(c.Path, tops) != "" {
			dropped = append(dropped, c)
		} else {
			keep = append(keep, c)
		}
	}
	byPath := map[string]*Change{}
	for _, c := range r.out {
		byPath[c.Path] = c
	}
	for _, c := range dropped {
		if c.Hidden == (Sizes{}) {
			continue
		}
		top := under(c.Path, tops)
		for p := c.Path; ; p = path.Dir(p) {
			if to := byPath[p]; to != nil {
				to.Hidden.Add(c.Hidden)
				break
			}
			if p == top {
				// Nothing listed there: keep the walk's line for its bytes.
				keep = append(keep, c)
				break
			}
		}
	}
	return append(keep, r.out...), r.errs
}

// topmost keeps the paths no other path of list is an ancestor of, in
// order.
func topmost(list []string) []string {
	sorted := append([]string(nil), list...)
	sort.Strings(sorted)
	var out []string
	seen := map[string]bool{}
	for _, p := range sorted {
		if under(p, seen) == "" {
			out = append(out, p)
			seen[p] = true
		}
	}
	return out
}

// under is the path of tops that p is or lies below, or "": a lookup per
// ancestor, as a layer may rename many directories.
func under(p string, tops map[string]bool) string {
	for q := p; ; q = path.Dir(q) {
		if tops[q] {
			return q
		}
		if q == "/" || q == "." {
			return ""
		}
	}
}

// renamed lists the renamed directory at p and its subtree: p itself
// against the parent view's entry at p, then every name below. It is
// false when p is no longer there (changed since the walk): the walk's
// lines stay.
func (r *relister) renamed(p string) bool {
	comps := strings.Split(strings.TrimPrefix(p, "/"), "/")
	dirFD, ok := r.openUpper(comps[:len(comps)-1])
	if !ok {
		return false
	}
	defer unix.Close(dirFD)
	name := comps[len(comps)-1]
	var st unix.Stat_t
	if err := unix.Fstatat(dirFD, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return false
	}
	// Above p no directory is renamed (p is topmost), so both views see
	// the same lower dirs at p's parent, unless the upper cuts them off
	// with an opaque dir on the way (then only the parent view has them).
	parent := r.lowerView(path.Dir(p))
	defer closeView(parent)
	merged := []viewDir{{lowerFD: lowerFD{pos: -1, fd: dirFD, dev: r.dev}, path: path.Dir(p)}}
	if !r.opaqueAbove(comps[:len(comps)-1]) {
		merged = append(merged, parent...)
	}
	me := viewEntry{st: st}
	old, inParent := r.entry(parent, name)
	switch {
	case !inParent:
		r.add(ChangeAdd, p, merged, me)
	case statDifferent(&old.st, &st):
		r.add(ChangeModify, p, merged, me)
	}
	mc := r.childDirs(merged, me, name)
	var pc []viewDir
	if inParent && old.st.Mode&unix.S_IFMT == unix.S_IFDIR {
		pc = r.childDirs(parent, old, name)
	}
	r.compare(mc, pc, p, 1)
	closeView(mc)
	closeView(pc)
	return true
}

// compare lists the changes between the merged view m and the parent
// view p of the directory at dir, as docker's archive.ChangesDirs does:
// a name only m shows is added (with everything below it), one whose stat
// differs is changed, one only p shows is deleted.
func (r *relister) compare(m, p []viewDir, dir string, depth int) {
	if depth > maxRelistDepth {
		r.errs = append(r.errs, fmt.Sprintf("%s: more than %d levels below a renamed directory: not listed further", dir, maxRelistDepth))
		return
	}
	me, pe := r.entries(m), r.entries(p)
	for _, name := range sortedNames(me) {
		e, child := me[name], path.Join(dir, name)
		o, inParent := pe[name]
		switch {
		case !inParent:
			r.add(ChangeAdd, child, m, e)
		case statDifferent(&o.st, &e.st):
			r.add(ChangeModify, child, m, e)
		}
		if e.st.Mode&unix.S_IFMT != unix.S_IFDIR {
			continue
		}
		mc := r.childDirs(m, e, name)
		var pc []viewDir
		if inParent && o.st.Mode&unix.S_IFMT == unix.S_IFDIR {
			pc = r.childDirs(p, o, name)
		}
		r.compare(mc, pc, child, depth+1)
		closeView(mc)
		closeView(pc)
	}
	for _, name := range sortedNames(pe) {
		if _, ok := me[name]; !ok {
			r.add(ChangeDelete, path.Join(dir, name), p, pe[name])
		}
	}
}

// add records a change. An added or changed entry that shows from a lower
// layer (content of a renamed directory) says where it is there.
func (r *relister) add(kind, p string, view []viewDir, e viewEntry) {
	d := view[e.layer]
	c := &Change{Kind: kind, File: newFile(p, typeOf(&e.st, false), sizesOf(&e.st), uint64(e.st.Nlink))}
	switch {
	case kind == ChangeDelete:
		c.File = newFile(p, typeOf(&e.st, false), Sizes{}, 0)
	case d.pos >= 0:
		c.From = path.Join(d.path, path.Base(p))
	}
	r.out = append(r.out, c)
}

// entries reads the names of a merged view: each from the topmost dir
// that has it; a whiteout there removes it.
func (r *relister) entries(view []viewDir) map[string]viewEntry {
	out := map[string]viewEntry{}
	gone := map[string]bool{}
	for i, d := range view {
		// A description of its own: getdents moves the offset.
		rfd, err := unix.Openat(d.fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			r.errs = append(r.errs, fmt.Sprintf("%s: %v", d.path, err))
			continue
		}
		xattrWhiteouts := r.x.opaque(d.fd, r.ns) == 'x'
		err = readDir(rfd, r.buf, func(name []byte, namePtr *byte) bool {
			n := string(name)
			if _, ok := out[n]; ok || gone[n] {
				return true
			}
			var st unix.Stat_t
			if fstatat(d.fd, name, namePtr, &st) != nil || st.Dev != d.dev {
				return true // vanished, or a mount point: never crossed
			}
			if isWhiteout(&st) || xattrWhiteouts && st.Mode&unix.S_IFMT == unix.S_IFREG && st.Size == 0 && xattrWhiteoutAt(d.fd, n, r.ns, r.x) {
				gone[n] = true
				return true
			}
			out[n] = viewEntry{st: st, layer: i}
			return true
		})
		unix.Close(rfd)
		if err != nil {
			r.errs = append(r.errs, fmt.Sprintf("%s: %v", d.path, err))
		}
	}
	return out
}

// entry is the view's entry at name, if it shows one.
func (r *relister) entry(view []viewDir, name string) (viewEntry, bool) {
	for i, d := range view {
		var st unix.Stat_t
		if unix.Fstatat(d.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW) != nil {
			continue
		}
		if st.Dev != d.dev || isWhiteout(&st) {
			return viewEntry{}, false
		}
		return viewEntry{st: st, layer: i}, true
	}
	return viewEntry{}, false
}

// childDirs opens the directories the view merges at name, e its entry
// there: its own dir, then (unless it is opaque) the lower dirs below it
// with that name, down to the first opaque one, as lowerSet finds them.
// A renamed directory of the writable layer merges with its origin.
func (r *relister) childDirs(view []viewDir, e viewEntry, name string) []viewDir {
	d := view[e.layer]
	fd, err := unix.Openat(d.fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		if !errors.Is(err, unix.ENOENT) {
			r.errs = append(r.errs, fmt.Sprintf("%s: %v", path.Join(d.path, name), err))
		}
		return nil
	}
	out := []viewDir{{lowerFD: lowerFD{pos: d.pos, fd: fd, dev: d.dev}, path: path.Join(d.path, name)}}
	opaque, redirect := r.x.dirAttrs(fd, r.ns)
	if opaque == 'y' {
		return out
	}
	below := view[e.layer+1:]
	lname := name
	if d.pos < 0 && redirect != "" {
		if strings.HasPrefix(redirect, "/") {
			if origin := redirectOriginAbs(redirect); origin != "" {
				return append(out, r.viewAt(lowerSetAt(r.lowers, origin, r.ns, r.x), origin)...)
			}
			return out
		}
		if !validName(redirect) {
			return out
		}
		lname = redirect
	}
	lfds := make([]lowerFD, len(below))
	paths := map[int]string{}
	for i, b := range below {
		lfds[i] = b.lowerFD
		paths[b.pos] = path.Join(b.path, lname)
	}
	set, _ := lowerSet(lfds, 0, lname, r.ns, r.x)
	for _, l := range set {
		out = append(out, viewDir{lowerFD: l, path: paths[l.pos]})
	}
	return out
}

// redirectOriginAbs validates an absolute redirect ("/a/b"): "" when a
// component is empty, "." or "..", or too long.
func redirectOriginAbs(redirect string) string {
	for _, c := range strings.Split(redirect[1:], "/") {
		if !validName(c) {
			return ""
		}
	}
	return redirect
}

// viewAt names a lower set found at path p.
func (r *relister) viewAt(set []lowerFD, p string) []viewDir {
	out := make([]viewDir, len(set))
	for i, l := range set {
		out[i] = viewDir{lowerFD: l, path: p}
	}
	return out
}

// lowerView opens the parent view at dir: the lower dirs merged there.
func (r *relister) lowerView(dir string) []viewDir {
	if dir == "/" {
		// Dups: the caller closes the view, the job owns the roots.
		var out []viewDir
		for _, l := range r.lowers {
			fd, err := unix.Dup(l.fd)
			if err != nil {
				continue
			}
			out = append(out, viewDir{lowerFD: lowerFD{pos: l.pos, fd: fd, dev: l.dev}, path: "/"})
		}
		return out
	}
	return r.viewAt(lowerSetAt(r.lowers, dir, r.ns, r.x), dir)
}

// openUpper opens the writable layer's directory at comps, O_NOFOLLOW.
func (r *relister) openUpper(comps []string) (int, bool) {
	fd, err := unix.Dup(r.upper)
	if err != nil {
		return -1, false
	}
	for _, c := range comps {
		next, err := unix.Openat(fd, c, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		unix.Close(fd)
		if err != nil {
			return -1, false
		}
		fd = next
	}
	return fd, true
}

// opaqueAbove reports an opaque directory of the writable layer on the
// way to comps (the root included), which cuts the lowers off there.
func (r *relister) opaqueAbove(comps []string) bool {
	for i := 0; i <= len(comps); i++ {
		fd, ok := r.openUpper(comps[:i])
		if !ok {
			return false
		}
		opaque := r.x.opaque(fd, r.ns)
		unix.Close(fd)
		if opaque == 'y' {
			return true
		}
	}
	return false
}

func closeView(view []viewDir) {
	for _, d := range view {
		unix.Close(d.fd)
	}
}

func sortedNames(m map[string]viewEntry) []string {
	out := make([]string, 0, len(m))
	for n := range m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
