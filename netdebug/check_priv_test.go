//go:build linux

package netdebug

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

// TestCheckFaults builds a clean lab and one small lab per fault of the
// checklist, each in its own namespaces, reads them all in one snapshot
// and checks that the clean lab has no finding and each fault lab exactly
// its own.
func TestCheckFaults(t *testing.T) {
	hostfstest.NoNetNSLeak(t)
	hostfstest.NoLinkLeak(t)
	hostfstest.NoFDLeak(t)
	l := newLab(t)
	start := time.Now()

	type fault struct {
		lab    string
		checks []string // the findings expected in this lab, exactly
		names  []string // strings the findings' messages must contain
		skip   string   // why the fault cannot be built here
	}
	var faults []fault
	k := 0
	hub := func(name string, o hubOpts) {
		k++
		l.hub(name, k, o)
	}

	hub("clean", hubOpts{containers: 3})

	hub("mtuveth", hubOpts{containers: 1})
	l.batch("mtuveth-c1", "link set eth0 mtu 1400")
	faults = append(faults, fault{lab: "mtuveth", checks: []string{"mtu-veth-mismatch"}, names: []string{"vh1 mtu 1500", "eth0 mtu 1400"}})

	hub("mtuport", hubOpts{containers: 1})
	l.batch("mtuport-h", "link set vh1 mtu 1400")
	l.batch("mtuport-c1", "link set eth0 mtu 1400")
	faults = append(faults, fault{lab: "mtuport", checks: []string{"mtu-port-bridge-mismatch"}, names: []string{"vh1 mtu 1400, bridge br0 mtu 1500"}})

	hub("uplink", hubOpts{containers: 1, uplinkMTU: 1400})
	faults = append(faults, fault{lab: "uplink", checks: []string{"mtu-above-uplink"}, names: []string{"br0 mtu 1500 is above its uplink up0 mtu 1400"}})

	hub("vethdown", hubOpts{containers: 1})
	l.batch("vethdown-h", "link set vh1 down")
	faults = append(faults, fault{lab: "vethdown", checks: []string{"veth-down", "gateway-unreachable"}, names: []string{"vh1 is admin down", "eth0 is admin up, oper down"}})

	hub("brdown", hubOpts{})
	l.batch("brdown-h", "link set br0 down")
	faults = append(faults, fault{lab: "brdown", checks: []string{"bridge-down"}, names: []string{"br0 is administratively down"}})

	hub("stp", hubOpts{containers: 1, stp: true})
	faults = append(faults, fault{lab: "stp", checks: []string{"bridge-port-not-forwarding"}, names: []string{"vh1 is up but listening"}})

	hub("nodefault", hubOpts{containers: 1})
	l.batch("nodefault-c1", "route del default")
	faults = append(faults, fault{lab: "nodefault", checks: []string{"no-default-route"}, names: []string{"eth0 has 10.213.", "no inet default route"}})

	hub("badgw", hubOpts{containers: 1})
	l.batch("badgw-c1", fmt.Sprintf("route replace default via 10.213.%d.254", k))
	faults = append(faults, fault{lab: "badgw", checks: []string{"gateway-unreachable"}, names: []string{fmt.Sprintf("default via 10.213.%d.254, but no interface on its L2 domain", k)}})

	hub("neigh", hubOpts{containers: 1})
	l.batch("neigh-c1", fmt.Sprintf("neigh add 10.213.%d.99 dev eth0 nud failed", k))
	faults = append(faults, fault{lab: "neigh", checks: []string{"neighbour-failed"}, names: []string{fmt.Sprintf("FAILED (10.213.%d.99)", k)}})

	hub("fwdoff", hubOpts{containers: 1})
	l.sysctl("fwdoff-h", "ipv4/ip_forward", "0")
	faults = append(faults, fault{lab: "fwdoff", checks: []string{"ip-forward-off"}, names: []string{"br0 holds", "net.ipv4.ip_forward=0"}})

	brnf := fault{lab: "brnf", checks: []string{"br-netfilter-forward-drop"}, names: []string{"policy drop", "no rule there names br0"}}
	if _, err := exec.LookPath("iptables"); err != nil {
		brnf.skip = "privileged: needs iptables in PATH to set a FORWARD policy in a lab namespace"
	} else {
		hub("brnf", hubOpts{containers: 2})
		if out, err := exec.Command("ip", "netns", "exec", l.full("brnf-h"), "cat", "/proc/sys/net/bridge/bridge-nf-call-iptables").Output(); err != nil {
			brnf.skip = "privileged: br_netfilter is not loaded, and loading it would change the host"
		} else if strings.TrimSpace(string(out)) != "1" {
			l.sysctl("brnf-h", "bridge/bridge-nf-call-iptables", "1")
		}
		if brnf.skip == "" {
			l.exec("brnf-h", "iptables", "-P", "FORWARD", "DROP")
		}
	}
	faults = append(faults, brnf)

	hub("rpf", hubOpts{containers: 1})
	l.netns("rpf-y")
	y := fmt.Sprintf("10.213.%d", 150+k)
	l.batch("rpf-c1", "link add ex0 type veth peer name ey0 netns "+l.full("rpf-y"), "addr add "+y+".2/24 dev ex0", "link set ex0 up",
		"rule add from "+y+".2 table 100 priority 1000", "route add default via "+y+".1 dev ex0 table 100")
	l.batch("rpf-y", "addr add "+y+".1/24 dev ey0", "link set ey0 up")
	l.sysctl("rpf-y", "ipv4/ip_forward", "1")
	l.sysctl("rpf-c1", "ipv4/conf/all/rp_filter", "1")
	l.hold("rpf-y", "good")
	faults = append(faults, fault{lab: "rpf", checks: []string{"rp-filter-strict-asymmetric"}, names: []string{"strict rp_filter on", "rule 1000 lookup 100"}})

	hub("dup", hubOpts{containers: 2})
	l.batch("dup-c2", "addr flush dev eth0", fmt.Sprintf("addr add 10.213.%d.11/24 dev eth0", k), fmt.Sprintf("route add default via 10.213.%d.1", k))
	faults = append(faults, fault{lab: "dup", checks: []string{"duplicate-ip"}, names: []string{fmt.Sprintf("10.213.%d.11 is on 2 interfaces", k)}})

	hub("dad", hubOpts{containers: 2})
	v6 := fmt.Sprintf("fd13:%d::5", k)
	l.batch("dad-c1", "addr add "+v6+"/64 dev eth0 nodad", "route add ::/0 dev eth0")
	l.batch("dad-c2", "route add ::/0 dev eth0", "addr add "+v6+"/64 dev eth0")
	faults = append(faults, fault{lab: "dad", checks: []string{"ipv6-dad-failed", "duplicate-ip"}, names: []string{v6 + "/64 failed duplicate address detection"}})

	hub("dnsloop", hubOpts{containers: 1, dns: "loopback"})
	faults = append(faults, fault{lab: "dnsloop", checks: []string{"dns-loopback-resolver"}, names: []string{"resolves through 127.0.0.53"}})

	hub("dnsbad", hubOpts{containers: 1, dns: "dangling"})
	faults = append(faults, fault{lab: "dnsbad", checks: []string{"dns-config-unreadable"}, names: []string{"no readable /etc/resolv.conf"}})

	hub("noproc", hubOpts{containers: 1, dns: "none"})
	faults = append(faults, fault{lab: "noproc", checks: []string{"netns-no-process"}, names: []string{"and no process; held by bind:/run/netns/" + l.full("noproc-c1")}})

	// A namespace held only by an fd of this test: the bind mount is gone.
	hub("fdheld", hubOpts{containers: 1, dns: "none"})
	fd, err := unix.Open("/run/netns/"+l.full("fdheld-c1"), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	ipCmd(t, "netns", "del", l.full("fdheld-c1"))
	faults = append(faults, fault{lab: "fdheld", checks: []string{"netns-no-process"}, names: []string{fmt.Sprintf("held by fd:%d/%d", os.Getpid(), fd)}})

	hub("nomaster", hubOpts{containers: 1})
	l.batch("nomaster-h", "link set vh1 nomaster")
	faults = append(faults, fault{lab: "nomaster", checks: []string{"veth-no-master", "gateway-unreachable"}, names: []string{"vh1 has no master, address or route"}})

	hub("hidden", hubOpts{containers: 1})
	faults = append(faults, fault{lab: "hidden", checks: []string{"veth-peer-not-visible"}, names: []string{"names no namespace that was read"}})

	// Wait for what takes the kernel a moment: DAD.
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(ipCmd(t, "-n", l.full("dad-c2"), "addr", "show", "dev", "eth0"), "dadfailed") {
		if time.Now().After(deadline) {
			t.Fatal("the duplicate IPv6 address in dad-c2 never failed DAD")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("built %d namespaces in %s", len(l.inos), time.Since(start).Round(time.Millisecond))

	topo := l.snapshot(nil, "hidden-c1")

	findings := Check(topo)
	got := map[string][]Finding{}
	for _, f := range findings {
		lab := l.labOf(f.NetNS[0])
		got[lab] = append(got[lab], f)
	}

	t.Run("clean", func(t *testing.T) {
		for _, f := range got["clean"] {
			t.Errorf("clean lab: %s %s", f.Check, f.Message)
		}
		clean := l.onlyLab(topo, "clean")
		if fs := Check(clean); len(fs) != 0 {
			t.Errorf("the clean lab alone has %d findings; want none: %+v", len(fs), fs)
		}
	})
	for _, fl := range faults {
		t.Run(fl.lab, func(t *testing.T) {
			if fl.skip != "" {
				hostfstest.Gate(t, fl.skip)
			}
			var ids []string
			all := ""
			for _, f := range got[fl.lab] {
				ids = append(ids, f.Check)
				all += f.Message + "\n"
				if len(f.Objects) == 0 || f.Evidence == nil || f.Hint == "" {
					t.Errorf("%s: objects %v, evidence %v, hint %q; want all three", f.Check, f.Objects, f.Evidence, f.Hint)
				}
			}
			want := append([]string(nil), fl.checks...)
			sort.Strings(ids)
			sort.Strings(want)
			if strings.Join(ids, ",") != strings.Join(want, ",") {
				t.Errorf("findings %q; want %q\n%s", ids, want, all)
			}
			for _, n := range fl.names {
				if !strings.Contains(all, n) {
					t.Errorf("no finding says %q:\n%s", n, all)
				}
			}
		})
	}

	// conntrack: nf_conntrack_max is read-only outside the initial
	// namespace, so a lab cannot fill its table. Check the values read for
	// real, then inject the fault at the data.
	t.Run("conntrack", func(t *testing.T) {
		ns := topo.Namespace(l.inos["clean-h"])
		if ns == nil || ns.State == nil || ns.State.Conntrack == nil {
			t.Skip("conntrack is not compiled in or not loaded: nothing to read")
		}
		ct := ns.State.Conntrack
		if ct.Max <= 0 {
			t.Errorf("nf_conntrack_max read as %d; want > 0", ct.Max)
		}
		ct.Count = ct.Max - 1
		ct.InsertFailed = 3
		var ids []string
		for _, f := range Check(l.onlyLab(topo, "clean")) {
			ids = append(ids, f.Check)
		}
		if strings.Join(ids, ",") != "conntrack-full,conntrack-insert-failed" {
			t.Errorf("findings %q; want conntrack-full and conntrack-insert-failed", ids)
		}
	})

	if b, err := json.Marshal(topo); err != nil {
		t.Error(err)
	} else if !json.Valid(b) {
		t.Error("topology JSON is invalid")
	}
}

// TestCheckQdisc builds two hub labs, puts tbf rate 1mbit burst 32kbit
// latency 400ms on the bridge-side veth of one with netlink, and checks
// that only that one is flagged, naming namespace, interface, kind and
// rate, while the clean one (default qdiscs only) has no finding.
func TestCheckQdisc(t *testing.T) {
	hostfstest.NoNetNSLeak(t)
	hostfstest.NoLinkLeak(t)
	hostfstest.NoFDLeak(t)
	l := newLab(t)
	l.hub("qclean", 91, hubOpts{containers: 1})
	l.hub("qtbf", 92, hubOpts{containers: 1})
	addTbf(t, "/run/netns/"+l.full("qtbf-h"), "vh1")

	topo := l.snapshot(nil)
	clean := l.onlyLab(topo, "qclean")
	for _, f := range Check(clean) {
		t.Errorf("clean lab: %s %s", f.Check, f.Message)
	}
	kinds := map[string]bool{}
	for _, ns := range clean.Namespaces {
		if ns.State == nil || ns.State.Qdiscs == nil {
			t.Fatalf("net:[%d]: qdiscs not read", ns.Ino)
		}
		for _, q := range ns.State.Qdiscs {
			kinds[q.Kind] = true
		}
	}
	if !kinds["noqueue"] {
		t.Errorf("clean lab qdisc kinds %v; want noqueue among them (veths and lo have it)", kinds)
	}

	fs := Check(l.onlyLab(topo, "qtbf"))
	if len(fs) != 1 || fs[0].Check != "qdisc-shaping" {
		for _, f := range fs {
			t.Logf("%s %s", f.Check, f.Message)
		}
		t.Fatalf("%d findings in the tbf lab; want one qdisc-shaping", len(fs))
	}
	f := fs[0]
	if o := f.Objects[0]; len(f.Objects) != 1 || o.NetNS != l.inos["qtbf-h"] || o.Name != "vh1" {
		t.Errorf("objects %v; want vh1 in net:[%d]", f.Objects, l.inos["qtbf-h"])
	}
	if f.Evidence["kind"] != "tbf" || f.Evidence["rate"] != "1Mbit" || f.Evidence["parent"] != "root" || f.Evidence["handle"] == "" {
		t.Errorf("evidence %v; want kind tbf, rate 1Mbit, parent root, a handle", f.Evidence)
	}
	for _, s := range []string{fmt.Sprintf("net:[%d]", l.inos["qtbf-h"]), "vh1", "tbf qdisc", "rate 1Mbit"} {
		if !strings.Contains(f.Message, s) {
			t.Errorf("message %q; want it to say %q", f.Message, s)
		}
	}
	if want := "nsenter --net=" + topo.Namespace(l.inos["qtbf-h"]).Path + " tc -s qdisc show dev vh1"; f.Hint != want {
		t.Errorf("hint %q; want %q", f.Hint, want)
	}
}

// addTbf adds tc's "tbf rate 1mbit burst 32kbit latency 400ms" as the root
// qdisc of dev in the namespace at nsPath, through netlink.
func addTbf(t *testing.T, nsPath, dev string) {
	t.Helper()
	ns, err := netns.GetFromPath(nsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	link, err := h.LinkByName(dev)
	if err != nil {
		t.Fatal(err)
	}
	const rate, burst = 1000000 / 8, 32000 / 8 // bytes per second, bytes
	q := &netlink.Tbf{
		QdiscAttrs: netlink.QdiscAttrs{LinkIndex: link.Attrs().Index, Handle: netlink.MakeHandle(1, 0), Parent: netlink.HANDLE_ROOT},
		Rate:       rate,
		Buffer:     netlink.Xmittime(rate, burst),
		Limit:      rate*400/1000 + burst, // the bytes 400 ms of latency hold, as tc computes it
	}
	if err := h.QdiscAdd(q); err != nil {
		t.Fatalf("adding tbf to %s: %v", dev, err)
	}
}

// onlyLab keeps the namespaces of one lab, and re-pairs them.
func (l *lab) onlyLab(topo *Topology, name string) *Topology {
	out := &Topology{}
	for _, ns := range topo.Namespaces {
		if l.labOf(ns.Ino) == name {
			out.Namespaces = append(out.Namespaces, ns)
		}
	}
	resolve(out)
	return out
}
