package netdebug

import (
	"sort"
	"strings"
	"testing"
)

func ip(v int) *int { return &v }

// synth is a clean host: net:[1] with uplink eth0 (mtu 1500), a vxlan and
// a bond on it, and bridge br0 whose ports vethA and vethB lead to eth0 in
// containers net:[10] and net:[20]; net:[30] has an ipvlan on the host's
// eth0. Everything is up, addressed, routed and forwarding.
func synth() *Topology {
	up := func(l Link) Link { l.Up, l.OperState = true, "up"; return l }
	state := func(fwd int) *State {
		return &State{IPForward: ip(fwd), IPv6Forward: ip(0), RPFilter: map[string]int{"all": 0, "default": 0, "eth0": 1},
			BridgeNFCallIPTables: ip(1), Forward: []ForwardChain{}, Conntrack: &Conntrack{Count: 10, Max: 1000},
			Qdiscs: []Qdisc{{IfIndex: 1, Kind: "noqueue", Handle: "0:", Parent: "root"}, {IfIndex: 2, Kind: "noqueue", Handle: "0:", Parent: "root"}}}
	}
	dns := func(pid int) *DNSConfig {
		return &DNSConfig{PID: pid, Path: "/etc/resolv.conf", Nameservers: []string{"10.1.0.53"}}
	}
	container := func(ino uint64, peer int, addr string, pid int) Namespace {
		return Namespace{Ino: ino, Label: "docker:c" + itoa(int(ino)), Path: "/proc/" + itoa(pid) + "/ns/net", PID: pid, NProcs: 1, Holders: []string{"proc"},
			NetNSIDs: []NetNSIDRef{{ID: 0, NetNS: 1}},
			Links: []Link{up(Link{Index: 1, Name: "lo", Type: "device", MTU: 65536}),
				up(Link{Index: 2, Name: "eth0", Type: "veth", MTU: 1500, ParentIndex: peer, NetNSID: ip(0)})},
			Addrs:  []Addr{{IfIndex: 1, Family: "inet", CIDR: "127.0.0.1/8", Scope: 254}, {IfIndex: 2, Family: "inet", CIDR: addr}},
			Routes: []Route{{Family: "inet", Table: 254, Dst: "default", Gateway: "10.1.0.1", OutIndex: 2, Type: 1}, {Family: "inet", Table: 254, Dst: "10.1.0.0/24", OutIndex: 2, Protocol: 2, Scope: 253, Type: 1}},
			Rules:  []Rule{{Family: "inet", Priority: 0, Table: 255}, {Family: "inet", Priority: 32766, Table: 254}, {Family: "inet", Priority: 32767, Table: 253}},
			State:  state(0), DNS: dns(pid)}
	}
	fwd := &BridgePort{State: "forwarding"}
	t := &Topology{Namespaces: []Namespace{
		{Ino: 1, Label: "host", Host: true, Path: "/proc/1/ns/net", PID: 1, NProcs: 1, Holders: []string{"proc"},
			NetNSIDs: []NetNSIDRef{{ID: 0, NetNS: 10}, {ID: 1, NetNS: 20}, {ID: 2, NetNS: 30}},
			Links: []Link{up(Link{Index: 1, Name: "lo", Type: "device", MTU: 65536}),
				up(Link{Index: 2, Name: "eth0", Type: "device", MTU: 1500}),
				up(Link{Index: 3, Name: "br0", Type: "bridge", MTU: 1500}),
				up(Link{Index: 5, Name: "vethA", Type: "veth", MTU: 1500, MasterIndex: 3, ParentIndex: 2, NetNSID: ip(0), Port: fwd}),
				up(Link{Index: 6, Name: "vethB", Type: "veth", MTU: 1500, MasterIndex: 3, ParentIndex: 2, NetNSID: ip(1), Port: fwd}),
				up(Link{Index: 7, Name: "vx0", Type: "vxlan", MTU: 1450, VNI: 42, UnderlayIndex: 2}),
				up(Link{Index: 8, Name: "bond0", Type: "bond", MTU: 1500, Mode: "active-backup"}),
				up(Link{Index: 9, Name: "tap0", Type: "tuntap", MTU: 1500, Mode: "tap", MasterIndex: 8})},
			Addrs: []Addr{{IfIndex: 2, Family: "inet", CIDR: "192.0.2.2/24"}, {IfIndex: 3, Family: "inet", CIDR: "10.1.0.1/24"}},
			Routes: []Route{{Family: "inet", Table: 254, Dst: "default", Gateway: "192.0.2.1", OutIndex: 2, Type: 1},
				{Family: "inet", Table: 254, Dst: "10.1.0.0/24", OutIndex: 3, Protocol: 2, Type: 1}},
			Rules: []Rule{{Family: "inet", Priority: 0, Table: 255}, {Family: "inet", Priority: 32766, Table: 254}, {Family: "inet", Priority: 32767, Table: 253}},
			State: state(1)},
		container(10, 5, "10.1.0.2/24", 100),
		container(20, 6, "10.1.0.3/24", 200),
		{Ino: 30, Label: "docker:ipv", PID: 300, NProcs: 1, Holders: []string{"proc"}, NetNSIDs: []NetNSIDRef{{ID: 0, NetNS: 1}},
			Links:  []Link{up(Link{Index: 2, Name: "eth0", Type: "ipvlan", Mode: "l2", MTU: 1500, ParentIndex: 2, NetNSID: ip(0)})},
			Addrs:  []Addr{{IfIndex: 2, Family: "inet", CIDR: "192.0.2.50/24"}},
			Routes: []Route{{Family: "inet", Table: 254, Dst: "default", Gateway: "192.0.2.1", OutIndex: 2, Type: 1}},
			State:  state(0), DNS: dns(300)},
	}}
	resolve(t)
	return t
}

func checkIDs(fs []Finding) []string {
	ids := []string{}
	for _, f := range fs {
		ids = append(ids, f.Check)
	}
	sort.Strings(ids)
	return ids
}

func TestCheckSynthetic(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(t *Topology)
		want   []string
		says   string
	}{
		{"clean", func(*Topology) {}, nil, ""},
		{"veth mtu", func(t *Topology) { t.Namespaces[1].Links[1].MTU = 9000 }, []string{"mtu-above-uplink", "mtu-veth-mismatch"}, "vethA mtu 1500 <-> net:[10](docker:c10) eth0 mtu 9000"},
		{"port mtu", func(t *Topology) { t.Namespaces[0].Links[2].MTU = 1400 }, []string{"mtu-port-bridge-mismatch", "mtu-port-bridge-mismatch"}, "bridge br0 mtu 1400"},
		{"bridge above uplink", func(t *Topology) { t.Namespaces[0].Links[1].MTU = 1400; t.Namespaces[0].Links[5].MTU = 1350 },
			[]string{"mtu-above-uplink"}, "br0 mtu 1500 is above its uplink eth0 mtu 1400"},
		{"vxlan above underlay", func(t *Topology) { t.Namespaces[0].Links[5].MTU = 1500 }, []string{"mtu-above-uplink"}, "minus 50 bytes"},
		{"veth down", func(t *Topology) { t.Namespaces[2].Links[1].Up = false }, []string{"gateway-unreachable", "veth-down"}, "eth0 is admin down"},
		{"bridge down", func(t *Topology) { t.Namespaces[0].Links[2].Up = false }, []string{"bridge-down"}, "br0 is administratively down"},
		{"port blocking", func(t *Topology) { t.Namespaces[0].Links[3].Port = &BridgePort{State: "blocking"} }, []string{"bridge-port-not-forwarding"}, "vethA is up but blocking"},
		{"no default", func(t *Topology) { t.Namespaces[1].Routes = t.Namespaces[1].Routes[1:] }, []string{"no-default-route"}, "has 10.1.0.2/24 but no inet default route"},
		{"default in a rule's table counts", func(t *Topology) {
			ns := &t.Namespaces[1]
			ns.Routes[0].Table = 100
			ns.Rules = append(ns.Rules, Rule{Family: "inet", Priority: 100, Table: 100})
		}, nil, ""},
		{"gateway nobody has", func(t *Topology) { t.Namespaces[1].Routes[0].Gateway = "10.1.0.254" }, []string{"gateway-unreachable"}, "no interface on its L2 domain"},
		{"gateway linkdown", func(t *Topology) { t.Namespaces[1].Routes[0].Flags = rtnhLinkdown }, []string{"gateway-unreachable"}, "default via 10.1.0.1, but eth0"},
		{"gateway neighbour failed", func(t *Topology) {
			t.Namespaces[1].Neighbors = []Neigh{{IfIndex: 2, IP: "10.1.0.1", State: nudFailed, StateName: "FAILED"}}
		}, []string{"gateway-unreachable", "neighbour-failed"}, "neighbour entry is FAILED"},
		{"ip_forward off", func(t *Topology) { *t.Namespaces[0].State.IPForward = 0 }, []string{"ip-forward-off"}, "br0 holds 10.1.0.1, the gateway of"},
		{"br_netfilter and FORWARD drop", func(t *Topology) {
			t.Namespaces[0].State.Forward = []ForwardChain{{Backend: "nftables", Name: "ip filter FORWARD", Policy: "drop", Interfaces: []string{"docker0"}}}
		}, []string{"br-netfilter-forward-drop"}, "no rule there names br0"},
		{"FORWARD drop with a rule for the bridge", func(t *Topology) {
			t.Namespaces[0].State.Forward = []ForwardChain{{Backend: "iptables-legacy", Name: "ip filter FORWARD", Policy: "drop", Interfaces: []string{"br+"}}}
		}, nil, ""},
		{"FORWARD drop without br_netfilter", func(t *Topology) {
			t.Namespaces[0].State.BridgeNFCallIPTables = nil
			t.Namespaces[0].State.Forward = []ForwardChain{{Backend: "nftables", Name: "ip filter FORWARD", Policy: "drop"}}
		}, nil, ""},
		{"rp_filter strict, policy rule", func(t *Topology) {
			t.Namespaces[0].Rules = append(t.Namespaces[0].Rules, Rule{Family: "inet", Priority: 100, Src: "10.9.0.0/16", Table: 7})
		}, []string{"rp-filter-strict-asymmetric"}, "strict rp_filter on eth0"},
		{"rp_filter strict, one device only", func(t *Topology) {
			t.Namespaces[1].Rules = append(t.Namespaces[1].Rules, Rule{Family: "inet", Priority: 100, Src: "10.9.0.0/16", Table: 7})
		}, nil, ""},
		{"duplicate IPv4", func(t *Topology) { t.Namespaces[2].Addrs[1].CIDR = "10.1.0.2/24" }, []string{"duplicate-ip"}, "10.1.0.2 is on 2 interfaces"},
		{"same address in another L2 domain", func(t *Topology) { t.Namespaces[3].Addrs[0].CIDR = "10.1.0.2/24" }, nil, ""},
		{"DAD failed", func(t *Topology) {
			t.Namespaces[1].Addrs = append(t.Namespaces[1].Addrs, Addr{IfIndex: 2, Family: "inet6", CIDR: "fd00::5/64", Flags: ifaDADFailed})
			t.Namespaces[1].Routes = append(t.Namespaces[1].Routes, Route{Family: "inet6", Table: 254, Dst: "default", OutIndex: 2, Type: 1})
		}, []string{"ipv6-dad-failed"}, "fd00::5/64 failed duplicate address detection"},
		{"conntrack full", func(t *Topology) { t.Namespaces[1].State.Conntrack.Count = 950 }, []string{"conntrack-full"}, "950 of 1000 entries (95%)"},
		{"conntrack insert_failed", func(t *Topology) { t.Namespaces[1].State.Conntrack.InsertFailed = 4 }, []string{"conntrack-insert-failed"}, "insert_failed 4"},
		{"loopback resolver", func(t *Topology) { t.Namespaces[1].DNS.Nameservers = []string{"127.0.0.53"} }, []string{"dns-loopback-resolver"}, "resolves through 127.0.0.53"},
		{"loopback resolver that listens there", func(t *Topology) {
			t.Namespaces[1].DNS.Nameservers = []string{"127.0.0.1"}
			t.Namespaces[1].State.DNSListeners = []string{"0.0.0.0"}
		}, nil, ""},
		{"docker's embedded resolver", func(t *Topology) { t.Namespaces[1].DNS.Nameservers = []string{"127.0.0.11"} }, nil, ""},
		{"host's loopback resolver is fine", func(t *Topology) { t.Namespaces[0].DNS = &DNSConfig{Nameservers: []string{"127.0.0.53"}} }, nil, ""},
		{"resolv.conf unreadable", func(t *Topology) {
			t.Namespaces[1].DNS = &DNSConfig{PID: 100, Path: "/etc/resolv.conf", Error: "no such file"}
		}, []string{"dns-config-unreadable"}, "no such file"},
		{"no process", func(t *Topology) {
			ns := &t.Namespaces[2]
			ns.NProcs, ns.PID, ns.Holders, ns.DNS = 0, 0, []string{"bind:/run/docker/netns/abc"}, nil
		}, []string{"netns-no-process"}, "held by bind:/run/docker/netns/abc"},
		{"veth without master", func(t *Topology) { t.Namespaces[0].Links[4].MasterIndex = 0; t.Namespaces[0].Links[4].Port = nil },
			[]string{"gateway-unreachable", "veth-no-master"}, "vethB has no master, address or route"},
		{"routed veth (Calico) is not a leftover", func(t *Topology) {
			h := &t.Namespaces[0]
			h.Links[4].MasterIndex, h.Links[4].Port = 0, nil
			h.Routes = append(h.Routes, Route{Family: "inet", Table: 254, Dst: "10.1.0.3/32", OutIndex: 6, Protocol: 4, Scope: 253, Type: 1})
			t.Namespaces[2].Routes[0].Flags = rtnhOnlink
		}, nil, ""},
		{"peer namespace not visible", func(t *Topology) {
			t.Namespaces = t.Namespaces[:2]
			t.Namespaces[0].NetNSIDs = []NetNSIDRef{{ID: 0, NetNS: 10}, {ID: 1}}
		},
			[]string{"veth-peer-not-visible"}, "names no namespace that was read"},
	}
	tests = append(tests, qdiscCases...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			topo := synth()
			tt.mutate(topo)
			resolve(topo)
			fs := Check(topo)
			want := append([]string{}, tt.want...)
			sort.Strings(want)
			if got := checkIDs(fs); strings.Join(got, ",") != strings.Join(want, ",") {
				var msgs []string
				for _, f := range fs {
					msgs = append(msgs, f.Message)
				}
				t.Fatalf("findings %q; want %q\n%s", got, want, strings.Join(msgs, "\n"))
			}
			all := ""
			for _, f := range fs {
				all += f.Message + "\n"
				if f.Severity == "" || len(f.NetNS) == 0 || len(f.Objects) == 0 || f.Hint == "" {
					t.Errorf("%s: incomplete finding %+v", f.Check, f)
				}
			}
			if !strings.Contains(all, tt.says) {
				t.Errorf("no finding says %q:\n%s", tt.says, all)
			}
		})
	}
}

func TestChecksDocumented(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Checks {
		if seen[c.ID] || c.Doc == "" || (c.Severity != SeverityError && c.Severity != SeverityWarning) {
			t.Errorf("check %+v: duplicate, undocumented or without severity", c)
		}
		seen[c.ID] = true
	}
}

func TestLowers(t *testing.T) {
	topo := synth()
	got := map[string]string{}
	for _, l := range topo.Lowers {
		low := "?" + l.Reason
		if l.Lower != nil {
			low = l.Lower.Name + "@" + itoa(int(l.Lower.NetNS))
		}
		got[l.Kind+" "+l.Upper.Name+"@"+itoa(int(l.Upper.NetNS))] = low
	}
	want := map[string]string{"vxlan vx0@1": "eth0@1", "bond bond0@1": "tap0@1", "ipvlan eth0@30": "eth0@1"}
	if len(got) != len(want) {
		t.Errorf("lowers = %v; want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s sits on %q; want %q", k, got[k], v)
		}
	}
	// A macvlan whose parent's namespace was not read.
	topo.Namespaces[3].NetNSIDs = []NetNSIDRef{{ID: 0}}
	topo.Namespaces[3].Links[0].Type = "macvlan"
	resolve(topo)
	for _, l := range topo.Lowers {
		if l.Upper.NetNS == 30 && (l.Lower != nil || !strings.Contains(l.Reason, "not read")) {
			t.Errorf("macvlan with an unreadable parent = %+v; want no lower and a reason", l)
		}
	}
}

// addQdisc puts q on interface idx of namespace ns of a synth topology.
func addQdisc(t *Topology, ns, idx int, q Qdisc) {
	q.IfIndex = idx
	st := t.Namespaces[ns].State
	st.Qdiscs = append(st.Qdiscs, q)
}

// qdiscCases are TestCheckSynthetic's cases for qdisc-shaping and
// qdisc-drops. Namespace 0 is the host (eth0 its uplink, vethA/vethB at 5
// and 6 its bridge ports), 1 and 2 are containers with eth0 at 2.
var qdiscCases = []struct {
	name   string
	mutate func(t *Topology)
	want   []string
	says   string
}{
	{"netem on a container's eth0", func(t *Topology) {
		addQdisc(t, 1, 2, Qdisc{Kind: "netem", Handle: "8001:", Parent: "root", Netem: &Netem{DelayUsec: 100000, Loss: 1}})
	}, []string{"qdisc-shaping"}, "net:[10](docker:c10) eth0: netem qdisc 8001: (parent root) delay 100ms loss 1%: adds latency"},
	{"netem duplicate, corrupt, reorder", func(t *Topology) {
		addQdisc(t, 2, 2, Qdisc{Kind: "netem", Handle: "1:", Parent: "root", Netem: &Netem{Duplicate: 2, Corrupt: 0.5, Reorder: 25, DelayUsec: 10000, JitterUsec: 1500}})
	}, []string{"qdisc-shaping"}, "delay 10ms jitter 1.5ms duplicate 2% corrupt 0.5% reorder 25%"},
	{"tbf on a host veth", func(t *Topology) {
		addQdisc(t, 0, 5, Qdisc{Kind: "tbf", Handle: "8002:", Parent: "root", Rate: 125000, Drops: 3})
	}, []string{"qdisc-shaping"}, "net:[1](host) vethA: tbf qdisc 8002: (parent root) rate 1Mbit: limits the rate"},
	{"htb with a child netem", func(t *Topology) {
		addQdisc(t, 0, 6, Qdisc{Kind: "htb", Handle: "1:", Parent: "root", Classes: []TrafficClass{{Handle: "1:10", Rate: 250000, Ceil: 1250000}}})
		addQdisc(t, 0, 6, Qdisc{Kind: "netem", Handle: "10:", Parent: "1:10", Netem: &Netem{DelayUsec: 5000}})
	}, []string{"qdisc-shaping", "qdisc-shaping"}, "htb qdisc 1: (parent root) rate 1:10 2Mbit ceil 10Mbit"},
	{"drops on a veth", func(t *Topology) {
		addQdisc(t, 0, 5, Qdisc{Kind: "mq", Handle: "0:", Parent: "root", Drops: 12})
		addQdisc(t, 0, 5, Qdisc{Kind: "fq_codel", Handle: "0:", Parent: ":1", Drops: 12})
	}, []string{"qdisc-drops"}, "vethA: qdisc mq 0: dropped 12 packets"},
	{"default qdiscs without drops", func(t *Topology) {
		for _, kind := range []string{"pfifo_fast", "fq_codel", "mq", "fq", "noqueue"} {
			addQdisc(t, 0, 5, Qdisc{Kind: kind, Handle: "0:", Parent: "root"})
			addQdisc(t, 1, 2, Qdisc{Kind: kind, Handle: "0:", Parent: "root"})
		}
	}, nil, ""},
	{"shaping and drops on the host uplink are policy", func(t *Topology) {
		addQdisc(t, 0, 2, Qdisc{Kind: "htb", Handle: "1:", Parent: "root", Drops: 40})
		addQdisc(t, 0, 2, Qdisc{Kind: "fq_codel", Handle: "0:", Parent: "1:10", Drops: 40})
	}, nil, ""},
	{"netem on a container's lo", func(t *Topology) {
		addQdisc(t, 1, 1, Qdisc{Kind: "netem", Handle: "1:", Parent: "root", Netem: &Netem{DelayUsec: 100000}})
	}, nil, ""},
	{"qdiscs not read", func(t *Topology) { t.Namespaces[1].State.Qdiscs = nil }, nil, ""},
}

func TestQdiscEvidence(t *testing.T) {
	topo := synth()
	addQdisc(topo, 1, 2, Qdisc{Kind: "tbf", Handle: "8001:", Parent: "root", Rate: 125000})
	addQdisc(topo, 2, 2, Qdisc{Kind: "netem", Handle: "8002:", Parent: "root", Drops: 7, Netem: &Netem{DelayUsec: 250000, Loss: 10}})
	addQdisc(topo, 0, 6, Qdisc{Kind: "pfifo_fast", Handle: "0:", Parent: "root", Drops: 9})
	want := map[string]struct {
		obj string
		ev  map[string]string
	}{
		"tbf":        {"net:[10](docker:c10) eth0", map[string]string{"kind": "tbf", "handle": "8001:", "parent": "root", "rate": "1Mbit", "drops": "0"}},
		"netem":      {"net:[20](docker:c20) eth0", map[string]string{"kind": "netem", "handle": "8002:", "delay": "250ms", "loss": "10%", "drops": "7"}},
		"pfifo_fast": {"net:[1](host) vethB", map[string]string{"kind": "pfifo_fast", "handle": "0:", "drops": "9"}},
	}
	seen := 0
	for _, f := range Check(topo) {
		if f.Check != "qdisc-shaping" && f.Check != "qdisc-drops" {
			continue
		}
		seen++
		w, ok := want[f.Evidence["kind"]]
		if !ok {
			t.Errorf("unexpected finding %s: %s", f.Check, f.Message)
			continue
		}
		if len(f.Objects) != 1 || f.Objects[0].String() != w.obj {
			t.Errorf("%s: objects %v; want %s", f.Message, f.Objects, w.obj)
		}
		for k, v := range w.ev {
			if f.Evidence[k] != v {
				t.Errorf("%s: evidence %s=%q; want %q", f.Message, k, f.Evidence[k], v)
			}
		}
		if want := "tc -s qdisc show dev " + f.Objects[0].Name; !strings.Contains(f.Hint, want) || !strings.HasPrefix(f.Hint, "nsenter --net=") {
			t.Errorf("hint %q; want nsenter … %s", f.Hint, want)
		}
	}
	if seen != len(want) {
		t.Errorf("%d qdisc findings; want %d", seen, len(want))
	}
}

func TestRateString(t *testing.T) {
	for in, want := range map[uint64]string{0: "0bit", 100: "800bit", 125000: "1Mbit", 187500: "1.5Mbit", 1250: "10Kbit", 125000000: "1Gbit"} {
		if got := rateString(in); got != want {
			t.Errorf("rateString(%d) = %q; want %q", in, got, want)
		}
	}
}
