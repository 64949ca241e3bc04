package netdebug

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// State is what the checks need from one network namespace beyond its
// links and routes: sysctls, conntrack counters, the netfilter FORWARD
// chains and the UDP sockets on port 53. A nil field was not readable; the
// reason is in the topology's warnings.
type State struct {
	// IPForward is net.ipv4.ip_forward; IPv6Forward is
	// net.ipv6.conf.all.forwarding.
	IPForward   *int `json:"ipForward,omitempty"`
	IPv6Forward *int `json:"ipv6Forward,omitempty"`
	// RPFilter maps "all", "default" and each interface name to its
	// net.ipv4.conf.NAME.rp_filter: 0 off, 1 strict, 2 loose. The value
	// in effect on an interface is max(all, NAME).
	RPFilter map[string]int `json:"rpFilter,omitempty"`
	// BridgeNFCallIPTables is net.bridge.bridge-nf-call-iptables, and
	// BridgeNFCallIP6Tables its IPv6 twin: nil when br_netfilter is not
	// loaded, so bridged traffic never meets iptables.
	BridgeNFCallIPTables  *int       `json:"bridgeNfCallIptables,omitempty"`
	BridgeNFCallIP6Tables *int       `json:"bridgeNfCallIp6tables,omitempty"`
	Conntrack             *Conntrack `json:"conntrack,omitempty"`
	// Forward lists the IPv4 base chains on the netfilter forward hook,
	// from nftables (iptables-nft included) and legacy iptables. Nil
	// means unknown: ForwardUnknown says why.
	Forward        []ForwardChain `json:"forward"`
	ForwardUnknown string         `json:"forwardUnknown,omitempty"`
	// DNSListeners are the local addresses with a UDP socket bound to
	// port 53 ("0.0.0.0" for any), from /proc/net/udp and udp6.
	DNSListeners []string `json:"dnsListeners,omitempty"`
	// Qdiscs are the queueing disciplines of every interface, from one
	// RTM_GETQDISC dump; nil when the dump failed.
	Qdiscs []Qdisc `json:"qdiscs"`
}

// Conntrack is the connection-tracking table of a namespace. Counters are
// summed over CPUs and count since boot (or since the namespace was made).
type Conntrack struct {
	Count        int64  `json:"count"`
	Max          int64  `json:"max"`
	InsertFailed uint64 `json:"insertFailed"`
	Drop         uint64 `json:"drop"`
	EarlyDrop    uint64 `json:"earlyDrop"`
}

// ForwardChain is one base chain on the IPv4 (or inet) forward hook.
type ForwardChain struct {
	// Backend is "nftables" (which iptables-nft also writes) or
	// "iptables-legacy".
	Backend string `json:"backend"`
	// Name is FAMILY TABLE CHAIN: "ip filter FORWARD".
	Name string `json:"name"`
	// Policy is "accept" or "drop".
	Policy string `json:"policy"`
	// PolicyPackets counts the packets the policy decided, when the
	// chain keeps counters.
	PolicyPackets *uint64 `json:"policyPackets,omitempty"`
	// Interfaces are the interface names the chain's rules match on
	// (iifname/oifname, -i/-o): a sign of which bridges it handles.
	Interfaces []string `json:"interfaces,omitempty"`
}

// parseSysctlInt parses a one-number sysctl file.
func parseSysctlInt(b []byte) (int, error) {
	s := strings.TrimSpace(string(b))
	if f := strings.Fields(s); len(f) > 0 {
		s = f[0]
	}
	return strconv.Atoi(s)
}

// parseConntrackStat sums the per-CPU counters of
// /proc/net/stat/nf_conntrack: a header line of names, then one line of
// hex values per CPU (net/netfilter/nf_conntrack_standalone.c).
func parseConntrackStat(b []byte) (insertFailed, drop, earlyDrop uint64, err error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	if !sc.Scan() {
		return 0, 0, 0, fmt.Errorf("nf_conntrack stat: empty")
	}
	cols := map[string]int{}
	for i, name := range strings.Fields(sc.Text()) {
		cols[name] = i
	}
	want := []string{"insert_failed", "drop", "early_drop"}
	for _, w := range want {
		if _, ok := cols[w]; !ok {
			return 0, 0, 0, fmt.Errorf("nf_conntrack stat: no %s column", w)
		}
	}
	var sums [3]uint64
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		for i, w := range want {
			c := cols[w]
			if c >= len(f) {
				return 0, 0, 0, fmt.Errorf("nf_conntrack stat: short line %q", sc.Text())
			}
			v, err := strconv.ParseUint(f[c], 16, 64)
			if err != nil {
				return 0, 0, 0, fmt.Errorf("nf_conntrack stat: %s: %w", w, err)
			}
			sums[i] += v
		}
	}
	return sums[0], sums[1], sums[2], sc.Err()
}

// parseUDPListeners returns the local addresses bound to UDP port 53 in a
// /proc/net/udp or udp6 file: "0100007F:0035" is 127.0.0.1:53, each 32-bit
// word of the address in host byte order.
func parseUDPListeners(b []byte, order binary.ByteOrder) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Scan() // header
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		addr, port, ok := strings.Cut(f[1], ":")
		if !ok {
			continue
		}
		if p, err := strconv.ParseUint(port, 16, 16); err != nil || p != 53 {
			continue
		}
		raw, err := hex.DecodeString(addr)
		if err != nil || (len(raw) != 4 && len(raw) != 16) {
			continue
		}
		ip := make(net.IP, len(raw))
		for i := 0; i < len(raw); i += 4 {
			binary.BigEndian.PutUint32(ip[i:], order.Uint32(raw[i:]))
		}
		out = append(out, ip.String())
	}
	return out
}

// parseTablesNames parses /proc/net/ip_tables_names: the legacy iptables
// tables registered in the namespace, one per line.
func parseTablesNames(b []byte) []string {
	return strings.Fields(string(b))
}
