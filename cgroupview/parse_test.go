package cgroupview

import (
	"reflect"
	"slices"
	"testing"
)

func u64(v uint64) *uint64 { return &v }

func TestParseKeyed(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want map[string]uint64
	}{
		{"empty", "", map[string]uint64{}},
		{"cpu.stat v1", "nr_periods 24\nnr_throttled 18\nthrottled_time 508951556\n", map[string]uint64{"nr_periods": 24, "nr_throttled": 18, "throttled_time": 508951556}},
		{"no trailing newline", "max 2", map[string]uint64{"max": 2}},
		{"junk lines skipped", "oom 1\nbad\nneg -1\nthree a b\n\nmax x\noom_kill 3\n", map[string]uint64{"oom": 1, "oom_kill": 3}},
		{"max uint64", "a 18446744073709551615\n", map[string]uint64{"a": 18446744073709551615}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseKeyed([]byte(tt.in)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseKeyed(%q) = %v; want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseMax(t *testing.T) {
	tests := []struct {
		in      string
		want    Limit
		wantErr bool
	}{
		{"max\n", Limit{Unlimited: true}, false},
		{"max", Limit{Unlimited: true}, false},
		{"67108864\n", Limit{Max: u64(67108864)}, false},
		{"0\n", Limit{Max: u64(0)}, false},
		{"", Limit{}, true},
		{"-1\n", Limit{}, true},
		{"Max\n", Limit{}, true},
	}
	for _, tt := range tests {
		got, err := parseMax([]byte(tt.in))
		if (err != nil) != tt.wantErr {
			t.Errorf("parseMax(%q) error = %v; want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseMax(%q) = %+v; want %+v", tt.in, got, tt.want)
		}
	}
}

func TestParseV1Limit(t *testing.T) {
	tests := []struct {
		in      string
		want    Limit
		wantErr bool
	}{
		{"9223372036854771712\n", Limit{Unlimited: true}, false},               // LONG_MAX rounded to 4 KiB
		{"9223372036854775807\n", Limit{Unlimited: true}, false},               // LONG_MAX itself
		{"9223372036854710272\n", Limit{Max: u64(9223372036854710272)}, false}, // rounded to 64 KiB: a real (huge) limit
		{"67108864\n", Limit{Max: u64(67108864)}, false},
		{"max\n", Limit{}, true},
		{"", Limit{}, true},
	}
	for _, tt := range tests {
		got, err := parseV1Limit([]byte(tt.in))
		if (err != nil) != tt.wantErr {
			t.Errorf("parseV1Limit(%q) error = %v; want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseV1Limit(%q) = %+v; want %+v", tt.in, got, tt.want)
		}
	}
}

func TestParseCPUMax(t *testing.T) {
	tests := []struct {
		in      string
		want    CPUMax
		cpus    float64
		wantErr bool
	}{
		{"max 100000\n", CPUMax{Unlimited: true, PeriodUsec: 100000}, 0, false},
		{"50000 100000\n", CPUMax{QuotaUsec: u64(50000), PeriodUsec: 100000}, 0.5, false},
		{"200000 100000", CPUMax{QuotaUsec: u64(200000), PeriodUsec: 100000}, 2, false},
		{"50000\n", CPUMax{}, 0, true},
		{"max max\n", CPUMax{}, 0, true},
		{"x 100000\n", CPUMax{}, 0, true},
	}
	for _, tt := range tests {
		got, err := parseCPUMax([]byte(tt.in))
		if (err != nil) != tt.wantErr {
			t.Errorf("parseCPUMax(%q) error = %v; want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if tt.wantErr {
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseCPUMax(%q) = %+v; want %+v", tt.in, got, tt.want)
		}
		if c, ok := got.CPUs(); ok != !tt.want.Unlimited || c != tt.cpus {
			t.Errorf("parseCPUMax(%q).CPUs() = %v, %v; want %v, %v", tt.in, c, ok, tt.cpus, !tt.want.Unlimited)
		}
	}
}

func TestParseV1Quota(t *testing.T) {
	tests := []struct {
		quota, period string
		want          CPUMax
		wantErr       bool
	}{
		{"-1\n", "100000\n", CPUMax{Unlimited: true, PeriodUsec: 100000}, false},
		{"50000\n", "100000\n", CPUMax{QuotaUsec: u64(50000), PeriodUsec: 100000}, false},
		{"x\n", "100000\n", CPUMax{}, true},
		{"50000\n", "\n", CPUMax{}, true},
	}
	for _, tt := range tests {
		got, err := parseV1Quota([]byte(tt.quota), []byte(tt.period))
		if (err != nil) != tt.wantErr {
			t.Errorf("parseV1Quota(%q, %q) error = %v; want error %v", tt.quota, tt.period, err, tt.wantErr)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseV1Quota(%q, %q) = %+v; want %+v", tt.quota, tt.period, got, tt.want)
		}
	}
}

func TestParsePSI(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    *Pressure
		wantErr bool
	}{
		{
			name: "some and full",
			in:   "some avg10=4.52 avg60=0.81 avg300=0.17 total=672798\nfull avg10=4.52 avg60=0.81 avg300=0.17 total=659466\n",
			want: &Pressure{
				Some: PressureLine{Avg10: 4.52, Avg60: 0.81, Avg300: 0.17, TotalUsec: 672798},
				Full: &PressureLine{Avg10: 4.52, Avg60: 0.81, Avg300: 0.17, TotalUsec: 659466},
			},
		},
		{
			name: "some only (cpu before 5.13)",
			in:   "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
			want: &Pressure{Some: PressureLine{}},
		},
		{name: "empty", in: "", wantErr: true},
		{name: "bad field", in: "some avg10\n", wantErr: true},
		{name: "bad number", in: "some avg10=x avg60=0 avg300=0 total=0\n", wantErr: true},
		{name: "NaN", in: "some avg10=NaN avg60=0 avg300=0 total=0\n", wantErr: true},
		{name: "unknown key ignored", in: "some avg10=1.00 avg60=2.00 avg300=3.00 avg3600=9 total=5\n", want: &Pressure{Some: PressureLine{Avg10: 1, Avg60: 2, Avg300: 3, TotalUsec: 5}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsePSI([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("parsePSI(%q) error = %v; want error %v", tt.in, err, tt.wantErr)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parsePSI(%q) = %+v; want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseProcCgroup(t *testing.T) {
	in := "12:memory:/docker/abc\n2:cpu,cpuacct:/x\n1:name=systemd:/init.scope\n0::/system.slice/old.scope (deleted)\nbad\nx:y:z\n"
	want := []Placement{
		{HierarchyID: 12, Controllers: []string{"memory"}, Path: "/docker/abc"},
		{HierarchyID: 2, Controllers: []string{"cpu", "cpuacct"}, Path: "/x"},
		{HierarchyID: 1, Controllers: []string{"name=systemd"}, Path: "/init.scope"},
		{HierarchyID: 0, Controllers: []string{}, Path: "/system.slice/old.scope", Deleted: true},
	}
	if got := parseProcCgroup([]byte(in)); !reflect.DeepEqual(got, want) {
		t.Errorf("parseProcCgroup = %+v; want %+v", got, want)
	}
}

func TestParseCgroupMounts(t *testing.T) {
	in := `27 1 254:0 / / rw,relatime - ext4 /dev/vda rw
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct,release_agent=/x
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate
50 31 0:32 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
51 31 0:32 / /mnt/my\040mem rw - cgroup cgroup rw,memory
`
	mounts, err := parseCgroupMounts([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	got := hierarchiesFrom(mounts)
	want := []Hierarchy{
		{Version: 1, Controllers: []string{"cpu"}, MountPoint: "/sys/fs/cgroup/cpu", MountRoot: "/"},
		{Version: 1, Controllers: []string{"cpu", "cpuacct"}, MountPoint: "/sys/fs/cgroup/cpu,cpuacct", MountRoot: "/", Options: []string{"release_agent=/x"}},
		{Version: 1, Controllers: []string{"name=systemd"}, MountPoint: "/sys/fs/cgroup/systemd", MountRoot: "/", Options: []string{"xattr"}},
		{Version: 2, Controllers: []string{}, MountPoint: "/sys/fs/cgroup/unified", MountRoot: "/", Options: []string{"nsdelegate"}},
		// One superblock mounted twice: the mount exposing the whole tree wins.
		{Version: 1, Controllers: []string{"memory"}, MountPoint: "/mnt/my mem", MountRoot: "/"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("hierarchiesFrom =\n%+v\nwant\n%+v", got, want)
	}
}

func TestDirOf(t *testing.T) {
	h := &Hierarchy{MountPoint: "/sys/fs/cgroup/memory", MountRoot: "/docker/abc"}
	root := &Hierarchy{MountPoint: "/sys/fs/cgroup", MountRoot: "/"}
	tests := []struct {
		h      *Hierarchy
		path   string
		want   string
		wantOK bool
	}{
		{root, "/system.slice/x.scope", "/sys/fs/cgroup/system.slice/x.scope", true},
		{root, "/", "/sys/fs/cgroup", true},
		{h, "/docker/abc", "/sys/fs/cgroup/memory", true},
		{h, "/docker/abc/sub", "/sys/fs/cgroup/memory/sub", true},
		{h, "/docker/abcd", "", false},
		{h, "/", "", false},
		{root, "/../../x", "", false}, // outside the reader's cgroupns
	}
	for _, tt := range tests {
		got, ok := dirOf(tt.h, tt.path)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("dirOf(%q root %q, %q) = %q, %v; want %q, %v", tt.h.MountPoint, tt.h.MountRoot, tt.path, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestAtou(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true}, {"42", 42, true}, {"18446744073709551615", 18446744073709551615, true},
		{"18446744073709551616", 0, false}, {"", 0, false}, {"-1", 0, false}, {"4 ", 0, false}, {"max", 0, false},
	} {
		got, ok := atou([]byte(tt.in))
		if got != tt.want || ok != tt.ok {
			t.Errorf("atou(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestPickKeyed(t *testing.T) {
	data := []byte("anon 10\nfile 20\nfile_mapped 5\nbogus x\ninactive_file 7\n")
	got := pickKeyed(data, []string{"file", "anon", "inactive_file", "shmem", "bogus"})
	want := []any{uint64(20), uint64(10), uint64(7), nil, nil}
	for i, g := range got {
		var v any
		if g != nil {
			v = *g
		}
		if v != want[i] {
			t.Errorf("key %d = %v; want %v", i, v, want[i])
		}
	}
}

func TestParseProcs(t *testing.T) {
	if got := parseProcs([]byte("1\n42\n\n7\n")); !slices.Equal(got, []int{1, 42, 7}) {
		t.Errorf("parseProcs = %v", got)
	}
	if got := parseProcs(nil); got == nil || len(got) != 0 {
		t.Errorf("parseProcs(empty) = %#v; want an empty, non-nil list", got)
	}
}

func TestParseIOFiles(t *testing.T) {
	st := parseDeviceKeyed([]byte("8:0 rbytes=1024 wbytes=2048 rios=1 wios=2 dbytes=0 dios=0\n253:1 rbps=max wbps=1048576\n"))
	if st["8:0"]["wbytes"] != 2048 || st["253:1"]["rbps"] != ^uint64(0) || st["253:1"]["wbps"] != 1048576 {
		t.Errorf("parseDeviceKeyed = %v", st)
	}
	bl := parseBlkioStat([]byte("254:0 Read 4096\n254:0 Write 8192\n254:0 Total 12288\nTotal 12288\n"))
	if bl["254:0"]["Read"] != 4096 || bl["254:0"]["Write"] != 8192 || len(bl) != 1 {
		t.Errorf("parseBlkioStat = %v", bl)
	}
	dv := parseBlkioDevices([]byte("8:0 1048576\ndefault 100\n"))
	if dv["8:0"] != 1048576 || len(dv) != 1 {
		t.Errorf("parseBlkioDevices = %v", dv)
	}
}

func TestCountList(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int
		ok   bool
	}{{"0-3", 4, true}, {"0-3,8", 5, true}, {"5", 1, true}, {"", 0, false}, {"3-1", 0, false}, {"a", 0, false}} {
		got, ok := countList(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("countList(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
