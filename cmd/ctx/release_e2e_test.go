package main_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

// TestReleaseStatic runs make release and checks both binaries are static,
// then runs the amd64 one in the busybox test image, which has no libc.
func TestReleaseStatic(t *testing.T) {
	hostfstest.RequireTool(t, "e2e", "make")
	hostfstest.RequireTool(t, "e2e", "file")
	hostfstest.RequireTool(t, "e2e", "aarch64-linux-gnu-gcc")
	root := moduleRoot(t)
	cmd := exec.Command("make", "release")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make release: %v\n%s", err, out)
	}
	for bin, arch := range map[string]string{"ctx-linux-amd64": "x86-64", "ctx-linux-arm64": "ARM aarch64"} {
		out, err := exec.Command("file", filepath.Join(root, "bin", bin)).Output()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(out), "statically linked") || !strings.Contains(string(out), arch) {
			t.Errorf("file %s: %s; want %s, statically linked", bin, out, arch)
		}
	}
	hostfstest.RequireDocker(t)
	bin := filepath.Join(root, "bin", "ctx-linux-amd64")
	out, err := exec.Command("docker", "run", "--rm", "-v", bin+":/ctx:ro", hostfstest.TestImage(t), "/ctx", "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "ctx ") {
		t.Errorf("the release binary in the busybox image (no libc): %v: %s", err, out)
	}
}
