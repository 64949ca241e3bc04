package hostfstest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNew(t *testing.T) {
	root := New(t, map[string]string{
		"proc/1/ns/net":  "-> net:[4026531993]",
		"proc/1/comm":    "systemd\n",
		"sys/fs/cgroup/": "",
	})
	if got, err := os.Readlink(root.PID(1, "ns", "net")); err != nil || got != "net:[4026531993]" {
		t.Errorf("Readlink(ns/net) = %q, %v; want %q", got, err, "net:[4026531993]")
	}
	if got, err := os.ReadFile(root.PID(1, "comm")); err != nil || string(got) != "systemd\n" {
		t.Errorf("ReadFile(comm) = %q, %v; want %q", got, err, "systemd\n")
	}
	if fi, err := os.Stat(root.Cgroup()); err != nil || !fi.IsDir() {
		t.Errorf("Stat(cgroup root) = %v, %v; want a directory", fi, err)
	}
	if root.Live() {
		t.Error("Live() = true on a tree; want false")
	}
}

func TestNewEmpty(t *testing.T) {
	root := New(t, nil)
	if fi, err := os.Stat(root.Proc()); err != nil || !fi.IsDir() {
		t.Errorf("Stat(proc) = %v, %v; want a directory", fi, err)
	}
}

func TestWriteTreeRejects(t *testing.T) {
	for _, key := range []string{"../escape", "/etc/passwd", "proc/../../x", "dir/"} {
		value := "x"
		if err := writeTree(t.TempDir(), map[string]string{key: value}); err == nil {
			t.Errorf("writeTree(%q: %q) = nil; want an error", key, value)
		}
	}
}

func TestModuleRoot(t *testing.T) {
	dir, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "module github.com/ctx-tools/ctx\n") {
		t.Errorf("go.mod in %q is not ctx's", dir)
	}
}

func TestFixtureErrors(t *testing.T) {
	for _, tt := range []struct{ name, want string }{
		{"../x", "not a local path"},
		{"no-such-host", "no-such-host"},
	} {
		f := &fakeTB{}
		Fixture(f, tt.name)
		if len(f.fatals) == 0 || !strings.Contains(f.fatals[0], tt.want) {
			t.Errorf("Fixture(%q): got fatals %q; want one containing %q", tt.name, f.fatals, tt.want)
		}
	}
}
