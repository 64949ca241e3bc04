package inspect

import (
	"testing"

	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

func TestParseSeccompStatus(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		seccomp string
		filters int // -1: absent
		nnp     int // -1: absent
	}{
		{"docker default", "NoNewPrivs:\t0\nSeccomp:\t2\nSeccomp_filters:\t1\n", SeccompFilter, 1, 0},
		{"unconfined", "NoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\n", SeccompDisabled, 0, 0},
		{"strict", "NoNewPrivs:\t1\nSeccomp:\t1\n", SeccompStrict, -1, 1},
		{"kernel without seccomp", "Name:\tx\n", "", -1, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := parseSeccompStatus([]byte(tt.in))
			if s.Seccomp != tt.seccomp {
				t.Errorf("Seccomp = %q; want %q", s.Seccomp, tt.seccomp)
			}
			if got := seccompIntOr(s.SeccompFilters); got != tt.filters {
				t.Errorf("SeccompFilters = %d; want %d", got, tt.filters)
			}
			nnp := -1
			if s.NoNewPrivs != nil {
				nnp = 0
				if *s.NoNewPrivs {
					nnp = 1
				}
			}
			if nnp != tt.nnp {
				t.Errorf("NoNewPrivs = %d; want %d", nnp, tt.nnp)
			}
		})
	}
}

func seccompIntOr(p *int) int {
	if p == nil {
		return -1
	}
	return *p
}

func TestParseIDMap(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		want     []IDMapping
		rootRoot bool
		wantErr  bool
	}{
		{"init namespace", "         0          0 4294967295\n", []IDMapping{{0, 0, 4294967295}}, true, false},
		{"userns remap", "         0     100000      65536\n", []IDMapping{{0, 100000, 65536}}, false, false},
		{"rootless split", "0 1000 1\n1 100000 65536\n", []IDMapping{{0, 1000, 1}, {1, 100000, 65536}}, false, false},
		{"empty (unset map)", "", nil, false, false},
		{"malformed", "0 0\n", nil, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseIDMap([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v; want error %v", err, tt.wantErr)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v; want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("[%d] = %+v; want %+v", i, got[i], tt.want[i])
				}
			}
			if r := mapsRootToRoot(got); r != tt.rootRoot {
				t.Errorf("mapsRootToRoot = %v; want %v", r, tt.rootRoot)
			}
		})
	}
}

func TestParseLSMAndLabels(t *testing.T) {
	for in, want := range map[string]string{
		"lockdown,capability,landlock,yama,apparmor\n": LSMAppArmor,
		"capability,selinux,bpf":                       LSMSELinux,
		"lockdown,capability,yama":                     LSMNone,
	} {
		if got := parseLSMList([]byte(in)); got != want {
			t.Errorf("parseLSMList(%q) = %q; want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"docker-default (enforce)":                  LSMAppArmor,
		"unconfined":                                LSMAppArmor,
		"system_u:system_r:container_t:s0:c1,c2":    LSMSELinux,
		"unconfined_u:unconfined_r:unconfined_t:s0": LSMSELinux,
		"": "",
	} {
		if got := classifyLabel(in); got != want {
			t.Errorf("classifyLabel(%q) = %q; want %q", in, got, want)
		}
	}
	if got := parseAttrCurrent([]byte("docker-default (enforce)\n\x00")); got != "docker-default (enforce)" {
		t.Errorf("parseAttrCurrent = %q", got)
	}
}

func TestLSMUnconfined(t *testing.T) {
	tests := []struct {
		c    Confinement
		want bool
	}{
		{Confinement{LSM: LSMAppArmor, AppArmor: "docker-default (enforce)"}, false},
		{Confinement{LSM: LSMAppArmor, AppArmor: "unconfined"}, true},
		{Confinement{LSM: LSMAppArmor, AppArmor: "mine (complain)"}, true},
		{Confinement{LSM: LSMSELinux, SELinux: "system_u:system_r:container_t:s0:c1,c2"}, false},
		{Confinement{LSM: LSMSELinux, SELinux: "system_u:system_r:spc_t:s0"}, true},
		{Confinement{LSM: LSMNone}, true},
		{Confinement{}, false},
	}
	for _, tt := range tests {
		if got := tt.c.LSMUnconfined(); got != tt.want {
			t.Errorf("%+v: LSMUnconfined = %v; want %v", tt.c, got, tt.want)
		}
	}
}

const statusDockerDefault = "Name:\tsleep\nUid:\t0\t0\t0\t0\nCapInh:\t0000000000000000\nCapPrm:\t00000000a80425fb\nCapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t2\nSeccomp_filters:\t1\n"

func TestReadConfinementFixture(t *testing.T) {
	t.Run("apparmor", func(t *testing.T) {
		root := hostfstest.New(t, map[string]string{
			"proc/42/status":                statusDockerDefault,
			"proc/42/attr/apparmor/current": "docker-default (enforce)\n",
			"proc/42/attr/current":          "docker-default (enforce)\n",
			"proc/42/uid_map":               "         0          0 4294967295\n",
			"proc/42/gid_map":               "         0          0 4294967295\n",
			"sys/kernel/security/lsm":       "lockdown,capability,yama,apparmor",
		})
		c, warn, err := ReadConfinement(root, 42)
		if err != nil {
			t.Fatal(err)
		}
		if len(warn) != 0 {
			t.Errorf("warnings = %q; want none", warn)
		}
		if c.LSM != LSMAppArmor || c.AppArmor != "docker-default (enforce)" || c.SELinux != "" {
			t.Errorf("LSM = %q, AppArmor = %q, SELinux = %q; want apparmor docker-default (enforce)", c.LSM, c.AppArmor, c.SELinux)
		}
		if c.Seccomp != SeccompFilter || seccompIntOr(c.SeccompFilters) != 1 {
			t.Errorf("Seccomp = %q, filters %d; want filter, 1", c.Seccomp, seccompIntOr(c.SeccompFilters))
		}
		if c.RootIsHostRoot == nil || !*c.RootIsHostRoot {
			t.Errorf("RootIsHostRoot = %v; want true", c.RootIsHostRoot)
		}
	})
	t.Run("selinux without securityfs", func(t *testing.T) {
		root := hostfstest.New(t, map[string]string{
			"proc/42/status":       statusDockerDefault,
			"proc/42/attr/current": "system_u:system_r:container_t:s0:c1,c2\x00",
			"proc/42/uid_map":      "0 100000 65536\n",
		})
		c, _, err := ReadConfinement(root, 42)
		if err != nil {
			t.Fatal(err)
		}
		if c.LSM != LSMSELinux || c.SELinux != "system_u:system_r:container_t:s0:c1,c2" {
			t.Errorf("LSM = %q, SELinux = %q; want selinux container_t", c.LSM, c.SELinux)
		}
		if c.RootIsHostRoot == nil || *c.RootIsHostRoot {
			t.Errorf("RootIsHostRoot = %v; want false", c.RootIsHostRoot)
		}
		if c.GIDMap != nil {
			t.Errorf("GIDMap = %v; want nil (file absent)", c.GIDMap)
		}
	})
	t.Run("nothing known", func(t *testing.T) {
		root := hostfstest.New(t, map[string]string{"proc/42/status": "Name:\tx\n"})
		c, _, err := ReadConfinement(root, 42)
		if err != nil {
			t.Fatal(err)
		}
		if c.Seccomp != "" || c.SeccompFilters != nil || c.NoNewPrivs != nil || c.LSM != "" || c.RootIsHostRoot != nil {
			t.Errorf("got %+v; want every field unknown", c)
		}
	})
}
