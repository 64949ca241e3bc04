package inspect

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrUnknownSeverity is returned by ParseSeverity for a value that is not
// low, medium, high or critical.
var ErrUnknownSeverity = errors.New("inspect: unknown severity")

// Severity ranks a Finding.
type Severity string

// Severities from least to most severe.
const (
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Severities lists the valid severities from least to most severe, for
// flag help ("--fail-on {low | medium | high | critical}").
var Severities = []Severity{SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}

// rank is 1 (low) to 4 (critical), 0 for an unknown value.
func (s Severity) rank() int {
	for i, v := range Severities {
		if s == v {
			return i + 1
		}
	}
	return 0
}

// ParseSeverity parses a --fail-on value, case-insensitively.
func ParseSeverity(s string) (Severity, error) {
	v := Severity(strings.ToLower(strings.TrimSpace(s)))
	if v.rank() == 0 {
		return "", fmt.Errorf("%w %q: want one of low, medium, high, critical", ErrUnknownSeverity, s)
	}
	return v, nil
}

// SeverityAtLeast reports whether s is min or more severe. An unknown s is
// never at least anything; an unknown min is treated as low.
func SeverityAtLeast(s, min Severity) bool {
	r := s.rank()
	return r > 0 && r >= max(min.rank(), 1)
}

// Finding is one problem `ctx inspect --check` reports.
type Finding struct {
	Severity Severity `json:"severity"`
	// Check is a stable identifier, e.g. "cap-sys-admin", "docker-sock".
	Check    string `json:"check"`
	Message  string `json:"message"`
	Evidence string `json:"evidence,omitempty"`
}

// AnyAtLeast reports whether some finding is min or more severe: the exit
// 3 condition of --fail-on.
func AnyAtLeast(findings []Finding, min Severity) bool {
	for _, f := range findings {
		if SeverityAtLeast(f.Severity, min) {
			return true
		}
	}
	return false
}

// Unlimited is the MemoryLimit or PIDsLimit of a cgroup without a limit
// ("max"). Values at or above 1<<62 also count as no limit: cgroup v1
// reports "unlimited" as PAGE_COUNTER_MAX pages (9223372036854771712).
const Unlimited = ^uint64(0)

// noLimitThreshold is where a limit stops being a limit (see Unlimited).
const noLimitThreshold = 1 << 62

// Posture is what Check judges: the security facts of one process. The
// inspect readers fill Capabilities, Privileged, Confinement and Exposures
// (Security.Posture); the caller adds what other packages read. Nil and
// empty fields mean unknown and produce no finding.
type Posture struct {
	Capabilities *Capabilities `json:"capabilities,omitempty"`
	// Privileged is the full capability set (IsPrivileged).
	Privileged  bool         `json:"privileged"`
	Confinement *Confinement `json:"confinement,omitempty"`
	Exposures   []Exposure   `json:"exposures,omitempty"`
	// SharedWithHost maps a namespace type as /proc/PID/ns names it
	// ("pid", "net", "ipc", "uts", "mnt") to whether the process shares it
	// with the host's init. A missing key is unknown.
	SharedWithHost map[string]bool `json:"sharedWithHost,omitempty"`
	// MemoryLimit is the cgroup memory limit in bytes, Unlimited for none,
	// nil when unknown.
	MemoryLimit *uint64 `json:"memoryLimit,omitempty"`
	// PIDsLimit is the cgroup pids.max, Unlimited for none, nil when unknown.
	PIDsLimit *uint64 `json:"pidsLimit,omitempty"`
}

// nsChecks are the namespaces whose sharing with the host is a finding.
var nsChecks = []struct {
	typ      string
	severity Severity
	why      string
}{
	{"mnt", SeverityCritical, "shares the host's mount namespace: it sees and changes the host's mounts"},
	{"pid", SeverityHigh, "shares the host's pid namespace: it sees, signals and (with CAP_SYS_PTRACE) enters host processes"},
	{"net", SeverityHigh, "shares the host's network namespace: it binds host ports and, with CAP_NET_ADMIN, rewires the host"},
	{"ipc", SeverityMedium, "shares the host's IPC namespace: it reads and writes host shared memory and message queues"},
	{"uts", SeverityLow, "shares the host's UTS namespace: it can change the host's hostname (with CAP_SYS_ADMIN)"},
}

// CapCheckID is the Check of a capability finding: "cap-sys-admin" for
// cap_sys_admin.
func CapCheckID(bit int) string {
	return strings.ReplaceAll(CapName(bit), "_", "-")
}

// Check judges a posture and returns its findings, most severe first. It is
// pure; each check's rationale is in its message. The checks:
//
//   - privileged: the full capability set (as --privileged); per-capability
//     findings are then left out as redundant.
//   - cap-*: a capability of DangerousCaps in the effective or permitted
//     set.
//   - root-is-host-root: uid 0 inside is uid 0 on the host (no user
//     namespace), so any escape lands as host root.
//   - host-mnt-ns, host-pid-ns, host-net-ns, host-ipc-ns, host-uts-ns: a
//     namespace shared with the host's init.
//   - docker-sock: an engine API socket is mounted: full control of the host.
//   - host-root-mount: the host's / is mounted.
//   - writable-host-mount, host-mount: a host path is mounted read-write, or
//     read-only.
//   - writable-proc, writable-sys: procfs with writable /proc/sys, or a
//     read-write sysfs: host kernel tunables.
//   - host-device: host device nodes are mounted.
//   - no-seccomp: no seccomp filter: every syscall reaches the kernel.
//   - no-lsm: no AppArmor or SELinux confinement.
//   - no-memory-limit, no-pids-limit: a runaway container can exhaust the
//     host's memory or PIDs.
func Check(p Posture) []Finding {
	var out []Finding
	add := func(sev Severity, check, msg, evidence string) {
		out = append(out, Finding{Severity: sev, Check: check, Message: msg, Evidence: evidence})
	}

	if c := p.Capabilities; c != nil {
		if p.Privileged {
			add(SeverityCritical, "privileged", "runs with the full capability set (privileged): it can take over the host",
				"CapEff="+c.Effective.Hex())
		} else {
			usable := c.Usable()
			for _, bit := range usable.Dangerous().Bits() {
				sev, ok := capChecks[bit]
				if !ok {
					sev = SeverityMedium
				}
				add(sev, CapCheckID(bit), "holds "+strings.ToUpper(CapName(bit)),
					fmt.Sprintf("CapEff=%s CapPrm=%s", c.Effective.Hex(), c.Permitted.Hex()))
			}
		}
	}

	if c := p.Confinement; c != nil {
		if c.RootIsHostRoot != nil && *c.RootIsHostRoot {
			add(SeverityMedium, "root-is-host-root", "uid 0 inside is uid 0 on the host (no user namespace): an escape lands as host root",
				"uid_map "+formatIDMap(c.UIDMap))
		}
		if c.Seccomp == SeccompDisabled {
			add(SeverityHigh, "no-seccomp", "runs without a seccomp filter: every syscall reaches the kernel", "status Seccomp: 0")
		}
		if c.LSMUnconfined() {
			switch c.LSM {
			case LSMNone:
				add(SeverityLow, "no-lsm", "no AppArmor or SELinux is active on the host, so nothing confines it beyond capabilities and seccomp", "no labelling LSM active")
			case LSMAppArmor:
				add(SeverityMedium, "no-lsm", "its AppArmor profile does not confine it", "AppArmor "+c.AppArmor)
			case LSMSELinux:
				add(SeverityMedium, "no-lsm", "its SELinux type is not confined", "SELinux "+c.SELinux)
			}
		}
	}

	for _, n := range nsChecks {
		if p.SharedWithHost[n.typ] {
			add(n.severity, "host-"+n.typ+"-ns", n.why, n.typ+" namespace is the host init's")
		}
	}

	for _, e := range p.Exposures {
		ev := exposureEvidence(e)
		switch e.Kind {
		case ExposureRuntimeSocket:
			add(SeverityCritical, "docker-sock", "a container engine's API socket is mounted: it can start a privileged container and own the host", ev)
		case ExposureHostRoot:
			sev := SeverityHigh
			if e.Writable {
				sev = SeverityCritical
			}
			add(sev, "host-root-mount", "the host's / is mounted", ev)
		case ExposureHostPath:
			if e.Writable {
				add(SeverityHigh, "writable-host-mount", "a host path is mounted read-write: changes reach the host", ev)
			} else {
				add(SeverityLow, "host-mount", "a host path is mounted read-only: host data is readable", ev)
			}
		case ExposureProc:
			add(SeverityHigh, "writable-proc", "procfs is mounted with /proc/sys writable: it can change host kernel settings", ev)
		case ExposureSys:
			add(SeverityHigh, "writable-sys", "sysfs is mounted read-write: it can change host kernel and device settings", ev)
		case ExposureDevice:
			sev := SeverityMedium
			if e.HostPath == "/dev" {
				sev = SeverityHigh
			}
			add(sev, "host-device", "host device nodes are mounted", ev)
		}
	}

	if l := p.MemoryLimit; l != nil && *l >= noLimitThreshold {
		add(SeverityMedium, "no-memory-limit", "no memory limit: it can exhaust the host's memory", "memory limit: max")
	}
	if l := p.PIDsLimit; l != nil && *l >= noLimitThreshold {
		add(SeverityLow, "no-pids-limit", "no pids limit: a fork bomb exhausts the host's PIDs", "pids.max: max")
	}

	sort.SliceStable(out, func(i, j int) bool {
		if ri, rj := out[i].Severity.rank(), out[j].Severity.rank(); ri != rj {
			return ri > rj
		}
		return out[i].Check < out[j].Check
	})
	return out
}

func exposureEvidence(e Exposure) string {
	mode := "ro"
	if e.Writable {
		mode = "rw"
	}
	s := e.FSType + " at " + e.MountPoint + " (" + mode + ")"
	if e.HostPath != "" {
		s = e.HostPath + " -> " + s
	}
	return s
}

func formatIDMap(m []IDMapping) string {
	parts := make([]string, 0, len(m))
	for _, e := range m {
		parts = append(parts, fmt.Sprintf("%d %d %d", e.Inside, e.Outside, e.Count))
	}
	return strings.Join(parts, "; ")
}
