package netdebug

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func nsid(i int) *int { return &i }

// Host netns 1 with a bridge and two veths whose peers are both eth0,
// ifindex 2, in namespaces 10 and 20; the host calls them 0 and 1.
func twoContainers() *Topology {
	return &Topology{Namespaces: []Namespace{
		{Ino: 1, Label: "host", NetNSIDs: []NetNSIDRef{{ID: 0, NetNS: 10}, {ID: 1, NetNS: 20}}, Links: []Link{
			{Index: 1, Name: "lo", Type: "device"},
			{Index: 3, Name: "br0", Type: "bridge"},
			{Index: 5, Name: "vethA", Type: "veth", MasterIndex: 3, ParentIndex: 2, NetNSID: nsid(0)},
			{Index: 6, Name: "vethB", Type: "veth", MasterIndex: 3, ParentIndex: 2, NetNSID: nsid(1)},
		}},
		{Ino: 10, Label: "docker:a", NetNSIDs: []NetNSIDRef{{ID: 0, NetNS: 1}}, Links: []Link{
			{Index: 1, Name: "lo", Type: "device"},
			{Index: 2, Name: "eth0", Type: "veth", ParentIndex: 5, NetNSID: nsid(0)},
		}, Addrs: []Addr{{IfIndex: 2, Family: "inet", CIDR: "10.1.0.2/24"}, {IfIndex: 1, Family: "inet", CIDR: "127.0.0.1/8"}}},
		// The second container calls the host 7: NSIDs are per observer.
		{Ino: 20, Label: "docker:b", NetNSIDs: []NetNSIDRef{{ID: 7, NetNS: 1}}, Links: []Link{
			{Index: 1, Name: "lo", Type: "device"},
			{Index: 2, Name: "eth0", Type: "veth", ParentIndex: 6, NetNSID: nsid(7)},
		}},
	}}
}

func TestResolveVeths(t *testing.T) {
	tests := []struct {
		name         string
		topo         func() *Topology
		wantPairs    []VethPair
		wantUnpaired []string // "netns/ifindex: reason substring"
	}{
		{
			name: "same eth0 ifindex in two namespaces",
			topo: twoContainers,
			wantPairs: []VethPair{
				{A: Endpoint{1, 5, "vethA"}, B: Endpoint{10, 2, "eth0"}},
				{A: Endpoint{1, 6, "vethB"}, B: Endpoint{20, 2, "eth0"}},
			},
		},
		{
			name: "pair inside one namespace",
			topo: func() *Topology {
				return &Topology{Namespaces: []Namespace{{Ino: 4, Links: []Link{
					{Index: 8, Name: "x1", Type: "veth", ParentIndex: 7},
					{Index: 7, Name: "x0", Type: "veth", ParentIndex: 8},
				}}}}
			},
			wantPairs: []VethPair{{A: Endpoint{4, 7, "x0"}, B: Endpoint{4, 8, "x1"}}},
		},
		{
			name: "old kernel drops IFLA_LINK when both ends share the ifindex",
			topo: func() *Topology {
				return &Topology{Namespaces: []Namespace{
					{Ino: 1, NetNSIDs: []NetNSIDRef{{ID: 3, NetNS: 2}}, Links: []Link{{Index: 9, Name: "v", Type: "veth", NetNSID: nsid(3)}}},
					{Ino: 2, NetNSIDs: []NetNSIDRef{{ID: 0, NetNS: 1}}, Links: []Link{{Index: 9, Name: "eth0", Type: "veth", NetNSID: nsid(0)}}},
				}}
			},
			wantPairs: []VethPair{{A: Endpoint{1, 9, "v"}, B: Endpoint{2, 9, "eth0"}}},
		},
		{
			name: "peer namespace not visible",
			topo: func() *Topology {
				return &Topology{Namespaces: []Namespace{{Ino: 1, NetNSIDs: []NetNSIDRef{{ID: 4}}, Links: []Link{
					{Index: 5, Name: "vethX", Type: "veth", ParentIndex: 2, NetNSID: nsid(4)},
				}}}}
			},
			wantUnpaired: []string{"1/5: link-netnsid 4"},
		},
		{
			name: "peer ifindex missing",
			topo: func() *Topology {
				topo := twoContainers()
				topo.Namespaces[2].Links = topo.Namespaces[2].Links[:1]
				return topo
			},
			wantPairs:    []VethPair{{A: Endpoint{1, 5, "vethA"}, B: Endpoint{10, 2, "eth0"}}},
			wantUnpaired: []string{"1/6: no ifindex 2 in net:[20]"},
		},
		{
			name: "peer points elsewhere",
			topo: func() *Topology {
				topo := twoContainers()
				topo.Namespaces[2].Links[1].ParentIndex = 5
				return topo
			},
			wantPairs:    []VethPair{{A: Endpoint{1, 5, "vethA"}, B: Endpoint{10, 2, "eth0"}}},
			wantUnpaired: []string{"1/6: points to ifindex 5", "20/2: points to ifindex 2 in net:[10]"},
		},
		{
			name: "peer is not a veth",
			topo: func() *Topology {
				topo := twoContainers()
				topo.Namespaces[2].Links[1].Type = "macvlan"
				return topo
			},
			wantPairs:    []VethPair{{A: Endpoint{1, 5, "vethA"}, B: Endpoint{10, 2, "eth0"}}},
			wantUnpaired: []string{"1/6: is a macvlan"},
		},
		{
			name: "peer's own netnsid unresolved: its ifindex suffices",
			topo: func() *Topology {
				topo := twoContainers()
				topo.Namespaces[2].NetNSIDs = nil
				return topo
			},
			wantPairs: []VethPair{
				{A: Endpoint{1, 5, "vethA"}, B: Endpoint{10, 2, "eth0"}},
				{A: Endpoint{1, 6, "vethB"}, B: Endpoint{20, 2, "eth0"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			topo := tt.topo()
			resolve(topo)
			want := tt.wantPairs
			if want == nil {
				want = []VethPair{}
			}
			if !reflect.DeepEqual(topo.Veths, want) {
				t.Errorf("Veths = %+v; want %+v", topo.Veths, want)
			}
			if len(topo.Unpaired) != len(tt.wantUnpaired) {
				t.Fatalf("Unpaired = %+v; want %d entries %q", topo.Unpaired, len(tt.wantUnpaired), tt.wantUnpaired)
			}
			for i, u := range topo.Unpaired {
				id, reason, _ := strings.Cut(tt.wantUnpaired[i], ": ")
				got := strconvEnd(u.End)
				if got != id || !strings.Contains(u.Reason, reason) {
					t.Errorf("Unpaired[%d] = %s %q; want %s containing %q", i, got, u.Reason, id, reason)
				}
			}
		})
	}
}

func strconvEnd(e Endpoint) string { return fmt.Sprintf("%d/%d", e.NetNS, e.IfIndex) }

func TestBridges(t *testing.T) {
	topo := twoContainers()
	resolve(topo)
	want := []Bridge{{
		Bridge: Endpoint{1, 3, "br0"},
		Ports:  []Endpoint{{1, 5, "vethA"}, {1, 6, "vethB"}},
	}}
	if !reflect.DeepEqual(topo.Bridges, want) {
		t.Errorf("Bridges = %+v; want %+v", topo.Bridges, want)
	}
}

func TestContainerInterfaces(t *testing.T) {
	topo := twoContainers()
	resolve(topo)
	got := ContainerInterfaces(topo, 10)
	want := []Interface{
		{Name: "lo", IfIndex: 1, Type: "device", Addrs: []string{"127.0.0.1/8"}},
		{Name: "eth0", IfIndex: 2, Type: "veth", Addrs: []string{"10.1.0.2/24"},
			Peer: &Peer{NetNS: 1, Label: "host", Name: "vethA", IfIndex: 5, Master: "br0", MasterIfIndex: 3}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ContainerInterfaces(10) =\n%+v\nwant\n%+v", got, want)
	}
	if got := ContainerInterfaces(topo, 20)[1].Peer; got == nil || got.Name != "vethB" {
		t.Errorf("ContainerInterfaces(20) eth0 peer = %+v; want vethB", got)
	}
	if got := ContainerInterfaces(topo, 99); got != nil {
		t.Errorf("ContainerInterfaces(99) = %+v; want nil", got)
	}
}

func TestNames(t *testing.T) {
	for _, tt := range []struct {
		state int
		want  string
	}{{0, "NONE"}, {0x02, "REACHABLE"}, {0x20, "FAILED"}, {0x80, "PERMANENT"}, {0x41, "INCOMPLETE NOARP"}, {0x300, "0x300"}} {
		if got := NeighStateName(tt.state); got != tt.want {
			t.Errorf("NeighStateName(%#x) = %q; want %q", tt.state, got, tt.want)
		}
	}
	for s, want := range map[uint8]string{0: "disabled", 3: "forwarding", 4: "blocking", 9: "state-9"} {
		if got := PortStateName(s); got != want {
			t.Errorf("PortStateName(%d) = %q; want %q", s, got, want)
		}
	}
}
