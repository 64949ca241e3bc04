//go:build linux

package netdebug

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/inspect"
	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

// TestDockerBridgePeer starts a container on Docker's default bridge and
// checks that its eth0 pairs with the host veth that iproute2 and the
// container's own /sys/class/net/eth0/iflink name, and that the veth's
// master is docker0.
func TestDockerBridgePeer(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	hostfstest.RequireDocker(t)
	hostfstest.RequireTool(t, "e2e", "ip")
	root := liveRoot(t)
	if _, err := os.Stat(root.Sys("class", "net", "docker0")); err != nil {
		hostfstest.Gate(t, "e2e: no docker0 bridge on this host (dockerd --bridge=none, or no bridge module): "+err.Error())
	}

	id := hostfstest.DockerRun(t, hostfstest.TestImage(t))
	pid, err := strconv.Atoi(hostfstest.Docker(t, "inspect", "--format", "{{.State.Pid}}", id))
	if err != nil {
		t.Fatal(err)
	}
	// Evidence from inside the container: its sysfs is mounted in its netns.
	ctrIndex := atoi(t, hostfstest.Docker(t, "exec", id, "cat", "/sys/class/net/eth0/ifindex"))
	ctrIflink := atoi(t, hostfstest.Docker(t, "exec", id, "cat", "/sys/class/net/eth0/iflink"))

	var st unix.Stat_t
	if err := unix.Stat(root.PID(pid, "ns", "net"), &st); err != nil {
		t.Fatal(err)
	}
	ctrIno := st.Ino
	// The host veth is in dockerd's netns, which this test shares. (PID 1
	// may refuse even root: on some test VMs it is a supervisor.)
	if err := unix.Stat(root.Proc("self", "ns", "net"), &st); err != nil {
		t.Fatal(err)
	}
	hostIno := st.Ino

	set, err := inspect.Namespaces(root, inspect.ScanOptions{Types: []string{"net"}})
	if err != nil {
		t.Fatal(err)
	}
	topo, err := Snapshot(root, FromInspect(set.Namespaces))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range topo.Warnings {
		t.Logf("warning: %s", w)
	}
	if topo.Namespace(ctrIno) == nil || topo.Namespace(hostIno) == nil {
		t.Fatalf("snapshot lacks the container's net:[%d] or the host's net:[%d]", ctrIno, hostIno)
	}

	var eth0 *Interface
	ifs := ContainerInterfaces(topo, ctrIno)
	for i := range ifs {
		if ifs[i].Name == "eth0" {
			eth0 = &ifs[i]
		}
	}
	if eth0 == nil {
		t.Fatalf("container interfaces = %+v; want eth0", ifs)
	}
	if eth0.IfIndex != ctrIndex {
		t.Errorf("eth0 ifindex = %d; want %d (container sysfs)", eth0.IfIndex, ctrIndex)
	}
	p := eth0.Peer
	if p == nil {
		t.Fatalf("eth0 has no peer; unpaired %+v", topo.Unpaired)
	}
	if p.NetNS != hostIno || p.IfIndex != ctrIflink || p.Master != "docker0" || !strings.HasPrefix(p.Name, "veth") {
		t.Errorf("eth0 peer = %+v; want a veth* with ifindex %d in host net:[%d] on docker0", *p, ctrIflink, hostIno)
	}

	// Evidence from the host: ip -j link shows the same veth, on docker0,
	// pointing at the container's eth0 through the id the host gives it.
	var host *ipLink
	for _, l := range ipLinks(t, "link", "show") {
		if l.IfIndex == p.IfIndex {
			host = &l
		}
	}
	if host == nil {
		t.Fatalf("ip link shows no ifindex %d", p.IfIndex)
	}
	if host.IfName != p.Name || host.Master != "docker0" || host.LinkIndex != ctrIndex {
		t.Errorf("ip link: %+v; want %s on docker0 with link_index %d", *host, p.Name, ctrIndex)
	}
	nsid, err := NetNSID(root, root.PID(pid, "ns", "net"))
	if err != nil {
		t.Fatal(err)
	}
	if nsid == nil || host.LinkNetNSID == nil || *nsid != *host.LinkNetNSID {
		t.Errorf("NetNSID(container) = %s; want %s (ip's link_netnsid)", ptrStr(nsid), ptrStr(host.LinkNetNSID))
	}
	if label := topo.Namespace(ctrIno).Label; !strings.Contains(label, id[:12]) && !strings.HasPrefix(label, "docker:") {
		t.Logf("container netns label %q does not name the container", label)
	}
}

// requireE2E skips with reason, or fails under CTX_TEST_REQUIRE=all as the
// hostfstest gates do.
func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		t.Fatal(err)
	}
	return n
}
