package layers

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestChainIDs(t *testing.T) {
	// ChainID(1) = DiffID(1); later ones hash "parent diff". The values are
	// docker's, for the two layers of an image built here.
	d1 := "sha256:be803628802a3316bd4f789070ff353a51375daec002e40688d1f2d96916b0a0"
	d2 := "sha256:797eaca5aecf3cb6b1d8d0a3d3a6d6e4f3c8e0c5f6c7c5b0f5b0d2f2b1e7c8f1"
	got := chainIDs([]string{d1, d2})
	if len(got) != 2 || got[0] != d1 || got[1] == d2 || !strings.HasPrefix(got[1], "sha256:") || len(got[1]) != 71 {
		t.Fatalf("chainIDs = %q", got)
	}
	if again := chainIDs([]string{d1, d2}); again[1] != got[1] {
		t.Errorf("chainIDs not deterministic: %q vs %q", again[1], got[1])
	}
	if chainIDs(nil) == nil || len(chainIDs(nil)) != 0 {
		t.Errorf("chainIDs(nil) = %v; want empty", chainIDs(nil))
	}
}

// TestParentChain: a store's parent links top first; a layer the source
// lacks, or a loop in the links (the files are data), ends the chain with
// an error and what was found.
func TestParentChain(t *testing.T) {
	parent := func(l *csLayer) string { return l.Parent }
	layers := map[string]*csLayer{
		"c": {ID: "c", Parent: "b"}, "b": {ID: "b", Parent: "a"}, "a": {ID: "a"},
		"x": {ID: "x", Parent: "gone"},
		"p": {ID: "p", Parent: "q"}, "q": {ID: "q", Parent: "p"},
	}
	ids := func(ls []*csLayer) (out []string) {
		for _, l := range ls {
			out = append(out, l.ID)
		}
		return out
	}
	if got, err := parentChain("c", "layers.json", layers, parent); err != nil || !reflect.DeepEqual(ids(got), []string{"c", "b", "a"}) {
		t.Errorf("chain of c: %v, %v; want c b a", ids(got), err)
	}
	got, err := parentChain("x", "layers.json", layers, parent)
	if err == nil || !strings.Contains(err.Error(), "missing from layers.json") || !reflect.DeepEqual(ids(got), []string{"x"}) {
		t.Errorf("chain of x: %v, %v; want x and a missing parent", ids(got), err)
	}
	got, err = parentChain("p", "layerdb", layers, parent)
	if err == nil || !strings.Contains(err.Error(), "layerdb parent chain loops") || len(got) != maxChain+1 {
		t.Errorf("chain of p: %d layers, %v; want a loop stopped after %d", len(got), err, maxChain)
	}
}

func TestParseImageConfig(t *testing.T) {
	ok := `{"architecture":"amd64","rootfs":{"type":"layers","diff_ids":["sha256:` + strings.Repeat("a", 64) + `"]}}`
	got, err := parseImageConfig([]byte(ok))
	if err != nil || len(got) != 1 {
		t.Fatalf("parseImageConfig = %q, %v", got, err)
	}
	for _, bad := range []string{`{`, `{"rootfs":{"diff_ids":["../../etc"]}}`, `{"rootfs":{"diff_ids":["sha256:xyz"]}}`} {
		if _, err := parseImageConfig([]byte(bad)); err == nil {
			t.Errorf("parseImageConfig(%s): no error", bad)
		}
	}
}

func TestParseRepositories(t *testing.T) {
	data := `{"Repositories":{"web":{"web:1":"sha256:aa","web@sha256:` + strings.Repeat("0", 64) + `":"sha256:aa","web:latest":"sha256:aa"},"db":{"db:2":"sha256:bb"}}}`
	got, err := parseRepositories([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"sha256:aa": {"web:1", "web:latest"}, "sha256:bb": {"db:2"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v; want %v", got, want)
	}
}

func TestParseDockerContainer(t *testing.T) {
	id := strings.Repeat("c", 64)
	data := `{"ID":"` + id + `","Name":"/web-1","Image":"sha256:aa","LogPath":"/var/lib/docker/containers/` + id + `/` + id + `-json.log",
	"State":{"Running":true,"Pid":4242},
	"MountPoints":{"/data":{"Source":"/var/lib/docker/volumes/v1/_data","Destination":"/data","Name":"v1","Driver":"local","Type":"volume"},
	"/etc/app":{"Source":"/srv/app","Destination":"/etc/app","Type":"bind"}}}`
	c, err := parseDockerContainer([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "web-1" || !c.Running || c.Pid != 4242 || len(c.Mounts) != 2 || c.Mounts[0].Destination != "/data" || c.Mounts[1].Type != "bind" {
		t.Errorf("parseDockerContainer = %+v", c)
	}
	if _, err := parseDockerContainer([]byte(`{"ID":"../x"}`)); err == nil {
		t.Error("a bad ID was accepted")
	}
}

func TestParseCSLayers(t *testing.T) {
	id := strings.Repeat("1", 64)
	got, err := parseCSLayers([]byte(`[{"id":"` + id + `","parent":"","diff-digest":"sha256:x","diff-size":10},{"id":"../../etc"},null]`))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != id || got[0].DiffSize == nil || *got[0].DiffSize != 10 {
		t.Errorf("parseCSLayers = %+v", got)
	}
}

func TestParseFDInfoMntID(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"pos:\t0\nflags:\t02100002\nmnt_id:\t1234\nino:\t55\n", 1234, true},
		{"pos:\t0\n", 0, false},
		{"mnt_id:\tx\n", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseFDInfoMntID([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseFDInfoMntID(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestResolveShortLink(t *testing.T) {
	id := strings.Repeat("a", 64)
	tests := []struct {
		target, want string
		ok           bool
	}{
		{"../" + id + "/diff", id, true},
		{"../" + id + "-init/diff", id + "-init", true},
		{"/etc/shadow", "", false},
		{"../" + id + "/../../../etc", "", false},
		{"../x/diff", "", false},
	}
	for _, tt := range tests {
		got, ok := resolveShortLink(tt.target)
		if got != tt.want || ok != tt.ok {
			t.Errorf("resolveShortLink(%q) = %q, %v; want %q, %v", tt.target, got, ok, tt.want, tt.ok)
		}
	}
}

func TestSizesSaturate(t *testing.T) {
	s := Sizes{Disk: math.MaxInt64 - 1, Apparent: 1}
	s.Add(Sizes{Disk: 10, Apparent: 2})
	if s.Disk != math.MaxInt64 || s.Apparent != 3 {
		t.Errorf("Add = %+v; want saturation at MaxInt64", s)
	}
	s.Sub(Sizes{Disk: math.MaxInt64, Apparent: 10})
	if s.Disk != 0 || s.Apparent != 0 {
		t.Errorf("Sub = %+v; want zeros, never negative", s)
	}
}

func TestNewFileRaw(t *testing.T) {
	if f := newFile("/ok", "file", Sizes{}, 1); f.PathRaw != nil || f.Links != 0 {
		t.Errorf("valid path: %+v", f)
	}
	bad := "/bad\xff"
	if f := newFile(bad, "file", Sizes{}, 3); string(f.PathRaw) != bad || f.Links != 3 {
		t.Errorf("invalid UTF-8: %+v", f)
	}
	if f := newFile("/w", "whiteout", Sizes{}, 5); f.Links != 0 {
		t.Errorf("a whiteout's nlink is the kernel's shared inode, not a link group: %+v", f)
	}
}

func TestTopFiles(t *testing.T) {
	var top topFiles
	calls := 0
	for i := 20; i >= 1; i-- { // largest first: only the first 3 make the list
		n := int64(i)
		top.add(3, Sizes{Disk: n * 4096, Apparent: n}, 1, func() string { calls++; return "/f" + strings.Repeat("x", i) })
	}
	// A sparse file counts by its apparent size.
	top.add(3, Sizes{Disk: 0, Apparent: 1 << 30}, 1, func() string { return "/sparse" })
	got := top.list()
	if len(got) != 3 || got[0].Path != "/sparse" || got[1].Disk != 20*4096 || got[2].Disk != 19*4096 {
		t.Errorf("top = %+v", got)
	}
	if calls != 3 {
		t.Errorf("path built %d times; want only for files that make the list", calls)
	}
}

func TestDiffFinish(t *testing.T) {
	d := &diffSink{}
	for _, c := range []*Change{
		{Kind: ChangeAdd, File: File{Path: "/a/b/c", Type: "file"}},
		{Kind: ChangeModify, File: File{Path: "/x/y", Type: "file"}},
		{Kind: ChangeDelete, File: File{Path: "/top", Type: "file"}},
		{Kind: ChangeAdd, File: File{Path: "/n", Type: "dir"}},
		{Kind: ChangeAdd, File: File{Path: "/n/m", Type: "file"}},
	} {
		d.add(c)
	}
	var got []string
	for _, c := range d.finish() {
		got = append(got, c.Kind+" "+c.Path)
	}
	want := []string{"C /a", "C /a/b", "A /a/b/c", "A /n", "A /n/m", "D /top", "C /x", "C /x/y"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("finish = %q; want %q (every changed dir up to, not including, /)", got, want)
	}
}

func TestIDShapes(t *testing.T) {
	hex := strings.Repeat("ab12", 16)
	for _, tt := range []struct {
		name string
		fn   func(string) bool
		in   string
		want bool
	}{
		{"hex", isHexID, hex, true},
		{"hex upper", isHexID, strings.ToUpper(hex), false},
		{"hex short", isHexID, hex[:63], false},
		{"cache", isCacheID, hex + "-init", true},
		{"cache bad suffix", isCacheID, hex + "-x", false},
		{"digest", isDigest, "sha256:" + hex, true},
		{"digest bare", isDigest, hex, false},
		{"short link", isShortLink, "ABCDEFGHIJKLMNOPQRSTUVWXY2", true},
		{"short link 8", isShortLink, "ABCDEFGHIJKLMNOPQRSTUVWXY8", false},
		{"dir num", isLayerDirName, "42", true},
		{"dir key", isLayerDirName, "sha256_ab.c-d", true},
		{"dir dot first", isLayerDirName, ".hidden", false},
		{"dir slash", isLayerDirName, "a/b", false},
		{"dir long", isLayerDirName, strings.Repeat("a", 129), false},
	} {
		if got := tt.fn(tt.in); got != tt.want {
			t.Errorf("%s(%q) = %v; want %v", tt.name, tt.in, got, tt.want)
		}
	}
	if id, ok := resolveShortLink("../" + hex + "-init/diff"); !ok || id != hex+"-init" {
		t.Errorf("resolveShortLink = %q, %v", id, ok)
	}
	if _, ok := resolveShortLink("../../etc/diff"); ok {
		t.Error("resolveShortLink accepted a path that is not a cache ID")
	}
}

func TestMatchesRef(t *testing.T) {
	for _, tc := range []struct {
		ref, spec string
		want      bool
	}{
		{"docker.io/library/busybox:latest", "busybox", true},
		{"docker.io/library/busybox:latest", "busybox:latest", true},
		{"docker.io/library/busybox:latest", "library/busybox", true},
		{"docker.io/library/busybox:latest", "docker.io/library/busybox:latest", true},
		{"docker.io/ctx-test/busybox:latest", "ctx-test/busybox", true},
		{"registry.k8s.io/pause:3.9", "registry.k8s.io/pause:3.9", true},
		{"registry.k8s.io/pause:3.9", "pause:3.9", false},
		{"docker.io/library/busybox:1.36", "busybox", false},
		{"docker.io/library/busybox:latest", "busy", false},
	} {
		if got := matchesRef(tc.ref, tc.spec); got != tc.want {
			t.Errorf("matchesRef(%q, %q) = %v; want %v", tc.ref, tc.spec, got, tc.want)
		}
	}
}
