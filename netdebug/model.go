package netdebug

import (
	"sort"

	"github.com/ctx-tools/ctx/inspect"
)

// NetNS is one network namespace to read: its nsfs identity, a path that
// opens it from here, and a label for display.
type NetNS struct {
	Ino uint64 `json:"ino"`
	Dev uint64 `json:"dev"`
	// Path opens the namespace: /proc/PID/ns/net, a bind mount such as
	// /run/netns/NAME, or /proc/PID/fd/N, already under the host root.
	Path string `json:"path"`
	// Label names the holder: a container, a bind-mount path, a process.
	Label string `json:"label,omitempty"`
	// Host marks the initial network namespace.
	Host bool `json:"host,omitempty"`
	// PID is the lowest-PID process inside, 0 when none is known. Its root
	// is where the namespace's DNS configuration is read.
	PID int `json:"pid,omitempty"`
	// NProcs counts the processes inside. With Holders set, 0 means that
	// only a bind mount or an fd keeps the namespace alive.
	NProcs int `json:"nprocs,omitempty"`
	// Holders are what else holds it: bind:PATH, fd:PID/N, task:TID.
	Holders []string `json:"holders,omitempty"`
}

// FromInspect turns the net namespaces of an inspect scan into Snapshot's
// input, labelled by container, else by bind mount or holder, else by the
// lowest-PID process. Namespaces of other types and those without a Ref
// (nothing here can open them) are left out.
func FromInspect(nss []*inspect.Namespace) []NetNS {
	out := make([]NetNS, 0, len(nss))
	for _, n := range nss {
		if n == nil || n.Type != "net" || n.Ref() == "" {
			continue
		}
		nn := NetNS{Ino: n.Ino, Dev: n.Dev, Path: n.Ref(), Label: labelOf(n), Host: n.Initial, NProcs: n.NProcs}
		if n.Process != nil {
			nn.PID = n.Process.PID
		}
		for _, h := range n.Holders {
			nn.Holders = append(nn.Holders, h.String())
		}
		if n.NProcs > 0 {
			nn.Holders = append([]string{"proc"}, nn.Holders...)
		}
		out = append(out, nn)
	}
	return out
}

func labelOf(n *inspect.Namespace) string {
	if n.Initial {
		return "host"
	}
	if p := n.Process; p != nil {
		if p.Container != nil {
			return p.Container.Label()
		}
	}
	for _, h := range n.Holders {
		if h.Kind == "bind" {
			return h.String()
		}
	}
	if p := n.Process; p != nil {
		return p.Comm
	}
	if len(n.Holders) > 0 {
		return n.Holders[0].String()
	}
	return ""
}

// Topology is the network wiring of a set of namespaces.
type Topology struct {
	Namespaces []Namespace `json:"namespaces"`
	// Veths are the veth pairs whose both ends were seen, each once, with
	// A the end of lower (netns, ifindex).
	Veths []VethPair `json:"veths"`
	// Unpaired are veth ends whose peer was not found among the namespaces
	// read: it lives in a namespace nothing visible holds, or the link
	// data is inconsistent.
	Unpaired []UnpairedVeth `json:"unpaired"`
	// Bridges are the bridge devices with their ports.
	Bridges []Bridge `json:"bridges"`
	// Lowers are the links stacked on another: macvlan, ipvlan, macvtap
	// and vlan on their parent, vxlan on its underlay device, bond ports
	// under their bond.
	Lowers   []Lower  `json:"lowers"`
	Warnings []string `json:"warnings"`
}

// Namespace is what one network namespace holds.
type Namespace struct {
	Ino     uint64   `json:"ino"`
	Dev     uint64   `json:"dev"`
	Path    string   `json:"path"`
	Label   string   `json:"label,omitempty"`
	Host    bool     `json:"host,omitempty"`
	PID     int      `json:"pid,omitempty"`
	NProcs  int      `json:"nprocs,omitempty"`
	Holders []string `json:"holders,omitempty"`
	// Partial marks data from a dump that kept being interrupted, or a
	// namespace that could only be read in part.
	Partial   bool    `json:"partial,omitempty"`
	Links     []Link  `json:"links"`
	Addrs     []Addr  `json:"addrs"`
	Routes    []Route `json:"routes"`
	Rules     []Rule  `json:"rules"`
	Neighbors []Neigh `json:"neighbors"`
	// NetNSIDs maps the ids this namespace gives other namespaces (its
	// links' link-netnsid) to those namespaces. Only ids its links use are
	// resolved.
	NetNSIDs []NetNSIDRef `json:"netnsids"`
	// State holds the sysctls, conntrack and netfilter facts the checks
	// need; nil unless asked for (SnapshotOptions.State).
	State *State `json:"state,omitempty"`
	// DNS is the resolver configuration of the namespace's process, read
	// in its mount namespace; nil unless asked for or without a process.
	DNS *DNSConfig `json:"dns,omitempty"`
}

// NetNSIDRef says that the namespace holding it calls namespace NetNS by ID.
type NetNSIDRef struct {
	ID int `json:"id"`
	// NetNS is the inode of the namespace ID refers to, 0 when no namespace
	// read answers to it.
	NetNS uint64 `json:"netns"`
}

// Link is one network interface (rtnetlink RTM_NEWLINK).
type Link struct {
	Index int    `json:"ifindex"`
	Name  string `json:"name"`
	// Type is the rtnetlink kind: veth, bridge, device, macvlan, vxlan, …
	Type string `json:"type"`
	// Up is IFF_UP, the administrative state.
	Up bool `json:"up"`
	// OperState is RFC 2863's: up, down, lower-layer-down, unknown, …
	OperState string `json:"operState"`
	MTU       int    `json:"mtu"`
	MAC       string `json:"mac,omitempty"`
	// MasterIndex is the bridge, bond or VRF this link is enslaved to, in
	// the same namespace; 0 if none.
	MasterIndex int `json:"masterIndex,omitempty"`
	// ParentIndex is IFLA_LINK: for a veth the peer's ifindex, in the
	// namespace NetNSID names; 0 if none.
	ParentIndex int `json:"parentIndex,omitempty"`
	// NetNSID is IFLA_LINK_NETNSID, the id this namespace gives the
	// namespace of the peer or lower device; nil when it is this one.
	NetNSID *int `json:"netnsid,omitempty"`
	// Port is set for bridge ports.
	Port *BridgePort `json:"port,omitempty"`
	// Mode is the kind's mode: bridge, private, vepa, passthru or source
	// for macvlan and macvtap; l2, l3 or l3s for ipvlan; tun or tap;
	// the bonding mode for a bond.
	Mode string `json:"mode,omitempty"`
	// VNI, DstPort and UnderlayIndex describe a vxlan: its id, UDP port
	// and the device it sends through (IFLA_VXLAN_LINK, 0 if unset).
	VNI           int `json:"vni,omitempty"`
	DstPort       int `json:"dstPort,omitempty"`
	UnderlayIndex int `json:"underlayIfindex,omitempty"`
	// VlanID is a vlan's 802.1Q id.
	VlanID int `json:"vlanId,omitempty"`
}

// BridgePort is the bridge-port state of a link (IFLA_PROTINFO).
type BridgePort struct {
	// State is the STP port state: disabled, listening, learning,
	// forwarding or blocking; empty when unknown.
	State   string `json:"state,omitempty"`
	Hairpin bool   `json:"hairpin"`
}

// Addr is one interface address (rtnetlink RTM_NEWADDR).
type Addr struct {
	IfIndex int `json:"ifindex"`
	// Family is "inet" or "inet6".
	Family string `json:"family"`
	// CIDR is the local address with its prefix length, 10.0.0.2/24.
	CIDR string `json:"cidr"`
	// Peer is the peer address of a point-to-point address, if any.
	Peer  string `json:"peer,omitempty"`
	Scope int    `json:"scope"`
	// Flags are the IFA_F_* flags (unix.IFA_F_DADFAILED, …).
	Flags int    `json:"flags"`
	Label string `json:"label,omitempty"`
}

// Route is one route of any table (rtnetlink RTM_NEWROUTE).
type Route struct {
	Family string `json:"family"`
	Table  int    `json:"table"`
	// Dst is the destination prefix; "default" for a zero-length prefix.
	Dst      string `json:"dst"`
	Gateway  string `json:"gateway,omitempty"`
	Src      string `json:"src,omitempty"`
	OutIndex int    `json:"outIfindex,omitempty"`
	Priority int    `json:"priority,omitempty"`
	Protocol int    `json:"protocol"`
	Scope    int    `json:"scope"`
	Type     int    `json:"type"`
	// Flags are the RTNH_F_* flags: unix.RTNH_F_LINKDOWN when the output
	// device has no carrier, unix.RTNH_F_ONLINK for a gateway declared
	// on-link.
	Flags    int       `json:"flags,omitempty"`
	Nexthops []Nexthop `json:"nexthops,omitempty"`
}

// Nexthop is one path of a multipath route.
type Nexthop struct {
	Gateway  string `json:"gateway,omitempty"`
	OutIndex int    `json:"outIfindex,omitempty"`
	Weight   int    `json:"weight,omitempty"`
	Flags    int    `json:"flags,omitempty"`
}

// Rule is one policy-routing rule (rtnetlink RTM_NEWRULE).
type Rule struct {
	Family   string `json:"family"`
	Priority int    `json:"priority"`
	Table    int    `json:"table"`
	Src      string `json:"src,omitempty"`
	Dst      string `json:"dst,omitempty"`
	IifName  string `json:"iif,omitempty"`
	OifName  string `json:"oif,omitempty"`
	Mark     uint32 `json:"fwmark,omitempty"`
	Invert   bool   `json:"invert,omitempty"`
	Action   int    `json:"action"`
}

// Neigh is one neighbour entry (rtnetlink RTM_NEWNEIGH).
type Neigh struct {
	IfIndex int    `json:"ifindex"`
	Family  string `json:"family"`
	IP      string `json:"ip"`
	MAC     string `json:"mac,omitempty"`
	// State is the NUD_* bit set; StateName renders it as ip neigh does.
	State     int    `json:"state"`
	StateName string `json:"stateName"`
}

// Endpoint names one interface by its identity, (netns, ifindex).
type Endpoint struct {
	NetNS   uint64 `json:"netns"`
	IfIndex int    `json:"ifindex"`
	Name    string `json:"name"`
}

// VethPair is one veth pair, both ends seen.
type VethPair struct {
	A Endpoint `json:"a"`
	B Endpoint `json:"b"`
}

// UnpairedVeth is a veth end whose peer was not found.
type UnpairedVeth struct {
	End Endpoint `json:"end"`
	// PeerIfIndex and PeerNetNSID are what the end reports of its peer.
	PeerIfIndex int    `json:"peerIfindex"`
	PeerNetNSID *int   `json:"peerNetnsid,omitempty"`
	Reason      string `json:"reason"`
}

// Lower says that link Upper is stacked on link Lower: a macvlan, ipvlan,
// macvtap or vlan on its parent, a vxlan on its underlay device, a bond on
// one of its ports. Lower is nil when the parent is not among the links
// read; Reason then says why.
type Lower struct {
	// Kind is the upper link's kind: macvlan, ipvlan, macvtap, vlan,
	// vxlan or bond.
	Kind   string    `json:"kind"`
	Upper  Endpoint  `json:"upper"`
	Lower  *Endpoint `json:"lower,omitempty"`
	Reason string    `json:"reason,omitempty"`
}

// Bridge is a bridge device and its ports, all in one namespace.
type Bridge struct {
	Bridge Endpoint   `json:"bridge"`
	Ports  []Endpoint `json:"ports"`
}

// Interface is one interface of a container's namespace, as ctx inspect
// shows it.
type Interface struct {
	Name      string   `json:"name"`
	IfIndex   int      `json:"ifindex"`
	Type      string   `json:"type"`
	MTU       int      `json:"mtu"`
	MAC       string   `json:"mac,omitempty"`
	Up        bool     `json:"up"`
	OperState string   `json:"operState"`
	Addrs     []string `json:"addrs"`
	// Peer is the other end of a veth, nil for other kinds or when the
	// peer was not found.
	Peer *Peer `json:"peer,omitempty"`
}

// Peer is the far end of a container's veth, usually on the host.
type Peer struct {
	NetNS   uint64 `json:"netns"`
	Label   string `json:"label,omitempty"`
	Name    string `json:"name"`
	IfIndex int    `json:"ifindex"`
	// Master is the bridge (or bond, VRF) the peer is enslaved to, empty
	// if none.
	Master        string `json:"master,omitempty"`
	MasterIfIndex int    `json:"masterIfindex,omitempty"`
}

// key identifies an interface across namespaces.
type key struct {
	ns  uint64
	idx int
}

// index maps every link of topo by (netns, ifindex).
func (t *Topology) index() (map[key]*Link, map[uint64]*Namespace) {
	links := map[key]*Link{}
	nss := make(map[uint64]*Namespace, len(t.Namespaces))
	for i := range t.Namespaces {
		ns := &t.Namespaces[i]
		nss[ns.Ino] = ns
		for j := range ns.Links {
			links[key{ns.Ino, ns.Links[j].Index}] = &ns.Links[j]
		}
	}
	return links, nss
}

// Namespace returns the namespace with inode ino, nil if not read.
func (t *Topology) Namespace(ino uint64) *Namespace {
	for i := range t.Namespaces {
		if t.Namespaces[i].Ino == ino {
			return &t.Namespaces[i]
		}
	}
	return nil
}

// Link returns the link with ifindex idx, nil if none.
func (n *Namespace) Link(idx int) *Link {
	for i := range n.Links {
		if n.Links[i].Index == idx {
			return &n.Links[i]
		}
	}
	return nil
}

func sortEndpoints(es []Endpoint) {
	sort.Slice(es, func(i, j int) bool { return less(es[i], es[j]) })
}

func less(a, b Endpoint) bool {
	if a.NetNS != b.NetNS {
		return a.NetNS < b.NetNS
	}
	return a.IfIndex < b.IfIndex
}

// SnapshotOptions choose what SnapshotWith reads beyond the wiring.
type SnapshotOptions struct {
	// State reads each namespace's State, and the DNS config of its
	// process: what Check needs, at the cost of two more setns, a
	// NETLINK_NETFILTER dump and an RTM_GETQDISC dump per namespace.
	State bool
}
