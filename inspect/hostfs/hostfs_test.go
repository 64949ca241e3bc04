package hostfs

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestNewPaths(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "proc"), 0o755); err != nil {
		t.Fatal(err)
	}
	r, err := New(dir, WithSys("/elsewhere/sys"), WithProc(""))
	if err != nil {
		t.Fatal(err)
	}
	for got, want := range map[string]string{
		r.Proc("1", "status"):       filepath.Join(dir, "proc/1/status"),
		r.PID(42, "ns", "net"):      filepath.Join(dir, "proc/42/ns/net"),
		r.Sys("class", "net"):       "/elsewhere/sys/class/net",
		r.Cgroup("memory"):          filepath.Join(dir, "sys/fs/cgroup/memory"),
		r.Host("/var/lib/docker"):   filepath.Join(dir, "var/lib/docker"),
		r.Host("../../etc/passwd"):  filepath.Join(dir, "etc/passwd"),
		r.Host("/run/../etc/hosts"): filepath.Join(dir, "etc/hosts"),
	} {
		if got != want {
			t.Errorf("got %q; want %q", got, want)
		}
	}
	if r.Live() {
		t.Error("a temp dir is not a live procfs")
	}
	if _, err := New(filepath.Join(dir, "missing")); err == nil {
		t.Error("New on a root without proc succeeded")
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	big := bytes.Repeat([]byte("0123456789abcdef"), 1000) // spans several reads
	for name, data := range map[string][]byte{"big": big, "empty": {}} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := ReadFile(p)
		if err != nil || !bytes.Equal(got, data) || got == nil {
			t.Errorf("ReadFile(%s) = %d bytes, %v; want %d bytes", name, len(got), err, len(data))
		}
	}
	if _, err := ReadFile(filepath.Join(dir, "nope")); !errors.Is(err, os.ErrNotExist) || !IsGone(err) {
		t.Errorf("missing file: %v; want ErrNotExist", err)
	}
}

func TestReadFileLive(t *testing.T) {
	r, err := New("/")
	if err != nil {
		t.Fatal(err)
	}
	if !r.Live() {
		t.Skip("other: / has no live procfs here")
	}
	// /proc/self/status reports size 0: it must still be read whole.
	b, err := ReadFile(r.Proc("self", "status"))
	if err != nil || !bytes.Contains(b, []byte("\nPid:")) {
		t.Errorf("ReadFile(/proc/self/status) = %q, %v", b, err)
	}
}

func TestHostHonoursOverrides(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "proc"), 0o755); err != nil {
		t.Fatal(err)
	}
	r, err := New(dir, WithCgroup("/cg"), WithProc(filepath.Join(dir, "proc")))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r.Host("/sys/fs/cgroup/memory/docker"), "/cg/memory/docker"; got != want {
		t.Errorf("Host under --cgroup-root = %q; want %q", got, want)
	}
	if got, want := r.Host("/sys/fs/cgroupx"), filepath.Join(dir, "sys/fs/cgroupx"); got != want {
		t.Errorf("a sibling of the cgroup root = %q; want %q", got, want)
	}
}
