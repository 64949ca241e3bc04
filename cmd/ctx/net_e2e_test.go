package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
	"github.com/ctx-tools/ctx/netdebug"
)

// netContainer is one test container and what the test knows about it from
// Docker and from inside it.
type netContainer struct {
	name, network string
	pid           int
	netns         uint64
	// ifindex and iflink of eth0, read from the container's own sysfs:
	// iflink is the host veth's ifindex.
	ifindex, iflink int
	bridge          string
}

// TestNetDocker runs containers on the default bridge, on two user-defined
// networks and with --network none, then checks ctx net against evidence
// gathered inside the containers: each eth0 pairs with the host veth whose
// ifindex the container's /sys/class/net/eth0/iflink names, on the right
// bridge; the none container and both networks are shown; the JSON
// parses, Graphviz renders the DOT, and show and check work on a name.
func TestNetDocker(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	hostfstest.RequireDocker(t)
	img := hostfstest.TestImage(t)
	pid := os.Getpid()

	networks := map[string]string{}
	for i, subnet := range []string{"10.213.61.0/24", "10.213.62.0/24"} {
		name := fmt.Sprintf("ctxtest-net%d-%d", i+1, pid)
		id := hostfstest.Docker(t, "network", "create", "--label", "ctx-test=1", "--subnet", subnet, name)
		t.Cleanup(func() {
			if out, err := dockerTry("network", "rm", name); err != nil {
				t.Errorf("docker network rm %s: %v: %s", name, err, out)
			}
		})
		networks[name] = "br-" + id[:12]
	}
	var cs []*netContainer
	add := func(role, network string) *netContainer {
		c := &netContainer{name: fmt.Sprintf("ctxtest-%s-%d", role, pid), network: network}
		args := []string{"--name", c.name}
		if network != "" {
			args = append(args, "--network", network)
		}
		hostfstest.DockerRun(t, append(args, img)...)
		var err error
		if c.pid, err = strconv.Atoi(hostfstest.Docker(t, "inspect", "--format", "{{.State.Pid}}", c.name)); err != nil {
			t.Fatal(err)
		}
		var st unix.Stat_t
		if err := unix.Stat(fmt.Sprintf("/proc/%d/ns/net", c.pid), &st); err != nil {
			t.Fatal(err)
		}
		c.netns = st.Ino
		switch network {
		case "none":
			return c
		case "":
			c.bridge = "docker0"
		default:
			c.bridge = networks[network]
		}
		c.ifindex = atoiT(t, hostfstest.Docker(t, "exec", c.name, "cat", "/sys/class/net/eth0/ifindex"))
		c.iflink = atoiT(t, hostfstest.Docker(t, "exec", c.name, "cat", "/sys/class/net/eth0/iflink"))
		cs = append(cs, c)
		return c
	}
	add("bridge1", "")
	add("bridge2", "")
	none := add("none", "none")
	var user []*netContainer
	for name := range networks {
		user = append(user, add("user"+name[len("ctxtest-net"):len("ctxtest-net")+1], name))
	}
	var st unix.Stat_t
	if err := unix.Stat("/proc/self/ns/net", &st); err != nil {
		t.Fatal(err)
	}
	hostNS := st.Ino

	out, errOut, code := ctxRun(t, nil, "net", "topo", "-o", "json")
	if code != 0 {
		t.Fatalf("ctx net topo -o json: exit %d: %s", code, errOut)
	}
	var doc struct {
		Kind string            `json:"kind"`
		Item netdebug.Topology `json:"item"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || doc.Kind != "NetworkTopology" {
		t.Fatalf("ctx net topo -o json: kind %q, %v", doc.Kind, err)
	}
	topo := &doc.Item
	host := topo.Namespace(hostNS)
	if host == nil {
		t.Fatalf("the host's net:[%d] is missing", hostNS)
	}
	for _, c := range cs {
		var peer *netdebug.Endpoint
		for _, p := range topo.Veths {
			switch {
			case p.A.NetNS == c.netns && p.A.IfIndex == c.ifindex:
				peer = &p.B
			case p.B.NetNS == c.netns && p.B.IfIndex == c.ifindex:
				peer = &p.A
			}
		}
		if peer == nil {
			t.Errorf("%s: eth0 (net:[%d], ifindex %d) is not paired", c.name, c.netns, c.ifindex)
			continue
		}
		if peer.NetNS != hostNS || peer.IfIndex != c.iflink {
			t.Errorf("%s: eth0 pairs with ifindex %d in net:[%d]; the container's iflink says %d in the host's net:[%d]",
				c.name, peer.IfIndex, peer.NetNS, c.iflink, hostNS)
		}
		master := ""
		if l := host.Link(peer.IfIndex); l != nil && l.MasterIndex != 0 {
			if m := host.Link(l.MasterIndex); m != nil {
				master = m.Name
			}
		}
		if master != c.bridge {
			t.Errorf("%s: host veth %s is on %q; want %q", c.name, peer.Name, master, c.bridge)
		}
	}
	// --network none: shown, with lo only.
	if ns := topo.Namespace(none.netns); ns == nil {
		t.Errorf("the --network none container's net:[%d] is missing", none.netns)
	} else if len(ns.Links) != 1 || ns.Links[0].Name != "lo" {
		t.Errorf("the --network none namespace has %+v; want lo only", ns.Links)
	}
	// Both user-defined networks: a bridge each, with its container's port.
	for name, br := range networks {
		found := false
		for _, b := range topo.Bridges {
			if b.Bridge.NetNS == hostNS && b.Bridge.Name == br {
				found = len(b.Ports) == 1
			}
		}
		if !found {
			t.Errorf("network %s: no bridge %s with one port in %+v", name, br, topo.Bridges)
		}
	}

	// ctx net ls names the none container.
	out, errOut, code = ctxRun(t, nil, "net", "ls", "-o", "json")
	var ls struct {
		Items []struct {
			NS    uint64 `json:"ns"`
			Label string `json:"label"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(out), &ls); err != nil || code != 0 {
		t.Fatalf("ctx net ls -o json: exit %d, %v: %s", code, err, errOut)
	}
	labelled := false
	for _, it := range ls.Items {
		if it.NS == none.netns {
			labelled = strings.Contains(it.Label, none.name) || strings.Contains(it.Label, "docker:")
		}
	}
	if !labelled {
		t.Errorf("ctx net ls does not list the none container's net:[%d] by container", none.netns)
	}
	for _, format := range []string{"table", "tree"} {
		if out, _, _ := ctxRun(t, nil, "net", "topo", "--format", format); !strings.Contains(out, strconv.FormatUint(none.netns, 10)) {
			t.Errorf("ctx net topo --format %s does not show the none container's net:[%d]:\n%s", format, none.netns, out)
		}
	}

	// DOT renders with Graphviz; Mermaid is a flowchart.
	if _, err := exec.LookPath("dot"); err != nil {
		hostfstest.Gate(t, "e2e: needs dot in PATH (Debian package graphviz) to render ctx net topo --format dot")
	}
	dot, errOut, code := ctxRun(t, nil, "net", "topo", "--format", "dot")
	if code != 0 {
		t.Fatalf("ctx net topo --format dot: exit %d: %s", code, errOut)
	}
	render := exec.Command("dot", "-Tsvg")
	render.Stdin = strings.NewReader(dot)
	var stderr bytes.Buffer
	render.Stderr = &stderr
	svg, err := render.Output()
	if err != nil || stderr.Len() != 0 || !bytes.Contains(svg, []byte("<svg")) {
		t.Errorf("dot -Tsvg: %v, stderr %q", err, stderr.String())
	}
	mermaid, _, code := ctxRun(t, nil, "net", "topo", "--format", "mermaid")
	if code != 0 || !strings.HasPrefix(mermaid, "flowchart LR\n") || !strings.Contains(mermaid, "<-->|veth|") {
		t.Errorf("ctx net topo --format mermaid: exit %d:\n%.300s", code, mermaid)
	}

	// show and check by container name, on a user-defined network.
	u := user[0]
	out, errOut, code = ctxRun(t, nil, "net", "show", u.name, "-o", "json")
	var show struct {
		Item struct {
			NetNS      uint64               `json:"netns"`
			Interfaces []netdebug.Interface `json:"interfaces"`
			DNS        *netdebug.DNSConfig  `json:"dns"`
		} `json:"item"`
	}
	if err := json.Unmarshal([]byte(out), &show); err != nil || code != 0 {
		t.Fatalf("ctx net show %s: exit %d, %v: %s", u.name, code, err, errOut)
	}
	var eth0 *netdebug.Interface
	for i := range show.Item.Interfaces {
		if show.Item.Interfaces[i].Name == "eth0" {
			eth0 = &show.Item.Interfaces[i]
		}
	}
	if show.Item.NetNS != u.netns || eth0 == nil || eth0.Peer == nil || eth0.Peer.Master != u.bridge || eth0.Peer.IfIndex != u.iflink {
		t.Errorf("ctx net show %s: %+v; want eth0 paired with ifindex %d on %s", u.name, show.Item, u.iflink, u.bridge)
	}
	if d := show.Item.DNS; d == nil || d.Error != "" || strings.Join(d.Nameservers, ",") != "127.0.0.11" {
		t.Errorf("ctx net show %s: DNS %+v; want Docker's embedded 127.0.0.11", u.name, d)
	}
	out, errOut, code = ctxRun(t, nil, "net", "check", u.name, "-o", "json")
	var check struct {
		Items []netdebug.Finding `json:"items"`
	}
	if err := json.Unmarshal([]byte(out), &check); err != nil || (code != 0 && code != 3) {
		t.Fatalf("ctx net check %s: exit %d, %v: %s", u.name, code, err, errOut)
	}
	if (code == 3) != (len(check.Items) > 0) {
		t.Errorf("ctx net check %s: exit %d with %d findings", u.name, code, len(check.Items))
	}
	for _, f := range check.Items {
		t.Logf("finding: %s %s", f.Check, f.Message)
		if f.Check == "dns-loopback-resolver" || f.Check == "veth-no-master" || f.Check == "netns-no-process" {
			t.Errorf("a healthy container got %s: %s", f.Check, f.Message)
		}
	}
}

func atoiT(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		t.Fatal(err)
	}
	return n
}
