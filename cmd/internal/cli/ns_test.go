package cli

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestNewCmdNSLs(t *testing.T) {
	tests := []struct {
		args    []string
		want    nsOptions
		wantErr bool
	}{
		{args: nil, want: nsOptions{}},
		{args: []string{"--type", "net,pid"}, want: nsOptions{Types: []string{"net", "pid"}}},
		{args: []string{"-t", "net", "-t", "user"}, want: nsOptions{Types: []string{"net", "user"}}},
		{args: []string{"--tree"}, want: nsOptions{Tree: "parent"}},
		{args: []string{"--tree=owner", "--tasks"}, want: nsOptions{Tree: "owner", Tasks: true}},
		{args: []string{"--tree=sideways"}, wantErr: true},
		{args: []string{"--type", "bogus"}, wantErr: true},
		{args: []string{"extra"}, wantErr: true},
	}
	for _, tt := range tests {
		got := parseArgs(t, tt.args, tt.wantErr, newCmdNSLs)
		if got == nil {
			continue
		}
		if !reflect.DeepEqual(got.Types, tt.want.Types) || got.Tree != tt.want.Tree || got.Tasks != tt.want.Tasks {
			t.Errorf("%v: options = %+v; want %+v", tt.args, *got, tt.want)
		}
	}
}

func TestRunNSLs(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"table", []string{"ns", "ls"}},
		{"wide", []string{"ns", "ls", "-o", "wide"}},
		{"net_noheaders", []string{"ns", "ls", "--type", "net", "--no-headers"}},
		{"tree_process", []string{"ns", "ls", "--tree=process", "--type", "pid"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, fixture(t), tc.args...)
			if code != ExitOK || errOut != "" {
				t.Fatalf("exit %d, stderr %q; want 0 and nothing", code, errOut)
			}
			golden(t, "TestRunNSLs_"+tc.name, []byte(out))
		})
	}
}

// TestRunNSLsUntrustedNames checks that a hostile process name is escaped
// in tables and kept exact in JSON.
func TestRunNSLsUntrustedNames(t *testing.T) {
	_, out, _ := runCLI(t, fixture(t), "ps")
	if strings.Contains(out, "\x1b") {
		t.Errorf("table output holds a raw ESC:\n%q", out)
	}
	if !strings.Contains(out, `evil\x1b[31m\nx`) {
		t.Errorf("table output lacks the escaped name:\n%s", out)
	}
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if strings.HasPrefix(line, "x ") || strings.HasPrefix(line, "name") {
			t.Errorf("a newline in a name broke a row: %q", line)
		}
	}
	_, js, _ := runCLI(t, fixture(t), "ps", "-o", "json")
	var doc struct {
		Items []struct {
			PID     int      `json:"pid"`
			Comm    string   `json:"comm"`
			Cmdline []string `json:"cmdline"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(js), &doc); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range doc.Items {
		if p.PID == 5000 {
			found = true
			if p.Comm != "evil\x1b[31m\nx" || p.Cmdline[0] != "evil\x1b[31m\nname" {
				t.Errorf("JSON changed the bytes: comm %q cmdline %q", p.Comm, p.Cmdline)
			}
		}
	}
	if !found {
		t.Error("PID 5000 missing from JSON")
	}
}

func TestRunNSLsJSON(t *testing.T) {
	code, out, _ := runCLI(t, fixture(t), "ns", "ls", "-o", "json")
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	var doc struct {
		SchemaVersion int    `json:"schemaVersion"`
		Kind          string `json:"kind"`
		Items         []struct {
			NS      uint64 `json:"ns"`
			Type    string `json:"type"`
			NProcs  int    `json:"nprocs"`
			PIDs    []int  `json:"pids"`
			Holders []struct {
				Kind string `json:"kind"`
				Path string `json:"path"`
			} `json:"holders"`
			Process *struct {
				Container *struct {
					Runtime string `json:"runtime"`
					ID      string `json:"id"`
				} `json:"container"`
			} `json:"process"`
		} `json:"items"`
		Warnings []string `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, out)
	}
	if doc.SchemaVersion != 1 || doc.Kind != "NamespaceList" || doc.Warnings == nil {
		t.Errorf("envelope = %d %q %v", doc.SchemaVersion, doc.Kind, doc.Warnings)
	}
	var sawContainer, sawBlue bool
	for _, it := range doc.Items {
		if it.NS == 4026532605 {
			sawContainer = it.NProcs == 3 && it.Process != nil && it.Process.Container != nil &&
				it.Process.Container.ID == "aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899"
		}
		if it.NS == 4026532900 {
			sawBlue = it.NProcs == 0 && len(it.PIDs) == 0 && it.PIDs != nil &&
				len(it.Holders) == 1 && it.Holders[0].Kind == "bind" && it.Holders[0].Path == "/run/netns/blue"
		}
	}
	if !sawContainer || !sawBlue {
		t.Errorf("container netns ok=%v, bind-only netns ok=%v in\n%s", sawContainer, sawBlue, out)
	}
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		args []string
		want ExitCode
	}{
		{[]string{"ns", "ls"}, ExitOK},
		{[]string{"ns", "ls", "-o", "yaml"}, ExitUsage},
		{[]string{"ns", "ls", "--bogus"}, ExitUsage},
		{[]string{"nope"}, ExitUsage},
		{[]string{"ps", "a", "b"}, ExitUsage},
		{[]string{"ps", "99999"}, ExitError},
		{[]string{"--color", "purple", "version"}, ExitUsage},
		{[]string{"version"}, ExitOK},
	}
	for _, tt := range tests {
		code, _, errOut := runCLI(t, fixture(t), tt.args...)
		if code != tt.want {
			t.Errorf("ctx %v: exit %d; want %d (stderr %q)", tt.args, code, tt.want, errOut)
		}
		if code != ExitOK && !strings.HasPrefix(errOut, "error: ") {
			t.Errorf("ctx %v: stderr %q; want an error line", tt.args, errOut)
		}
	}
}

func TestExitCodeLadder(t *testing.T) {
	tests := []struct {
		err            error
		warned, strict bool
		want           ExitCode
	}{
		{nil, false, false, ExitOK},
		{nil, true, false, ExitOK},
		{nil, true, true, ExitPartial},
		{&FindingsError{N: 2}, true, true, ExitFindings},
		{&usageError{errString("x")}, false, false, ExitUsage},
	}
	for _, tt := range tests {
		if got, _, _ := exitCode(tt.err, tt.warned, tt.strict); got != tt.want {
			t.Errorf("exitCode(%v, %v, %v) = %d; want %d", tt.err, tt.warned, tt.strict, got, tt.want)
		}
	}
}

type errString string

func (e errString) Error() string { return string(e) }
