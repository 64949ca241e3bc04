//go:build linux && (amd64 || arm64)

package sandbox

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The default seccomp filter is a deny-list in the spirit of Docker's
// profile, written as a classic BPF program in Go (no libseccomp, no cgo):
// syscalls that reconfigure the kernel or escape the container fail with
// EPERM, clone3 with ENOSYS (so libcs fall back to clone, whose flags a
// filter can see), clone with a namespace flag with EPERM, and so does any
// other ABI of the machine (i386 or x32 calls on amd64: their numbers
// differ, so a deny-list by number would not hold for them).

// seccompDenied are the syscalls of every supported architecture that the
// filter refuses; archDenied (per architecture file) adds legacy ones.
var seccompDenied = []uint32{
	unix.SYS_ACCT, unix.SYS_ADD_KEY, unix.SYS_BPF, unix.SYS_CLOCK_ADJTIME, unix.SYS_CLOCK_SETTIME,
	unix.SYS_DELETE_MODULE, unix.SYS_FINIT_MODULE, unix.SYS_INIT_MODULE, unix.SYS_KEXEC_FILE_LOAD,
	unix.SYS_KEXEC_LOAD, unix.SYS_KEYCTL, unix.SYS_LOOKUP_DCOOKIE, unix.SYS_MOUNT, unix.SYS_NAME_TO_HANDLE_AT,
	unix.SYS_NFSSERVCTL, unix.SYS_OPEN_BY_HANDLE_AT, unix.SYS_PERF_EVENT_OPEN, unix.SYS_PIVOT_ROOT,
	unix.SYS_QUOTACTL, unix.SYS_REBOOT, unix.SYS_REQUEST_KEY, unix.SYS_SETNS, unix.SYS_SETTIMEOFDAY,
	unix.SYS_SWAPON, unix.SYS_SWAPOFF, unix.SYS_UMOUNT2, unix.SYS_UNSHARE, unix.SYS_USERFAULTFD,
	unix.SYS_VHANGUP, unix.SYS_FSOPEN, unix.SYS_FSCONFIG, unix.SYS_FSMOUNT, unix.SYS_FSPICK,
	unix.SYS_MOVE_MOUNT, unix.SYS_OPEN_TREE, unix.SYS_MOUNT_SETATTR, unix.SYS_SYSLOG,
	unix.SYS_IO_URING_SETUP, unix.SYS_IO_URING_ENTER, unix.SYS_IO_URING_REGISTER, unix.SYS_ADJTIMEX,
}

// cloneNSFlags are the clone flags that make namespaces.
const cloneNSFlags = unix.CLONE_NEWNS | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC | unix.CLONE_NEWUSER |
	unix.CLONE_NEWPID | unix.CLONE_NEWNET | unix.CLONE_NEWCGROUP | unix.CLONE_NEWTIME

// Offsets in struct seccomp_data.
const (
	seccompNr   = 0
	seccompArch = 4
	seccompArg0 = 16 // low 32 bits on little-endian machines
)

func bpfStmt(code uint16, k uint32) unix.SockFilter {
	return unix.SockFilter{Code: code, K: k}
}

// seccompProgram builds the filter. Jumps go forward to three returns at
// the end: allow, EPERM, ENOSYS.
func seccompProgram() []unix.SockFilter {
	denied := append(append([]uint32(nil), seccompDenied...), archDenied...)
	type jump struct {
		code   uint16
		k      uint32
		jt, jf int // -1: next; else a label
	}
	const (
		lAllow = iota
		lDeny
		lNosys
	)
	var body []jump
	body = append(body,
		jump{unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, seccompArch, -1, -1},
		jump{unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, auditArch, -1, lDeny},
		jump{unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, seccompNr, -1, -1},
	)
	if x32Bit != 0 {
		body = append(body, jump{unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K, x32Bit, lDeny, -1})
	}
	body = append(body, jump{unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, unix.SYS_CLONE3, lNosys, -1})
	for _, nr := range denied {
		body = append(body, jump{unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, nr, lDeny, -1})
	}
	body = append(body,
		jump{unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, unix.SYS_CLONE, -1, lAllow},
		jump{unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, seccompArg0, -1, -1},
		jump{unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K, cloneNSFlags, lDeny, lAllow},
	)
	n := len(body)
	label := func(l int) int { return n + l }
	prog := make([]unix.SockFilter, 0, n+3)
	for i, j := range body {
		f := unix.SockFilter{Code: j.code, K: j.k}
		if j.code&0x07 == unix.BPF_JMP {
			rel := func(t int) uint8 {
				if t < 0 {
					return 0
				}
				return uint8(label(t) - i - 1)
			}
			f.Jt, f.Jf = rel(j.jt), rel(j.jf)
		}
		prog = append(prog, f)
	}
	return append(prog,
		bpfStmt(unix.BPF_RET|unix.BPF_K, unix.SECCOMP_RET_ALLOW),
		bpfStmt(unix.BPF_RET|unix.BPF_K, unix.SECCOMP_RET_ERRNO|uint32(unix.EPERM)),
		bpfStmt(unix.BPF_RET|unix.BPF_K, unix.SECCOMP_RET_ERRNO|uint32(unix.ENOSYS)),
	)
}

// loadSeccomp installs the filter on the calling thread, which must have
// no_new_privs set; the command inherits it across fork and exec.
func loadSeccomp() error {
	prog := seccompProgram()
	if len(prog) > 255+3 {
		return fmt.Errorf("filter too long (%d instructions) for 8-bit jumps", len(prog))
	}
	fp := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	return unix.Prctl(unix.PR_SET_SECCOMP, unix.SECCOMP_MODE_FILTER, uintptr(unsafe.Pointer(&fp)), 0, 0)
}
