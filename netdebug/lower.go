package netdebug

import (
	"fmt"
	"sort"
)

// stackedKinds are the link kinds whose IFLA_LINK names the device they
// sit on (not a peer, as for a veth).
var stackedKinds = map[string]bool{"macvlan": true, "macvtap": true, "ipvlan": true, "ipvtap": true, "vlan": true}

// lowers lists which link sits on which: a macvlan, ipvlan, macvtap or
// vlan on its parent (IFLA_LINK, in the namespace IFLA_LINK_NETNSID names:
// a macvlan moved into a container keeps its parent on the host), a vxlan
// on its underlay (IFLA_VXLAN_LINK), a bond on each of its ports.
//
// Equivalent to: ip -d link, reading "@parent", "link-netnsid", "dev" of
// vxlan and "master" of bond ports.
func lowers(t *Topology, links map[key]*Link, nsids map[uint64]map[int]uint64) []Lower {
	out := []Lower{}
	for _, ns := range t.Namespaces {
		for i := range ns.Links {
			l := &ns.Links[i]
			upper := Endpoint{NetNS: ns.Ino, IfIndex: l.Index, Name: l.Name}
			idx := 0
			switch {
			case stackedKinds[l.Type]:
				idx = l.ParentIndex
			case l.Type == "vxlan":
				idx = l.UnderlayIndex
			case l.Type == "bond":
				for j := range ns.Links {
					if p := &ns.Links[j]; p.MasterIndex == l.Index {
						out = append(out, Lower{Kind: "bond", Upper: upper,
							Lower: &Endpoint{NetNS: ns.Ino, IfIndex: p.Index, Name: p.Name}})
					}
				}
				continue
			default:
				continue
			}
			if idx == 0 || idx == l.Index && (l.NetNSID == nil || *l.NetNSID < 0) {
				continue
			}
			lw := Lower{Kind: l.Type, Upper: upper}
			lowerNS := ns.Ino
			if l.NetNSID != nil && *l.NetNSID >= 0 {
				var ok bool
				if lowerNS, ok = nsids[ns.Ino][*l.NetNSID]; !ok {
					lw.Reason = fmt.Sprintf("parent ifindex %d is in link-netnsid %d of net:[%d], a namespace that was not read", idx, *l.NetNSID, ns.Ino)
					out = append(out, lw)
					continue
				}
			}
			if p := links[key{lowerNS, idx}]; p != nil {
				lw.Lower = &Endpoint{NetNS: lowerNS, IfIndex: idx, Name: p.Name}
			} else {
				lw.Reason = fmt.Sprintf("no ifindex %d in net:[%d]", idx, lowerNS)
			}
			out = append(out, lw)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return less(out[i].Upper, out[j].Upper) })
	return out
}
