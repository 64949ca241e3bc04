//go:build linux

package hostfstest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestDiffFDs(t *testing.T) {
	before := map[string]string{"0": "/dev/null", "1": "pipe:[1]", "5": "/tmp/a"}
	after := map[string]string{"0": "/dev/null", "5": "/tmp/b", "12": "net:[4026532000]", "7": "socket:[9]"}
	want := []string{
		"fd 5 -> /tmp/b (was /tmp/a)",
		"fd 7 -> socket:[9]",
		"fd 12 -> net:[4026532000]",
	}
	if got := diffFDs(before, after); !slices.Equal(got, want) {
		t.Errorf("diffFDs = %q; want %q", got, want)
	}
	if got := diffFDs(before, before); len(got) != 0 {
		t.Errorf("diffFDs(same) = %q; want none", got)
	}
}

func TestFDSnapshot(t *testing.T) {
	before, err := fdSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "held"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	after, err := fdSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	n := fmt.Sprint(f.Fd())
	if got := after[n]; got != f.Name() {
		t.Errorf("snapshot[%s] = %q; want %q", n, got, f.Name())
	}
	if _, ok := before[n]; ok {
		t.Errorf("fd %s in the snapshot before it was opened", n)
	}
}

func TestNoFDLeak(t *testing.T) {
	leaky := &fakeTB{}
	NoFDLeak(leaky)
	f, err := os.Create(filepath.Join(t.TempDir(), "leaked"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	leaky.runCleanups()
	if len(leaky.errors) != 1 || !strings.Contains(leaky.errors[0], f.Name()) {
		t.Errorf("NoFDLeak with a file left open: got errors %q; want one naming %q", leaky.errors, f.Name())
	}

	clean := &fakeTB{}
	NoFDLeak(clean)
	g, err := os.Create(filepath.Join(t.TempDir(), "closed"))
	if err != nil {
		t.Fatal(err)
	}
	g.Close()
	r, w, err := os.Pipe() // the first pollable file must not read as a leak
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	w.Close()
	clean.runCleanups()
	if len(clean.errors) != 0 || len(clean.fatals) != 0 {
		t.Errorf("NoFDLeak with everything closed: got errors %q, fatals %q; want none", clean.errors, clean.fatals)
	}
}

func TestDiffNames(t *testing.T) {
	tests := []struct {
		before, after, want []string
	}{
		{nil, nil, nil},
		{[]string{"lo", "eth0"}, []string{"eth0", "lo"}, nil},
		{[]string{"lo"}, []string{"lo", "veth1", "br0"}, []string{"br0", "veth1"}},
		{[]string{"/", "/mnt"}, []string{"/", "/mnt", "/mnt"}, []string{"/mnt"}}, // stacked mount
		{[]string{"lo", "gone"}, []string{"lo"}, nil},
	}
	for _, tt := range tests {
		if got := diffNames(tt.before, tt.after); !slices.Equal(got, tt.want) {
			t.Errorf("diffNames(%q, %q) = %q; want %q", tt.before, tt.after, got, tt.want)
		}
	}
}

func TestParseMountPoints(t *testing.T) {
	const mountinfo = `22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
35 22 0:5 / /dev rw,nosuid - devtmpfs udev rw
90 35 0:40 / /mnt/with\040space rw - tmpfs tmpfs rw

`
	got, err := parseMountPoints([]byte(mountinfo))
	want := []string{"/", "/dev", `/mnt/with\040space`}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("parseMountPoints = %q, %v; want %q", got, err, want)
	}
	if _, err := parseMountPoints([]byte("22 1 8:1 /\n")); err == nil {
		t.Error("parseMountPoints(short line) = nil error; want one")
	}
}

func TestMountPointsLive(t *testing.T) {
	points, err := mountPoints()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(points, "/") {
		t.Errorf("mount points %q lack /", points)
	}
}

// The privileged tests below make a real leak of each kind and check the
// leak check names it; they use noLeak without a settle delay.

func TestNoMountLeakDetects(t *testing.T) {
	RequirePrivileged(t)
	dir := t.TempDir()
	f := &fakeTB{}
	noLeak(f, "mount", mountPoints, 0)
	if err := unix.Mount("ctx-test", dir, "tmpfs", 0, ""); err != nil {
		t.Fatalf("mounting tmpfs on %q: %v", dir, err)
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	f.runCleanups()
	if want := fmt.Sprintf("leaked mount %q", dir); !slices.Contains(f.errors, want) {
		t.Errorf("noLeak(mount): got errors %q; want %q", f.errors, want)
	}
}

func TestNoNetNSLeakDetects(t *testing.T) {
	RequirePrivileged(t)
	RequireTool(t, "privileged", "ip")
	name := fmt.Sprintf("ctx-test-leak-%d", os.Getpid())
	f := &fakeTB{}
	noLeak(f, "named netns", namedNetNS, 0)
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "delete", name).Run() })
	f.runCleanups()
	if want := fmt.Sprintf("leaked named netns %q", name); !slices.Contains(f.errors, want) {
		t.Errorf("noLeak(netns): got errors %q; want %q", f.errors, want)
	}
}

func TestNoLinkLeakDetects(t *testing.T) {
	RequirePrivileged(t)
	RequireTool(t, "privileged", "ip")
	name := fmt.Sprintf("ctxleak%d", os.Getpid()%100000) // IFNAMSIZ: 15 bytes
	f := &fakeTB{}
	noLeak(f, "link", hostLinks, 0)
	// A bridge: built into most kernels, unlike dummy.
	if out, err := exec.Command("ip", "link", "add", name, "type", "bridge").CombinedOutput(); err != nil {
		t.Fatalf("ip link add: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "link", "delete", name).Run() })
	f.runCleanups()
	if want := fmt.Sprintf("leaked link %q", name); !slices.Contains(f.errors, want) {
		t.Errorf("noLeak(link): got errors %q; want %q", f.errors, want)
	}
}
