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
