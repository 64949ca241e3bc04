//go:build linux

package layers

import (
	"context"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ctx-tools/ctx/inspect/hostfs"
	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

// Names of the synthetic docker host's layers.
var (
	fxL1  = strings.Repeat("1", 64)
	fxL2  = strings.Repeat("2", 64)
	fxC   = strings.Repeat("c", 64)
	fxCID = strings.Repeat("d", 64)
	fxIMG = strings.Repeat("e", 64)
	// A dir no layerdb names, although testdata/buildkit/snapshots.db
	// holds its name as a chainid value: an orphan, not build cache.
	fxOrphan = "6afc3a3f4cba66e9999ee6c1d0f50f9c0e6a90ebc63cfd2f92b972aa74fa4b78"
	fxBK     = "jdoefmhue5s3f8bjmlpxsx1jj" // a snapshot key of that database
	fxD1     = "sha256:" + strings.Repeat("a", 64)
	fxD2     = "sha256:" + strings.Repeat("b", 64)
)

func fxChain() []string { return chainIDs([]string{fxD1, fxD2}) }

// dockerHost builds a Docker 20.10 overlay2 data root: an image app:1 of
// two layers (the second replaces etc/conf), a stopped container app-1
// with its init layer, log files and a volume, an orphan dir, a BuildKit
// cache dir, and l/ links (one dangling). PID 4242 runs with the
// container's overlay mounted the way docker does past a page of options:
// relative l/ paths.
func dockerHost(t *testing.T) hostfs.Root {
	t.Helper()
	chain := fxChain()
	o := "var/lib/docker/overlay2/"
	db := "var/lib/docker/image/overlay2/"
	cfg := `{"ID":"` + fxCID + `","Name":"/app-1","Image":"sha256:` + fxIMG + `","State":{"Running":false,"Pid":0},
		"Config":{"Image":"app:1"},"LogPath":"/var/lib/docker/containers/` + fxCID + `/` + fxCID + `-json.log",
		"MountPoints":{"/data":{"Source":"/var/lib/docker/volumes/v1/_data","Destination":"/data","Name":"v1","Driver":"local","Type":"volume"}}}`
	tree := map[string]string{
		o + fxL1 + "/diff/bin/sh":                                          strings.Repeat("s", 9000),
		o + fxL1 + "/diff/etc/conf":                                        strings.Repeat("o", 6000),
		o + fxL1 + "/link":                                                 "AAAAAAAAAAAAAAAAAAAAAAAAAA",
		o + fxL1 + "/committed":                                            "",
		o + fxL2 + "/diff/etc/conf":                                        strings.Repeat("n", 50),
		o + fxL2 + "/diff/app":                                             strings.Repeat("a", 3000),
		o + fxL2 + "/lower":                                                "l/AAAAAAAAAAAAAAAAAAAAAAAAAA",
		o + fxL2 + "/work/":                                                "",
		o + fxC + "/diff/data/log":                                         strings.Repeat("l", 500),
		o + fxC + "/work/work/":                                            "",
		o + fxC + "-init/diff/etc/hosts":                                   "",
		o + fxOrphan + "/diff/junk":                                        strings.Repeat("j", 7000),
		o + fxBK + "/diff/cache":                                           strings.Repeat("k", 100),
		o + "l/AAAAAAAAAAAAAAAAAAAAAAAAAA":                                 "-> ../" + fxL1 + "/diff",
		o + "l/BBBBBBBBBBBBBBBBBBBBBBBBBB":                                 "-> ../" + fxL2 + "/diff",
		o + "l/CCCCCCCCCCCCCCCCCCCCCCCCCC":                                 "-> ../" + fxC + "-init/diff",
		o + "l/ZZZZZZZZZZZZZZZZZZZZZZZZZZ":                                 "-> ../" + strings.Repeat("9", 64) + "/diff",
		db + "layerdb/sha256/" + chain[0][7:] + "/cache-id":                fxL1,
		db + "layerdb/sha256/" + chain[0][7:] + "/diff":                    fxD1,
		db + "layerdb/sha256/" + chain[0][7:] + "/size":                    "15000",
		db + "layerdb/sha256/" + chain[1][7:] + "/cache-id":                fxL2,
		db + "layerdb/sha256/" + chain[1][7:] + "/diff":                    fxD2,
		db + "layerdb/sha256/" + chain[1][7:] + "/parent":                  chain[0],
		db + "layerdb/mounts/" + fxCID + "/mount-id":                       fxC,
		db + "layerdb/mounts/" + fxCID + "/init-id":                        fxC + "-init",
		db + "layerdb/mounts/" + fxCID + "/parent":                         chain[1],
		db + "imagedb/content/sha256/" + fxIMG:                             `{"rootfs":{"type":"layers","diff_ids":["` + fxD1 + `","` + fxD2 + `"]}}`,
		db + "repositories.json":                                           `{"Repositories":{"app":{"app:1":"sha256:` + fxIMG + `"}}}`,
		"var/lib/docker/containers/" + fxCID + "/config.v2.json":           cfg,
		"var/lib/docker/containers/" + fxCID + "/" + fxCID + "-json.log":   strings.Repeat("{}\n", 400),
		"var/lib/docker/containers/" + fxCID + "/" + fxCID + "-json.log.1": strings.Repeat("{}\n", 3000),
		"var/lib/docker/containers/" + fxCID + "/hostname":                 "app-1\n",
		"var/lib/docker/volumes/v1/_data/file":                             strings.Repeat("v", 2000),
		"var/lib/docker/volumes/metadata.db":                               "bolt",
		"var/lib/docker/buildkit/snapshots.db":                             string(readFixture(t, fxBuildkitDB)),
		"var/lib/docker/network/files/local-kv.db":                         "kv",
		"proc/4242/mountinfo": "1000 900 0:55 / / rw,relatime master:1 - overlay overlay rw,lowerdir=l/CCCCCCCCCCCCCCCCCCCCCCCCCC:l/BBBBBBBBBBBBBBBBBBBBBBBBBB:l/AAAAAAAAAAAAAAAAAAAAAAAAAA,upperdir=" + fxC + "/diff,workdir=" + fxC + "/work\n" +
			"1001 1000 0:60 / /proc rw - proc proc rw\n",
		"proc/4242/cgroup":    "0::/\n",
		"proc/4343/mountinfo": "2000 900 0:70 / / rw - overlay overlay rw,lowerdir=/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/2/fs:/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/1/fs,upperdir=/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/3/fs,workdir=/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/3/work,userxattr\n",
		"proc/4343/cgroup":    "0::/\n",
		"var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/1/fs/bin/tool":           strings.Repeat("t", 4000),
		"var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/2/fs/etc/x":              strings.Repeat("x", 100),
		"var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/3/fs/tmp/y":              strings.Repeat("y", 10),
		"var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/3/work/":                 "",
		"var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/metadata.db":                       "bolt",
		"var/lib/containerd/io.containerd.content.v1.content/blobs/sha256/" + strings.Repeat("f", 64): strings.Repeat("z", 5000),
	}
	return hostfstest.New(t, tree)
}

func openFixture(t *testing.T, root hostfs.Root) *Storage {
	t.Helper()
	s, err := Open(root, Options{TopN: 5})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func resolve(t *testing.T, s *Storage, spec string) *Target {
	t.Helper()
	tg, err := s.Resolve(spec)
	if err != nil {
		t.Fatalf("Resolve(%q): %v", spec, err)
	}
	return tg
}

func (s *Storage) hostPath(p string) string { return s.root.Host(p) }

func TestDockerStoppedContainer(t *testing.T) {
	hostfstest.NoFDLeak(t)
	root := dockerHost(t)
	s := openFixture(t, root)
	tg := resolve(t, s, "app-1")
	if tg.Kind != "container" || tg.Container.Name != "app-1" || tg.spec.source != "layerdb" {
		t.Fatalf("target %+v (spec %+v)", tg, tg.spec)
	}
	rep, err := s.Du(context.Background(), []*Target{tg})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Containers) != 1 {
		t.Fatalf("containers: %+v", rep.Containers)
	}
	c := rep.Containers[0]
	var roles []string
	for _, l := range c.Stack.Layers {
		roles = append(roles, l.Role+":"+l.ID[:2])
	}
	if strings.Join(roles, " ") != "upper:cc init:cc image:22 image:11" {
		t.Errorf("stack roles %v", roles)
	}
	l1 := s.hostPath("/var/lib/docker/overlay2/" + fxL1 + "/diff")
	up := s.hostPath("/var/lib/docker/overlay2/" + fxC + "/diff")
	if want := sizeSum(t, up); c.Writable != want {
		t.Errorf("writable %+v; want %+v", c.Writable, want)
	}
	if want := sizeSum(t, filepath.Join(l1, "etc/conf")); c.Hidden != want {
		t.Errorf("hidden %+v; want %+v (the first etc/conf)", c.Hidden, want)
	}
	l2 := s.hostPath("/var/lib/docker/overlay2/" + fxL2 + "/diff")
	if want := sizeSum(t, l1, l2); c.ImageUnique != want || c.ImageShared != (Sizes{}) {
		t.Errorf("image unique %+v shared %+v; want %+v unique", c.ImageUnique, c.ImageShared, want)
	}
	if len(c.Logs) != 2 || c.LogBytes.Apparent != 1200+9000 {
		t.Errorf("logs %+v", c.Logs)
	}
	if len(c.Volumes) != 1 || c.Volumes[0].Usage == nil || c.Volumes[0].Usage.Apparent != 2000 || c.Volumes[0].Anonymous {
		t.Errorf("volumes %+v", c.Volumes)
	}
	var sum Sizes
	for _, x := range []Sizes{c.Writable, c.Init, c.ImageUnique, c.ImageShared, c.LogBytes, c.VolumeBytes, c.DeletedOpenBytes} {
		sum.Add(x)
	}
	if c.Total != sum || rep.Total != sum {
		t.Errorf("total %+v, report total %+v; want the sum %+v", c.Total, rep.Total, sum)
	}
	if *c.Stack.Layers[3].StoredSize != 15000 || c.Stack.Layers[3].DiffID != fxD1 || c.Stack.Layers[2].ChainID != fxChain()[1] {
		t.Errorf("layer identity: %+v", c.Stack.Layers[3].Layer)
	}
}

// TestDockerRunningMountOptions: a running docker container's mount
// options (metacopy, userxattr) come from dockerd's mount of its upper dir
// in the host's table (PID 1's, here in docker's relative form), one read
// for every container; where the host's table lacks it, from the
// container's own root mount.
func TestDockerRunningMountOptions(t *testing.T) {
	for _, tc := range []struct {
		name, pid1, own string
	}{
		{name: "host table", pid1: "500 1 0:80 / /var/lib/docker/overlay2/" + fxC + "/merged rw - overlay overlay rw,lowerdir=l/CCCCCCCCCCCCCCCCCCCCCCCCCC,upperdir=" + fxC + "/diff,workdir=" + fxC + "/work,metacopy=on,userxattr\n"},
		{name: "own root mount", pid1: "1 0 8:1 / / rw - ext4 /dev/vda rw\n",
			own: "1000 900 0:80 / / rw - overlay overlay rw,lowerdir=l/CCCCCCCCCCCCCCCCCCCCCCCCCC,upperdir=" + fxC + "/diff,workdir=" + fxC + "/work,metacopy=on,userxattr\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := dockerHost(t)
			cfg := root.Host("/var/lib/docker/containers/" + fxCID + "/config.v2.json")
			b, err := os.ReadFile(cfg)
			if err != nil {
				t.Fatal(err)
			}
			running := strings.Replace(string(b), `"State":{"Running":false,"Pid":0}`, `"State":{"Running":true,"Pid":4545}`, 1)
			files := map[string]string{cfg: running, root.Host("/proc/1/mountinfo"): tc.pid1}
			if tc.own != "" {
				files[root.Host("/proc/4545/mountinfo")] = tc.own
			}
			for p, data := range files {
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			s := openFixture(t, root)
			targets, _ := s.allTargets()
			var tg *Target
			for _, x := range targets {
				if x.Container != nil && x.Container.ID == fxCID {
					tg = x
				}
			}
			if tg == nil || tg.PID != 4545 || !tg.spec.metacopy || tg.spec.ns != userNS {
				t.Errorf("target %+v; want PID 4545, metacopy and user xattrs from the mount", tg)
			}
		})
	}
}

// TestMountLayerSymlink: a process's overlay whose layer dirs no store
// knows (a user's own mount in a user namespace, say) names paths its
// mounter chose: a symlink anywhere in them is not followed, so the upper
// dir behind /srv/link is not walked, while the lower, a plain path, is.
func TestMountLayerSymlink(t *testing.T) {
	root := hostfstest.New(t, map[string]string{
		"srv/ov/lower/etc/f":       strings.Repeat("f", 1000),
		"secret-parent/up/payroll": strings.Repeat("s", 77_777),
		"secret-parent/work/":      "",
		"srv/link":                 "-> /secret-parent",
		"proc/4646/mountinfo":      "3000 900 0:90 / / rw - overlay overlay rw,lowerdir=/srv/ov/lower,upperdir=/srv/link/up,workdir=/srv/link/work\n",
		"proc/4646/cgroup":         "0::/\n",
	})
	s := openFixture(t, root)
	tg := resolve(t, s, "4646")
	st, err := s.Stack(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Layers) != 2 {
		t.Fatalf("stack %+v", st.Layers)
	}
	up, low := st.Layers[0].Usage, st.Layers[1].Usage
	if up == nil || !up.Incomplete || up.Apparent != 0 || !strings.Contains(strings.Join(up.Errors, " "), "a symlink on the way, not followed") {
		t.Errorf("upper behind a symlink: %+v; want it not walked, incomplete, with the reason", up)
	}
	if low == nil || low.Incomplete || low.Apparent != 1000 {
		t.Errorf("lower: %+v; want 1000 bytes", low)
	}
}

// TestDistroContainerdRoots: the containerd that k3s and RKE2 run keeps
// its snapshots under /var/lib/rancher; du --all sizes each as du does.
func TestDistroContainerdRoots(t *testing.T) {
	snap := "/agent/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/1/fs/bin/tool"
	root := hostfstest.New(t, map[string]string{
		"var/lib/rancher/k3s" + snap:  strings.Repeat("k", 4000),
		"var/lib/rancher/rke2" + snap: strings.Repeat("r", 6000),
	})
	s := openFixture(t, root)
	_, roots, err := s.DuAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, r := range roots {
		dirs = append(dirs, r.Dir)
		if want := duBytes(t, root.Host(r.Dir))[0]; r.Total.Disk != want || r.Store != StoreContainerd {
			t.Errorf("%s: %s total %d; du says %d", r.Dir, r.Store, r.Total.Disk, want)
		}
	}
	if want := []string{"/var/lib/rancher/k3s/agent/containerd", "/var/lib/rancher/rke2/agent/containerd"}; !slices.Equal(dirs, want) {
		t.Errorf("storage roots %q; want %q", dirs, want)
	}
}

func TestDockerImageTarget(t *testing.T) {
	s := openFixture(t, dockerHost(t))
	for _, spec := range []string{"app:1", "sha256:" + fxIMG, strings.Repeat("e", 12)} {
		tg := resolve(t, s, spec)
		if tg.Kind != "image" || tg.Image.ID != "sha256:"+fxIMG || len(tg.spec.layers) != 2 {
			t.Errorf("Resolve(%q) = %+v", spec, tg)
		}
	}
	if _, err := s.Resolve("nope"); err == nil {
		t.Error("Resolve(nope): no error")
	}
}

// TestRelativeLowerdir maps PID 4242's overlay, mounted with relative l/
// paths, back to the docker container through the l/ links.
func TestRelativeLowerdir(t *testing.T) {
	s := openFixture(t, dockerHost(t))
	tg := resolve(t, s, "4242")
	if tg.Container == nil || tg.Container.ID != fxCID {
		t.Fatalf("PID 4242: container %+v; want app-1 from the upper dir", tg.Container)
	}
	var got []string
	for _, l := range tg.spec.layers {
		got = append(got, l.Role+":"+l.Store+":"+l.ID[:2])
	}
	if strings.Join(got, " ") != "upper:docker:cc init:docker:cc image:docker:22 image:docker:11" {
		t.Errorf("stack %v", got)
	}
	if !strings.HasPrefix(tg.spec.source, "mountinfo of PID 4242") {
		t.Errorf("source %q", tg.spec.source)
	}
}

func TestSplitLower(t *testing.T) {
	if got := splitLower("a:b::"); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("splitLower = %q", got)
	}
}

func TestContainerdMount(t *testing.T) {
	s := openFixture(t, dockerHost(t))
	tg := resolve(t, s, "4343")
	st, err := s.Stack(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range st.Layers {
		got = append(got, l.Role+":"+l.Store+":"+l.ID)
	}
	if strings.Join(got, " ") != "upper:containerd:3 image:containerd:2 image:containerd:1" {
		t.Errorf("stack %v", got)
	}
	if st.XattrNamespace != userNS {
		t.Errorf("xattr namespace %q; want user.overlay. (the mount has userxattr)", st.XattrNamespace)
	}
	if st.Layers[2].Usage.Apparent != 4000 {
		t.Errorf("snapshot 1 usage %+v", st.Layers[2].Usage)
	}
}

func TestDockerDiffWhich(t *testing.T) {
	s := openFixture(t, dockerHost(t))
	tg := resolve(t, s, "app-1")
	d, err := s.Diff(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range d.Changes {
		got = append(got, c.Kind+" "+c.Path)
	}
	if strings.Join(got, ",") != "A /data,A /data/log" || d.Added.Apparent != 500 {
		t.Errorf("diff %v, added %+v", got, d.Added)
	}
	w, err := s.Which(context.Background(), tg, "/etc/conf")
	if err != nil {
		t.Fatal(err)
	}
	if w.Provider != 2 || len(w.Copies) != 2 || w.Copies[1].Layer != 3 || w.Copies[1].State != CopyHidden || w.Copies[1].HiddenBy != 2 ||
		w.Hidden.Apparent != 6000 {
		t.Errorf("which /etc/conf = %+v", w)
	}
	img := resolve(t, s, "app:1")
	if _, err := s.Diff(context.Background(), img); err == nil {
		t.Error("diff of an image: no error")
	}
}

func TestDockerAllAndOrphans(t *testing.T) {
	hostfstest.NoFDLeak(t)
	root := dockerHost(t)
	s := openFixture(t, root)
	rep, roots, err := s.DuAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*Area{}
	for _, a := range rep.Areas {
		if a.Root == "/var/lib/docker" {
			byName[a.Name] = a
		}
	}
	for _, n := range []string{"image layers", "container layers", "orphan layers", "build cache", "overlay internal",
		"container logs", "containers", "volumes", "image metadata", "buildkit", "other"} {
		if byName[n] == nil {
			t.Errorf("no area %q", n)
		}
	}
	if a := byName["orphan layers"]; a != nil && (a.Dirs != 1 || a.Sizes.Apparent != 7000) {
		t.Errorf("orphan layers %+v", a)
	}
	if a := byName["container logs"]; a != nil && a.Sizes.Apparent != 10200 {
		t.Errorf("container logs %+v", a)
	}
	want := map[string]int64{}
	for i, d := range duBytes(t, root.Host("/var/lib/docker"), root.Host("/var/lib/containerd")) {
		want[[]string{"/var/lib/docker", "/var/lib/containerd"}[i]] = d
	}
	for _, r := range roots {
		if r.Total.Disk != want[r.Dir] {
			t.Errorf("%s: areas add up to %d; du -s says %d", r.Dir, r.Total.Disk, want[r.Dir])
		}
	}
	if len(roots) != 2 {
		t.Errorf("roots %+v", roots)
	}

	or, err := s.Orphans(context.Background(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(or.Orphans) != 1 || or.Orphans[0].ID != fxOrphan || !or.Orphans[0].Recent || or.Orphans[0].Usage == nil {
		t.Errorf("orphans %+v", or.Orphans)
	}
	if len(or.BuildCache) != 1 || or.BuildCache[0].ID != fxBK {
		t.Errorf("build cache %+v", or.BuildCache)
	}
	if len(or.DanglingLinks) != 1 || !strings.HasSuffix(or.DanglingLinks[0], "/l/ZZZZZZZZZZZZZZZZZZZZZZZZZZ") {
		t.Errorf("dangling links %v", or.DanglingLinks)
	}
	old, _ := s.Orphans(context.Background(), time.Now().Add(2*time.Hour))
	if len(old.Orphans) != 1 || old.Orphans[0].Recent {
		t.Errorf("two hours later the orphan is not recent: %+v", old.Orphans)
	}
}

// TestContainersStorage: a Podman store in the default graphroot, and in
// one that /etc/containers/storage.conf moves, whose overlay mountopt
// turns metacopy on for every container, running or not.
func TestContainersStorage(t *testing.T) {
	for _, tc := range []struct {
		name, conf, graph string
		metacopy          bool
	}{
		{name: "default", graph: "/var/lib/containers/storage"},
		{name: "storage.conf", graph: "/data/containers/storage", metacopy: true,
			conf: "[storage]\ndriver = \"overlay\"\ngraphroot = \"/data/containers/storage\" # moved\n[storage.options.overlay]\nmountopt = \"nodev,metacopy=on\"\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s1, s2, pc := strings.Repeat("4", 64), strings.Repeat("5", 64), strings.Repeat("6", 64)
			g := strings.TrimPrefix(tc.graph, "/") + "/"
			tree := map[string]string{
				g + "overlay/" + s1 + "/diff/usr/lib/libx.so":  strings.Repeat("x", 8000),
				g + "overlay/" + s2 + "/diff/var/cache/app.db": strings.Repeat("a", 300),
				g + "overlay-layers/layers.json":               `[{"id":"` + s1 + `","diff-digest":"sha256:` + strings.Repeat("7", 64) + `","diff-size":8704}]`,
				g + "overlay-layers/volatile-layers.json":      `[{"id":"` + s2 + `","parent":"` + s1 + `"}]`,
				g + "overlay-images/images.json":               `[{"id":"` + strings.Repeat("8", 64) + `","names":["localhost/db:latest"],"layer":"` + s1 + `"}]`,
				g + "overlay-containers/containers.json":       `[{"id":"` + pc + `","names":["db"],"image":"` + strings.Repeat("8", 64) + `","layer":"` + s2 + `"}]`,
			}
			if tc.conf != "" {
				tree["etc/containers/storage.conf"] = tc.conf
			}
			root := hostfstest.New(t, tree)
			s := openFixture(t, root)
			tg := resolve(t, s, "db")
			if tg.spec.metacopy != tc.metacopy {
				t.Errorf("metacopy %v; want %v", tg.spec.metacopy, tc.metacopy)
			}
			st, err := s.Stack(context.Background(), tg)
			if err != nil {
				t.Fatal(err)
			}
			if len(st.Layers) != 2 || st.Layers[0].ID != s2 || st.Layers[0].Role != RoleUpper || st.Layers[1].Store != StoreCStorage ||
				*st.Layers[1].StoredSize != 8704 || st.Layers[1].Usage.Apparent != 8000 || st.Layers[0].Dir != path.Join(tc.graph, "overlay", s2, "diff") {
				t.Errorf("stack %+v", st.Layers)
			}
			rep, roots, err := s.DuAll(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Images) != 1 || rep.Images[0].Containers != 1 || len(roots) != 1 || roots[0].Dir != tc.graph {
				t.Errorf("images %+v roots %+v; want one image, used by db", rep.Images, roots)
			}
			if want := duBytes(t, root.Host(tc.graph))[0]; roots[0].Total.Disk != want {
				t.Errorf("total %d; du says %d", roots[0].Total.Disk, want)
			}
		})
	}
}

// TestCRIOMovedStore: CRI-O's config moves its store away from
// storage.conf's: both stores are read, each container resolves to the
// layers of its own store (CRI-O's named from its userdata in the moved
// runroot, metacopy on from its storage_option), and du --all sizes both
// graphroots as du does.
func TestCRIOMovedStore(t *testing.T) {
	pl1, pl2, pc := strings.Repeat("4", 64), strings.Repeat("5", 64), strings.Repeat("6", 64)
	cl1, cl2, cc := strings.Repeat("a", 64), strings.Repeat("b", 64), strings.Repeat("c", 64)
	// The same image (one ID) pulled into both stores is two images, each
	// used by its own store's container.
	img := strings.Repeat("8", 64)
	store := func(g, l1, l2, c, name string) map[string]string {
		return map[string]string{
			g + "/overlay/" + l1 + "/diff/usr/lib/lib" + name + ".so": strings.Repeat("x", 8000),
			g + "/overlay/" + l2 + "/diff/var/cache/" + name + ".db":  strings.Repeat("a", 300),
			g + "/overlay-layers/layers.json":                         `[{"id":"` + l1 + `"},{"id":"` + l2 + `","parent":"` + l1 + `"}]`,
			g + "/overlay-images/images.json":                         `[{"id":"` + img + `","names":["localhost/` + name + `:latest"],"layer":"` + l1 + `"}]`,
			g + "/overlay-containers/containers.json":                 `[{"id":"` + c + `","names":["` + name + `"],"image":"` + img + `","layer":"` + l2 + `"}]`,
		}
	}
	tree := store("var/lib/containers/storage", pl1, pl2, pc, "db")
	maps.Copy(tree, store("data/crio/storage", cl1, cl2, cc, "web"))
	tree["etc/crio/crio.conf"] = "[crio]\nroot = \"/data/crio/storage\"\nrunroot = \"/run/crio\"\nstorage_option = [ \"overlay.mountopt=nodev,metacopy=on\" ]\n"
	tree["run/crio/overlay-containers/"+cc+"/userdata/config.json"] = `{"annotations":{"io.kubernetes.pod.name":"web-0","io.kubernetes.pod.namespace":"default",` +
		`"io.kubernetes.container.name":"web","io.kubernetes.cri-o.ContainerType":"container"}}`
	root := hostfstest.New(t, tree)
	s := openFixture(t, root)

	for _, tc := range []struct {
		spec, graph, upper, runtime string
		metacopy                    bool
	}{
		{spec: "db", graph: "/var/lib/containers/storage", upper: pl2, runtime: "podman"},
		{spec: cc, graph: "/data/crio/storage", upper: cl2, runtime: "crio", metacopy: true},
	} {
		tg := resolve(t, s, tc.spec)
		st, err := s.Stack(context.Background(), tg)
		if err != nil {
			t.Fatal(err)
		}
		if tg.Container == nil || tg.Container.Runtime != tc.runtime || tg.spec.metacopy != tc.metacopy {
			t.Errorf("%s: container %+v, metacopy %v; want runtime %s, metacopy %v", tc.spec, tg.Container, tg.spec.metacopy, tc.runtime, tc.metacopy)
		}
		if len(st.Layers) != 2 || st.Layers[0].ID != tc.upper || st.Layers[0].Dir != path.Join(tc.graph, "overlay", tc.upper, "diff") ||
			st.Layers[1].Usage == nil || st.Layers[1].Usage.Apparent != 8000 {
			t.Errorf("%s: stack %+v; want its upper in %s over an 8000-byte layer", tc.spec, st.Layers, tc.graph)
		}
	}
	rep, roots, err := s.DuAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Images) != 2 || len(rep.Containers) != 2 || len(roots) != 2 {
		t.Fatalf("images %+v containers %d roots %+v; want 2 of each", rep.Images, len(rep.Containers), roots)
	}
	for _, im := range rep.Images {
		if im.Containers != 1 {
			t.Errorf("image %v in %s: %d containers; want 1 (its own store's)", im.Image.Names, im.Stack.Layers[0].Dir, im.Containers)
		}
	}
	for _, c := range rep.Containers {
		if c.ImageID != img {
			t.Errorf("%s: image %q; want %q", c.Label, c.ImageID, img)
		}
	}
	for _, r := range roots {
		if want := duBytes(t, root.Host(r.Dir))[0]; r.Total.Disk != want {
			t.Errorf("%s: total %d; du says %d", r.Dir, r.Total.Disk, want)
		}
	}
	if roots[0].Dir == roots[1].Dir {
		t.Errorf("one graphroot twice: %+v", roots)
	}
}

// TestUnprivilegedStore: a store dir ctx may not read is an error naming
// what is missing, not an empty result.
func TestUnprivilegedStore(t *testing.T) {
	root := hostfstest.New(t, map[string]string{"var/lib/docker/overlay2/x/diff/f": "x"})
	var pe *PrivilegeError
	err := &PrivilegeError{Path: "/var/lib/docker/overlay2", Missing: "root (CAP_DAC_READ_SEARCH)", Err: fs.ErrPermission}
	if !errors.As(error(err), &pe) || !strings.Contains(err.Error(), "needs root (CAP_DAC_READ_SEARCH)") ||
		!strings.Contains(err.Error(), "/var/lib/docker/overlay2") || !errors.Is(err, fs.ErrPermission) {
		t.Errorf("PrivilegeError %q", err)
	}
	if _, err := Open(root, Options{}); err != nil {
		t.Errorf("a readable store: %v", err)
	}
}
