//go:build linux

package layers

import (
	"context"
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
