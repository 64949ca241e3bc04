package netdebug

import (
	"fmt"
	"sort"
)

// resolve fills t.Veths, t.Unpaired and t.Bridges from the links and NSID
// maps of t.Namespaces. It is pure: the kernel has been asked already.
//
// A veth end in netns A reports its peer as (IFLA_LINK_NETNSID, IFLA_LINK):
// the id A gives the peer's namespace, and the peer's ifindex there. Names
// and bare ifindexes say nothing: every container's eth0 is usually
// ifindex 2. A pair is accepted only when the peer is a veth that points
// back.
func resolve(t *Topology) {
	links, _ := t.index()
	nsids := make(map[uint64]map[int]uint64, len(t.Namespaces))
	for _, ns := range t.Namespaces {
		m := map[int]uint64{}
		for _, r := range ns.NetNSIDs {
			if r.NetNS != 0 {
				m[r.ID] = r.NetNS
			}
		}
		nsids[ns.Ino] = m
	}

	t.Veths, t.Unpaired = []VethPair{}, []UnpairedVeth{}
	done := map[key]bool{}
	for _, ns := range t.Namespaces {
		for i := range ns.Links {
			l := &ns.Links[i]
			self := key{ns.Ino, l.Index}
			if l.Type != "veth" || done[self] {
				continue
			}
			end := Endpoint{NetNS: ns.Ino, IfIndex: l.Index, Name: l.Name}
			unpaired := func(reason string) {
				t.Unpaired = append(t.Unpaired, UnpairedVeth{End: end, PeerIfIndex: l.ParentIndex, PeerNetNSID: l.NetNSID, Reason: reason})
			}
			pk, reason := peerOf(ns.Ino, l, nsids)
			if reason != "" {
				unpaired(reason)
				continue
			}
			peer := links[pk]
			switch {
			case peer == nil:
				unpaired(fmt.Sprintf("no ifindex %d in net:[%d]", pk.idx, pk.ns))
				continue
			case peer.Type != "veth":
				unpaired(fmt.Sprintf("peer %s (ifindex %d) in net:[%d] is a %s, not a veth", peer.Name, pk.idx, pk.ns, peer.Type))
				continue
			}
			back, reason := peerOf(pk.ns, peer, nsids)
			if reason != "" {
				// The peer's own view is unresolvable; accept its index alone.
				back = key{ns.Ino, effectiveParent(peer)}
			}
			if back != self {
				unpaired(fmt.Sprintf("peer %s (ifindex %d) in net:[%d] points to ifindex %d in net:[%d]", peer.Name, pk.idx, pk.ns, back.idx, back.ns))
				continue
			}
			done[self], done[pk] = true, true
			other := Endpoint{NetNS: pk.ns, IfIndex: pk.idx, Name: peer.Name}
			if less(other, end) {
				end, other = other, end
			}
			t.Veths = append(t.Veths, VethPair{A: end, B: other})
		}
	}
	sort.Slice(t.Veths, func(i, j int) bool { return less(t.Veths[i].A, t.Veths[j].A) })
	// A peer reported unpaired before being paired from its other end
	// cannot happen: pairing is symmetric. Drop ends paired later anyway.
	kept := t.Unpaired[:0]
	for _, u := range t.Unpaired {
		if !done[key{u.End.NetNS, u.End.IfIndex}] {
			kept = append(kept, u)
		}
	}
	t.Unpaired = kept
	sort.Slice(t.Unpaired, func(i, j int) bool { return less(t.Unpaired[i].End, t.Unpaired[j].End) })

	t.Bridges = bridges(t.Namespaces)
	t.Lowers = lowers(t, links, nsids)
}

// peerOf returns the (netns, ifindex) link l in netns ns names as its peer,
// or why it names none.
func peerOf(ns uint64, l *Link, nsids map[uint64]map[int]uint64) (key, string) {
	peerNS := ns
	if l.NetNSID != nil && *l.NetNSID >= 0 {
		id := *l.NetNSID
		var ok bool
		if peerNS, ok = nsids[ns][id]; !ok {
			return key{}, fmt.Sprintf("link-netnsid %d of net:[%d] names no namespace that was read (held only by something not visible?)", id, ns)
		}
	}
	idx := effectiveParent(l)
	if idx == 0 {
		return key{}, "reports no peer ifindex"
	}
	return key{peerNS, idx}, ""
}

// effectiveParent is l's peer ifindex. Kernels before "rtnetlink: always
// put IFLA_LINK for links with a link-netnsid" (2019) omit IFLA_LINK when
// both ends have the same ifindex in different namespaces.
func effectiveParent(l *Link) int {
	if l.ParentIndex == 0 && l.NetNSID != nil && *l.NetNSID >= 0 {
		return l.Index
	}
	return l.ParentIndex
}
