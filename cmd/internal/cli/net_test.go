package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/ctx-tools/ctx/cmd/internal/iostreams"
	"github.com/ctx-tools/ctx/inspect/hostfs"
	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
	"github.com/ctx-tools/ctx/netdebug"
)

func iptr(v int) *int { return &v }

// netFixture is the wiring of the docker-v1 fixture host: the host
// (net:[4026531833]) with uplink eth0, docker0 and a vxlan; web-1
// (net:[4026532605], PID 4242) on docker0, resolving through 127.0.0.53;
// and blue (net:[4026532900]), an `ip netns add` namespace no process
// holds, with a veth whose host end lost its bridge and a macvlan on the
// host's eth0. One interface name carries an escape sequence.
func netFixture(state bool) *netdebug.Topology {
	up := func(l netdebug.Link) netdebug.Link { l.Up, l.OperState = true, "up"; return l }
	rules := []netdebug.Rule{{Family: "inet", Priority: 0, Table: 255}, {Family: "inet", Priority: 32766, Table: 254}, {Family: "inet", Priority: 32767, Table: 253}}
	t := &netdebug.Topology{Namespaces: []netdebug.Namespace{
		{Ino: 4026532900, Label: "bind:/run/netns/blue", Path: "/run/netns/blue", Holders: []string{"bind:/run/netns/blue"},
			NetNSIDs: []netdebug.NetNSIDRef{{ID: 0, NetNS: 4026531833}},
			Links: []netdebug.Link{up(netdebug.Link{Index: 1, Name: "lo", Type: "device", MTU: 65536}),
				up(netdebug.Link{Index: 2, Name: "vb0", Type: "veth", MTU: 1500, MAC: "0a:00:00:00:00:02", ParentIndex: 9, NetNSID: iptr(0)}),
				up(netdebug.Link{Index: 3, Name: "mv0", Type: "macvlan", Mode: "bridge", MTU: 1500, ParentIndex: 2, NetNSID: iptr(0)})},
			Addrs:  []netdebug.Addr{{IfIndex: 2, Family: "inet", CIDR: "10.213.9.2/24"}},
			Routes: []netdebug.Route{{Family: "inet", Table: 254, Dst: "10.213.9.0/24", OutIndex: 2, Protocol: 2, Scope: 253, Type: 1}},
			Rules:  rules, Neighbors: []netdebug.Neigh{}},
		{Ino: 4026531833, Label: "host", Host: true, Path: "/proc/1/ns/net", PID: 1, NProcs: 5, Holders: []string{"proc"},
			NetNSIDs: []netdebug.NetNSIDRef{{ID: 0, NetNS: 4026532605}, {ID: 1, NetNS: 4026532900}},
			Links: []netdebug.Link{up(netdebug.Link{Index: 1, Name: "lo", Type: "device", MTU: 65536}),
				up(netdebug.Link{Index: 2, Name: "eth0", Type: "device", MTU: 1500, MAC: "02:00:00:00:00:01"}),
				up(netdebug.Link{Index: 3, Name: "docker0", Type: "bridge", MTU: 1500, MAC: "02:42:00:00:00:01"}),
				up(netdebug.Link{Index: 7, Name: "veth1a2b", Type: "veth", MTU: 1500, MAC: "6e:00:00:00:00:07", MasterIndex: 3, ParentIndex: 2, NetNSID: iptr(0),
					Port: &netdebug.BridgePort{State: "forwarding"}}),
				up(netdebug.Link{Index: 8, Name: "vx\x1b[31m0", Type: "vxlan", MTU: 1450, VNI: 42, DstPort: 4789, UnderlayIndex: 2}),
				up(netdebug.Link{Index: 9, Name: "vethblue", Type: "veth", MTU: 1500, ParentIndex: 2, NetNSID: iptr(1)})},
			Addrs: []netdebug.Addr{{IfIndex: 1, Family: "inet", CIDR: "127.0.0.1/8", Scope: 254}, {IfIndex: 2, Family: "inet", CIDR: "192.0.2.2/24"},
				{IfIndex: 2, Family: "inet6", CIDR: "fe80::1/64", Scope: 253}, {IfIndex: 3, Family: "inet", CIDR: "172.17.0.1/16"}},
			Routes: []netdebug.Route{{Family: "inet", Table: 254, Dst: "default", Gateway: "192.0.2.1", OutIndex: 2, Protocol: 4, Type: 1},
				{Family: "inet", Table: 254, Dst: "172.17.0.0/16", OutIndex: 3, Src: "172.17.0.1", Protocol: 2, Scope: 253, Type: 1}},
			Rules: rules, Neighbors: []netdebug.Neigh{}},
		{Ino: 4026532605, Label: "docker:web-1", Path: "/proc/4242/ns/net", PID: 4242, NProcs: 3, Holders: []string{"proc", "bind:/run/docker/netns/0f1e2d3c4b5a"},
			NetNSIDs: []netdebug.NetNSIDRef{{ID: 0, NetNS: 4026531833}},
			Links: []netdebug.Link{up(netdebug.Link{Index: 1, Name: "lo", Type: "device", MTU: 65536}),
				up(netdebug.Link{Index: 2, Name: "eth0", Type: "veth", MTU: 1500, MAC: "02:42:ac:11:00:02", ParentIndex: 7, NetNSID: iptr(0)})},
			Addrs: []netdebug.Addr{{IfIndex: 1, Family: "inet", CIDR: "127.0.0.1/8", Scope: 254}, {IfIndex: 2, Family: "inet", CIDR: "172.17.0.2/16"}},
			Routes: []netdebug.Route{{Family: "inet", Table: 254, Dst: "default", Gateway: "172.17.0.1", OutIndex: 2, Protocol: 3, Type: 1},
				{Family: "inet", Table: 254, Dst: "172.17.0.0/16", OutIndex: 2, Src: "172.17.0.2", Protocol: 2, Scope: 253, Type: 1},
				{Family: "inet", Table: 255, Dst: "172.17.0.2/32", OutIndex: 2, Protocol: 2, Scope: 254, Type: 2}},
			Rules: append(rules, netdebug.Rule{Family: "inet", Priority: 100, Src: "172.17.0.2/32", Table: 100}), Neighbors: []netdebug.Neigh{}},
	}}
	if state {
		for i := range t.Namespaces {
			ns := &t.Namespaces[i]
			ns.State = &netdebug.State{IPForward: iptr(1), IPv6Forward: iptr(0), RPFilter: map[string]int{"all": 0}, Forward: []netdebug.ForwardChain{}}
		}
		t.Namespaces[2].DNS = &netdebug.DNSConfig{PID: 4242, Path: "/etc/resolv.conf", Nameservers: []string{"127.0.0.53"}, Options: []string{"edns0"}}
	}
	// Pair and relate what the kernel reported, as Snapshot does.
	topo, _ := json.Marshal(t)
	var back netdebug.Topology
	_ = json.Unmarshal(topo, &back)
	return resolveFixture(&back)
}

// resolveFixture runs netdebug's pairing on a hand-made topology: Check is
// pure and pairs as a side effect only through Snapshot, so the fixture
// states its pairs itself.
func resolveFixture(t *netdebug.Topology) *netdebug.Topology {
	t.Veths = []netdebug.VethPair{
		{A: netdebug.Endpoint{NetNS: 4026531833, IfIndex: 7, Name: "veth1a2b"}, B: netdebug.Endpoint{NetNS: 4026532605, IfIndex: 2, Name: "eth0"}},
		{A: netdebug.Endpoint{NetNS: 4026531833, IfIndex: 9, Name: "vethblue"}, B: netdebug.Endpoint{NetNS: 4026532900, IfIndex: 2, Name: "vb0"}},
	}
	t.Unpaired = []netdebug.UnpairedVeth{}
	t.Bridges = []netdebug.Bridge{{Bridge: netdebug.Endpoint{NetNS: 4026531833, IfIndex: 3, Name: "docker0"},
		Ports: []netdebug.Endpoint{{NetNS: 4026531833, IfIndex: 7, Name: "veth1a2b"}}}}
	t.Lowers = []netdebug.Lower{
		{Kind: "vxlan", Upper: netdebug.Endpoint{NetNS: 4026531833, IfIndex: 8, Name: "vx\x1b[31m0"}, Lower: &netdebug.Endpoint{NetNS: 4026531833, IfIndex: 2, Name: "eth0"}},
		{Kind: "macvlan", Upper: netdebug.Endpoint{NetNS: 4026532900, IfIndex: 3, Name: "mv0"}, Lower: &netdebug.Endpoint{NetNS: 4026531833, IfIndex: 2, Name: "eth0"}},
	}
	t.Warnings = []string{}
	return t
}

// runNetCLI runs ctx with args against the fixture host, with the net
// commands reading netFixture instead of the kernel.
func runNetCLI(t *testing.T, args ...string) (ExitCode, string, string) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	f := NewFactory(ios, func(string) string { return "" })
	root := fixture(t)
	f.Host = func() (hostfs.Root, error) { return root, nil }
	cmd := NewRootCmd(f)
	for _, c := range cmd.Commands() {
		if c.Name() == "net" {
			cmd.RemoveCommand(c)
		}
	}
	inject := func(run func(context.Context, *netOptions) error) func(context.Context, *netOptions) error {
		return func(ctx context.Context, o *netOptions) error {
			o.Snapshot = func(_ context.Context, _ hostfs.Root, state bool) (*netdebug.Topology, error) {
				return netFixture(state), nil
			}
			o.DNS = func(_ hostfs.Root, pid int) (*netdebug.DNSConfig, error) {
				return &netdebug.DNSConfig{PID: pid, Path: "/etc/resolv.conf", Nameservers: []string{"10.0.0.2"}, Search: []string{"example.com"}}, nil
			}
			return run(ctx, o)
		}
	}
	net := &cobra.Command{Use: "net"}
	net.AddCommand(newCmdNetLs(f, inject(runNetLs)), newCmdNetTopo(f, inject(runNetTopo)),
		newCmdNetShow(f, inject(runNetShow)), newCmdNetCheck(f, inject(runNetCheck)))
	cmd.AddCommand(net)
	code := run(context.Background(), f, cmd, args)
	return code, out.String(), errOut.String()
}

func TestRunNet(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code ExitCode
	}{
		{"Ls_table", []string{"net", "ls"}, ExitOK},
		{"Ls_wide", []string{"net", "ls", "-o", "wide"}, ExitOK},
		{"Topo_tree", []string{"net", "topo"}, ExitOK},
		{"Topo_table", []string{"net", "topo", "--format", "table"}, ExitOK},
		{"Topo_wide", []string{"net", "topo", "-o", "wide"}, ExitOK},
		{"Topo_dot", []string{"net", "topo", "--format", "dot"}, ExitOK},
		{"Topo_mermaid", []string{"net", "topo", "--format", "mermaid"}, ExitOK},
		{"Show_web1", []string{"net", "show", "web-1"}, ExitOK},
		{"Check", []string{"net", "check"}, ExitFindings},
		{"Check_wide_web1", []string{"net", "check", "web-1", "-o", "wide"}, ExitFindings},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runNetCLI(t, tc.args...)
			if code != tc.code || errOut != "" {
				t.Fatalf("exit %d, stderr %q; want %d and nothing", code, errOut, tc.code)
			}
			if strings.Contains(out, "\x1b") {
				t.Errorf("output holds a raw ESC:\n%q", out)
			}
			golden(t, "TestRunNet_"+tc.name, []byte(out))
		})
	}
}

func TestRunNetJSON(t *testing.T) {
	for _, args := range [][]string{{"net", "topo", "-o", "json"}, {"net", "topo", "--format", "json"}} {
		code, out, _ := runNetCLI(t, args...)
		var doc struct {
			SchemaVersion int               `json:"schemaVersion"`
			Kind          string            `json:"kind"`
			Item          netdebug.Topology `json:"item"`
			Warnings      []string          `json:"warnings"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil || code != ExitOK {
			t.Fatalf("%v: exit %d, %v\n%s", args, code, err, out)
		}
		if doc.Kind != "NetworkTopology" || len(doc.Item.Namespaces) != 3 || len(doc.Item.Veths) != 2 || doc.Warnings == nil {
			t.Errorf("%v: kind %q, %d namespaces, %d veths", args, doc.Kind, len(doc.Item.Namespaces), len(doc.Item.Veths))
		}
		if l := doc.Item.Namespace(4026531833).Link(8); l == nil || l.Name != "vx\x1b[31m0" {
			t.Errorf("JSON changed an interface name: %+v", l)
		}
	}

	code, out, _ := runNetCLI(t, "net", "check", "-o", "json")
	var findings struct {
		Kind  string             `json:"kind"`
		Items []netdebug.Finding `json:"items"`
	}
	if err := json.Unmarshal([]byte(out), &findings); err != nil || code != ExitFindings || findings.Kind != "NetworkFindingList" {
		t.Fatalf("check -o json: exit %d, %v, kind %q", code, err, findings.Kind)
	}
	got := map[string]bool{}
	for _, f := range findings.Items {
		got[f.Check] = true
		if len(f.Objects) == 0 || len(f.NetNS) == 0 || f.Evidence == nil {
			t.Errorf("finding without objects or evidence: %+v", f)
		}
	}
	for _, want := range []string{"dns-loopback-resolver", "netns-no-process", "veth-no-master"} {
		if !got[want] {
			t.Errorf("check -o json lacks %s: %v", want, got)
		}
	}

	code, out, _ = runNetCLI(t, "net", "show", "web-1", "-o", "json")
	var show struct {
		Item struct {
			NetNS      uint64               `json:"netns"`
			Interfaces []netdebug.Interface `json:"interfaces"`
			DNS        *netdebug.DNSConfig  `json:"dns"`
		} `json:"item"`
	}
	if err := json.Unmarshal([]byte(out), &show); err != nil || code != ExitOK {
		t.Fatalf("show -o json: exit %d, %v", code, err)
	}
	var eth0 *netdebug.Interface
	for i := range show.Item.Interfaces {
		if show.Item.Interfaces[i].Name == "eth0" {
			eth0 = &show.Item.Interfaces[i]
		}
	}
	if show.Item.NetNS != 4026532605 || eth0 == nil || eth0.Peer == nil || eth0.Peer.Name != "veth1a2b" || eth0.Peer.Master != "docker0" ||
		show.Item.DNS == nil || show.Item.DNS.PID != 4242 {
		t.Errorf("show web-1 = %+v; want eth0 paired with veth1a2b on docker0, DNS of PID 4242", show.Item)
	}
}

func TestNetFormatFlags(t *testing.T) {
	tests := []struct {
		output, format string
		want           string
		wantErr        bool
	}{
		{"table", "", "tree", false},
		{"wide", "", "table", false},
		{"json", "", "json", false},
		{"table", "dot", "dot", false},
		{"table", "mermaid", "mermaid", false},
		{"table", "json", "json", false},
		{"json", "json", "json", false},
		{"json", "dot", "", true},
		{"wide", "json", "", true},
		{"table", "svg", "", true},
		{"yaml", "", "", true},
	}
	for _, tt := range tests {
		ios, _, _, _ := iostreams.Test()
		f := NewFactory(ios, func(string) string { return "" })
		f.Printer.Output = tt.output
		o := newNetOptions(f)
		o.Format = tt.format
		err := o.validateFormat()
		if (err != nil) != tt.wantErr || (err == nil && o.Format != tt.want) {
			t.Errorf("-o %s --format %q: format %q, error %v; want %q, error %v", tt.output, tt.format, o.Format, err, tt.want, tt.wantErr)
		}
	}
}

func TestNetUsage(t *testing.T) {
	tests := []struct {
		args []string
		want ExitCode
	}{
		{[]string{"net", "topo", "--format", "svg"}, ExitUsage},
		{[]string{"net", "topo", "-o", "json", "--format", "dot"}, ExitUsage},
		{[]string{"net", "ls", "extra"}, ExitUsage},
		{[]string{"net", "show"}, ExitUsage},
		{[]string{"net", "show", "a", "b"}, ExitUsage},
		{[]string{"net", "check", "a", "b"}, ExitUsage},
		{[]string{"net", "show", "no-such-container"}, ExitError},
		{[]string{"net", "check", "99999"}, ExitError},
	}
	for _, tt := range tests {
		code, _, errOut := runNetCLI(t, tt.args...)
		if code != tt.want || !strings.HasPrefix(errOut, "error: ") {
			t.Errorf("ctx %v: exit %d, stderr %q; want %d and an error", tt.args, code, errOut, tt.want)
		}
	}
	// Without the injected reader, on a fixture: netlink needs a live
	// kernel, and the error says so.
	code, _, errOut := runCLI(t, fixture(t), "net", "topo")
	if code != ExitError || !strings.Contains(errOut, hostfs.ErrNotLive.Error()) {
		t.Errorf("net topo on a fixture: exit %d, %q; want 1 and %q", code, errOut, hostfs.ErrNotLive)
	}
}

func TestNetCheckFindingsError(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	f := NewFactory(ios, func(string) string { return "" })
	root := fixture(t)
	f.Host = func() (hostfs.Root, error) { return root, nil }
	o := newNetOptions(f)
	o.Snapshot = func(context.Context, hostfs.Root, bool) (*netdebug.Topology, error) {
		topo := netFixture(true)
		topo.Namespaces = topo.Namespaces[1:2] // the host alone is clean
		topo.Veths, topo.Bridges, topo.Lowers = nil, nil, nil
		return topo, nil
	}
	if err := runNetCheck(context.Background(), o); err != nil {
		t.Errorf("clean host: %v; want nil (exit 0)", err)
	}
	o.Snapshot = func(context.Context, hostfs.Root, bool) (*netdebug.Topology, error) { return netFixture(true), nil }
	var fe *FindingsError
	if err := runNetCheck(context.Background(), o); !errors.As(err, &fe) || fe.N != 3 {
		t.Errorf("fixture: %v; want FindingsError with 3 findings", err)
	}
}

// TestNetTopoDOTRenders feeds the DOT output to Graphviz.
func TestNetTopoDOTRenders(t *testing.T) {
	hostfstest.RequireTool(t, "e2e", "dot")
	_, out, _ := runNetCLI(t, "net", "topo", "--format", "dot")
	cmd := exec.Command("dot", "-Tsvg")
	cmd.Stdin = strings.NewReader(out)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	svg, err := cmd.Output()
	if err != nil || stderr.Len() != 0 || !bytes.Contains(svg, []byte("veth1a2b")) {
		t.Errorf("dot -Tsvg: %v, stderr %q, %d bytes of SVG", err, stderr.String(), len(svg))
	}
}
