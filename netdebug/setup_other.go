//go:build !linux

package netdebug

import (
	"errors"
	"net/netip"
)

// ErrNoLink means the link to delete does not exist.
var ErrNoLink = errors.New("netdebug: no such link")

// Veth is a veth pair from a bridge into another network namespace.
type Veth struct {
	HostName, Bridge     string
	HostNetNS, PeerNetNS string
	PeerName             string
	Addr                 netip.Prefix
	Gateway              netip.Addr
	MTU                  int
}

// LinkUp needs rtnetlink.
func LinkUp(string, string) error { return ErrNotImplemented }

// EnsureBridge needs rtnetlink.
func EnsureBridge(string, string, []netip.Prefix) (netip.Prefix, error) {
	return netip.Prefix{}, ErrNotImplemented
}

// FreePrefix returns the first candidate that overlaps none of used.
func FreePrefix(candidates, used []netip.Prefix) (netip.Prefix, bool) {
	for _, c := range candidates {
		free := true
		for _, u := range used {
			if c.Overlaps(u) {
				free = false
				break
			}
		}
		if free {
			return c.Masked(), true
		}
	}
	return netip.Prefix{}, false
}

// AddVeth needs rtnetlink.
func AddVeth(Veth) error { return ErrNotImplemented }

// DeleteLink needs rtnetlink.
func DeleteLink(string, string) error { return ErrNotImplemented }

// DeleteBridgeIfUnused needs rtnetlink.
func DeleteBridgeIfUnused(string, string) (bool, error) { return false, ErrNotImplemented }

// LinkNames needs rtnetlink.
func LinkNames(string, func(string) bool) ([]string, error) { return nil, ErrNotImplemented }
