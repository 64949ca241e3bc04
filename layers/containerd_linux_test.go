//go:build linux

package layers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ctx-tools/ctx/inspect/hostfs"
	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

// containerdHost builds a containerd host around the committed
// metadata.db (snapshots 168 and 171 committed, 170 active, 172 a view),
// with snapshot 99 that no record names. PID 4545 runs with 170 as its
// upper over 171 and 168; metadataDB replaces the database's bytes.
func containerdHost(t *testing.T, metadataDB string) hostfs.Root {
	t.Helper()
	return containerdHostAt(t, metadataDB, "/var/lib/containerd", nil)
}

// containerdHostAt is containerdHost with containerd's root at dir, and
// more files.
func containerdHostAt(t *testing.T, metadataDB, dir string, more map[string]string) hostfs.Root {
	t.Helper()
	snap := strings.TrimPrefix(dir, "/") + "/io.containerd.snapshotter.v1.overlayfs/"
	sn := "/" + snap + "snapshots/"
	tree := map[string]string{
		snap + "metadata.db":             metadataDB,
		snap + "snapshots/168/fs/bin/sh": strings.Repeat("s", 5000),
		snap + "snapshots/171/fs/etc/x":  strings.Repeat("x", 300),
		snap + "snapshots/170/fs/tmp/y":  strings.Repeat("y", 20),
		snap + "snapshots/170/work/":     "",
		snap + "snapshots/172/fs/":       "",
		snap + "snapshots/99/fs/junk":    strings.Repeat("j", 7000),
		"proc/4545/mountinfo": "3000 900 0:80 / / rw - overlay overlay rw,lowerdir=" + sn + "171/fs:" + sn + "168/fs,upperdir=" +
			sn + "170/fs,workdir=" + sn + "170/work\n",
		"proc/4545/cgroup": "0::/\n",
	}
	for k, v := range more {
		tree[k] = v
	}
	return hostfstest.New(t, tree)
}

// TestContainerdConfigRoot: /etc/containerd/config.toml's root moves the
// snapshotter; ctx looks there (and only there) for the system one.
func TestContainerdConfigRoot(t *testing.T) {
	conf := "version = 2\nroot = \"/data/containerd\" # the data disk\nstate = \"/run/containerd\"\n" +
		"[plugins.\"io.containerd.grpc.v1.cri\"]\n  root = \"/elsewhere\"\n"
	root := containerdHostAt(t, string(readFixture(t, fxSnapDB)), "/data/containerd", map[string]string{"etc/containerd/config.toml": conf})
	s := openFixture(t, root)
	rep, roots, err := s.DuAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(roots) != 1 || roots[0].Dir != "/data/containerd" {
		t.Fatalf("roots %+v; want /data/containerd", roots)
	}
	if want := duBytes(t, root.Host("/data/containerd"))[0]; roots[0].Total.Disk != want {
		t.Errorf("areas add up to %d; du -s says %d", roots[0].Total.Disk, want)
	}
	or, err := s.Orphans(context.Background(), time.Now().Add(2*time.Hour))
	if err != nil || len(or.Orphans) != 1 || or.Orphans[0].ID != "99" {
		t.Errorf("orphans %+v, %v; want snapshot 99 (warnings %q)", or.Orphans, err, rep.Warnings)
	}
}

func TestContainerdOrphans(t *testing.T) {
	hostfstest.NoFDLeak(t)
	root := containerdHost(t, string(readFixture(t, fxSnapDB)))
	s := openFixture(t, root)
	rep, err := s.Orphans(context.Background(), time.Now().Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Orphans) != 1 || rep.Orphans[0].ID != "99" || rep.Orphans[0].Store != StoreContainerd ||
		rep.Orphans[0].Recent || rep.Orphans[0].Usage == nil || rep.Orphans[0].Usage.Apparent != 7000 {
		t.Errorf("orphans %+v; want snapshot 99 alone, walked, not recent", rep.Orphans)
	}
	if len(rep.Checked) != 1 || !strings.HasSuffix(rep.Checked[0], "/snapshots") {
		t.Errorf("checked %q; want the containerd snapshots dir", rep.Checked)
	}
	for _, w := range append(rep.Warnings, s.Warnings()...) {
		if strings.Contains(w, "containerd") {
			t.Errorf("warning %q with a readable metadata.db", w)
		}
	}
	if now, _ := s.Orphans(context.Background(), time.Now()); len(now.Orphans) != 1 || !now.Orphans[0].Recent {
		t.Errorf("a fresh dir is recent: %+v", now.Orphans)
	}
}

// TestContainerdTornDB: a metadata.db that cannot be parsed leaves the
// root unchecked, with a warning, and no orphans; ls still works.
func TestContainerdTornDB(t *testing.T) {
	full := readFixture(t, fxSnapDB)
	for name, db := range map[string]string{"truncated": string(full[:8192]), "not bolt": "bolt"} {
		t.Run(name, func(t *testing.T) {
			s := openFixture(t, containerdHost(t, db))
			rep, err := s.Orphans(context.Background(), time.Now().Add(2*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Orphans) != 0 || len(rep.Checked) != 0 {
				t.Errorf("orphans %+v, checked %q; want none from an unreadable metadata.db", rep.Orphans, rep.Checked)
			}
			if w := strings.Join(rep.Warnings, "\n"); !strings.Contains(w, "not checked for orphans") || !strings.Contains(w, "metadata.db") {
				t.Errorf("warnings %q; want the root named as not checked", rep.Warnings)
			}
			// The reason is given once, by the reader, not again by Orphans.
			all := strings.Join(append(rep.Warnings, s.Warnings()...), "\n")
			if n := strings.Count(all, "boltfile:"); n != 1 {
				t.Errorf("the reason metadata.db cannot be used given %d times; want once:\n%s", n, all)
			}
			st, err := s.Stack(context.Background(), resolve(t, s, "4545"))
			if err != nil || len(st.Layers) != 3 || st.Layers[1].ChainID != "" {
				t.Errorf("stack %+v, %v; want three layers without chain IDs", st, err)
			}
		})
	}
}

// TestContainerdAreas: du --all names snapshot dirs by their kind, and
// the areas still add up to du -s of the root.
func TestContainerdAreas(t *testing.T) {
	hostfstest.NoFDLeak(t)
	root := containerdHost(t, string(readFixture(t, fxSnapDB)))
	s := openFixture(t, root)
	rep, roots, err := s.DuAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	dirs := map[string]int{}
	for _, a := range rep.Areas {
		dirs[a.Name] = a.Dirs
	}
	if dirs["image layers"] != 2 || dirs["container layers"] != 2 || dirs["orphan layers"] != 1 {
		t.Errorf("area dirs %v; want 2 image (168, 171), 2 container (170, 172 the view), 1 orphan (99)", dirs)
	}
	if len(roots) != 1 {
		t.Fatalf("roots %+v", roots)
	}
	if want := duBytes(t, root.Host("/var/lib/containerd"))[0]; roots[0].Total.Disk != want {
		t.Errorf("areas add up to %d; du -s says %d", roots[0].Total.Disk, want)
	}
}

// TestDockerContainerdStore: Docker with the containerd image store has no
// overlay2 dir (or an old, unused one); its layers are the system
// containerd's snapshots. A running container is sized from its root
// mount with its docker logs, a stopped one is named in a warning, and
// /var/lib/docker still adds up (containers, logs) beside containerd's
// root.
func TestDockerContainerdStore(t *testing.T) {
	for _, overlay2 := range []bool{false, true} {
		t.Run(fmt.Sprintf("overlay2-dir-%v", overlay2), func(t *testing.T) { testDockerContainerdStore(t, overlay2) })
	}
}

func testDockerContainerdStore(t *testing.T, overlay2 bool) {
	hostfstest.NoFDLeak(t)
	run, stop := strings.Repeat("a", 64), strings.Repeat("b", 64)
	cfg := func(id, name string, running bool, pid int) string {
		return fmt.Sprintf(`{"ID":%q,"Name":"/%s","Driver":"overlayfs","State":{"Running":%v,"Pid":%d},"Config":{"Image":"app:1"},`+
			`"LogPath":"/var/lib/docker/containers/%s/%s-json.log"}`, id, name, running, pid, id, id)
	}
	c := "var/lib/docker/containers/"
	more := map[string]string{
		c + run + "/config.v2.json":          cfg(run, "web", true, 4545),
		c + run + "/" + run + "-json.log":    strings.Repeat("{}\n", 300),
		c + stop + "/config.v2.json":         cfg(stop, "old", false, 0),
		"var/lib/docker/volumes/metadata.db": "bolt",
		"proc/4545/cgroup":                   "0::/system.slice/docker-" + run + ".scope\n",
	}
	if overlay2 {
		more["var/lib/docker/overlay2/l/"] = ""
	}
	root := containerdHostAt(t, string(readFixture(t, fxSnapDB)), "/var/lib/containerd", more)
	s := openFixture(t, root)
	rep, roots, err := s.DuAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var web *ContainerUsage
	for _, cu := range rep.Containers {
		if cu.Container != nil && cu.Container.ID == run {
			web = cu
		}
	}
	if web == nil || web.Stack == nil || len(web.Stack.Layers) != 3 || web.Stack.Layers[0].ID != "170" || web.LogBytes.Apparent != 900 {
		t.Fatalf("the running docker container: %+v (containers %d)", web, len(rep.Containers))
	}
	if !slices.ContainsFunc(rep.Warnings, func(w string) bool {
		return strings.Contains(w, "1 stopped containers have neither a layerdb mount nor a containerd snapshot")
	}) {
		t.Errorf("no warning about the stopped one: %q", rep.Warnings)
	}
	want := map[string]int64{}
	for _, d := range []string{"/var/lib/docker", "/var/lib/containerd"} {
		want[d] = duBytes(t, root.Host(d))[0]
	}
	if len(roots) != 2 {
		t.Fatalf("roots %+v; want docker's and containerd's", roots)
	}
	for _, r := range roots {
		if r.Total.Disk != want[r.Dir] {
			t.Errorf("%s: areas add up to %d; du -s says %d", r.Dir, r.Total.Disk, want[r.Dir])
		}
	}
	or, err := s.Orphans(context.Background(), time.Now().Add(2*time.Hour))
	if wantChecked := map[bool]int{false: 1, true: 2}[overlay2]; err != nil || len(or.Orphans) != 1 || len(or.Checked) != wantChecked {
		t.Errorf("orphans %+v checked %q, %v; want snapshot 99 alone, and the overlay2 dir checked only where there is one", or.Orphans, or.Checked, err)
	}
}
