//go:build linux && (amd64 || arm64)

package sandbox

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"
)

// runBPF interprets the classic BPF subset the filter uses on a
// seccomp_data.
func runBPF(t *testing.T, prog []unix.SockFilter, nr int32, arch uint32, arg0 uint64) uint32 {
	t.Helper()
	data := make([]byte, 64)
	binary.LittleEndian.PutUint32(data[0:], uint32(nr))
	binary.LittleEndian.PutUint32(data[4:], arch)
	binary.LittleEndian.PutUint64(data[16:], arg0)
	var acc uint32
	for pc := 0; pc < len(prog); pc++ {
		in := prog[pc]
		switch in.Code {
		case unix.BPF_LD | unix.BPF_W | unix.BPF_ABS:
			acc = binary.LittleEndian.Uint32(data[in.K:])
		case unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K, unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K:
			var cond bool
			switch in.Code &^ (unix.BPF_JMP | unix.BPF_K) {
			case unix.BPF_JEQ:
				cond = acc == in.K
			case unix.BPF_JGE:
				cond = acc >= in.K
			case unix.BPF_JSET:
				cond = acc&in.K != 0
			}
			if cond {
				pc += int(in.Jt)
			} else {
				pc += int(in.Jf)
			}
		case unix.BPF_RET | unix.BPF_K:
			return in.K
		default:
			t.Fatalf("unexpected instruction %#x at %d", in.Code, pc)
		}
	}
	t.Fatal("fell off the program")
	return 0
}

func TestSeccompProgram(t *testing.T) {
	prog := seccompProgram()
	eperm := uint32(unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM))
	cases := []struct {
		name string
		nr   int32
		arch uint32
		arg0 uint64
		want uint32
	}{
		{"read", unix.SYS_READ, auditArch, 0, unix.SECCOMP_RET_ALLOW},
		{"execve", unix.SYS_EXECVE, auditArch, 0, unix.SECCOMP_RET_ALLOW},
		{"mount", unix.SYS_MOUNT, auditArch, 0, eperm},
		{"unshare", unix.SYS_UNSHARE, auditArch, unix.CLONE_NEWNET, eperm},
		{"kexec_load", unix.SYS_KEXEC_LOAD, auditArch, 0, eperm},
		{"bpf", unix.SYS_BPF, auditArch, 0, eperm},
		{"clone (fork)", unix.SYS_CLONE, auditArch, uint64(unix.SIGCHLD), unix.SECCOMP_RET_ALLOW},
		{"clone (thread)", unix.SYS_CLONE, auditArch, unix.CLONE_VM | unix.CLONE_THREAD | unix.CLONE_SIGHAND, unix.SECCOMP_RET_ALLOW},
		{"clone NEWUSER", unix.SYS_CLONE, auditArch, unix.CLONE_NEWUSER, eperm},
		{"clone3", unix.SYS_CLONE3, auditArch, 0, unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)},
		{"another arch", unix.SYS_READ, 0x40000003, 0, eperm},
	}
	if x32Bit != 0 {
		cases = append(cases, struct {
			name string
			nr   int32
			arch uint32
			arg0 uint64
			want uint32
		}{"x32 read", x32Bit | unix.SYS_READ, auditArch, 0, eperm})
	}
	for _, c := range cases {
		if got := runBPF(t, prog, c.nr, c.arch, c.arg0); got != c.want {
			t.Errorf("%s: %#x; want %#x", c.name, got, c.want)
		}
	}
}
