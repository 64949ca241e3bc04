package cgroupview

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// bpfProgQueryAttr is the BPF_PROG_QUERY member of union bpf_attr
// (include/uapi/linux/bpf.h).
type bpfProgQueryAttr struct {
	targetFD    uint32
	attachType  uint32
	queryFlags  uint32
	attachFlags uint32
	progIDs     uint64
	progCnt     uint32
	_           uint32
	progAttach  uint64
	linkIDs     uint64
	linkAttach  uint64
	revision    uint64
}

// deviceProgram reports whether a BPF_CGROUP_DEVICE program applies to
// the cgroup2 directory fd (attached there or inherited). The kernel
// wants CAP_NET_ADMIN (or CAP_SYS_ADMIN) for BPF_PROG_QUERY.
//
// Equivalent to: bpftool cgroup show DIR --effective.
func deviceProgram(fd int) (bool, error) {
	attr := bpfProgQueryAttr{targetFD: uint32(fd), attachType: unix.BPF_CGROUP_DEVICE, queryFlags: unix.BPF_F_QUERY_EFFECTIVE}
	_, _, errno := unix.Syscall(unix.SYS_BPF, unix.BPF_PROG_QUERY, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
	if errno != 0 {
		return false, errno
	}
	return attr.progCnt > 0, nil
}
