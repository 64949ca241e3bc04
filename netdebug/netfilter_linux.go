package netdebug

import (
	"fmt"
	"sort"
	"unsafe"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// Legacy iptables socket options (include/uapi/linux/netfilter_ipv4/
// ip_tables.h: IPT_BASE_CTL and IPT_BASE_CTL + 1), not in x/sys/unix.
const (
	iptSoGetInfo    = 64
	iptSoGetEntries = 65
)

// nftForward lists the base chains on the forward hook of the ip, ip6 and
// inet families, with the interface names their rules match, from an
// NFT_MSG_GETCHAIN and an NFT_MSG_GETRULE dump over NETLINK_NETFILTER in
// the namespace fd opens. iptables-nft, Debian's default, writes here too.
//
// Equivalent to: nft list chains; nft list chain ip filter FORWARD.
func nftForward(fd int) ([]ForwardChain, error) {
	s, err := rawSocketAt(fd, unix.NETLINK_NETFILTER)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	dump := func(msg int, family uint8, attrs ...*nl.RtAttr) ([][]byte, error) {
		return retry(func() ([][]byte, error) {
			req := nl.NewNetlinkRequest(unix.NFNL_SUBSYS_NFTABLES<<8|msg, unix.NLM_F_DUMP)
			req.Sockets = map[int]*nl.SocketHandle{unix.NETLINK_NETFILTER: {Socket: s}}
			req.AddData(&nl.Nfgenmsg{NfgenFamily: family, Version: unix.NFNETLINK_V0})
			for _, a := range attrs {
				req.AddData(a)
			}
			return req.Execute(unix.NETLINK_NETFILTER, 0)
		})
	}
	msgs, err := dump(unix.NFT_MSG_GETCHAIN, unix.NFPROTO_UNSPEC)
	if err != nil {
		return nil, fmt.Errorf("nftables chains: %w", err)
	}
	var out []ForwardChain
	for _, m := range msgs {
		c, err := parseNFTChain(m)
		if err != nil {
			return out, err
		}
		if c.hook != nfForward || (c.family != nfprotoIPv4 && c.family != nfprotoInet && c.family != nfprotoIPv6) {
			continue
		}
		fc := ForwardChain{Backend: "nftables", Name: familyPrefix(c.family) + " " + c.table + " " + c.chain,
			Policy: c.policy, PolicyPackets: c.packets}
		rules, err := dump(unix.NFT_MSG_GETRULE, c.family,
			nl.NewRtAttr(nftaRuleTable, nl.ZeroTerminated(c.table)),
			nl.NewRtAttr(nftaRuleChain, nl.ZeroTerminated(c.chain)))
		if err != nil {
			return out, fmt.Errorf("nftables rules of %s: %w", fc.Name, err)
		}
		seen := map[string]bool{}
		for _, r := range rules {
			table, chain, names, err := parseNFTRuleNames(r)
			if err != nil {
				return out, err
			}
			if table != c.table || chain != c.chain {
				continue // an old kernel that ignores the dump filter
			}
			for _, n := range names {
				if !seen[n] {
					seen[n] = true
					fc.Interfaces = append(fc.Interfaces, n)
				}
			}
		}
		sort.Strings(fc.Interfaces)
		out = append(out, fc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// legacyForward reads the FORWARD chain of the legacy iptables filter table
// of the calling thread's network namespace with IPT_SO_GET_INFO and
// IPT_SO_GET_ENTRIES on a raw socket, as iptables-legacy -L FORWARD does.
// Call it only when /proc/net/ip_tables_names lists "filter": asking
// otherwise makes the kernel create the table.
func legacyForward() (ForwardChain, error) {
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW)
	if err != nil {
		return ForwardChain{}, fmt.Errorf("raw socket for iptables: %w", err)
	}
	defer unix.Close(s)
	info := make([]byte, iptGetinfoSize)
	copy(info, "filter")
	if err := getsockopt(s, unix.SOL_IP, iptSoGetInfo, info); err != nil {
		return ForwardChain{}, fmt.Errorf("IPT_SO_GET_INFO: %w", err)
	}
	in, err := parseIPTGetinfo(info)
	if err != nil {
		return ForwardChain{}, err
	}
	buf := make([]byte, iptEntriesHeader+int(in.size))
	copy(buf, "filter")
	*(*uint32)(unsafe.Pointer(&buf[32])) = in.size
	if err := getsockopt(s, unix.SOL_IP, iptSoGetEntries, buf); err != nil {
		return ForwardChain{}, fmt.Errorf("IPT_SO_GET_ENTRIES: %w", err)
	}
	return parseIPTForward(in, buf[iptEntriesHeader:])
}

func getsockopt(s, level, opt int, buf []byte) error {
	l := uint32(len(buf))
	_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(s), uintptr(level), uintptr(opt),
		uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&l)), 0)
	if e != 0 {
		return e
	}
	return nil
}
