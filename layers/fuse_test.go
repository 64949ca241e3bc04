//go:build linux

package layers

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

// TestFuseOverlayStore: a containers/storage store that fuse-overlayfs
// mounts (a mount_program in storage.conf, or the flag rootless Podman
// leaves in a store where it picked fuse-overlayfs itself). Its image
// layer was unpacked as containers/storage does for a mount program, with
// ".wh." files: a deleted file and an opaque dir. The container's
// writable layer is written through a real fuse-overlayfs mount that
// cannot use the kernel's whiteouts (as on kernels before 5.8 or without
// CAP_MKNOD): it deletes a file of each image layer, replaces a dir,
// appends to a file and adds one. fuse-overlayfs's merged views are the
// oracle: what ctx counts as visible, deleted and added is what they show.
func TestFuseOverlayStore(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	for _, tool := range []string{"fuse-overlayfs", "fusermount3", "du"} {
		hostfstest.RequireTool(t, "privileged", tool)
	}
	for _, tc := range []struct{ name, conf, flag string }{
		{name: "mount_program", conf: "[storage]\ndriver = \"overlay\"\n[storage.options.overlay]\nmount_program = \"/usr/bin/fuse-overlayfs\"\n"},
		{name: "flag file", flag: "true\n"},
	} {
		t.Run(tc.name, func(t *testing.T) { testFuseOverlayStore(t, tc.conf, tc.flag) })
	}
}

func testFuseOverlayStore(t *testing.T, conf, flag string) {
	l1, l2, l3 := strings.Repeat("1", 64), strings.Repeat("2", 64), strings.Repeat("3", 64)
	img, ct := strings.Repeat("8", 64), strings.Repeat("9", 64)
	g := "var/lib/containers/storage/"
	o := g + "overlay/"
	tree := map[string]string{
		o + l1 + "/diff/a.txt":        strings.Repeat("a", 4000),
		o + l1 + "/diff/gone/y":       strings.Repeat("y", 3000),
		o + l1 + "/diff/gone/z":       strings.Repeat("z", 1000),
		o + l1 + "/diff/data/old.bin": strings.Repeat("o", 50_000),
		o + l1 + "/diff/dir/sub/x":    strings.Repeat("x", 3000),
		o + l1 + "/diff/keep":         strings.Repeat("k", 7000),
		o + l1 + "/diff/olddir/f":     strings.Repeat("f", 2000),
		// l2 as containers/storage unpacks a layer for a mount program.
		o + l2 + "/diff/.wh.a.txt":               "",
		o + l2 + "/diff/.wh.olddir":              "",
		o + l2 + "/diff/gone/.wh..wh..opq":       "",
		o + l2 + "/diff/gone/new":                strings.Repeat("n", 20),
		o + l2 + "/diff/extra":                   strings.Repeat("e", 500),
		o + l3 + "/diff/":                        "",
		o + l3 + "/work/":                        "",
		o + l3 + "/merged/":                      "",
		g + "overlay-layers/layers.json":         `[{"id":"` + l1 + `"},{"id":"` + l2 + `","parent":"` + l1 + `"},{"id":"` + l3 + `","parent":"` + l2 + `"}]`,
		g + "overlay-images/images.json":         `[{"id":"` + img + `","names":["localhost/app:1"],"layer":"` + l2 + `"}]`,
		g + "overlay-containers/containers.json": `[{"id":"` + ct + `","names":["app"],"image":"` + img + `","layer":"` + l3 + `"}]`,
	}
	if conf != "" {
		tree["etc/containers/storage.conf"] = conf
	}
	if flag != "" {
		tree[o+".has-mount-program"] = flag
	}
	root := hostfstest.New(t, tree)
	diff := func(l string) string { return root.Host("/" + o + l + "/diff") }

	// The image's view: fuse-overlayfs over the image layers alone.
	imageView := fuseView(t, []string{diff(l2), diff(l1)}, t.TempDir(), t.TempDir(), t.TempDir(), "")
	// The container's: its writable layer, written through the mount.
	merged := root.Host("/" + o + l3 + "/merged")
	containerView := fuseView(t, []string{diff(l2), diff(l1)}, diff(l3), root.Host("/"+o+l3+"/work"), merged,
		"rm data/old.bin extra && rm -rf dir && mkdir dir && echo n > dir/n && echo more >> keep && echo hi > new")
	// The oracle is what the mounts list. Not lookups by name: those of
	// fuse-overlayfs 1.10 can show a lower entry below an opaque dir,
	// depending on the order of earlier lookups (fuse-overlayfs issue
	// 425); its listing merges correctly.
	visible, imagePaths := viewPaths(t, containerView), viewPaths(t, imageView)
	visibleApparent := apparentOfView(t, containerView)
	// The writable layer holds fuse-overlayfs's own whiteout files.
	for _, p := range []string{"data/.wh.old.bin", ".wh.extra", "dir/.wh..wh..opq"} {
		if _, err := os.Lstat(path.Join(diff(l3), p)); err != nil {
			t.Fatalf("fuse-overlayfs wrote no %s: %v", p, err)
		}
	}

	s := openFixture(t, root)
	tg := resolve(t, s, "app")
	if tg.spec.ns != fuseNS {
		t.Errorf("xattr namespace %q; want fuse-overlayfs's rules", tg.spec.ns)
	}
	st, err := s.Stack(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Layers) != 3 {
		t.Fatalf("stack %+v; want 3 layers", st.Layers)
	}
	// What the container sees is every layer's bytes less what upper
	// layers hide.
	var seen Sizes
	for i, l := range st.Layers {
		if l.Usage == nil {
			t.Fatalf("layer %d has no usage", i)
		}
		seen.Apparent += l.Usage.Apparent - l.Hides.Apparent
		if want := duBytes(t, diff([]string{l3, l2, l1}[i]))[0]; l.Usage.Disk != want {
			t.Errorf("layer %d: %d disk bytes; du says %d", i, l.Usage.Disk, want)
		}
	}
	if seen.Apparent != visibleApparent {
		t.Errorf("layers less hidden: %d apparent bytes; the mount shows %d", seen.Apparent, visibleApparent)
	}
	if want := sizeSum(t, path.Join(diff(l1), "a.txt"), path.Join(diff(l1), "gone"), path.Join(diff(l1), "olddir")); st.Layers[1].Hides != want {
		t.Errorf("image layer hides %+v; want %+v (a.txt and olddir by .wh. files, gone by the opaque marker)", st.Layers[1].Hides, want)
	}
	if u := st.Layers[0].Usage; u.Whiteouts != 2 || u.OpaqueDirs != 1 {
		t.Errorf("writable layer: %d whiteouts, %d opaque dirs; want 2 and 1", u.Whiteouts, u.OpaqueDirs)
	}
	if u := st.Layers[1].Usage; u.Whiteouts != 2 || u.OpaqueDirs != 1 {
		t.Errorf("image layer: %d whiteouts, %d opaque dirs; want 2 and 1", u.Whiteouts, u.OpaqueDirs)
	}

	// which: visible exactly where the mount shows the path.
	for _, p := range []string{"/a.txt", "/olddir/f", "/gone/y", "/gone/new", "/extra", "/keep", "/data/old.bin", "/dir/sub/x", "/dir/n", "/new"} {
		rep, err := s.Which(context.Background(), tg, p)
		if err != nil {
			t.Fatal(err)
		}
		if (rep.Provider >= 0) != visible[p] {
			t.Errorf("which %s: provider %d (%s); the mount shows it: %v", p, rep.Provider, rep.Reason, visible[p])
		}
	}

	// diff: added are the paths only the container's view has; deleted
	// the topmost paths only the image's has.
	rep, err := s.Diff(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, c := range rep.Changes {
		got[c.Kind] = append(got[c.Kind], c.Path)
		if strings.Contains(c.Path, whPrefix) {
			t.Errorf("diff lists a marker file: %s %s", c.Kind, c.Path)
		}
	}
	var added, deleted []string
	for p := range visible {
		if !imagePaths[p] {
			added = append(added, p)
		}
	}
	for p := range imagePaths {
		if !visible[p] && visible[path.Dir(p)] {
			deleted = append(deleted, p)
		}
	}
	for kind, want := range map[string][]string{ChangeAdd: added, ChangeDelete: deleted} {
		slices.Sort(want)
		slices.Sort(got[kind])
		if !slices.Equal(got[kind], want) {
			t.Errorf("diff %s: %v; the mounts differ by %v", kind, got[kind], want)
		}
	}
	if !slices.Contains(got[ChangeModify], "/keep") {
		t.Errorf("diff C: %v; want /keep", got[ChangeModify])
	}
}

// fuseView mounts fuse-overlayfs over lowers (top first) at mnt, runs
// script in it, and returns mnt; the mount is removed when the test ends.
// fuse-overlayfs is told it cannot mknod the kernel's whiteouts, so it
// writes ".wh." files.
func fuseView(t *testing.T, lowers []string, upper, work, mnt, script string) string {
	t.Helper()
	cmd := exec.Command("fuse-overlayfs", "-o", "lowerdir="+strings.Join(lowers, ":")+",upperdir="+upper+",workdir="+work, mnt)
	cmd.Env = append(os.Environ(), "FUSE_OVERLAYFS_DISABLE_OVL_WHITEOUT=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		hostfstest.Gate(t, "privileged: fuse-overlayfs cannot mount here: "+err.Error()+": "+string(out))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("fusermount3", "-u", mnt).CombinedOutput(); err != nil {
			t.Errorf("unmounting %s: %v: %s", mnt, err, out)
		}
	})
	if script != "" {
		sh := exec.Command("sh", "-c", script)
		sh.Dir = mnt
		if out, err := sh.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v: %s", script, err, out)
		}
	}
	return mnt
}

// viewPaths lists every path of a mounted view, "/" first.
func viewPaths(t *testing.T, mnt string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	err := filepath.WalkDir(mnt, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		out["/"+strings.TrimPrefix(strings.TrimPrefix(p, mnt), "/")] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// apparentOfView sums st_size of every non-directory a mounted view shows.
func apparentOfView(t *testing.T, mnt string) int64 {
	t.Helper()
	var n int64
	err := filepath.WalkDir(mnt, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		n += st.Size
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestFuseOpaque: fuse-overlayfs's rule for an opaque dir. The first of
// trusted.overlay.opaque, user.overlay.opaque and user.fuseoverlayfs.opaque
// that is set decides; only when none is does a ".wh..wh..opq" file.
func TestFuseOpaque(t *testing.T) {
	hostfstest.RequirePrivileged(t) // trusted.* xattrs
	dir := t.TempDir()
	for _, tc := range []struct {
		name   string
		xattrs [][2]string
		marker bool
		want   byte
	}{
		{name: "none"},
		{name: "marker", marker: true, want: 'y'},
		{name: "fuse xattr", xattrs: [][2]string{{fuseNS + "opaque", "y"}}, want: 'y'},
		{name: "user xattr", xattrs: [][2]string{{userNS + "opaque", "y"}}, want: 'y'},
		{name: "trusted no over the marker", xattrs: [][2]string{{trustedNS + "opaque", "n"}}, marker: true},
		{name: "trusted first", xattrs: [][2]string{{trustedNS + "opaque", "y"}, {fuseNS + "opaque", "n"}}, want: 'y'},
		{name: "user before fuse", xattrs: [][2]string{{userNS + "opaque", "n"}, {fuseNS + "opaque", "y"}}},
	} {
		d := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"))
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, x := range tc.xattrs {
			setXattr(t, d, x[0], x[1])
		}
		if tc.marker {
			if err := os.WriteFile(filepath.Join(d, whOpaque), nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		fd, err := unix.Open(d, unix.O_RDONLY|unix.O_DIRECTORY, 0)
		if err != nil {
			t.Fatal(err)
		}
		x := newXattrBuf()
		if got := x.opaque(fd, fuseNS); got != tc.want {
			t.Errorf("%s: opaque %q; want %q", tc.name, got, tc.want)
		}
		if got, _ := x.dirAttrs(fd, fuseNS); got != tc.want {
			t.Errorf("%s: dirAttrs opaque %q; want %q", tc.name, got, tc.want)
		}
		unix.Close(fd)
	}
}
