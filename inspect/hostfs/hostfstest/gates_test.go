package hostfstest

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestGate(t *testing.T) {
	const reason = "privileged: needs euid 0, running as 1000"
	tests := []struct {
		env       string
		wantSkip  []string
		wantFatal []string
	}{
		{env: "", wantSkip: []string{reason}},
		{env: "1", wantSkip: []string{reason}},
		{env: "ALL", wantSkip: []string{reason}},
		{env: "all", wantFatal: []string{reason}},
	}
	for _, tt := range tests {
		t.Run("env="+tt.env, func(t *testing.T) {
			t.Setenv(requireEnv, tt.env)
			f := &fakeTB{}
			Gate(f, reason)
			if !slices.Equal(f.skipped, tt.wantSkip) || !slices.Equal(f.fatals, tt.wantFatal) {
				t.Errorf("gate with %s=%q: got skips %q, fatals %q; want skips %q, fatals %q",
					requireEnv, tt.env, f.skipped, f.fatals, tt.wantSkip, tt.wantFatal)
			}
		})
	}
}

func TestPrivilegedReason(t *testing.T) {
	if got, want := privilegedReason(1000), "privileged: needs euid 0, running as 1000"; got != want {
		t.Errorf("privilegedReason(1000) = %q; want %q", got, want)
	}
}

func TestRequirePrivileged(t *testing.T) {
	t.Setenv(requireEnv, "")
	f := &fakeTB{}
	RequirePrivileged(f)
	var want []string
	if euid := os.Geteuid(); euid != 0 {
		want = []string{privilegedReason(euid)}
	}
	if !slices.Equal(f.skipped, want) || len(f.fatals) != 0 {
		t.Errorf("RequirePrivileged: got skips %q, fatals %q; want skips %q", f.skipped, f.fatals, want)
	}
}

func TestRequireTool(t *testing.T) {
	t.Setenv(requireEnv, "all")
	f := &fakeTB{}
	RequireTool(f, "e2e", "ctx-no-such-tool")
	want := []string{"e2e: needs ctx-no-such-tool in PATH"}
	if !slices.Equal(f.fatals, want) || len(f.skipped) != 0 {
		t.Errorf("RequireTool: got fatals %q, skips %q; want fatals %q", f.fatals, f.skipped, want)
	}

	f = &fakeTB{}
	RequireTool(f, "privileged", "sh")
	if len(f.fatals)+len(f.skipped) != 0 {
		t.Errorf("RequireTool(sh): got fatals %q, skips %q; want none", f.fatals, f.skipped)
	}
}

func TestShortError(t *testing.T) {
	err := errors.New("exit status 1")
	tests := []struct {
		stderr string
		want   string
	}{
		{"", "exit status 1"},
		{"\n  \n", "exit status 1"},
		{"Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n",
			"Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"},
		{"\nfirst\nsecond\n", "first"},
		{strings.Repeat("é", 250), strings.Repeat("é", 200) + "…"},
	}
	for _, tt := range tests {
		if got := shortError(tt.stderr, err); got != tt.want {
			t.Errorf("shortError(%q) = %q; want %q", tt.stderr, got, tt.want)
		}
	}
}
