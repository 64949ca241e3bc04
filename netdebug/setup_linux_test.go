package netdebug

import (
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

// newNetNS makes a network namespace held by an fd of this process and
// returns a path naming it; a thread is spent on it.
func newNetNS(t *testing.T) string {
	t.Helper()
	type res struct {
		ns  netns.NsHandle
		err error
	}
	ch := make(chan res)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		ns, err := netns.New()
		ch <- res{ns, err}
	}()
	r := <-ch
	if r.err != nil {
		t.Fatalf("new netns: %v", r.err)
	}
	t.Cleanup(func() { r.ns.Close() })
	return fmt.Sprintf("/proc/self/fd/%d", int(r.ns))
}

func TestBridgeVethSetup(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	hostfstest.NoLinkLeak(t)
	hostNS, peerNS := newNetNS(t), newNetNS(t)

	// A route the first candidate overlaps pushes the bridge to the second.
	if err := LinkUp(hostNS, "lo"); err != nil {
		t.Fatal(err)
	}
	h, err := setupHandle(hostNS)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	lo, _ := h.LinkByName("lo")
	if err := h.AddrAdd(lo, &netlink.Addr{IPNet: ipNet(netip.MustParsePrefix("10.213.0.9/24"))}); err != nil {
		t.Fatal(err)
	}
	cands := []netip.Prefix{netip.MustParsePrefix("10.213.0.0/24"), netip.MustParsePrefix("10.213.1.0/24")}
	gw, err := EnsureBridge(hostNS, "ctx0", cands)
	if err != nil {
		t.Fatal(err)
	}
	if want := netip.MustParsePrefix("10.213.1.1/24"); gw != want {
		t.Fatalf("EnsureBridge = %v; want %v", gw, want)
	}
	if again, err := EnsureBridge(hostNS, "ctx0", cands); err != nil || again != gw {
		t.Errorf("second EnsureBridge = %v, %v; want %v", again, err, gw)
	}

	addr := netip.PrefixFrom(gw.Addr().Next(), gw.Bits())
	v := Veth{HostName: "ctx-00test00", Bridge: "ctx0", HostNetNS: hostNS, PeerNetNS: peerNS, PeerName: "eth0", Addr: addr, Gateway: gw.Addr()}
	if err := AddVeth(v); err != nil {
		t.Fatal(err)
	}
	names, err := LinkNames(hostNS, func(n string) bool { return strings.HasPrefix(n, "ctx") })
	if err != nil || !slices.Equal(names, []string{"ctx0", "ctx-00test00"}) {
		t.Errorf("LinkNames = %q, %v; want [ctx0 ctx-00test00]", names, err)
	}

	ph, err := setupHandle(peerNS)
	if err != nil {
		t.Fatal(err)
	}
	defer ph.Close()
	eth, err := ph.LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	if eth.Attrs().Flags&unix.IFF_UP == 0 {
		t.Error("eth0 is down")
	}
	as, _ := ph.AddrList(eth, unix.AF_INET)
	if len(as) != 1 || as[0].IPNet.String() != addr.String() {
		t.Errorf("eth0 addresses = %v; want %v", as, addr)
	}
	routes, _ := ph.RouteList(nil, unix.AF_INET)
	var def bool
	for _, r := range routes {
		if r.Dst == nil || r.Dst.IP.IsUnspecified() {
			def = r.Gw.String() == gw.Addr().String()
		}
	}
	if !def {
		t.Errorf("routes = %v; want a default via %v", routes, gw.Addr())
	}

	if deleted, err := DeleteBridgeIfUnused(hostNS, "ctx0"); deleted || err != nil {
		t.Errorf("DeleteBridgeIfUnused with a port = %v, %v; want false", deleted, err)
	}
	if err := DeleteLink(hostNS, "ctx-00test00"); err != nil {
		t.Fatal(err)
	}
	if _, err := ph.LinkByName("eth0"); err == nil {
		t.Error("the peer survived deleting the host end")
	}
	if err := DeleteLink(hostNS, "ctx-00test00"); !errors.Is(err, ErrNoLink) {
		t.Errorf("second DeleteLink = %v; want ErrNoLink", err)
	}
	if deleted, err := DeleteBridgeIfUnused(hostNS, "ctx0"); !deleted || err != nil {
		t.Errorf("DeleteBridgeIfUnused = %v, %v; want true", deleted, err)
	}
	if deleted, err := DeleteBridgeIfUnused(hostNS, "ctx0"); deleted || err != nil {
		t.Errorf("DeleteBridgeIfUnused of a missing bridge = %v, %v; want false, nil", deleted, err)
	}
}
