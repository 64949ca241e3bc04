package inspect_test

import (
	"testing"

	"github.com/ctx-tools/ctx/inspect"
	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

func TestNamespacesFixture(t *testing.T) {
	root := hostfstest.Fixture(t, "docker-v1")
	set, err := inspect.Namespaces(root, inspect.ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	byIno := map[uint64]*inspect.Namespace{}
	for _, ns := range set.Namespaces {
		byIno[ns.Ino] = ns
	}
	tests := []struct {
		ino       uint64
		typ       string
		nprocs    int
		pid       int // lowest member, 0 for none
		container string
		holder    string // one holder that must be present, "" for none
	}{
		{4026531833, "net", 5, 1, "", ""},
		{4026531837, "user", 8, 1, "", ""},
		{4026532605, "net", 3, 4242, "docker:aabbccddeeff", "bind:/run/docker/netns/1f2e3d4c5b6a"},
		{4026532604, "pid", 2, 4242, "docker:aabbccddeeff", ""},
		{4026532704, "pid", 1, 4300, "docker:0123456789ab", ""},
		{4026532900, "net", 0, 0, "", "bind:/run/netns/blue"},
		{4026532800, "pid", 0, 0, "", "pid_for_children:6000"},
	}
	for _, tt := range tests {
		ns := byIno[tt.ino]
		if ns == nil {
			t.Errorf("namespace %d missing", tt.ino)
			continue
		}
		if ns.Type != tt.typ || ns.NProcs != tt.nprocs {
			t.Errorf("ns %d = %s nprocs %d; want %s nprocs %d", tt.ino, ns.Type, ns.NProcs, tt.typ, tt.nprocs)
		}
		gotPID, gotC := 0, ""
		if ns.Process != nil {
			gotPID, gotC = ns.Process.PID, ns.Process.Container.Label()
		}
		if gotPID != tt.pid || gotC != tt.container {
			t.Errorf("ns %d process = %d %q; want %d %q", tt.ino, gotPID, gotC, tt.pid, tt.container)
		}
		if tt.holder != "" && !hasHolder(ns, tt.holder) {
			t.Errorf("ns %d holders = %v; want %s among them", tt.ino, ns.Holders, tt.holder)
		}
	}
	// 8 host + 6 of A + 5 of B (net shared) + blue + pending pid.
	if got, want := len(set.Namespaces), 8+6+5+2; got != want {
		t.Errorf("found %d namespaces; want %d", got, want)
	}
	if len(set.Warnings) != 0 {
		t.Errorf("warnings = %q; want none", set.Warnings)
	}
}

func TestNamespacesFixtureTypeFilter(t *testing.T) {
	set, err := inspect.Namespaces(hostfstest.Fixture(t, "docker-v1"), inspect.ScanOptions{Types: []string{"net"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Namespaces) != 3 {
		t.Fatalf("got %d net namespaces; want 3", len(set.Namespaces))
	}
	for _, ns := range set.Namespaces {
		if ns.Type != "net" {
			t.Errorf("type filter let %s %d through", ns.Type, ns.Ino)
		}
	}
}

func TestNamespacesVanishedProcess(t *testing.T) {
	// A process whose directory exists but whose links are gone (a zombie,
	// or one reaped mid-scan) is skipped without a warning.
	root := hostfstest.New(t, map[string]string{
		"proc/1/ns/net":  "-> net:[4026531993]",
		"proc/1/status":  "Name:\tinit\nPPid:\t0\nUid:\t0\t0\t0\t0\n",
		"proc/1/comm":    "init\n",
		"proc/77/status": "Name:\tzombie\nState:\tZ (zombie)\nPPid:\t1\nUid:\t0\t0\t0\t0\nNSpid:\t77\n",
		"proc/77/ns/":    "",
		"proc/78/":       "", // gone entirely: no status, no links
	})
	set, err := inspect.Namespaces(root, inspect.ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Namespaces) != 1 || set.Namespaces[0].NProcs != 1 {
		t.Errorf("got %+v; want the one namespace of PID 1", set.Namespaces)
	}
	if len(set.Warnings) != 0 {
		t.Errorf("warnings = %q; want none for vanished processes", set.Warnings)
	}
}

func TestTreeParent(t *testing.T) {
	set, err := inspect.Namespaces(hostfstest.Fixture(t, "docker-v1"), inspect.ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	order, depth := set.Tree("process")
	if len(order) != len(set.Namespaces) || len(depth) != len(order) {
		t.Fatalf("tree has %d rows; want %d", len(order), len(set.Namespaces))
	}
	// Container A's processes descend from 4220, unknown here, so A's
	// namespaces are roots; 4250's parent 4242 makes nothing deeper since
	// they share namespaces. The dockerd mount ns is the host's.
	for i, ns := range order {
		if depth[i] < 0 {
			t.Errorf("negative depth for %d", ns.Ino)
		}
	}
}

func hasHolder(ns *inspect.Namespace, want string) bool {
	for _, h := range ns.Holders {
		if h.String() == want {
			return true
		}
	}
	return false
}
