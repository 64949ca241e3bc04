package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/ctx-tools/ctx/cgroupview"
	"github.com/ctx-tools/ctx/cmd/internal/iostreams"
	"github.com/ctx-tools/ctx/inspect/hostfs"
	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

const (
	cgV2Pod   = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod6b9f1c2a_3d4e_4f50_8a1b_2c3d4e5f6a7b.slice"
	cgV2B     = cgV2Pod + "/cri-containerd-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope"
	cgV2Scope = "/system.slice/docker-aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899.scope"
	cgHybCtr  = "/docker/7f43e69b011f54ae5c4bd6f5662e002f7c968be384464616909bd6447579996e"
)

func TestNewCmdCgroup(t *testing.T) {
	tests := []struct {
		args    []string
		want    cgroupOptions
		wantErr bool
	}{
		{args: []string{"tree"}, want: cgroupOptions{Depth: -1, Procs: true}},
		{args: []string{"tree", "/docker", "--depth", "2", "--procs=false", "--all-hierarchies"}, want: cgroupOptions{Target: "/docker", Depth: 2, All: true}},
		{args: []string{"tree", "a", "b"}, wantErr: true},
		{args: []string{"tree", "--depth", "-2"}, wantErr: true},
		{args: []string{"ls"}, want: cgroupOptions{Depth: -1}},
		{args: []string{"ls", "web-1", "--sort", "throttled"}, want: cgroupOptions{Target: "web-1", Depth: -1, Sort: "throttled"}},
		{args: []string{"ls", "--sort", "io"}, wantErr: true},
		{args: []string{"ls", "-o", "yaml"}, wantErr: true},
		{args: []string{"show", "4242"}, want: cgroupOptions{Target: "4242", Depth: -1}},
		{args: []string{"show"}, wantErr: true},
		{args: []string{"top"}, want: cgroupOptions{Depth: -1, Interval: time.Second, Sort: "cpu"}},
		{args: []string{"top", "/kubepods.slice", "--interval", "250ms", "-n", "3", "--sort", "io"}, want: cgroupOptions{Target: "/kubepods.slice", Depth: -1, Interval: 250 * time.Millisecond, Iterations: 3, Sort: "io"}},
		{args: []string{"top", "--once", "--sort", "oom"}, want: cgroupOptions{Depth: -1, Interval: time.Second, Once: true, Sort: "oom"}},
		{args: []string{"top", "--interval", "0s"}, wantErr: true},
		{args: []string{"top", "-n", "-1"}, wantErr: true},
		{args: []string{"top", "--sort", "name"}, wantErr: true},
		{args: []string{"check"}, want: cgroupOptions{Depth: -1}},
		{args: []string{"check", "web-1", "--interval", "5s"}, want: cgroupOptions{Target: "web-1", Depth: -1, Interval: 5 * time.Second}},
		{args: []string{"check", "--interval", "-1s"}, wantErr: true},
	}
	for _, tt := range tests {
		ios, _, _, _ := iostreams.Test()
		f := NewFactory(ios, func(string) string { return "" })
		var got *cgroupOptions
		runF := func(_ context.Context, o *cgroupOptions) error { got = o; return nil }
		var cmd *cobra.Command
		switch tt.args[0] {
		case "tree":
			cmd = newCmdCgroupTree(f, runF)
		case "ls":
			cmd = newCmdCgroupLs(f, runF)
		case "show":
			cmd = newCmdCgroupShow(f, runF)
		case "top":
			cmd = newCmdCgroupTop(f, runF)
		case "check":
			cmd = newCmdCgroupCheck(f, runF)
		}
		// -o is global: register it as the root does.
		f.Printer.AddFlags(cmd.Flags())
		cmd.SetArgs(tt.args[1:])
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		err := cmd.Execute()
		if tt.wantErr {
			if err == nil {
				t.Errorf("%v: no error; want one", tt.args)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", tt.args, err)
			continue
		}
		g := *got
		g.f, g.sleep, g.now = nil, nil, nil
		if !reflect.DeepEqual(g, tt.want) {
			t.Errorf("%v: options = %+v; want %+v", tt.args, g, tt.want)
		}
	}
}

func TestRunCgroup(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fixture  string
		args     []string
		code     ExitCode
		stderr   string // a substring; "" means stderr must be empty
		noStderr bool
	}{
		{name: "tree_v2", fixture: "cgroup-v2", args: []string{"cgroup", "tree"}, noStderr: true},
		{name: "tree_v2_kubepods_wide", fixture: "cgroup-v2", args: []string{"cgroup", "tree", "/kubepods.slice", "--depth", "2", "--procs=false", "-o", "wide"}, noStderr: true},
		{name: "ls_v2_sort_memory", fixture: "cgroup-v2", args: []string{"cgroup", "ls", "--sort", "memory"}, noStderr: true},
		{name: "ls_hybrid", fixture: "cgroup-hybrid", args: []string{"cgroup", "ls"}, stderr: "warning: cannot read the mount table of PID 1"},
		{name: "tree_hybrid", fixture: "cgroup-hybrid", args: []string{"cgroup", "tree"}, stderr: "warning: cannot read the mount table of PID 1"},
		{name: "show_v2_docker", fixture: "cgroup-v2", args: []string{"cgroup", "show", "4242"}, stderr: "BPF device program"},
		{name: "show_v2_oom_at_pod", fixture: "cgroup-v2", args: []string{"cgroup", "show", cgV2B}, stderr: "BPF device program"},
		{name: "show_hybrid", fixture: "cgroup-hybrid", args: []string{"cgroup", "show", cgHybCtr}, stderr: "PID 1"},
		{name: "check_v2", fixture: "cgroup-v2", args: []string{"cgroup", "check"}, code: ExitFindings, noStderr: true},
		{name: "check_v2_wide_pod", fixture: "cgroup-v2", args: []string{"cgroup", "check", cgV2Pod, "-o", "wide"}, code: ExitFindings, noStderr: true},
		{name: "check_hybrid", fixture: "cgroup-hybrid", args: []string{"cgroup", "check"}, code: ExitFindings, stderr: "PID 1"},
		{name: "check_v2_clean", fixture: "cgroup-v2", args: []string{"cgroup", "check", "/init.scope"}, stderr: "no findings in 1 cgroups"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, hostfstest.Fixture(t, tc.fixture), tc.args...)
			if code != tc.code {
				t.Errorf("exit %d; want %d (stderr %q)", code, tc.code, errOut)
			}
			switch {
			case tc.noStderr && errOut != "":
				t.Errorf("stderr %q; want nothing", errOut)
			case tc.stderr != "" && !strings.Contains(errOut, tc.stderr):
				t.Errorf("stderr %q; want %q in it", errOut, tc.stderr)
			}
			golden(t, "TestRunCgroup_"+tc.name, []byte(out))
		})
	}
}

func TestRunCgroupErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code ExitCode
		msg  string
	}{
		{[]string{"cgroup", "show", "/nope"}, ExitError, `no cgroup "/nope" in any hierarchy`},
		{[]string{"cgroup", "tree", "99999"}, ExitError, "no process 99999"},
		{[]string{"cgroup", "ls", "--sort", "bogus"}, ExitUsage, "invalid --sort"},
		{[]string{"cgroup", "top", "-o", "yaml"}, ExitUsage, "use one of"},
	} {
		code, _, errOut := runCLI(t, hostfstest.Fixture(t, "cgroup-v2"), tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.msg) {
			t.Errorf("ctx %v: exit %d, stderr %q; want %d and %q", tc.args, code, errOut, tc.code, tc.msg)
		}
	}
}

// cgroupNode is the part of a node these tests decode.
type cgroupNode struct {
	Path      string `json:"path"`
	Container *struct {
		Runtime string `json:"runtime"`
		ID      string `json:"id"`
	} `json:"container"`
	Procs  []int `json:"procs"`
	Memory *struct {
		Current  *uint64 `json:"currentBytes"`
		Limit    *limitJ `json:"limit"`
		OOMKills *uint64 `json:"oomKills"`
	} `json:"memory"`
	CPU *struct {
		Max *struct {
			QuotaUsec  *uint64 `json:"quotaUsec"`
			PeriodUsec uint64  `json:"periodUsec"`
		} `json:"max"`
		NrPeriods   *uint64 `json:"nrPeriods"`
		NrThrottled *uint64 `json:"nrThrottled"`
	} `json:"cpu"`
	PIDs *struct {
		Current   *uint64 `json:"current"`
		Limit     *limitJ `json:"limit"`
		EventsMax *uint64 `json:"eventsMax"`
	} `json:"pids"`
	Effective struct {
		Memory *limitJ `json:"memory"`
		CPU    *struct {
			Cores *float64 `json:"cores"`
			SetBy string   `json:"setBy"`
		} `json:"cpu"`
		PIDs *limitJ `json:"pids"`
	} `json:"effective"`
	Processes []struct {
		PID int `json:"pid"`
	} `json:"processes"`
}

type limitJ struct {
	Unlimited bool    `json:"unlimited"`
	Max       *uint64 `json:"max"`
	SetBy     string  `json:"setBy"`
}

type findingJ struct {
	Level string  `json:"level"`
	Code  string  `json:"code"`
	Path  string  `json:"path"`
	Value float64 `json:"value"`
	SetBy string  `json:"setBy"`
}

func decode[T any](t *testing.T, out string) (kind string, items []T, item T, warnings []string) {
	t.Helper()
	var doc struct {
		SchemaVersion int      `json:"schemaVersion"`
		Kind          string   `json:"kind"`
		Items         []T      `json:"items"`
		Item          T        `json:"item"`
		Warnings      []string `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, out)
	}
	if doc.SchemaVersion != 1 || doc.Warnings == nil {
		t.Errorf("envelope: schemaVersion %d, warnings %v", doc.SchemaVersion, doc.Warnings)
	}
	return doc.Kind, doc.Items, doc.Item, doc.Warnings
}

func TestRunCgroupJSON(t *testing.T) {
	root := hostfstest.Fixture(t, "cgroup-v2")
	code, out, _ := runCLI(t, root, "cgroup", "ls", "-o", "json")
	kind, nodes, _, _ := decode[cgroupNode](t, out)
	if code != ExitOK || kind != "CgroupList" || len(nodes) != 14 {
		t.Fatalf("exit %d, kind %q, %d items", code, kind, len(nodes))
	}
	var b *cgroupNode
	for i := range nodes {
		if nodes[i].Path == cgV2B {
			b = &nodes[i]
		}
	}
	if b == nil || b.Container == nil || b.Container.Runtime != "containerd" || !slices.Equal(b.Procs, []int{5100}) {
		t.Fatalf("container B = %+v", b)
	}
	if e := b.Effective.Memory; e == nil || e.Max == nil || *e.Max != 256<<20 || e.SetBy != cgV2Pod {
		t.Errorf("effective memory = %+v; want 256 MiB set by the pod", e)
	}
	if b.Memory.OOMKills == nil || *b.Memory.OOMKills != 1 || b.Memory.Limit == nil || !b.Memory.Limit.Unlimited {
		t.Errorf("memory = %+v; want 1 OOM kill, own limit unlimited", b.Memory)
	}
	if c := b.Effective.CPU; c == nil || c.Cores == nil || *c.Cores != 2 || c.SetBy != cgV2Pod {
		t.Errorf("effective cpu = %+v", c)
	}

	code, out, _ = runCLI(t, root, "cgroup", "tree", cgV2Scope, "-o", "json")
	kind, nodes, _, _ = decode[cgroupNode](t, out)
	if code != ExitOK || kind != "CgroupTree" || len(nodes) != 1 || len(nodes[0].Processes) != 1 || nodes[0].Processes[0].PID != 4242 {
		t.Errorf("tree: exit %d, kind %q, %+v", code, kind, nodes)
	}

	code, out, _ = runCLI(t, root, "cgroup", "show", "5100", "-o", "json")
	kind, _, shown, warnings := decode[struct {
		cgroupNode
		Ancestors []struct {
			Path string `json:"path"`
		} `json:"ancestors"`
		Memory struct {
			LocalEvents struct {
				OOMKill      *uint64 `json:"oomKill"`
				OOMGroupKill *uint64 `json:"oomGroupKill"`
			} `json:"localEvents"`
		} `json:"memory"`
	}](t, out)
	if code != ExitOK || kind != "CgroupDetail" || shown.Path != cgV2B || len(shown.Ancestors) != 4 ||
		shown.Memory.LocalEvents.OOMGroupKill == nil || *shown.Memory.LocalEvents.OOMGroupKill != 1 {
		t.Errorf("show: exit %d, kind %q, %+v", code, kind, shown)
	}
	if len(warnings) != 1 {
		t.Errorf("show warnings = %q; want the device program one", warnings)
	}

	code, out, _ = runCLI(t, root, "cgroup", "check", "-o", "json")
	kind, fs, _, _ := decode[findingJ](t, out)
	if code != ExitFindings || kind != "CgroupFindingList" || len(fs) != 7 {
		t.Fatalf("check: exit %d, kind %q, %d findings", code, kind, len(fs))
	}
	if f := fs[0]; f.Code != "OOM_AT_ANCESTOR" || f.Level != "critical" || f.Path != cgV2B || f.SetBy != cgV2Pod {
		t.Errorf("first finding = %+v", f)
	}
	code, out, _ = runCLI(t, root, "cgroup", "check", "/init.scope", "-o", "json")
	if _, fs, _, _ := decode[findingJ](t, out); code != ExitOK || fs == nil || len(fs) != 0 {
		t.Errorf("clean check: exit %d, items %v; want 0 and []", code, fs)
	}
}

// unknownTree is a v2 host whose /a lacks most files.
func unknownTree(t *testing.T) hostfs.Root {
	return hostfstest.New(t, map[string]string{
		"proc/1/mountinfo":                 "26 23 0:25 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
		"sys/fs/cgroup/cgroup.controllers": "cpu memory pids\n",
		"sys/fs/cgroup/cgroup.procs":       "",
		"sys/fs/cgroup/cpu.stat":           "usage_usec 0\n",
		"sys/fs/cgroup/a/cgroup.procs":     "",
		"sys/fs/cgroup/a/memory.current":   "0\n",
		"sys/fs/cgroup/a/memory.max":       "max\n",
		"sys/fs/cgroup/a/pids.max":         "10\n",
		"sys/fs/cgroup/a/cpu.max":          "max 100000\n",
	})
}

// TestRunCgroupUnknown checks that missing files show as "?" with a
// warning, never as 0, and are absent from JSON.
func TestRunCgroupUnknown(t *testing.T) {
	root := unknownTree(t)
	code, out, errOut := runCLI(t, root, "cgroup", "ls")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	golden(t, "TestRunCgroup_unknown", []byte(out))
	for _, w := range []string{"memory.stat: missing", "pids.current: missing", "cpu.stat: missing", "memory.events: missing"} {
		if !strings.Contains(errOut, w) {
			t.Errorf("stderr lacks %q:\n%s", w, errOut)
		}
	}
	code, _, _ = runCLI(t, root, "cgroup", "ls", "--strict")
	if code != ExitPartial {
		t.Errorf("--strict: exit %d; want %d", code, ExitPartial)
	}
	_, out, _ = runCLI(t, root, "cgroup", "ls", "-o", "json")
	var doc struct {
		Items    []map[string]json.RawMessage `json:"items"`
		Warnings []string                     `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	var mem map[string]json.RawMessage
	for _, it := range doc.Items {
		if string(it["path"]) == `"/a"` {
			json.Unmarshal(it["memory"], &mem)
		}
	}
	if string(mem["currentBytes"]) != "0" {
		t.Errorf("currentBytes = %s; want a real 0", mem["currentBytes"])
	}
	for _, k := range []string{"workingSetBytes", "fileBytes", "oomKills"} {
		if _, ok := mem[k]; ok {
			t.Errorf("JSON has %s = %s; want it absent (unknown)", k, mem[k])
		}
	}
	if len(doc.Warnings) == 0 {
		t.Error("JSON has no warnings")
	}
}

// TestRunCgroupPermission checks that an unreadable file is "?" with a
// warning. Root reads anything, so as root the test re-runs as nobody.
func TestRunCgroupPermission(t *testing.T) {
	dir := os.Getenv(cgPermEnv)
	if dir == "" {
		dir = t.TempDir()
		root := unknownTree(t)
		if err := os.CopyFS(dir, os.DirFS(root.Prefix())); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "sys/fs/cgroup/a/memory.max"), []byte("8192\n"), 0); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(dir, "sys/fs/cgroup/a/memory.max"), 0); err != nil {
			t.Fatal(err)
		}
		for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	if os.Geteuid() == 0 {
		cgAsNobody(t, "TestRunCgroupPermission", dir)
		return
	}
	root, err := hostfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, root, "cgroup", "ls", "/a")
	if code != ExitOK || !strings.Contains(errOut, "memory.max: permission denied") {
		t.Fatalf("exit %d, stderr %q; want 0 and a permission warning", code, errOut)
	}
	lines := strings.Split(out, "\n")
	f := strings.Fields(lines[1])
	// CGROUP CONTAINER PROCS MEMORY WSET LIMIT ...
	if len(f) < 6 || f[0] != "/a" || f[3] != "0" || f[5] != "?" {
		t.Errorf("row %q; want memory 0 and limit ?", lines[1])
	}
}

const cgPermEnv = "CTX_TEST_CGROUP_PERM_DIR"

// cgAsNobody re-runs test name of this test binary as nobody, copied where
// nobody can execute it.
func cgAsNobody(t *testing.T, name, dir string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "test.bin")
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(bin)
	cmd := exec.Command(bin, "-test.run=^"+name+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), cgPermEnv+"="+dir)
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("--- PASS: "+name)) {
		t.Fatalf("%s as nobody: %v\n%s", name, err, out)
	}
}

const psiZero = "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"

// topFixture is a v2 host with one cgroup whose counters the fake sleep
// advances: 0.5 s of CPU, 10 of 20 periods throttled, 1 MiB read per
// second of the fake clock.
type topFixture struct {
	dir   string
	clock time.Time
	step  int
}

func newTopFixture(t *testing.T) (*topFixture, hostfs.Root) {
	root := hostfstest.New(t, map[string]string{
		"proc/1/mountinfo":                  "26 23 0:25 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
		"sys/fs/cgroup/cgroup.controllers":  "cpu io memory pids\n",
		"sys/fs/cgroup/cgroup.procs":        "1\n",
		"sys/fs/cgroup/cpu.stat":            "usage_usec 0\n",
		"sys/fs/cgroup/web/cgroup.procs":    "",
		"sys/fs/cgroup/web/cpu.max":         "50000 100000\n",
		"sys/fs/cgroup/web/memory.max":      "1048576\n",
		"sys/fs/cgroup/web/memory.current":  "524288\n",
		"sys/fs/cgroup/web/pids.max":        "10\n",
		"sys/fs/cgroup/web/pids.current":    "2\n",
		"sys/fs/cgroup/web/pids.events":     "max 0\n",
		"sys/fs/cgroup/web/memory.stat":     "anon 262144\nfile 262144\nshmem 0\ninactive_file 131072\n",
		"sys/fs/cgroup/web/memory.events":   "oom 0\noom_kill 0\n",
		"sys/fs/cgroup/cpu.pressure":        psiZero,
		"sys/fs/cgroup/memory.pressure":     psiZero,
		"sys/fs/cgroup/io.pressure":         psiZero,
		"sys/fs/cgroup/web/cpu.pressure":    "some avg10=30.00 avg60=10.00 avg300=2.00 total=100\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
		"sys/fs/cgroup/web/memory.pressure": psiZero,
		"sys/fs/cgroup/web/io.pressure":     psiZero,
	})
	tf := &topFixture{dir: root.Prefix(), clock: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	tf.write(t)
	return tf, root
}

func (tf *topFixture) write(t *testing.T) {
	w := func(name, body string) {
		if err := os.WriteFile(filepath.Join(tf.dir, "sys/fs/cgroup/web", name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	n := uint64(tf.step)
	w("cpu.stat", "usage_usec "+strconv.FormatUint(n*500000, 10)+"\nnr_periods "+strconv.FormatUint(n*20, 10)+
		"\nnr_throttled "+strconv.FormatUint(n*10, 10)+"\nthrottled_usec "+strconv.FormatUint(n*250000, 10)+"\n")
	w("io.stat", "8:0 rbytes="+strconv.FormatUint(n<<20, 10)+" wbytes=0 rios="+strconv.FormatUint(n, 10)+" wios=0 dbytes=0 dios=0\n")
}

// runTop runs runCgroupTop with the fake clock and sleep.
func runTop(t *testing.T, tty bool, output string, n int) string {
	t.Helper()
	tf, root := newTopFixture(t)
	ios, _, out, errOut := iostreams.Test()
	ios.SetStdoutTTY(tty)
	f := NewFactory(ios, func(string) string { return "" })
	f.Host = func() (hostfs.Root, error) { return root, nil }
	f.Printer.Output = output
	opts := newCgroupOptions(f)
	opts.Interval, opts.Iterations, opts.Sort = time.Second, n, "cpu"
	opts.now = func() time.Time { return tf.clock }
	opts.sleep = func(ctx context.Context, d time.Duration) error {
		tf.clock = tf.clock.Add(d)
		tf.step++
		tf.write(t)
		return nil
	}
	if err := runCgroupTop(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if errOut.Len() != 0 {
		t.Errorf("stderr %q", errOut)
	}
	return out.String()
}

func TestRunCgroupTop(t *testing.T) {
	out := runTop(t, false, "table", 2)
	if strings.Count(out, "ctx cgroup top: ") != 2 || strings.Contains(out, "\x1b") {
		t.Errorf("want 2 plain frames:\n%s", out)
	}
	golden(t, "TestRunCgroup_top_frames", []byte(out))

	if out := runTop(t, true, "table", 1); !strings.HasPrefix(out, "\x1b[H\x1b[2J") {
		t.Errorf("TTY frame does not redraw: %q", out)
	}

	out = runTop(t, false, "json", 3)
	dec := json.NewDecoder(strings.NewReader(out))
	samples := 0
	for dec.More() {
		var doc struct {
			Kind string `json:"kind"`
			Item struct {
				Time            time.Time `json:"time"`
				IntervalSeconds float64   `json:"intervalSeconds"`
				Rows            []struct {
					Path         string   `json:"path"`
					CPUPct       *float64 `json:"cpuPct"`
					ThrottledPct *float64 `json:"throttledPct"`
					ReadBPS      *float64 `json:"readBps"`
					MemoryBytes  *uint64  `json:"memoryBytes"`
				} `json:"rows"`
			} `json:"item"`
		}
		if err := dec.Decode(&doc); err != nil {
			t.Fatal(err)
		}
		samples++
		r := doc.Item.Rows[0]
		if doc.Kind != "CgroupSample" || doc.Item.IntervalSeconds != 1 || r.Path != "/web" || r.CPUPct == nil || *r.CPUPct != 50 ||
			r.ThrottledPct == nil || *r.ThrottledPct != 50 || r.ReadBPS == nil || *r.ReadBPS != 1<<20 || r.MemoryBytes == nil || *r.MemoryBytes != 524288 {
			t.Errorf("sample %d = %+v; want /web first at 50%% CPU, 50%% throttled, 1 MiB/s", samples, doc.Item)
		}
	}
	if samples != 3 {
		t.Errorf("%d JSON samples; want 3", samples)
	}
}

func TestRunCgroupTopInterrupted(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	f := NewFactory(ios, func(string) string { return "" })
	f.Host = func() (hostfs.Root, error) { return hostfstest.Fixture(t, "cgroup-v2"), nil }
	opts := newCgroupOptions(f)
	opts.Interval, opts.Sort = time.Hour, "cpu"
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := runCgroupTop(ctx, opts); err != nil {
		t.Errorf("interrupted top = %v; want a normal end", err)
	}
}

// TestCgroupV1Live drives real v1 cgroups into an OOM kill, PID
// exhaustion and CPU throttling, and checks that show and check report
// each with counts and findings. The cgroups are removed afterwards.
func TestCgroupV1Live(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	for _, tool := range []string{"sh", "head", "tail", "perl", "timeout"} {
		hostfstest.RequireTool(t, "privileged", tool)
	}
	root, err := hostfs.New("/")
	if err != nil {
		t.Fatal(err)
	}
	l, err := cgroupview.Detect(root)
	if err != nil {
		t.Fatal(err)
	}
	hier := map[string]string{}
	for _, c := range []string{"memory", "pids", "cpu"} {
		h := l.V1(c)
		if h == nil || h.MountRoot != "/" {
			hostfstest.Gate(t, "privileged: needs the v1 "+c+" hierarchy mounted at its root (a v1 or hybrid host)")
			return
		}
		hier[c] = root.Host(h.MountPoint)
	}
	prefix := "ctxtest-" + strconv.Itoa(os.Getpid()) + "-"
	noCgroupLeak(t, hier, prefix)
	mk := func(ctrl, name string, files ...string) string {
		t.Helper()
		dir := filepath.Join(hier[ctrl], prefix+name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { removeCgroup(t, dir) })
		for i := 0; i+1 < len(files); i += 2 {
			p := filepath.Join(dir, files[i])
			if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) && strings.Contains(files[i], "memsw") {
				continue // no swap accounting: nothing to swap to either
			}
			if err := os.WriteFile(p, []byte(files[i+1]), 0o644); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
		}
		return dir
	}
	oomDir := mk("memory", "oom", "memory.limit_in_bytes", "16777216", "memory.memsw.limit_in_bytes", "16777216")
	pidsDir := mk("pids", "pids", "pids.max", "5")
	cpuDir := mk("cpu", "cpu", "cpu.cfs_period_us", "100000", "cpu.cfs_quota_us", "10000")

	// Each workload moves itself in first, so every fork happens inside.
	start := func(dir, script string) *exec.Cmd {
		t.Helper()
		cmd := exec.Command("sh", "-c", `echo $$ > "$CG/cgroup.procs" && exec `+script)
		cmd.Env = append(os.Environ(), "CG="+dir)
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { killCgroup(dir, cmd) })
		return cmd
	}
	// tail keeps a line whole: 64 MiB without a newline in 16 MiB.
	oom := start(oomDir, `sh -c "head -c 64M /dev/zero | tail"`)
	// perl survives failed forks (sh gives up): it and 4 children fill
	// pids.max 5, the other 4 forks are rejected; it then waits.
	start(pidsDir, `perl -e 'for (1..8) { my $p = fork; if (defined $p && $p == 0) { sleep 120; exit } } 1 while wait != -1'`)
	busy := start(cpuDir, `timeout 1 sh -c "while :; do :; done"`)
	oom.Wait()
	busy.Wait()
	waitFor(t, "rejected forks", func() bool {
		b, _ := os.ReadFile(filepath.Join(pidsDir, "pids.events"))
		return strings.TrimSpace(string(b)) != "max 0"
	})

	show := func(name string) cgroupNode {
		t.Helper()
		code, out, errOut := runCLI(t, root, "cgroup", "show", "/"+prefix+name, "-o", "json")
		if code != ExitOK {
			t.Fatalf("show %s: exit %d: %s", name, code, errOut)
		}
		_, _, n, _ := decode[cgroupNode](t, out)
		return n
	}
	check := func(name string) []findingJ {
		t.Helper()
		code, out, errOut := runCLI(t, root, "cgroup", "check", "/"+prefix+name, "-o", "json")
		if code != ExitFindings {
			t.Fatalf("check %s: exit %d; want %d: %s", name, code, ExitFindings, errOut)
		}
		_, fs, _, _ := decode[findingJ](t, out)
		code, table, _ := runCLI(t, root, "cgroup", "check", "/"+prefix+name)
		for _, f := range fs {
			if code != ExitFindings || !strings.Contains(table, f.Code) {
				t.Errorf("check %s table (exit %d) lacks %s:\n%s", name, code, f.Code, table)
			}
		}
		return fs
	}
	has := func(fs []findingJ, code string) *findingJ {
		for i := range fs {
			if fs[i].Code == code {
				return &fs[i]
			}
		}
		t.Errorf("findings %+v lack %s", fs, code)
		return nil
	}

	n := show("oom")
	if n.Memory == nil || n.Memory.OOMKills == nil || *n.Memory.OOMKills < 1 || n.Memory.Limit == nil || n.Memory.Limit.Max == nil || *n.Memory.Limit.Max != 16<<20 {
		t.Errorf("show oom: memory = %+v; want ≥ 1 OOM kill at a 16 MiB limit", n.Memory)
	}
	if f := has(check("oom"), "OOM_KILLED"); f != nil && (f.Level != "critical" || f.Value < 1) {
		t.Errorf("OOM_KILLED = %+v", f)
	}
	_, text, _ := runCLI(t, root, "cgroup", "show", "/"+prefix+"oom")
	if !strings.Contains(text, "oom kills:       1") && !strings.Contains(text, "oom kills:       2") {
		t.Errorf("show text lacks the OOM kill count:\n%s", text)
	}

	n = show("pids")
	if n.PIDs == nil || n.PIDs.EventsMax == nil || *n.PIDs.EventsMax < 1 || n.PIDs.Current == nil || *n.PIDs.Current != 5 {
		t.Errorf("show pids: pids = %+v; want 5 tasks and ≥ 1 rejected fork", n.PIDs)
	}
	fs := check("pids")
	has(fs, "FORK_REJECTED")
	if f := has(fs, "PIDS_NEAR_MAX"); f != nil && (f.Level != "critical" || f.Value != 100) {
		t.Errorf("PIDS_NEAR_MAX = %+v; want 100%% critical", f)
	}

	n = show("cpu")
	if n.CPU == nil || n.CPU.NrThrottled == nil || *n.CPU.NrThrottled == 0 || n.CPU.Max == nil || n.CPU.Max.QuotaUsec == nil || *n.CPU.Max.QuotaUsec != 10000 {
		t.Errorf("show cpu: cpu = %+v; want throttled periods at a 10000 µs quota", n.CPU)
	}
	if c := n.Effective.CPU; c == nil || c.Cores == nil || *c.Cores != 0.1 {
		t.Errorf("effective cpu = %+v; want 0.1 CPUs", c)
	}
	if f := has(check("cpu"), "CPU_THROTTLED"); f != nil && f.Value < 25 {
		t.Errorf("CPU_THROTTLED = %+v", f)
	}
}

// noCgroupLeak fails the test when a cgroup named prefix* is left in any
// of the hierarchies after its cleanups. Call it before creating any.
func noCgroupLeak(t *testing.T, hier map[string]string, prefix string) {
	t.Cleanup(func() {
		for _, dir := range hier {
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				if strings.HasPrefix(e.Name(), prefix) {
					t.Errorf("leaked cgroup %s", filepath.Join(dir, e.Name()))
				}
			}
		}
	})
}

// killCgroup kills every process of a test cgroup, the workload's
// children before the workload so that it reaps them, then reaps it.
func killCgroup(dir string, cmd *exec.Cmd) {
	for range 50 {
		b, _ := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
		var others bool
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil && pid != cmd.Process.Pid {
				syscall.Kill(pid, syscall.SIGKILL)
				others = true
			}
		}
		if !others {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
}

func removeCgroup(t *testing.T, dir string) {
	var err error
	for range 100 { // the kernel may briefly hold a just-emptied cgroup
		if err = os.Remove(dir); err == nil || errors.Is(err, os.ErrNotExist) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("removing %s: %v", dir, err)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}
