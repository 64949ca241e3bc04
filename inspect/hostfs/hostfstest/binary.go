package hostfstest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
)

// Binary builds ./cmd/ctx once per test process and returns the path of the
// binary, for end-to-end tests. It lands in a fresh directory under
// os.TempDir, world-readable so tests can run it as an unprivileged user;
// a package's TestMain calls RemoveBinary to delete it.
func Binary(t testing.TB) string {
	t.Helper()
	binaryOnce.Do(func() { binaryPath, binaryErr = buildBinary() })
	if binaryErr != nil {
		t.Fatalf("Binary: %v", binaryErr)
	}
	return binaryPath
}

func buildBinary() (string, error) {
	mod, err := moduleRoot()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", fmt.Sprintf("ctx-test-bin-%d-", os.Getpid()))
	if err != nil {
		return "", err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "ctx")
	// go test puts $GOROOT/bin first in PATH, so this is the go under test.
	cmd := exec.Command("go", "build", "-o", bin, "github.com/ctx-tools/ctx/cmd/ctx")
	cmd.Dir = mod
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("go build ./cmd/ctx: %w\n%s", err, out)
	}
	return bin, nil
}

// RemoveBinary deletes what Binary built, if anything. Call it from TestMain
// after m.Run.
func RemoveBinary() {
	if binaryPath != "" {
		os.RemoveAll(filepath.Dir(binaryPath))
	}
}
