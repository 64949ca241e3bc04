package sandbox

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

func TestParseSize(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
	}{{"0", 0}, {"4096", 4096}, {"64b", 64}, {"32m", 32 << 20}, {"32M", 32 << 20}, {"32MB", 32 << 20}, {"32MiB", 32 << 20},
		{"1.5g", 3 << 29}, {"2k", 2048}, {"1t", 1 << 40}} {
		got, err := ParseSize(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{"64q", "", "m", "-1m", "1e400", "abc", "12 m"} {
		if _, err := ParseSize(in); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseSize(%q) = %v; want ErrInvalid", in, err)
		}
	}
}

func TestParseFlags(t *testing.T) {
	if c, err := ParseCPUs("0.1"); err != nil || c != 0.1 {
		t.Errorf("ParseCPUs(0.1) = %v, %v", c, err)
	}
	for _, in := range []string{"0", "-1", "x", "NaN"} {
		if _, err := ParseCPUs(in); err == nil {
			t.Errorf("ParseCPUs(%q) succeeded", in)
		}
	}
	nets := map[string]Network{"": {Mode: NetNone}, "none": {Mode: NetNone}, "host": {Mode: NetHost}, "bridge": {Mode: NetBridge},
		"container:web-1": {Mode: NetContainer, Target: "web-1"}}
	for in, want := range nets {
		if got, err := ParseNetwork(in); err != nil || got != want {
			t.Errorf("ParseNetwork(%q) = %+v, %v", in, got, err)
		}
	}
	for _, in := range []string{"container:", "wifi", "Host"} {
		if _, err := ParseNetwork(in); err == nil {
			t.Errorf("ParseNetwork(%q) succeeded", in)
		}
	}
	if v, err := ParseVolume("/a/:/b:ro"); err != nil || v != (Volume{Source: "/a", Target: "/b", ReadOnly: true}) {
		t.Errorf("ParseVolume = %+v, %v", v, err)
	}
	for _, in := range []string{"/a", "a:/b", "/a:b", "/a:/b:rx", "/a:/b:ro:x"} {
		if _, err := ParseVolume(in); err == nil {
			t.Errorf("ParseVolume(%q) succeeded", in)
		}
	}
	if d, r, err := ParseIORate("/dev/sda:10m", true); err != nil || d != "/dev/sda" || r != 10<<20 {
		t.Errorf("ParseIORate = %q %d %v", d, r, err)
	}
	if d, r, err := ParseIORate("8:0:100", false); err != nil || d != "8:0" || r != 100 {
		t.Errorf("ParseIORate iops = %q %d %v", d, r, err)
	}
	for _, in := range []string{"/dev/sda", ":5", "/dev/sda:"} {
		if _, _, err := ParseIORate(in, true); err == nil {
			t.Errorf("ParseIORate(%q) succeeded", in)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := Spec{Rootfs: "/r", Args: []string{"true"}}
	if err := ok.validate(); err != nil {
		t.Fatal(err)
	}
	bad := []func(*Spec){
		func(s *Spec) { s.Image = "x" },
		func(s *Spec) { s.Rootfs = "" },
		func(s *Spec) { s.Args = nil },
		func(s *Spec) { s.RW, s.ReadOnly = true, true },
		func(s *Spec) { s.Limits.Memory = 1 << 20 },
		func(s *Spec) { s.Limits.Memory, s.Limits.MemorySwap = 64<<20, 32<<20 },
		func(s *Spec) { s.Limits.MemorySwap = -1 },
		func(s *Spec) { s.Limits.CPUShares, s.Limits.CPUWeight = 512, 50 },
		func(s *Spec) { s.Limits.CPUShares = 1 },
		func(s *Spec) { s.Hostname = "bad host" },
		func(s *Spec) { s.Cwd = "relative" },
		func(s *Spec) { s.Env = []string{"NOVALUE"} },
		func(s *Spec) { s.CapAdd = []string{"CAP_TELEPORT"} },
		func(s *Spec) { s.Net = Network{Mode: NetContainer} },
		func(s *Spec) { s.Volumes = []Volume{{Source: "/a", Target: "/"}} },
	}
	for i, f := range bad {
		s := ok
		f(&s)
		if err := s.validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("case %d: validate = %v; want ErrInvalid", i, err)
		}
	}
}

func TestCapSet(t *testing.T) {
	def, _ := capSet(nil, nil, false)
	if def.Hex() != "00000000a80425fb" {
		t.Errorf("default = %s; want docker's a80425fb", def.Hex())
	}
	set, err := capSet([]string{"SYS_ADMIN", "cap_net_admin"}, []string{"MKNOD"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if !set.Has(21) || !set.Has(12) || set.Has(27) {
		t.Errorf("add/drop = %v", set.Names())
	}
	only, _ := capSet([]string{"KILL"}, []string{"ALL"}, false)
	if !slices.Equal(only.Names(), []string{"cap_kill"}) {
		t.Errorf("drop ALL add KILL = %v", only.Names())
	}
	if all, _ := capSet(nil, nil, true); all != allCaps {
		t.Errorf("privileged = %v", all)
	}
	if _, err := capSet([]string{"nope"}, nil, false); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown cap: %v", err)
	}
}

func TestNames(t *testing.T) {
	for in, want := range map[string]string{"ctx-0123456789": "0123456789", "ctx-abcdefabcd": "abcdefabcd",
		"ctx-test-04f51206": "", "ctx-0123456789p": "", "ctx-ABCDEF0123": "", "ctx0": "", "xtx-0123456789": ""} {
		if got := idOf(in); got != want {
			t.Errorf("idOf(%q) = %q; want %q", in, got, want)
		}
	}
	id, err := newID()
	if err != nil || idOf(runName(id)) != id {
		t.Errorf("newID = %q, %v", id, err)
	}
}

func TestParseStartTime(t *testing.T) {
	line := []byte("4242 (a (weird) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1234 5 18446744073709551615\n")
	if v, err := parseStartTime(line); err != nil || v != 987654 {
		t.Errorf("parseStartTime = %d, %v; want 987654", v, err)
	}
	if _, err := parseStartTime([]byte("4242 (x) S 1")); err == nil {
		t.Error("short stat accepted")
	}
}

func TestChainIDs(t *testing.T) {
	// ChainID(2) = sha256("sha256:a sha256:b"), as the OCI image spec says.
	got := chainIDs([]string{"sha256:a", "sha256:b"})
	want := []string{"sha256:a", "sha256:970a948bffa8de94d6e22d747ba8c95030e6e546909f98f54e99a13005e173a8"}
	if !slices.Equal(got, want) {
		t.Errorf("chainIDs = %q", got)
	}
	if chainIDs([]string{"sha256:a", "sha256:b"})[1] == chainIDs([]string{"sha256:a", "sha256:c"})[1] {
		t.Error("chain IDs do not depend on the diff IDs")
	}
}

func TestRefCandidates(t *testing.T) {
	for in, want := range map[string][]string{
		"busybox":                     {"busybox", "busybox:latest", "docker.io/library/busybox:latest"},
		"ctx-test/busybox:1":          {"ctx-test/busybox:1", "docker.io/ctx-test/busybox:1"},
		"docker.io/library/alpine:3":  {"docker.io/library/alpine:3", "alpine:3"},
		"registry.local:5000/app":     {"registry.local:5000/app", "registry.local:5000/app:latest"},
		"ctx-test/busybox@sha256:abc": {"ctx-test/busybox@sha256:abc", "docker.io/ctx-test/busybox@sha256:abc"},
	} {
		if got := refCandidates(in); !reflect.DeepEqual(got, want) {
			t.Errorf("refCandidates(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestApplyBundle(t *testing.T) {
	dir := t.TempDir()
	cfg := `{"root":{"path":"rootfs","readonly":true},
"process":{"user":{"uid":1000,"gid":100},"args":["app","--flag"],"env":["A=1"],"cwd":"/srv","capabilities":{"bounding":["CAP_KILL","CAP_CHOWN"]}},
"hostname":"bh","mounts":[{"destination":"/proc","type":"proc","source":"proc"},{"destination":"/data","type":"bind","source":"/host/data","options":["rbind","ro"]},
 {"destination":"/run","type":"tmpfs","source":"tmpfs"}],
"linux":{"namespaces":[{"type":"pid"},{"type":"network","path":"/run/netns/x"}],"maskedPaths":["/proc/kcore"],
 "resources":{"memory":{"limit":67108864},"cpu":{"quota":50000,"period":100000,"shares":512},"pids":{"limit":30}}}}`
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	s := Spec{Bundle: dir, Env: []string{"B=2"}, Limits: Limits{PIDs: 10}}
	ex, err := applyBundle(&s, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := Spec{Bundle: dir, Rootfs: filepath.Join(dir, "rootfs"), ReadOnly: true, Args: []string{"app", "--flag"},
		Env: []string{"A=1", "B=2"}, Cwd: "/srv", User: "1000:100", Hostname: "bh",
		Volumes: []Volume{{Source: "/host/data", Target: "/data", ReadOnly: true}},
		Limits:  Limits{Memory: 64 << 20, CPUs: 0.5, CPUShares: 512, PIDs: 10},
		Net:     Network{Mode: NetContainer, Target: "/run/netns/x"},
		CapDrop: []string{"ALL"}, CapAdd: []string{"CAP_KILL", "CAP_CHOWN"}}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("applyBundle:\n got %+v\nwant %+v", s, want)
	}
	if !slices.Equal(ex.tmpfs, []string{"/run"}) || !slices.Equal(ex.masked, []string{"/proc/kcore"}) || ex.readonly != nil {
		t.Errorf("extras = %+v", ex)
	}
	if _, err := applyBundle(&Spec{}, t.TempDir()); !errors.Is(err, ErrNoRootfs) {
		t.Errorf("no config.json: %v", err)
	}
}
