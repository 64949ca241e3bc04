package netdebug

import (
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
)

// These mirror include/uapi/linux/netfilter and netfilter_ipv4 values that
// golang.org/x/sys/unix does not define (it has the NFT_* and NFTA_* ones,
// but only for Linux builds; this file parses on every platform).
const (
	nfDrop    = 0 // NF_DROP
	nfAccept  = 1 // NF_ACCEPT
	nfForward = 2 // NF_INET_FORWARD

	nfprotoInet = 1  // NFPROTO_INET
	nfprotoIPv4 = 2  // NFPROTO_IPV4
	nfprotoIPv6 = 10 // NFPROTO_IPV6

	nlaTypeMask = 0x3fff // ^(NLA_F_NESTED | NLA_F_NET_BYTEORDER)

	nftaChainTable    = 1
	nftaChainName     = 3
	nftaChainHook     = 4
	nftaChainPolicy   = 5
	nftaChainCounters = 8
	nftaHookHooknum   = 1
	nftaCounterPkts   = 2

	nftaRuleTable       = 1
	nftaRuleChain       = 2
	nftaRuleExpressions = 4
	nftaListElem        = 1
	nftaExprName        = 1
	nftaExprData        = 2
	nftaCmpData         = 3
	nftaDataValue       = 1
)

// nlAttr is one netlink attribute: its type without flag bits, and value.
type nlAttr struct {
	typ uint16
	val []byte
}

// parseAttrs splits a run of netlink attributes (struct nlattr, 4-byte
// aligned), as nfnetlink sends them.
func parseAttrs(b []byte) ([]nlAttr, error) {
	var out []nlAttr
	for len(b) >= 4 {
		l := int(binary.NativeEndian.Uint16(b))
		typ := binary.NativeEndian.Uint16(b[2:]) & nlaTypeMask
		if l < 4 || l > len(b) {
			return out, fmt.Errorf("netlink attribute of length %d in %d bytes", l, len(b))
		}
		out = append(out, nlAttr{typ, b[4:l]})
		l = (l + 3) &^ 3
		if l > len(b) {
			l = len(b)
		}
		b = b[l:]
	}
	return out, nil
}

func cString(b []byte) string {
	if i := strings.IndexByte(string(b), 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

func familyPrefix(f uint8) string {
	switch f {
	case nfprotoInet:
		return "inet"
	case nfprotoIPv4:
		return "ip"
	case nfprotoIPv6:
		return "ip6"
	}
	return fmt.Sprintf("family-%d", f)
}

// nftChain is a base chain of a NFT_MSG_NEWCHAIN message.
type nftChain struct {
	family       uint8
	table, chain string
	hook         int // -1 for a regular chain
	policy       string
	packets      *uint64
}

// parseNFTChain decodes one NFT_MSG_NEWCHAIN message: struct nfgenmsg,
// then NFTA_CHAIN_* attributes (include/uapi/linux/netfilter/nf_tables.h).
func parseNFTChain(m []byte) (nftChain, error) {
	c := nftChain{hook: -1}
	if len(m) < 4 {
		return c, fmt.Errorf("short nftables chain message: %d bytes", len(m))
	}
	c.family = m[0]
	attrs, err := parseAttrs(m[4:])
	if err != nil {
		return c, err
	}
	for _, a := range attrs {
		switch a.typ {
		case nftaChainTable:
			c.table = cString(a.val)
		case nftaChainName:
			c.chain = cString(a.val)
		case nftaChainHook:
			nested, err := parseAttrs(a.val)
			if err != nil {
				return c, err
			}
			for _, n := range nested {
				if n.typ == nftaHookHooknum && len(n.val) >= 4 {
					c.hook = int(binary.BigEndian.Uint32(n.val))
				}
			}
		case nftaChainPolicy:
			if len(a.val) >= 4 {
				c.policy = verdictName(int32(binary.BigEndian.Uint32(a.val)))
			}
		case nftaChainCounters:
			nested, err := parseAttrs(a.val)
			if err != nil {
				return c, err
			}
			for _, n := range nested {
				if n.typ == nftaCounterPkts && len(n.val) >= 8 {
					v := binary.BigEndian.Uint64(n.val)
					c.packets = &v
				}
			}
		}
	}
	return c, nil
}

func verdictName(v int32) string {
	switch v {
	case nfDrop:
		return "drop"
	case nfAccept:
		return "accept"
	}
	return fmt.Sprintf("verdict-%d", v)
}

// parseNFTRuleNames decodes one NFT_MSG_NEWRULE message and returns its
// table, chain, and the strings its cmp expressions compare with that look
// like interface names: iptables-nft's -i/-o and nft's iifname/oifname
// compare the name, NUL-padded, with a cmp expression.
func parseNFTRuleNames(m []byte) (table, chain string, names []string, err error) {
	if len(m) < 4 {
		return "", "", nil, fmt.Errorf("short nftables rule message: %d bytes", len(m))
	}
	attrs, err := parseAttrs(m[4:])
	if err != nil {
		return "", "", nil, err
	}
	for _, a := range attrs {
		switch a.typ {
		case nftaRuleTable:
			table = cString(a.val)
		case nftaRuleChain:
			chain = cString(a.val)
		case nftaRuleExpressions:
			elems, err := parseAttrs(a.val)
			if err != nil {
				return table, chain, names, err
			}
			for _, e := range elems {
				if e.typ != nftaListElem {
					continue
				}
				if n, ok := cmpName(e.val); ok {
					names = append(names, n)
				}
			}
		}
	}
	return table, chain, names, nil
}

// cmpName returns the compared value of a cmp expression when it reads as
// an interface name.
func cmpName(expr []byte) (string, bool) {
	attrs, err := parseAttrs(expr)
	if err != nil {
		return "", false
	}
	var name string
	var data []byte
	for _, a := range attrs {
		switch a.typ {
		case nftaExprName:
			name = cString(a.val)
		case nftaExprData:
			data = a.val
		}
	}
	if name != "cmp" {
		return "", false
	}
	attrs, err = parseAttrs(data)
	if err != nil {
		return "", false
	}
	for _, a := range attrs {
		if a.typ != nftaCmpData {
			continue
		}
		vals, err := parseAttrs(a.val)
		if err != nil {
			return "", false
		}
		for _, v := range vals {
			if v.typ == nftaDataValue {
				return ifName(v.val)
			}
		}
	}
	return "", false
}

// ifName accepts 1 to 15 printable ASCII characters followed only by NULs.
func ifName(b []byte) (string, bool) {
	s := cString(b)
	if len(s) == 0 || len(s) > 15 || strings.Trim(string(b[len(s):]), "\x00") != "" {
		return "", false
	}
	for _, r := range s {
		if r <= ' ' || r > '~' || r == '/' {
			return "", false
		}
	}
	return s, true
}

// Legacy iptables: struct ipt_getinfo and ipt_entry of
// include/uapi/linux/netfilter_ipv4/ip_tables.h, on 64-bit Linux.
const (
	iptGetinfoSize   = 84
	iptEntriesHeader = 40 // struct ipt_get_entries: name[32], size, padding to 8
	iptEntrySize     = 112
	iptIniface       = 16
	iptOutiface      = 32
	iptTargetOffset  = 88
	iptNextOffset    = 90
	iptCounters      = 96
	xtTargetHeader   = 32 // struct xt_entry_target: u16 size, name[29], revision
)

// iptInfo is the part of struct ipt_getinfo the FORWARD chain needs.
type iptInfo struct {
	validHooks uint32
	hookEntry  [5]uint32
	underflow  [5]uint32
	size       uint32
}

func parseIPTGetinfo(b []byte) (iptInfo, error) {
	var in iptInfo
	if len(b) < iptGetinfoSize {
		return in, fmt.Errorf("short ipt_getinfo: %d bytes", len(b))
	}
	ne := binary.NativeEndian
	in.validHooks = ne.Uint32(b[32:])
	for i := range 5 {
		in.hookEntry[i] = ne.Uint32(b[36+4*i:])
		in.underflow[i] = ne.Uint32(b[56+4*i:])
	}
	in.size = ne.Uint32(b[80:])
	return in, nil
}

// parseIPTForward reads the FORWARD chain of a legacy filter table from
// its entries (the blob after struct ipt_get_entries' header): the rules
// from the hook's entry up to its underflow, whose standard target is the
// policy.
func parseIPTForward(in iptInfo, entries []byte) (ForwardChain, error) {
	fc := ForwardChain{Backend: "iptables-legacy", Name: "ip filter FORWARD"}
	if in.validHooks&(1<<nfForward) == 0 {
		return fc, fmt.Errorf("the legacy filter table has no FORWARD hook")
	}
	ne := binary.NativeEndian
	seen := map[string]bool{}
	off := int(in.hookEntry[nfForward])
	for steps := 0; ; steps++ {
		if off < 0 || off+iptEntrySize > len(entries) || steps > 1<<16 {
			return fc, fmt.Errorf("legacy FORWARD chain: entry at %d outside %d bytes", off, len(entries))
		}
		e := entries[off:]
		next := int(ne.Uint16(e[iptNextOffset:]))
		if off == int(in.underflow[nfForward]) {
			tgt := int(ne.Uint16(e[iptTargetOffset:]))
			if tgt+xtTargetHeader+4 > len(e) {
				return fc, fmt.Errorf("legacy FORWARD policy: target outside the entry")
			}
			fc.Policy = verdictName(-int32(ne.Uint32(e[tgt+xtTargetHeader:])) - 1)
			p := ne.Uint64(e[iptCounters:])
			fc.PolicyPackets = &p
			break
		}
		for _, f := range [][]byte{e[iptIniface : iptIniface+16], e[iptOutiface : iptOutiface+16]} {
			if n := cString(f); n != "" && !seen[n] {
				seen[n] = true
				fc.Interfaces = append(fc.Interfaces, n)
			}
		}
		if next < iptEntrySize {
			return fc, fmt.Errorf("legacy FORWARD chain: entry at %d has next offset %d", off, next)
		}
		off += next
	}
	sort.Strings(fc.Interfaces)
	return fc, nil
}
