//go:build linux

package netdebug

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/ctx-tools/ctx/inspect"
	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

// TestSnapshotHost reads every network namespace of this host, read-only,
// and checks invariants that hold whatever runs here: each veth end is
// paired at most once, pairs name existing links, and the JSON round-trips.
func TestSnapshotHost(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	hostfstest.NoFDLeak(t)
	root := liveRoot(t)
	set, err := inspect.Namespaces(root, inspect.ScanOptions{Types: []string{"net"}})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	topo, err := Snapshot(root, FromInspect(set.Namespaces))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d namespaces, %d veth pairs, %d unpaired, %d bridges, %d warnings in %s",
		len(topo.Namespaces), len(topo.Veths), len(topo.Unpaired), len(topo.Bridges), len(topo.Warnings), time.Since(start))
	for _, w := range topo.Warnings {
		t.Logf("warning: %s", w)
	}
	for _, u := range topo.Unpaired {
		t.Logf("unpaired: %+v", u)
	}

	links, _ := topo.index()
	seen := map[key]bool{}
	for _, p := range topo.Veths {
		for _, e := range []Endpoint{p.A, p.B} {
			k := key{e.NetNS, e.IfIndex}
			if seen[k] {
				t.Errorf("%+v is in two pairs", e)
			}
			seen[k] = true
			if l := links[k]; l == nil || l.Name != e.Name || l.Type != "veth" {
				t.Errorf("pair end %+v names link %+v", e, l)
			}
		}
		if !less(p.A, p.B) {
			t.Errorf("pair %+v: A is not the lower end", p)
		}
	}

	b, err := json.Marshal(topo)
	if err != nil {
		t.Fatal(err)
	}
	var back Topology
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, topo) {
		t.Errorf("topology does not survive a JSON round trip")
	}
}
