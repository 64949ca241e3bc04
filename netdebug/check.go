package netdebug

import (
	"fmt"
	"maps"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Severity ranks a finding: "error" is broken now, "warning" is likely to
// break or is a leftover.
type Severity string

// Severities of findings.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Finding is one fault Check found: what is at fault, and the evidence.
type Finding struct {
	// Check is the check's ID, one of Checks.
	Check    string   `json:"check"`
	Severity Severity `json:"severity"`
	// NetNS lists the inodes of the namespaces involved, so a caller can
	// keep the findings about one container.
	NetNS []uint64 `json:"netns"`
	// Objects are the namespaces and interfaces at fault.
	Objects []Object `json:"objects"`
	// Message says what is wrong in one line, naming the objects.
	Message string `json:"message"`
	// Evidence holds the values the finding rests on.
	Evidence map[string]string `json:"evidence"`
	// Hint is a command that confirms the finding by hand.
	Hint string `json:"hint,omitempty"`
}

// Object names a namespace, or an interface in it when Name is set.
type Object struct {
	NetNS   uint64 `json:"netns"`
	Label   string `json:"label,omitempty"`
	Name    string `json:"name,omitempty"`
	IfIndex int    `json:"ifindex,omitempty"`
}

// String renders o as "net:[INO](LABEL) NAME".
func (o Object) String() string {
	s := fmt.Sprintf("net:[%d]", o.NetNS)
	if o.Label != "" {
		s += "(" + o.Label + ")"
	}
	if o.Name != "" {
		s += " " + o.Name
	}
	return s
}

// CheckInfo describes one check.
type CheckInfo struct {
	ID       string
	Severity Severity
	// Needs is "state" when the check needs SnapshotOptions.State.
	Needs string
	Doc   string
}

// Checks lists every check Check runs, in the order of the fault checklist.
var Checks = []CheckInfo{
	{"mtu-veth-mismatch", SeverityError, "", "the two ends of a veth pair have different MTUs"},
	{"mtu-port-bridge-mismatch", SeverityError, "", "a bridge port's MTU differs from its bridge's"},
	{"mtu-above-uplink", SeverityError, "", "a bridge, a container interface behind it, or a vxlan is above its uplink's MTU (minus 50 bytes of VXLAN encapsulation)"},
	{"veth-down", SeverityError, "", "a veth end is administratively down or has no carrier"},
	{"bridge-down", SeverityError, "", "a bridge is administratively down"},
	{"bridge-port-not-forwarding", SeverityError, "", "an up bridge port is not in the forwarding state (STP listening, learning, blocking, or disabled)"},
	{"no-default-route", SeverityWarning, "", "a container-like namespace (a veth into a bridge, or a macvlan/ipvlan) has an address but no default route in any table"},
	{"gateway-unreachable", SeverityError, "", "a default route's gateway cannot be reached: its device is down, its neighbour entry FAILED, or no interface of its L2 domain holds the address"},
	{"ip-forward-off", SeverityError, "state", "a namespace whose address is another namespace's gateway does not forward (net.ipv4.ip_forward=0 or net.ipv6.conf.all.forwarding=0)"},
	{"br-netfilter-forward-drop", SeverityWarning, "state", "bridged traffic is passed to iptables (br_netfilter, bridge-nf-call-iptables=1) and a FORWARD chain with policy drop has no rule for the bridge"},
	{"rp-filter-strict-asymmetric", SeverityWarning, "state", "strict reverse-path filtering (rp_filter=1) in a namespace with several return paths (policy rules, or defaults over several devices)"},
	{"duplicate-ip", SeverityError, "", "one address is on two interfaces of one L2 domain"},
	{"ipv6-dad-failed", SeverityError, "", "an IPv6 address failed duplicate address detection"},
	{"neighbour-failed", SeverityWarning, "", "neighbour entries in state FAILED: the address did not answer ARP/NDP"},
	{"conntrack-full", SeverityError, "state", "the conntrack table is at or above 90% of nf_conntrack_max"},
	{"conntrack-insert-failed", SeverityWarning, "state", "conntrack counted insert_failed or drop: connections were dropped (DNS 5 s timeouts)"},
	{"dns-loopback-resolver", SeverityError, "state", "a non-host namespace uses a loopback nameserver nothing there listens on (127.0.0.53, 127.0.0.1, ::1)"},
	{"dns-config-unreadable", SeverityWarning, "state", "the namespace's process has no readable /etc/resolv.conf (missing, or a symlink dangling inside its root)"},
	{"netns-no-process", SeverityWarning, "", "a namespace with interfaces besides lo is held only by a bind mount or an fd: a leftover of a removed container"},
	{"veth-no-master", SeverityWarning, "", "a veth end whose peer is in another namespace has no master, no address and no route: a leftover"},
	{"veth-peer-not-visible", SeverityWarning, "", "a veth's peer is in a namespace nothing visible holds, or the pairing is inconsistent"},
	{"qdisc-shaping", SeverityWarning, "state", "a netem (delay, loss), tbf or htb (rate limit) qdisc on a veth or a container interface: a leftover of a test or an experiment"},
	{"qdisc-drops", SeverityWarning, "state", "a qdisc on a veth or a container interface has dropped packets"},
}

// conntrackFullRatio is the share of nf_conntrack_max that counts as full.
const conntrackFullRatio = 0.9

// vxlanOverhead is the IPv4 VXLAN encapsulation: outer IP, UDP, VXLAN and
// inner Ethernet headers.
const vxlanOverhead = 50

// dockerDNS is Docker's embedded resolver on user-defined networks: a
// loopback address, but served inside the container's namespace.
const dockerDNS = "127.0.0.11"

// Check runs the fault checklist over topo and returns the findings, sorted
// by check, then by object. It is pure: checks that need the namespaces'
// State (SnapshotOptions.State) skip namespaces without it.
func Check(topo *Topology) []Finding {
	c := newChecker(topo)
	c.mtu()
	c.linkState()
	c.routing()
	c.state()
	c.addresses()
	c.dns()
	c.leftovers()
	c.qdiscs()
	order := map[string]int{}
	for i, ci := range Checks {
		order[ci.ID] = i
	}
	sort.SliceStable(c.out, func(i, j int) bool {
		a, b := c.out[i], c.out[j]
		if a.Check != b.Check {
			return order[a.Check] < order[b.Check]
		}
		return objectsLess(a.Objects, b.Objects)
	})
	return c.out
}

func objectsLess(a, b []Object) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i].NetNS != b[i].NetNS {
			return a[i].NetNS < b[i].NetNS
		}
		if a[i].IfIndex != b[i].IfIndex {
			return a[i].IfIndex < b[i].IfIndex
		}
	}
	return len(a) < len(b)
}

// checker holds the indexes every check shares.
type checker struct {
	topo   *Topology
	links  map[key]*Link
	nss    map[uint64]*Namespace
	peer   map[key]key
	bridge map[key]key // port -> its bridge
	domain map[key]key // union-find parent: L2 domains
	open   map[key]bool
	addrs  map[key][]Addr
	out    []Finding
}

func newChecker(topo *Topology) *checker {
	c := &checker{topo: topo, peer: map[key]key{}, bridge: map[key]key{}, domain: map[key]key{},
		open: map[key]bool{}, addrs: map[key][]Addr{}}
	c.links, c.nss = topo.index()
	for _, p := range topo.Veths {
		a, b := key{p.A.NetNS, p.A.IfIndex}, key{p.B.NetNS, p.B.IfIndex}
		c.peer[a], c.peer[b] = b, a
		c.union(a, b)
	}
	for _, br := range topo.Bridges {
		bk := key{br.Bridge.NetNS, br.Bridge.IfIndex}
		c.find(bk)
		for _, p := range br.Ports {
			pk := key{p.NetNS, p.IfIndex}
			c.bridge[pk] = bk
			c.union(pk, bk)
		}
	}
	for _, l := range topo.Lowers {
		if l.Lower == nil {
			continue
		}
		switch l.Kind {
		case "macvlan", "macvtap", "ipvlan", "ipvtap", "bond":
			c.union(key{l.Upper.NetNS, l.Upper.IfIndex}, key{l.Lower.NetNS, l.Lower.IfIndex})
		}
	}
	// A domain is open when hosts beyond what was read may sit on it: a
	// physical device, a tunnel, an unpaired veth, a stacked link whose
	// parent was not found.
	for k, l := range c.links {
		switch l.Type {
		case "veth":
			if _, ok := c.peer[k]; ok {
				continue
			}
		case "bridge":
			continue
		case "macvlan", "macvtap", "ipvlan", "ipvtap", "bond":
			if c.lowerKnown(k) {
				continue
			}
		}
		if l.Index == 1 && l.Type == "device" && l.Name == "lo" {
			continue
		}
		c.open[c.find(k)] = true
	}
	for i := range topo.Namespaces {
		ns := &topo.Namespaces[i]
		for _, a := range ns.Addrs {
			k := key{ns.Ino, a.IfIndex}
			c.addrs[k] = append(c.addrs[k], a)
		}
	}
	return c
}

func (c *checker) lowerKnown(k key) bool {
	for _, l := range c.topo.Lowers {
		if l.Upper.NetNS == k.ns && l.Upper.IfIndex == k.idx {
			return l.Lower != nil
		}
	}
	return false
}

func (c *checker) find(k key) key {
	p, ok := c.domain[k]
	if !ok {
		c.domain[k] = k
		return k
	}
	if p == k {
		return k
	}
	r := c.find(p)
	c.domain[k] = r
	return r
}

func (c *checker) union(a, b key) {
	ra, rb := c.find(a), c.find(b)
	if ra != rb {
		c.domain[ra] = rb
	}
}

// obj names link k, or its namespace when k.idx is 0.
func (c *checker) obj(k key) Object {
	o := Object{NetNS: k.ns, IfIndex: k.idx}
	if ns := c.nss[k.ns]; ns != nil {
		o.Label = ns.Label
	}
	if l := c.links[k]; l != nil {
		o.Name = l.Name
	}
	return o
}

func (c *checker) nsPath(ino uint64) string {
	if ns := c.nss[ino]; ns != nil && ns.Path != "" {
		return ns.Path
	}
	return fmt.Sprintf("<net:[%d]>", ino)
}

func (c *checker) add(check string, objs []Object, msg string, ev map[string]string, hint string) {
	sev := SeverityWarning
	for _, ci := range Checks {
		if ci.ID == check {
			sev = ci.Severity
		}
	}
	seen := map[uint64]bool{}
	f := Finding{Check: check, Severity: sev, Objects: objs, Message: msg, Evidence: ev, Hint: hint, NetNS: []uint64{}}
	for _, o := range objs {
		if !seen[o.NetNS] {
			seen[o.NetNS] = true
			f.NetNS = append(f.NetNS, o.NetNS)
		}
	}
	if f.Evidence == nil {
		f.Evidence = map[string]string{}
	}
	c.out = append(c.out, f)
}

// sortedKeys returns the links of topo in (netns, ifindex) order.
func (c *checker) sortedKeys() []key {
	keys := make([]key, 0, len(c.links))
	for k := range c.links {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].ns != keys[j].ns {
			return keys[i].ns < keys[j].ns
		}
		return keys[i].idx < keys[j].idx
	})
	return keys
}

func itoa(i int) string { return strconv.Itoa(i) }

// ---- links: MTU, state, bridge ports ----

func (c *checker) mtu() {
	for _, p := range c.topo.Veths {
		a, b := key{p.A.NetNS, p.A.IfIndex}, key{p.B.NetNS, p.B.IfIndex}
		la, lb := c.links[a], c.links[b]
		if la == nil || lb == nil || la.MTU == lb.MTU {
			continue
		}
		c.add("mtu-veth-mismatch", []Object{c.obj(a), c.obj(b)},
			fmt.Sprintf("veth %s mtu %d <-> %s mtu %d", c.obj(a), la.MTU, c.obj(b), lb.MTU),
			map[string]string{"a.mtu": itoa(la.MTU), "b.mtu": itoa(lb.MTU)},
			"nsenter --net="+c.nsPath(a.ns)+" ip link show "+la.Name)
	}
	for _, br := range c.topo.Bridges {
		bk := key{br.Bridge.NetNS, br.Bridge.IfIndex}
		bl := c.links[bk]
		if bl == nil {
			continue
		}
		for _, p := range br.Ports {
			pk := key{p.NetNS, p.IfIndex}
			if pl := c.links[pk]; pl != nil && pl.MTU != bl.MTU {
				c.add("mtu-port-bridge-mismatch", []Object{c.obj(pk), c.obj(bk)},
					fmt.Sprintf("bridge port %s mtu %d, bridge %s mtu %d", c.obj(pk), pl.MTU, bl.Name, bl.MTU),
					map[string]string{"port.mtu": itoa(pl.MTU), "bridge.mtu": itoa(bl.MTU)},
					"nsenter --net="+c.nsPath(pk.ns)+" ip link show master "+bl.Name)
			}
		}
	}
	// Bridges and the container ends of their veth ports against the
	// namespace's uplink: the device of its default route.
	for _, br := range c.topo.Bridges {
		bk := key{br.Bridge.NetNS, br.Bridge.IfIndex}
		bl := c.links[bk]
		up, ok := c.uplink(br.Bridge.NetNS)
		if bl == nil || !ok || c.find(up) == c.find(bk) {
			continue
		}
		ul := c.links[up]
		if bl.MTU > ul.MTU {
			c.add("mtu-above-uplink", []Object{c.obj(bk), c.obj(up)},
				fmt.Sprintf("bridge %s mtu %d is above its uplink %s mtu %d: large packets from its ports are dropped or fragmented", c.obj(bk), bl.MTU, ul.Name, ul.MTU),
				map[string]string{"bridge.mtu": itoa(bl.MTU), "uplink.mtu": itoa(ul.MTU), "uplink": ul.Name, "encap": "0"},
				"nsenter --net="+c.nsPath(bk.ns)+" ip link show "+bl.Name+"; ip route show default")
			continue
		}
		for _, p := range br.Ports {
			ck, ok := c.peer[key{p.NetNS, p.IfIndex}]
			if !ok {
				continue
			}
			if cl := c.links[ck]; cl != nil && cl.MTU > ul.MTU {
				c.add("mtu-above-uplink", []Object{c.obj(ck), c.obj(up)},
					fmt.Sprintf("%s mtu %d, behind bridge %s, is above the uplink %s mtu %d", c.obj(ck), cl.MTU, bl.Name, ul.Name, ul.MTU),
					map[string]string{"mtu": itoa(cl.MTU), "uplink.mtu": itoa(ul.MTU), "uplink": ul.Name, "bridge": bl.Name, "encap": "0"},
					"nsenter --net="+c.nsPath(ck.ns)+" ip link show "+cl.Name)
			}
		}
	}
	for _, lw := range c.topo.Lowers {
		if lw.Kind != "vxlan" || lw.Lower == nil {
			continue
		}
		vk, uk := key{lw.Upper.NetNS, lw.Upper.IfIndex}, key{lw.Lower.NetNS, lw.Lower.IfIndex}
		vl, ul := c.links[vk], c.links[uk]
		if vl == nil || ul == nil || vl.MTU <= ul.MTU-vxlanOverhead {
			continue
		}
		c.add("mtu-above-uplink", []Object{c.obj(vk), c.obj(uk)},
			fmt.Sprintf("vxlan %s mtu %d is above its underlay %s mtu %d minus %d bytes of encapsulation", c.obj(vk), vl.MTU, ul.Name, ul.MTU, vxlanOverhead),
			map[string]string{"mtu": itoa(vl.MTU), "uplink.mtu": itoa(ul.MTU), "uplink": ul.Name, "encap": itoa(vxlanOverhead)},
			"nsenter --net="+c.nsPath(vk.ns)+" ip -d link show "+vl.Name)
	}
}

// uplink is the device of ns's IPv4 default route in the main table, the
// one of lowest metric.
func (c *checker) uplink(ino uint64) (key, bool) {
	ns := c.nss[ino]
	if ns == nil {
		return key{}, false
	}
	best, found := 0, false
	var out key
	for _, r := range ns.Routes {
		if r.Family != "inet" || r.Dst != "default" || r.Table != mainTable || r.Type != routeUnicast {
			continue
		}
		idx := r.OutIndex
		if idx == 0 && len(r.Nexthops) > 0 {
			idx = r.Nexthops[0].OutIndex
		}
		if idx == 0 || c.links[key{ino, idx}] == nil {
			continue
		}
		if !found || r.Priority < best {
			best, found, out = r.Priority, true, key{ino, idx}
		}
	}
	return out, found
}

// Route table and type numbers (include/uapi/linux/rtnetlink.h), spelled
// out because this file builds on every platform.
const (
	mainTable     = 254
	localTable    = 255
	defaultTable  = 253
	routeUnicast  = 1
	protoKernel   = 2
	rtnhLinkdown  = 0x10
	rtnhOnlink    = 0x4
	ifaDADFailed  = 0x08
	nudFailed     = 0x20
	scopeUniverse = 0
)

func down(l *Link) bool {
	switch l.OperState {
	case "down", "lower-layer-down", "not-present":
		return true
	}
	return !l.Up
}

func stateOf(l *Link) string {
	admin := "down"
	if l.Up {
		admin = "up"
	}
	return "admin " + admin + ", oper " + l.OperState
}

func (c *checker) linkState() {
	done := map[key]bool{}
	for _, k := range c.sortedKeys() {
		l := c.links[k]
		if l.Port != nil && l.Port.State != "" && l.Port.State != "forwarding" && l.Up && !down(l) {
			bk := c.bridge[k]
			objs := []Object{c.obj(k)}
			if c.links[bk] != nil {
				objs = append(objs, c.obj(bk))
			}
			c.add("bridge-port-not-forwarding", objs,
				fmt.Sprintf("bridge port %s is up but %s", c.obj(k), l.Port.State),
				map[string]string{"state": l.Port.State}, "nsenter --net="+c.nsPath(k.ns)+" bridge link show dev "+l.Name)
		}
		switch l.Type {
		case "veth":
			pk, paired := c.peer[k]
			pl := c.links[pk]
			if done[k] || !down(l) && (!paired || !down(pl)) {
				break
			}
			done[k], done[pk] = true, true
			objs := []Object{c.obj(k)}
			ev := map[string]string{"a.state": stateOf(l)}
			msg := fmt.Sprintf("veth %s is %s", c.obj(k), stateOf(l))
			if paired {
				objs = append(objs, c.obj(pk))
				ev["b.state"] = stateOf(pl)
				msg += fmt.Sprintf("; peer %s is %s", c.obj(pk), stateOf(pl))
			}
			c.add("veth-down", objs, msg, ev, "nsenter --net="+c.nsPath(k.ns)+" ip link show "+l.Name)
		case "bridge":
			if !l.Up {
				c.add("bridge-down", []Object{c.obj(k)}, fmt.Sprintf("bridge %s is administratively down", c.obj(k)),
					map[string]string{"state": stateOf(l)}, "nsenter --net="+c.nsPath(k.ns)+" ip link show "+l.Name)
			}
		}
	}
}

// ---- routing ----

// defaults returns ns's default routes of a family in the tables that are
// used: main, default, and any table a rule names.
func defaults(ns *Namespace, family string) []Route {
	tables := map[int]bool{mainTable: true, defaultTable: true}
	for _, r := range ns.Rules {
		if r.Table != 0 {
			tables[r.Table] = true
		}
	}
	var out []Route
	for _, r := range ns.Routes {
		if r.Family == family && r.Dst == "default" && tables[r.Table] && r.Type == routeUnicast {
			out = append(out, r)
		}
	}
	return out
}

// containerLike reports the families in which ns has a global address on a
// veth into a bridge, or on a macvlan or ipvlan: a namespace that expects
// a gateway.
func (c *checker) containerLike(ns *Namespace) map[string]key {
	fams := map[string]key{}
	for i := range ns.Links {
		l := &ns.Links[i]
		k := key{ns.Ino, l.Index}
		attached := false
		switch l.Type {
		case "veth":
			if pk, ok := c.peer[k]; ok && pk.ns != k.ns {
				_, attached = c.bridge[pk]
			}
		case "macvlan", "ipvlan":
			attached = true
		}
		if !attached {
			continue
		}
		for _, a := range c.addrs[k] {
			if a.Scope == scopeUniverse && !isLinkLocal(a.CIDR) {
				if _, ok := fams[a.Family]; !ok {
					fams[a.Family] = k
				}
			}
		}
	}
	return fams
}

func isLinkLocal(cidr string) bool {
	ip, _, err := net.ParseCIDR(cidr)
	return err == nil && (ip.IsLinkLocalUnicast() || ip.IsLoopback())
}

func (c *checker) routing() {
	for i := range c.topo.Namespaces {
		ns := &c.topo.Namespaces[i]
		fams := c.containerLike(ns)
		for _, fam := range []string{"inet", "inet6"} {
			k, ok := fams[fam]
			if !ok || len(defaults(ns, fam)) > 0 {
				continue
			}
			var addrs []string
			for _, a := range c.addrs[k] {
				if a.Family == fam {
					addrs = append(addrs, a.CIDR)
				}
			}
			c.add("no-default-route", []Object{c.obj(k)},
				fmt.Sprintf("%s has %s but no %s default route in any table", c.obj(k), strings.Join(addrs, ", "), fam),
				map[string]string{"family": fam, "addrs": strings.Join(addrs, ",")},
				"nsenter --net="+c.nsPath(ns.Ino)+" ip route show table all default")
		}
		for _, fam := range []string{"inet", "inet6"} {
			for _, r := range defaults(ns, fam) {
				hops := []Nexthop{{Gateway: r.Gateway, OutIndex: r.OutIndex, Flags: r.Flags}}
				if len(r.Nexthops) > 0 {
					hops = r.Nexthops
				}
				for _, h := range hops {
					c.gateway(ns, r, h)
				}
			}
		}
	}
}

// gateway checks one next hop of a default route.
func (c *checker) gateway(ns *Namespace, r Route, h Nexthop) {
	if h.Gateway == "" || h.OutIndex == 0 {
		return
	}
	dk := key{ns.Ino, h.OutIndex}
	dev := c.links[dk]
	if dev == nil {
		return
	}
	flags := h.Flags | r.Flags
	ev := map[string]string{"gateway": h.Gateway, "dev": dev.Name, "table": itoa(r.Table)}
	hint := "nsenter --net=" + c.nsPath(ns.Ino) + " ip route get " + h.Gateway
	switch {
	case flags&rtnhLinkdown != 0 || down(dev):
		ev["dev.state"] = stateOf(dev)
		c.add("gateway-unreachable", []Object{c.obj(dk)},
			fmt.Sprintf("%s: default via %s, but %s is %s", c.obj(dk).String(), h.Gateway, dev.Name, stateOf(dev)), ev, hint)
		return
	}
	for _, n := range ns.Neighbors {
		if n.IfIndex == h.OutIndex && n.IP == h.Gateway && n.State&nudFailed != 0 {
			ev["neighbour"] = n.StateName
			c.add("gateway-unreachable", []Object{c.obj(dk)},
				fmt.Sprintf("%s: default via %s, whose neighbour entry is %s (no ARP/NDP answer)", c.obj(dk), h.Gateway, n.StateName), ev, hint)
			return
		}
	}
	if flags&rtnhOnlink != 0 {
		return
	}
	root := c.find(dk)
	if c.open[root] {
		return
	}
	if _, ok := c.owner(root, h.Gateway, dk); !ok {
		ev["domain"] = "closed: every interface of the L2 domain was read"
		c.add("gateway-unreachable", []Object{c.obj(dk)},
			fmt.Sprintf("%s: default via %s, but no interface on its L2 domain has that address", c.obj(dk), h.Gateway), ev, hint)
	}
}

// owner finds the interface of L2 domain root, other than except, that
// holds address ip.
func (c *checker) owner(root key, ip string, except key) (key, bool) {
	want := net.ParseIP(ip)
	for _, k := range c.sortedKeys() {
		if k == except || c.find(k) != root {
			continue
		}
		for _, a := range c.addrs[k] {
			if aip, _, err := net.ParseCIDR(a.CIDR); err == nil && aip.Equal(want) {
				return k, true
			}
		}
	}
	return key{}, false
}

// ---- state: forwarding, netfilter, rp_filter, conntrack ----

func (c *checker) state() {
	// ip-forward-off: namespaces that are another's gateway.
	type gwUse struct {
		gw   key
		user key
		fam  string
		ip   string
	}
	var uses []gwUse
	seen := map[key]bool{}
	for i := range c.topo.Namespaces {
		ns := &c.topo.Namespaces[i]
		for _, fam := range []string{"inet", "inet6"} {
			for _, r := range defaults(ns, fam) {
				hops := []Nexthop{{Gateway: r.Gateway, OutIndex: r.OutIndex}}
				if len(r.Nexthops) > 0 {
					hops = r.Nexthops
				}
				for _, h := range hops {
					if h.Gateway == "" || h.OutIndex == 0 {
						continue
					}
					dk := key{ns.Ino, h.OutIndex}
					if c.links[dk] == nil {
						continue
					}
					gk, ok := c.owner(c.find(dk), h.Gateway, dk)
					if !ok || gk.ns == ns.Ino || seen[gk] {
						continue
					}
					seen[gk] = true
					uses = append(uses, gwUse{gk, dk, fam, h.Gateway})
				}
			}
		}
	}
	for _, u := range uses {
		gns := c.nss[u.gw.ns]
		if gns == nil || gns.State == nil {
			continue
		}
		v, name := gns.State.IPForward, "net.ipv4.ip_forward"
		if u.fam == "inet6" {
			v, name = gns.State.IPv6Forward, "net.ipv6.conf.all.forwarding"
		}
		if v == nil || *v != 0 {
			continue
		}
		c.add("ip-forward-off", []Object{c.obj(u.gw), c.obj(u.user)},
			fmt.Sprintf("%s holds %s, the gateway of %s, but %s=0 there: traffic through it is dropped", c.obj(u.gw), u.ip, c.obj(u.user), name),
			map[string]string{name: "0", "gateway": u.ip},
			"nsenter --net="+c.nsPath(u.gw.ns)+" sysctl "+name)
	}

	for i := range c.topo.Namespaces {
		ns := &c.topo.Namespaces[i]
		st := ns.State
		if st == nil {
			continue
		}
		c.brNetfilter(ns)
		c.rpFilter(ns)
		if ct := st.Conntrack; ct != nil {
			nsObj := []Object{c.obj(key{ns.Ino, 0})}
			hint := "nsenter --net=" + c.nsPath(ns.Ino) + " conntrack -S"
			if ct.Max > 0 && float64(ct.Count) >= conntrackFullRatio*float64(ct.Max) {
				c.add("conntrack-full", nsObj,
					fmt.Sprintf("%s: conntrack holds %d of %d entries (%.0f%%)", nsObj[0], ct.Count, ct.Max, 100*float64(ct.Count)/float64(ct.Max)),
					map[string]string{"nf_conntrack_count": strconv.FormatInt(ct.Count, 10), "nf_conntrack_max": strconv.FormatInt(ct.Max, 10)}, hint)
			}
			if ct.InsertFailed > 0 || ct.Drop > 0 {
				c.add("conntrack-insert-failed", nsObj,
					fmt.Sprintf("%s: conntrack insert_failed %d, drop %d since the namespace started", nsObj[0], ct.InsertFailed, ct.Drop),
					map[string]string{"insert_failed": strconv.FormatUint(ct.InsertFailed, 10), "drop": strconv.FormatUint(ct.Drop, 10),
						"early_drop": strconv.FormatUint(ct.EarlyDrop, 10)}, hint)
			}
		}
	}
}

func (c *checker) brNetfilter(ns *Namespace) {
	st := ns.State
	if st.BridgeNFCallIPTables == nil || *st.BridgeNFCallIPTables != 1 {
		return
	}
	for _, br := range c.topo.Bridges {
		if br.Bridge.NetNS != ns.Ino || len(br.Ports) < 2 {
			continue
		}
		for _, fc := range st.Forward {
			if fc.Policy != "drop" || strings.HasPrefix(fc.Name, "ip6 ") || mentions(fc.Interfaces, br.Bridge.Name) {
				continue
			}
			bk := key{br.Bridge.NetNS, br.Bridge.IfIndex}
			ev := map[string]string{"bridge-nf-call-iptables": "1", "chain": fc.Name, "policy": fc.Policy, "backend": fc.Backend,
				"ports": itoa(len(br.Ports))}
			if fc.PolicyPackets != nil {
				ev["policy.packets"] = strconv.FormatUint(*fc.PolicyPackets, 10)
			}
			hint := "nsenter --net=" + c.nsPath(ns.Ino) + " iptables -L FORWARD -v -x"
			if fc.Backend == "nftables" {
				hint = "nsenter --net=" + c.nsPath(ns.Ino) + " nft list chain " + fc.Name
			}
			c.add("br-netfilter-forward-drop", []Object{c.obj(bk)},
				fmt.Sprintf("bridge %s: br_netfilter sends bridged IPv4 through %s (policy drop), and no rule there names %s: traffic between its %d ports is dropped",
					c.obj(bk), fc.Name, br.Bridge.Name, len(br.Ports)), ev, hint)
		}
	}
}

// mentions reports whether a rule's interface match covers name: exactly,
// or as an iptables "br+" style prefix.
func mentions(names []string, name string) bool {
	for _, n := range names {
		if n == name || (strings.HasSuffix(n, "+") && strings.HasPrefix(name, strings.TrimSuffix(n, "+"))) {
			return true
		}
	}
	return false
}

// rpFilter flags strict reverse-path filtering where replies can come back
// on another device: in a namespace with two addressed devices or more,
// policy rules beyond the three defaults, or IPv4 default routes through
// more than one device.
func (c *checker) rpFilter(ns *Namespace) {
	st := ns.State
	var reasons []string
	for _, r := range ns.Rules {
		if r.Family != "inet" {
			continue
		}
		std := (r.Priority == 0 && r.Table == localTable) || (r.Priority == 32766 && r.Table == mainTable) || (r.Priority == 32767 && r.Table == defaultTable)
		if !std {
			reasons = append(reasons, fmt.Sprintf("rule %d lookup %d", r.Priority, r.Table))
		}
	}
	devs := map[int]bool{}
	for _, r := range ns.Routes {
		if r.Family != "inet" || r.Dst != "default" || r.Table == localTable {
			continue
		}
		if r.OutIndex != 0 {
			devs[r.OutIndex] = true
		}
		for _, h := range r.Nexthops {
			devs[h.OutIndex] = true
		}
	}
	if len(devs) > 1 {
		var names []string
		for idx := range devs {
			if l := c.links[key{ns.Ino, idx}]; l != nil {
				names = append(names, l.Name)
			}
		}
		sort.Strings(names)
		reasons = append(reasons, "default routes via "+strings.Join(names, ", "))
	}
	addressed := 0
	for i := range ns.Links {
		if l := &ns.Links[i]; l.Name != "lo" && len(c.addrs[key{ns.Ino, l.Index}]) > 0 {
			addressed++
		}
	}
	if len(reasons) == 0 || addressed < 2 {
		return // one device: replies cannot come back on another
	}
	all := st.RPFilter["all"]
	var strict []Object
	var strictNames []string
	for i := range ns.Links {
		l := &ns.Links[i]
		if l.Name == "lo" || len(c.addrs[key{ns.Ino, l.Index}]) == 0 {
			continue
		}
		v, ok := st.RPFilter[l.Name]
		if !ok {
			continue
		}
		if max(all, v) == 1 {
			strict = append(strict, c.obj(key{ns.Ino, l.Index}))
			strictNames = append(strictNames, l.Name)
		}
	}
	if len(strict) == 0 {
		return
	}
	c.add("rp-filter-strict-asymmetric", strict,
		fmt.Sprintf("%s: strict rp_filter on %s, with several return paths (%s): replies arriving on another device are dropped as martians",
			c.obj(key{ns.Ino, 0}), strings.Join(strictNames, ", "), strings.Join(reasons, "; ")),
		map[string]string{"rp_filter.all": itoa(all), "strict": strings.Join(strictNames, ","), "paths": strings.Join(reasons, "; ")},
		"nsenter --net="+c.nsPath(ns.Ino)+" sysctl -a --pattern 'rp_filter'; nstat -az TcpExtIPReversePathFilter")
}

// ---- addresses and neighbours ----

func (c *checker) addresses() {
	// Duplicates per L2 domain.
	type holder struct {
		k    key
		cidr string
	}
	byDomain := map[key]map[string][]holder{}
	for _, k := range c.sortedKeys() {
		l := c.links[k]
		if l.Name == "lo" {
			continue
		}
		for _, a := range c.addrs[k] {
			ip, _, err := net.ParseCIDR(a.CIDR)
			if err != nil || ip.IsLoopback() || ip.IsLinkLocalUnicast() {
				continue
			}
			root := c.find(k)
			if byDomain[root] == nil {
				byDomain[root] = map[string][]holder{}
			}
			byDomain[root][ip.String()] = append(byDomain[root][ip.String()], holder{k, a.CIDR})
		}
		for _, a := range c.addrs[k] {
			if a.Flags&ifaDADFailed != 0 {
				c.add("ipv6-dad-failed", []Object{c.obj(k)},
					fmt.Sprintf("%s: %s failed duplicate address detection: another host on the link has it", c.obj(k), a.CIDR),
					map[string]string{"addr": a.CIDR, "flags": fmt.Sprintf("%#x", a.Flags)},
					"nsenter --net="+c.nsPath(k.ns)+" ip addr show dev "+l.Name)
			}
		}
	}
	var roots []key
	for r := range byDomain {
		roots = append(roots, r)
	}
	sort.Slice(roots, func(i, j int) bool {
		return roots[i].ns < roots[j].ns || roots[i].ns == roots[j].ns && roots[i].idx < roots[j].idx
	})
	for _, r := range roots {
		ips := make([]string, 0, len(byDomain[r]))
		for ip := range byDomain[r] {
			ips = append(ips, ip)
		}
		sort.Strings(ips)
		for _, ip := range ips {
			hs := byDomain[r][ip]
			if len(hs) < 2 {
				continue
			}
			var objs []Object
			var names []string
			for _, h := range hs {
				objs = append(objs, c.obj(h.k))
				names = append(names, c.obj(h.k).String())
			}
			c.add("duplicate-ip", objs,
				fmt.Sprintf("%s is on %d interfaces of one L2 domain: %s", ip, len(hs), strings.Join(names, ", ")),
				map[string]string{"addr": ip, "count": itoa(len(hs)), "domain": c.domainName(r)},
				"nsenter --net="+c.nsPath(hs[0].k.ns)+" ip neigh show "+ip)
		}
	}

	for i := range c.topo.Namespaces {
		ns := &c.topo.Namespaces[i]
		failed := map[int][]string{}
		for _, n := range ns.Neighbors {
			if n.State&nudFailed != 0 && n.IP != "" {
				failed[n.IfIndex] = append(failed[n.IfIndex], n.IP)
			}
		}
		var idxs []int
		for idx := range failed {
			idxs = append(idxs, idx)
		}
		sort.Ints(idxs)
		for _, idx := range idxs {
			k := key{ns.Ino, idx}
			ips := failed[idx]
			sort.Strings(ips)
			c.add("neighbour-failed", []Object{c.obj(k)},
				fmt.Sprintf("%s: %d neighbour entries FAILED (%s)", c.obj(k), len(ips), strings.Join(ips, ", ")),
				map[string]string{"failed": strings.Join(ips, ","), "count": itoa(len(ips))},
				"nsenter --net="+c.nsPath(ns.Ino)+" ip neigh show nud failed")
		}
	}
}

// domainName names an L2 domain by its bridge, if it has one, else by one
// of its interfaces.
func (c *checker) domainName(root key) string {
	for _, br := range c.topo.Bridges {
		bk := key{br.Bridge.NetNS, br.Bridge.IfIndex}
		if c.find(bk) == root {
			return "bridge " + c.obj(bk).String()
		}
	}
	return c.obj(root).String()
}

// ---- DNS ----

func (c *checker) dns() {
	for i := range c.topo.Namespaces {
		ns := &c.topo.Namespaces[i]
		d := ns.DNS
		if ns.Host || d == nil {
			continue
		}
		o := c.obj(key{ns.Ino, 0})
		hint := "nsenter -t " + itoa(d.PID) + " -m cat /etc/resolv.conf"
		if d.Error != "" {
			c.add("dns-config-unreadable", []Object{o},
				fmt.Sprintf("%s: PID %d has no readable %s: %s", o, d.PID, d.Path, d.Error),
				map[string]string{"pid": itoa(d.PID), "error": d.Error}, hint)
			continue
		}
		var listeners []string
		if ns.State != nil {
			listeners = ns.State.DNSListeners
		}
		for _, server := range d.Nameservers {
			ip := net.ParseIP(server)
			if ip == nil || !ip.IsLoopback() || server == dockerDNS || listening(listeners, ip) {
				continue
			}
			c.add("dns-loopback-resolver", []Object{o},
				fmt.Sprintf("%s: PID %d resolves through %s, a loopback address, and nothing in this namespace listens on %s:53 (the host's resolver is not reachable from here)", o, d.PID, server, server),
				map[string]string{"pid": itoa(d.PID), "nameserver": server, "listeners": strings.Join(listeners, ",")}, hint)
		}
	}
}

func listening(listeners []string, ip net.IP) bool {
	for _, l := range listeners {
		lip := net.ParseIP(l)
		if lip != nil && (lip.Equal(ip) || lip.IsUnspecified() && (lip.To4() != nil) == (ip.To4() != nil)) {
			return true
		}
	}
	return false
}

// ---- leftovers ----

func (c *checker) leftovers() {
	for i := range c.topo.Namespaces {
		ns := &c.topo.Namespaces[i]
		if ns.Host || ns.NProcs != 0 || len(ns.Holders) == 0 {
			continue
		}
		var ifs []string
		for _, l := range ns.Links {
			if l.Name != "lo" {
				ifs = append(ifs, l.Name)
			}
		}
		if len(ifs) == 0 {
			continue
		}
		o := c.obj(key{ns.Ino, 0})
		c.add("netns-no-process", []Object{o},
			fmt.Sprintf("%s has %d interfaces (%s) and no process; held by %s", o, len(ifs), strings.Join(ifs, ", "), strings.Join(ns.Holders, ", ")),
			map[string]string{"holders": strings.Join(ns.Holders, ","), "interfaces": strings.Join(ifs, ",")},
			"ls -l "+ns.Path+"; ip netns list")
	}
	done := map[key]bool{}
	for _, k := range c.sortedKeys() {
		l := c.links[k]
		pk, ok := c.peer[k]
		if l.Type != "veth" || !ok || pk.ns == k.ns || done[k] {
			continue
		}
		if !c.unused(k) {
			continue
		}
		peerUnused := c.unused(pk)
		if !peerUnused && !c.configured(pk) {
			continue // the peer is a bridge port waiting for its other end's address
		}
		done[k], done[pk] = true, true
		msg := fmt.Sprintf("veth %s has no master, address or route; its peer %s", c.obj(k), c.obj(pk))
		if peerUnused {
			msg += " neither: an unused pair"
		} else {
			msg += " is configured: the bridge it belonged to is gone, or it was never attached"
		}
		c.add("veth-no-master", []Object{c.obj(k), c.obj(pk)}, msg,
			map[string]string{"master": "none", "peer.unused": strconv.FormatBool(peerUnused)},
			"nsenter --net="+c.nsPath(k.ns)+" ip -d link show "+l.Name)
	}
	for _, u := range c.topo.Unpaired {
		k := key{u.End.NetNS, u.End.IfIndex}
		ev := map[string]string{"peer.ifindex": itoa(u.PeerIfIndex)}
		if u.PeerNetNSID != nil {
			ev["peer.netnsid"] = itoa(*u.PeerNetNSID)
		}
		c.add("veth-peer-not-visible", []Object{c.obj(k)}, fmt.Sprintf("veth %s: %s", c.obj(k), u.Reason), ev,
			"nsenter --net="+c.nsPath(k.ns)+" ip -d link show "+u.End.Name+"; ctx ns ls --type net -o wide")
	}
}

// configured reports a link with a global address or a route of its own.
func (c *checker) configured(k key) bool {
	l := c.links[k]
	return l != nil && l.MasterIndex == 0 && !c.unused(k)
}

// unused reports a link with no master, no global address and no route of
// its own (kernel-made ones aside): a routed veth (Calico, CNI ptp) has a
// route; a bridged one a master.
func (c *checker) unused(k key) bool {
	l := c.links[k]
	if l == nil || l.MasterIndex != 0 {
		return false
	}
	for _, a := range c.addrs[k] {
		if a.Scope == scopeUniverse && !isLinkLocal(a.CIDR) {
			return false
		}
	}
	if ns := c.nss[k.ns]; ns != nil {
		for _, r := range ns.Routes {
			if r.Table == localTable || r.Protocol == protoKernel {
				continue
			}
			if r.OutIndex == k.idx {
				return false
			}
			for _, h := range r.Nexthops {
				if h.OutIndex == k.idx {
					return false
				}
			}
		}
		for _, lw := range c.topo.Lowers {
			if lw.Lower != nil && lw.Lower.NetNS == k.ns && lw.Lower.IfIndex == k.idx {
				return false // a macvlan or vxlan sits on it
			}
		}
	}
	return true
}

// ---- traffic control ----

// qdiscs flags qdiscs that shape traffic on purpose (netem, tbf, htb) and
// other qdiscs that dropped packets, on the interfaces where a container's
// traffic passes: veths anywhere, and every interface but lo of a
// namespace other than the host's. A host uplink with htb is policy, not
// a leftover, so it is left alone.
func (c *checker) qdiscs() {
	for i := range c.topo.Namespaces {
		ns := &c.topo.Namespaces[i]
		if ns.State == nil {
			continue
		}
		drops := map[int][]Qdisc{}
		for _, q := range ns.State.Qdiscs {
			k := key{ns.Ino, q.IfIndex}
			if !c.containerPath(ns, k) {
				continue
			}
			if ev, params, ok := q.shaping(); ok {
				c.qdiscShaping(k, q, ev, params)
			} else if q.Drops > 0 {
				drops[q.IfIndex] = append(drops[q.IfIndex], q)
			}
		}
		for _, idx := range slices.Sorted(maps.Keys(drops)) {
			c.qdiscDrops(key{ns.Ino, idx}, drops[idx])
		}
	}
}

// containerPath reports whether link k carries a container's traffic.
func (c *checker) containerPath(ns *Namespace, k key) bool {
	l := c.links[k]
	switch {
	case l == nil:
		return false
	case l.Type == "veth":
		return true
	}
	return !ns.Host && l.Name != "lo"
}

func (c *checker) qdiscHint(k key, class bool) string {
	l := c.links[k]
	hint := "nsenter --net=" + c.nsPath(k.ns) + " tc -s qdisc show dev " + l.Name
	if class {
		hint += "; nsenter --net=" + c.nsPath(k.ns) + " tc -s class show dev " + l.Name
	}
	return hint
}

func (c *checker) qdiscShaping(k key, q Qdisc, ev map[string]string, params string) {
	effect := "limits the rate of everything sent through it"
	if q.Kind == "netem" {
		effect = "adds latency or loss to everything sent through it"
	}
	ev["kind"], ev["handle"], ev["parent"], ev["drops"] = q.Kind, q.Handle, q.Parent, strconv.FormatUint(q.Drops, 10)
	c.add("qdisc-shaping", []Object{c.obj(k)},
		fmt.Sprintf("%s: %s qdisc %s (parent %s) %s: %s", c.obj(k), q.Kind, q.Handle, q.Parent, params, effect),
		ev, c.qdiscHint(k, q.Kind == "htb"))
}

// qdiscDrops reports one interface's dropping qdiscs in one finding: a
// root mq sums the drops of its children, so one finding per qdisc would
// count them twice. The evidence names the qdisc with the most drops.
func (c *checker) qdiscDrops(k key, qs []Qdisc) {
	top := qs[0]
	var all []string
	for _, q := range qs {
		all = append(all, fmt.Sprintf("%s %s dropped %d", q.Kind, q.Handle, q.Drops))
		if q.Drops > top.Drops {
			top = q
		}
	}
	c.add("qdisc-drops", []Object{c.obj(k)},
		fmt.Sprintf("%s: qdisc %s %s dropped %d packets", c.obj(k), top.Kind, top.Handle, top.Drops),
		map[string]string{"kind": top.Kind, "handle": top.Handle, "parent": top.Parent, "drops": strconv.FormatUint(top.Drops, 10),
			"qdiscs": strings.Join(all, ", ")},
		c.qdiscHint(k, false))
}
