package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/ctx-tools/ctx/cmd/internal/iostreams"
	"github.com/ctx-tools/ctx/inspect"
	"github.com/ctx-tools/ctx/inspect/hostfs"
	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
	"github.com/ctx-tools/ctx/layers"
)

// fakeLayers is a layersSource with fixed numbers, so golden files do not
// depend on the filesystem the tests run on.
type fakeLayers struct {
	openErr    error
	resolveErr error
	rep        *layers.Report
	roots      []layers.StorageRoot
	stack      *layers.Stack
	diff       *layers.DiffReport
	which      *layers.WhichReport
	orphans    *layers.OrphanReport
	warnings   []string
	resolved   []string
}

func (f *fakeLayers) Resolve(spec string) (*layers.Target, error) {
	f.resolved = append(f.resolved, spec)
	if f.resolveErr != nil {
		return nil, f.resolveErr
	}
	return &layers.Target{Kind: "container", Container: &inspect.Container{Runtime: "docker", ID: strings.Repeat("ab", 32), Name: spec}}, nil
}
func (f *fakeLayers) Du(context.Context, []*layers.Target) (*layers.Report, error) { return f.rep, nil }
func (f *fakeLayers) DuAll(context.Context) (*layers.Report, []layers.StorageRoot, error) {
	return f.rep, f.roots, nil
}
func (f *fakeLayers) Stack(context.Context, *layers.Target) (*layers.Stack, error) {
	return f.stack, nil
}
func (f *fakeLayers) Diff(context.Context, *layers.Target) (*layers.DiffReport, error) {
	return f.diff, nil
}
func (f *fakeLayers) Which(context.Context, *layers.Target, string) (*layers.WhichReport, error) {
	return f.which, nil
}
func (f *fakeLayers) Orphans(context.Context, time.Time) (*layers.OrphanReport, error) {
	return f.orphans, nil
}
func (f *fakeLayers) Warnings() []string { return f.warnings }

func sz(d, a int64) layers.Sizes { return layers.Sizes{Disk: d, Apparent: a} }

func int64p(n int64) *int64 { return &n }

// fakeStack is a container's stack: upper, init, two image layers.
func fakeStack() *layers.Stack {
	mk := func(id, role string, u layers.Usage, hides, hidden layers.Sizes) layers.StackLayer {
		return layers.StackLayer{Layer: layers.Layer{ID: id, Store: "docker", Dir: "/var/lib/docker/overlay2/" + id + "/diff", Usage: &u},
			Role: role, Hides: hides, Hidden: hidden}
	}
	up := mk(strings.Repeat("c", 64), layers.RoleUpper, layers.Usage{Sizes: sz(9355264, 61775750), Inodes: 7, Files: 5, Dirs: 2, Whiteouts: 1, Sparse: 1},
		sz(8192, 5000), layers.Sizes{})
	up.TopFiles = []layers.File{
		{Path: "/data/sparse", Type: "file", Sizes: sz(1052672, 52428800)},
		{Path: "/data/esc\x1b[31mred", Type: "file", Sizes: sz(8192, 8000)},
		{Path: "/data/new\nline", Type: "file", Sizes: sz(4096, 10), Links: 2},
	}
	in := mk(strings.Repeat("c", 64)+"-init", layers.RoleInit, layers.Usage{Sizes: sz(20480, 12), Inodes: 11}, layers.Sizes{}, layers.Sizes{})
	i2 := mk(strings.Repeat("2", 64), layers.RoleImage, layers.Usage{Sizes: sz(12288, 3050), Inodes: 4}, sz(12288, 11000), sz(8192, 5000))
	i2.DiffID, i2.ChainID = "sha256:"+strings.Repeat("b", 64), "sha256:"+strings.Repeat("9", 64)
	i1 := mk(strings.Repeat("1", 64), layers.RoleImage, layers.Usage{Sizes: sz(2023424, 1984241), Inodes: 279, Symlinks: 268}, layers.Sizes{}, sz(12288, 11000))
	i1.DiffID, i1.ChainID, i1.StoredSize = "sha256:"+strings.Repeat("a", 64), "sha256:"+strings.Repeat("a", 64), int64p(1984241)
	return &layers.Stack{Layers: []layers.StackLayer{up, in, i2, i1}, Source: "layerdb", XattrNamespace: "trusted.overlay.",
		Hidden: sz(20480, 16000)}
}

func fakeReport() *layers.Report {
	st := fakeStack()
	c := &layers.ContainerUsage{Label: "docker:web-1", Container: &inspect.Container{Runtime: "docker", ID: strings.Repeat("ab", 32), Name: "web-1", Image: "app:1"},
		Stack: st, Writable: sz(9355264, 61775750), Init: sz(20480, 12), ImageUnique: sz(12288, 3050), ImageShared: sz(2023424, 1984241),
		Hidden: st.Hidden, Whiteouts: 1, TopFiles: st.Layers[0].TopFiles,
		Logs: []layers.File{{Path: "/var/lib/docker/containers/x/x-json.log", Type: "file", Sizes: sz(12288, 10200)}}, LogBytes: sz(12288, 10200),
		Volumes:          []layers.Volume{{Name: "v1", Source: "/var/lib/docker/volumes/v1/_data", Destination: "/data", Usage: &layers.Usage{Sizes: sz(8192, 2000)}}},
		VolumeBytes:      sz(8192, 2000),
		DeletedOpen:      []layers.OpenFile{{PID: 4242, FD: 3, Path: "/held", Sizes: sz(7340032, 7340032), MountID: 1000, MountPoint: "/"}},
		DeletedOpenBytes: sz(7340032, 7340032)}
	c.Total = sz(9355264+20480+12288+2023424+12288+8192+7340032, 0)
	c.FreedIfRemoved = sz(9355264+20480+12288+7340032, 0)
	im := &layers.ImageUsage{Image: &layers.Image{ID: "sha256:" + strings.Repeat("e", 64), Names: []string{"app:1"}, Store: "docker"},
		Stack: &layers.Stack{Layers: st.Layers[2:]}, Size: sz(2035712, 1987291), Unique: sz(12288, 3050), Shared: sz(2023424, 1984241),
		Hidden: sz(12288, 11000), Containers: 1}
	var lus []*layers.LayerUsage
	for i, l := range st.Layers {
		kind := "image"
		if i < 2 {
			kind = "container"
		}
		lus = append(lus, &layers.LayerUsage{Layer: l.Layer, Kind: kind, Hides: l.Hides, Images: []string{}, Containers: []string{"docker:web-1"}})
	}
	return &layers.Report{Containers: []*layers.ContainerUsage{c}, Images: []*layers.ImageUsage{im}, Layers: lus,
		Total: sz(18772480, 70000000)}
}

func fakeAll() (*layers.Report, []layers.StorageRoot) {
	rep := fakeReport()
	rep.Areas = []*layers.Area{
		{Root: "/var/lib/docker", Name: "container layers", Sizes: sz(9375744, 61775762), Inodes: 18, Dirs: 2},
		{Root: "/var/lib/docker", Name: "image layers", Sizes: sz(2035712, 1987291), Inodes: 283, Dirs: 2},
		{Root: "/var/lib/docker", Name: "overlay internal", Sizes: sz(40960, 300), Inodes: 10},
		{Root: "/var/lib/docker", Name: "container logs", Sizes: sz(12288, 10200), Inodes: 1},
		{Root: "-", Name: "deleted, still open", Sizes: sz(7340032, 7340032), Inodes: 1},
	}
	roots := []layers.StorageRoot{{Dir: "/var/lib/docker", Store: "docker", Total: sz(11464704, 63773553)}}
	return rep, roots
}

// runLayers runs one layers subcommand with the fake behind it, through
// the root command's error handling, and returns exit code and streams.
func runLayers(t *testing.T, fake *fakeLayers, tty bool, args ...string) (ExitCode, string, string) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	ios.SetStdoutTTY(tty)
	f := NewFactory(ios, func(string) string { return "" })
	f.Host = func() (hostfs.Root, error) { return hostfs.Root{}, nil }
	root := NewRootCmd(f)
	// Swap the layers command for one whose subcommands use the fake.
	for _, c := range root.Commands() {
		if c.Name() == "layers" {
			root.RemoveCommand(c)
		}
	}
	inject := func(run func(context.Context, *layersOptions) error) func(context.Context, *layersOptions) error {
		return func(ctx context.Context, o *layersOptions) error {
			o.open = func(hostfs.Root, layers.Options) (layersSource, error) {
				if fake.openErr != nil {
					return nil, fake.openErr
				}
				return fake, nil
			}
			o.now = func() time.Time { return time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC) }
			return run(ctx, o)
		}
	}
	lc := &cobra.Command{Use: "layers"}
	lc.AddCommand(newCmdLayersDu(f, inject(runLayersDu)), newCmdLayersLs(f, inject(runLayersLs)),
		newCmdLayersDiff(f, inject(runLayersDiff)), newCmdLayersWhich(f, inject(runLayersWhich)),
		newCmdLayersOrphans(f, inject(runLayersOrphans)))
	root.AddCommand(lc)
	code := run(context.Background(), f, root, append([]string{"layers"}, args...))
	return code, out.String(), errOut.String()
}

func TestNewCmdLayersDu(t *testing.T) {
	tests := []struct {
		args    []string
		targets []string
		all     bool
		by      string
		top     int
		wantErr bool
	}{
		{args: []string{"web-1"}, targets: []string{"web-1"}, top: 5},
		{args: []string{"a", "b", "--top", "10", "--by", "layer"}, targets: []string{"a", "b"}, by: "layer", top: 10},
		{args: []string{"--all", "--by", "image"}, all: true, by: "image", top: 5},
		{args: nil, wantErr: true},
		{args: []string{"a", "--all"}, wantErr: true},
		{args: []string{"--all", "--by", "pod"}, wantErr: true},
		{args: []string{"--all", "--top", "-1"}, wantErr: true},
	}
	for _, tt := range tests {
		got := parseArgs(t, tt.args, tt.wantErr, newCmdLayersDu)
		if got == nil {
			continue
		}
		if strings.Join(got.Targets, ",") != strings.Join(tt.targets, ",") || got.All != tt.all || got.By != tt.by || got.Top != tt.top {
			t.Errorf("%v: options %+v", tt.args, *got)
		}
	}
}

func TestNewCmdLayersArgs(t *testing.T) {
	tests := []struct {
		args []string
		ok   bool
	}{
		{[]string{"ls", "web-1"}, true},
		{[]string{"ls"}, false},
		{[]string{"diff", "web-1"}, true},
		{[]string{"diff", "a", "b"}, false},
		{[]string{"which", "web-1", "/etc/passwd"}, true},
		{[]string{"which", "web-1"}, false},
		{[]string{"orphans"}, true},
		{[]string{"orphans", "x"}, false},
	}
	for _, tt := range tests {
		fake := &fakeLayers{stack: fakeStack(), diff: &layers.DiffReport{}, which: &layers.WhichReport{Provider: -1},
			orphans: &layers.OrphanReport{}}
		code, _, errOut := runLayers(t, fake, false, tt.args...)
		if (code == ExitOK) != tt.ok || (!tt.ok && code != ExitUsage) {
			t.Errorf("ctx layers %v: exit %d (%s)", tt.args, code, errOut)
		}
	}
}

func TestRunLayersDu(t *testing.T) {
	fake := &fakeLayers{rep: fakeReport(), warnings: []string{"DEGRADED: test warning"}}
	code, out, errOut := runLayers(t, fake, false, "du", "web-1")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	golden(t, "TestRunLayersDu_container", []byte(out))
	if strings.Contains(out, "\x1b") || !strings.Contains(out, `esc\x1b[31mred`) || !strings.Contains(out, `new\nline`) {
		t.Errorf("hostile file names not escaped:\n%q", out)
	}
	if !strings.Contains(errOut, "warning: DEGRADED") {
		t.Errorf("stderr %q; want the warning", errOut)
	}
	if fake.resolved[0] != "web-1" {
		t.Errorf("resolved %v", fake.resolved)
	}
	code, out, _ = runLayers(t, fake, false, "du", "web-1", "-o", "wide", "--top", "1")
	if code != ExitOK {
		t.Fatal(code)
	}
	golden(t, "TestRunLayersDu_wide", []byte(out))
	code, out, _ = runLayers(t, fake, true, "du", "web-1", "--no-headers")
	if code != ExitOK {
		t.Fatal(code)
	}
	golden(t, "TestRunLayersDu_tty", []byte(out))
}

func TestRunLayersDuAll(t *testing.T) {
	rep, roots := fakeAll()
	fake := &fakeLayers{rep: rep, roots: roots}
	for _, by := range []string{"container", "image", "layer"} {
		code, out, errOut := runLayers(t, fake, false, "du", "--all", "--by", by)
		if code != ExitOK {
			t.Fatalf("--by %s: exit %d: %s", by, code, errOut)
		}
		golden(t, "TestRunLayersDuAll_"+by, []byte(out))
		if strings.Contains(out, "layer cache") {
			t.Errorf("--by %s: a cache note with no layer from the cache:\n%s", by, out)
		}
	}
	// With --cache, the text says how many layers were not walked.
	rep.Layers = []*layers.LayerUsage{
		{Layer: layers.Layer{ID: "1", Usage: &layers.Usage{Cached: true}}},
		{Layer: layers.Layer{ID: "2", Usage: &layers.Usage{Cached: true}}},
		{Layer: layers.Layer{ID: "3", Usage: &layers.Usage{}}},
	}
	_, out, _ := runLayers(t, fake, false, "du", "--all")
	if !strings.Contains(out, "\n2 image layers sized from the layer cache (--cache), not walked\n") {
		t.Errorf("no note of the 2 cached layers:\n%s", out)
	}
	// Without it, a walk mostly of image layers suggests it; a small or
	// mostly writable one does not.
	for _, tc := range []struct {
		img, ctr int64
		hint     bool
	}{{60_000, 1_000, true}, {60_000, 70_000, false}, {40_000, 100, false}} {
		rep.Layers = []*layers.LayerUsage{
			{Kind: "image", Layer: layers.Layer{ID: "1", Usage: &layers.Usage{Inodes: tc.img}}},
			{Kind: "container", Layer: layers.Layer{ID: "2", Usage: &layers.Usage{Inodes: tc.ctr}}},
		}
		_, out, _ := runLayers(t, fake, false, "du", "--all")
		want := fmt.Sprintf("\n%d of the %d inodes walked are in image layers, which engines never change: --cache keeps their sizes between runs\n", tc.img, tc.img+tc.ctr)
		if strings.Contains(out, want) != tc.hint || !tc.hint && strings.Contains(out, "--cache keeps") {
			t.Errorf("image %d, container %d inodes: hint %v wanted, output:\n%s", tc.img, tc.ctr, tc.hint, out)
		}
	}
}

func TestRunLayersJSON(t *testing.T) {
	rep, roots := fakeAll()
	rep.Containers[0].TopFiles = append(rep.Containers[0].TopFiles, layers.File{Path: "/bad\xff", PathRaw: []byte("/bad\xff"), Type: "file"})
	fake := &fakeLayers{rep: rep, roots: roots}
	code, out, _ := runLayers(t, fake, false, "du", "--all", "-o", "json")
	if code != ExitOK {
		t.Fatal(code)
	}
	var doc struct {
		SchemaVersion int    `json:"schemaVersion"`
		Kind          string `json:"kind"`
		Item          struct {
			Containers []struct {
				Writable layers.Sizes  `json:"writable"`
				TopFiles []layers.File `json:"topFiles"`
			} `json:"containers"`
			Areas []layers.Area        `json:"areas"`
			Roots []layers.StorageRoot `json:"roots"`
			Total layers.Sizes         `json:"total"`
		} `json:"item"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	it := doc.Item
	if doc.Kind != "LayerUsage" || len(it.Containers) != 1 || it.Containers[0].Writable.Apparent != 61775750 ||
		len(it.Areas) != 5 || len(it.Roots) != 1 || it.Total.Disk != 18772480 {
		t.Errorf("decoded %+v", doc)
	}
	last := it.Containers[0].TopFiles[len(it.Containers[0].TopFiles)-1]
	if string(last.PathRaw) != "/bad\xff" {
		t.Errorf("pathRaw %q; want the exact bytes", last.PathRaw)
	}
}

func TestRunLayersLs(t *testing.T) {
	fake := &fakeLayers{stack: fakeStack()}
	code, out, errOut := runLayers(t, fake, false, "ls", "web-1")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	golden(t, "TestRunLayersLs", []byte(out))
	code, out, _ = runLayers(t, fake, false, "ls", "web-1", "-o", "wide")
	if code != ExitOK {
		t.Fatal(code)
	}
	golden(t, "TestRunLayersLs_wide", []byte(out))
}

func TestRunLayersDiff(t *testing.T) {
	d := &layers.DiffReport{Upper: "/var/lib/docker/overlay2/cc/diff", Changes: []*layers.Change{
		{Kind: "C", File: layers.File{Path: "/data", Type: "dir"}},
		{Kind: "A", File: layers.File{Path: "/data/sparse", Type: "file", Sizes: sz(1052672, 52428800)}},
		{Kind: "C", File: layers.File{Path: "/etc/passwd", Type: "file", Sizes: sz(4096, 84)}, Hidden: sz(4096, 80)},
		{Kind: "D", File: layers.File{Path: "/old\x1b]0;pwned\x07", Type: "dir"}, Hidden: sz(1064960, 1048600)},
	}, Added: sz(1052672, 52428800), Changed: sz(4096, 84), Replaced: sz(4096, 80), Deleted: sz(1064960, 1048600)}
	code, out, errOut := runLayers(t, &fakeLayers{diff: d}, false, "diff", "web-1")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	golden(t, "TestRunLayersDiff", []byte(out))
	if strings.Contains(out, "\x1b") || strings.Contains(out, "\x07") {
		t.Errorf("control characters reached the output:\n%q", out)
	}
}

func TestRunLayersWhich(t *testing.T) {
	w := &layers.WhichReport{Path: "/etc/conf", Provider: 2, Hidden: sz(8192, 6000), Copies: []layers.Copy{
		{Layer: 2, ID: strings.Repeat("2", 64), Role: "image", Dir: "/d2", Type: "file", Sizes: sz(4096, 50), State: layers.CopyVisible, HiddenBy: -1},
		{Layer: 3, ID: strings.Repeat("1", 64), Role: "image", Dir: "/d1", Type: "file", Sizes: sz(8192, 6000), State: layers.CopyHidden, HiddenBy: 2},
	}}
	code, out, errOut := runLayers(t, &fakeLayers{which: w}, false, "which", "web-1", "/etc/conf")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	golden(t, "TestRunLayersWhich", []byte(out))
	gone := &layers.WhichReport{Path: "/bin/ls", Provider: -1, Reason: "deleted by a whiteout in layer 0", Copies: []layers.Copy{
		{Layer: 0, ID: "cc", Role: "upper", Type: "whiteout", State: layers.CopyWhiteout, HiddenBy: -1},
		{Layer: 3, ID: "11", Role: "image", Type: "symlink", Target: "busybox", Sizes: sz(0, 7), State: layers.CopyHidden, HiddenBy: 0},
	}}
	code, out, _ = runLayers(t, &fakeLayers{which: gone}, false, "which", "web-1", "/bin/ls")
	if code != ExitOK {
		t.Fatal(code)
	}
	golden(t, "TestRunLayersWhich_deleted", []byte(out))
	// A copy found through a redirected directory says where it is.
	moved := &layers.WhichReport{Path: "/c/f", Provider: 1, Copies: []layers.Copy{
		{Layer: 1, ID: "11", Role: "lower", Dir: "/d1", Path: "/a/b/f", Type: "file", Sizes: sz(4096, 10), State: layers.CopyVisible, HiddenBy: -1},
	}}
	_, out, _ = runLayers(t, &fakeLayers{which: moved}, false, "which", "web-1", "/c/f")
	if !strings.HasPrefix(out, "/c/f: layer 1 (lower 11) at /a/b/f;") || !strings.Contains(out, "file at /a/b/f") {
		t.Errorf("the copy's path in its layer is not shown:\n%s", out)
	}
}

func TestRunLayersOrphans(t *testing.T) {
	mod := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	or := &layers.OrphanReport{
		Orphans: []*layers.Orphan{
			{Store: "docker", ID: strings.Repeat("0", 64), Dir: "/var/lib/docker/overlay2/000", Modified: mod, Usage: &layers.Usage{Sizes: sz(12288, 7000)}},
			{Store: "docker", ID: strings.Repeat("3", 64), Dir: "/var/lib/docker/overlay2/333", Modified: mod.Add(720 * time.Hour), Recent: true, Usage: &layers.Usage{Sizes: sz(4096, 10)}},
		},
		BuildCache:    []*layers.Orphan{{Store: "docker", ID: "bkw3kx1ok9vq2c6a7m0n4p5r8", Dir: "/var/lib/docker/overlay2/bk", Modified: mod, Usage: &layers.Usage{Sizes: sz(8192, 100)}}},
		DanglingLinks: []string{"/var/lib/docker/overlay2/l/ZZZZZZZZZZZZZZZZZZZZZZZZZZ"},
		Total:         sz(16384, 7010), Checked: []string{"/var/lib/docker/overlay2"},
	}
	code, out, errOut := runLayers(t, &fakeLayers{orphans: or}, false, "orphans")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	golden(t, "TestRunLayersOrphans", []byte(out))
}

func TestRunLayersErrors(t *testing.T) {
	priv := &layers.PrivilegeError{Path: "/var/lib/docker/overlay2", Missing: "root (CAP_DAC_READ_SEARCH)", Err: fs.ErrPermission}
	tests := []struct {
		fake *fakeLayers
		args []string
		code ExitCode
		msg  string
	}{
		{&fakeLayers{openErr: priv}, []string{"du", "--all"}, ExitPermission, "needs root (CAP_DAC_READ_SEARCH)"},
		{&fakeLayers{resolveErr: fmt.Errorf("%w: no process, container or namespace matches %q", inspect.ErrNotFound, "nope")},
			[]string{"ls", "nope"}, ExitError, "no process, container or namespace"},
		{&fakeLayers{}, []string{"du"}, ExitUsage, "TARGET"},
		{&fakeLayers{}, []string{"du", "--all", "-o", "yaml"}, ExitUsage, "yaml"},
	}
	for _, tt := range tests {
		code, _, errOut := runLayers(t, tt.fake, false, tt.args...)
		if code != tt.code || !strings.Contains(errOut, tt.msg) {
			t.Errorf("ctx layers %v: exit %d, stderr %q; want %d and %q", tt.args, code, errOut, tt.code, tt.msg)
		}
	}
	// --strict turns an incomplete walk into exit 8.
	rep := fakeReport()
	rep.Containers[0].Stack.Layers[0].Usage.Incomplete = true
	rep.Containers[0].Stack.Layers[0].Usage.Errors = []string{"/x: permission denied"}
	code, _, errOut := runLayers(t, &fakeLayers{rep: rep}, false, "du", "web-1", "--strict")
	if code != ExitPartial || !strings.Contains(errOut, "incomplete") {
		t.Errorf("incomplete with --strict: exit %d, stderr %q; want 8", code, errOut)
	}
}

// TestRunLayersRealWalk runs ctx layers du through the real walker on a
// fixture host: PID 4242's root is an overlay of two dirs holding hostile
// names; the table escapes them.
func TestRunLayersRealWalk(t *testing.T) {
	root := hostfstest.New(t, map[string]string{
		"layers/up/esc\x1b[31mred":   strings.Repeat("x", 9000),
		"layers/up/new\nline":        strings.Repeat("y", 5000),
		"layers/up/bad\xffname":      strings.Repeat("z", 7000),
		"layers/up/escape":           "-> /",
		"layers/low/etc/passwd":      "root:x:0:0::/root:/bin/sh\n",
		"proc/4242/cgroup":           "0::/\n",
		"proc/4242/mountinfo":        "1000 900 0:55 / / rw - overlay overlay rw,lowerdir=/layers/low,upperdir=/layers/up,workdir=/layers/work\n",
		"layers/work/":               "",
		"var/lib/docker/overlay2/l/": "",
	})
	if err := os.Chmod(filepath.Join(root.Prefix(), "layers"), 0o755); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, root, "layers", "du", "4242", "--top", "3")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if strings.Contains(out, "\x1b") || !strings.Contains(out, `/esc\x1b[31mred`) || !strings.Contains(out, `/new\nline`) ||
		!strings.Contains(out, `/bad\xffname`) {
		t.Errorf("names not escaped:\n%s", out)
	}
	if !strings.Contains(out, "pid 4242") {
		t.Errorf("the target is named by its PID:\n%s", out)
	}
	code, out, _ = runCLI(t, root, "layers", "which", "4242", "/etc/passwd")
	if code != ExitOK || !strings.Contains(out, "/etc/passwd: layer 1 (lower") {
		t.Errorf("which: exit %d\n%s", code, out)
	}
}

// TestLayersCacheFlag: --cache hands package layers a cache dir from
// $CTX_CACHE_DIR, $XDG_CACHE_HOME or $HOME, and without --cache none, so
// nothing is written.
func TestLayersCacheFlag(t *testing.T) {
	tests := []struct {
		args []string
		env  map[string]string
		want string
		err  bool
	}{
		{args: []string{"--all"}, env: map[string]string{"CTX_CACHE_DIR": "/c", "HOME": "/h"}, want: ""},
		{args: []string{"--all", "--cache"}, env: map[string]string{"CTX_CACHE_DIR": "/c", "XDG_CACHE_HOME": "/x", "HOME": "/h"}, want: "/c"},
		{args: []string{"--all", "--cache"}, env: map[string]string{"XDG_CACHE_HOME": "/x", "HOME": "/h"}, want: "/x/ctx"},
		{args: []string{"--all", "--cache"}, env: map[string]string{"HOME": "/h"}, want: "/h/.cache/ctx"},
		{args: []string{"--all", "--cache"}, env: map[string]string{}, err: true},
	}
	for _, tt := range tests {
		ios, _, _, _ := iostreams.Test()
		f := NewFactory(ios, func(k string) string { return tt.env[k] })
		f.Host = func() (hostfs.Root, error) { return hostfs.Root{}, nil }
		got := "unset"
		cmd := newCmdLayersDu(f, func(ctx context.Context, o *layersOptions) error {
			o.open = func(_ hostfs.Root, lo layers.Options) (layersSource, error) {
				got = lo.CacheDir
				return &fakeLayers{}, nil
			}
			_, _, _, done, err := o.source(ctx)
			if err == nil {
				done()
			}
			return err
		})
		cmd.SetArgs(tt.args)
		cmd.SetOut(ios.Out)
		cmd.SetErr(ios.ErrOut)
		err := cmd.Execute()
		if (err != nil) != tt.err || (!tt.err && got != tt.want) {
			t.Errorf("%v with %v: cache dir %q, error %v; want %q", tt.args, tt.env, got, err, tt.want)
		}
	}
}

func TestLayerName(t *testing.T) {
	d, c := "sha256:"+strings.Repeat("a", 64), "sha256:"+strings.Repeat("b", 64)
	tests := []struct {
		l    layers.Layer
		want string
	}{
		{layers.Layer{DiffID: d, ChainID: c}, "aaaaaaaaaaaa (chain bbbbbbbbbbbb)"},
		{layers.Layer{DiffID: d, ChainID: d}, "aaaaaaaaaaaa"},
		{layers.Layer{ChainID: c}, "chain bbbbbbbbbbbb"},
		{layers.Layer{SnapshotKey: "k8s.io/extract-12-sha256:ab"}, "key k8s.io/extract-12-sha256:ab"},
		{layers.Layer{}, ""},
	}
	for _, tt := range tests {
		if got := layerName(tt.l); got != tt.want {
			t.Errorf("layerName(%+v) = %q; want %q", tt.l, got, tt.want)
		}
	}
}

// TestLayersDuGates: --max-hidden and --max-writable print the report,
// name each target over a limit on stderr and exit 3; within the limits
// exit 0; a bad size is a usage error.
func TestLayersDuGates(t *testing.T) {
	tests := []struct {
		args   []string
		code   ExitCode
		stderr string
	}{
		{[]string{"--max-hidden", "16k"}, ExitFindings, "docker:web-1: hides 20.0KiB on disk, over --max-hidden 16.0KiB\n"},
		{[]string{"--max-writable", "8m"}, ExitFindings, "docker:web-1: writable layer 8.9MiB on disk, over --max-writable 8.0MiB\n"},
		{[]string{"--max-hidden", "1m", "--max-writable", "100m"}, ExitOK, ""},
		{[]string{"--max-hidden", "20k"}, ExitOK, ""}, // at the limit is within it
		{[]string{"--max-hidden", "12x"}, ExitUsage, `invalid --max-hidden "12x"`},
	}
	for _, tt := range tests {
		fake := &fakeLayers{rep: fakeReport()}
		code, out, errOut := runLayers(t, fake, false, append([]string{"du", "web-1"}, tt.args...)...)
		if code != tt.code || !strings.Contains(errOut, tt.stderr) {
			t.Errorf("%v: exit %d, stderr %q; want %d, %q", tt.args, code, errOut, tt.code, tt.stderr)
		}
		if code != ExitUsage && !strings.Contains(out, "web-1") {
			t.Errorf("%v: no report on stdout:\n%s", tt.args, out)
		}
		if tt.code == ExitOK && errOut != "" && !strings.Contains(errOut, "warning") {
			t.Errorf("%v: stderr %q", tt.args, errOut)
		}
	}
}
