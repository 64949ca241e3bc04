//go:build linux

package netdebug

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// This file is netdebug's small write side, for `ctx run` (package
// sandbox): a bridge, a veth pair into a container's network namespace,
// addresses, a default route, and their removal. Everything else in
// netdebug only reads.

// setupHandle opens an rtnetlink handle in the network namespace at
// nsPath (an nsfs file such as /proc/PID/ns/net), or in the calling
// thread's namespace when nsPath is "".
func setupHandle(nsPath string) (*netlink.Handle, error) {
	at := netns.None()
	if nsPath != "" {
		ns, err := netns.GetFromPath(nsPath)
		if err != nil {
			return nil, fmt.Errorf("netdebug: opening netns %q: %w", nsPath, err)
		}
		defer ns.Close()
		at = ns
	}
	h, err := netlink.NewHandleAt(at, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netdebug: rtnetlink socket: %w", err)
	}
	if err := h.SetSocketTimeout(socketTimeout); err != nil {
		h.Close()
		return nil, fmt.Errorf("netdebug: rtnetlink socket: %w", err)
	}
	return h, nil
}

// LinkUp sets link name up in the network namespace at nsPath ("" for the
// caller's). A new network namespace starts with lo down.
//
// Equivalent to: ip -n NS link set NAME up.
func LinkUp(nsPath, name string) error {
	h, err := setupHandle(nsPath)
	if err != nil {
		return err
	}
	defer h.Close()
	l, err := h.LinkByName(name)
	if err != nil {
		return fmt.Errorf("netdebug: link %q: %w", name, err)
	}
	if err := h.LinkSetUp(l); err != nil {
		return fmt.Errorf("netdebug: setting %q up: %w", name, err)
	}
	return nil
}

// EnsureBridge returns the IPv4 prefix of bridge name in the network
// namespace at nsPath ("" for the caller's), creating the bridge first if
// it does not exist: up, with the first host address of the first
// candidate that overlaps no address and no route of that namespace. The
// returned prefix carries the bridge's own address (10.213.0.1/24).
//
// Equivalent to: ip link add NAME type bridge; ip addr add GW/LEN dev NAME;
// ip link set NAME up.
func EnsureBridge(nsPath, name string, candidates []netip.Prefix) (netip.Prefix, error) {
	h, err := setupHandle(nsPath)
	if err != nil {
		return netip.Prefix{}, err
	}
	defer h.Close()
	if l, err := h.LinkByName(name); err == nil {
		return bridgeAddr(h, l)
	}
	used, err := usedPrefixes(h)
	if err != nil {
		return netip.Prefix{}, err
	}
	pick, ok := FreePrefix(candidates, used)
	if !ok {
		return netip.Prefix{}, fmt.Errorf("netdebug: every candidate range for bridge %q overlaps an address or route in use", name)
	}
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name}}
	if err := h.LinkAdd(br); err != nil {
		if errors.Is(err, unix.EEXIST) { // made meanwhile by another run
			if l, err := h.LinkByName(name); err == nil {
				return bridgeAddr(h, l)
			}
		}
		return netip.Prefix{}, fmt.Errorf("netdebug: creating bridge %q: %w", name, err)
	}
	l, err := h.LinkByName(name)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("netdebug: bridge %q: %w", name, err)
	}
	gw := netip.PrefixFrom(pick.Addr().Next(), pick.Bits())
	if err := h.AddrAdd(l, &netlink.Addr{IPNet: ipNet(gw)}); err != nil {
		h.LinkDel(l)
		return netip.Prefix{}, fmt.Errorf("netdebug: adding %s to %q: %w", gw, name, err)
	}
	if err := h.LinkSetUp(l); err != nil {
		h.LinkDel(l)
		return netip.Prefix{}, fmt.Errorf("netdebug: setting %q up: %w", name, err)
	}
	return gw, nil
}

// bridgeAddr is the first IPv4 address of an existing bridge.
func bridgeAddr(h *netlink.Handle, l netlink.Link) (netip.Prefix, error) {
	if l.Type() != "bridge" {
		return netip.Prefix{}, fmt.Errorf("netdebug: %q exists and is a %s, not a bridge", l.Attrs().Name, l.Type())
	}
	addrs, err := h.AddrList(l, unix.AF_INET)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("netdebug: addresses of %q: %w", l.Attrs().Name, err)
	}
	for _, a := range addrs {
		if p, ok := prefixOf(a.IPNet); ok {
			return p, nil
		}
	}
	return netip.Prefix{}, fmt.Errorf("netdebug: bridge %q has no IPv4 address", l.Attrs().Name)
}

// usedPrefixes lists the IPv4 addresses (as their subnets) and route
// destinations of a namespace, default routes excepted.
func usedPrefixes(h *netlink.Handle) ([]netip.Prefix, error) {
	var out []netip.Prefix
	addrs, err := h.AddrList(nil, unix.AF_INET)
	if err != nil {
		return nil, fmt.Errorf("netdebug: listing addresses: %w", err)
	}
	for _, a := range addrs {
		if p, ok := prefixOf(a.IPNet); ok {
			out = append(out, p.Masked())
		}
	}
	routes, err := h.RouteListFiltered(unix.AF_INET, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
	if err != nil {
		return nil, fmt.Errorf("netdebug: listing routes: %w", err)
	}
	for _, r := range routes {
		if p, ok := prefixOf(r.Dst); ok && p.Bits() > 0 {
			out = append(out, p.Masked())
		}
	}
	return out, nil
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

func prefixOf(n *net.IPNet) (netip.Prefix, bool) {
	if n == nil {
		return netip.Prefix{}, false
	}
	a, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	if !a.Is4() {
		return netip.Prefix{}, false
	}
	bits, _ := n.Mask.Size()
	return netip.PrefixFrom(a, bits), true
}

func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

// Veth is a veth pair from a bridge into another network namespace, as
// AddVeth makes it.
type Veth struct {
	// HostName is the end left in the bridge's namespace, a port of
	// Bridge.
	HostName string
	Bridge   string
	// HostNetNS is the bridge's namespace ("" for the caller's);
	// PeerNetNS the other one (/proc/PID/ns/net of its first process).
	HostNetNS, PeerNetNS string
	// PeerName is the name of the other end inside PeerNetNS ("eth0").
	PeerName string
	// Addr is the peer's address with the bridge's prefix length;
	// Gateway, when valid, becomes the peer's default route.
	Addr    netip.Prefix
	Gateway netip.Addr
	// MTU of both ends; 0 keeps the kernel's default.
	MTU int
}

// AddVeth creates the pair with the peer end born in PeerNetNS (so it never
// appears in the bridge's namespace and its name cannot clash there),
// attaches the host end to the bridge, and configures the peer: address,
// up, lo up, default route. A failure deletes the pair.
//
// Equivalent to: ip link add HOST master BRIDGE up type veth peer name
// PEER netns NS; ip -n NS addr add ADDR dev PEER; ip -n NS link set PEER
// up; ip -n NS link set lo up; ip -n NS route add default via GW.
func AddVeth(v Veth) error {
	peerNS, err := netns.GetFromPath(v.PeerNetNS)
	if err != nil {
		return fmt.Errorf("netdebug: opening netns %q: %w", v.PeerNetNS, err)
	}
	defer peerNS.Close()
	h, err := setupHandle(v.HostNetNS)
	if err != nil {
		return err
	}
	defer h.Close()
	br, err := h.LinkByName(v.Bridge)
	if err != nil {
		return fmt.Errorf("netdebug: bridge %q: %w", v.Bridge, err)
	}
	veth := &netlink.Veth{
		LinkAttrs:     netlink.LinkAttrs{Name: v.HostName, MasterIndex: br.Attrs().Index, MTU: v.MTU, Flags: net.FlagUp},
		PeerName:      v.PeerName,
		PeerNamespace: netlink.NsFd(int(peerNS)),
	}
	if err := h.LinkAdd(veth); err != nil {
		return fmt.Errorf("netdebug: creating veth %q: %w", v.HostName, err)
	}
	if err := configurePeer(peerNS, v); err != nil {
		if l, lerr := h.LinkByName(v.HostName); lerr == nil {
			h.LinkDel(l)
		}
		return err
	}
	return nil
}

func configurePeer(ns netns.NsHandle, v Veth) error {
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("netdebug: rtnetlink socket in %q: %w", v.PeerNetNS, err)
	}
	defer h.Close()
	h.SetSocketTimeout(socketTimeout)
	l, err := h.LinkByName(v.PeerName)
	if err != nil {
		return fmt.Errorf("netdebug: veth peer %q: %w", v.PeerName, err)
	}
	if v.Addr.IsValid() {
		if err := h.AddrAdd(l, &netlink.Addr{IPNet: ipNet(v.Addr)}); err != nil {
			return fmt.Errorf("netdebug: adding %s to %q: %w", v.Addr, v.PeerName, err)
		}
	}
	if err := h.LinkSetUp(l); err != nil {
		return fmt.Errorf("netdebug: setting %q up: %w", v.PeerName, err)
	}
	if lo, err := h.LinkByName("lo"); err == nil {
		if err := h.LinkSetUp(lo); err != nil {
			return fmt.Errorf("netdebug: setting lo up: %w", err)
		}
	}
	if v.Gateway.IsValid() {
		r := &netlink.Route{LinkIndex: l.Attrs().Index, Gw: v.Gateway.AsSlice()}
		if err := h.RouteAdd(r); err != nil {
			return fmt.Errorf("netdebug: default route via %s: %w", v.Gateway, err)
		}
	}
	return nil
}

// ErrNoLink means the link to delete does not exist.
var ErrNoLink = errors.New("netdebug: no such link")

// DeleteLink deletes link name in the namespace at nsPath ("" for the
// caller's); deleting one end of a veth pair deletes both. It wraps
// ErrNoLink when the link is gone already.
//
// Equivalent to: ip -n NS link del NAME.
func DeleteLink(nsPath, name string) error {
	h, err := setupHandle(nsPath)
	if err != nil {
		return err
	}
	defer h.Close()
	l, err := h.LinkByName(name)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return fmt.Errorf("%w: %q", ErrNoLink, name)
		}
		return fmt.Errorf("netdebug: link %q: %w", name, err)
	}
	if err := h.LinkDel(l); err != nil {
		return fmt.Errorf("netdebug: deleting %q: %w", name, err)
	}
	return nil
}

// DeleteBridgeIfUnused deletes bridge name when no link is its port, and
// reports whether it did. A missing bridge is not an error.
//
// Equivalent to: [ -z "$(ip link show master NAME)" ] && ip link del NAME.
func DeleteBridgeIfUnused(nsPath, name string) (bool, error) {
	h, err := setupHandle(nsPath)
	if err != nil {
		return false, err
	}
	defer h.Close()
	br, err := h.LinkByName(name)
	if err != nil {
		return false, nil
	}
	if br.Type() != "bridge" {
		return false, fmt.Errorf("netdebug: %q is a %s, not a bridge", name, br.Type())
	}
	links, err := h.LinkList()
	if err != nil {
		return false, fmt.Errorf("netdebug: listing links: %w", err)
	}
	for _, l := range links {
		if l.Attrs().MasterIndex == br.Attrs().Index {
			return false, nil
		}
	}
	if err := h.LinkDel(br); err != nil {
		return false, fmt.Errorf("netdebug: deleting bridge %q: %w", name, err)
	}
	return true, nil
}

// LinkNames lists the links of the namespace at nsPath ("" for the
// caller's) whose names match.
//
// Equivalent to: ip -n NS -o link | grep.
func LinkNames(nsPath string, match func(name string) bool) ([]string, error) {
	h, err := setupHandle(nsPath)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	links, err := h.LinkList()
	if err != nil {
		return nil, fmt.Errorf("netdebug: listing links: %w", err)
	}
	var out []string
	for _, l := range links {
		if n := l.Attrs().Name; match(n) {
			out = append(out, n)
		}
	}
	return out, nil
}
