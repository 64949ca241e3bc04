package inspect

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// Seccomp modes as /proc/PID/status reports them (0, 1, 2).
const (
	SeccompDisabled = "disabled"
	SeccompStrict   = "strict"
	SeccompFilter   = "filter"
)

// LSM names in Confinement.LSM.
const (
	LSMAppArmor = "apparmor"
	LSMSELinux  = "selinux"
	// LSMNone means no LSM that labels processes is active on the host.
	LSMNone = "none"
)

// IDMapping is one line of /proc/PID/uid_map or gid_map
// (user_namespaces(7)): Count ids from Inside, in the process's user
// namespace, map to Outside, in the user namespace of the reader.
type IDMapping struct {
	Inside  uint32 `json:"inside"`
	Outside uint32 `json:"outside"`
	Count   uint32 `json:"count"`
}

// Confinement is what the kernel enforces on a process besides
// capabilities: seccomp, no_new_privs, the LSM label and the user
// namespace mapping. Empty strings and nil pointers mean unknown (file
// absent or unreadable), never "off".
type Confinement struct {
	// Seccomp is SeccompDisabled, SeccompStrict or SeccompFilter; empty on
	// kernels without CONFIG_SECCOMP.
	Seccomp string `json:"seccomp,omitempty"`
	// SeccompFilters is the number of attached filters (kernel 5.9+).
	SeccompFilters *int  `json:"seccompFilters,omitempty"`
	NoNewPrivs     *bool `json:"noNewPrivs,omitempty"`
	// LSM is the active labelling LSM: LSMAppArmor, LSMSELinux, LSMNone,
	// or empty when unknown.
	LSM string `json:"lsm,omitempty"`
	// AppArmor is the profile with its mode, e.g. "docker-default (enforce)"
	// or "unconfined".
	AppArmor string `json:"apparmor,omitempty"`
	// SELinux is the process context, e.g.
	// "system_u:system_r:container_t:s0:c1,c2".
	SELinux string      `json:"selinux,omitempty"`
	UIDMap  []IDMapping `json:"uidMap,omitempty"`
	GIDMap  []IDMapping `json:"gidMap,omitempty"`
	// RootIsHostRoot is true when uid 0 inside maps to uid 0 of the reader's
	// user namespace (the host's, when ctx runs on the host): no user
	// namespace isolation of root. Nil when uid_map is unreadable.
	RootIsHostRoot *bool `json:"rootIsHostRoot,omitempty"`
}

// LSMUnconfined reports whether the process's LSM label puts no limits on
// it: AppArmor "unconfined" or a profile in complain mode, SELinux
// unconfined_t or spc_t (the "super privileged container" type), or no
// labelling LSM on the host. It is false when the label is unknown.
func (c Confinement) LSMUnconfined() bool {
	switch c.LSM {
	case LSMNone:
		return true
	case LSMAppArmor:
		return c.AppArmor == "unconfined" || strings.HasSuffix(c.AppArmor, "(complain)") ||
			strings.HasSuffix(c.AppArmor, "(unconfined)")
	case LSMSELinux:
		f := strings.Split(c.SELinux, ":")
		return len(f) >= 3 && (f[2] == "unconfined_t" || f[2] == "spc_t")
	}
	return false
}

// seccompStatus holds the confinement lines of /proc/PID/status.
type seccompStatus struct {
	Seccomp        string
	SeccompFilters *int
	NoNewPrivs     *bool
}

// parseSeccompStatus reads Seccomp:, Seccomp_filters: and NoNewPrivs: from
// /proc/PID/status (proc(5)). Lines a kernel does not print stay unknown.
func parseSeccompStatus(data []byte) seccompStatus {
	f := statusFields(data)
	var s seccompStatus
	switch f["Seccomp"] {
	case "0":
		s.Seccomp = SeccompDisabled
	case "1":
		s.Seccomp = SeccompStrict
	case "2":
		s.Seccomp = SeccompFilter
	}
	if n, err := strconv.Atoi(f["Seccomp_filters"]); err == nil {
		s.SeccompFilters = &n
	}
	if v := f["NoNewPrivs"]; v == "0" || v == "1" {
		b := v == "1"
		s.NoNewPrivs = &b
	}
	return s
}

// parseIDMap reads /proc/PID/uid_map or gid_map: lines of "inside outside
// count". Malformed lines are an error: a half-read map would misstate
// who root is.
func parseIDMap(data []byte) ([]IDMapping, error) {
	var out []IDMapping
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 {
			return nil, fmt.Errorf("inspect: id map line %q: want 3 fields", line)
		}
		var v [3]uint32
		for i := range f {
			n, err := strconv.ParseUint(f[i], 10, 32)
			if err != nil {
				return nil, fmt.Errorf("inspect: id map line %q: %w", line, err)
			}
			v[i] = uint32(n)
		}
		out = append(out, IDMapping{Inside: v[0], Outside: v[1], Count: v[2]})
	}
	return out, nil
}

// mapsRootToRoot reports whether id 0 inside maps to id 0 outside.
func mapsRootToRoot(m []IDMapping) bool {
	for _, e := range m {
		if e.Count > 0 && e.Inside == 0 {
			return e.Outside == 0
		}
	}
	return false
}

// parseLSMList reads /sys/kernel/security/lsm ("lockdown,capability,
// yama,apparmor") and names the labelling LSM among them: LSMSELinux,
// LSMAppArmor, or LSMNone.
func parseLSMList(data []byte) string {
	for _, l := range strings.Split(strings.TrimSpace(string(data)), ",") {
		switch l {
		case "selinux":
			return LSMSELinux
		case "apparmor":
			return LSMAppArmor
		}
	}
	return LSMNone
}

// classifyLabel guesses which LSM wrote an attr/current label when the LSM
// list is unreadable (securityfs not mounted): SELinux contexts have at
// least three colons-separated fields ("user:role:type[:level]"); AppArmor
// labels are "unconfined" or "profile (mode)".
func classifyLabel(label string) string {
	switch {
	case label == "":
		return ""
	case label == "unconfined" || strings.HasSuffix(label, ")"):
		return LSMAppArmor
	case strings.Count(label, ":") >= 2:
		return LSMSELinux
	}
	return ""
}

// parseAttrCurrent trims the NUL and newline the kernel appends to
// /proc/PID/attr/current.
func parseAttrCurrent(data []byte) string {
	return strings.TrimRight(string(data), "\x00\n")
}

// ReadConfinement reads the seccomp, no_new_privs, LSM and user namespace
// facts of process pid from /proc/PID/status, /proc/PID/attr/current (and
// attr/apparmor/current), /proc/PID/uid_map and gid_map, and
// /sys/kernel/security/lsm. Equivalent to: `grep -E 'Seccomp|NoNewPrivs'
// /proc/PID/status; cat /proc/PID/attr/current /proc/PID/uid_map`.
// Unreadable parts stay unknown and are named in the returned warnings; the
// error is set only when status itself cannot be read.
func ReadConfinement(root hostfs.Root, pid int) (*Confinement, []string, error) {
	st, err := hostfs.ReadFile(root.PID(pid, "status"))
	if err != nil {
		return nil, nil, err
	}
	var warn []string
	s := parseSeccompStatus(st)
	c := &Confinement{Seccomp: s.Seccomp, SeccompFilters: s.SeccompFilters, NoNewPrivs: s.NoNewPrivs}

	c.LSM, c.AppArmor, c.SELinux, warn = readLSM(root, pid, warn)

	if data, err := hostfs.ReadFile(root.PID(pid, "uid_map")); err == nil {
		if m, err := parseIDMap(data); err == nil {
			c.UIDMap = m
			r := mapsRootToRoot(m)
			c.RootIsHostRoot = &r
		} else {
			warn = append(warn, err.Error())
		}
	} else if !errors.Is(err, unix.ENOENT) {
		warn = append(warn, readWarning(pid, "uid_map", err))
	}
	if data, err := hostfs.ReadFile(root.PID(pid, "gid_map")); err == nil {
		if m, err := parseIDMap(data); err == nil {
			c.GIDMap = m
		} else {
			warn = append(warn, err.Error())
		}
	} else if !errors.Is(err, unix.ENOENT) {
		warn = append(warn, readWarning(pid, "gid_map", err))
	}
	return c, warn, nil
}

// readLSM finds the active LSM and the process's label. The LSM list in
// securityfs is authoritative; without it, attr/apparmor/current (kernel
// 5.1+) proves AppArmor, and the shape of attr/current tells the rest.
// EINVAL from attr/current means no labelling LSM is active.
func readLSM(root hostfs.Root, pid int, warn []string) (lsm, apparmor, selinux string, _ []string) {
	if data, err := hostfs.ReadFile(root.Sys("kernel", "security", "lsm")); err == nil {
		lsm = parseLSMList(data)
	}
	if lsm == "" || lsm == LSMAppArmor {
		if data, err := hostfs.ReadFile(root.PID(pid, "attr", "apparmor", "current")); err == nil {
			return LSMAppArmor, parseAttrCurrent(data), "", warn
		}
	}
	if lsm == LSMNone {
		return lsm, "", "", warn
	}
	data, err := hostfs.ReadFile(root.PID(pid, "attr", "current"))
	switch {
	case err == nil:
		label := parseAttrCurrent(data)
		if lsm == "" {
			lsm = classifyLabel(label)
		}
		switch lsm {
		case LSMAppArmor:
			apparmor = label
		case LSMSELinux:
			selinux = label
		}
	case errors.Is(err, unix.EINVAL) && lsm == "":
		lsm = LSMNone
	case errors.Is(err, unix.ENOENT), errors.Is(err, unix.EINVAL):
	default:
		warn = append(warn, readWarning(pid, "LSM label (attr/current)", err))
	}
	return lsm, apparmor, selinux, warn
}

// readWarning words a failed read of one procfs entry, naming the
// capability that lifts a permission refusal.
func readWarning(pid int, what string, err error) string {
	if hostfs.IsPermission(err) {
		return fmt.Sprintf("cannot read the %s of PID %d: needs CAP_SYS_PTRACE (run as root, or add --cap-add SYS_PTRACE to the sidecar)", what, pid)
	}
	return fmt.Sprintf("cannot read the %s of PID %d: %v", what, pid, err)
}

// Security is what a process can do to the host: its capabilities,
// confinement and filesystem exposure, as `ctx inspect` shows them.
type Security struct {
	PID          int           `json:"pid"`
	Capabilities *Capabilities `json:"capabilities,omitempty"`
	// LastCap is the kernel's cap_last_cap, 0 when unreadable.
	LastCap int `json:"lastCap,omitempty"`
	// HostBounding is the bounding set of the host's init (or of ctx when
	// PID 1 is unreadable), the ceiling IsPrivileged compares against.
	HostBounding *CapSet      `json:"hostBounding,omitempty"`
	Privileged   bool         `json:"privileged"`
	Confinement  *Confinement `json:"confinement,omitempty"`
	Rootfs       *Rootfs      `json:"rootfs,omitempty"`
	// Mounts is the process's whole mount table.
	Mounts    []Mount    `json:"mounts,omitempty"`
	Exposures []Exposure `json:"exposures"`
	Warnings  []string   `json:"warnings,omitempty"`
}

// Posture returns the facts of s that Check judges; the caller adds
// SharedWithHost and the cgroup limits.
func (s *Security) Posture() Posture {
	return Posture{
		Capabilities: s.Capabilities,
		Privileged:   s.Privileged,
		Confinement:  s.Confinement,
		Exposures:    s.Exposures,
	}
}

// ReadSecurity gathers the capabilities, confinement, rootfs and host
// exposures of process pid. It fails only when the process is gone or its
// status unreadable; every other unreadable part is left empty and named in
// Warnings. Equivalent to: `grep -E '^(Cap|Seccomp|NoNewPrivs)'
// /proc/PID/status; cat /proc/PID/attr/current /proc/PID/uid_map;
// findmnt -N PID`.
func ReadSecurity(root hostfs.Root, pid int) (*Security, error) {
	s := &Security{PID: pid, Exposures: []Exposure{}}
	caps, err := ReadCapabilities(root, pid)
	if err != nil {
		if hostfs.IsGone(err) {
			return nil, fmt.Errorf("inspect: PID %d: %w", pid, err)
		}
		if hostfs.IsPermission(err) {
			return nil, err
		}
		s.Warnings = append(s.Warnings, err.Error())
	}
	s.Capabilities = caps

	if caps != nil {
		last, err := ReadCapLastCap(root)
		if err != nil {
			last = capLastCap
			s.Warnings = append(s.Warnings, fmt.Sprintf("cannot read cap_last_cap, assuming %d: %v", last, err))
		}
		s.LastCap = last
		hb, err := ReadHostBounding(root)
		if err != nil {
			hb = FullSet(last)
			s.Warnings = append(s.Warnings, fmt.Sprintf("cannot read the host's bounding capability set, assuming all: %v", err))
		} else {
			s.HostBounding = &hb
		}
		s.Privileged = IsPrivileged(caps.Effective, last, hb)
	}

	conf, warn, err := ReadConfinement(root, pid)
	if err != nil {
		if hostfs.IsGone(err) {
			return nil, fmt.Errorf("inspect: PID %d: %w", pid, err)
		}
		s.Warnings = append(s.Warnings, readWarning(pid, "status", err))
	}
	s.Confinement = conf
	s.Warnings = append(s.Warnings, warn...)

	mounts, err := ReadMounts(root, pid)
	switch {
	case err == nil:
		s.Mounts = mounts
		host, herr := readHostMounts(root)
		if herr != nil {
			s.Warnings = append(s.Warnings, "cannot read the host's mount table, host paths are guessed from mount roots: "+herr.Error())
		}
		s.Rootfs, s.Exposures = analyzeMounts(mounts, host)
	case hostfs.IsGone(err):
		return nil, fmt.Errorf("inspect: PID %d: %w", pid, err)
	default:
		s.Warnings = append(s.Warnings, readWarning(pid, "mount table (mountinfo)", err))
	}
	return s, nil
}
