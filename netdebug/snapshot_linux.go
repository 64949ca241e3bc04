package netdebug

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/inspect/hostfs"
)

const (
	// socketTimeout bounds every netlink send and receive: a namespace in
	// a stuck teardown can hold RTNL for seconds.
	socketTimeout = 2 * time.Second
	// dumpTries is how often an interrupted dump (NLM_F_DUMP_INTR: the
	// table changed meanwhile) is tried before its partial data is kept.
	dumpTries = 5
	// maxWorkers bounds concurrent namespaces; each costs two setns and a
	// socket, the rest is waiting on the kernel.
	maxWorkers = 8
)

// openNS is a namespace to read, with an fd held for the whole snapshot so
// its inode cannot be recycled meanwhile.
type openNS struct {
	NetNS
	fd int
}

// Snapshot reads the links, addresses, routes of every table, rules and
// neighbours of each namespace in nets through one rtnetlink handle per
// namespace, resolves link-netnsids by asking each namespace, and pairs veth
// ends. Namespaces are deduplicated by (dev, inode). A namespace that cannot
// be opened or read, and a dump that stays interrupted, become warnings;
// the rest is returned. It needs CAP_SYS_ADMIN (setns) and returns
// hostfs.ErrNotLive on a fixture root.
//
// Equivalent to: ip -all netns exec sh -c 'ip -d -j link; ip -j addr;
// ip -j route show table all; ip -j rule; ip -j neigh', for namespaces
// ip netns cannot name too.
func Snapshot(root hostfs.Root, nets []NetNS) (*Topology, error) {
	return SnapshotWith(root, nets, SnapshotOptions{})
}

// SnapshotWith is Snapshot with options: State adds each namespace's
// sysctls, conntrack counters and netfilter forward chains (read on a
// thread inside it), its qdiscs (one more dump on its rtnetlink handle)
// and, for a namespace with a process, the DNS configuration that process
// sees.
func SnapshotWith(root hostfs.Root, nets []NetNS, opts SnapshotOptions) (*Topology, error) {
	if !root.Live() {
		return nil, hostfs.ErrNotLive
	}
	var w warnings
	opened := openAll(nets, &w)
	defer func() {
		for _, o := range opened {
			unix.Close(o.fd)
		}
	}()
	order := candidateOrder(root, opened)
	hot := &hubs{}

	t := &Topology{Namespaces: make([]Namespace, len(opened))}
	workers := min(runtime.GOMAXPROCS(0), maxWorkers, len(opened))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work(root, next, func(i int, inside bool) {
				t.Namespaces[i] = collect(root, opened[i], inside, order, hot, opts, &w)
			}, func(i int) int { return opened[i].fd })
		}()
	}
	for i := range opened {
		next <- i
	}
	close(next)
	wg.Wait()

	resolve(t)
	t.Warnings = w.list()
	return t, nil
}

// work runs do for each namespace index from next on one OS thread, locked
// and moved into each namespace in turn: one setns per namespace, after
// which the rtnetlink socket and the sysctl reads need none (NewHandleAt
// alone costs two setns and an open of the thread's own ns file). inside
// says whether the move succeeded; if not, do reads from outside. The thread
// goes back to its own namespace at the end; if it cannot, it stays locked
// and the runtime ends it with the goroutine.
func work(root hostfs.Root, next <-chan int, do func(i int, inside bool), fdOf func(i int) int) {
	runtime.LockOSThread()
	self, err := unix.Open(root.Proc("thread-self", "ns", "net"), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		runtime.UnlockOSThread()
		for i := range next {
			do(i, false)
		}
		return
	}
	defer unix.Close(self)
	moved := false
	for i := range next {
		if err := unix.Setns(fdOf(i), unix.CLONE_NEWNET); err != nil {
			do(i, false)
			continue
		}
		moved = true
		do(i, true)
	}
	if moved && unix.Setns(self, unix.CLONE_NEWNET) != nil {
		return
	}
	runtime.UnlockOSThread()
}

// openAll opens each namespace once, dropping duplicates and paths that no
// longer open what the caller saw.
func openAll(nets []NetNS, w *warnings) []openNS {
	type id struct{ dev, ino uint64 }
	seen := map[id]bool{}
	out := make([]openNS, 0, len(nets))
	for _, n := range nets {
		fd, err := unix.Open(n.Path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			w.add(fmt.Sprintf("%s: cannot open %q: %v", nsName(n), n.Path, describe(err)))
			continue
		}
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			unix.Close(fd)
			w.add(fmt.Sprintf("%s: stat %q: %v", nsName(n), n.Path, err))
			continue
		}
		if (n.Ino != 0 && st.Ino != n.Ino) || (n.Dev != 0 && st.Dev != n.Dev) {
			unix.Close(fd)
			w.add(fmt.Sprintf("%s vanished: %q now opens net:[%d]", nsName(n), n.Path, st.Ino))
			continue
		}
		n.Ino, n.Dev = st.Ino, st.Dev
		if seen[id{n.Dev, n.Ino}] {
			unix.Close(fd)
			continue
		}
		seen[id{n.Dev, n.Ino}] = true
		out = append(out, openNS{NetNS: n, fd: fd})
	}
	return out
}

// describe adds the usual cause to an open failure.
func describe(err error) string {
	switch {
	case hostfs.IsGone(err):
		return "gone (the namespace vanished)"
	case hostfs.IsPermission(err):
		return err.Error() + " (needs root with CAP_SYS_ADMIN and CAP_SYS_PTRACE)"
	}
	return err.Error()
}

func nsName(n NetNS) string {
	if n.Label != "" {
		return fmt.Sprintf("net:[%d] (%s)", n.Ino, n.Label)
	}
	return fmt.Sprintf("net:[%d]", n.Ino)
}

// candidateOrder is the order in which namespaces are tried when resolving
// a link-netnsid: the host's first, as most container veths peer with it,
// then the rest. The host's is PID 1's, or ctx's own when PID 1 cannot be
// read (a supervisor that refuses even root).
func candidateOrder(root hostfs.Root, opened []openNS) []openNS {
	var st unix.Stat_t
	hostIno := uint64(0)
	if unix.Stat(root.PID(1, "ns", "net"), &st) == nil || unix.Stat(root.Proc("self", "ns", "net"), &st) == nil {
		hostIno = st.Ino
	}
	order := append([]openNS(nil), opened...)
	sort.SliceStable(order, func(i, j int) bool {
		return order[i].Ino == hostIno && order[j].Ino != hostIno
	})
	return order
}

// collect reads one namespace through one rtnetlink handle.
//
// inside says the calling thread is locked inside o's namespace already.
func collect(root hostfs.Root, o openNS, inside bool, candidates []openNS, hot *hubs, opts SnapshotOptions, w *warnings) Namespace {
	ns := Namespace{Ino: o.Ino, Dev: o.Dev, Path: o.Path, Label: o.Label, Host: o.Host, PID: o.PID, NProcs: o.NProcs,
		Holders: o.Holders, Links: []Link{}, Addrs: []Addr{}, Routes: []Route{}, Rules: []Rule{}, Neighbors: []Neigh{}, NetNSIDs: []NetNSIDRef{}}
	name := nsName(o.NetNS)
	// NETLINK_ROUTE only: without a list NewHandleAt also opens XFRM and
	// NETFILTER sockets, each another pair of setns calls.
	at := netns.NsHandle(o.fd)
	if inside {
		at = netns.None() // the socket opens in the thread's namespace: o's
	}
	h, err := netlink.NewHandleAt(at, unix.NETLINK_ROUTE)
	if err != nil {
		w.add(fmt.Sprintf("%s: opening rtnetlink: %v", name, describe(err)))
		ns.Partial = true
		return ns
	}
	defer h.Close()
	if err := h.SetSocketTimeout(socketTimeout); err != nil {
		w.add(fmt.Sprintf("%s: setting the netlink timeout: %v", name, err))
	}
	// note records a dump's failure; an interrupted dump keeps its data.
	note := func(what string, err error) {
		if err == nil {
			return
		}
		ns.Partial = true
		if errors.Is(err, netlink.ErrDumpInterrupted) {
			w.add(fmt.Sprintf("%s: %s dump interrupted %d times (the table kept changing): data may be incomplete", name, what, dumpTries))
			return
		}
		w.add(fmt.Sprintf("%s: reading %s: %v", name, what, err))
	}

	links, err := retry(h.LinkList)
	note("link", err)
	hasBridge := false
	for _, l := range links {
		ns.Links = append(ns.Links, convLink(l))
		hasBridge = hasBridge || l.Type() == "bridge"
	}
	sort.Slice(ns.Links, func(i, j int) bool { return ns.Links[i].Index < ns.Links[j].Index })
	if hasBridge {
		ports, err := bridgePorts(o.fd)
		note("bridge port", err)
		for i := range ns.Links {
			if p, ok := ports[ns.Links[i].Index]; ok {
				ns.Links[i].Port = p
			}
		}
	}

	addrs, err := retry(func() ([]netlink.Addr, error) { return h.AddrList(nil, netlink.FAMILY_ALL) })
	note("address", err)
	for _, a := range addrs {
		ns.Addrs = append(ns.Addrs, convAddr(a))
	}

	routes, err := retry(func() ([]netlink.Route, error) {
		// RouteListFiltered drops everything on an interrupted dump; the
		// iterator keeps what arrived.
		var out []netlink.Route
		err := h.RouteListFilteredIter(netlink.FAMILY_ALL, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE,
			func(r netlink.Route) bool { out = append(out, r); return true })
		return out, err
	})
	note("route", err)
	for _, r := range routes {
		// IPv4 and IPv6 only: RTNL_FAMILY_IPMR and IP6MR (multicast
		// routing) answer a FAMILY_ALL dump too, and ip leaves them out.
		if r.Family == unix.AF_INET || r.Family == unix.AF_INET6 {
			ns.Routes = append(ns.Routes, convRoute(r))
		}
	}

	rules, err := retry(func() ([]netlink.Rule, error) { return h.RuleList(netlink.FAMILY_ALL) })
	note("rule", err)
	for _, r := range rules {
		if r.Family == unix.AF_INET || r.Family == unix.AF_INET6 {
			ns.Rules = append(ns.Rules, convRule(r))
		}
	}

	neighs, err := retry(func() ([]netlink.Neigh, error) { return h.NeighList(0, netlink.FAMILY_ALL) })
	note("neighbour", err)
	for _, n := range neighs {
		ns.Neighbors = append(ns.Neighbors, convNeigh(n))
	}

	ns.NetNSIDs = resolveNSIDs(h, o, ns.Links, candidates, hot, name, w)
	if opts.State {
		ns.State = readState(root, o, inside, ns.Links, name, w)
		// Qdiscs only here, for the checks: net topo and ls pay nothing.
		qdiscs, err := readQdiscs(h)
		note("qdisc", err)
		ns.State.Qdiscs = qdiscs
		if o.PID != 0 {
			dns, err := ReadDNS(root, o.PID)
			if err != nil {
				w.add(fmt.Sprintf("%s: reading the DNS config of PID %d: %v", name, o.PID, err))
			}
			ns.DNS = dns
		}
	}
	return ns
}

// retry runs a dump again while the kernel flags it interrupted, and then
// returns the last partial data with netlink.ErrDumpInterrupted.
func retry[T any](dump func() ([]T, error)) (out []T, err error) {
	for range dumpTries {
		if out, err = dump(); !errors.Is(err, netlink.ErrDumpInterrupted) {
			break
		}
	}
	return out, err
}

// resolveNSIDs maps the link-netnsids used by links to namespaces by asking
// o's own handle (RTM_GETNSID with NETNSA_FD) which id it gives each
// candidate, stopping once every id is known. NSIDs are local to the
// namespace that reports them, so the question must be asked in o. At
// worst that is one request per other namespace (O(N²) over a snapshot,
// about 10 µs each); host-first order makes it about one for a container.
func resolveNSIDs(h *netlink.Handle, o openNS, links []Link, candidates []openNS, hot *hubs, name string, w *warnings) []NetNSIDRef {
	want := map[int]bool{}
	for _, l := range links {
		if l.NetNSID != nil && *l.NetNSID >= 0 {
			want[*l.NetNSID] = true
		}
	}
	found := map[int]uint64{}
	if len(want) > 0 {
		tried := map[int]bool{}
		ask := func(i int) {
			c := candidates[i]
			tried[i] = true
			if c.Ino == o.Ino && c.Dev == o.Dev {
				return
			}
			id, err := h.GetNetNsIdByFd(c.fd)
			if err != nil {
				w.add(fmt.Sprintf("%s: asking its id for net:[%d]: %v", name, c.Ino, err))
				return
			}
			if want[id] {
				if _, dup := found[id]; !dup {
					found[id] = c.Ino
					hot.hit(i)
				}
			}
		}
		for _, i := range hot.top() {
			if len(found) == len(want) {
				break
			}
			ask(i)
		}
		for i := range candidates {
			if len(found) == len(want) {
				break
			}
			if !tried[i] {
				ask(i)
			}
		}
	}
	out := make([]NetNSIDRef, 0, len(want))
	for id := range want {
		out = append(out, NetNSIDRef{ID: id, NetNS: found[id]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// hubs remembers which candidates answered NSID questions, most answers
// first, so that later questions try them before scanning: the veths of
// many containers usually lead to one hub (the host, or a bridge's
// namespace), and a scan finds it once. Without this a hub that is not the
// host makes NSID resolution O(N²).
type hubs struct {
	mu    sync.Mutex
	hits  map[int]int
	order []int // candidate indexes by hits, descending
}

// maxHubs bounds how many hubs a question tries before scanning.
const maxHubs = 8

func (h *hubs) top() []int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]int(nil), h.order[:min(len(h.order), maxHubs)]...)
}

func (h *hubs) hit(i int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.hits == nil {
		h.hits = map[int]int{}
	}
	if h.hits[i] == 0 {
		h.order = append(h.order, i)
	}
	h.hits[i]++
	// Bubble i up to keep order sorted by hits.
	for j := len(h.order) - 1; j > 0; j-- {
		if h.order[j] != i {
			continue
		}
		for j > 0 && h.hits[h.order[j-1]] < h.hits[i] {
			h.order[j-1], h.order[j] = h.order[j], h.order[j-1]
			j--
		}
		break
	}
}

// NetNSID returns the id the caller's network namespace gives the namespace
// at nsPath, or nil when it has assigned none (the kernel answers -1). The
// kernel assigns an id only once it has to report it, e.g. as a veth's
// link-netnsid; ctx only asks and never assigns one.
//
// Equivalent to: the "(id: N)" of ip netns list.
//
// It asks on the calling goroutine, so a caller locked on a thread inside
// another netns gets that namespace's view.
func NetNSID(root hostfs.Root, nsPath string) (*int, error) {
	if !root.Live() {
		return nil, hostfs.ErrNotLive
	}
	ids := make([]*int, 1)
	err := netNSIDsEvery([]string{nsPath}, ids, 0, 1)
	return ids[0], err
}

// NetNSIDs is NetNSID for many namespaces, over a few netlink sockets
// asked in parallel (one round trip per namespace dominates). The ids are
// those of the process's own network namespace: the goroutines run on
// threads that never switched, whatever thread the caller is locked on. A path that
// cannot be opened or asked about gets nil, and the first such error is
// returned with the ids that were found.
func NetNSIDs(root hostfs.Root, nsPaths []string) ([]*int, error) {
	if !root.Live() {
		return nil, hostfs.ErrNotLive
	}
	ids := make([]*int, len(nsPaths))
	errs := make([]error, nsidWorkers)
	var wg sync.WaitGroup
	for w := 0; w < nsidWorkers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			errs[w] = netNSIDsEvery(nsPaths, ids, w, nsidWorkers)
		}(w)
	}
	wg.Wait()
	return ids, errors.Join(errs...)
}

// nsidWorkers bounds the sockets NetNSIDs opens.
const nsidWorkers = 4

// netNSIDsEvery fills ids[i] for i = first, first+step, … over one handle.
func netNSIDsEvery(nsPaths []string, ids []*int, first, step int) error {
	if first >= len(nsPaths) {
		return nil
	}
	// A handle at netns.None() stays in the calling thread's namespace:
	// no setns.
	h, err := netlink.NewHandleAt(netns.None(), unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("netdebug: opening rtnetlink: %w", err)
	}
	defer h.Close()
	if err := h.SetSocketTimeout(socketTimeout); err != nil {
		return fmt.Errorf("netdebug: %w", err)
	}
	var firstErr error
	for i := first; i < len(nsPaths); i += step {
		id, err := netNSIDAt(h, nsPaths[i])
		if err != nil && firstErr == nil {
			firstErr = err
		}
		ids[i] = id
	}
	return firstErr
}

func netNSIDAt(h *netlink.Handle, nsPath string) (*int, error) {
	fd, err := unix.Open(nsPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("netdebug: opening %q: %w", nsPath, err)
	}
	defer unix.Close(fd)
	id, err := h.GetNetNsIdByFd(fd)
	if err != nil {
		return nil, fmt.Errorf("netdebug: netnsid of %q: %w", nsPath, err)
	}
	if id < 0 {
		return nil, nil
	}
	return &id, nil
}

// rawSocketAt opens a netlink socket of protocol proto in the namespace fd
// opens, with the package's send and receive timeouts, for the dumps the
// netlink package does not decode.
func rawSocketAt(fd, proto int) (*nl.NetlinkSocket, error) {
	s, err := nl.GetNetlinkSocketAt(netns.NsHandle(fd), netns.None(), proto)
	if err != nil {
		return nil, err
	}
	tv := unix.NsecToTimeval(socketTimeout.Nanoseconds())
	if err := s.SetSendTimeout(&tv); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.SetReceiveTimeout(&tv); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// bridgePorts reads the port state and hairpin mode of every bridge port in
// the namespace fd opens, from an AF_BRIDGE RTM_GETLINK dump: netlink
// v1.3.1 does not decode IFLA_BRPORT_STATE, and its LinkGetProtinfo dumps
// every port once per call. It opens a second socket, only in namespaces
// that have a bridge.
//
// Equivalent to: bridge -j link.
func bridgePorts(fd int) (map[int]*BridgePort, error) {
	s, err := rawSocketAt(fd, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	msgs, err := retry(func() ([][]byte, error) {
		req := nl.NewNetlinkRequest(unix.RTM_GETLINK, unix.NLM_F_DUMP)
		req.Sockets = map[int]*nl.SocketHandle{unix.NETLINK_ROUTE: {Socket: s}}
		req.AddData(nl.NewIfInfomsg(unix.AF_BRIDGE))
		return req.Execute(unix.NETLINK_ROUTE, unix.RTM_NEWLINK)
	})
	ports := map[int]*BridgePort{}
	for _, m := range msgs {
		idx, p, perr := parseBridgePort(m)
		if perr != nil {
			return ports, perr
		}
		if p != nil {
			ports[idx] = p
		}
	}
	return ports, err
}

// parseBridgePort decodes one AF_BRIDGE RTM_NEWLINK message: its ifindex
// and, for a bridge port, IFLA_PROTINFO's IFLA_BRPORT_STATE and _MODE
// (include/uapi/linux/if_link.h).
func parseBridgePort(m []byte) (int, *BridgePort, error) {
	if len(m) < unix.SizeofIfInfomsg {
		return 0, nil, fmt.Errorf("short AF_BRIDGE link message: %d bytes", len(m))
	}
	msg := nl.DeserializeIfInfomsg(m)
	attrs, err := nl.ParseRouteAttr(m[msg.Len():])
	if err != nil {
		return 0, nil, err
	}
	for _, a := range attrs {
		if a.Attr.Type&^unix.NLA_F_NESTED != unix.IFLA_PROTINFO {
			continue
		}
		nested, err := nl.ParseRouteAttr(a.Value)
		if err != nil {
			return 0, nil, err
		}
		p := &BridgePort{}
		for _, n := range nested {
			if len(n.Value) < 1 {
				continue
			}
			switch n.Attr.Type &^ unix.NLA_F_NESTED {
			case unix.IFLA_BRPORT_STATE:
				p.State = PortStateName(n.Value[0])
			case unix.IFLA_BRPORT_MODE:
				p.Hairpin = n.Value[0] != 0
			}
		}
		return int(msg.Index), p, nil
	}
	return int(msg.Index), nil, nil
}

func convLink(l netlink.Link) Link {
	a := l.Attrs()
	out := Link{
		Index: a.Index, Name: a.Name, Type: l.Type(), Up: a.Flags&net.FlagUp != 0,
		OperState: a.OperState.String(), MTU: a.MTU, MasterIndex: a.MasterIndex, ParentIndex: a.ParentIndex,
	}
	if len(a.HardwareAddr) > 0 {
		out.MAC = a.HardwareAddr.String()
	}
	if a.NetNsID >= 0 {
		id := a.NetNsID
		out.NetNSID = &id
	}
	switch l := l.(type) {
	case *netlink.Macvlan:
		out.Mode = macvlanMode(l.Mode)
	case *netlink.Macvtap:
		out.Mode = macvlanMode(l.Mode)
	case *netlink.IPVlan:
		out.Mode = ipvlanMode(l.Mode)
	case *netlink.Vxlan:
		out.VNI, out.DstPort, out.UnderlayIndex = l.VxlanId, l.Port, l.VtepDevIndex
	case *netlink.Vlan:
		out.VlanID = l.VlanId
	case *netlink.Bond:
		if l.Mode != netlink.BOND_MODE_UNKNOWN {
			out.Mode = l.Mode.String()
		}
	case *netlink.Tuntap:
		switch l.Mode {
		case netlink.TUNTAP_MODE_TUN:
			out.Mode = "tun"
		case netlink.TUNTAP_MODE_TAP:
			out.Mode = "tap"
		}
	}
	return out
}

func macvlanMode(m netlink.MacvlanMode) string {
	switch m {
	case netlink.MACVLAN_MODE_PRIVATE:
		return "private"
	case netlink.MACVLAN_MODE_VEPA:
		return "vepa"
	case netlink.MACVLAN_MODE_BRIDGE:
		return "bridge"
	case netlink.MACVLAN_MODE_PASSTHRU:
		return "passthru"
	case netlink.MACVLAN_MODE_SOURCE:
		return "source"
	}
	return ""
}

func ipvlanMode(m netlink.IPVlanMode) string {
	switch m {
	case netlink.IPVLAN_MODE_L2:
		return "l2"
	case netlink.IPVLAN_MODE_L3:
		return "l3"
	case netlink.IPVLAN_MODE_L3S:
		return "l3s"
	}
	return ""
}

func convAddr(a netlink.Addr) Addr {
	out := Addr{IfIndex: a.LinkIndex, Scope: a.Scope, Flags: a.Flags, Label: a.Label}
	if a.IPNet != nil {
		out.CIDR = a.IPNet.String()
		out.Family = familyOf(a.IP)
	}
	if a.Peer != nil {
		out.Peer = a.Peer.String()
	}
	return out
}

func convRoute(r netlink.Route) Route {
	out := Route{Family: familyName(r.Family), Table: r.Table, OutIndex: r.LinkIndex, Priority: r.Priority,
		Protocol: int(r.Protocol), Scope: int(r.Scope), Type: r.Type, Dst: "default", Flags: r.Flags}
	if r.Dst != nil {
		if ones, _ := r.Dst.Mask.Size(); ones > 0 || !r.Dst.IP.IsUnspecified() {
			out.Dst = r.Dst.String()
		}
	}
	if r.Gw != nil {
		out.Gateway = r.Gw.String()
	}
	if r.Src != nil {
		out.Src = r.Src.String()
	}
	for _, nh := range r.MultiPath {
		n := Nexthop{OutIndex: nh.LinkIndex, Weight: nh.Hops + 1, Flags: nh.Flags}
		if nh.Gw != nil {
			n.Gateway = nh.Gw.String()
		}
		out.Nexthops = append(out.Nexthops, n)
	}
	return out
}

func convRule(r netlink.Rule) Rule {
	out := Rule{Family: familyName(r.Family), Priority: r.Priority, Table: r.Table, IifName: r.IifName,
		OifName: r.OifName, Mark: r.Mark, Invert: r.Invert, Action: int(r.Type)}
	if r.Src != nil {
		out.Src = r.Src.String()
	}
	if r.Dst != nil {
		out.Dst = r.Dst.String()
	}
	return out
}

func convNeigh(n netlink.Neigh) Neigh {
	out := Neigh{IfIndex: n.LinkIndex, Family: familyName(n.Family), State: n.State, StateName: NeighStateName(n.State)}
	if n.IP != nil {
		out.IP = n.IP.String()
	}
	if len(n.HardwareAddr) > 0 {
		out.MAC = n.HardwareAddr.String()
	}
	return out
}

func familyOf(ip net.IP) string {
	if ip.To4() != nil {
		return "inet"
	}
	return "inet6"
}
