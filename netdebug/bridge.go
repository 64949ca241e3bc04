package netdebug

import "sort"

// bridges lists the bridge devices of each namespace with their ports: the
// links of the same namespace whose IFLA_MASTER is the bridge.
//
// Equivalent to: ip -n NS link show master BRIDGE.
func bridges(nss []Namespace) []Bridge {
	out := []Bridge{}
	for _, ns := range nss {
		for _, br := range ns.Links {
			if br.Type != "bridge" {
				continue
			}
			b := Bridge{Bridge: Endpoint{NetNS: ns.Ino, IfIndex: br.Index, Name: br.Name}, Ports: []Endpoint{}}
			for _, l := range ns.Links {
				if l.MasterIndex == br.Index && l.Index != br.Index {
					b.Ports = append(b.Ports, Endpoint{NetNS: ns.Ino, IfIndex: l.Index, Name: l.Name})
				}
			}
			sortEndpoints(b.Ports)
			out = append(out, b)
		}
	}
	sort.Slice(out, func(i, j int) bool { return less(out[i].Bridge, out[j].Bridge) })
	return out
}
