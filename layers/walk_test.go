//go:build linux

package layers

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/inspect/hostfs"
	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

// layerRoot makes a host tree with a /layers dir and returns its root and
// the openable path of /layers.
func layerRoot(t *testing.T) (hostfs.Root, string) {
	t.Helper()
	root := hostfstest.New(t, map[string]string{"layers/": ""})
	return root, root.Host("/layers")
}

func writeFile(t *testing.T, p string, size int) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(strings.Repeat("x", size)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// duBytes is `du -s --block-size=1 dir`: the reference for disk bytes.
func duBytes(t *testing.T, dirs ...string) []int64 {
	t.Helper()
	hostfstest.RequireTool(t, "fixture", "du")
	var out []int64
	for _, d := range dirs {
		b, err := exec.Command("du", "-s", "--block-size=1", d).Output()
		if err != nil {
			t.Fatalf("du %s: %v", d, err)
		}
		n, err := strconv.ParseInt(strings.Fields(string(b))[0], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

// apparentOf sums st_size of every non-directory under dir, each inode
// once: docker's SizeRw rule.
func apparentOf(t *testing.T, dir string) int64 {
	t.Helper()
	seen := map[uint64]bool{}
	var n int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		if !seen[st.Ino] {
			seen[st.Ino] = true
			n += st.Size
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func walk(t *testing.T, root hostfs.Root, ns string, dirs ...string) *Stack {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	st, _, err := WalkDirs(ctx, root, dirs, ns, Options{TopN: 20})
	if err != nil {
		t.Fatalf("WalkDirs: %v", err)
	}
	return st
}

func TestWalkMatchesDu(t *testing.T) {
	hostfstest.NoFDLeak(t)
	root, dir := layerRoot(t)
	l := filepath.Join(dir, "l1")
	writeFile(t, filepath.Join(l, "small"), 10)
	writeFile(t, filepath.Join(l, "a/b/c/mid"), 10000)
	writeFile(t, filepath.Join(l, "big"), 300000)
	if err := os.Link(filepath.Join(l, "big"), filepath.Join(l, "a/big-link")); err != nil {
		t.Fatal(err)
	}
	// 50 MB sparse file holding 1 MB of data.
	f, err := os.Create(filepath.Join(l, "sparse"))
	if err != nil {
		t.Fatal(err)
	}
	f.Write(make([]byte, 1<<20))
	f.Truncate(50 << 20)
	f.Close()
	os.Symlink("/etc/passwd", filepath.Join(l, "abs-link"))
	if err := unix.Mkfifo(filepath.Join(l, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}

	st := walk(t, root, "", "/layers/l1")
	u := st.Layers[0].Usage
	if want := duBytes(t, l)[0]; u.Disk != want {
		t.Errorf("disk = %d; du -s says %d", u.Disk, want)
	}
	if want := apparentOf(t, l); u.Apparent != want {
		t.Errorf("apparent = %d; want %d", u.Apparent, want)
	}
	if u.HardLinks != 1 || u.Sparse != 1 || u.Specials != 1 || u.Symlinks != 1 || u.Files != 5 || u.Dirs != 4 || u.Incomplete {
		t.Errorf("usage = %+v", u)
	}
	top := st.Layers[0].TopFiles
	if len(top) == 0 || top[0].Path != "/sparse" || top[0].Apparent != 50<<20 || top[0].Disk >= 2<<20 {
		t.Errorf("top files = %+v; want the sparse file first, 50 MB apparent, about 1 MB on disk", top)
	}
}

// TestWalkAdversarial walks a layer built to hurt: symlinks out and in a
// loop, a 100k-entry directory, nesting past PATH_MAX, hostile names, a
// FIFO and a device node, a hard-link bomb. Nothing may be followed or
// opened, nothing may hang, every entry is counted, and memory does not
// grow with the number of files.
func TestWalkAdversarial(t *testing.T) {
	hostfstest.NoFDLeak(t)
	_, dir := layerRoot(t)
	l := filepath.Join(dir, "evil")
	if err := os.MkdirAll(l, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{"escape": "/", "up": "../../..", "loopa": "loopb", "loopb": "loopa"} {
		if err := os.Symlink(target, filepath.Join(l, name)); err != nil {
			t.Fatal(err)
		}
	}
	const wide = 100_000
	makeWide(t, filepath.Join(l, "wide"), wide)
	const depth = 450 // 11 bytes a level: 4950 bytes, past PATH_MAX (4096)
	deepFile := makeDeep(t, l, depth)
	hostile := []string{"esc\x1b[31mred", "new\nline", "bad\xff\xfename"}
	for _, n := range hostile {
		writeFile(t, filepath.Join(l, n), 9000)
	}
	if err := unix.Mkfifo(filepath.Join(l, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	specials := int64(1)
	if os.Geteuid() == 0 {
		// /dev/null's numbers: opening it would be harmless, but the walker
		// must not open it at all.
		if err := unix.Mknod(filepath.Join(l, "devnode"), unix.S_IFCHR|0o600, int(unix.Mkdev(1, 3))); err == nil {
			specials++
		}
	}
	writeFile(t, filepath.Join(l, "bomb/target"), 5000)
	const links = 2000
	for i := 0; i < links; i++ {
		if err := os.Link(filepath.Join(l, "bomb/target"), filepath.Join(l, "bomb", "l"+strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}

	f, err := os.Open(l)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rst unix.Stat_t
	unix.Fstat(int(f.Fd()), &rst)
	j := &walkJob{root: int(f.Fd()), dev: rst.Dev, ns: trustedNS, topN: 10}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	done := make(chan struct{})
	go func() {
		newWalker(context.Background(), 8, nil, "").run([]*walkJob{j})
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("walk did not finish in 2 minutes: something blocked")
	}
	runtime.ReadMemStats(&after)
	u := j.usage

	wantEntries := u.Dirs + u.Files + u.Symlinks + u.Specials
	if u.Symlinks != 4 || u.Specials != specials || u.Dirs != int64(1+1+depth+1) || u.Files != int64(wide+1+len(hostile)+1+links) {
		t.Errorf("counted dirs %d files %d symlinks %d specials %d; want %d, %d, 4, %d",
			u.Dirs, u.Files, u.Symlinks, u.Specials, 1+1+depth+1, wide+1+len(hostile)+1+links, specials)
	}
	if u.Incomplete || len(u.Errors) > 0 {
		t.Errorf("incomplete: %v", u.Errors)
	}
	if want := duBytes(t, l)[0]; u.Disk != want {
		t.Errorf("disk = %d; du -s (fts, fd-relative) says %d", u.Disk, want)
	}
	if n := j.links.len(); n != 1 {
		t.Errorf("link map holds %d inodes; want 1: only nlink > 1 inodes go in", n)
	}
	if u.HardLinks != links {
		t.Errorf("hard links = %d; want %d", u.HardLinks, links)
	}
	// No allocation per file: 100k+ entries cost far less than 100 bytes
	// each (the names stay in the getdents buffer).
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
		t.Errorf("walk allocated %d MB for %d entries; want < 16 MB", grew>>20, wantEntries)
	}
	top := j.top.list()
	var gotDeep, gotBad bool
	names := map[string]bool{}
	for _, f := range top {
		names[f.Path] = true
		if f.Path == deepFile {
			gotDeep = true
		}
		if f.Path == "/bad\xff\xfename" && string(f.PathRaw) == f.Path {
			gotBad = true
		}
	}
	if !gotDeep {
		t.Errorf("the file below PATH_MAX (%d bytes of path) is missing from the top files", len(deepFile))
	}
	for _, n := range hostile {
		if !names["/"+n] {
			t.Errorf("top files lack %q: %v", n, names)
		}
	}
	if !gotBad {
		t.Error("the invalid UTF-8 name has no exact pathRaw")
	}
}

// makeWide makes n empty files in dir with mknodat: no fd per file.
func makeWide(t *testing.T, dir string, n int) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	for i := 0; i < n; i++ {
		if err := unix.Mknodat(fd, "f"+strconv.Itoa(i), unix.S_IFREG|0o644, 0); err != nil {
			t.Fatal(err)
		}
	}
}

// makeDeep nests depth dirs of 10-char names with mkdirat/openat relative
// to the previous one (paths past PATH_MAX cannot be named whole), puts a
// 12 KB file at the bottom, and returns its path from the layer root.
func makeDeep(t *testing.T, dir string, depth int) string {
	t.Helper()
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for i := 0; i < depth; i++ {
		name := fmt.Sprintf("d%09d", i)
		if err := unix.Mkdirat(fd, name, 0o755); err != nil {
			t.Fatal(err)
		}
		next, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY, 0)
		unix.Close(fd)
		if err != nil {
			t.Fatal(err)
		}
		fd = next
		b.WriteString("/" + name)
	}
	defer unix.Close(fd)
	ffd, err := unix.Openat(fd, "deepfile", unix.O_WRONLY|unix.O_CREAT, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	unix.Write(ffd, make([]byte, 12000))
	unix.Close(ffd)
	b.WriteString("/deepfile")
	if b.Len() <= unix.PathMax {
		t.Fatalf("deep path is only %d bytes", b.Len())
	}
	// The test's cleanup (os.RemoveAll) copes with deep trees itself.
	return b.String()
}

// setXattr sets an xattr, skipping the test where the filesystem refuses
// user xattrs.
func setXattr(t *testing.T, p, name, value string) {
	t.Helper()
	if err := unix.Lsetxattr(p, name, []byte(value), 0); err != nil {
		if errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EOPNOTSUPP) {
			hostfstest.Gate(t, "fixture: the filesystem of the test dir refuses "+name+": "+err.Error())
		}
		t.Fatalf("setxattr %s %s: %v", p, name, err)
	}
}

// sizeSum is disk and apparent bytes of paths (whole trees), as lstat
// reports them, each inode once.
func sizeSum(t *testing.T, paths ...string) Sizes {
	t.Helper()
	var s Sizes
	seen := map[uint64]bool{}
	for _, p := range paths {
		filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
			if err != nil {
				t.Fatal(err)
			}
			var st unix.Stat_t
			if err := unix.Lstat(q, &st); err != nil {
				t.Fatal(err)
			}
			if seen[st.Ino] {
				return nil
			}
			seen[st.Ino] = true
			s.Disk += st.Blocks * 512
			if !d.IsDir() {
				s.Apparent += st.Size
			}
			return nil
		})
	}
	return s
}

// buildHiding makes a lower and an upper layer where the upper overwrites
// b, deletes a (a whiteout) and d (a directory), and makes o opaque. With
// ns userNS it marks whiteouts and opaque dirs the way a userxattr mount
// does (xattr whiteouts, kernel 6.7+); with trustedNS as the kernel does by
// default (0/0 character devices, trusted.overlay.opaque).
func buildHiding(t *testing.T, dir, ns string) (lower, upper string) {
	lower, upper = filepath.Join(dir, "lower"), filepath.Join(dir, "upper")
	writeFile(t, filepath.Join(lower, "a"), 8000)
	writeFile(t, filepath.Join(lower, "b"), 5000)
	writeFile(t, filepath.Join(lower, "keep"), 100)
	writeFile(t, filepath.Join(lower, "d/x"), 3000)
	writeFile(t, filepath.Join(lower, "d/y"), 7000)
	writeFile(t, filepath.Join(lower, "o/p"), 6000)
	writeFile(t, filepath.Join(lower, "o/sub/q"), 100)
	writeFile(t, filepath.Join(upper, "b"), 100)
	writeFile(t, filepath.Join(upper, "o/new"), 10)
	whiteout := func(name string) {
		p := filepath.Join(upper, name)
		if ns == userNS {
			writeFile(t, p, 0)
			setXattr(t, p, ns+"whiteout", "")
			return
		}
		if err := unix.Mknod(p, unix.S_IFCHR|0o600, 0); err != nil {
			t.Fatal(err)
		}
	}
	if ns == userNS {
		setXattr(t, upper, ns+"opaque", "x") // holds xattr whiteouts
	}
	whiteout("a")
	whiteout("d")
	setXattr(t, filepath.Join(upper, "o"), ns+"opaque", "y")
	return lower, upper
}

func TestHiddenUserXattr(t *testing.T) {
	root, dir := layerRoot(t)
	lower, _ := buildHiding(t, dir, userNS)
	// a, b, d's tree and o's lower tree (its own inode included).
	want := sizeSum(t, filepath.Join(lower, "a"), filepath.Join(lower, "b"), filepath.Join(lower, "d"), filepath.Join(lower, "o"))
	st := walk(t, root, userNS, "/layers/upper", "/layers/lower")
	if got := st.Layers[1].Hidden; got != want {
		t.Errorf("hidden = %+v; want %+v (a, b, d and o's lower tree)", got, want)
	}
	if u := st.Layers[0].Usage; u.Whiteouts != 2 || u.OpaqueDirs != 1 {
		t.Errorf("upper: whiteouts %d opaque %d; want 2 and 1", u.Whiteouts, u.OpaqueDirs)
	}
	if st.Hidden != st.Layers[1].Hidden || st.Layers[0].Hides != st.Layers[1].Hidden {
		t.Errorf("stack hidden %+v, upper hides %+v, lower hidden %+v: must agree", st.Hidden, st.Layers[0].Hides, st.Layers[1].Hidden)
	}

	// On a trusted-xattr mount the kernel ignores user.overlay.*: o is not
	// opaque (a container can set user xattrs on its own files), and the
	// empty files a and d simply replace the lower entries.
	st = walk(t, root, trustedNS, "/layers/upper", "/layers/lower")
	wantTrusted := sizeSum(t, filepath.Join(lower, "a"), filepath.Join(lower, "b"), filepath.Join(lower, "d"))
	if got := st.Layers[1].Hidden; got != wantTrusted {
		t.Errorf("trusted mode: hidden = %+v; want %+v: user.overlay.* must be ignored", got, wantTrusted)
	}
}

// TestHiddenTrusted uses the kernel's default markers: 0/0 character
// device whiteouts and trusted.overlay.opaque, which need root.
func TestHiddenTrusted(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	hostfstest.NoFDLeak(t)
	root, dir := layerRoot(t)
	lower, _ := buildHiding(t, dir, trustedNS)
	want := sizeSum(t, filepath.Join(lower, "a"), filepath.Join(lower, "b"), filepath.Join(lower, "d"), filepath.Join(lower, "o"))
	st := walk(t, root, trustedNS, "/layers/upper", "/layers/lower")
	if got := st.Layers[1].Hidden; got != want {
		t.Errorf("hidden = %+v; want %+v", got, want)
	}
	if u := st.Layers[0].Usage; u.Whiteouts != 2 || u.OpaqueDirs != 1 {
		t.Errorf("upper: whiteouts %d opaque %d; want 2 and 1", u.Whiteouts, u.OpaqueDirs)
	}
}

// TestHiddenThreeLayers checks that each lower copy is hidden once, by the
// nearest layer above that masks it, and that a middle whiteout stops the
// merge below it.
func TestHiddenThreeLayers(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	root, dir := layerRoot(t)
	l2, l1, l0 := filepath.Join(dir, "l2"), filepath.Join(dir, "l1"), filepath.Join(dir, "l0")
	writeFile(t, filepath.Join(l2, "f"), 20000) // replaced in l1, again in l0
	writeFile(t, filepath.Join(l2, "g"), 30000) // deleted in l1, recreated in l0
	writeFile(t, filepath.Join(l1, "f"), 12000)
	writeFile(t, filepath.Join(l0, "f"), 100)
	writeFile(t, filepath.Join(l0, "g"), 100)
	if err := unix.Mknod(filepath.Join(l1, "g"), unix.S_IFCHR|0o600, 0); err != nil {
		t.Fatal(err)
	}
	st := walk(t, root, trustedNS, "/layers/l0", "/layers/l1", "/layers/l2")
	if got, want := st.Layers[1].Hidden, sizeSum(t, filepath.Join(l1, "f")); got != want {
		t.Errorf("l1 hidden %+v; want %+v (its f, by l0)", got, want)
	}
	if got, want := st.Layers[2].Hidden, sizeSum(t, filepath.Join(l2, "f"), filepath.Join(l2, "g")); got != want {
		t.Errorf("l2 hidden %+v; want %+v (f and g, by l1)", got, want)
	}
	if st.Layers[0].Hides.Disk != st.Layers[1].Hidden.Disk {
		t.Errorf("l0 hides %+v; want only l1's f: l1's whiteout already hides l2's g", st.Layers[0].Hides)
	}
}

func TestWalkCancelled(t *testing.T) {
	root, dir := layerRoot(t)
	makeWide(t, filepath.Join(dir, "l", "wide"), 1000)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	st, _, err := WalkDirs(ctx, root, []string{"/layers/l"}, "", Options{})
	if err == nil {
		t.Fatalf("no error from a cancelled walk: %+v", st)
	}
}

// TestWalkSharedRoot walks one dir as two jobs of one run: each must see
// every entry (getdents offsets live in the open file description).
func TestWalkSharedRoot(t *testing.T) {
	_, dir := layerRoot(t)
	makeWide(t, filepath.Join(dir, "l"), 500)
	f, err := os.Open(filepath.Join(dir, "l"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var st unix.Stat_t
	unix.Fstat(int(f.Fd()), &st)
	a := &walkJob{root: int(f.Fd()), dev: st.Dev, ns: trustedNS}
	b := &walkJob{root: int(f.Fd()), dev: st.Dev, ns: trustedNS}
	newWalker(context.Background(), 4, nil, "").run([]*walkJob{a, b})
	if a.usage.Files != 500 || b.usage.Files != 500 {
		t.Errorf("files: %d and %d; want 500 each", a.usage.Files, b.usage.Files)
	}
}

// TestWalkStaysOnDevice mounts a tmpfs inside a layer: it is skipped, not
// counted.
func TestWalkStaysOnDevice(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	hostfstest.NoMountLeak(t)
	root, dir := layerRoot(t)
	l := filepath.Join(dir, "l")
	writeFile(t, filepath.Join(l, "f"), 100)
	mnt := filepath.Join(l, "mnt")
	os.Mkdir(mnt, 0o755)
	if err := unix.Mount("tmpfs", mnt, "tmpfs", 0, "size=4m"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Unmount(mnt, unix.MNT_DETACH) })
	writeFile(t, filepath.Join(mnt, "inside"), 1<<20)
	st := walk(t, root, "", "/layers/l")
	u := st.Layers[0].Usage
	if u.Disk > 64<<10 || len(u.Skipped) != 1 || u.Skipped[0] != "/mnt" {
		t.Errorf("usage %+v: the tmpfs must be skipped and named", u)
	}
}

// redirectLayers has the kernel make a lower and an upper layer on a
// redirect_dir mount: /a/b renamed /c (moved across parents: an absolute
// redirect) and /x renamed /y (within its parent: a relative one), then
// /a removed, c/h overwritten and y/g deleted. It returns the host
// root, the layers' dir and the lower and upper paths.
func redirectLayers(t *testing.T) (hostfs.Root, string, string) {
	t.Helper()
	files := map[string]int{
		"a/b/f": 1 << 20,   // moved to /c: visible
		"a/b/h": 64 << 10,  // overwritten at /c/h: hidden
		"x/g":   512 << 10, // /x renamed /y, then y/g deleted: hidden
		"x/k":   8 << 10,   // visible at /y/k
	}
	root, lower, upper := overlayRedirect(t, files, "", func(in func(string) string) error {
		if err := errors.Join(os.Rename(in("a/b"), in("c")), os.Rename(in("x"), in("y")), os.Remove(in("a")),
			os.WriteFile(in("c/h"), []byte("new\n"), 0o644), os.Remove(in("y/g"))); err != nil {
			return err
		}
		if fi, err := os.Stat(in("c/f")); err != nil || fi.Size() != 1<<20 {
			return fmt.Errorf("merged c/f: %v %v; want the lower a/b/f", fi, err)
		}
		return nil
	})
	for p, want := range map[string]string{"c": "/a/b", "y": "x"} {
		buf := make([]byte, 256)
		n, err := unix.Lgetxattr(filepath.Join(upper, p), "trusted.overlay.redirect", buf)
		if err != nil || string(buf[:n]) != want {
			t.Fatalf("upper %s redirect %q (%v); want %q from the kernel", p, buf[:max(n, 0)], err, want)
		}
	}
	return root, lower, upper
}

// overlayRedirect writes files (path: size) into a lower layer, mounts it
// with an empty upper layer, redirect_dir=on and opts, runs steps in the
// merged dir (in makes a path there) and unmounts: the kernel writes the
// upper layer. It returns the host root and the lower and upper host
// paths.
func overlayRedirect(t *testing.T, files map[string]int, opts string, steps func(in func(string) string) error) (hostfs.Root, string, string) {
	t.Helper()
	hostfstest.RequirePrivileged(t)
	hostfstest.NoMountLeak(t)
	root, dir := layerRoot(t)
	lower, upper, work, merged := filepath.Join(dir, "lower"), filepath.Join(dir, "upper"), filepath.Join(dir, "work"), filepath.Join(dir, "merged")
	for p, size := range files {
		writeFile(t, filepath.Join(lower, p), size)
	}
	for _, d := range []string{upper, work, merged} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	all := "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work + ",redirect_dir=on" + opts
	if err := unix.Mount("overlay", merged, "overlay", 0, all); err != nil {
		t.Fatalf("mounting an overlay with %s: %v", all, err)
	}
	t.Cleanup(func() { unix.Unmount(merged, unix.MNT_DETACH) })
	if err := steps(func(p string) string { return filepath.Join(merged, p) }); err != nil {
		t.Fatal(err)
	}
	if err := unix.Unmount(merged, 0); err != nil {
		t.Fatal(err)
	}
	return root, lower, upper
}

// TestHiddenRedirect: on a redirect_dir mount, a renamed lower directory
// leaves a whiteout at its old path but stays visible at its new one, so
// it is not hidden; what the container then changes inside it is.
func TestHiddenRedirect(t *testing.T) {
	root, lower, _ := redirectLayers(t)
	st := walk(t, root, trustedNS, "/layers/upper", "/layers/lower")
	var dirA unix.Stat_t
	if err := unix.Lstat(filepath.Join(lower, "a"), &dirA); err != nil {
		t.Fatal(err)
	}
	// Hidden: the replaced h, the deleted g, and lower /a itself (removed
	// once empty); not a/b, its f, x or k, which the redirects show.
	want := sizeSum(t, filepath.Join(lower, "a/b/h"), filepath.Join(lower, "x/g"))
	want.Disk += dirA.Blocks * 512
	if st.Hidden != want || st.Layers[1].Hidden != want {
		t.Errorf("hidden %+v (lower %+v); want %+v", st.Hidden, st.Layers[1].Hidden, want)
	}
	if u := st.Layers[0].Usage; u.Redirects != 2 || u.Incomplete {
		t.Errorf("upper usage %+v; want 2 redirects, complete", u)
	}
}
