//go:build linux

package layers

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/inspect/hostfs"
	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

// TestDiffRedirect: on a redirect_dir mount, ctx layers diff lists the
// paths a naive diff of the merged tree against the lower one lists (what
// podman diff does there, and docker diff's archive.ChangesDirs): renamed
// directories and all they show added at their new paths, old paths
// deleted. The merged tree is the kernel's, mounted read-only for the
// oracle.
func TestDiffRedirect(t *testing.T) {
	files := map[string]int{
		"a/b/f": 1 << 20, "a/b/h": 64 << 10, "a/b/sub/s": 100, // a/b moved to /c
		"x/g": 512 << 10, "x/k": 8 << 10, // x renamed y, y/g deleted
		"x2/old": 10, "x2/same": 20, "a2/same": 20, "a2/n": 30, // x2 deleted, a2 renamed x2
		"keep/z": 40, "keep/deep/w": 50, // outside any rename
	}
	root, lower, upper := overlayRedirect(t, files, "", func(in func(string) string) error {
		return errors.Join(
			os.Rename(in("a/b"), in("c")), os.Remove(in("a")),
			os.WriteFile(in("c/h"), []byte("new\n"), 0o644),
			os.MkdirAll(in("c/new"), 0o755), os.WriteFile(in("c/new/q"), []byte("q"), 0o644),
			os.Rename(in("c/sub"), in("c/sub2")), // a rename inside a renamed dir
			os.Rename(in("x"), in("y")), os.Remove(in("y/g")),
			os.RemoveAll(in("x2")), os.Rename(in("a2"), in("x2")), // onto a deleted path
			os.Chmod(in("keep/z"), 0o600), os.Remove(in("keep/deep/w")),
		)
	})
	want := naiveDiff(t, lower, mountMerged(t, upper, lower, ""))
	rep := diffLayers(t, root, upperLowerSpec(false))
	var got []string
	from := map[string]string{}
	for _, c := range rep.Changes {
		got = append(got, c.Kind+" "+c.Path)
		from[c.Path] = c.From
	}
	if !slices.Equal(got, want) {
		t.Errorf("ctx layers diff:\n%q\nnaive diff of the kernel's merged tree:\n%q", got, want)
	}
	// Content a renamed dir shows from the lower says where it is there.
	for p, f := range map[string]string{"/c/f": "/a/b/f", "/c/sub2/s": "/a/b/sub/s", "/y/k": "/x/k", "/x2/n": "/a2/n", "/c/h": "", "/c/new/q": ""} {
		if from[p] != f {
			t.Errorf("%s: from %q; want %q", p, from[p], f)
		}
	}
	// The totals stay the walk's, and so do the stack's hidden bytes: the
	// lower files overwritten (c/h; keep/z, copied up by chmod) and
	// deleted (y/g, keep/deep/w, and x2's, under the dir renamed onto it),
	// not what the renames show elsewhere.
	var wantHidden Sizes
	for _, p := range []string{"a/b/h", "keep/z", "x/g", "keep/deep/w", "x2/old", "x2/same"} {
		wantHidden.Add(sizeSum(t, filepath.Join(lower, p)))
	}
	hidden := rep.Deleted
	hidden.Add(rep.Replaced)
	st := walk(t, root, trustedNS, "/layers/upper", "/layers/lower")
	if hidden.Apparent != wantHidden.Apparent || st.Hidden.Apparent != wantHidden.Apparent {
		t.Errorf("hidden: diff %+v, stack %+v; want the apparent bytes of the overwritten and deleted files, %d", hidden, st.Hidden, wantHidden.Apparent)
	}
}

// TestHiddenMetacopyRename: with metacopy=on, even a plain mv of a lower
// file copies up only its metadata, with an overlay.redirect to the old
// name and a whiteout there: the lower data stays in use, not hidden. So
// does a file chmod copied up. Only what is really gone is hidden; diff
// still lists the paths the naive diff lists.
func TestHiddenMetacopyRename(t *testing.T) {
	files := map[string]int{"f": 100000, "dir/h": 50000, "z": 7000, "k": 3000}
	root, lower, upper := overlayRedirect(t, files, ",metacopy=on", func(in func(string) string) error {
		return errors.Join(os.Rename(in("f"), in("g")), os.Rename(in("dir/h"), in("h2")), os.RemoveAll(in("dir")),
			os.Remove(in("z")), os.Chmod(in("k"), 0o600))
	})
	var buf [64]byte
	if n, err := unix.Lgetxattr(filepath.Join(upper, "g"), "trusted.overlay.redirect", buf[:]); err != nil || string(buf[:n]) != "f" {
		t.Fatalf("upper g: redirect %q, %v; want the kernel's metacopy rename", buf[:max(n, 0)], err)
	}
	spec := upperLowerSpec(true)
	s := &Storage{root: root, scan: newScanner(root, Options{})}
	nodes := s.scan.add(spec)
	if err := s.scan.walk(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := s.scan.stack(spec, nodes)
	z := sizeSum(t, filepath.Join(lower, "z"))
	if st.Hidden.Apparent != z.Apparent || st.Layers[0].Usage.Metacopy != 3 {
		t.Errorf("hidden %+v, metacopy files %d; want z's %d bytes alone, and g, h2, k", st.Hidden, st.Layers[0].Usage.Metacopy, z.Apparent)
	}
	// A stopped container's mount options are unknown: the renames are
	// not found (that would take an xattr read per file), but k's
	// metacopy copy-up still is.
	unknown := walk(t, root, trustedNS, "/layers/upper", "/layers/lower")
	if want := z.Apparent + int64(files["f"]+files["dir/h"]); unknown.Hidden.Apparent != want {
		t.Errorf("hidden without the mount's options %+v; want %d (all but k)", unknown.Hidden, want)
	}
	rep := diffLayers(t, root, upperLowerSpec(true))
	var got []string
	for _, c := range rep.Changes {
		got = append(got, c.Kind+" "+c.Path)
		if c.Path == "/f" && c.Hidden != (Sizes{}) {
			t.Errorf("D /f hides %+v; its data is g's", c.Hidden)
		}
	}
	if want := naiveDiff(t, lower, mountMerged(t, upper, lower, ",metacopy=on")); !slices.Equal(got, want) {
		t.Errorf("ctx layers diff:\n%q\nnaive diff of the kernel's merged tree:\n%q", got, want)
	}
	if rep.Deleted.Apparent+rep.Replaced.Apparent != z.Apparent {
		t.Errorf("diff totals: deleted %+v, replaced %+v; want z's %d bytes alone", rep.Deleted, rep.Replaced, z.Apparent)
	}
	// which: the metacopy file is what shows; its data is in use below,
	// at the same path (chmod) or at the name it was renamed from.
	ws := &Storage{root: root, scan: newScanner(root, Options{})}
	for p, data := range map[string]string{"/k": "", "/g": "/f", "/h2": "/dir/h"} {
		w, err := ws.Which(context.Background(), &Target{spec: upperLowerSpec(true)}, p)
		if err != nil {
			t.Fatal(err)
		}
		var states []string
		for _, c := range w.Copies {
			states = append(states, fmt.Sprintf("%d:%s:%s:%v", c.Layer, c.State, c.Path, c.Metacopy))
		}
		if want := []string{"0:visible::true", "1:data:" + data + ":false"}; w.Provider != 0 || !slices.Equal(states, want) || w.Hidden != (Sizes{}) {
			t.Errorf("which %s: provider %d, copies %q, hidden %+v; want %q and nothing hidden", p, w.Provider, states, w.Hidden, want)
		}
	}
}

// upperLowerSpec is the stack overlayRedirect makes.
func upperLowerSpec(metacopy bool) *stackSpec {
	return &stackSpec{source: "dirs", ns: trustedNS, metacopy: metacopy, layers: []layerSpec{
		{Layer: Layer{ID: "upper", Store: StoreMount, Dir: "/layers/upper"}, Role: RoleUpper},
		{Layer: Layer{ID: "lower", Store: StoreMount, Dir: "/layers/lower"}, Role: RoleLower}}}
}

// diffLayers is ctx layers diff of spec.
func diffLayers(t *testing.T, root hostfs.Root, spec *stackSpec) *DiffReport {
	t.Helper()
	s := &Storage{root: root, scan: newScanner(root, Options{})}
	rep, err := s.Diff(context.Background(), &Target{spec: spec})
	if err != nil || rep.Incomplete {
		t.Fatalf("Diff: %v %q", err, rep.Errors)
	}
	return rep
}

// mountMerged mounts upper on lower read-only (both as lower layers,
// redirects followed, with opts) and returns the merged dir; unmounted at
// cleanup.
func mountMerged(t *testing.T, upper, lower, opts string) string {
	t.Helper()
	hostfstest.NoMountLeak(t)
	merged := t.TempDir()
	if err := unix.Mount("overlay", merged, "overlay", unix.MS_RDONLY, "lowerdir="+upper+":"+lower+",redirect_dir=follow"+opts); err != nil {
		t.Fatalf("mounting the merged view: %v", err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(merged, 0); err != nil {
			t.Errorf("unmounting %s: %v", merged, err)
		}
	})
	return merged
}

// naiveDiff is docker's archive.ChangesDirs(newDir, oldDir), sorted as
// ctx sorts: a path only the new tree has is added (and everything below
// it), one whose mode, owner, rdev (and for a non-directory size or
// mtime) differs is changed, one only the old tree has is deleted (not
// its children), and a directory holding a change is changed.
func naiveDiff(t *testing.T, oldDir, newDir string) []string {
	t.Helper()
	var out []string
	var walk func(p string, old *unix.Stat_t, hasOld bool) bool
	walk = func(p string, old *unix.Stat_t, hasOld bool) bool {
		var cur unix.Stat_t
		if err := unix.Lstat(filepath.Join(newDir, p), &cur); err != nil {
			t.Fatal(err)
		}
		changed := false
		if p != "/" && (!hasOld || statDifferent(old, &cur)) {
			kind := "C"
			if !hasOld {
				kind = "A"
			}
			out = append(out, kind+" "+p)
			changed = true
		}
		if cur.Mode&unix.S_IFMT != unix.S_IFDIR {
			return changed
		}
		names := func(dir string) map[string]bool {
			m := map[string]bool{}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				m[e.Name()] = true
			}
			return m
		}
		newNames := names(filepath.Join(newDir, p))
		oldNames := map[string]bool{}
		if hasOld && old.Mode&unix.S_IFMT == unix.S_IFDIR {
			oldNames = names(filepath.Join(oldDir, p))
		}
		inside := false
		for n := range newNames {
			var ost unix.Stat_t
			has := oldNames[n] && unix.Lstat(filepath.Join(oldDir, p, n), &ost) == nil
			inside = walk(filepath.Join(p, n), &ost, has) || inside
		}
		for n := range oldNames {
			if !newNames[n] {
				out = append(out, "D "+filepath.Join(p, n))
				inside = true
			}
		}
		if inside && !changed && p != "/" {
			out = append(out, "C "+p)
			changed = true
		}
		return changed
	}
	var rootSt unix.Stat_t
	if err := unix.Lstat(oldDir, &rootSt); err != nil {
		t.Fatal(err)
	}
	walk("/", &rootSt, true)
	// ctx sorts by path.
	sort.Slice(out, func(i, j int) bool { return out[i][2:] < out[j][2:] })
	return out
}
