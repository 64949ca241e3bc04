package cli

import (
	"encoding/json"
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/ctx-tools/ctx/inspect"
	"github.com/ctx-tools/ctx/inspect/hostfs"
	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

func TestNewCmdInspect(t *testing.T) {
	tests := []struct {
		args    []string
		target  string
		check   bool
		all     bool
		failOn  inspect.Severity
		wantErr bool
	}{
		{args: []string{"web-1"}, target: "web-1", failOn: inspect.SeverityHigh},
		{args: []string{"--check", "4242"}, target: "4242", check: true, failOn: inspect.SeverityHigh},
		{args: []string{"--check", "--all", "--fail-on", "medium"}, check: true, all: true, failOn: inspect.SeverityMedium},
		{args: nil, wantErr: true},
		{args: []string{"a", "--all"}, wantErr: true},
		{args: []string{"a", "b"}, wantErr: true},
		{args: []string{"a", "--fail-on", "severe"}, wantErr: true},
	}
	for _, tt := range tests {
		got := parseArgs(t, tt.args, tt.wantErr, newCmdInspect)
		if got == nil {
			continue
		}
		if got.Target != tt.target || got.Check != tt.check || got.All != tt.all || got.FailOn != tt.failOn {
			t.Errorf("%v: options = %+v", tt.args, *got)
		}
	}
}

func TestRunInspect(t *testing.T) {
	code, out, errOut := runCLI(t, fixture(t), "inspect", "web-1")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	golden(t, "TestRunInspect_web1", []byte(out))
	// The fixture has no cgroup mounts and no capability lines: both are
	// said, not hidden.
	if !strings.Contains(errOut, "cgroups unavailable") {
		t.Errorf("stderr %q; want the missing cgroups named", errOut)
	}
}

func TestRunInspectJSON(t *testing.T) {
	code, out, _ := runCLI(t, fixture(t), "inspect", "sidecar", "-o", "json")
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	var doc struct {
		Kind string `json:"kind"`
		Item struct {
			Container struct {
				Runtime, ID, Name, Image string
			} `json:"container"`
			PIDs struct {
				Host  int   `json:"host"`
				Chain []int `json:"chain"`
				Init  int   `json:"init"`
			} `json:"pids"`
			Namespaces []struct {
				Type           string   `json:"type"`
				SharedWithHost *bool    `json:"sharedWithHost"`
				SharedWith     []string `json:"sharedWith"`
			} `json:"namespaces"`
		} `json:"item"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	it := doc.Item
	if doc.Kind != "Inspection" || it.Container.Name != "sidecar" || it.Container.Runtime != "docker" ||
		it.PIDs.Host != 4300 || it.PIDs.Init != 4300 || len(it.PIDs.Chain) != 2 {
		t.Errorf("identity/PIDs = %+v", it)
	}
	var netShared bool
	for _, ns := range it.Namespaces {
		if ns.Type == "net" {
			netShared = len(ns.SharedWith) == 1 && ns.SharedWith[0] == "docker:web-1" && ns.SharedWithHost != nil && !*ns.SharedWithHost
		}
	}
	if !netShared {
		t.Errorf("sidecar's netns should be shared with docker:web-1 only: %+v", it.Namespaces)
	}
}

func TestRunInspectErrors(t *testing.T) {
	tests := []struct {
		args []string
		code ExitCode
		msg  string
	}{
		{[]string{"inspect", "0123456789ab"}, ExitError, "ambiguous"},
		{[]string{"inspect", "old-job"}, ExitError, "not running"},
		{[]string{"inspect", "nope"}, ExitError, "no process, container or namespace"},
		{[]string{"inspect"}, ExitUsage, "TARGET"},
	}
	for _, tt := range tests {
		code, _, errOut := runCLI(t, fixture(t), tt.args...)
		if code != tt.code || !strings.Contains(errOut, tt.msg) {
			t.Errorf("ctx %v: exit %d, stderr %q; want %d and %q", tt.args, code, errOut, tt.code, tt.msg)
		}
	}
}

// TestInspectVanishingTarget resolves a live process, lets it exit, then
// builds the report: a clean error, never a panic.
func TestInspectVanishingTarget(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	root, err := hostfs.New("/")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		cmd := exec.Command("sleep", "10")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		env, err := newInspectEnv(root)
		if err != nil {
			t.Fatal(err)
		}
		tg, err := env.rt.Resolve(strconv.Itoa(cmd.Process.Pid))
		if err != nil {
			t.Fatal(err)
		}
		cmd.Process.Kill()
		cmd.Wait()
		_, err = env.report(tg, true)
		if err == nil {
			t.Fatalf("report on an exited process succeeded")
		}
		if !hostfs.IsGone(err) && !errors.Is(err, inspect.ErrNotFound) {
			t.Errorf("report error %v; want one that says the process is gone", err)
		}
	}
}
