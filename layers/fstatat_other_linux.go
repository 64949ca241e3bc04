//go:build linux && !(amd64 || arm64)

package layers

import "golang.org/x/sys/unix"

// fstatat is fstatat(2) with AT_SYMLINK_NOFOLLOW.
func fstatat(dirfd int, name []byte, _ *byte, st *unix.Stat_t) error {
	return unix.Fstatat(dirfd, string(name), st, unix.AT_SYMLINK_NOFOLLOW)
}

// getdents is getdents64(2) into buf.
func getdents(fd int, buf []byte) (int, error) { return unix.Getdents(fd, buf) }
