//go:build linux && (amd64 || arm64)

package layers

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// fstatat is fstatat(2) with AT_SYMLINK_NOFOLLOW on a name already
// NUL-terminated in a getdents buffer: no allocation per entry, which is
// most of a walk's cost besides the syscall itself.
func fstatat(dirfd int, _ []byte, namePtr *byte, st *unix.Stat_t) error {
	_, _, e := unix.Syscall6(unix.SYS_NEWFSTATAT, uintptr(dirfd), uintptr(unsafe.Pointer(namePtr)),
		uintptr(unsafe.Pointer(st)), unix.AT_SYMLINK_NOFOLLOW, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}
