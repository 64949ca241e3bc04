package cli

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/ctx-tools/ctx/cmd/internal/iostreams"
	"github.com/ctx-tools/ctx/inspect/hostfs"
	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// TestUpdateFlagOff fails whenever -update is set, so a rewrite of golden
// files never passes as a test run.
func TestUpdateFlagOff(t *testing.T) {
	if *update {
		t.Fatal("-update rewrote golden files: review the diff and run the tests again without it")
	}
}

// golden compares got with testdata/<name>.golden, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file: %v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: got\n%s\nwant\n%s", path, got, want)
	}
}

// runCLI runs ctx with args against root and returns the exit code and
// both streams.
func runCLI(t *testing.T, root hostfs.Root, args ...string) (ExitCode, string, string) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	f := NewFactory(ios, func(string) string { return "" })
	f.Host = func() (hostfs.Root, error) { return root, nil }
	code := run(context.Background(), f, NewRootCmd(f), args)
	return code, out.String(), errOut.String()
}

func fixture(t *testing.T) hostfs.Root { return hostfstest.Fixture(t, "docker-v1") }
