package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/cmd/internal/printers"
	"github.com/ctx-tools/ctx/inspect"
	"github.com/ctx-tools/ctx/inspect/hostfs"
	"github.com/ctx-tools/ctx/netdebug"
)

// netPrivileges is the privilege paragraph every ctx net command shares.
const netPrivileges = `Needs root: CAP_SYS_ADMIN to enter each network namespace (setns),
CAP_SYS_PTRACE to open /proc/PID/ns and /proc/PID/root, CAP_DAC_READ_SEARCH
for namespaces held only by an fd, and CAP_NET_ADMIN for the netfilter state
that check reads. Without them ctx shows what it can and warns about the
rest. Everything is read-only: no namespace, link, sysctl or rule changes.`

func newCmdNet(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "net",
		Short: "Networking across every network namespace: ls, topo, show, check",
		Long: `See the network wiring of the whole host at once: every network namespace
(found from processes, nsfs bind mounts in every mount namespace and fds, so
also those no process holds), each veth paired with its peer by (netns,
ifindex) and never by name, bridges and their ports, macvlan, ipvlan, vxlan,
bond and tun/tap links, addresses and routes; and check them for the usual
container-networking faults.

` + netPrivileges,
		Example: `  # which host veth is each container's eth0?
  ctx net topo --format table

  # draw the wiring
  ctx net topo --format dot | dot -Tpng > wiring.png

  # why can't web-1 reach anything?
  ctx net check web-1`,
		Args: noArgs,
	}
	cmd.AddCommand(newCmdNetLs(f, nil), newCmdNetTopo(f, nil), newCmdNetShow(f, nil), newCmdNetCheck(f, nil))
	return cmd
}

// netOptions are the options of every ctx net command.
type netOptions struct {
	f      *Factory
	Target string
	// Format is topo's --format: tree, table, json, dot or mermaid.
	Format string
	// Snapshot reads the network namespaces of the host; state adds what
	// check needs. Tests replace it with a fixed topology.
	Snapshot func(ctx context.Context, root hostfs.Root, state bool) (*netdebug.Topology, error)
	// DNS reads the resolver config process pid sees; tests replace it.
	DNS func(root hostfs.Root, pid int) (*netdebug.DNSConfig, error)
}

// lessGC trades memory for time while a net command reads and prints:
// a snapshot of a thousand namespaces allocates a few times its final size
// in netlink messages, and the default pacing collects a dozen times over
// a run of a few tens of milliseconds. It collects at 5× the live heap
// instead, and below 512 MiB, and returns what restores the settings.
func lessGC() func() {
	pct := debug.SetGCPercent(400)
	limit := debug.SetMemoryLimit(512 << 20)
	return func() {
		debug.SetGCPercent(pct)
		debug.SetMemoryLimit(limit)
	}
}

func newNetOptions(f *Factory) *netOptions {
	return &netOptions{f: f, Snapshot: liveNetSnapshot, DNS: netdebug.ReadDNS}
}

// liveNetSnapshot finds every network namespace as ns ls does, names them by
// container, and reads them.
func liveNetSnapshot(_ context.Context, root hostfs.Root, state bool) (*netdebug.Topology, error) {
	set, err := inspect.Namespaces(root, inspect.ScanOptions{Types: []string{"net"}})
	if err != nil {
		return nil, err
	}
	rt := inspect.LoadRuntimes(root)
	for _, ns := range set.Namespaces {
		rt.NameProcess(ns.Process)
	}
	topo, err := netdebug.SnapshotWith(root, netdebug.FromInspect(set.Namespaces), netdebug.SnapshotOptions{State: state})
	if err != nil {
		return nil, err
	}
	var w []string
	w = append(w, set.Warnings...)
	w = append(w, rt.Warnings...)
	topo.Warnings = append(w, topo.Warnings...)
	return topo, nil
}

func newCmdNetLs(f *Factory, runF func(context.Context, *netOptions) error) *cobra.Command {
	opts := newNetOptions(f)
	return &cobra.Command{
		Use:   "ls",
		Short: "List every network namespace with its holder, interfaces and addresses",
		Long: `List every network namespace of the host, one per line: who holds it (a
container, processes, a bind mount such as /run/netns/NAME or
/run/docker/netns/ID, an fd), its interfaces and their addresses. -o wide adds
the nsfs path, each veth's peer and whether the read was partial.

` + netPrivileges,
		Example: `  # every network namespace, including those no process holds
  ctx net ls

  # with veth peers
  ctx net ls -o wide

  # namespaces that only a bind mount keeps alive
  ctx net ls -o json | jq '.items[] | select(.nprocs == 0)'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCommand(cmd, f, opts, runF, runNetLs)
		},
	}
}

func newCmdNetTopo(f *Factory, runF func(context.Context, *netOptions) error) *cobra.Command {
	opts := newNetOptions(f)
	cmd := &cobra.Command{
		Use:   "topo [--format tree|table|json|dot|mermaid]",
		Short: "The veth/bridge wiring of every network namespace, as a tree, table, JSON, DOT or Mermaid",
		Long: `Show how every network namespace is wired: each interface with its type, MTU,
state and addresses, each veth with its peer in the other namespace (paired
by netns and ifindex, so every container's eth0 being ifindex 2 does not
confuse it), bridges with their ports and port states, and macvlan, ipvlan,
vlan, vxlan and bond links with the device they sit on.

--format picks the picture: tree (the default), table (one row per interface:
"which host veth is my container's eth0", -o wide adds columns), json (the
same as -o json: the model every other format is drawn from), dot (Graphviz:
render with dot -Tpng or -Tsvg) or mermaid (a flowchart GitHub and GitLab
render in issues and runbooks).

` + netPrivileges,
		Example: `  # the wiring as a tree
  ctx net topo

  # one row per interface, with host-side peers and bridges
  ctx net topo --format table -o wide

  # a picture
  ctx net topo --format dot | dot -Tsvg > wiring.svg

  # a diagram to paste into a Markdown issue
  ctx net topo --format mermaid

  # the model, for jq
  ctx net topo -o json | jq '.item.veths | length'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.validateFormat(); err != nil {
				return err
			}
			if runF == nil {
				runF = runNetTopo
			}
			return runF(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", "", "picture to draw: tree|table|json|dot|mermaid (default tree; -o json implies json, -o wide table)")
	return cmd
}

var netFormats = []string{"tree", "table", "json", "dot", "mermaid"}

// validateFormat settles --format against -o: -o json means json and -o
// wide means table unless --format says otherwise; a contradiction is a
// usage error.
func (o *netOptions) validateFormat() error {
	if err := o.f.Printer.Validate(); err != nil {
		return err
	}
	out := o.f.Printer.Output
	switch o.Format {
	case "":
		switch out {
		case "json":
			o.Format = "json"
		case "wide":
			o.Format = "table"
		default:
			o.Format = "tree"
		}
		return nil
	case "tree", "table", "dot", "mermaid":
		if out == "json" {
			return &usageError{fmt.Errorf("-o json and --format %s contradict each other: use one", o.Format)}
		}
		return nil
	case "json":
		if out == "wide" {
			return &usageError{errors.New("-o wide and --format json contradict each other: use one")}
		}
		return nil
	}
	return &usageError{fmt.Errorf("invalid --format %q: use one of %s", o.Format, strings.Join(netFormats, ", "))}
}

func newCmdNetShow(f *Factory, runF func(context.Context, *netOptions) error) *cobra.Command {
	opts := newNetOptions(f)
	return &cobra.Command{
		Use:   "show <target>",
		Short: "One container's network: interfaces with host-side peers and bridge, routes, DNS",
		Long: `Show the network of one container or process: its namespace, each interface
with its type, MTU, state and addresses, and for a veth the peer on the other
side (usually the host's vethXXXX) with the bridge it is a port of; its routes
in every table and its policy rules; and the DNS configuration it sees.

The DNS configuration is the target's /etc/resolv.conf, read in its own mount
namespace through /proc/PID/root with openat2(RESOLVE_IN_ROOT): symlinks
resolve inside the container and never reach the host's files.

TARGET is a PID; a container name, ID or unique ID prefix of Docker,
containerd (Kubernetes CRI included), CRI-O or Podman;
pod/NAMESPACE/NAME[/CONTAINER]; netns/NAME; or a path to an nsfs file.

` + netPrivileges,
		Example: `  # which host veth and bridge does web-1 use, and which resolver?
  ctx net show web-1

  # a named namespace (ip netns add blue)
  ctx net show netns/blue

  # as JSON
  ctx net show 4242 -o json`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Target = args[0]
			return runCommand(cmd, f, opts, runF, runNetShow)
		},
	}
}

func newCmdNetCheck(f *Factory, runF func(context.Context, *netOptions) error) *cobra.Command {
	opts := newNetOptions(f)
	var checks strings.Builder
	for _, c := range netdebug.Checks {
		fmt.Fprintf(&checks, "  %-28s %s\n", c.ID, c.Doc)
	}
	return &cobra.Command{
		Use:   "check [<target>]",
		Short: "Find container-networking faults: MTU, down links, routes, forwarding, netfilter, duplicates, DNS, leftovers, qdiscs",
		Long: `Check every network namespace (or, with TARGET, those that involve the
target's) for the classic container-networking faults, and exit 3 when any
is found. Each finding names the namespaces and interfaces at fault, the
evidence (values read from the kernel) and a command that confirms it by hand.

Sysctls and /proc/net counters are read on a thread inside each namespace
(/proc/sys/net and /proc/thread-self/net); netfilter chains over
NETLINK_NETFILTER (nftables, iptables-nft) and IPT_SO_GET_ENTRIES (legacy
iptables); qdiscs in one RTM_GETQDISC dump per namespace (tc -s qdisc).
Nothing is changed and no traffic is sent.

Checks:
` + checks.String() + `
TARGET is a PID, a container name or ID, pod/NAMESPACE/NAME[/CONTAINER],
netns/NAME, or a path to an nsfs file.

` + netPrivileges,
		Example: `  # everything on this host; exit 3 if anything is wrong
  ctx net check

  # only what involves one container
  ctx net check web-1

  # findings as JSON, with evidence
  ctx net check -o json | jq '.items[] | {check, message}'`,
		Args: maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Target = args[0]
			}
			return runCommand(cmd, f, opts, runF, runNetCheck)
		},
	}
}

// ---- ls ----

// netLsItem is one row of ctx net ls: a namespace and its interfaces.
type netLsItem struct {
	Ino        uint64               `json:"ns"`
	Dev        uint64               `json:"dev"`
	Label      string               `json:"label,omitempty"`
	Host       bool                 `json:"host,omitempty"`
	PID        int                  `json:"pid,omitempty"`
	NProcs     int                  `json:"nprocs"`
	Holders    []string             `json:"holders"`
	Path       string               `json:"path"`
	Partial    bool                 `json:"partial,omitempty"`
	Interfaces []netdebug.Interface `json:"interfaces"`
}

func runNetLs(ctx context.Context, opts *netOptions) error {
	defer lessGC()()
	root, err := opts.f.Host()
	if err != nil {
		return err
	}
	topo, err := opts.Snapshot(ctx, root, false)
	if err != nil {
		return err
	}
	items := make([]netLsItem, 0, len(topo.Namespaces))
	for _, ns := range sortedNamespaces(topo) {
		it := netLsItem{Ino: ns.Ino, Dev: ns.Dev, Label: ns.Label, Host: ns.Host, PID: ns.PID, NProcs: ns.NProcs,
			Holders: ns.Holders, Path: ns.Path, Partial: ns.Partial, Interfaces: netdebug.ContainerInterfaces(topo, ns.Ino)}
		if it.Holders == nil {
			it.Holders = []string{}
		}
		items = append(items, it)
	}
	t := &printers.Table{Columns: []printers.Column{
		{Header: "NETNS"}, {Header: "NAME"}, {Header: "PID"}, {Header: "HOLDER"}, {Header: "INTERFACES"}, {Header: "ADDRESSES"},
		{Header: "PATH", Wide: true}, {Header: "PEERS", Wide: true}, {Header: "PARTIAL", Wide: true},
	}}
	for _, it := range items {
		var names, addrs, peers []string
		for _, ifc := range it.Interfaces {
			if ifc.Name == "lo" {
				continue
			}
			names = append(names, ifc.Name)
			for _, a := range ifc.Addrs {
				if !linkLocal(a) {
					addrs = append(addrs, a)
				}
			}
			if p := ifc.Peer; p != nil {
				peers = append(peers, ifc.Name+"⇄"+peerName(p))
			}
		}
		pid := "-"
		if it.PID != 0 {
			pid = strconv.Itoa(it.PID)
		}
		partial := "-"
		if it.Partial {
			partial = "yes"
		}
		t.Rows = append(t.Rows, []string{strconv.FormatUint(it.Ino, 10), orDash(it.Label), pid, orDash(strings.Join(it.Holders, ",")),
			orDash(strings.Join(names, ",")), orDash(strings.Join(addrs, ",")),
			it.Path, orDash(strings.Join(peers, ",")), partial})
	}
	return opts.f.Emit(printers.Doc{Kind: "NetworkNamespaceList", Items: items, Table: t, Warnings: topo.Warnings})
}

func linkLocal(cidr string) bool {
	ip, _, err := net.ParseCIDR(cidr)
	return err == nil && (ip.IsLinkLocalUnicast() || ip.IsLoopback())
}

// peerName renders a peer as NAME@LABEL, or NAME@net:[INO] without a label,
// and its master: vethab12@host/docker0.
func peerName(p *netdebug.Peer) string {
	s := p.Name + "@" + nsShort(p.NetNS, p.Label)
	if p.Master != "" {
		s += "/" + p.Master
	}
	return s
}

func nsShort(ino uint64, label string) string {
	if label != "" {
		return label
	}
	return fmt.Sprintf("net:[%d]", ino)
}

// sortedNamespaces puts the host's first, then the rest by inode.
func sortedNamespaces(topo *netdebug.Topology) []*netdebug.Namespace {
	out := make([]*netdebug.Namespace, len(topo.Namespaces))
	for i := range topo.Namespaces {
		out[i] = &topo.Namespaces[i]
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Host != out[j].Host {
			return out[i].Host
		}
		return out[i].Ino < out[j].Ino
	})
	return out
}

// ---- topo ----

func runNetTopo(ctx context.Context, opts *netOptions) error {
	defer lessGC()()
	root, err := opts.f.Host()
	if err != nil {
		return err
	}
	topo, err := opts.Snapshot(ctx, root, false)
	if err != nil {
		return err
	}
	g := newNetGraph(topo)
	doc := printers.Doc{Kind: "NetworkTopology", Item: topo, Warnings: topo.Warnings}
	pf := opts.f.Printer
	switch opts.Format {
	case "json":
		pf.Output = "json"
	case "table":
		doc.Table = g.table()
	case "tree":
		doc.Text = g.tree
	case "dot":
		doc.Text = g.dot
	case "mermaid":
		doc.Text = g.mermaid
	}
	if opts.Format != "json" && pf.Output == "json" {
		pf.Output = "table"
	}
	return opts.f.Emit(doc)
}

// netGraph indexes a topology for drawing.
type netGraph struct {
	topo   *netdebug.Topology
	nss    []*netdebug.Namespace
	byIno  map[uint64]*netdebug.Namespace
	peer   map[ifKey]netdebug.Endpoint
	addrs  map[ifKey][]string
	lowers map[ifKey][]netdebug.Lower // by upper
}

type ifKey struct {
	ns  uint64
	idx int
}

func newNetGraph(topo *netdebug.Topology) *netGraph {
	g := &netGraph{topo: topo, nss: sortedNamespaces(topo), byIno: map[uint64]*netdebug.Namespace{},
		peer: map[ifKey]netdebug.Endpoint{}, addrs: map[ifKey][]string{}, lowers: map[ifKey][]netdebug.Lower{}}
	for _, ns := range g.nss {
		g.byIno[ns.Ino] = ns
		for _, a := range ns.Addrs {
			if !linkLocal(a.CIDR) {
				k := ifKey{ns.Ino, a.IfIndex}
				g.addrs[k] = append(g.addrs[k], a.CIDR)
			}
		}
	}
	for _, p := range topo.Veths {
		g.peer[ifKey{p.A.NetNS, p.A.IfIndex}] = p.B
		g.peer[ifKey{p.B.NetNS, p.B.IfIndex}] = p.A
	}
	for _, l := range topo.Lowers {
		k := ifKey{l.Upper.NetNS, l.Upper.IfIndex}
		g.lowers[k] = append(g.lowers[k], l)
	}
	return g
}

func (g *netGraph) link(e netdebug.Endpoint) *netdebug.Link {
	if ns := g.byIno[e.NetNS]; ns != nil {
		return ns.Link(e.IfIndex)
	}
	return nil
}

// masterOf is the bridge or bond l is a port of, if any.
func masterOf(ns *netdebug.Namespace, l *netdebug.Link) *netdebug.Link {
	if l.MasterIndex == 0 {
		return nil
	}
	return ns.Link(l.MasterIndex)
}

// peerMaster is the bridge or bond the link at e is a port of, if any.
func (g *netGraph) peerMaster(e netdebug.Endpoint) *netdebug.Link {
	if l := g.link(e); l != nil {
		return masterOf(g.byIno[e.NetNS], l)
	}
	return nil
}

func (g *netGraph) nsLabel(ino uint64) string {
	if ns := g.byIno[ino]; ns != nil {
		return ns.Label
	}
	return ""
}

func stateWord(l *netdebug.Link) string {
	switch {
	case !l.Up:
		return "down"
	case l.OperState == "up" || l.OperState == "unknown":
		return "up"
	}
	return l.OperState
}

// describe is the one-line description of link l in namespace ino: type,
// mode, MTU, state, addresses, and its relation to others.
func (g *netGraph) describe(ino uint64, l *netdebug.Link) string {
	k := ifKey{ino, l.Index}
	parts := []string{l.Type}
	if l.Mode != "" {
		parts[0] += " " + l.Mode
	}
	if l.VNI != 0 {
		parts = append(parts, "vni "+strconv.Itoa(l.VNI))
	}
	parts = append(parts, "mtu "+strconv.Itoa(l.MTU), stateWord(l))
	if l.Port != nil && l.Port.State != "" {
		parts = append(parts, l.Port.State)
	}
	parts = append(parts, g.addrs[k]...)
	s := "(" + strings.Join(parts, ", ") + ")"
	if p, ok := g.peer[k]; ok {
		s += " ⇄ " + p.Name + " in " + nsShort(p.NetNS, g.nsLabel(p.NetNS))
		if p.NetNS != ino {
			s += fmt.Sprintf(" net:[%d]", p.NetNS)
		}
		if m := g.peerMaster(p); m != nil {
			s += ", on " + m.Name
		}
	}
	for _, lw := range g.lowers[k] {
		switch {
		case lw.Lower != nil && lw.Kind == "bond":
			continue // ports are drawn under the bond
		case lw.Lower != nil:
			s += " → " + lw.Lower.Name
			if lw.Lower.NetNS != ino {
				s += " in " + nsShort(lw.Lower.NetNS, g.nsLabel(lw.Lower.NetNS))
			}
		default:
			s += " → ? (" + lw.Reason + ")"
		}
	}
	return s
}

// tree draws each namespace with its interfaces, ports nested under their
// bridge or bond.
func (g *netGraph) tree(w io.Writer) error {
	for _, ns := range g.nss {
		head := fmt.Sprintf("net:[%d]", ns.Ino)
		if ns.Label != "" {
			head += " " + ns.Label
		}
		if ns.Partial {
			head += " (partial)"
		}
		if _, err := fmt.Fprintln(w, printers.Escape(head)); err != nil {
			return err
		}
		children := map[int][]*netdebug.Link{}
		var top []*netdebug.Link
		for i := range ns.Links {
			l := &ns.Links[i]
			if l.Name == "lo" {
				continue
			}
			if m := masterOf(ns, l); m != nil {
				children[m.Index] = append(children[m.Index], l)
				continue
			}
			top = append(top, l)
		}
		if len(top) == 0 {
			fmt.Fprintln(w, "└─ (only lo)")
		}
		for i, l := range top {
			last := i == len(top)-1
			branch, indent := "├─ ", "│  "
			if last {
				branch, indent = "└─ ", "   "
			}
			line := l.Name + " " + g.describe(ns.Ino, l)
			switch n := len(children[l.Index]); n {
			case 0:
			case 1:
				line += ", 1 port"
			default:
				line += fmt.Sprintf(", %d ports", n)
			}
			fmt.Fprintln(w, branch+printers.Escape(line))
			kids := children[l.Index]
			for j, c := range kids {
				b := "├─ "
				if j == len(kids)-1 {
					b = "└─ "
				}
				fmt.Fprintln(w, indent+b+printers.Escape(c.Name+" "+g.describe(ns.Ino, c)))
			}
		}
	}
	return nil
}

// hasOthers reports whether ns has an interface besides lo.
func hasOthers(ns *netdebug.Namespace) bool {
	for _, l := range ns.Links {
		if l.Name != "lo" {
			return true
		}
	}
	return false
}

// table is one row per interface, lo aside unless a namespace has nothing
// else (so --network none containers show): the "which host veth is mine"
// view.
func (g *netGraph) table() *printers.Table {
	t := &printers.Table{Columns: []printers.Column{
		{Header: "NETNS"}, {Header: "NAME"}, {Header: "IFACE"}, {Header: "TYPE"}, {Header: "MTU"}, {Header: "STATE"},
		{Header: "ADDRESSES"}, {Header: "PEER"}, {Header: "BRIDGE"},
		{Header: "IFINDEX", Wide: true}, {Header: "MAC", Wide: true}, {Header: "PEER NETNS", Wide: true},
		{Header: "PEER IFINDEX", Wide: true}, {Header: "PORT STATE", Wide: true}, {Header: "LOWER", Wide: true},
	}}
	for _, ns := range g.nss {
		shown := 0
		for i := range ns.Links {
			l := &ns.Links[i]
			if l.Name == "lo" && (shown > 0 || hasOthers(ns)) {
				continue
			}
			shown++
			k := ifKey{ns.Ino, l.Index}
			peer, peerNS, peerIdx, bridge, portState, lower := "-", "-", "-", "-", "-", "-"
			if m := masterOf(ns, l); m != nil {
				bridge = m.Name
			}
			if p, ok := g.peer[k]; ok {
				peer = p.Name + "@" + nsShort(p.NetNS, g.nsLabel(p.NetNS))
				peerNS, peerIdx = strconv.FormatUint(p.NetNS, 10), strconv.Itoa(p.IfIndex)
				if m := g.peerMaster(p); m != nil && bridge == "-" {
					bridge = m.Name
				}
			}
			if l.Port != nil && l.Port.State != "" {
				portState = l.Port.State
			}
			var lows []string
			for _, lw := range g.lowers[k] {
				if lw.Lower != nil {
					lows = append(lows, lw.Lower.Name+"@"+nsShort(lw.Lower.NetNS, g.nsLabel(lw.Lower.NetNS)))
				}
			}
			if len(lows) > 0 {
				lower = strings.Join(lows, ",")
			}
			typ := l.Type
			if l.Mode != "" {
				typ += "/" + l.Mode
			}
			t.Rows = append(t.Rows, []string{
				strconv.FormatUint(ns.Ino, 10), orDash(ns.Label), l.Name, typ, strconv.Itoa(l.MTU), stateWord(l),
				orDash(strings.Join(g.addrs[k], ",")), peer, bridge,
				strconv.Itoa(l.Index), orDash(l.MAC), peerNS, peerIdx, portState, lower,
			})
		}
	}
	return t
}

func nodeID(ino uint64, idx int) string { return fmt.Sprintf("n%d_%d", ino, idx) }

// nodeLabel is the multi-line label of an interface in a diagram.
func (g *netGraph) nodeLabel(ino uint64, l *netdebug.Link) []string {
	k := ifKey{ino, l.Index}
	typ := l.Type
	if l.Mode != "" {
		typ += " " + l.Mode
	}
	lines := []string{l.Name, fmt.Sprintf("%s mtu %d %s", typ, l.MTU, stateWord(l))}
	if l.Port != nil && l.Port.State != "" && l.Port.State != "forwarding" {
		lines = append(lines, "port "+l.Port.State)
	}
	return append(lines, g.addrs[k]...)
}

func (g *netGraph) clusterLabel(ns *netdebug.Namespace) string {
	s := fmt.Sprintf("net:[%d]", ns.Ino)
	if ns.Label != "" {
		s = ns.Label + " " + s
	}
	return s
}

// dotQuote quotes s for Graphviz after escaping control characters.
func dotQuote(lines ...string) string {
	for i, s := range lines {
		s = printers.Escape(s)
		s = strings.ReplaceAll(s, `\`, `\\`)
		lines[i] = strings.ReplaceAll(s, `"`, `\"`)
	}
	return `"` + strings.Join(lines, `\n`) + `"`
}

// dot writes a Graphviz graph: one cluster per namespace, one node per
// interface, solid edges for veth pairs, dashed ones from ports to their
// bridge or bond, dotted ones from stacked links to their parent.
func (g *netGraph) dot(w io.Writer) error {
	var b strings.Builder
	b.WriteString("graph ctx_net {\n")
	b.WriteString("  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=10];\n")
	b.WriteString("  node [shape=box, fontname=\"Helvetica\", fontsize=9];\n")
	b.WriteString("  edge [fontname=\"Helvetica\", fontsize=8];\n")
	var edges []string
	for _, ns := range g.nss {
		fmt.Fprintf(&b, "  subgraph \"cluster_%d\" {\n    label=%s;\n", ns.Ino, dotQuote(g.clusterLabel(ns)))
		for i := range ns.Links {
			l := &ns.Links[i]
			if l.Name == "lo" {
				continue
			}
			attrs := ""
			if l.Type == "bridge" || l.Type == "bond" {
				attrs = ", style=filled, fillcolor=\"#e8e8e8\""
			}
			fmt.Fprintf(&b, "    %q [label=%s%s];\n", nodeID(ns.Ino, l.Index), dotQuote(g.nodeLabel(ns.Ino, l)...), attrs)
			if m := masterOf(ns, l); m != nil {
				edges = append(edges, fmt.Sprintf("  %q -- %q [style=dashed];\n", nodeID(ns.Ino, l.Index), nodeID(ns.Ino, m.Index)))
			}
		}
		if !hasOthers(ns) {
			fmt.Fprintf(&b, "    \"n%d_lo\" [label=\"(only lo)\", shape=plaintext];\n", ns.Ino)
		}
		b.WriteString("  }\n")
	}
	for _, p := range g.topo.Veths {
		edges = append(edges, fmt.Sprintf("  %q -- %q [label=\"veth\", penwidth=2];\n", nodeID(p.A.NetNS, p.A.IfIndex), nodeID(p.B.NetNS, p.B.IfIndex)))
	}
	for _, lw := range g.topo.Lowers {
		if lw.Lower != nil && lw.Kind != "bond" {
			edges = append(edges, fmt.Sprintf("  %q -- %q [label=%q, style=dotted];\n",
				nodeID(lw.Upper.NetNS, lw.Upper.IfIndex), nodeID(lw.Lower.NetNS, lw.Lower.IfIndex), lw.Kind))
		}
	}
	for _, e := range edges {
		b.WriteString(e)
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// mermaidText escapes s for a quoted Mermaid label: entity codes for the
// characters Mermaid or HTML would read.
func mermaidText(lines ...string) string {
	r := strings.NewReplacer("#", "#35;", `"`, "#quot;", "<", "#lt;", ">", "#gt;", "&", "#amp;", "`", "#96;")
	for i, s := range lines {
		lines[i] = r.Replace(printers.Escape(s))
	}
	return `"` + strings.Join(lines, "<br/>") + `"`
}

// mermaid writes a flowchart: one subgraph per namespace, veth pairs as
// <-->, ports to their bridge as ---, stacked links as -.->.
func (g *netGraph) mermaid(w io.Writer) error {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	var edges []string
	for _, ns := range g.nss {
		fmt.Fprintf(&b, "  subgraph ns%d[%s]\n", ns.Ino, mermaidText(g.clusterLabel(ns)))
		for i := range ns.Links {
			l := &ns.Links[i]
			if l.Name == "lo" {
				continue
			}
			fmt.Fprintf(&b, "    %s[%s]\n", nodeID(ns.Ino, l.Index), mermaidText(g.nodeLabel(ns.Ino, l)...))
			if m := masterOf(ns, l); m != nil {
				edges = append(edges, fmt.Sprintf("  %s --- %s\n", nodeID(ns.Ino, l.Index), nodeID(ns.Ino, m.Index)))
			}
		}
		if !hasOthers(ns) {
			fmt.Fprintf(&b, "    n%d_lo[\"(only lo)\"]\n", ns.Ino)
		}
		b.WriteString("  end\n")
	}
	for _, p := range g.topo.Veths {
		edges = append(edges, fmt.Sprintf("  %s <-->|veth| %s\n", nodeID(p.A.NetNS, p.A.IfIndex), nodeID(p.B.NetNS, p.B.IfIndex)))
	}
	for _, lw := range g.topo.Lowers {
		if lw.Lower != nil && lw.Kind != "bond" {
			edges = append(edges, fmt.Sprintf("  %s -.->|%s| %s\n", nodeID(lw.Upper.NetNS, lw.Upper.IfIndex), lw.Kind, nodeID(lw.Lower.NetNS, lw.Lower.IfIndex)))
		}
	}
	for _, e := range edges {
		b.WriteString(e)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// ---- show ----

// netTarget is a TARGET resolved to its network namespace.
type netTarget struct {
	Spec   string          `json:"spec"`
	Target *inspect.Target `json:"target"`
	NetNS  uint64          `json:"netns"`
	PID    int             `json:"pid,omitempty"`
}

// resolveNetTarget resolves TARGET and finds its network namespace: the
// net link of its process, or the nsfs file netns/NAME and paths name.
func resolveNetTarget(root hostfs.Root, spec string) (*netTarget, error) {
	t, err := inspect.Resolve(root, spec)
	if err != nil {
		return nil, err
	}
	nt := &netTarget{Spec: spec, Target: t, PID: t.PID}
	if t.PID != 0 {
		var st unix.Stat_t
		if root.Live() {
			if err := unix.Stat(root.PID(t.PID, "ns", "net"), &st); err != nil {
				return nil, fmt.Errorf("the network namespace of PID %d: %w", t.PID, err)
			}
			nt.NetNS = st.Ino
			return nt, nil
		}
		ids, err := inspect.NamespacesOf(root, t.PID)
		if err != nil {
			return nil, fmt.Errorf("reading the namespaces of PID %d: %w", t.PID, err)
		}
		id, ok := ids["net"]
		if !ok {
			return nil, fmt.Errorf("PID %d has no network namespace link", t.PID)
		}
		nt.NetNS = id.Ino
		return nt, nil
	}
	var st unix.Stat_t
	if err := unix.Stat(t.Path, &st); err != nil {
		return nil, fmt.Errorf("stat %q: %w", t.Path, err)
	}
	nt.NetNS = st.Ino
	return nt, nil
}

// netShow is the JSON item of ctx net show.
type netShow struct {
	Target     *netTarget           `json:"target"`
	NetNS      uint64               `json:"netns"`
	Label      string               `json:"label,omitempty"`
	Path       string               `json:"path"`
	Host       bool                 `json:"host,omitempty"`
	Interfaces []netdebug.Interface `json:"interfaces"`
	Routes     []netdebug.Route     `json:"routes"`
	Rules      []netdebug.Rule      `json:"rules"`
	DNS        *netdebug.DNSConfig  `json:"dns,omitempty"`
	links      map[int]string
}

func runNetShow(ctx context.Context, opts *netOptions) error {
	defer lessGC()()
	root, err := opts.f.Host()
	if err != nil {
		return err
	}
	nt, err := resolveNetTarget(root, opts.Target)
	if err != nil {
		return err
	}
	topo, err := opts.Snapshot(ctx, root, false)
	if err != nil {
		return err
	}
	ns := topo.Namespace(nt.NetNS)
	if ns == nil {
		return fmt.Errorf("the network namespace net:[%d] of %s was not found among the %d ctx could read (see the warnings; run as root)",
			nt.NetNS, opts.Target, len(topo.Namespaces))
	}
	warnings := topo.Warnings
	s := &netShow{Target: nt, NetNS: ns.Ino, Label: ns.Label, Path: ns.Path, Host: ns.Host,
		Interfaces: netdebug.ContainerInterfaces(topo, ns.Ino), Routes: []netdebug.Route{}, Rules: ns.Rules, links: map[int]string{}}
	for _, l := range ns.Links {
		s.links[l.Index] = l.Name
	}
	for _, r := range ns.Routes {
		if r.Table != 255 {
			s.Routes = append(s.Routes, r)
		}
	}
	pid := nt.PID
	if pid == 0 {
		pid = ns.PID
	}
	if pid != 0 {
		s.DNS, err = opts.DNS(root, pid)
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("DNS config of PID %d: %v", pid, err))
		}
	}
	return opts.f.Emit(printers.Doc{Kind: "NetworkNamespace", Item: s, Warnings: warnings,
		Text: func(w io.Writer) error { writeNetShow(w, s); return nil }})
}

func writeNetShow(w io.Writer, s *netShow) {
	sw := &sectionWriter{w: w}
	sw.head("Namespace")
	sw.kv("netns", fmt.Sprintf("net:[%d]", s.NetNS))
	sw.kv("name", orDash(s.Label))
	sw.kv("path", s.Path)
	if s.Host {
		sw.kv("host", "yes: this is the host's own network namespace")
	}
	sw.head("Interfaces")
	for _, ifc := range s.Interfaces {
		line := fmt.Sprintf("%s, mtu %d, %s", ifc.Type, ifc.MTU, ifc.OperState)
		if !ifc.Up {
			line += " (admin down)"
		}
		if ifc.MAC != "" {
			line += ", " + ifc.MAC
		}
		if len(ifc.Addrs) > 0 {
			line += ", " + strings.Join(ifc.Addrs, " ")
		}
		sw.kv(ifc.Name, line)
		if p := ifc.Peer; p != nil {
			peer := fmt.Sprintf("%s (ifindex %d) in %s net:[%d]", p.Name, p.IfIndex, orDash(p.Label), p.NetNS)
			if p.Master != "" {
				peer += ", port of " + p.Master
			}
			sw.kv("  peer", peer)
		}
	}
	sw.head("Routes")
	if len(s.Routes) == 0 {
		sw.kv("routes", "(none)")
	}
	for _, r := range s.Routes {
		fmt.Fprintf(w, "  %s\n", printers.Escape(routeString(r, s.links)))
	}
	if custom := customRules(s.Rules); len(custom) > 0 {
		sw.head("Rules")
		for _, r := range custom {
			fmt.Fprintf(w, "  %s\n", printers.Escape(ruleString(r)))
		}
	}
	sw.head("DNS")
	switch d := s.DNS; {
	case d == nil:
		sw.kv("resolv.conf", "unknown: no process in this namespace")
	case d.Error != "":
		sw.kv("resolv.conf", fmt.Sprintf("unreadable for PID %d: %s", d.PID, d.Error))
	default:
		sw.kv("file", fmt.Sprintf("%s of PID %d", d.Path, d.PID))
		for _, n := range d.Nameservers {
			sw.kv("nameserver", n)
		}
		if len(d.Search) > 0 {
			sw.kv("search", strings.Join(d.Search, " "))
		}
		if len(d.Options) > 0 {
			sw.kv("options", strings.Join(d.Options, " "))
		}
	}
}

// rtnhLinkdown is RTNH_F_LINKDOWN (include/uapi/linux/rtnetlink.h), which
// x/sys/unix defines for Linux builds only.
const rtnhLinkdown = 0x10

var tableNames = map[int]string{253: "default", 254: "main", 255: "local"}

func tableName(t int) string {
	if n, ok := tableNames[t]; ok {
		return n
	}
	return strconv.Itoa(t)
}

// routeString renders a route as ip route does.
func routeString(r netdebug.Route, links map[int]string) string {
	parts := []string{r.Dst}
	if r.Family == "inet6" && r.Dst == "default" {
		parts[0] = "default (inet6)"
	}
	if r.Gateway != "" {
		parts = append(parts, "via", r.Gateway)
	}
	if r.OutIndex != 0 {
		parts = append(parts, "dev", orDash(links[r.OutIndex]))
	}
	for _, h := range r.Nexthops {
		nh := "nexthop"
		if h.Gateway != "" {
			nh += " via " + h.Gateway
		}
		nh += " dev " + orDash(links[h.OutIndex])
		parts = append(parts, nh)
	}
	if r.Src != "" {
		parts = append(parts, "src", r.Src)
	}
	if r.Priority != 0 {
		parts = append(parts, "metric", strconv.Itoa(r.Priority))
	}
	if r.Flags&rtnhLinkdown != 0 {
		parts = append(parts, "linkdown")
	}
	if r.Table != 254 {
		parts = append(parts, "table", tableName(r.Table))
	}
	return strings.Join(parts, " ")
}

// customRules drops the three rules every namespace starts with.
func customRules(rules []netdebug.Rule) []netdebug.Rule {
	var out []netdebug.Rule
	for _, r := range rules {
		if (r.Priority == 0 && r.Table == 255) || (r.Priority == 32766 && r.Table == 254) || (r.Priority == 32767 && r.Table == 253) {
			continue
		}
		out = append(out, r)
	}
	return out
}

func ruleString(r netdebug.Rule) string {
	parts := []string{strconv.Itoa(r.Priority) + ":"}
	if r.Invert {
		parts = append(parts, "not")
	}
	parts = append(parts, "from", orElse(r.Src, "all"))
	if r.Dst != "" {
		parts = append(parts, "to", r.Dst)
	}
	if r.IifName != "" {
		parts = append(parts, "iif", r.IifName)
	}
	if r.OifName != "" {
		parts = append(parts, "oif", r.OifName)
	}
	if r.Mark != 0 {
		parts = append(parts, fmt.Sprintf("fwmark %#x", r.Mark))
	}
	return strings.Join(append(parts, "lookup", tableName(r.Table)), " ")
}

func orElse(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// ---- check ----

func runNetCheck(ctx context.Context, opts *netOptions) error {
	defer lessGC()()
	root, err := opts.f.Host()
	if err != nil {
		return err
	}
	var nt *netTarget
	if opts.Target != "" {
		if nt, err = resolveNetTarget(root, opts.Target); err != nil {
			return err
		}
	}
	topo, err := opts.Snapshot(ctx, root, true)
	if err != nil {
		return err
	}
	if nt != nil && topo.Namespace(nt.NetNS) == nil {
		return fmt.Errorf("the network namespace net:[%d] of %s was not found among the %d ctx could read", nt.NetNS, opts.Target, len(topo.Namespaces))
	}
	findings := netdebug.Check(topo)
	if nt != nil {
		kept := findings[:0]
		for _, f := range findings {
			for _, ino := range f.NetNS {
				if ino == nt.NetNS {
					kept = append(kept, f)
					break
				}
			}
		}
		findings = kept
	}
	if findings == nil {
		findings = []netdebug.Finding{}
	}
	wide := opts.f.Printer.Output == "wide"
	n := len(topo.Namespaces)
	if err := opts.f.Emit(printers.Doc{Kind: "NetworkFindingList", Items: findings, Warnings: topo.Warnings,
		Text: func(w io.Writer) error { return writeFindings(w, findings, n, wide) }}); err != nil {
		return err
	}
	if len(findings) > 0 {
		return &FindingsError{N: len(findings)}
	}
	return nil
}

// writeFindings prints one block per finding: severity, check and message,
// then the command that confirms it and, with -o wide, the evidence.
func writeFindings(w io.Writer, findings []netdebug.Finding, namespaces int, wide bool) error {
	errs := 0
	for _, f := range findings {
		tag := "[WARN]"
		if f.Severity == netdebug.SeverityError {
			tag = "[ERR] "
			errs++
		}
		fmt.Fprintf(w, "%s %-27s %s\n", tag, f.Check, printers.Escape(f.Message))
		if wide {
			for _, k := range slices.Sorted(maps.Keys(f.Evidence)) {
				fmt.Fprintf(w, "       %-27s %s\n", "", printers.Escape(k+"="+f.Evidence[k]))
			}
		}
		if f.Hint != "" {
			fmt.Fprintf(w, "       %-27s confirm: %s\n", "", printers.Escape(f.Hint))
		}
	}
	if len(findings) == 0 {
		_, err := fmt.Fprintf(w, "no findings in %d network namespaces\n", namespaces)
		return err
	}
	_, err := fmt.Fprintf(w, "%s (%s, %s) in %d network namespaces\n",
		plural(len(findings), "finding"), plural(errs, "error"), plural(len(findings)-errs, "warning"), namespaces)
	return err
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}
