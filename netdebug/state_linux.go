package netdebug

import (
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"slices"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// inNetNS runs fn on an OS thread locked inside the network namespace fd
// opens, and moves the thread back afterwards. fn must open its files
// itself: /proc/sys/net is bound to the opener's namespace at open time,
// and /proc/thread-self/net follows the thread, where /proc/self/net
// follows the thread-group leader. A thread that cannot be moved back stays
// locked, so the runtime ends it with its goroutine.
func inNetNS(root hostfs.Root, fd int, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		self, err := unix.Open(root.Proc("thread-self", "ns", "net"), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("opening the thread's own netns: %w", err)
			return
		}
		defer unix.Close(self)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread() // never left its namespace
			errc <- fmt.Errorf("setns: %w", err)
			return
		}
		err = fn()
		if unix.Setns(self, unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		errc <- err
	}()
	return <-errc
}

// readState reads what the checks need from one namespace: sysctls and
// /proc/net files on a thread inside it, then its nftables forward chains
// over netlink. Unreadable parts stay nil and become warnings.
//
// Equivalent to: ip netns exec NS sh -c 'sysctl net.ipv4.ip_forward
// net.ipv4.conf.all.rp_filter net.bridge.bridge-nf-call-iptables ...;
// conntrack -S; iptables -L FORWARD -v; ss -ulnp sport = 53'.
//
// inside says the calling thread is locked inside o's namespace already.
func readState(root hostfs.Root, o openNS, inside bool, links []Link, name string, w *warnings) *State {
	st := &State{}
	var legacy []string
	read := func() error {
		sys := func(elem ...string) *int {
			b, err := hostfs.ReadFile(root.Proc(append([]string{"sys", "net"}, elem...)...))
			if err != nil {
				return nil
			}
			v, err := parseSysctlInt(b)
			if err != nil {
				return nil
			}
			return &v
		}
		st.IPForward = sys("ipv4", "ip_forward")
		st.IPv6Forward = sys("ipv6", "conf", "all", "forwarding")
		st.RPFilter = map[string]int{}
		for _, n := range append([]string{"all", "default"}, linkNames(links)...) {
			if v := sys("ipv4", "conf", n, "rp_filter"); v != nil {
				st.RPFilter[n] = *v
			}
		}
		st.BridgeNFCallIPTables = sys("bridge", "bridge-nf-call-iptables")
		st.BridgeNFCallIP6Tables = sys("bridge", "bridge-nf-call-ip6tables")

		if b, err := hostfs.ReadFile(root.Proc("sys", "net", "netfilter", "nf_conntrack_count")); err == nil {
			ct := &Conntrack{}
			if v, err := parseSysctlInt(b); err == nil {
				ct.Count = int64(v)
			}
			if v := sys("netfilter", "nf_conntrack_max"); v != nil {
				ct.Max = int64(*v)
			}
			if b, err := hostfs.ReadFile(root.Proc("thread-self", "net", "stat", "nf_conntrack")); err == nil {
				if ct.InsertFailed, ct.Drop, ct.EarlyDrop, err = parseConntrackStat(b); err != nil {
					w.add(fmt.Sprintf("%s: %v", name, err))
				}
			}
			st.Conntrack = ct
		}

		for _, f := range []string{"udp", "udp6"} {
			if b, err := hostfs.ReadFile(root.Proc("thread-self", "net", f)); err == nil {
				st.DNSListeners = append(st.DNSListeners, parseUDPListeners(b, binary.NativeEndian)...)
			}
		}

		if b, err := hostfs.ReadFile(root.Proc("thread-self", "net", "ip_tables_names")); err == nil {
			legacy = parseTablesNames(b)
		}
		if slices.Contains(legacy, "filter") {
			fc, err := legacyForward()
			if err != nil {
				st.ForwardUnknown = "legacy iptables filter table present, unreadable: " + err.Error()
				return nil
			}
			st.Forward = append(st.Forward, fc)
		}
		return nil
	}
	var err error
	if inside {
		err = read()
	} else {
		err = inNetNS(root, o.fd, read)
	}
	if err != nil {
		w.add(fmt.Sprintf("%s: reading sysctls: %v", name, describe(err)))
		return st
	}
	chains, err := nftForward(o.fd)
	if err != nil && !errors.Is(err, unix.ENOENT) {
		if st.ForwardUnknown == "" {
			st.ForwardUnknown = "nftables unreadable: " + err.Error()
		}
		w.add(fmt.Sprintf("%s: reading the netfilter forward chains: %v", name, describe(err)))
	}
	st.Forward = append(st.Forward, chains...)
	if st.Forward == nil && st.ForwardUnknown == "" {
		st.Forward = []ForwardChain{} // read: no forward filtering at all
	}
	return st
}

func linkNames(links []Link) []string {
	out := make([]string, 0, len(links))
	for _, l := range links {
		out = append(out, l.Name)
	}
	return out
}
