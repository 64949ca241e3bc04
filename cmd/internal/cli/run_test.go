package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ctx-tools/ctx/cmd/internal/iostreams"
	"github.com/ctx-tools/ctx/cmd/internal/printers"
	"github.com/ctx-tools/ctx/sandbox"
)

func TestNewCmdRun(t *testing.T) {
	tests := []struct {
		args []string
		want func(*sandbox.Spec) // edits the defaults into what args give
		fail string              // part of the 125 error, if it fails
	}{
		{args: []string{"--rootfs", "/r", "--", "sh", "-c", "true"},
			want: func(s *sandbox.Spec) { s.Rootfs, s.Args = "/r", []string{"sh", "-c", "true"} }},
		{args: []string{"--rootfs", "/r", "ls", "-l"}, // flags after the command are its own
			want: func(s *sandbox.Spec) { s.Rootfs, s.Args = "/r", []string{"ls", "-l"} }},
		{args: []string{"--image", "busybox", "--memory", "32m", "--memory-swap", "-1", "--cpus", "0.1", "--pids", "20",
			"--cpu-shares", "512", "--io-weight", "100", "--io-read-bps", "8:0:10m", "--io-write-iops", "8:0:100"},
			want: func(s *sandbox.Spec) {
				s.Image = "busybox"
				s.Limits = sandbox.Limits{Memory: 32 << 20, MemorySwap: -1, CPUs: 0.1, PIDs: 20, CPUShares: 512, IOWeight: 100,
					IO: []sandbox.IOLimit{{Device: "8:0", ReadBPS: 10 << 20, WriteIOPS: 100}}}
			}},
		{args: []string{"--rootfs", "/r", "--net", "container:web-1", "--hostname", "h", "-e", "A=1", "-w", "/srv", "-u", "1000:1000",
			"--volume", "/a:/b:ro", "--init=false", "--stop-timeout", "3s", "--keep", "--cap-add", "NET_ADMIN,SYS_PTRACE",
			"--cap-drop", "MKNOD", "--seccomp", "unconfined", "--read-only", "--userns", "--", "id"},
			want: func(s *sandbox.Spec) {
				s.Rootfs, s.Args, s.Hostname, s.Env, s.Cwd, s.User = "/r", []string{"id"}, "h", []string{"A=1"}, "/srv", "1000:1000"
				s.Net = sandbox.Network{Mode: sandbox.NetContainer, Target: "web-1"}
				s.Volumes = []sandbox.Volume{{Source: "/a", Target: "/b", ReadOnly: true}}
				s.Init, s.StopTimeout, s.Keep, s.SeccompUnconfined, s.ReadOnly, s.UserNS = false, 3*time.Second, true, true, true, true
				s.CapAdd, s.CapDrop = []string{"NET_ADMIN", "SYS_PTRACE"}, []string{"MKNOD"}
			}},
		{args: []string{"--bundle", "/b"}, // the bundle's config decides the network
			want: func(s *sandbox.Spec) { s.Bundle, s.Net = "/b", sandbox.Network{} }},
		{args: []string{"--rootfs", "/r", "--memory", "64q", "--", "true"}, fail: `invalid size "64q"`},
		{args: []string{"--rootfs", "/r", "--cpus", "fast", "--", "true"}, fail: `invalid CPU count "fast"`},
		{args: []string{"--rootfs", "/r", "--net", "wifi", "--", "true"}, fail: `invalid network "wifi"`},
		{args: []string{"--rootfs", "/r", "--volume", "relative:/x", "--", "true"}, fail: "must be absolute"},
		{args: []string{"--rootfs", "/r", "--io-read-bps", "/dev/sda", "--", "true"}, fail: "DEVICE:RATE"},
		{args: []string{"--rootfs", "/r", "--seccomp", "strict", "--", "true"}, fail: "--seccomp"},
		{args: []string{"--rootfs", "/r", "--image", "x", "--", "true"}, fail: "exactly one of"},
		{args: []string{"--", "true"}, fail: "exactly one of"},
		{args: []string{"--rootfs", "/r"}, fail: "no command"},
		{args: []string{"--rootfs", "/r", "--bogus", "--", "true"}, fail: "unknown flag: --bogus"},
		{args: []string{"--rootfs", "/r", "-o", "yaml", "--", "true"}, fail: "unsupported output format"},
		{args: []string{"--rootfs", "/r", "--color", "pink", "--", "true"}, fail: "--color"},
	}
	for _, tt := range tests {
		ios, _, _, _ := iostreams.Test()
		f := NewFactory(ios, func(string) string { return "" })
		var got *runOptions
		root := NewRootCmd(f)
		for _, c := range root.Commands() {
			if c.Name() == "run" {
				root.RemoveCommand(c)
				root.AddCommand(newCmdRunF(f, func(_ context.Context, o *runOptions) error { got = o; return nil }))
				break
			}
		}
		code := run(context.Background(), f, root, append([]string{"run"}, tt.args...))
		if tt.fail != "" {
			if code != ExitRunFailed {
				t.Errorf("%q: exit %d; want 125", tt.args, code)
			}
			continue
		}
		if code != 0 || got == nil {
			t.Errorf("%q: exit %d; want 0", tt.args, code)
			continue
		}
		want := sandbox.Spec{Init: true, StopTimeout: sandbox.DefaultStopTimeout, StateDir: sandbox.DefaultStateDir,
			UserNSBase: 100000, Net: sandbox.Network{Mode: sandbox.NetNone}}
		tt.want(&want)
		norm(&got.Spec)
		norm(&want)
		if !reflect.DeepEqual(got.Spec, want) {
			t.Errorf("%q:\n got %+v\nwant %+v", tt.args, got.Spec, want)
		}
	}
}

// norm makes empty slices nil, as flags leave them either way.
func norm(s *sandbox.Spec) {
	for _, p := range []*[]string{&s.Args, &s.Env, &s.CapAdd, &s.CapDrop} {
		if len(*p) == 0 {
			*p = nil
		}
	}
	if len(s.Volumes) == 0 {
		s.Volumes = nil
	}
	if len(s.Limits.IO) == 0 {
		s.Limits.IO = nil
	}
}

// TestRunErrorMessages checks the 125 messages name the bad input.
func TestRunErrorMessages(t *testing.T) {
	for _, tt := range []struct{ args, want string }{
		{"--rootfs /r --memory 64q -- true", `--memory: sandbox: invalid spec: invalid size "64q"`},
		{"--rootfs /r --bogus -- true", "unknown flag: --bogus (see ctx run --help)"},
	} {
		code, _, errOut := runCLI(t, fixture(t), append([]string{"run"}, strings.Fields(tt.args)...)...)
		if code != ExitRunFailed || !strings.Contains(errOut, tt.want) {
			t.Errorf("ctx run %s: exit %d, stderr %q; want 125 and %q", tt.args, code, errOut, tt.want)
		}
		if strings.Contains(errOut, "Usage:") {
			t.Errorf("ctx run %s printed usage; docker run does not either", tt.args)
		}
	}
}

func TestRunFailureCodes(t *testing.T) {
	tests := []struct {
		err  error
		code ExitCode
		hint bool
	}{
		{&sandbox.StartError{Code: 127, Path: "x", Err: errors.New("x: not found")}, 127, false},
		{&sandbox.StartError{Code: 126, Path: "x", Err: errors.New("x: permission denied")}, 126, false},
		{&sandbox.PrivilegeError{Op: "ctx run", Need: "root (euid 0)"}, 125, true},
		{sandbox.ErrNoImage, 125, false},
	}
	for _, tt := range tests {
		code, msg, _ := exitCode(runFailure(tt.err), false, false)
		if code != tt.code || strings.Contains(msg, "hint:") != tt.hint {
			t.Errorf("%v: exit %d, %q; want %d, hint %v", tt.err, code, msg, tt.code, tt.hint)
		}
	}
}

func u64(v uint64) *uint64 { return &v }

func testReport() *sandbox.Report {
	cpus := 0.1
	return &sandbox.Report{ID: "0123456789", Command: []string{"sh", "-c", "head -c 64m /dev/zero | tail"}, Root: "rootfs /srv/rootfs",
		ExitCode: 137, OOMKilled: true, OOMKills: u64(1), MemoryPeakBytes: u64(32 << 20), MemoryLimitBytes: u64(32 << 20),
		PIDsPeak: u64(27), PIDsLimit: u64(27), PIDsEventsMax: u64(3), PIDsInitTasks: u64(7),
		CPUUsageUsec: u64(114934), CPUThrottledUsec: u64(945789), CPUNrThrottled: u64(10), CPUNrPeriods: u64(11), CPULimit: &cpus,
		StartedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), FinishedAt: time.Date(2026, 1, 2, 3, 4, 6, 82260000, time.UTC),
		WallUsec: 1082260, CgroupMode: "hybrid", Cgroup: "/ctx-0123456789",
		Network: sandbox.NetReport{Mode: sandbox.NetBridge, Address: "10.213.0.2/24", Gateway: "10.213.0.1", HostVeth: "ctx-0123456789"}}
}

func TestRunReportTable(t *testing.T) {
	ios, _, out, errOut := iostreams.Test()
	f := NewFactory(ios, func(string) string { return "" })
	o := &runOptions{f: f}
	if err := o.printReport(testReport()); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 {
		t.Errorf("the report went to stdout, which is the command's: %q", out)
	}
	golden(t, "TestRunRun_report", errOut.Bytes())
}

func TestRunReportJSON(t *testing.T) {
	ios, _, _, errOut := iostreams.Test()
	f := NewFactory(ios, func(string) string { return "" })
	f.Printer.Output = "json"
	rep := testReport()
	rep.Warnings = []string{"memory.memsw.limit_in_bytes: swap accounting is off"}
	if err := (&runOptions{f: f}).printReport(rep); err != nil {
		t.Fatal(err)
	}
	var env struct {
		SchemaVersion int             `json:"schemaVersion"`
		Kind          string          `json:"kind"`
		Item          sandbox.Report  `json:"item"`
		Warnings      []string        `json:"warnings"`
		Raw           json.RawMessage `json:"-"`
	}
	if err := json.Unmarshal(errOut.Bytes(), &env); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	want := *testReport()
	if env.Kind != "RunReport" || env.SchemaVersion != printers.SchemaVersion || !reflect.DeepEqual(env.Item, want) || len(env.Warnings) != 1 {
		t.Errorf("decoded %+v", env)
	}
	for _, k := range []string{`"oomKilled": true`, `"pidsEventsMax": 3`, `"cpuThrottledUsec": 945789`, `"memoryPeakBytes": 33554432`, `"wallUsec": 1082260`} {
		if !bytes.Contains(errOut.Bytes(), []byte(k)) {
			t.Errorf("JSON lacks %s", k)
		}
	}
}

func TestNewCmdGc(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want sandbox.GCOptions
		code ExitCode
	}{
		{nil, sandbox.GCOptions{StateDir: sandbox.DefaultStateDir}, 0},
		{[]string{"--dry-run", "--kept", "--state-dir", "/x", "--cgroup-parent", "/p"}, sandbox.GCOptions{DryRun: true, Kept: true, StateDir: "/x", CgroupParent: "/p"}, 0},
		{[]string{"extra"}, sandbox.GCOptions{}, ExitUsage},
	} {
		ios, _, _, _ := iostreams.Test()
		f := NewFactory(ios, func(string) string { return "" })
		var got *gcOptions
		root := NewRootCmd(f)
		for _, c := range root.Commands() {
			if c.Name() == "gc" {
				root.RemoveCommand(c)
				root.AddCommand(newCmdGcF(f, func(_ context.Context, o *gcOptions) error { got = o; return nil }))
				break
			}
		}
		code := run(context.Background(), f, root, append([]string{"gc"}, tt.args...))
		if code != tt.code {
			t.Errorf("%q: exit %d; want %d", tt.args, code, tt.code)
			continue
		}
		if code == 0 && (got == nil || got.Opts != tt.want) {
			t.Errorf("%q: options %+v; want %+v", tt.args, got, tt.want)
		}
	}
}
