package inspect

import (
	"slices"
	"strings"
	"testing"

	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

func TestParseStorageConf(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     StorageConf
		err      string
	}{
		{name: "fedora-like", in: `# storage.conf
[storage]
driver = "overlay"
runroot = "/run/containers/storage"
graphroot = "/var/lib/containers/storage"
rootless_storage_path = "/scratch/$USER/containers"
[storage.options]
additionalimagestores = [
  "/usr/lib/containers/storage",
]
pull_options = {enable_partial_images = "true", use_hard_links = "false"}
[storage.options.overlay]
mountopt = "nodev,metacopy=on"
`, want: StorageConf{Driver: "overlay", RunRoot: "/run/containers/storage", GraphRoot: "/var/lib/containers/storage",
			RootlessPath: "/scratch/$USER/containers", MountOpt: "nodev,metacopy=on"}},
		{name: "quoting and comments", in: `[ storage ]
"graphroot" = '/data/c\s' # a literal string: no escapes
runroot = "/run/\u0063s"   # an escape
driver = """overlay"""
`, want: StorageConf{GraphRoot: `/data/c\s`, RunRoot: "/run/cs"}},
		{name: "generic options, overlay ones win", in: `[storage.options]
mount_program = "/usr/bin/fuse-overlayfs"
mountopt = "nodev"
[storage.options.overlay]
mountopt = "metacopy=on"
`, want: StorageConf{MountProgram: "/usr/bin/fuse-overlayfs", MountOpt: "metacopy=on"}},
		{name: "another table's keys", in: "[other]\ngraphroot = \"/x\"\n", want: StorageConf{}},
		{name: "relative graphroot", in: "[storage]\ngraphroot = \"data\"\n", err: "not an absolute path"},
		{name: "broken header", in: "[storage\ngraphroot = \"/x\"\n", err: "unterminated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStorageConf([]byte(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v; want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
	if !(StorageConf{MountOpt: "nodev, metacopy=on"}).Metacopy() || (StorageConf{MountOpt: "metacopy=off"}).Metacopy() {
		t.Error("Metacopy reads mountopt wrong")
	}
}

// TestContainersStorageFiles: /etc wins over /usr/share; neither gives the
// defaults; a broken file gives the defaults and an error.
func TestContainersStorageFiles(t *testing.T) {
	def := StorageConf{Driver: "overlay", GraphRoot: storageGraphRoot, RunRoot: storageRunRoot}
	for _, tc := range []struct {
		name  string
		tree  map[string]string
		want  StorageConf
		isErr bool
	}{
		{name: "none", tree: map[string]string{"etc/": ""}, want: def},
		{name: "etc wins", tree: map[string]string{
			"etc/containers/storage.conf":       "[storage]\ngraphroot = \"/a\"\n",
			"usr/share/containers/storage.conf": "[storage]\ngraphroot = \"/b\"\n",
		}, want: StorageConf{File: "/etc/containers/storage.conf", Driver: "overlay", GraphRoot: "/a", RunRoot: storageRunRoot}},
		{name: "usr/share", tree: map[string]string{"usr/share/containers/storage.conf": "[storage]\nrunroot = \"/r\"\n"},
			want: StorageConf{File: "/usr/share/containers/storage.conf", Driver: "overlay", GraphRoot: storageGraphRoot, RunRoot: "/r"}},
		{name: "broken", tree: map[string]string{"etc/containers/storage.conf": "[storage\n"}, want: def, isErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ContainersStorage(hostfstest.New(t, tc.tree))
			if got != tc.want || (err != nil) != tc.isErr {
				t.Errorf("got %+v, %v; want %+v (error: %v)", got, err, tc.want, tc.isErr)
			}
		})
	}
}

func TestContainerdRoot(t *testing.T) {
	for _, tc := range []struct {
		name, conf, want string
		isErr            bool
	}{
		{name: "no config", want: "/var/lib/containerd"},
		{name: "top-level root", conf: "version = 2\nroot = \"/data/containerd/\"\n[plugins.cri]\nroot = \"/x\"\n", want: "/data/containerd"},
		{name: "a plugin's root only", conf: "[plugins.\"io.containerd.grpc.v1.cri\"]\nroot = \"/x\"\n", want: "/var/lib/containerd"},
		{name: "relative", conf: "root = \"data\"\n", want: "/var/lib/containerd", isErr: true},
		{name: "broken", conf: "[plugins\n", want: "/var/lib/containerd", isErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tree := map[string]string{"etc/": ""}
			if tc.conf != "" {
				tree["etc/containerd/config.toml"] = tc.conf
			}
			root := hostfstest.New(t, tree)
			got, err := ContainerdRoot(root)
			if got != tc.want || (err != nil) != tc.isErr {
				t.Errorf("got %q, %v; want %q (error: %v)", got, err, tc.want, tc.isErr)
			}
			// The system containerd's root first, then k3s's and RKE2's.
			all, _ := ContainerdRoots(root)
			if want := []string{tc.want, "/var/lib/rancher/k3s/agent/containerd", "/var/lib/rancher/rke2/agent/containerd"}; !slices.Equal(all, want) {
				t.Errorf("ContainerdRoots = %q; want %q", all, want)
			}
		})
	}
}

// TestScanTOMLArrays: arrays of strings, on one line or many, with
// comments and brackets inside strings; arrays of anything else are
// skipped, and so is an array that never closes.
func TestScanTOMLArrays(t *testing.T) {
	in := `[crio]
one = [ "a", 'b' ] # comment
many = [
  "overlay.mountopt=nodev,metacopy=on", # a comment ] with a bracket
  "x]y",
]
empty = []
numbers = [1, 2]
after = "still read"
open = [ "never closed",
`
	got := map[string]tomlValue{}
	if err := scanTOML([]byte(in), func(table, key string, v tomlValue) { got[table+"."+key] = v }); err != nil {
		t.Fatal(err)
	}
	want := map[string]tomlValue{
		"crio.one":   {List: []string{"a", "b"}, IsList: true},
		"crio.many":  {List: []string{"overlay.mountopt=nodev,metacopy=on", "x]y"}, IsList: true},
		"crio.empty": {List: []string{}, IsList: true},
		"crio.after": {Str: "still read"},
	}
	if len(got) != len(want) {
		t.Errorf("keys %v; want %v", got, want)
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || g.Str != w.Str || g.IsList != w.IsList || !slices.Equal(g.List, w.List) {
			t.Errorf("%s = %+v; want %+v", k, g, w)
		}
	}
}

// TestContainersStorages: CRI-O's config moves its store: crio.conf, then
// the drop-ins in lexical order, each over the last; storage_option
// replaces the driver options only when it lists some; a broken drop-in
// is an error and changes nothing. Without CRI-O's config both entries
// are storage.conf's store.
func TestContainersStorages(t *testing.T) {
	base := StorageConf{File: "/etc/containers/storage.conf", Driver: "overlay", GraphRoot: "/var/lib/containers/storage", RunRoot: storageRunRoot, MountOpt: "nodev"}
	tree := map[string]string{
		"etc/containers/storage.conf": "[storage]\ngraphroot = \"/var/lib/containers/storage\"\n[storage.options.overlay]\nmountopt = \"nodev\"\n",
	}
	got, errs := ContainersStorages(hostfstest.New(t, tree))
	if len(errs) != 0 || len(got) != 2 || got[0] != base || got[1] != base {
		t.Fatalf("no CRI-O config: %+v, %v; want storage.conf's store twice", got, errs)
	}

	tree["etc/crio/crio.conf"] = "[crio]\nroot = \"/data/crio/storage\"\nrunroot = \"/run/crio\"\nstorage_option = []\n[crio.runtime]\nroot = \"/not/this\"\n"
	tree["etc/crio/crio.conf.d/10-moved.conf"] = "[crio]\nroot = \"/data/crio2/\"\n"
	tree["etc/crio/crio.conf.d/20-options.conf"] = "[crio]\nstorage_option = [\n  \"overlay.mountopt=nodev,metacopy=on\",\n  \".mount_program=/usr/bin/fuse-overlayfs\",\n]\n"
	tree["etc/crio/crio.conf.d/30-broken.conf"] = "[crio]\nroot = \"relative\"\n"
	tree["etc/crio/crio.conf.d/README"] = "[crio]\nroot = \"/not/a/drop-in\"\n"
	got, errs = ContainersStorages(hostfstest.New(t, tree))
	want := StorageConf{File: "/etc/crio/crio.conf.d/20-options.conf", Driver: "overlay", GraphRoot: "/data/crio2", RunRoot: "/run/crio",
		MountOpt: "nodev,metacopy=on", MountProgram: "/usr/bin/fuse-overlayfs"}
	if len(got) != 2 || got[0] != base || got[1] != want {
		t.Errorf("got %+v; want storage.conf's %+v, then CRI-O's %+v", got, base, want)
	}
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "30-broken.conf") || !strings.Contains(errs[0].Error(), "not an absolute path") {
		t.Errorf("errors %v; want one, for 30-broken.conf", errs)
	}
	if !got[1].Metacopy() {
		t.Error("CRI-O's storage_option mountopt does not turn metacopy on")
	}
}
