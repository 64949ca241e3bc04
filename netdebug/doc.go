// Package netdebug reads the network wiring of a host across all of its
// network namespaces: links, addresses, routes in every table, policy rules
// and neighbours, read through one rtnetlink handle per namespace. It pairs
// veth ends by (netns, ifindex), resolving each link-netnsid by asking the
// namespace that reported it, and lists bridges with their ports.
//
// Namespaces come from the caller (usually inspect.Namespaces); netdebug
// never prints and returns partial data with warnings.
//
// Example:
//
//	root, _ := hostfs.New("/")
//	set, _ := inspect.Namespaces(root, inspect.ScanOptions{Types: []string{"net"}})
//	topo, err := netdebug.Snapshot(root, netdebug.FromInspect(set.Namespaces))
//	if err != nil {
//		return err
//	}
//	for _, p := range topo.Veths {
//		fmt.Printf("net:[%d] %s <-> net:[%d] %s\n", p.A.NetNS, p.A.Name, p.B.NetNS, p.B.Name)
//	}
//
// Equivalent to: for ns in every netns: ip -n ns -j link; ip -n ns -j addr;
// ip -n ns -j route show table all; ip -n ns -j rule; ip -n ns -j neigh;
// then matching "link-netnsid" by hand.
package netdebug
