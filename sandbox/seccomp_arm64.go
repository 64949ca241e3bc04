//go:build linux

package sandbox

import "golang.org/x/sys/unix"

const (
	auditArch = unix.AUDIT_ARCH_AARCH64
	x32Bit    = 0 // no x32 ABI
)

// archDenied: arm64 has none of the legacy syscalls amd64 keeps.
var archDenied []uint32
