package inspect

import "golang.org/x/sys/unix"

// The tables in this file are keyed by the kernel's capability numbers,
// which x/sys/unix defines only for Linux; caps_other.go stands in for them
// elsewhere.

// capNames are the kernel's names of the capability bits
// (include/uapi/linux/capability.h), spelled as capsh(1) and
// cap_to_name(3) spell them.
var capNames = [...]string{
	unix.CAP_CHOWN:              "cap_chown",
	unix.CAP_DAC_OVERRIDE:       "cap_dac_override",
	unix.CAP_DAC_READ_SEARCH:    "cap_dac_read_search",
	unix.CAP_FOWNER:             "cap_fowner",
	unix.CAP_FSETID:             "cap_fsetid",
	unix.CAP_KILL:               "cap_kill",
	unix.CAP_SETGID:             "cap_setgid",
	unix.CAP_SETUID:             "cap_setuid",
	unix.CAP_SETPCAP:            "cap_setpcap",
	unix.CAP_LINUX_IMMUTABLE:    "cap_linux_immutable",
	unix.CAP_NET_BIND_SERVICE:   "cap_net_bind_service",
	unix.CAP_NET_BROADCAST:      "cap_net_broadcast",
	unix.CAP_NET_ADMIN:          "cap_net_admin",
	unix.CAP_NET_RAW:            "cap_net_raw",
	unix.CAP_IPC_LOCK:           "cap_ipc_lock",
	unix.CAP_IPC_OWNER:          "cap_ipc_owner",
	unix.CAP_SYS_MODULE:         "cap_sys_module",
	unix.CAP_SYS_RAWIO:          "cap_sys_rawio",
	unix.CAP_SYS_CHROOT:         "cap_sys_chroot",
	unix.CAP_SYS_PTRACE:         "cap_sys_ptrace",
	unix.CAP_SYS_PACCT:          "cap_sys_pacct",
	unix.CAP_SYS_ADMIN:          "cap_sys_admin",
	unix.CAP_SYS_BOOT:           "cap_sys_boot",
	unix.CAP_SYS_NICE:           "cap_sys_nice",
	unix.CAP_SYS_RESOURCE:       "cap_sys_resource",
	unix.CAP_SYS_TIME:           "cap_sys_time",
	unix.CAP_SYS_TTY_CONFIG:     "cap_sys_tty_config",
	unix.CAP_MKNOD:              "cap_mknod",
	unix.CAP_LEASE:              "cap_lease",
	unix.CAP_AUDIT_WRITE:        "cap_audit_write",
	unix.CAP_AUDIT_CONTROL:      "cap_audit_control",
	unix.CAP_SETFCAP:            "cap_setfcap",
	unix.CAP_MAC_OVERRIDE:       "cap_mac_override",
	unix.CAP_MAC_ADMIN:          "cap_mac_admin",
	unix.CAP_SYSLOG:             "cap_syslog",
	unix.CAP_WAKE_ALARM:         "cap_wake_alarm",
	unix.CAP_BLOCK_SUSPEND:      "cap_block_suspend",
	unix.CAP_AUDIT_READ:         "cap_audit_read",
	unix.CAP_PERFMON:            "cap_perfmon",
	unix.CAP_BPF:                "cap_bpf",
	unix.CAP_CHECKPOINT_RESTORE: "cap_checkpoint_restore",
}

// DangerousCaps are the capabilities that let a container reach beyond
// itself: each is a known container-escape or host-tampering primitive.
// Docker's default set (which includes CAP_NET_RAW, CAP_MKNOD,
// CAP_DAC_OVERRIDE) is deliberately left out, so a default container is not
// flagged: NET_RAW allows spoofing on the container's own network, not an
// escape.
//
//   - cap_sys_admin: mount, setns, bpf, keyctl and much more; the classic
//     escape (cgroup release_agent, mounting host disks).
//   - cap_sys_module: loads kernel code.
//   - cap_sys_ptrace: attaches to any process it can see (with --pid host,
//     to the host's).
//   - cap_sys_rawio: raw I/O ports and /dev/mem.
//   - cap_dac_read_search: open_by_handle_at, the "shocker" escape.
//   - cap_net_admin: reconfigures the network namespace, and the host's
//     with --network host.
//   - cap_sys_boot: reboot and kexec_load.
//   - cap_sys_time: sets the host clock (time is not namespaced).
//   - cap_mac_admin, cap_mac_override: change or bypass the LSM policy.
//   - cap_bpf, cap_perfmon: load BPF programs, read kernel memory through
//     perf.
//   - cap_syslog: reads kernel addresses and the kernel log.
const DangerousCaps CapSet = 1<<unix.CAP_SYS_ADMIN |
	1<<unix.CAP_SYS_MODULE |
	1<<unix.CAP_SYS_PTRACE |
	1<<unix.CAP_SYS_RAWIO |
	1<<unix.CAP_DAC_READ_SEARCH |
	1<<unix.CAP_NET_ADMIN |
	1<<unix.CAP_SYS_BOOT |
	1<<unix.CAP_SYS_TIME |
	1<<unix.CAP_MAC_ADMIN |
	1<<unix.CAP_MAC_OVERRIDE |
	1<<unix.CAP_BPF |
	1<<unix.CAP_PERFMON |
	1<<unix.CAP_SYSLOG

// capChecks are the severities of the dangerous capabilities (see
// DangerousCaps for why each is dangerous).
var capChecks = map[int]Severity{
	unix.CAP_SYS_MODULE:      SeverityCritical, // loads code into the host kernel
	unix.CAP_SYS_ADMIN:       SeverityHigh,     // mount, setns, release_agent escapes
	unix.CAP_SYS_PTRACE:      SeverityHigh,     // injects into every visible process
	unix.CAP_DAC_READ_SEARCH: SeverityHigh,     // open_by_handle_at reads host files
	unix.CAP_SYS_RAWIO:       SeverityHigh,     // raw device and port I/O
	unix.CAP_BPF:             SeverityHigh,     // BPF programs read kernel memory
	unix.CAP_NET_ADMIN:       SeverityMedium,   // rewires its network (the host's with --network host)
	unix.CAP_SYS_BOOT:        SeverityMedium,   // kexec_load, reboot
	unix.CAP_SYS_TIME:        SeverityMedium,   // sets the host clock
	unix.CAP_MAC_ADMIN:       SeverityMedium,   // changes LSM policy
	unix.CAP_MAC_OVERRIDE:    SeverityMedium,   // bypasses LSM policy
	unix.CAP_PERFMON:         SeverityMedium,   // perf reads kernel state
	unix.CAP_SYSLOG:          SeverityLow,      // kernel log and addresses
}

// IsPrivileged decides whether eff is "the full capability set", as
// docker --privileged grants it. The rule: eff holds every capability from
// bit 0 through min(lastCap, cap_audit_read) except those the host's own
// bounding set lacks.
//
//   - A runtime cannot grant what it does not hold: on hosts whose init or
//     dockerd runs without CAP_SYS_RESOURCE, --privileged yields all but
//     that one. hostBounding is the bounding set of the host's PID 1 (or of
//     ctx when PID 1 is unreadable); pass FullSet(lastCap) when unknown.
//   - Capabilities after cap_audit_read (cap_perfmon, cap_bpf,
//     cap_checkpoint_restore, kernel 5.8+) are not required: runtimes that
//     predate them (docker 20.10) leave them out of --privileged, and
//     cap_sys_admin still grants what they split off.
//
// The reference set must contain cap_sys_admin, so a crippled host
// bounding set never makes every process privileged.
func IsPrivileged(eff CapSet, lastCap int, hostBounding CapSet) bool {
	want := FullSet(min(lastCap, unix.CAP_AUDIT_READ)) & hostBounding
	if !want.Has(unix.CAP_SYS_ADMIN) {
		return false
	}
	return eff&want == want
}

// capLastCap is the highest capability bit x/sys/unix knows, assumed when
// /proc/sys/kernel/cap_last_cap is unreadable.
const capLastCap = unix.CAP_LAST_CAP
