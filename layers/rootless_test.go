//go:build linux

package layers

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

// TestRootlessStores: the users' rootless Podman stores are found from
// /etc/passwd and sized as du sizes them, their containers and images
// named with the user, and their overlay xattrs read in the user.*
// namespace of a rootless mount. A store in a home is the user's to
// shape, so none of these is followed or trusted: a store reached
// through a symlink, a store owned by someone else, a layer dir or a
// metadata file that is a symlink out of the home. Root's own home is
// not a rootless store.
func TestRootlessStores(t *testing.T) {
	// The users' uid: the test's own, which owns the fixture, or, run as
	// root (uid 0 has no rootless store), one the stores are given.
	me := os.Getuid()
	if me == 0 {
		me = 4242
	}
	l1, l2, ct := strings.Repeat("1", 64), strings.Repeat("2", 64), strings.Repeat("3", 64)
	evil, img, stray := strings.Repeat("9", 64), strings.Repeat("8", 64), strings.Repeat("7", 64)
	store := func(home, name string) map[string]string {
		g := home + "/.local/share/containers/storage/"
		return map[string]string{
			g + "overlay/" + l1 + "/diff/data/old.bin": strings.Repeat("o", 50_000),
			g + "overlay/" + l1 + "/diff/usr/lib.so":   strings.Repeat("x", 8000),
			g + "overlay/" + l2 + "/diff/data/":        "",
			g + "overlay/" + l2 + "/diff/data/new.bin": strings.Repeat("n", 3000),
			g + "overlay-layers/layers.json":           `[{"id":"` + l1 + `"},{"id":"` + l2 + `","parent":"` + l1 + `"}]`,
			g + "overlay-images/images.json":           `[{"id":"` + img + `","names":["localhost/` + name + `:latest"],"layer":"` + l1 + `"}]`,
			g + "overlay-containers/containers.json":   `[{"id":"` + ct + `","names":["` + name + `"],"layer":"` + l2 + `"}]`,
		}
	}
	tree := map[string]string{
		"etc/passwd": fmt.Sprintf("root:x:0:0:root:/root:/bin/bash\nalice:x:%d:%d::/home/alice:/bin/bash\n"+
			"bob:x:%d:%d::/home/bob:/bin/bash\neve:x:%d:%d::/home/eve:/bin/sh\nmallory:x:%d:%d::/home/mallory:/bin/sh\n"+
			"trudy:x:%d:%d::/home/trudy:/bin/sh\nbroken line\n",
			me, me, me+1, me+1, me, me, me, me, me, me),
		"home/eve/":              "",
		"secret/layers.json":     `[{"id":"` + evil + `"}]`,
		"secret/data/payroll.db": strings.Repeat("s", 77_777),
		"home/mallory/.local/share/containers/storage/extra/":                               "",
		"home/alice/.local/share/containers/storage/overlay/" + stray + "/diff/left-behind": "x",
	}
	for home, name := range map[string]string{"home/alice": "db", "home/bob": "web", "root": "admin", "home/mallory": "sneaky", "home/trudy": "tricky"} {
		for k, v := range store(home, name) {
			tree[k] = v
		}
	}
	root := hostfstest.New(t, tree)
	host := root.Host
	// alice's upper dir is opaque, the rootless way: it hides data/old.bin.
	setXattr(t, host("/home/alice/.local/share/containers/storage/overlay/"+l2+"/diff/data"), "user.overlay.opaque", "y")
	// eve's store is alice's, through a symlink in eve's home.
	if err := os.Symlink("/home/alice/.local", host("/home/eve/.local")); err != nil {
		t.Fatal(err)
	}
	// mallory's container layer and trudy's layers.json point out of the
	// home.
	for _, ln := range [][3]string{{"mallory", "overlay/" + l2 + "/diff", "/secret"}, {"trudy", "overlay-layers/layers.json", "/secret/layers.json"}} {
		p := host(path.Join("/home", ln[0], ".local/share/containers/storage", ln[1]))
		if err := os.RemoveAll(p); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(ln[2], p); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []string{"alice", "mallory", "trudy"} {
		if err := os.Lchown(host("/home/"+u+"/.local/share/containers/storage"), me, me); err != nil {
			t.Fatal(err)
		}
	}
	// bob's store exists but is not bob's: me owns it.

	s := openFixture(t, root)
	rep, roots, err := s.DuAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rootsByUser := map[string]StorageRoot{}
	for _, r := range roots {
		rootsByUser[r.User] = r
	}
	if len(roots) != 3 || rootsByUser["alice"].Dir != "/home/alice/.local/share/containers/storage" ||
		rootsByUser["mallory"].Dir != "/home/mallory/.local/share/containers/storage" || rootsByUser["trudy"].Dir != "/home/trudy/.local/share/containers/storage" {
		t.Fatalf("roots %+v; want alice's, mallory's and trudy's stores only; warnings %q %q", roots, rep.Warnings, s.Warnings())
	}
	for _, r := range roots {
		if want := duBytes(t, host(r.Dir))[0]; r.Total.Disk != want {
			t.Errorf("%s: total %d; du says %d", r.Dir, r.Total.Disk, want)
		}
	}
	warn := strings.Join(append(rep.Warnings, s.Warnings()...), "\n")
	for _, w := range []string{"rootless store of bob skipped", "is owned by uid", "rootless store of eve skipped: a symlink", "/home/trudy/.local/share/containers/storage/overlay-layers/layers.json"} {
		if !strings.Contains(warn, w) {
			t.Errorf("warnings lack %q:\n%s", w, warn)
		}
	}

	byLabel := map[string]*ContainerUsage{}
	for _, c := range rep.Containers {
		byLabel[c.Label] = c
	}
	a := byLabel["podman:db (alice)"]
	if a == nil || a.Container.User != "alice" {
		t.Fatalf("containers %v; want podman:db (alice)", slices.Collect(func(yield func(string) bool) {
			for l := range byLabel {
				if !yield(l) {
					return
				}
			}
		}))
	}
	if a.Writable.Apparent != 3000 || a.Incomplete {
		t.Errorf("alice's writable layer %+v (incomplete %v); want 3000 apparent bytes", a.Writable, a.Incomplete)
	}
	if st := a.Stack; len(st.Layers) != 2 || st.Layers[0].Hides.Apparent != 50_000 {
		t.Errorf("alice's stack %+v; want the upper to hide old.bin's 50000 bytes behind the user.overlay opaque dir", st.Layers)
	}
	m := byLabel["podman:sneaky (mallory)"]
	if m == nil || !m.Incomplete || m.Writable.Apparent != 0 {
		t.Errorf("mallory's container %+v; want its symlinked layer not walked (incomplete, 0 bytes)", m)
	}
	for _, l := range rep.Layers {
		if l.ID == evil {
			t.Errorf("a layer from the symlinked layers.json was read: %+v", l)
		}
	}
	var images []string
	for _, im := range rep.Images {
		images = append(images, (&Target{Image: im.Image}).Label())
	}
	slices.Sort(images)
	if want := []string{"localhost/db:latest (alice)", "localhost/sneaky:latest (mallory)"}; !slices.Equal(images, want) {
		t.Errorf("images %q; want %q (trudy's layers.json is not read, so her image has no layers)", images, want)
	}
	for _, ar := range rep.Areas {
		if ar.Sizes.Apparent == 77_777 {
			t.Errorf("an area counted /secret's file: %+v", ar)
		}
	}

	// TARGETs: a rootless container by name, by USER/ID; the ID alone is
	// in every store here, so it is ambiguous.
	for _, spec := range []string{"db", "alice/db", "alice/" + ct, "alice/" + ct[:8]} {
		tg, err := s.Resolve(spec)
		if err != nil {
			t.Errorf("Resolve(%q): %v", spec, err)
			continue
		}
		st, err := s.Stack(context.Background(), tg)
		if err != nil || tg.Label() != "podman:db (alice)" || len(st.Layers) != 2 ||
			st.Layers[0].Dir != "/home/alice/.local/share/containers/storage/overlay/"+l2+"/diff" {
			t.Errorf("Resolve(%q): %s, stack %+v, %v; want alice's db", spec, tg.Label(), st, err)
		}
	}
	if _, err := s.Resolve(ct); err == nil || !strings.Contains(err.Error(), "USER/NAME") {
		t.Errorf("Resolve of an ID in several stores: %v; want an ambiguity error", err)
	}

	// orphans checks the rootless stores too: alice's unreferenced layer
	// dir is one; trudy's store, whose layers.json could not be read, is
	// not checked.
	or, err := s.Orphans(context.Background(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(or.Orphans) != 1 || or.Orphans[0].ID != stray || !strings.HasPrefix(or.Orphans[0].Dir, "/home/alice/") ||
		!slices.ContainsFunc(or.Warnings, func(w string) bool { return strings.Contains(w, "/home/trudy/") && strings.Contains(w, "not checked") }) {
		for _, o := range or.Orphans {
			t.Logf("orphan %+v", *o)
		}
		t.Errorf("orphans %+v; want alice's stray layer only", or.Orphans)
	}
}

// TestRootlessStorePath: rootless_storage_path templates, expanded per
// user, and the fixed dir that confines each.
func TestRootlessStorePath(t *testing.T) {
	for _, tc := range []struct {
		tmpl, graph, base, err string
	}{
		{tmpl: "$HOME/.local/share/containers/storage", graph: "/home/al/.local/share/containers/storage", base: "/home/al"},
		{tmpl: "${HOME}/c", graph: "/home/al/c", base: "/home/al"},
		{tmpl: "/scratch/$USER/containers", graph: "/scratch/al/containers", base: "/scratch"},
		{tmpl: "/scratch/u-$UID/", graph: "/scratch/u-1500", base: "/scratch"},
		{tmpl: "/data/rootless/$USER", graph: "/data/rootless/al", base: "/data/rootless"},
		{tmpl: "/srv/containers", err: "one store for every user"},
		{tmpl: "/scratch/$TMPDIR/x", err: "$TMPDIR"},
		{tmpl: "/$USER/x", err: "below a fixed dir"},
		{tmpl: "$USER/x", err: "below a fixed dir"},
		{tmpl: "/scratch/$USER/../../etc", err: "below a fixed dir"},
	} {
		o := &storeOwner{user: "al", uid: 1500, home: "/home/al"}
		graph, err := o.storePath(tc.tmpl)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: %q, %v; want an error with %q", tc.tmpl, graph, err, tc.err)
			}
		case err != nil || graph != tc.graph || o.base != tc.base:
			t.Errorf("%q: %q below %q, %v; want %q below %q", tc.tmpl, graph, o.base, err, tc.graph, tc.base)
		}
	}
}

// TestRootlessStoragePath: the system storage.conf moves the users'
// stores to a scratch dir; alice's is found there, and bob's, a symlink
// to hers in the shared dir, is not followed.
func TestRootlessStoragePath(t *testing.T) {
	me := os.Getuid()
	if me == 0 {
		me = 4242
	}
	l1, ct := strings.Repeat("1", 64), strings.Repeat("3", 64)
	g := "scratch/alice/containers/"
	root := hostfstest.New(t, map[string]string{
		"etc/passwd":                             fmt.Sprintf("alice:x:%d:%d::/home/alice:/bin/sh\nbob:x:%d:%d::/home/bob:/bin/sh\n", me, me, me, me),
		"etc/containers/storage.conf":            "[storage]\nrootless_storage_path = \"/scratch/$USER/containers\"\n",
		g + "overlay/" + l1 + "/diff/f":          strings.Repeat("f", 5000),
		g + "overlay-layers/layers.json":         `[{"id":"` + l1 + `"}]`,
		g + "overlay-containers/containers.json": `[{"id":"` + ct + `","names":["job"],"layer":"` + l1 + `"}]`,
	})
	if err := os.Lchown(root.Host("/scratch/alice/containers"), me, me); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("alice", root.Host("/scratch/bob")); err != nil {
		t.Fatal(err)
	}
	s := openFixture(t, root)
	rep, roots, err := s.DuAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(roots) != 1 || roots[0].Dir != "/scratch/alice/containers" || roots[0].User != "alice" {
		t.Errorf("roots %+v; want alice's store in /scratch only", roots)
	}
	if len(rep.Containers) != 1 || rep.Containers[0].Label != "podman:job (alice)" || rep.Containers[0].Writable.Apparent != 5000 {
		t.Errorf("containers %+v; want alice's job with 5000 bytes", rep.Containers)
	}
	if w := strings.Join(s.Warnings(), "\n"); !strings.Contains(w, "rootless store of bob skipped: a symlink") {
		t.Errorf("warnings %q; want bob's symlinked store skipped", w)
	}
}

// TestRootlessRemoteHomes: ctx looks for every user's store unasked, so a
// home an automounter has not mounted is not looked into (the lookup
// would mount it), nor one on NFS or FUSE (a stat there can hang). The
// host's mount table says which: carol's home is an NFS mount, dave's an
// autofs trigger, erin's an sshfs. alice's local store is read, and so is
// frank's: his home /net is local, an NFS mount only below it.
func TestRootlessRemoteHomes(t *testing.T) {
	me := os.Getuid()
	if me == 0 {
		me = 4242
	}
	l1, ct := strings.Repeat("1", 64), strings.Repeat("3", 64)
	tree := map[string]string{
		"etc/passwd": fmt.Sprintf("alice:x:%d:%d::/home/alice:/bin/sh\ncarol:x:%d:%d::/nfs/carol:/bin/sh\n"+
			"dave:x:%d:%d::/auto/dave:/bin/sh\nerin:x:%d:%d::/home/erin:/bin/sh\nfrank:x:%d:%d::/net:/bin/sh\n",
			me, me, me, me, me, me, me, me, me, me),
		"proc/1/mountinfo": "20 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n" +
			"30 20 0:50 / /nfs/carol rw,relatime - nfs4 srv:/home/carol rw,vers=4.2\n" +
			"31 20 0:51 / /auto rw,relatime - autofs /etc/auto.home rw,fd=7,pgrp=1,timeout=300,minproto=5,maxproto=5,indirect\n" +
			"32 20 0:52 / /home/erin rw,nosuid,nodev - fuse.sshfs erin@box:/ rw,user_id=1000\n" +
			"33 20 0:53 / /net/elsewhere rw - nfs4 srv:/x rw\n",
	}
	for _, home := range []string{"home/alice", "nfs/carol", "auto/dave", "home/erin", "net"} {
		g := home + "/.local/share/containers/storage/"
		tree[g+"overlay/"+l1+"/diff/f"] = strings.Repeat("f", 5000)
		tree[g+"overlay-layers/layers.json"] = `[{"id":"` + l1 + `"}]`
		tree[g+"overlay-containers/containers.json"] = `[{"id":"` + ct + `","names":["job"],"layer":"` + l1 + `"}]`
	}
	root := hostfstest.New(t, tree)
	for _, home := range []string{"home/alice", "nfs/carol", "auto/dave", "home/erin", "net"} {
		if err := os.Lchown(root.Host("/"+home+"/.local/share/containers/storage"), me, me); err != nil {
			t.Fatal(err)
		}
	}
	s := openFixture(t, root)
	_, roots, err := s.DuAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var users []string
	for _, r := range roots {
		users = append(users, r.User)
	}
	slices.Sort(users)
	if want := []string{"alice", "frank"}; !slices.Equal(users, want) {
		t.Errorf("stores of %q read; want %q only", users, want)
	}
	w := strings.Join(s.Warnings(), "\n")
	for _, want := range []string{
		"1 users' stores not read: their homes are automount points not mounted now",
		"1 users' stores not read: they are on nfs4, a network or FUSE filesystem",
		"1 users' stores not read: they are on fuse.sshfs",
	} {
		if !strings.Contains(w, want) {
			t.Errorf("warnings lack %q:\n%s", want, w)
		}
	}
}

// TestRootlessStoreKernel: a rootless store whose writable layer a real
// unprivileged overlay mount wrote (userxattr, in a user namespace, as
// rootless Podman mounts): the kernel's whiteout for a deleted file, an
// opaque dir marked user.overlay.opaque, a copied-up file. ctx, as root,
// counts them in the user.* namespace: the hidden bytes are the lower
// files those hide, and the writable layer's disk bytes are du's.
func TestRootlessStoreKernel(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	for _, tool := range []string{"setpriv", "unshare", "du"} {
		hostfstest.RequireTool(t, "privileged", tool)
	}
	const uid = 4242
	l1, l2, ct := strings.Repeat("1", 64), strings.Repeat("2", 64), strings.Repeat("3", 64)
	g := "home/alice/.local/share/containers/storage/"
	root := hostfstest.New(t, map[string]string{
		"etc/passwd": fmt.Sprintf("alice:x:%d:%d::/home/alice:/bin/sh\n", uid, uid),
		g + "overlay/" + l1 + "/diff/data/old.bin": strings.Repeat("o", 50_000),
		g + "overlay/" + l1 + "/diff/dir/sub/x":    strings.Repeat("x", 3000),
		g + "overlay/" + l1 + "/diff/keep":         strings.Repeat("k", 7000),
		g + "overlay/" + l2 + "/diff/":             "",
		g + "overlay/" + l2 + "/work/":             "",
		g + "overlay/" + l2 + "/merged/":           "",
		g + "overlay-layers/layers.json":           `[{"id":"` + l1 + `"},{"id":"` + l2 + `","parent":"` + l1 + `"}]`,
		g + "overlay-containers/containers.json":   `[{"id":"` + ct + `","names":["app"],"layer":"` + l2 + `"}]`,
	})
	host := root.Host
	// The user must reach the store: the test's temp dirs are root's, 0700.
	for _, d := range []string{path.Dir(host("/")), host("/"), host("/home"), host("/home/alice")} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	store := host("/" + g)
	if err := filepath.WalkDir(store, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, uid)
	}); err != nil {
		t.Fatal(err)
	}
	lower, upper := path.Join(store, "overlay", l1, "diff"), path.Join(store, "overlay", l2, "diff")
	m := path.Join(store, "overlay", l2, "merged")
	script := fmt.Sprintf("mount -t overlay overlay -o lowerdir=%s,upperdir=%s,workdir=%s,userxattr %s && cd %s && "+
		"rm data/old.bin && rm -rf dir && mkdir dir && echo n > dir/n && echo more >> keep && echo hi > new",
		lower, upper, path.Join(store, "overlay", l2, "work"), m, m)
	cmd := exec.Command("setpriv", "--reuid", fmt.Sprint(uid), "--regid", fmt.Sprint(uid), "--clear-groups", "unshare", "-Urm", "sh", "-c", script)
	if out, err := cmd.CombinedOutput(); err != nil {
		hostfstest.Gate(t, fmt.Sprintf("privileged: an unprivileged overlay mount in a user namespace failed: %v: %s", err, out))
	}

	s := openFixture(t, root)
	rep, _, err := s.DuAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Containers) != 1 || rep.Containers[0].Label != "podman:app (alice)" {
		t.Fatalf("containers %+v; want alice's app", rep.Containers)
	}
	c := rep.Containers[0]
	wantHidden := sizeSum(t, path.Join(lower, "data/old.bin"), path.Join(lower, "dir"), path.Join(lower, "keep"))
	if got := c.Stack.Layers[0].Hides; got != wantHidden {
		t.Errorf("hidden %+v; want %+v (old.bin deleted, dir made opaque, keep copied up)", got, wantHidden)
	}
	if u := c.Stack.Layers[0].Usage; u == nil || u.Whiteouts != 1 || u.OpaqueDirs != 1 {
		t.Errorf("writable layer %+v; want 1 whiteout and 1 opaque dir", u)
	}
	if want := duBytes(t, upper)[0]; c.Writable.Disk != want {
		t.Errorf("writable %d disk bytes; du says %d", c.Writable.Disk, want)
	}
}
