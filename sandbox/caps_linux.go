//go:build linux

package sandbox

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// lastCap is the highest capability the kernel knows: PR_CAPBSET_READ
// fails with EINVAL above it (the same answer as
// /proc/sys/kernel/cap_last_cap, without reading the host's /proc).
func lastCap() int {
	c := 0
	for c < 63 {
		if err := unix.Prctl(unix.PR_CAPBSET_READ, uintptr(c+1), 0, 0, 0); err != nil {
			break
		}
		c++
	}
	return c
}

// dropBounding removes every capability not in keep from the calling
// thread's bounding set, so that no exec can regain it.
func dropBounding(keep uint64) error {
	last := lastCap()
	for c := 0; c <= last; c++ {
		if keep&(1<<uint(c)) != 0 {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil {
			return fmt.Errorf("dropping capability %d from the bounding set: %w", c, err)
		}
	}
	return nil
}

// setCaps sets the calling thread's effective, permitted and inheritable
// sets to keep (within what the kernel knows) and clears the ambient set.
// For root, execve then yields the bounding set, which dropBounding made
// keep.
func setCaps(keep uint64) error {
	last := lastCap()
	if last < 63 {
		keep &= 1<<uint(last+1) - 1
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	for i := range data {
		v := uint32(keep >> (32 * uint(i)))
		data[i] = unix.CapUserData{Effective: v, Permitted: v, Inheritable: v}
	}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capset: %w", err)
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return fmt.Errorf("clearing ambient capabilities: %w", err)
	}
	return nil
}
