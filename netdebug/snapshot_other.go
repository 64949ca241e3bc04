//go:build !linux

package netdebug

import "github.com/ctx-tools/ctx/inspect/hostfs"

// Snapshot needs rtnetlink: Linux only.
func Snapshot(root hostfs.Root, nets []NetNS) (*Topology, error) {
	return nil, ErrNotImplemented
}

// NetNSID needs rtnetlink: Linux only.
func NetNSID(root hostfs.Root, nsPath string) (*int, error) {
	return nil, ErrNotImplemented
}

// NetNSIDs is not implemented off Linux.
func NetNSIDs(root hostfs.Root, nsPaths []string) ([]*int, error) {
	return nil, ErrNotImplemented
}

// SnapshotWith needs rtnetlink: Linux only.
func SnapshotWith(root hostfs.Root, nets []NetNS, opts SnapshotOptions) (*Topology, error) {
	return nil, ErrNotImplemented
}

// ReadDNS needs openat2: Linux only.
func ReadDNS(root hostfs.Root, pid int) (*DNSConfig, error) {
	return nil, ErrNotImplemented
}
