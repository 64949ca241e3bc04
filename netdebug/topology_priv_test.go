//go:build linux

package netdebug

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

// TestFiftyOnOneBridge puts 50 namespaces on one bridge that itself lives
// in a non-root namespace: every eth0 has the same name and, being the
// first link after lo, the same ifindex 2. Each must pair with its own
// port of br0, found by (netns, ifindex) alone. One more namespace is held
// only by a bind mount (no process), one only by an fd of this test.
func TestFiftyOnOneBridge(t *testing.T) {
	hostfstest.NoNetNSLeak(t)
	hostfstest.NoLinkLeak(t)
	hostfstest.NoFDLeak(t)
	l := newLab(t)
	const n = 50
	start := time.Now()
	l.netns("br")
	wire := []string{"link add br0 type bridge", "addr add 10.213.200.1/24 dev br0", "link set br0 up"}
	for i := 1; i <= n+1; i++ {
		l.netns(fmt.Sprintf("m%d", i))
		wire = append(wire, fmt.Sprintf("link add vh%d type veth peer name eth0 netns %s", i, l.full(fmt.Sprintf("m%d", i))),
			fmt.Sprintf("link set vh%d master br0 up", i))
	}
	l.batch("br", wire...)
	// m51 survives only through an fd of this test.
	fd, err := unix.Open("/run/netns/"+l.full("m51"), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	ipCmd(t, "netns", "del", l.full("m51"))
	built := time.Since(start)

	start = time.Now()
	topo := l.snapshot(nil)
	t.Logf("built %d namespaces in %s, read them in %s", len(l.inos), built.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	if len(topo.Namespaces) != n+2 {
		t.Fatalf("read %d namespaces; want %d", len(topo.Namespaces), n+2)
	}
	brIno := l.inos["br"]
	byMember := map[uint64]VethPair{}
	for _, p := range topo.Veths {
		a, b := p.A, p.B
		if b.NetNS == brIno {
			a, b = b, a
		}
		if a.NetNS != brIno || b.Name != "eth0" || b.IfIndex != 2 {
			t.Errorf("unexpected pair %+v", p)
			continue
		}
		byMember[b.NetNS] = VethPair{A: a, B: b}
	}
	for i := 1; i <= n+1; i++ {
		name := fmt.Sprintf("m%d", i)
		p, ok := byMember[l.inos[name]]
		if !ok {
			t.Errorf("%s's eth0 is not paired; unpaired %+v", name, topo.Unpaired)
			continue
		}
		if want := fmt.Sprintf("vh%d", i); p.A.Name != want {
			t.Errorf("%s's eth0 pairs with %s; want %s", name, p.A.Name, want)
		}
	}
	if len(topo.Unpaired) != 0 {
		t.Errorf("unpaired: %+v", topo.Unpaired)
	}
	if len(topo.Bridges) != 1 || len(topo.Bridges[0].Ports) != n+1 || topo.Bridges[0].Bridge.NetNS != brIno {
		t.Errorf("bridges = %d; want br0 in net:[%d] with %d ports", len(topo.Bridges), brIno, n+1)
	}
	for _, ns := range topo.Namespaces {
		switch ns.Ino {
		case l.inos["m50"]:
			if ns.NProcs != 0 || strings.Join(ns.Holders, ",") != "bind:/run/netns/"+l.full("m50") {
				t.Errorf("m50 holders %q, %d processes; want only its bind mount", ns.Holders, ns.NProcs)
			}
		case l.inos["m51"]:
			if want := fmt.Sprintf("fd:%d/%d", os.Getpid(), fd); ns.NProcs != 0 || strings.Join(ns.Holders, ",") != want {
				t.Errorf("m51 holders %q; want only %s", ns.Holders, want)
			}
		}
	}
	// Every member sees br's namespace under its own NSID; each resolved.
	for _, ns := range topo.Namespaces {
		for _, r := range ns.NetNSIDs {
			if r.NetNS == 0 {
				t.Errorf("net:[%d] has unresolved NSID %d", ns.Ino, r.ID)
			}
		}
	}
}

// TestOtherLinkKinds builds the other kinds ctx reads, in lab namespaces: a
// macvlan on a veth in the same namespace, a macvlan moved into another
// namespace (its parent stays behind), a vxlan on that veth, a tap and a
// tun, and checks their modes and what they sit on. (ipvlan and bond are
// not built into every kernel: parse tests cover them.)
func TestOtherLinkKinds(t *testing.T) {
	hostfstest.NoNetNSLeak(t)
	hostfstest.NoLinkLeak(t)
	hostfstest.NoFDLeak(t)
	l := newLab(t)
	l.netns("k")
	l.netns("kc")
	l.batch("k", "link add vp type veth peer name vq", "link set vp up", "link set vq up",
		"addr add 10.213.210.1/24 dev vp",
		"link add mv0 link vp type macvlan mode bridge",
		"link add mv1 link vp type macvlan mode private",
		"link set mv1 netns "+l.full("kc"),
		"link add vx0 type vxlan id 42 dev vp dstport 4789 local 10.213.210.1",
		"tuntap add tap0 mode tap", "tuntap add tun0 mode tun")
	topo := l.snapshot(nil)
	k, kc := topo.Namespace(l.inos["k"]), topo.Namespace(l.inos["kc"])
	vp := linkByName(k, "vp")
	want := map[string]struct{ typ, mode string }{
		"mv0": {"macvlan", "bridge"}, "vx0": {"vxlan", ""}, "tap0": {"tuntap", "tap"}, "tun0": {"tuntap", "tun"},
	}
	for name, w := range want {
		lk := linkByName(k, name)
		if lk == nil || lk.Type != w.typ || lk.Mode != w.mode {
			t.Errorf("%s = %+v; want type %s mode %q", name, lk, w.typ, w.mode)
		}
	}
	if vx := linkByName(k, "vx0"); vx == nil || vx.VNI != 42 || vx.DstPort != 4789 || vx.UnderlayIndex != vp.Index {
		t.Errorf("vx0 = %+v; want vni 42, port 4789 on vp (ifindex %d)", vx, vp.Index)
	}
	if mv1 := linkByName(kc, "mv1"); mv1 == nil || mv1.Type != "macvlan" || mv1.Mode != "private" {
		t.Errorf("mv1 in kc = %+v; want a private macvlan", mv1)
	}
	lowers := map[string]string{}
	for _, lw := range topo.Lowers {
		if lw.Lower == nil {
			t.Errorf("%s %s: parent not found: %s", lw.Kind, lw.Upper.Name, lw.Reason)
			continue
		}
		lowers[fmt.Sprintf("%s %s@%d", lw.Kind, lw.Upper.Name, lw.Upper.NetNS)] = fmt.Sprintf("%s@%d", lw.Lower.Name, lw.Lower.NetNS)
	}
	for up, low := range map[string]string{
		fmt.Sprintf("macvlan mv0@%d", k.Ino):  fmt.Sprintf("vp@%d", k.Ino),
		fmt.Sprintf("macvlan mv1@%d", kc.Ino): fmt.Sprintf("vp@%d", k.Ino), // across namespaces, by NSID
		fmt.Sprintf("vxlan vx0@%d", k.Ino):    fmt.Sprintf("vp@%d", k.Ino),
	} {
		if lowers[up] != low {
			t.Errorf("%s sits on %q; want %s (all: %v)", up, lowers[up], low, lowers)
		}
	}
}

// TestReadDNSStaysInRoot reads resolv.conf of processes chrooted into lab
// roots: an absolute symlink resolves inside the root, a ../ escape stops
// at it, and a magic link is refused; none of them reaches the host's
// files.
func TestReadDNSStaysInRoot(t *testing.T) {
	hostfstest.NoFDLeak(t)
	l := newLab(t)
	l.netns("dns")
	variants := map[string]func(dir string) error{
		"absolute": func(dir string) error {
			if err := os.WriteFile(dir+"/etc/inner.conf", []byte("nameserver 10.213.7.7\n"), 0o644); err != nil {
				return err
			}
			return os.Symlink("/etc/inner.conf", dir+"/etc/resolv.conf")
		},
		"dotdot": func(dir string) error { return os.Symlink("../../../../../../../etc/hostname", dir+"/etc/resolv.conf") },
		"magic":  func(dir string) error { return os.Symlink("/proc/1/root/etc/resolv.conf", dir+"/etc/resolv.conf") },
	}
	for name, mk := range variants {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			for _, d := range []string{"bin", "etc", "proc"} {
				if err := os.Mkdir(dir+"/"+d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			copyFile(t, "/bin/busybox", dir+"/bin/busybox", 0o755)
			if err := mk(dir); err != nil {
				t.Fatal(err)
			}
			sl := *l
			sl.t = t
			sl.roots = map[string]string{name: dir}
			pid := sl.hold("dns", name)
			cfg, err := ReadDNS(l.root, pid)
			if err != nil {
				t.Fatal(err)
			}
			switch name {
			case "absolute":
				if cfg.Error != "" || strings.Join(cfg.Nameservers, ",") != "10.213.7.7" {
					t.Errorf("ReadDNS = %+v; want nameserver 10.213.7.7 from the root's /etc/inner.conf", cfg)
				}
			default:
				if cfg.Error == "" || len(cfg.Nameservers) != 0 {
					t.Errorf("ReadDNS = %+v; want an error and nothing read (the link leaves the root)", cfg)
				}
			}
		})
	}
}

// TestForwardChains sets FORWARD policies in a lab namespace with iptables
// (nftables backend) and iptables-legacy, and reads them back without
// either tool.
func TestForwardChains(t *testing.T) {
	hostfstest.NoNetNSLeak(t)
	hostfstest.NoFDLeak(t)
	l := newLab(t)
	for _, tool := range []string{"iptables", "iptables-legacy"} {
		t.Run(tool, func(t *testing.T) {
			hostfstest.RequireTool(t, "privileged", tool)
			sl := *l
			sl.t = t
			name := "fw-" + strings.TrimPrefix(tool, "iptables")
			sl.netns(name)
			sl.exec(name, tool, "-P", "FORWARD", "DROP")
			sl.exec(name, tool, "-A", "FORWARD", "-o", "br9", "-j", "ACCEPT")
			sl.exec(name, tool, "-A", "FORWARD", "-i", "br9", "!", "-o", "br9", "-j", "ACCEPT")
			o := openNS{NetNS: NetNS{Ino: sl.inos[name]}}
			fd, err := unix.Open("/run/netns/"+sl.full(name), unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(fd)
			o.fd = fd
			var w warnings
			st := readState(l.root, o, false, nil, name, &w)
			if len(w.list()) != 0 {
				t.Errorf("warnings: %q", w.list())
			}
			backend := "nftables"
			if tool == "iptables-legacy" {
				backend = "iptables-legacy"
			}
			var found *ForwardChain
			for i := range st.Forward {
				if st.Forward[i].Backend == backend && strings.HasSuffix(st.Forward[i].Name, "filter FORWARD") {
					found = &st.Forward[i]
				}
			}
			if found == nil || found.Policy != "drop" || strings.Join(found.Interfaces, ",") != "br9" {
				t.Errorf("forward chains %+v (unknown: %q); want a %s filter FORWARD, policy drop, naming br9", st.Forward, st.ForwardUnknown, backend)
			}
			if st.IPForward == nil || st.RPFilter == nil {
				t.Errorf("sysctls not read: ip_forward %v, rp_filter %v", st.IPForward, st.RPFilter)
			}
		})
	}
}
