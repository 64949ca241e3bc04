package netdebug

import (
	"encoding/binary"
	"reflect"
	"testing"
)

// attr serializes one netlink attribute, padded to 4 bytes.
func attr(typ uint16, val []byte) []byte {
	b := make([]byte, 4, 4+len(val)+3)
	binary.NativeEndian.PutUint16(b, uint16(4+len(val)))
	binary.NativeEndian.PutUint16(b[2:], typ)
	b = append(b, val...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func nested(typ uint16, attrs ...[]byte) []byte {
	var v []byte
	for _, a := range attrs {
		v = append(v, a...)
	}
	return attr(typ|0x8000, v) // NLA_F_NESTED
}

func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
func be64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }
func cstr(s string) []byte { return append([]byte(s), 0) }

func nfgen(family uint8, attrs ...[]byte) []byte {
	m := []byte{family, 0, 0, 0}
	for _, a := range attrs {
		m = append(m, a...)
	}
	return m
}

func TestParseNFTChain(t *testing.T) {
	forward := nfgen(nfprotoIPv4,
		attr(nftaChainTable, cstr("filter")), attr(2, be64(7)), attr(nftaChainName, cstr("FORWARD")),
		nested(nftaChainHook, attr(nftaHookHooknum, be32(nfForward)), attr(2, be32(0))),
		attr(nftaChainPolicy, be32(nfDrop)),
		nested(nftaChainCounters, attr(1, be64(1500)), attr(nftaCounterPkts, be64(3))))
	c, err := parseNFTChain(forward)
	if err != nil {
		t.Fatal(err)
	}
	if c.family != nfprotoIPv4 || c.table != "filter" || c.chain != "FORWARD" || c.hook != nfForward || c.policy != "drop" || c.packets == nil || *c.packets != 3 {
		t.Errorf("parseNFTChain = %+v; want ip filter FORWARD, hook forward, policy drop, 3 packets", c)
	}
	regular, err := parseNFTChain(nfgen(nfprotoInet, attr(nftaChainTable, cstr("fw")), attr(nftaChainName, cstr("DOCKER"))))
	if err != nil || regular.hook != -1 || regular.policy != "" {
		t.Errorf("regular chain = %+v, %v; want no hook, no policy", regular, err)
	}
	if _, err := parseNFTChain([]byte{2, 0}); err == nil {
		t.Error("short message: no error")
	}
	if _, err := parseNFTChain(nfgen(2, []byte{40, 0, 1, 0})); err == nil {
		t.Error("attribute longer than the message: no error")
	}
}

// cmpExpr is iptables-nft's "-o NAME": meta oifname into a register, then
// cmp eq with the NUL-padded name.
func cmpExpr(val []byte) []byte {
	return nested(nftaListElem, attr(nftaExprName, cstr("cmp")),
		nested(nftaExprData, attr(1, be32(1)), attr(2, be32(0)), nested(nftaCmpData, attr(nftaDataValue, val))))
}

func TestParseNFTRuleNames(t *testing.T) {
	padded := make([]byte, 16)
	copy(padded, "docker0")
	rule := nfgen(nfprotoIPv4, attr(nftaRuleTable, cstr("filter")), attr(nftaRuleChain, cstr("FORWARD")),
		nested(nftaRuleExpressions,
			nested(nftaListElem, attr(nftaExprName, cstr("meta")), nested(nftaExprData, attr(1, be32(7)))),
			cmpExpr(padded),
			cmpExpr([]byte("br-")),       // a prefix match, "br-+"
			cmpExpr([]byte{10, 0, 0, 1}), // an address: not a name
			cmpExpr([]byte("eth0\x00x")), // junk after the NUL: not a name
			nested(nftaListElem, attr(nftaExprName, cstr("immediate")))))
	table, chain, names, err := parseNFTRuleNames(rule)
	if err != nil || table != "filter" || chain != "FORWARD" || !reflect.DeepEqual(names, []string{"docker0", "br-"}) {
		t.Errorf("parseNFTRuleNames = %q %q %q, %v; want filter FORWARD [docker0 br-]", table, chain, names, err)
	}
}

// iptEntry builds one struct ipt_entry with a standard target of verdict v
// and the given in/out interfaces.
func iptEntry(in, out string, verdict int32) []byte {
	e := make([]byte, iptEntrySize+xtTargetHeader+8)
	copy(e[iptIniface:], in)
	copy(e[iptOutiface:], out)
	ne := binary.NativeEndian
	ne.PutUint16(e[iptTargetOffset:], iptEntrySize)
	ne.PutUint16(e[iptNextOffset:], uint16(len(e)))
	ne.PutUint64(e[iptCounters:], 42)
	ne.PutUint16(e[iptEntrySize:], xtTargetHeader+8)
	ne.PutUint32(e[iptEntrySize+xtTargetHeader:], uint32(verdict))
	return e
}

func TestParseIPTForward(t *testing.T) {
	// INPUT policy, FORWARD: two rules then policy DROP (-NF_DROP-1), OUTPUT.
	var blob []byte
	off := func() uint32 { return uint32(len(blob)) }
	var in iptInfo
	in.validHooks = 1<<1 | 1<<2 | 1<<3
	in.hookEntry[1], in.underflow[1] = off(), off()
	blob = append(blob, iptEntry("", "", -2)...)
	in.hookEntry[2] = off()
	blob = append(blob, iptEntry("docker0", "", -2)...)
	blob = append(blob, iptEntry("", "br-abc", -2)...)
	in.underflow[2] = off()
	blob = append(blob, iptEntry("", "", -1)...)
	in.hookEntry[3], in.underflow[3] = off(), off()
	blob = append(blob, iptEntry("", "", -2)...)

	info := make([]byte, iptGetinfoSize)
	ne := binary.NativeEndian
	copy(info, "filter")
	ne.PutUint32(info[32:], in.validHooks)
	for i := range 5 {
		ne.PutUint32(info[36+4*i:], in.hookEntry[i])
		ne.PutUint32(info[56+4*i:], in.underflow[i])
	}
	ne.PutUint32(info[80:], uint32(len(blob)))
	parsed, err := parseIPTGetinfo(info)
	if err != nil || parsed != (iptInfo{validHooks: in.validHooks, hookEntry: in.hookEntry, underflow: in.underflow, size: uint32(len(blob))}) {
		t.Fatalf("parseIPTGetinfo = %+v, %v", parsed, err)
	}
	fc, err := parseIPTForward(parsed, blob)
	if err != nil {
		t.Fatal(err)
	}
	if fc.Policy != "drop" || fc.PolicyPackets == nil || *fc.PolicyPackets != 42 || !reflect.DeepEqual(fc.Interfaces, []string{"br-abc", "docker0"}) {
		t.Errorf("parseIPTForward = %+v; want policy drop, 42 packets, interfaces br-abc docker0", fc)
	}
	if _, err := parseIPTForward(parsed, blob[:100]); err == nil {
		t.Error("truncated entries: no error")
	}
	parsed.validHooks = 1 << 1
	if _, err := parseIPTForward(parsed, blob); err == nil {
		t.Error("no FORWARD hook: no error")
	}
}
