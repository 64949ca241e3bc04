// Package netdebug reads the network wiring of a host across all of its
// network namespaces: links (veth, bridge, macvlan, ipvlan, vlan, vxlan,
// bond, tun/tap), addresses, routes in every table, policy rules and
// neighbours, read through one rtnetlink handle per namespace with a
// socket timeout, interrupted dumps retried and then kept as partial. It
// pairs veth ends by (netns, ifindex), resolving each link-netnsid by
// asking the namespace that reported it, lists bridges with their port
// states, and relates stacked links to the device they sit on.
//
// SnapshotWith(…, SnapshotOptions{State: true}) also reads, on a thread
// inside each namespace, the sysctls, conntrack counters, netfilter forward
// chains and DNS listeners the checks need, its qdiscs, and each
// namespace's resolver configuration from its process's root with
// openat2(RESOLVE_IN_ROOT).
// Check runs the fault checklist over that data: it is pure.
//
// Namespaces come from the caller (usually inspect.Namespaces); netdebug
// never prints and returns partial data with warnings.
//
// Example:
//
//	root, _ := hostfs.New("/")
//	set, _ := inspect.Namespaces(root, inspect.ScanOptions{Types: []string{"net"}})
//	topo, err := netdebug.SnapshotWith(root, netdebug.FromInspect(set.Namespaces),
//		netdebug.SnapshotOptions{State: true})
//	if err != nil {
//		return err
//	}
//	for _, p := range topo.Veths {
//		fmt.Printf("net:[%d] %s <-> net:[%d] %s\n", p.A.NetNS, p.A.Name, p.B.NetNS, p.B.Name)
//	}
//	for _, f := range netdebug.Check(topo) {
//		fmt.Println(f.Severity, f.Check, f.Message)
//	}
//
// Equivalent to: for ns in every netns: ip -n ns -d -j link; ip -n ns -j addr;
// ip -n ns -j route show table all; ip -n ns -j rule; ip -n ns -j neigh;
// bridge -n ns link; sysctl and nft in each; then matching "link-netnsid"
// by hand.
package netdebug
