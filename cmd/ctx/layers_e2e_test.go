package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

// The JSON of ctx layers that these tests read.
type sizes struct {
	Disk     int64 `json:"disk"`
	Apparent int64 `json:"apparent"`
}

type lusage struct {
	sizes
	Whiteouts  int64    `json:"whiteouts"`
	OpaqueDirs int64    `json:"opaqueDirs"`
	Incomplete bool     `json:"incomplete"`
	Errors     []string `json:"errors"`
	Cached     bool     `json:"cached"`
}

type lfile struct {
	Path string `json:"path"`
	sizes
	Links uint64 `json:"links"`
}

type stackLayer struct {
	ID      string `json:"id"`
	Store   string `json:"store"`
	Dir     string `json:"dir"`
	Role    string `json:"role"`
	DiffID  string `json:"diffId"`
	ChainID string `json:"chainId"`
	// SnapshotKey is containerd's key of a snapshot without a ChainID.
	SnapshotKey string  `json:"snapshotKey"`
	Usage       *lusage `json:"usage"`
	Hides       sizes   `json:"hides"`
	Hidden      sizes   `json:"hidden"`
}

type lstack struct {
	Layers   []stackLayer `json:"layers"`
	Source   string       `json:"source"`
	Hidden   sizes        `json:"hidden"`
	Degraded bool         `json:"degraded"`
}

type containerUsage struct {
	Label     string `json:"label"`
	Container struct {
		ID  string `json:"id"`
		Pod struct {
			Name string `json:"name"`
		} `json:"pod"`
	} `json:"container"`
	Stack            lstack  `json:"stack"`
	Writable         sizes   `json:"writable"`
	Init             sizes   `json:"init"`
	ImageUnique      sizes   `json:"imageUnique"`
	ImageShared      sizes   `json:"imageShared"`
	Hidden           sizes   `json:"hidden"`
	Whiteouts        int64   `json:"whiteouts"`
	TopFiles         []lfile `json:"topFiles"`
	Logs             []lfile `json:"logs"`
	LogBytes         sizes   `json:"logBytes"`
	VolumeBytes      sizes   `json:"volumeBytes"`
	DeletedOpenBytes sizes   `json:"deletedOpenBytes"`
	DeletedOpen      []struct {
		Path string `json:"path"`
		sizes
		MountPoint string `json:"mountPoint"`
	} `json:"deletedOpen"`
	Total sizes `json:"total"`
}

type duDoc struct {
	Warnings []string `json:"warnings"`
	Item     struct {
		Containers []containerUsage `json:"containers"`
		Areas      []struct {
			Root  string `json:"root"`
			Name  string `json:"name"`
			Sizes sizes  `json:"sizes"`
		} `json:"areas"`
		Images []struct {
			Image struct {
				ID    string   `json:"id"`
				Names []string `json:"names"`
				Store string   `json:"store"`
			} `json:"image"`
			Size       sizes `json:"size"`
			Containers int   `json:"containers"`
		} `json:"images"`
		Roots []duRoot `json:"roots"`
		Total sizes    `json:"total"`
	} `json:"item"`
}

type duRoot struct {
	Dir   string `json:"dir"`
	Total sizes  `json:"total"`
}

// layersJSON runs ctx with args and -o json, and decodes stdout into v.
func layersJSON(t *testing.T, v any, args ...string) string {
	t.Helper()
	out, errOut, code := ctxRun(t, nil, append(args, "-o", "json")...)
	if code != 0 {
		t.Fatalf("ctx %v: exit %d: %s", args, code, errOut)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("ctx %v -o json: %v\n%s", args, err, out)
	}
	return errOut
}

// duDisk is `du -s --block-size=1 dir`.
func duDisk(t *testing.T, dir string) int64 {
	t.Helper()
	out, err := exec.Command("du", "-s", "--block-size=1", dir).Output()
	if err != nil {
		t.Fatalf("du %s: %v", dir, err)
	}
	n, _ := strconv.ParseInt(strings.Fields(string(out))[0], 10, 64)
	return n
}

// pathSizes sums disk and apparent bytes of paths (whole trees) with
// lstat, each inode once, directories on disk only.
func pathSizes(t *testing.T, paths ...string) sizes {
	t.Helper()
	var s sizes
	seen := map[uint64]bool{}
	for _, p := range paths {
		err := filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			var st unix.Stat_t
			if err := unix.Lstat(q, &st); err != nil {
				return err
			}
			if !seen[st.Ino] {
				seen[st.Ino] = true
				s.Disk += st.Blocks * 512
				if !d.IsDir() {
					s.Apparent += st.Size
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("sizing %s: %v", p, err)
		}
	}
	return s
}

// layersImage builds, offline and FROM the busybox test image, an image
// whose RUN steps add, overwrite, delete and rename files, make a
// hard-link pair and a 50 MB sparse file holding 1 MB, and create 20k
// small files. t.Cleanup removes it.
func layersImage(t *testing.T) string {
	t.Helper()
	base := hostfstest.TestImage(t)
	tag := fmt.Sprintf("ctx-test/layers:%d", os.Getpid())
	dir := t.TempDir()
	df := "FROM " + base + "\n" +
		// Layer 1: the files later layers overwrite, delete and rename.
		"RUN mkdir -p /data/sub /data/olddir && dd if=/dev/urandom of=/data/over bs=1k count=300 2>/dev/null && " +
		"dd if=/dev/urandom of=/data/del bs=1k count=200 2>/dev/null && echo keep > /data/keep && " +
		"dd if=/dev/urandom of=/data/ren bs=1k count=20 2>/dev/null && dd if=/dev/urandom of=/data/olddir/f bs=1k count=64 2>/dev/null && " +
		"echo deep > /data/sub/file\n" +
		// Layer 2: overwrite, delete, rename, delete a dir, a hard-link pair,
		// a sparse file (densified when docker commits the layer).
		"RUN dd if=/dev/urandom of=/data/over bs=1k count=100 2>/dev/null && rm /data/del && mv /data/ren /data/ren2 && " +
		"rm -rf /data/olddir && echo added > /data/added && dd if=/dev/urandom of=/data/hl1 bs=1k count=40 2>/dev/null && " +
		"ln /data/hl1 /data/hl2 && dd if=/dev/urandom of=/data/sparse bs=1M count=1 2>/dev/null && truncate -s 50M /data/sparse\n" +
		// Layer 3: 20k small files in one busybox loop.
		"RUN mkdir /many && cd /many && i=0; while [ $i -lt 20 ]; do mkdir d$i; j=0; " +
		"while [ $j -lt 1000 ]; do echo $j > d$i/f$j; j=$((j+1)); done; i=$((i+1)); done\n" +
		"CMD [\"sleep\", \"3600\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", "build", "-q", "-t", tag, dir)
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
	t.Cleanup(func() { dockerTry("rmi", "-f", tag) })
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	return tag
}

// runReady starts a container running script, which must touch /ready
// when it has written what the test reads, and waits for that.
func runReady(t *testing.T, name, image, script string) string {
	t.Helper()
	id := hostfstest.DockerRun(t, "--name", name, "--network", "none", image, "sh", "-c", script+"; touch /ready; exec sleep 3600")
	for i := 0; i < 300; i++ {
		if _, err := dockerTry("exec", id, "test", "-f", "/ready"); err == nil {
			return id
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("container %s did not get ready", name)
	return ""
}

func TestLayersDockerE2E(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	hostfstest.RequireDocker(t)
	hostfstest.RequireTool(t, "e2e", "du")
	image := layersImage(t)
	pfx := fmt.Sprintf("ctxlayers-%d-", os.Getpid())
	// a writes to its own layer (appends to a lower file, deletes one,
	// adds files and a hard link, replaces a lower dir with an opaque one,
	// changes a mode) and to its log.
	a := runReady(t, pfx+"a", image, "echo log-line-1; echo log-line-2 >&2; echo appended >> /data/keep; rm /data/over; "+
		"dd if=/dev/urandom of=/data/new bs=1k count=256 2>/dev/null; ln /data/new /data/newlink; mkdir -p /w/x && echo y > /w/x/y; "+
		// an opaque dir (a lower dir removed and made again) and a chmod
		"rm -rf /data/sub && mkdir /data/sub && echo n > /data/sub/n; chmod 600 /data/added")
	// b writes a 50 MB sparse file holding 1 MB, and holds a deleted 7 MB
	// file open.
	b := runReady(t, pfx+"b", image, "dd if=/dev/urandom of=/big bs=1M count=1 2>/dev/null && truncate -s 50M /big; "+
		"dd if=/dev/urandom of=/held bs=1M count=7 2>/dev/null; exec 3</held; rm /held; echo held")

	var doc duDoc
	layersJSON(t, &doc, "layers", "du", a, b, "--top", "5")
	if len(doc.Item.Containers) != 2 {
		t.Fatalf("containers: %+v", doc.Item.Containers)
	}
	ca, cb := doc.Item.Containers[0], doc.Item.Containers[1]
	if ca.Container.ID != a || cb.Container.ID != b {
		t.Fatalf("containers %s, %s; want %s, %s", ca.Container.ID, cb.Container.ID, a, b)
	}

	t.Run("per-layer disk equals du", func(t *testing.T) {
		for _, c := range []containerUsage{ca, cb} {
			if n := len(c.Stack.Layers); n != 6 {
				t.Fatalf("%s: %d layers; want upper, init and 4 image layers", c.Label, n)
			}
			for _, l := range c.Stack.Layers {
				if l.Usage == nil || l.Usage.Incomplete {
					t.Errorf("%s %s: usage %+v", c.Label, l.Role, l.Usage)
					continue
				}
				if want := duDisk(t, l.Dir); l.Usage.Disk != want {
					t.Errorf("%s %s %s: disk %d; du -s says %d", c.Label, l.Role, l.ID[:12], l.Usage.Disk, want)
				}
			}
		}
	})

	t.Run("--cache: image layers from the cache still equal du", func(t *testing.T) {
		t.Setenv("CTX_CACHE_DIR", t.TempDir())
		var first, second duDoc
		layersJSON(t, &first, "layers", "du", a, b, "--cache")
		layersJSON(t, &second, "layers", "du", a, b, "--cache")
		for i, c := range second.Item.Containers {
			if n := len(c.Stack.Layers); n != 6 {
				t.Fatalf("%s: %d layers", c.Label, n)
			}
			for j, l := range c.Stack.Layers {
				if l.Usage == nil || first.Item.Containers[i].Stack.Layers[j].Usage.Cached {
					t.Fatalf("%s %s: usage %+v, or cached on the first run", c.Label, l.Role, l.Usage)
				}
				if l.Usage.Cached != (l.Role == "image") {
					t.Errorf("%s %s: cached %v; want only image layers from the cache", c.Label, l.Role, l.Usage.Cached)
				}
				if want := duDisk(t, l.Dir); l.Usage.Disk != want {
					t.Errorf("%s %s %s (cached %v): disk %d; du -s says %d", c.Label, l.Role, l.ID[:12], l.Usage.Cached, l.Usage.Disk, want)
				}
			}
			if want := []containerUsage{ca, cb}[i]; c.Hidden != want.Hidden || c.ImageUnique != want.ImageUnique || c.ImageShared != want.ImageShared {
				t.Errorf("%s: hidden %+v unique %+v shared %+v; without the cache %+v %+v %+v", c.Label,
					c.Hidden, c.ImageUnique, c.ImageShared, want.Hidden, want.ImageUnique, want.ImageShared)
			}
		}
	})

	t.Run("writable apparent and docker SizeRw", func(t *testing.T) {
		for _, c := range []containerUsage{ca, cb} {
			out, err := dockerTry("inspect", "-s", "-f", "{{.SizeRw}}", c.Container.ID)
			if err != nil {
				t.Fatal(err)
			}
			sizeRw, _ := strconv.ParseInt(out, 10, 64)
			upper := c.Stack.Layers[0]
			if upper.Usage.Apparent != sizeRw {
				t.Errorf("%s: writable apparent %d; docker SizeRw %d", c.Label, upper.Usage.Apparent, sizeRw)
			}
		}
		// docker counts the sparse file's 50 MB; on disk the layer holds
		// about 1 MB, and ctx says why: the file is sparse.
		if cb.Writable.Apparent < 50<<20 || cb.Writable.Disk > 3<<20 {
			t.Errorf("b: writable %+v; want 50 MB apparent, about 1 MB on disk", cb.Writable)
		}
		if len(cb.TopFiles) == 0 || cb.TopFiles[0].Path != "/big" || cb.TopFiles[0].Apparent != 50<<20 || cb.TopFiles[0].Disk > 2<<20 {
			t.Errorf("b: top files %+v; want /big first, 50 MB apparent, about 1 MB on disk", cb.TopFiles)
		}
	})

	t.Run("hidden bytes", func(t *testing.T) {
		// a's stack: upper, init, many, L2, L1, base.
		l2, l1 := ca.Stack.Layers[3].Dir, ca.Stack.Layers[4].Dir
		wantL1 := pathSizes(t, filepath.Join(l1, "data/over"), filepath.Join(l1, "data/del"), filepath.Join(l1, "data/ren"),
			filepath.Join(l1, "data/olddir"), filepath.Join(l1, "data/keep"), filepath.Join(l1, "data/sub"))
		wantL2 := pathSizes(t, filepath.Join(l2, "data/over"), filepath.Join(l2, "data/added"))
		if got := ca.Stack.Layers[4].Hidden; got != wantL1 {
			t.Errorf("L1 hidden %+v; want %+v (over, del, ren, olddir by L2; keep and the sub tree by a)", got, wantL1)
		}
		if got := ca.Stack.Layers[3].Hidden; got != wantL2 {
			t.Errorf("L2 hidden %+v; want %+v (over deleted and added copied up by a)", got, wantL2)
		}
		var sum sizes
		sum.Disk, sum.Apparent = wantL1.Disk+wantL2.Disk, wantL1.Apparent+wantL2.Apparent
		if ca.Hidden != sum {
			t.Errorf("a hidden %+v; want %+v", ca.Hidden, sum)
		}
		if ca.Whiteouts != 1 || ca.Stack.Layers[3].Usage.Whiteouts != 3 || ca.Stack.Layers[0].Usage.OpaqueDirs != 1 {
			t.Errorf("whiteouts: a %d, L2 %d, a's opaque dirs %d; want 1, 3 and 1", ca.Whiteouts,
				ca.Stack.Layers[3].Usage.Whiteouts, ca.Stack.Layers[0].Usage.OpaqueDirs)
		}
	})

	t.Run("logs, deleted-open, totals", func(t *testing.T) {
		if len(ca.Logs) == 0 || ca.LogBytes.Apparent == 0 {
			t.Errorf("a: logs %+v", ca.Logs)
		}
		for _, l := range ca.Logs {
			var st unix.Stat_t
			if err := unix.Lstat(l.Path, &st); err != nil || st.Size != l.Apparent {
				t.Errorf("log %s: ctx %d bytes, stat %d (%v)", l.Path, l.Apparent, st.Size, err)
			}
		}
		if len(cb.DeletedOpen) != 1 || cb.DeletedOpen[0].Path != "/held" || cb.DeletedOpen[0].Apparent != 7<<20 || cb.DeletedOpen[0].MountPoint != "/" {
			t.Errorf("b: deleted-open %+v; want /held, 7 MB, on the rootfs", cb.DeletedOpen)
		}
		for _, c := range []containerUsage{ca, cb} {
			var sum int64
			for _, x := range []sizes{c.Writable, c.Init, c.ImageUnique, c.ImageShared, c.LogBytes, c.VolumeBytes, c.DeletedOpenBytes} {
				sum += x.Disk
			}
			if c.Total.Disk != sum {
				t.Errorf("%s: total %d; parts add up to %d", c.Label, c.Total.Disk, sum)
			}
		}
	})

	t.Run("diff equals docker diff", func(t *testing.T) {
		out, err := dockerTry("diff", a)
		if err != nil {
			t.Fatal(err)
		}
		want := strings.Split(strings.TrimSpace(out), "\n")
		var d struct {
			Item struct {
				Changes []struct {
					Kind string `json:"kind"`
					Path string `json:"path"`
					sizes
				} `json:"changes"`
			} `json:"item"`
		}
		layersJSON(t, &d, "layers", "diff", a)
		var got []string
		for _, c := range d.Item.Changes {
			got = append(got, c.Kind+" "+c.Path)
		}
		sort.Strings(want)
		sort.Strings(got)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("ctx layers diff:\n%s\ndocker diff:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})

	t.Run("which for an overwritten file", func(t *testing.T) {
		var w struct {
			Item struct {
				Provider int `json:"provider"`
				Copies   []struct {
					Layer    int    `json:"layer"`
					State    string `json:"state"`
					HiddenBy int    `json:"hiddenBy"`
					sizes
				} `json:"copies"`
				Hidden sizes `json:"hidden"`
			} `json:"item"`
		}
		// /data/over: written in L1, overwritten in L2 (image layers 1 and
		// 2 below the top of the image stack).
		layersJSON(t, &w, "layers", "which", image, "/data/over")
		img := w.Item
		if img.Provider != 1 || len(img.Copies) != 2 || img.Copies[1].Layer != 2 || img.Copies[1].State != "hidden" ||
			img.Copies[1].HiddenBy != 1 || img.Copies[0].Apparent != 100<<10 || img.Copies[1].Apparent != 300<<10 {
			t.Errorf("which %s /data/over = %+v", image, img)
		}
		// /data/keep: appended to by a, so a's upper provides it.
		layersJSON(t, &w, "layers", "which", a, "/data/keep")
		if w.Item.Provider != 0 || len(w.Item.Copies) != 2 || w.Item.Copies[1].Layer != 4 || w.Item.Copies[1].HiddenBy != 0 {
			t.Errorf("which a /data/keep = %+v", w.Item)
		}
	})

	t.Run("ls names the image layers", func(t *testing.T) {
		var ls struct {
			Item struct {
				Stack lstack `json:"stack"`
			} `json:"item"`
		}
		layersJSON(t, &ls, "layers", "ls", a)
		out, err := dockerTry("image", "inspect", "-f", "{{range .RootFS.Layers}}{{.}} {{end}}", image)
		if err != nil {
			t.Fatal(err)
		}
		diffs := strings.Fields(out)
		layers := ls.Item.Stack.Layers
		if len(layers) != 2+len(diffs) || layers[0].Role != "upper" || layers[1].Role != "init" {
			t.Fatalf("stack %+v", layers)
		}
		for i, d := range diffs {
			if l := layers[len(layers)-1-i]; l.DiffID != d || l.Role != "image" || l.ChainID == "" {
				t.Errorf("layer %d from the bottom: %+v; want diff ID %s", i, l, d)
			}
		}
	})

	t.Run("du --all adds up to du -sx", func(t *testing.T) {
		before := duSX(t, "/var/lib/docker")
		var all duDoc
		layersJSON(t, &all, "layers", "du", "--all")
		after := duSX(t, "/var/lib/docker")
		var got int64 = -1
		for _, r := range all.Item.Roots {
			if r.Dir == "/var/lib/docker" {
				got = r.Total.Disk
			}
		}
		// Other tests may change the dir meanwhile: ctx's total must lie
		// within what du saw before and after.
		lo, hi := min(before, after), max(before, after)
		if slack := hi / 200; got < lo-slack || got > hi+slack {
			t.Errorf("ctx total %d; du -sx said %d before and %d after", got, before, after)
		}
		// The grand total is the outermost storage dirs' (a nested one,
		// dockerd's own containerd, inside its parent's), plus deleted
		// files still open.
		var want int64
		for _, r := range all.Item.Roots {
			nested := slices.ContainsFunc(all.Item.Roots, func(o duRoot) bool { return strings.HasPrefix(r.Dir, o.Dir+"/") })
			if !nested {
				want += r.Total.Disk
			}
		}
		var logs bool
		for _, ar := range all.Item.Areas {
			logs = logs || ar.Name == "container logs" && ar.Sizes.Apparent > 0
			if ar.Root == "-" {
				want += ar.Sizes.Disk
			}
		}
		if all.Item.Total.Disk != want {
			t.Errorf("grand total %d; the outermost storage dirs and open files hold %d (roots %+v)", all.Item.Total.Disk, want, all.Item.Roots)
		}
		if !logs {
			t.Errorf("no container logs area: %+v", all.Item.Areas)
		}
		// The test image's containers (a and b at least), as docker
		// system df -v counts them.
		id, err := dockerTry("image", "inspect", "-f", "{{.Id}}", image)
		if err != nil {
			t.Fatal(err)
		}
		dfOut, err := dockerTry("system", "df", "-v", "--format", "{{json .Images}}")
		if err != nil {
			t.Fatal(err)
		}
		var df []struct{ ID, Containers string }
		if err := json.Unmarshal([]byte(dfOut), &df); err != nil {
			t.Fatal(err)
		}
		dfCount := "?"
		for _, im := range df {
			if im.ID == strings.TrimSpace(id) {
				dfCount = im.Containers
			}
		}
		for _, im := range all.Item.Images {
			if im.Image.ID == strings.TrimSpace(id) && im.Image.Store == "docker" {
				if got := strconv.Itoa(im.Containers); got != dfCount || im.Containers < 2 {
					t.Errorf("image %s: %s containers; docker system df -v says %s (a and b use it)", image, got, dfCount)
				}
				dfCount = "found"
			}
		}
		if dfCount != "found" {
			t.Errorf("du --all lists no docker image %s", id)
		}
	})

	t.Run("--max-hidden and --max-writable gate", func(t *testing.T) {
		for _, tt := range []struct {
			args []string
			code int
			name string
		}{
			{[]string{image, "--max-hidden", "1k"}, 3, image}, // its RUN steps overwrite and delete files
			{[]string{image, "--max-hidden", "1g"}, 0, ""},
			{[]string{a, "--max-writable", "64k"}, 3, ca.Label}, // 256 KiB of random data and more
			{[]string{a, "--max-writable", "1g"}, 0, ""},
		} {
			out, errOut, code := ctxRun(t, nil, append([]string{"layers", "du"}, tt.args...)...)
			if code != tt.code || !strings.Contains(errOut, tt.name) || out == "" {
				t.Errorf("du %v: exit %d, stderr %q, %d bytes out; want exit %d naming %q", tt.args, code, errOut, len(out), tt.code, tt.name)
			}
		}
	})

	t.Run("table escapes and exits 0", func(t *testing.T) {
		out, errOut, code := ctxRun(t, nil, "layers", "du", a)
		if code != 0 || !strings.Contains(out, pfx+"a") || strings.Contains(errOut, "DEGRADED") {
			t.Errorf("exit %d\n%s\n%s", code, out, errOut)
		}
	})
}

func duSX(t *testing.T, dir string) int64 {
	t.Helper()
	out, err := exec.Command("du", "-sx", "--block-size=1", dir).Output()
	if err != nil {
		t.Fatalf("du -sx %s: %v", dir, err)
	}
	n, _ := strconv.ParseInt(strings.Fields(string(out))[0], 10, 64)
	return n
}

// ctrImport imports the test image into a namespace of its own of
// dockerd's containerd with ctr, and returns ctr in that namespace, the
// namespace and the image's refs. At cleanup the images go, their content
// and the namespace with what containerd leaves of it: remove the test's
// containers in cleanups registered after this call (they run first).
func ctrImport(t *testing.T) (func(args ...string) (string, error), string, []string) {
	t.Helper()
	hostfstest.RequirePrivileged(t)
	hostfstest.RequireDocker(t)
	hostfstest.RequireTool(t, "e2e", "ctr")
	const sock = "/run/docker/containerd/containerd.sock"
	if _, err := os.Stat(sock); err != nil {
		hostfstest.Gate(t, "e2e: no containerd socket at "+sock+": "+err.Error())
	}
	image := hostfstest.TestImage(t)
	ns := fmt.Sprintf("ctx-test-%d", os.Getpid())
	hostfstest.RemoveContainerdNamespaceAtCleanup(t, ns)
	ctr := func(args ...string) (string, error) {
		cmd := exec.Command("ctr", append([]string{"--address", sock, "-n", ns}, args...)...)
		out, err := cmd.CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	t.Cleanup(func() {
		out, _ := ctr("images", "ls", "-q")
		for _, ref := range strings.Fields(out) {
			ctr("images", "rm", ref)
		}
		ctr("content", "prune", "references")
		exec.Command("ctr", "--address", sock, "namespaces", "rm", ns).Run()
	})
	save := exec.Command("docker", "save", image)
	imp := exec.Command("ctr", "--address", sock, "-n", ns, "images", "import", "--all-platforms", "-")
	pipe, err := save.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	imp.Stdin = pipe
	var impOut bytes.Buffer
	imp.Stdout, imp.Stderr = &impOut, &impOut
	if err := save.Start(); err != nil {
		t.Fatal(err)
	}
	if err := imp.Run(); err != nil {
		t.Fatalf("ctr images import: %v\n%s", err, impOut.String())
	}
	save.Wait()
	refs, _ := ctr("images", "ls", "-q")
	ref := strings.Fields(refs)
	if len(ref) == 0 {
		t.Fatalf("no image after import: %s", impOut.String())
	}
	return ctr, ns, ref
}

// ctrRemove kills container id's task, if any, and removes the container
// with its snapshot.
func ctrRemove(ctr func(args ...string) (string, error), id string) {
	ctr("task", "kill", "-s", "KILL", id)
	for i := 0; i < 50; i++ {
		if out, err := ctr("task", "rm", "-f", id); err == nil || strings.Contains(out, "not found") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	ctr("container", "rm", id)
}

// TestLayersContainerdE2E imports the test image into dockerd's containerd
// with ctr, runs a container with ctr run, and finds its stack and sizes
// from the task's root mount.
func TestLayersContainerdE2E(t *testing.T) {
	ctr, ns, ref := ctrImport(t)
	id := fmt.Sprintf("ctxlayers-%d", os.Getpid())
	t.Cleanup(func() { ctrRemove(ctr, id) })
	if out, err := ctr("run", "-d", ref[0], id, "sh", "-c",
		"dd if=/dev/urandom of=/written bs=1k count=512 2>/dev/null; touch /ready; exec sleep 3600"); err != nil {
		t.Fatalf("ctr run: %v\n%s", err, out)
	}
	ready := false
	for i := 0; i < 100 && !ready; i++ {
		_, err := ctr("task", "exec", "--exec-id", fmt.Sprintf("probe%d", i), id, "test", "-f", "/ready")
		ready = err == nil
		if !ready {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if !ready {
		t.Fatal("ctr container did not get ready")
	}
	var ls struct {
		Item struct {
			Target struct {
				Container struct {
					Runtime string `json:"runtime"`
					ID      string `json:"id"`
				} `json:"container"`
			} `json:"target"`
			Stack lstack `json:"stack"`
		} `json:"item"`
	}
	layersJSON(t, &ls, "layers", "ls", id)
	st := ls.Item.Stack
	if ls.Item.Target.Container.ID != id || ls.Item.Target.Container.Runtime != "containerd" || !strings.HasPrefix(st.Source, "mountinfo of PID") {
		t.Errorf("target %+v, source %q", ls.Item.Target, st.Source)
	}
	if len(st.Layers) < 2 || st.Layers[0].Role != "upper" {
		t.Fatalf("stack %+v", st.Layers)
	}
	for _, l := range st.Layers {
		if l.Store != "containerd" || !strings.HasSuffix(l.Dir, "/snapshots/"+l.ID+"/fs") {
			t.Errorf("layer %+v: want a containerd snapshot", l)
		}
		if l.Usage == nil || l.Usage.Disk != duDisk(t, l.Dir) {
			t.Errorf("layer %s: usage %+v; du -s says %d", l.ID, l.Usage, duDisk(t, l.Dir))
		}
	}
	if up := st.Layers[0].Usage; up.Apparent < 512<<10 {
		t.Errorf("upper %+v; want the 512 KiB the container wrote", up)
	}
	t.Run("chain IDs match ctr snapshots", func(t *testing.T) {
		assertSnapshotChain(t, ctr, id, st.Layers)
		// ctr run keys the container's snapshot by the container ID.
		if k := st.Layers[0].SnapshotKey; k != ns+"/"+id {
			t.Errorf("upper snapshot key %q; want %q", k, ns+"/"+id)
		}
	})
	t.Run("orphans from a copy of metadata.db", func(t *testing.T) {
		assertContainerdOrphan(t, st.Layers)
	})
	t.Run("the imported image, from containerd's meta.db", func(t *testing.T) {
		// The image's stack is the container's below its writable layer.
		var ls struct {
			Item struct {
				Target struct {
					Image struct {
						ID        string   `json:"id"`
						Names     []string `json:"names"`
						Namespace string   `json:"namespace"`
						Store     string   `json:"store"`
					} `json:"image"`
				} `json:"target"`
				Stack lstack `json:"stack"`
			} `json:"item"`
		}
		layersJSON(t, &ls, "layers", "ls", ref[0])
		im, got := ls.Item.Target.Image, ls.Item.Stack.Layers
		if im.Store != "containerd" || im.Namespace != ns || !slices.Contains(im.Names, ref[0]) || !strings.HasPrefix(im.ID, "sha256:") {
			t.Errorf("image %+v; want %s in namespace %s", im, ref[0], ns)
		}
		if len(got) != len(st.Layers)-1 {
			t.Fatalf("image stack %+v; want the container's %d image layers", got, len(st.Layers)-1)
		}
		for i, l := range got {
			if c := st.Layers[i+1]; l.Role != "image" || l.ID != c.ID || l.ChainID != c.ChainID || l.Usage == nil || l.Usage.Disk != duDisk(t, l.Dir) {
				t.Errorf("image layer %d: %+v; want snapshot %s (%s) sized as du -s", i, l, c.ID, c.ChainID)
			}
		}
		// du --all lists it among the images, by its ref.
		var du duDoc
		layersJSON(t, &du, "layers", "du", "--all")
		found := false
		for _, iu := range du.Item.Images {
			if slices.Contains(iu.Image.Names, ref[0]) {
				found = iu.Size.Disk > 0
			}
		}
		if !found {
			t.Errorf("du --all: no sized image %s among %+v", ref[0], du.Item.Images)
		}
	})
	t.Run("a containerd container with no task, from meta.db", func(t *testing.T) {
		idle := fmt.Sprintf("ctxlayers-idle-%d", os.Getpid())
		if out, err := ctr("containers", "create", "--label", "io.kubernetes.container.name=web",
			"--label", "io.kubernetes.pod.name=pod-1", "--label", "io.kubernetes.pod.namespace=ns-1", ref[0], idle); err != nil {
			t.Fatalf("ctr containers create: %v\n%s", err, out)
		}
		t.Cleanup(func() {
			if out, err := ctr("containers", "rm", idle); err != nil {
				t.Errorf("ctr containers rm: %v\n%s", err, out)
			}
		})
		var du duDoc
		layersJSON(t, &du, "layers", "du", "--all")
		found := false
		for _, c := range du.Item.Containers {
			if c.Container.ID != idle {
				continue
			}
			found = true
			got := c.Stack.Layers
			if c.Label != "containerd:web" || c.Container.Pod.Name != "pod-1" || len(got) != len(st.Layers) || got[0].Role != "upper" {
				t.Fatalf("container %+v; want containerd:web of pod-1, an upper over the image's %d layers", c, len(st.Layers)-1)
			}
			for i := 1; i < len(got); i++ {
				if got[i].ChainID != st.Layers[i].ChainID {
					t.Errorf("layer %d: %+v; want chain %s", i, got[i], st.Layers[i].ChainID)
				}
			}
			if up := got[0]; up.Usage == nil || up.Usage.Disk != duDisk(t, up.Dir) {
				t.Errorf("upper %+v: sized unlike du -s (%d)", up, duDisk(t, up.Dir))
			}
		}
		if !found {
			t.Errorf("du --all: no container %s (warnings %q)", idle, du.Warnings)
		}
		// The image counts it among its containers (meta.db names the ref).
		for _, iu := range du.Item.Images {
			if slices.Contains(iu.Image.Names, ref[0]) && iu.Containers < 1 {
				t.Errorf("image %s: %d containers; want the idle one at least", ref[0], iu.Containers)
			}
		}
		// And by its ID as a TARGET.
		var ls struct {
			Item struct {
				Stack lstack `json:"stack"`
			} `json:"item"`
		}
		layersJSON(t, &ls, "layers", "ls", idle)
		if got := ls.Item.Stack.Layers; len(got) != len(st.Layers) || got[0].Role != "upper" || got[0].SnapshotKey != ns+"/"+idle {
			t.Errorf("ls %s: stack %+v; want its snapshot over the image's layers", idle, got)
		}
	})
	t.Run("a stopped docker container in containerd's image store", func(t *testing.T) {
		// Docker's containerd image store keys a container's snapshot by
		// its 64-hex ID, on the image's top layer.
		cid := fmt.Sprintf("%056x%08x", 0xc7, os.Getpid())
		if out, err := ctr("snapshots", "prepare", cid, st.Layers[1].ChainID); err != nil {
			t.Fatalf("ctr snapshots prepare: %v\n%s", err, out)
		}
		t.Cleanup(func() {
			if out, err := ctr("snapshots", "rm", cid); err != nil {
				t.Errorf("ctr snapshots rm: %v\n%s", err, out)
			}
		})
		assertDockerSnapshotStack(t, cid, st.Layers)
	})
	var du duDoc
	layersJSON(t, &du, "layers", "du", id)
	if len(du.Item.Containers) != 1 || du.Item.Containers[0].Writable.Apparent < 512<<10 {
		t.Errorf("du: %+v", du.Item.Containers)
	}
}

// assertSnapshotChain checks that the image layers under a container's
// upper carry, in order, the keys of its snapshot's committed parents as
// ctr snapshots info reports them: containerd's ChainIDs.
func assertSnapshotChain(t *testing.T, ctr func(...string) (string, error), key string, ls []stackLayer) {
	t.Helper()
	var want []string
	for k := key; ; {
		out, err := ctr("snapshots", "info", k)
		if err != nil {
			t.Fatalf("ctr snapshots info %s: %v\n%s", k, err, out)
		}
		var info struct{ Kind, Parent string }
		if err := json.Unmarshal([]byte(out), &info); err != nil {
			t.Fatalf("ctr snapshots info %s: %v\n%s", k, err, out)
		}
		if k != key {
			if info.Kind != "Committed" {
				t.Fatalf("parent %s is %s; want Committed", k, info.Kind)
			}
			want = append(want, k)
		}
		if info.Parent == "" {
			break
		}
		k = info.Parent
	}
	var got []string
	for _, l := range ls[1:] {
		got = append(got, l.ChainID)
	}
	if len(want) == 0 || strings.Join(got, " ") != strings.Join(want, " ") || ls[0].ChainID != "" {
		t.Errorf("chain IDs below the upper %q (upper %q); ctr snapshots info gives parents %q", got, ls[0].ChainID, want)
	}
}

// assertDockerSnapshotStack builds a host root in a temp dir holding a copy
// of the live snapshotter's metadata.db as the system containerd's, a dir
// for each of its snapshots, and a stopped Docker container cid with no
// overlay2 dir (the containerd image store): ctx layers ls must find its
// stack from the snapshot keyed by its ID, down the image's layers.
func assertDockerSnapshotStack(t *testing.T, cid string, image []stackLayer) {
	t.Helper()
	snapRoot := strings.TrimSuffix(image[0].Dir, "/snapshots/"+image[0].ID+"/fs")
	db, err := os.ReadFile(filepath.Join(snapRoot, "metadata.db"))
	if err != nil {
		t.Fatal(err)
	}
	host := t.TempDir()
	fake := filepath.Join(host, "var/lib/containerd/io.containerd.snapshotter.v1.overlayfs")
	snaps, err := os.ReadDir(filepath.Join(snapRoot, "snapshots"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range snaps {
		if err := os.MkdirAll(filepath.Join(fake, "snapshots", e.Name(), "fs"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cfg := fmt.Sprintf(`{"ID":%q,"Name":"/stopped-web","Driver":"overlayfs","State":{"Running":false,"Pid":0},"Config":{"Image":"app"}}`, cid)
	for p, data := range map[string]string{
		"var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/metadata.db": string(db),
		"var/lib/docker/containers/" + cid + "/config.v2.json":                  cfg,
		"proc/1/mountinfo": "",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(host, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(host, p), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var ls struct {
		Item struct {
			Stack lstack `json:"stack"`
		} `json:"item"`
	}
	layersJSON(t, &ls, "layers", "ls", "stopped-web", "--host-root", host)
	got := ls.Item.Stack.Layers
	if len(got) != len(image) || got[0].Role != "upper" || got[0].SnapshotKey != strings.Split(image[0].SnapshotKey, "/")[0]+"/"+cid {
		t.Fatalf("stack %+v; want the snapshot keyed %s over the image's %d layers", got, cid, len(image)-1)
	}
	for i := 1; i < len(image); i++ {
		if got[i].Role != "image" || got[i].ChainID != image[i].ChainID || got[i].ID != image[i].ID {
			t.Errorf("layer %d: %+v; want image layer %s (%s)", i, got[i], image[i].ID, image[i].ChainID)
		}
	}
}

// assertContainerdOrphan builds a host root in a temp dir (never in the
// live containerd root, whose GC may remove unknown dirs) holding a copy
// of the live snapshotter's metadata.db, a dir for each snapshot of the
// container's stack, and one old dir under an id the database lacks: ctx
// layers orphans must report that one alone.
func assertContainerdOrphan(t *testing.T, ls []stackLayer) {
	t.Helper()
	hostfstest.NoFDLeak(t)
	snapRoot := strings.TrimSuffix(ls[0].Dir, "/snapshots/"+ls[0].ID+"/fs")
	db, err := os.ReadFile(filepath.Join(snapRoot, "metadata.db"))
	if err != nil {
		t.Fatal(err)
	}
	host := t.TempDir()
	// A host with no mounts: PID 1's mountinfo is empty.
	for _, d := range []string{"proc/1", "sys"} {
		if err := os.MkdirAll(filepath.Join(host, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(host, "proc/1/mountinfo"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	fake := filepath.Join(host, "var/lib/containerd/io.containerd.snapshotter.v1.overlayfs")
	maxID := 0
	for _, l := range ls {
		n, _ := strconv.Atoi(l.ID)
		maxID = max(maxID, n)
		if err := os.MkdirAll(filepath.Join(fake, "snapshots", l.ID, "fs"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	orphan := strconv.Itoa(maxID + 100000)
	if err := os.MkdirAll(filepath.Join(fake, "snapshots", orphan, "fs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(fake, "snapshots", orphan, "fs", "junk"), make([]byte, 8192), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-3 * time.Hour)
	if err := os.Chtimes(filepath.Join(fake, "snapshots", orphan), old, old); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(fake, "metadata.db"), db, 0o600); err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Item struct {
			Orphans []struct {
				Store  string `json:"store"`
				ID     string `json:"id"`
				Recent bool   `json:"recent"`
			} `json:"orphans"`
			Checked []string `json:"checked"`
		} `json:"item"`
		Warnings []string `json:"warnings"`
	}
	layersJSON(t, &rep, "layers", "orphans", "--host-root", host)
	o := rep.Item.Orphans
	if len(o) != 1 || o[0].ID != orphan || o[0].Store != "containerd" || o[0].Recent {
		t.Errorf("orphans %+v; want snapshot %s alone, not recent (warnings %q)", o, orphan, rep.Warnings)
	}
	if len(rep.Item.Checked) != 1 {
		t.Errorf("checked %q; want the copied snapshots dir", rep.Item.Checked)
	}
}

// TestLayersUnprivileged runs ctx layers as nobody: a clear error naming
// what is missing, exit 4.
func TestLayersUnprivileged(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	if _, err := os.Stat("/var/lib/docker/overlay2"); err != nil {
		hostfstest.Gate(t, "e2e: no docker storage at /var/lib/docker/overlay2")
	}
	nobody := &syscall.Credential{Uid: 65534, Gid: 65534}
	for _, args := range [][]string{{"layers", "du", "--all"}, {"layers", "orphans"}} {
		_, errOut, code := ctxRun(t, nobody, args...)
		if code != 4 || !strings.Contains(errOut, "/var/lib/docker") || !strings.Contains(errOut, "needs root (CAP_DAC_READ_SEARCH)") ||
			strings.Contains(errOut, "panic") {
			t.Errorf("ctx %v as nobody: exit %d, stderr %q; want 4 and the missing privilege", args, code, errOut)
		}
	}
}

// TestLayersNoSysAdmin runs ctx as root without CAP_SYS_ADMIN: trusted.*
// xattrs then read back empty with no error, and ctx must say so loudly.
func TestLayersNoSysAdmin(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	hostfstest.RequireDocker(t)
	hostfstest.RequireTool(t, "e2e", "setpriv")
	id := hostfstest.DockerRun(t, "--network", "none", hostfstest.TestImage(t))
	bin := hostfstest.Binary(t)
	cmd := exec.Command("setpriv", "--bounding-set", "-sys_admin", "--inh-caps", "-sys_admin", "--", bin, "layers", "ls", id)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if err != nil {
		t.Fatalf("ctx without CAP_SYS_ADMIN: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(errOut.String(), "warning: DEGRADED") || !strings.Contains(errOut.String(), "CAP_SYS_ADMIN") ||
		!strings.Contains(out.String(), "degraded") {
		t.Errorf("stdout %q\nstderr %q; want a loud warning naming CAP_SYS_ADMIN", out.String(), errOut.String())
	}
}

// TestLayersBuildKitE2E: the dirs a real BuildKit build leaves in
// overlay2 that no layerdb record names are BuildKit's (its snapshots.db
// holds them): `ctx layers orphans` lists each as build cache, never as
// an orphan, sized as du -s sizes it, and `du --all` counts them in its
// build cache area.
func TestLayersBuildKitE2E(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	image := hostfstest.TestImage(t)
	const overlay = "/var/lib/docker/overlay2"
	before := dirSet(t, overlay)
	dir := t.TempDir()
	// The PID in the step keeps BuildKit from reusing an earlier run's cache.
	df := fmt.Sprintf("FROM %s\nRUN echo ctx-bk-%d > /f && mkdir /d && head -c 20000 /dev/urandom > /d/z\nRUN rm /f\n", image, os.Getpid())
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	if ids := hostfstest.BuildKitBuild(t, dir, fmt.Sprintf("ctx-test/buildkit:%d", os.Getpid())); len(ids) == 0 {
		t.Fatal("the build added no build cache record")
	}
	named := layerdbDirs(t)
	var own []string
	for n := range dirSet(t, overlay) {
		if !before[n] && !named[n] && n != "l" {
			own = append(own, n)
		}
	}
	if len(own) == 0 {
		t.Fatal("the build left no dir of BuildKit's own in overlay2")
	}

	var rep struct {
		Item struct {
			Orphans    []struct{ ID string } `json:"orphans"`
			BuildCache []struct {
				ID    string `json:"id"`
				Usage *sizes `json:"usage"`
			} `json:"buildCache"`
		} `json:"item"`
	}
	layersJSON(t, &rep, "layers", "orphans")
	var want int64
	for _, id := range own {
		d := duDisk(t, filepath.Join(overlay, id))
		want += d
		found := false
		for _, b := range rep.Item.BuildCache {
			if b.ID == id {
				found = true
				if b.Usage == nil || b.Usage.Disk != d {
					t.Errorf("build cache %s: usage %+v; du -s says %d", id, b.Usage, d)
				}
			}
		}
		if !found {
			t.Errorf("BuildKit's dir %s is not listed as build cache: %+v", id, rep.Item.BuildCache)
		}
		for _, o := range rep.Item.Orphans {
			if o.ID == id {
				t.Errorf("BuildKit's dir %s is listed as an orphan", id)
			}
		}
	}
	var du duDoc
	layersJSON(t, &du, "layers", "du", "--all")
	var area int64
	for _, a := range du.Item.Areas {
		if a.Root == "/var/lib/docker" && a.Name == "build cache" {
			area = a.Sizes.Disk
		}
	}
	if area < want {
		t.Errorf("du --all: build cache area %d bytes; BuildKit's new dirs alone hold %d", area, want)
	}
}

// dirSet lists the names in dir.
func dirSet(t *testing.T, dir string) map[string]bool {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, e := range entries {
		out[e.Name()] = true
	}
	return out
}

// layerdbDirs are the overlay2 dirs docker's layerdb names: each image
// layer's cache-id, each container's mount-id and init-id.
func layerdbDirs(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, pattern := range []string{"sha256/*/cache-id", "mounts/*/mount-id", "mounts/*/init-id"} {
		files, err := filepath.Glob(filepath.Join("/var/lib/docker/image/overlay2/layerdb", pattern))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out[strings.TrimSpace(string(b))] = true
		}
	}
	return out
}
