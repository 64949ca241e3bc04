//go:build linux

package layers

import (
	"context"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// record makes the change of one non-directory entry of the writable
// layer the way docker's diff does, comparing the container's merged view
// with its parent's (the lowers): a whiteout over a visible lower entry is
// D; an entry no lower shows is A; an entry over a lower one is C when
// mode, owner, rdev, mtime or size differ (archive.statDifferent), else
// no change. Directories are recorded by recordDir.
func (d *diffSink) record(n *node, name []byte, st *unix.Stat_t, wh bool, _ *worker) *Change {
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return nil
	}
	lst, found := firstLower(n.lowers, string(name), n.job.ns)
	s := sizesOf(st)
	var c *Change
	switch {
	case wh && found:
		c = &Change{Kind: ChangeDelete, File: newFile(n.child(string(name)), typeOf(&lst, false), Sizes{}, 0)}
	case wh:
		return nil // deletes nothing the parent shows
	case !found:
		c = &Change{Kind: ChangeAdd, File: newFile(n.child(string(name)), typeOf(st, false), s, uint64(st.Nlink))}
	case statDifferent(&lst, st):
		c = &Change{Kind: ChangeModify, File: newFile(n.child(string(name)), typeOf(st, false), s, uint64(st.Nlink))}
	default:
		return nil
	}
	d.add(c)
	return c
}

// recordDir makes the change of a directory of the writable layer: A when
// no lower shows the path, C when the lower entry differs (for a
// directory: mode, owner or rdev), else nothing. The walker adds what it
// hides below (a lower non-directory it replaces, say).
func (d *diffSink) recordDir(parent *node, name string, st *unix.Stat_t) *Change {
	lst, found := firstLower(parent.lowers, name, parent.job.ns)
	var c *Change
	switch {
	case !found:
		c = &Change{Kind: ChangeAdd, File: newFile(parent.child(name), "dir", sizesOf(st), 0)}
	case statDifferent(&lst, st):
		c = &Change{Kind: ChangeModify, File: newFile(parent.child(name), "dir", sizesOf(st), 0)}
	default:
		return nil
	}
	d.add(c)
	return c
}

// firstLower is the entry the parent view shows at name: the first lower
// that has it; a whiteout there means none.
func firstLower(lowers []lowerFD, name, ns string) (unix.Stat_t, bool) {
	var lst unix.Stat_t
	for _, l := range lowers {
		if unix.Fstatat(l.fd, name, &lst, unix.AT_SYMLINK_NOFOLLOW) == nil {
			return lst, !isWhiteout(&lst)
		}
		if ns == fuseNS && hasWhiteoutFile(l.fd, name) {
			return lst, false
		}
	}
	return lst, false
}

// statDifferent is docker's archive.statDifferent: mode, uid, gid and rdev
// always; size and mtime only when the old entry is not a directory.
func statDifferent(old, cur *unix.Stat_t) bool {
	if old.Mode != cur.Mode || old.Uid != cur.Uid || old.Gid != cur.Gid || old.Rdev != cur.Rdev {
		return true
	}
	return old.Mode&unix.S_IFMT != unix.S_IFDIR && (!sameFsTime(old.Mtim, cur.Mtim) || old.Size != cur.Size)
}

// sameFsTime is docker's mtime comparison: equal, or equal seconds when
// either side lacks nanoseconds.
func sameFsTime(a, b unix.Timespec) bool {
	return a == b || a.Sec == b.Sec && (a.Nsec == 0 || b.Nsec == 0)
}

// Diff lists the changes of a container's writable layer against its
// image (and init layer), as docker diff does, plus sizes. docker diff
// mounts both trees and compares them; ctx reads the upper dir and looks
// the same paths up in the merged lowers, mounting nothing: everything not
// in the upper is the same in both trees.
func (s *Storage) Diff(ctx context.Context, t *Target) (*DiffReport, error) {
	spec := t.spec
	if len(spec.layers) == 0 || spec.layers[0].Role != RoleUpper {
		return nil, fmt.Errorf("%s has no writable layer: diff needs a container", t.Label())
	}
	var dirs []string
	for _, l := range spec.layers {
		if l.Role != RoleData {
			dirs = append(dirs, l.Dir)
		}
	}
	var files []*os.File
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	j := &walkJob{label: dirs[0], ns: spec.ns, metacopy: spec.metacopy, diff: &diffSink{}}
	for i, d := range dirs {
		f, st, err := s.scan.openDir(d)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
		if i == 0 {
			j.root, j.dev = int(f.Fd()), st.Dev
			continue
		}
		j.lowers = append(j.lowers, lowerFD{pos: i - 1, fd: int(f.Fd()), dev: st.Dev})
	}
	s.scan.checkXattrs(spec.ns)
	runJobs(ctx, s.opts.workers(), s.opts.Progress, s.scan.procFD(), []*walkJob{j})
	rep := &DiffReport{Upper: dirs[0], Incomplete: j.usage.Incomplete, Errors: j.usage.Errors}
	// The totals are the walk's: what the writable layer holds and hides.
	for _, c := range j.diff.changes {
		switch c.Kind {
		case ChangeAdd:
			rep.Added.Add(c.Sizes)
		case ChangeModify:
			rep.Changed.Add(c.Sizes)
			rep.Replaced.Add(c.Hidden)
		case ChangeDelete:
			rep.Deleted.Add(c.Hidden)
		}
	}
	if len(j.diff.redirected) > 0 && ctx.Err() == nil {
		r := &relister{upper: j.root, dev: j.dev, lowers: j.lowers, ns: spec.ns, x: newXattrBuf(), buf: make([]byte, direntBufSize)}
		var errs []string
		j.diff.changes, errs = r.relist(j.diff.changes, j.diff.redirected)
		if len(errs) > 0 {
			rep.Incomplete = true
			rep.Errors = append(rep.Errors, errs...)
		}
	}
	rep.Changes = j.diff.finish()
	return rep, ctx.Err()
}
