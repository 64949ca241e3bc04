package netdebug

import "sort"

// ContainerInterfaces returns the interfaces of the namespace with inode
// netnsIno, by ifindex, with their addresses and, for a veth, the far end:
// its namespace, name, ifindex and master (usually the bridge on the host).
// It returns nil when topo holds no such namespace.
//
// Equivalent to: nsenter -t PID -n ip addr, then finding the host veth
// whose "@ifN" and link-netnsid match.
func ContainerInterfaces(topo *Topology, netnsIno uint64) []Interface {
	ns := topo.Namespace(netnsIno)
	if ns == nil {
		return nil
	}
	peers := map[int]Endpoint{}
	for _, p := range topo.Veths {
		switch {
		case p.A.NetNS == netnsIno:
			peers[p.A.IfIndex] = p.B
		case p.B.NetNS == netnsIno:
			peers[p.B.IfIndex] = p.A
		}
	}
	out := make([]Interface, 0, len(ns.Links))
	for _, l := range ns.Links {
		ifc := Interface{Name: l.Name, IfIndex: l.Index, Type: l.Type, MTU: l.MTU, MAC: l.MAC,
			Up: l.Up, OperState: l.OperState, Addrs: []string{}}
		for _, a := range ns.Addrs {
			if a.IfIndex == l.Index {
				ifc.Addrs = append(ifc.Addrs, a.CIDR)
			}
		}
		if e, ok := peers[l.Index]; ok {
			ifc.Peer = peerInfo(topo, e)
		}
		out = append(out, ifc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].IfIndex < out[j].IfIndex })
	return out
}

func peerInfo(topo *Topology, e Endpoint) *Peer {
	p := &Peer{NetNS: e.NetNS, Name: e.Name, IfIndex: e.IfIndex}
	ns := topo.Namespace(e.NetNS)
	if ns == nil {
		return p
	}
	p.Label = ns.Label
	if l := ns.Link(e.IfIndex); l != nil && l.MasterIndex != 0 {
		p.MasterIfIndex = l.MasterIndex
		if m := ns.Link(l.MasterIndex); m != nil {
			p.Master = m.Name
		}
	}
	return p
}
