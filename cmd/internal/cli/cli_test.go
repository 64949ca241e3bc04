package cli

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

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

func TestHostRootFromEnvironment(t *testing.T) {
	fx := t.TempDir()
	if err := os.Mkdir(filepath.Join(fx, "proc"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, "/"},
		{map[string]string{"CTX_HOST_ROOT": fx}, fx},
		{map[string]string{"CTX_AUTO_HOST_ROOT": fx}, fx},
		{map[string]string{"CTX_AUTO_HOST_ROOT": filepath.Join(fx, "absent")}, "/"},
		{map[string]string{"CTX_AUTO_HOST_ROOT": "/nonexistent", "CTX_HOST_ROOT": fx}, fx},
		{map[string]string{"HOST_PROC": filepath.Join(fx, "proc")}, "/"},
	}
	for _, tt := range tests {
		ios, _, _, _ := iostreams.Test()
		f := NewFactory(ios, func(k string) string { return tt.env[k] })
		root, err := f.Host()
		if err != nil {
			t.Fatalf("%v: %v", tt.env, err)
		}
		if root.Prefix() != tt.want {
			t.Errorf("env %v: host root %q; want %q", tt.env, root.Prefix(), tt.want)
		}
		if p := tt.env["HOST_PROC"]; p != "" && root.Proc() != p {
			t.Errorf("HOST_PROC=%s: proc %q", p, root.Proc())
		}
	}
}

func TestColorPrefixes(t *testing.T) {
	const red, yellow = "\x1b[31merror:\x1b[0m ", "\x1b[33mwarning:\x1b[0m "
	tests := []struct {
		name     string
		args     []string
		tty      bool
		noColor  string
		wantPref string
	}{
		{"auto, not a terminal", []string{"ps", "99999"}, false, "", "error: "},
		{"auto, terminal", []string{"ps", "99999"}, true, "", red},
		{"auto, terminal, NO_COLOR", []string{"ps", "99999"}, true, "1", "error: "},
		{"never, terminal", []string{"--color", "never", "ps", "99999"}, true, "", "error: "},
		{"always, not a terminal", []string{"--color", "always", "ps", "99999"}, false, "1", red},
		{"warnings, always", []string{"--color", "always", "inspect", "web-1"}, false, "", yellow},
	}
	for _, tt := range tests {
		ios, _, _, errOut := iostreams.Test()
		ios.SetStderrTTY(tt.tty)
		f := NewFactory(ios, func(k string) string {
			if k == "NO_COLOR" {
				return tt.noColor
			}
			return ""
		})
		root := fixture(t)
		f.Host = func() (hostfs.Root, error) { return root, nil }
		run(context.Background(), f, NewRootCmd(f), tt.args)
		if !strings.HasPrefix(errOut.String(), tt.wantPref) {
			t.Errorf("%s: stderr %q; want it to start with %q", tt.name, errOut.String(), tt.wantPref)
		}
	}
}

// parseArgs builds a command with newCmd and executes it on args with a
// runF that only keeps the options: argv to options, nothing run. It
// reports an error that was not wanted, or a wanted one that did not come,
// and returns the options only when the parse succeeded as wanted.
func parseArgs[O any](t *testing.T, args []string, wantErr bool, newCmd func(*Factory, func(context.Context, *O) error) *cobra.Command) *O {
	t.Helper()
	ios, _, _, _ := iostreams.Test()
	f := NewFactory(ios, func(string) string { return "" })
	var got *O
	cmd := newCmd(f, func(_ context.Context, o *O) error { got = o; return nil })
	cmd.SetArgs(args)
	cmd.SetOut(ios.Out)
	cmd.SetErr(ios.ErrOut)
	err := cmd.Execute()
	switch {
	case wantErr && err == nil:
		t.Errorf("%v: no error; want one", args)
	case !wantErr && err != nil:
		t.Errorf("%v: %v", args, err)
	case !wantErr:
		return got
	}
	return nil
}
