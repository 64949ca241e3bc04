//go:build linux

package layers

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

// TestWhich resolves paths top-down through three layers with the
// kernel's markers: overwrites, a whiteout, an opaque dir, a whiteout and
// a symlink on the way to a path.
func TestWhich(t *testing.T) {
	hostfstest.RequirePrivileged(t) // 0/0 whiteouts and trusted.overlay.opaque
	hostfstest.NoFDLeak(t)
	root, dir := layerRoot(t)
	l0, l1, l2 := filepath.Join(dir, "l0"), filepath.Join(dir, "l1"), filepath.Join(dir, "l2")
	for _, f := range []struct {
		path string
		size int
	}{
		{"l0/f", 10}, {"l1/f", 5000}, {"l2/f", 9000},
		{"l1/gone", 7000},
		{"l0/d/top", 1}, {"l1/d/mid", 2}, {"l2/d/bottom", 8000},
		{"l1/link/x", 3},
		{"l1/a/b", 4000},
	} {
		writeFile(t, filepath.Join(dir, f.path), f.size)
	}
	for _, w := range []string{"l0/gone", "l0/a"} {
		if err := unix.Mknod(filepath.Join(dir, w), unix.S_IFCHR|0o600, 0); err != nil {
			t.Fatal(err)
		}
	}
	setXattr(t, filepath.Join(l1, "d"), trustedNS+"opaque", "y")
	if err := os.Symlink("/etc", filepath.Join(l0, "link")); err != nil {
		t.Fatal(err)
	}
	s := &Storage{root: root, scan: newScanner(root, Options{})}
	tg := &Target{Kind: "pid", spec: &stackSpec{ns: trustedNS, layers: []layerSpec{
		{Role: RoleUpper, Layer: Layer{ID: "l0", Dir: "/layers/l0"}},
		{Role: RoleLower, Layer: Layer{ID: "l1", Dir: "/layers/l1"}},
		{Role: RoleLower, Layer: Layer{ID: "l2", Dir: "/layers/l2"}},
	}}}
	checkWhich(t, s, tg, []whichCase{
		{"/f", 0, "0:visible:-1 1:hidden:0 2:hidden:1", ""},
		{"/gone", -1, "0:whiteout:-1 1:hidden:0", "deleted by a whiteout in layer 0"},
		{"/d", 0, "0:visible:-1 1:merged:-1 2:hidden:1", ""},
		{"/d/bottom", -1, "2:hidden:1", "/d is an opaque directory in layer 1"},
		{"/nowhere", -1, "", "no layer has the path"},
		{"/link/x", -1, "1:hidden:0", "symlink"},
		{"/a/b", -1, "1:hidden:0", "deleted by a whiteout in layer 0"},
	})
	rep, _ := s.Which(context.Background(), tg, "/f")
	if want := sizeSum(t, filepath.Join(l1, "f"), filepath.Join(l2, "f")); rep.Hidden != want {
		t.Errorf("which /f hidden %+v; want %+v", rep.Hidden, want)
	}
}

func itoa(n int) string {
	if n < 0 {
		return "-1"
	}
	return string(rune('0' + n))
}

// TestWhichRedirect: paths inside directories renamed on a redirect_dir
// mount resolve to the lower copies at their origin, which the report
// names; the old paths are gone.
func TestWhichRedirect(t *testing.T) {
	hostfstest.NoFDLeak(t)
	root, _, _ := redirectLayers(t)
	s := &Storage{root: root, scan: newScanner(root, Options{})}
	tg := &Target{Kind: "pid", spec: &stackSpec{ns: trustedNS, layers: []layerSpec{
		{Role: RoleUpper, Layer: Layer{ID: "lu", Dir: "/layers/upper"}},
		{Role: RoleLower, Layer: Layer{ID: "ll", Dir: "/layers/lower"}},
	}}}
	checkWhich(t, s, tg, []whichCase{
		{"/c/f", 1, "1:visible:-1:/a/b/f", ""},            // moved across parents
		{"/c/h", 0, "0:visible:-1 1:hidden:0:/a/b/h", ""}, // overwritten after the move
		{"/c", 0, "0:visible:-1 1:merged:-1:/a/b", ""},    // the renamed dir merges with its origin
		{"/y/k", 1, "1:visible:-1:/x/k", ""},              // renamed in place
		{"/y/g", -1, "0:whiteout:-1 1:hidden:0:/x/g", "deleted by a whiteout in layer 0"},
		{"/a/b/f", -1, "1:hidden:0", "deleted by a whiteout in layer 0"}, // the old path
	})
}

// whichCase is one path's expected answer: the provider, the copies as
// "layer:state:hiddenBy[:path in the layer]", and part of the reason.
type whichCase struct {
	path     string
	provider int
	copies   string
	reason   string
}

func checkWhich(t *testing.T, s *Storage, tg *Target, tests []whichCase) {
	t.Helper()
	for _, tt := range tests {
		rep, err := s.Which(context.Background(), tg, tt.path)
		if err != nil {
			t.Fatalf("%s: %v", tt.path, err)
		}
		var got []string
		for _, c := range rep.Copies {
			g := strings.Join([]string{itoa(c.Layer), c.State, itoa(c.HiddenBy)}, ":")
			if c.Path != "" {
				g += ":" + c.Path
			}
			got = append(got, g)
		}
		if rep.Provider != tt.provider || strings.Join(got, " ") != tt.copies || !strings.Contains(rep.Reason, tt.reason) {
			t.Errorf("which %s: provider %d copies %q reason %q; want %d %q %q", tt.path, rep.Provider, got, rep.Reason,
				tt.provider, tt.copies, tt.reason)
		}
	}
}
