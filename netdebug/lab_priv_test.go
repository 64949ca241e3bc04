//go:build linux

package netdebug

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/inspect"
	"github.com/ctx-tools/ctx/inspect/hostfs"
	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

// lab builds throwaway network namespaces named ctxtest-PID-*, each held by
// a bind mount and, when asked, by a chrooted busybox sleep whose
// /etc/resolv.conf the test chooses. Every namespace, process and fd is
// removed in t.Cleanup, failed or not. Addresses are 10.213.x.y; traffic
// never leaves the lab's veths.
type lab struct {
	t      *testing.T
	root   hostfs.Root
	prefix string
	inos   map[string]uint64 // short name -> inode
	roots  map[string]string // resolv.conf variant -> rootfs
}

func newLab(t *testing.T) *lab {
	t.Helper()
	hostfstest.RequirePrivileged(t)
	for _, tool := range []string{"ip", "nsenter"} {
		hostfstest.RequireTool(t, "privileged", tool)
	}
	if _, err := os.Stat("/bin/busybox"); err != nil {
		hostfstest.Gate(t, "privileged: needs /bin/busybox (Debian package busybox-static) for the lab's processes")
	}
	return &lab{t: t, root: liveRoot(t), prefix: fmt.Sprintf("ctxtest-%d-", os.Getpid()),
		inos: map[string]uint64{}, roots: map[string]string{}}
}

func (l *lab) full(name string) string { return l.prefix + name }

// netns makes a named namespace and deletes it in cleanup.
func (l *lab) netns(name string) {
	l.t.Helper()
	full := l.full(name)
	ipCmd(l.t, "netns", "add", full)
	l.t.Cleanup(func() {
		if _, err := os.Stat("/run/netns/" + full); err != nil {
			return // already deleted by the test
		}
		if out, err := exec.Command("ip", "netns", "del", full).CombinedOutput(); err != nil {
			l.t.Errorf("ip netns del %s: %v\n%s", full, err, out)
		}
	})
	var st unix.Stat_t
	if err := unix.Stat("/run/netns/"+full, &st); err != nil {
		l.t.Fatal(err)
	}
	l.inos[name] = st.Ino
}

// batch runs ip -n NS -batch - over lines.
func (l *lab) batch(name string, lines ...string) {
	l.t.Helper()
	cmd := exec.Command("ip", "-n", l.full(name), "-batch", "-")
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		l.t.Fatalf("ip -n %s -batch: %v\n%s\n%s", l.full(name), err, out, strings.Join(lines, "\n"))
	}
}

// exec runs a command inside the namespace (ip netns exec).
func (l *lab) exec(name string, args ...string) {
	l.t.Helper()
	out, err := exec.Command("ip", append([]string{"netns", "exec", l.full(name)}, args...)...).CombinedOutput()
	if err != nil {
		l.t.Fatalf("ip netns exec %s %s: %v\n%s", l.full(name), strings.Join(args, " "), err, out)
	}
}

// sysctl writes a /proc/sys/net value inside the namespace.
func (l *lab) sysctl(name, path, value string) {
	l.t.Helper()
	l.exec(name, "sh", "-c", "echo "+value+" > /proc/sys/net/"+path)
}

// rootfs returns a directory holding /bin/busybox and an /etc/resolv.conf:
// "good" names 10.213.250.1, "loopback" 127.0.0.53, "dangling" is a
// symlink to a file that does not exist in that root.
func (l *lab) rootfs(variant string) string {
	l.t.Helper()
	if dir, ok := l.roots[variant]; ok {
		return dir
	}
	dir := l.t.TempDir()
	for _, d := range []string{"bin", "etc"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			l.t.Fatal(err)
		}
	}
	copyFile(l.t, "/bin/busybox", filepath.Join(dir, "bin", "busybox"), 0o755)
	resolv := filepath.Join(dir, "etc", "resolv.conf")
	var err error
	switch variant {
	case "good":
		err = os.WriteFile(resolv, []byte("nameserver 10.213.250.1\nsearch lab.test\n"), 0o644)
	case "loopback":
		err = os.WriteFile(resolv, []byte("nameserver 127.0.0.53\noptions edns0\n"), 0o644)
	case "dangling":
		err = os.Symlink("/run/systemd/resolve/stub-resolv.conf", resolv)
	default:
		l.t.Fatalf("no rootfs variant %q", variant)
	}
	if err != nil {
		l.t.Fatal(err)
	}
	l.roots[variant] = dir
	return dir
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

// hold starts a busybox sleep inside the namespace, chrooted into the
// variant's rootfs, and kills it in cleanup. It returns its PID.
func (l *lab) hold(name, variant string) int {
	l.t.Helper()
	cmd := exec.Command("nsenter", "--net=/run/netns/"+l.full(name), "--root="+l.rootfs(variant), "/bin/busybox", "sleep", "600")
	if err := cmd.Start(); err != nil {
		l.t.Fatal(err)
	}
	l.t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	// nsenter execs the sleep: wait until the process is in the namespace.
	deadline := time.Now().Add(5 * time.Second)
	for {
		var st unix.Stat_t
		if unix.Stat(l.root.PID(cmd.Process.Pid, "ns", "net"), &st) == nil && st.Ino == l.inos[name] {
			if target, err := os.Readlink(l.root.PID(cmd.Process.Pid, "exe")); err == nil && strings.HasSuffix(target, "busybox") {
				return cmd.Process.Pid
			}
		}
		if time.Now().After(deadline) {
			l.t.Fatalf("the sleep in %s never entered it", name)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// hubOpts shape one hub lab.
type hubOpts struct {
	containers int
	uplinkMTU  int
	stp        bool
	dns        string // rootfs variant of the containers' processes; "none" for no process
}

// hub builds lab K: hub namespace NAME-h with bridge br0 (mtu 1500, set
// explicitly so ports don't move it) at 10.213.K.1/24 and forwarding on;
// an uplink veth up0 to NAME-x (10.213.100+K.0/24, X forwards and is the
// hub's default gateway); and containers NAME-c1.. whose eth0 (ifindex
// varies, the name never does) is a veth into br0, 10.213.K.(10+i)/24,
// default via br0. Each namespace is held by a process unless dns is "none".
func (l *lab) hub(name string, k int, o hubOpts) {
	l.t.Helper()
	if o.uplinkMTU == 0 {
		o.uplinkMTU = 1500
	}
	if o.dns == "" {
		o.dns = "good"
	}
	h, x := name+"-h", name+"-x"
	l.netns(h)
	l.netns(x)
	brAdd := "link add br0 type bridge"
	if o.stp {
		brAdd += " stp_state 1 forward_delay 3000"
	}
	up := fmt.Sprintf("10.213.%d", 100+k)
	// Two MTU changes mark the bridge's MTU as set by the user: a no-op
	// set would not, and ports would then pull the bridge down to theirs.
	l.batch(h, brAdd, "link set br0 mtu 1280", "link set br0 mtu 1500", fmt.Sprintf("addr add 10.213.%d.1/24 dev br0", k), "link set br0 up",
		fmt.Sprintf("link add up0 mtu %d type veth peer name down0 mtu %d netns %s", o.uplinkMTU, o.uplinkMTU, l.full(x)),
		"addr add "+up+".2/24 dev up0", "link set up0 up", "route add default via "+up+".1")
	l.batch(x, "addr add "+up+".1/24 dev down0", "link set down0 up")
	l.sysctl(h, "ipv4/ip_forward", "1")
	l.sysctl(x, "ipv4/ip_forward", "1")
	l.hold(h, "good")
	l.hold(x, "good")
	for i := 1; i <= o.containers; i++ {
		c := fmt.Sprintf("%s-c%d", name, i)
		l.netns(c)
		l.batch(h, fmt.Sprintf("link add vh%d type veth peer name eth0 netns %s", i, l.full(c)), fmt.Sprintf("link set vh%d master br0 up", i))
		l.batch(c, "link set eth0 up", fmt.Sprintf("addr add 10.213.%d.%d/24 dev eth0", k, 10+i), fmt.Sprintf("route add default via 10.213.%d.1", k))
		if o.dns != "none" {
			l.hold(c, o.dns)
		}
	}
}

// snapshot reads the lab's namespaces, found the way ctx finds every
// namespace (processes, bind mounts, fds), minus those in hide.
func (l *lab) snapshot(extra map[string]uint64, hide ...string) *Topology {
	l.t.Helper()
	set, err := inspect.Namespaces(l.root, inspect.ScanOptions{Types: []string{"net"}})
	if err != nil {
		l.t.Fatal(err)
	}
	want := map[uint64]bool{}
	for name, ino := range l.inos {
		want[ino] = true
		for _, h := range hide {
			if h == name {
				want[ino] = false
			}
		}
	}
	for _, ino := range extra {
		want[ino] = true
	}
	var nets []NetNS
	for _, n := range FromInspect(set.Namespaces) {
		if want[n.Ino] {
			nets = append(nets, n)
			delete(want, n.Ino)
		}
	}
	for ino, w := range want {
		if w {
			l.t.Fatalf("discovery missed lab namespace net:[%d]", ino)
		}
	}
	topo, err := SnapshotWith(l.root, nets, SnapshotOptions{State: true})
	if err != nil {
		l.t.Fatal(err)
	}
	for _, w := range topo.Warnings {
		l.t.Logf("warning: %s", w)
	}
	return topo
}

// labOf maps a namespace inode back to its lab: "mtuveth-c1" -> "mtuveth".
func (l *lab) labOf(ino uint64) string {
	for name, i := range l.inos {
		if i == ino {
			return name[:strings.LastIndexByte(name, '-')]
		}
	}
	return fmt.Sprintf("net:[%d]", ino)
}
