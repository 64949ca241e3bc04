package hostfstest

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

func TestBusyboxRootfs(t *testing.T) {
	if _, err := os.Stat(busyboxPath); err != nil {
		Gate(t, "e2e: needs "+busyboxPath+" from the Debian package busybox-static")
	}
	b, err := busyboxRootfs()
	if err != nil {
		t.Fatal(err)
	}
	entries := map[string]*tar.Header{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		entries[h.Name] = h
	}
	for _, name := range []string{"bin/busybox", "etc/passwd", "etc/group", "tmp/", "proc/", "sys/", "dev/"} {
		if entries[name] == nil {
			t.Errorf("rootfs lacks %s", name)
		}
	}
	for _, applet := range []string{"sh", "sleep", "cat", "ls", "id"} {
		if h := entries["bin/"+applet]; h == nil || h.Typeflag != tar.TypeSymlink || h.Linkname != "busybox" {
			t.Errorf("rootfs bin/%s = %+v; want a symlink to busybox", applet, h)
		}
	}
}

func TestDockerE2E(t *testing.T) {
	RequireDocker(t)
	img := TestImage(t)
	if got, want := Docker(t, "image", "inspect", "--format", "{{json .Config.Cmd}}", img), `["sleep","3600"]`; got != want {
		t.Errorf("image command = %s; want %s", got, want)
	}

	var id string
	t.Cleanup(func() { // runs after DockerRun's removal
		if id == "" {
			return
		}
		if out, _ := docker(nil, nil, "ps", "-aq", "--no-trunc", "--filter", "id="+id); out != "" {
			t.Errorf("container %s still exists after cleanup", id)
		}
	})
	id = DockerRun(t, "--network", "none", img)
	if got := Docker(t, "inspect", "--format", "{{index .Config.Labels \"ctx-test\"}}", id); got != "1" {
		t.Errorf("label ctx-test = %q; want %q", got, "1")
	}
	if got := Docker(t, "exec", id, "cat", "/etc/passwd"); !strings.Contains(got, "nobody:x:65534:65534:") {
		t.Errorf("/etc/passwd = %q; want a nobody entry", got)
	}
	if got := Docker(t, "exec", "--user", "nobody", id, "id", "-u"); got != "65534" {
		t.Errorf("id -u as nobody = %q; want 65534", got)
	}
}
