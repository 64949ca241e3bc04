//go:build linux

package layers

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// probeState is what one layer has at a path.
type probeState struct {
	present bool
	st      unix.Stat_t
	wh      bool
	target  string
	// reached is how many leading components are directories in this
	// layer; blockedAt is the depth of an ancestor component that is not
	// a directory (-1 if none), blockType what it is.
	reached   int
	blockedAt int
	blockType string
	// opaqueAt is the shallowest depth (1 = first component) of an opaque
	// directory on the way, 0 for the layer root, -1 if none.
	opaqueAt int
	fd       int // the entry's fd when it is a directory, else -1
	// redirectAt is the depth of the deepest directory on the way with an
	// overlay.redirect (redirect_dir mounts), 0 if none; redirect is its
	// value. The layers below look the path up at its origin.
	redirectAt int
	redirect   string
	// path is where in this layer the path was looked up, when a
	// redirect above made it differ.
	path string
	// metacopy marks a regular file holding metadata only; fileRedirect
	// is its overlay.redirect, when it was renamed.
	metacopy     bool
	fileRedirect string
}

// lookupPath is where the layers below look a path up: comps, whose first
// prefix components stand for the merged path's first at (a redirect
// above replaced them).
type lookupPath struct {
	comps      []string
	prefix, at int
}

// merged maps a depth in this lookup path to the merged path's depth.
// Depths inside the replaced prefix map to the redirect point, ok false.
func (lp lookupPath) merged(d int) (int, bool) {
	if d < lp.prefix {
		return lp.at, false
	}
	return d - lp.prefix + lp.at, true
}

// below is the lookup path of the layers under one whose probe ps found a
// redirected directory on the way: its origin, then the rest.
func (lp lookupPath) below(ps *probeState) lookupPath {
	if ps.redirectAt == 0 {
		return lp
	}
	var origin []string
	if rest, ok := strings.CutPrefix(ps.redirect, "/"); ok {
		origin = strings.Split(rest, "/")
	} else {
		origin = append(append([]string{}, lp.comps[:ps.redirectAt-1]...), ps.redirect)
	}
	for _, c := range origin {
		if !validName(c) {
			return lp // not a value the kernel wrote: ignore it
		}
	}
	at, _ := lp.merged(ps.redirectAt)
	return lookupPath{comps: append(origin, lp.comps[ps.redirectAt:]...), prefix: len(origin), at: at}
}

// toMerged rewrites ps's depths from this lookup path to the merged
// path's, so that resolveWhich compares layers at the same merged depth.
// A layer that does not reach the origin has nothing below the redirect
// point; a block or opaque dir on the way to the origin ends the lookup
// there for the layers below, as in the kernel.
func (lp lookupPath) toMerged(ps *probeState) {
	if lp.prefix == 0 && lp.at == 0 {
		return
	}
	ps.path = "/" + strings.Join(lp.comps, "/")
	if r, ok := lp.merged(ps.reached); ok {
		ps.reached = r
	} else {
		ps.reached = lp.at - 1
	}
	if ps.blockedAt > 0 {
		ps.blockedAt, _ = lp.merged(ps.blockedAt)
	}
	if ps.opaqueAt > 0 {
		ps.opaqueAt, _ = lp.merged(ps.opaqueAt)
	}
}

// Which finds the layer that provides path in a target's merged view, and
// every other copy of it in the stack with what hides it: top-down,
// honouring whiteouts and opaque directories, never following a symlink.
func (s *Storage) Which(ctx context.Context, t *Target, p string) (*WhichReport, error) {
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	clean := path.Clean(p)
	rep := &WhichReport{Path: clean, PathRaw: setRaw(clean), Provider: -1, Copies: []Copy{}}
	var comps []string
	if clean != "/" {
		comps = strings.Split(strings.TrimPrefix(clean, "/"), "/")
	}
	for _, c := range comps {
		if len(c) > 255 {
			return nil, fmt.Errorf("path component longer than NAME_MAX: %.40q…", c)
		}
	}
	layersSpec := t.spec.layers
	states := make([]probeState, len(layersSpec))
	var files []*os.File
	defer func() {
		for _, f := range files {
			f.Close()
		}
		for _, st := range states {
			if st.fd >= 0 {
				unix.Close(st.fd)
			}
		}
	}()
	lp := lookupPath{comps: comps}
	roots := make([]int, len(layersSpec)) // the layer dirs' fds, -1 if none
	for i, l := range layersSpec {
		roots[i] = -1
		states[i] = probeState{blockedAt: -1, opaqueAt: -1, fd: -1}
		if l.Role == RoleData {
			continue
		}
		f, _, err := s.scan.openDir(l.Dir)
		if err != nil {
			var pe *PrivilegeError
			if errors.As(err, &pe) {
				return nil, err
			}
			continue
		}
		files = append(files, f)
		roots[i] = int(f.Fd())
		states[i] = probeLayer(roots[i], lp.comps, t.spec.ns)
		next := lp.below(&states[i])
		lp.toMerged(&states[i])
		lp = next
	}
	s.scan.checkXattrs(t.spec.ns)
	resolveWhich(rep, layersSpec, states, comps)
	metacopyData(rep, layersSpec, states, roots, comps, t.spec.ns)
	// Directory copies get their subtree's usage.
	for k := range rep.Copies {
		c := &rep.Copies[k]
		st := &states[c.Layer]
		if c.Type != "dir" || st.fd < 0 {
			continue
		}
		c.Tree = s.treeUsage(ctx, st.fd)
		if c.State == CopyHidden {
			rep.Hidden.Add(c.Tree.Sizes)
		}
	}
	for _, c := range rep.Copies {
		if c.State == CopyHidden && c.Type != "dir" {
			rep.Hidden.Add(c.Sizes)
		}
	}
	return rep, ctx.Err()
}

// metacopyData finds the data of a visible metacopy file (metacopy=on
// copies up a file's metadata only, also to rename it): the first regular
// file below at its redirect's origin, else at the same path. That copy is
// in use, not hidden.
func metacopyData(rep *WhichReport, specs []layerSpec, states []probeState, roots []int, comps []string, ns string) {
	p := rep.Provider
	if p < 0 || !states[p].metacopy {
		return
	}
	for k := range rep.Copies {
		if rep.Copies[k].Layer == p {
			rep.Copies[k].Metacopy = true
		}
	}
	if states[p].fileRedirect == "" {
		for k := range rep.Copies {
			if c := &rep.Copies[k]; c.Layer > p && c.Type == "file" {
				c.State, c.HiddenBy = CopyData, -1
				return
			}
		}
		return
	}
	origin := metacopyOrigin(&states[p], comps)
	if origin == nil {
		return
	}
	for i := p + 1; i < len(states); i++ {
		if roots[i] < 0 {
			continue
		}
		ps := probeLayer(roots[i], origin, ns)
		if ps.fd >= 0 {
			unix.Close(ps.fd)
		}
		if ps.present && !ps.wh && ps.st.Mode&unix.S_IFMT == unix.S_IFREG {
			c := newCopy(i, specs[i], &ps.st, false)
			c.Path, c.State = "/"+strings.Join(origin, "/"), CopyData
			rep.Copies = append(rep.Copies, c)
			return
		}
	}
}

// metacopyOrigin is where a renamed metacopy file's data is: its
// redirect, absolute or beside the file; nil for one the kernel would
// not follow.
func metacopyOrigin(ps *probeState, comps []string) []string {
	origin := ps.fileRedirect
	if !strings.HasPrefix(origin, "/") {
		at := ps.path
		if at == "" {
			at = "/" + strings.Join(comps, "/")
		}
		origin = path.Join(path.Dir(at), origin)
	}
	oc := strings.Split(strings.TrimPrefix(path.Clean(origin), "/"), "/")
	for _, c := range oc {
		if !validName(c) {
			return nil
		}
	}
	return oc
}

// newCopy is layer i's copy of the path, with stat st (nothing sized for
// a whiteout), not yet placed.
func newCopy(i int, spec layerSpec, st *unix.Stat_t, wh bool) Copy {
	c := Copy{Layer: i, ID: spec.ID, Role: spec.Role, Dir: spec.Dir, Type: typeOf(st, wh), HiddenBy: -1}
	if !wh {
		c.Sizes = sizesOf(st)
		if st.Nlink > 1 && c.Type != "dir" {
			c.Links = uint64(st.Nlink)
		}
	}
	return c
}

// probeLayer looks the path up in one layer, component by component from
// the layer root, with O_NOFOLLOW everywhere.
func probeLayer(root int, comps []string, ns string) probeState {
	ps := probeState{blockedAt: -1, opaqueAt: -1, fd: -1}
	x := newXattrBuf()
	if x.opaque(root, ns) == 'y' {
		ps.opaqueAt = 0
	}
	if len(comps) == 0 {
		fd, err := unix.Dup(root)
		if err == nil && unix.Fstat(fd, &ps.st) == nil {
			ps.present, ps.fd = true, fd
		}
		return ps
	}
	dir, err := unix.Dup(root)
	if err != nil {
		return ps
	}
	for d, c := range comps {
		last := d == len(comps)-1
		var st unix.Stat_t
		fileWh := false // a fuse-overlayfs ".wh." whiteout stands at c
		if err := unix.Fstatat(dir, c, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			if ns != fuseNS || !statWhiteoutFile(dir, c, &st) {
				unix.Close(dir)
				return ps // absent
			}
			fileWh = true
		}
		isDir := !fileWh && st.Mode&unix.S_IFMT == unix.S_IFDIR
		wh := fileWh || isWhiteout(&st) || st.Mode&unix.S_IFMT == unix.S_IFREG && st.Size == 0 && xattrWhiteoutAt(dir, c, ns, x)
		if last {
			ps.present, ps.st, ps.wh = true, st, wh
			if st.Mode&unix.S_IFMT == unix.S_IFREG && !wh {
				ps.fileMarkers(dir, c, ns, x)
			}
			if st.Mode&unix.S_IFMT == unix.S_IFLNK {
				buf := make([]byte, 4096)
				if n, err := unix.Readlinkat(dir, c, buf); err == nil {
					ps.target = string(buf[:n])
				}
			}
			if isDir {
				if fd, err := unix.Openat(dir, c, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0); err == nil {
					ps.fd = fd
					ps.dirMarkers(fd, len(comps), ns, x)
				}
			}
			unix.Close(dir)
			return ps
		}
		if !isDir {
			ps.blockedAt = d + 1
			ps.blockType = typeOf(&st, wh)
			if st.Mode&unix.S_IFMT == unix.S_IFLNK {
				buf := make([]byte, 4096)
				if n, err := unix.Readlinkat(dir, c, buf); err == nil {
					ps.target = string(buf[:n])
				}
			}
			unix.Close(dir)
			return ps
		}
		next, err := unix.Openat(dir, c, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		unix.Close(dir)
		if err != nil {
			return ps
		}
		dir = next
		ps.reached = d + 1
		ps.dirMarkers(dir, d+1, ns, x)
	}
	unix.Close(dir)
	return ps
}

// fileMarkers notes a metacopy file and its redirect.
func (ps *probeState) fileMarkers(dir int, name, ns string, x *xattrBuf) {
	if _, err := xattrAt(dir, name, ns+"metacopy", x.val); err != nil {
		return
	}
	ps.metacopy = true
	if n, err := xattrAt(dir, name, ns+"redirect", x.val); err == nil && n > 0 {
		ps.fileRedirect = string(x.val[:n])
	}
}

// dirMarkers notes an opaque or redirected directory at depth d.
func (ps *probeState) dirMarkers(fd, d int, ns string, x *xattrBuf) {
	opaque, redirect := x.dirAttrs(fd, ns)
	if ps.opaqueAt < 0 && opaque == 'y' {
		ps.opaqueAt = d
	}
	if redirect != "" {
		ps.redirectAt, ps.redirect = d, redirect
	}
}

// resolveWhich merges the per-layer probes top-down, as overlayfs does:
// at each ancestor directory only the layers still merged there count; a
// non-directory (a whiteout, a symlink, a file) in the first of them ends
// the lookup, and an opaque directory cuts off the layers below it.
func resolveWhich(rep *WhichReport, specs []layerSpec, states []probeState, comps []string) {
	n := len(specs)
	cut := make([]int, n) // the layer that cut layer i off (-1: none)
	active := make([]bool, n)
	for i := range specs {
		cut[i] = -1
		active[i] = specs[i].Role != RoleData
	}
	cutBelow := func(i int) {
		for k := i + 1; k < n; k++ {
			if active[k] {
				active[k], cut[k] = false, i
			}
		}
	}
	for i := 0; i < n; i++ {
		if active[i] && states[i].opaqueAt == 0 {
			cutBelow(i)
			break
		}
	}
	for d := 1; d < len(comps) && rep.Reason == ""; d++ {
		seen := false
		for i := 0; i < n; i++ {
			if !active[i] {
				continue
			}
			st := &states[i]
			switch {
			case st.reached >= d:
				seen = true
				if st.opaqueAt == d {
					cutBelow(i)
				}
			case st.blockedAt == d:
				if !seen {
					prefix := "/" + strings.Join(comps[:d], "/")
					switch st.blockType {
					case "whiteout":
						rep.Reason = fmt.Sprintf("%s is deleted by a whiteout in layer %d", prefix, i)
					case "symlink":
						rep.Reason = fmt.Sprintf("%s is a symlink to %q in layer %d: ctx never follows symlinks; ask for the target", prefix, st.target, i)
					default:
						rep.Reason = fmt.Sprintf("%s is a %s, not a directory, in layer %d", prefix, st.blockType, i)
					}
				}
				active[i] = false
				cutBelow(i)
			default:
				active[i] = false // absent here: contributes nothing below
			}
		}
	}
	provider, deletedBy := -1, -1
	for i := 0; i < n; i++ {
		st := &states[i]
		if !st.present {
			continue
		}
		c := newCopy(i, specs[i], &st.st, st.wh)
		c.Path, c.Target = st.path, st.target
		switch {
		case !active[i] || rep.Reason != "" && provider < 0 && deletedBy < 0:
			c.State, c.HiddenBy = CopyHidden, cut[i]
		case provider < 0 && deletedBy < 0:
			if st.wh {
				c.State, deletedBy = CopyWhiteout, i
				rep.Reason = fmt.Sprintf("deleted by a whiteout in layer %d", i)
			} else {
				c.State, provider = CopyVisible, i
			}
		case deletedBy >= 0:
			c.State, c.HiddenBy = CopyHidden, nearestAbove(rep.Copies, i)
		case c.Type == "dir" && lastMergedIsDir(rep.Copies) && !opaqueBetween(states, provider, i, len(comps)):
			c.State = CopyMerged
		default:
			c.State, c.HiddenBy = CopyHidden, nearestAbove(rep.Copies, i)
			if c.Type != "dir" {
				cutBelow(i) // a non-directory ends the merge below it
			}
		}
		if st.wh && c.State == CopyHidden {
			c.State = CopyWhiteout
		}
		rep.Copies = append(rep.Copies, c)
	}
	rep.Provider = provider
	if provider < 0 && rep.Reason == "" {
		rep.Reason = hiddenReason(rep.Copies, states, comps)
	}
}

// hiddenReason says why no layer provides a path that has no whiteout or
// non-directory on its way: an opaque directory cut off the layers that
// have it (the layer that cut a copy off is its HiddenBy), or none has it.
func hiddenReason(copies []Copy, states []probeState, comps []string) string {
	for _, c := range copies {
		if c.State != CopyHidden || c.HiddenBy < 0 {
			continue
		}
		d := states[c.HiddenBy].opaqueAt
		if d < 0 || d > len(comps) {
			break
		}
		return fmt.Sprintf("/%s is an opaque directory in layer %d: it hides the layers below", strings.Join(comps[:d], "/"), c.HiddenBy)
	}
	return "no layer has the path"
}

// lastMergedIsDir reports whether the merged view so far is a directory:
// the visible copy and every merged one are.
func lastMergedIsDir(copies []Copy) bool {
	for _, c := range copies {
		if (c.State == CopyVisible || c.State == CopyMerged) && c.Type != "dir" {
			return false
		}
	}
	return true
}

// opaqueBetween reports an opaque directory at the path in layers
// provider..i-1, which stops lower directories from merging.
func opaqueBetween(states []probeState, provider, i, depth int) bool {
	for k := provider; k < i; k++ {
		if states[k].present && states[k].opaqueAt == depth {
			return true
		}
	}
	return false
}

// nearestAbove is the closest layer above i with a copy: the one that
// hides it.
func nearestAbove(copies []Copy, i int) int {
	best := -1
	for _, c := range copies {
		if c.Layer < i && c.Layer > best {
			best = c.Layer
		}
	}
	return best
}

// treeUsage walks one directory tree on its own (no lowers).
func (s *Storage) treeUsage(ctx context.Context, fd int) *Usage {
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil {
		return &Usage{Incomplete: true}
	}
	j := &walkJob{root: fd, dev: st.Dev, ns: trustedNS}
	w := newWalker(ctx, s.opts.workers(), nil, s.scan.procFD())
	w.run([]*walkJob{j})
	u := j.usage
	return &u
}
