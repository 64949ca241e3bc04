package cli

import (
	"bytes"
	"context"
	"encoding/json"
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
	if code != ExitFindings || kind != "CgroupFindingList" || len(fs) != 12 {
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
