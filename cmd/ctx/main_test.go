package main_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

// TestMain removes the ctx binary the end-to-end tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	hostfstest.RemoveBinary()
	os.Exit(code)
}

// dockerTry runs docker and returns its output and error, for probes that
// may fail.
func dockerTry(args ...string) (string, error) {
	out, err := exec.Command("docker", args...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}
