//go:build linux

package netdebug

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/inspect/hostfs"
	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

// ipCmd runs ip(8) and fails the test on error.
func ipCmd(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// ipLink is the part of `ip -j link` the tests compare.
type ipLink struct {
	IfIndex     int    `json:"ifindex"`
	IfName      string `json:"ifname"`
	Master      string `json:"master"`
	LinkIndex   int    `json:"link_index"`
	LinkNetNSID *int   `json:"link_netnsid"`
}

func ipLinks(t *testing.T, args ...string) []ipLink {
	t.Helper()
	var links []ipLink
	out := ipCmd(t, append([]string{"-j"}, args...)...)
	if err := json.Unmarshal([]byte(out), &links); err != nil {
		t.Fatalf("decoding ip -j %s: %v", strings.Join(args, " "), err)
	}
	return links
}

// addNetNS creates a named netns with `ip netns add` and deletes it in
// t.Cleanup, which takes every link inside with it.
func addNetNS(t *testing.T, name string) NetNS {
	t.Helper()
	ipCmd(t, "netns", "add", name)
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v\n%s", name, err, out)
		}
	})
	root := liveRoot(t)
	path := root.Host("/run/netns/" + name)
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return NetNS{Ino: st.Ino, Dev: st.Dev, Path: path, Label: "bind:" + name}
}

func liveRoot(t *testing.T) hostfs.Root {
	t.Helper()
	root, err := hostfs.New("/")
	if err != nil {
		t.Fatal(err)
	}
	if !root.Live() {
		t.Fatal("hostfs.New(\"/\") is not live")
	}
	return root
}

// TestSnapshotTopology builds, in three throwaway namespaces A, B, C: a
// bridge br0 in A with ports vb and vc, whose peers are both named eth0
// with ifindex 20, in B and in C; a veth pair x0/x1 inside C; addresses
// 10.77.0.x, a default route and a table-100 route with its rule in B.
func TestSnapshotTopology(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	hostfstest.RequireTool(t, "privileged", "ip")
	hostfstest.NoNetNSLeak(t)
	hostfstest.NoLinkLeak(t)
	hostfstest.NoFDLeak(t)
	root := liveRoot(t)

	pid := os.Getpid()
	nameA, nameB, nameC := fmt.Sprintf("ctxtest-a-%d", pid), fmt.Sprintf("ctxtest-b-%d", pid), fmt.Sprintf("ctxtest-c-%d", pid)
	a, b, c := addNetNS(t, nameA), addNetNS(t, nameB), addNetNS(t, nameC)

	for _, args := range [][]string{
		{"-n", nameA, "link", "add", "br0", "type", "bridge"},
		{"-n", nameA, "addr", "add", "10.77.0.1/24", "dev", "br0"},
		{"-n", nameA, "link", "set", "br0", "up"},
		{"-n", nameA, "link", "add", "vb", "index", "20", "type", "veth", "peer", "name", "eth0", "index", "20", "netns", nameB},
		{"-n", nameA, "link", "add", "vc", "index", "21", "type", "veth", "peer", "name", "eth0", "index", "20", "netns", nameC},
		{"-n", nameA, "link", "set", "vb", "master", "br0", "up"},
		{"-n", nameA, "link", "set", "vc", "master", "br0", "up"},
		{"-n", nameB, "addr", "add", "10.77.0.2/24", "dev", "eth0"},
		{"-n", nameB, "link", "set", "eth0", "up"},
		{"-n", nameB, "route", "add", "default", "via", "10.77.0.1"},
		{"-n", nameB, "route", "add", "10.99.0.0/24", "via", "10.77.0.1", "table", "100"},
		{"-n", nameB, "rule", "add", "from", "10.77.0.2", "table", "100", "priority", "1000"},
		{"-n", nameC, "addr", "add", "10.77.0.3/24", "dev", "eth0"},
		{"-n", nameC, "link", "set", "eth0", "up"},
		{"-n", nameC, "link", "add", "x0", "type", "veth", "peer", "name", "x1"},
	} {
		ipCmd(t, args...)
	}

	topo := snapshotUntil(t, root, []NetNS{a, b, c}, func(topo *Topology) bool {
		ns := topo.Namespace(a.Ino)
		for _, name := range []string{"vb", "vc"} {
			if l := linkByName(ns, name); l == nil || l.Port == nil || l.Port.State != "forwarding" {
				return false
			}
		}
		return true
	})
	if len(topo.Warnings) != 0 {
		t.Errorf("Warnings = %q; want none", topo.Warnings)
	}
	if len(topo.Namespaces) != 3 {
		t.Fatalf("got %d namespaces; want 3", len(topo.Namespaces))
	}
	nsA, nsB, nsC := topo.Namespace(a.Ino), topo.Namespace(b.Ino), topo.Namespace(c.Ino)

	idx := func(ns *Namespace, name string) int {
		t.Helper()
		l := linkByName(ns, name)
		if l == nil {
			t.Fatalf("net:[%d] has no link %s; links %+v", ns.Ino, name, ns.Links)
		}
		return l.Index
	}
	if idx(nsB, "eth0") != 20 || idx(nsC, "eth0") != 20 || idx(nsA, "vb") != 20 {
		t.Fatalf("ifindexes: B eth0 %d, C eth0 %d, A vb %d; want 20 each", idx(nsB, "eth0"), idx(nsC, "eth0"), idx(nsA, "vb"))
	}
	wantPairs := map[VethPair]bool{
		{A: Endpoint{a.Ino, 20, "vb"}, B: Endpoint{b.Ino, 20, "eth0"}}:                       true,
		{A: Endpoint{a.Ino, idx(nsA, "vc"), "vc"}, B: Endpoint{c.Ino, 20, "eth0"}}:           true,
		{A: Endpoint{c.Ino, idx(nsC, "x0"), "x0"}, B: Endpoint{c.Ino, idx(nsC, "x1"), "x1"}}: true,
	}
	for _, p := range topo.Veths {
		// A is the lower (netns, ifindex) end; normalise the expectation.
		if !wantPairs[p] && !wantPairs[VethPair{A: p.B, B: p.A}] {
			t.Errorf("unexpected veth pair %+v", p)
		}
	}
	if len(topo.Veths) != len(wantPairs) {
		t.Errorf("got %d veth pairs %+v; want %d", len(topo.Veths), topo.Veths, len(wantPairs))
	}
	if len(topo.Unpaired) != 0 {
		t.Errorf("Unpaired = %+v; want none", topo.Unpaired)
	}

	// Bridges: br0 in A, ports vb and vc.
	if len(topo.Bridges) != 1 {
		t.Fatalf("Bridges = %+v; want br0 only", topo.Bridges)
	}
	br := topo.Bridges[0]
	if br.Bridge.NetNS != a.Ino || br.Bridge.Name != "br0" || len(br.Ports) != 2 || br.Ports[0].Name != "vb" || br.Ports[1].Name != "vc" {
		t.Errorf("bridge = %+v; want br0 in net:[%d] with ports vb, vc", br, a.Ino)
	}

	for _, name := range []string{"vb", "vc"} {
		if p := linkByName(nsA, name).Port; p == nil || p.State != "forwarding" {
			t.Errorf("port %s = %+v; want state forwarding", name, p)
		}
	}
	if p := linkByName(nsA, "br0").Port; p != nil {
		t.Errorf("bridge br0 has port info %+v; want none", p)
	}

	// NSIDs as A sees them match iproute2's link-netnsid.
	for _, l := range ipLinks(t, "-n", nameA, "link", "show", "type", "veth") {
		want := map[string]uint64{"vb": b.Ino, "vc": c.Ino}[l.IfName]
		if l.LinkNetNSID == nil {
			t.Fatalf("ip -n A link %s has no link_netnsid", l.IfName)
		}
		if got := nsidTarget(nsA, *l.LinkNetNSID); got != want {
			t.Errorf("A's netnsid %d (of %s) resolves to net:[%d]; want net:[%d]", *l.LinkNetNSID, l.IfName, got, want)
		}
	}

	// Addresses, routes of every table, rules.
	if !hasAddr(nsB, 20, "10.77.0.2/24") || !hasAddr(nsA, idx(nsA, "br0"), "10.77.0.1/24") {
		t.Errorf("addresses: B %+v, A %+v; want 10.77.0.2/24 on B eth0 and 10.77.0.1/24 on A br0", nsB.Addrs, nsA.Addrs)
	}
	if !hasRoute(nsB, unix.RT_TABLE_MAIN, "default", "10.77.0.1") || !hasRoute(nsB, 100, "10.99.0.0/24", "10.77.0.1") {
		t.Errorf("routes of B = %+v; want default via 10.77.0.1 in main and 10.99.0.0/24 in table 100", nsB.Routes)
	}
	found := false
	for _, r := range nsB.Rules {
		found = found || (r.Priority == 1000 && r.Table == 100 && r.Src == "10.77.0.2/32")
	}
	if !found {
		t.Errorf("rules of B = %+v; want priority 1000 from 10.77.0.2/32 table 100", nsB.Rules)
	}

	// ContainerInterfaces: B's eth0 leads to vb on br0 in A.
	var eth0 *Interface
	ifs := ContainerInterfaces(topo, b.Ino)
	for i := range ifs {
		if ifs[i].Name == "eth0" {
			eth0 = &ifs[i]
		}
	}
	want := &Peer{NetNS: a.Ino, Label: a.Label, Name: "vb", IfIndex: 20, Master: "br0", MasterIfIndex: idx(nsA, "br0")}
	switch {
	case eth0 == nil:
		t.Errorf("ContainerInterfaces(B) = %+v; want an eth0", ifs)
	case eth0.Peer == nil || *eth0.Peer != *want:
		t.Errorf("B eth0 peer = %+v; want %+v", eth0.Peer, want)
	case len(eth0.Addrs) != 1 || eth0.Addrs[0] != "10.77.0.2/24":
		t.Errorf("B eth0 addrs = %q; want [10.77.0.2/24]", eth0.Addrs)
	}

	// NetNSID as seen from A (the calling thread's netns) matches ip.
	vb := ipLinks(t, "-n", nameA, "link", "show", "vb")[0]
	got := netnsIDFrom(t, root, nameA, b.Path)
	if got == nil || vb.LinkNetNSID == nil || *got != *vb.LinkNetNSID {
		t.Errorf("NetNSID(B) asked in A = %v; want %v (ip's link_netnsid of vb)", ptrStr(got), ptrStr(vb.LinkNetNSID))
	}
	// The host never had to name C: no id.
	if got, err := NetNSID(root, c.Path); err != nil || got != nil {
		t.Errorf("NetNSID(C) asked on the host = %v, %v; want nil, nil", ptrStr(got), err)
	}
}

// TestSnapshotVanished passes a namespace that is gone and one whose path
// now opens another namespace: both become warnings.
func TestSnapshotVanished(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	hostfstest.RequireTool(t, "privileged", "ip")
	hostfstest.NoNetNSLeak(t)
	hostfstest.NoFDLeak(t)
	root := liveRoot(t)
	a := addNetNS(t, fmt.Sprintf("ctxtest-v-%d", os.Getpid()))
	gone := NetNS{Ino: 1, Path: root.Host("/run/netns/ctxtest-none-" + fmt.Sprint(os.Getpid())), Label: "gone"}
	moved := NetNS{Ino: a.Ino + 1, Path: a.Path, Label: "moved"}
	topo, err := Snapshot(root, []NetNS{a, gone, moved, a})
	if err != nil {
		t.Fatal(err)
	}
	if len(topo.Namespaces) != 1 || topo.Namespaces[0].Ino != a.Ino {
		t.Errorf("namespaces = %+v; want only net:[%d] (deduplicated)", topo.Namespaces, a.Ino)
	}
	if len(topo.Warnings) != 2 || !strings.Contains(strings.Join(topo.Warnings, "\n"), "vanished") {
		t.Errorf("Warnings = %q; want 2, one saying vanished", topo.Warnings)
	}
	if l := linkByName(&topo.Namespaces[0], "lo"); l == nil || l.Index != 1 {
		t.Errorf("links = %+v; want lo", topo.Namespaces[0].Links)
	}
}

func TestSnapshotNotLive(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "proc"), 0o755); err != nil {
		t.Fatal(err)
	}
	root, err := hostfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Snapshot(root, nil); err != hostfs.ErrNotLive {
		t.Errorf("Snapshot on a fixture = %v; want ErrNotLive", err)
	}
	if _, err := NetNSID(root, "x"); err != hostfs.ErrNotLive {
		t.Errorf("NetNSID on a fixture = %v; want ErrNotLive", err)
	}
}

// snapshotUntil takes snapshots until ready holds (bridge ports take a
// moment to reach forwarding), for at most 5 s.
func snapshotUntil(t *testing.T, root hostfs.Root, nets []NetNS, ready func(*Topology) bool) *Topology {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		topo, err := Snapshot(root, nets)
		if err != nil {
			t.Fatal(err)
		}
		if ready(topo) || time.Now().After(deadline) {
			return topo
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// netnsIDFrom calls NetNSID on a thread locked inside the named netns.
func netnsIDFrom(t *testing.T, root hostfs.Root, name, path string) *int {
	t.Helper()
	type result struct {
		id  *int
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // never unlocked if restoring fails: the thread then dies
		orig, err := netns.Get()
		if err != nil {
			ch <- result{err: err}
			return
		}
		defer orig.Close()
		target, err := netns.GetFromPath(root.Host("/run/netns/" + name))
		if err != nil {
			ch <- result{err: err}
			return
		}
		defer target.Close()
		if err := netns.Set(target); err != nil {
			ch <- result{err: err}
			return
		}
		id, err := NetNSID(root, path)
		if serr := netns.Set(orig); serr == nil {
			runtime.UnlockOSThread()
		}
		ch <- result{id, err}
	}()
	r := <-ch
	if r.err != nil {
		t.Fatalf("NetNSID from %s: %v", name, r.err)
	}
	return r.id
}

func linkByName(ns *Namespace, name string) *Link {
	if ns == nil {
		return nil
	}
	for i := range ns.Links {
		if ns.Links[i].Name == name {
			return &ns.Links[i]
		}
	}
	return nil
}

func nsidTarget(ns *Namespace, id int) uint64 {
	for _, r := range ns.NetNSIDs {
		if r.ID == id {
			return r.NetNS
		}
	}
	return 0
}

func hasAddr(ns *Namespace, ifindex int, cidr string) bool {
	for _, a := range ns.Addrs {
		if a.IfIndex == ifindex && a.CIDR == cidr {
			return true
		}
	}
	return false
}

func hasRoute(ns *Namespace, table int, dst, gw string) bool {
	for _, r := range ns.Routes {
		if r.Table == table && r.Dst == dst && r.Gateway == gw {
			return true
		}
	}
	return false
}

func ptrStr(p *int) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}
