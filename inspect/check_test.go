//go:build linux

package inspect

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func checkIDs(fs []Finding) string {
	ids := make([]string, 0, len(fs))
	for _, f := range fs {
		ids = append(ids, f.Check)
	}
	return strings.Join(ids, ",")
}

func secPtr[T any](v T) *T { return &v }

func TestCheck(t *testing.T) {
	def := &Capabilities{Effective: 0xa80425fb, Permitted: 0xa80425fb, Bounding: 0xa80425fb}
	confined := &Confinement{Seccomp: SeccompFilter, LSM: LSMAppArmor, AppArmor: "docker-default (enforce)", RootIsHostRoot: secPtr(false)}
	tests := []struct {
		name string
		p    Posture
		want string // check IDs, most severe first
	}{
		{"nothing known", Posture{}, ""},
		{"default docker, userns, limits", Posture{Capabilities: def, Confinement: confined,
			MemoryLimit: secPtr(uint64(64 << 20)), PIDsLimit: secPtr(uint64(50))}, ""},
		{"added caps", Posture{Capabilities: &Capabilities{
			Effective: def.Effective | CapSetOf(unix.CAP_SYS_ADMIN, unix.CAP_NET_ADMIN, unix.CAP_SYS_PTRACE),
			Permitted: def.Effective | CapSetOf(unix.CAP_SYS_ADMIN, unix.CAP_NET_ADMIN, unix.CAP_SYS_PTRACE)}},
			"cap-sys-admin,cap-sys-ptrace,cap-net-admin"},
		{"privileged hides per-cap findings", Posture{Capabilities: &Capabilities{Effective: FullSet(40)}, Privileged: true}, "privileged"},
		{"permitted only still counts", Posture{Capabilities: &Capabilities{Permitted: CapSetOf(unix.CAP_SYS_MODULE)}}, "cap-sys-module"},
		{"no seccomp, unconfined, host root", Posture{Confinement: &Confinement{Seccomp: SeccompDisabled, LSM: LSMAppArmor, AppArmor: "unconfined", RootIsHostRoot: secPtr(true)}},
			"no-seccomp,no-lsm,root-is-host-root"},
		{"host without LSM", Posture{Confinement: &Confinement{Seccomp: SeccompFilter, LSM: LSMNone}}, "no-lsm"},
		{"unknown LSM is no finding", Posture{Confinement: &Confinement{Seccomp: SeccompFilter}}, ""},
		{"shared namespaces", Posture{SharedWithHost: map[string]bool{"pid": true, "net": true, "ipc": true, "uts": true, "mnt": false, "user": true}},
			"host-net-ns,host-pid-ns,host-ipc-ns,host-uts-ns"},
		{"no limits", Posture{MemoryLimit: secPtr(Unlimited), PIDsLimit: secPtr(Unlimited)}, "no-memory-limit,no-pids-limit"},
		{"cgroup v1 unlimited", Posture{MemoryLimit: secPtr(uint64(9223372036854771712))}, "no-memory-limit"},
		{"exposures", Posture{Exposures: []Exposure{
			{Kind: ExposureRuntimeSocket, MountPoint: "/var/run/docker.sock", HostPath: "/run/docker.sock", Writable: true},
			{Kind: ExposureHostRoot, MountPoint: "/host", HostPath: "/", Writable: false},
			{Kind: ExposureHostPath, MountPoint: "/data", HostPath: "/srv", Writable: true},
			{Kind: ExposureHostPath, MountPoint: "/cfg", HostPath: "/etc", Writable: false},
			{Kind: ExposureDevice, MountPoint: "/dev/kmsg", HostPath: "/dev/kmsg", Writable: true},
		}}, "docker-sock,host-root-mount,writable-host-mount,host-device,host-mount"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Check(tt.p)
			if ids := checkIDs(got); ids != tt.want {
				t.Errorf("findings = %q; want %q", ids, tt.want)
			}
			for _, f := range got {
				if f.Severity.rank() == 0 || f.Message == "" || f.Evidence == "" {
					t.Errorf("incomplete finding %+v", f)
				}
			}
		})
	}
}

func TestSeverity(t *testing.T) {
	for _, in := range []string{"low", "Medium", " HIGH ", "critical"} {
		if _, err := ParseSeverity(in); err != nil {
			t.Errorf("ParseSeverity(%q) = %v; want nil", in, err)
		}
	}
	if _, err := ParseSeverity("severe"); !errors.Is(err, ErrUnknownSeverity) {
		t.Errorf("ParseSeverity(severe) = %v; want ErrUnknownSeverity", err)
	}
	tests := []struct {
		s, min Severity
		want   bool
	}{
		{SeverityHigh, SeverityMedium, true},
		{SeverityMedium, SeverityMedium, true},
		{SeverityLow, SeverityMedium, false},
		{SeverityCritical, SeverityLow, true},
		{"bogus", SeverityLow, false},
		{SeverityLow, "", true},
	}
	for _, tt := range tests {
		if got := SeverityAtLeast(tt.s, tt.min); got != tt.want {
			t.Errorf("SeverityAtLeast(%q, %q) = %v; want %v", tt.s, tt.min, got, tt.want)
		}
	}
	fs := []Finding{{Severity: SeverityLow}, {Severity: SeverityMedium}}
	if !AnyAtLeast(fs, SeverityMedium) || AnyAtLeast(fs, SeverityHigh) {
		t.Error("AnyAtLeast misjudges low+medium findings")
	}
}
