package netdebug

import (
	"encoding/binary"
	"reflect"
	"strings"
	"testing"
)

func TestParseSysctlInt(t *testing.T) {
	for in, want := range map[string]int{"1\n": 1, "0": 0, "262144\n": 262144, "2\t": 2} {
		if got, err := parseSysctlInt([]byte(in)); err != nil || got != want {
			t.Errorf("parseSysctlInt(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	if _, err := parseSysctlInt([]byte("x\n")); err == nil {
		t.Error("parseSysctlInt(x) = nil error; want one")
	}
}

// A Linux 6.18 /proc/net/stat/nf_conntrack with two CPUs.
const conntrackStat = `entries  clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart
00000010  00000000 00000000 00000000 00000003 00000000 00000000 00000000 00000000 00000002 00000001 00000000 00000000  00000000 00000000 00000000 00000000
00000010  00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 0000000a 00000000 00000004 00000000  00000000 00000000 00000000 00000000
`

func TestParseConntrackStat(t *testing.T) {
	insertFailed, drop, earlyDrop, err := parseConntrackStat([]byte(conntrackStat))
	if err != nil || insertFailed != 12 || drop != 1 || earlyDrop != 4 {
		t.Errorf("parseConntrackStat = %d, %d, %d, %v; want 12, 1, 4", insertFailed, drop, earlyDrop, err)
	}
	for _, bad := range []string{"", "entries drop\n1 2\n", strings.Replace(conntrackStat, "0000000a", "zz", 1)} {
		if _, _, _, err := parseConntrackStat([]byte(bad)); err == nil {
			t.Errorf("parseConntrackStat(%.30q) = nil error; want one", bad)
		}
	}
}

func TestParseUDPListeners(t *testing.T) {
	udp := `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  100: 3500007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 1 2 0000000000000000 0
  101: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1 2 0000000000000000 0
  102: 0B00007F:A1B2 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1 2 0000000000000000 0
`
	if got := parseUDPListeners([]byte(udp), binary.LittleEndian); !reflect.DeepEqual(got, []string{"127.0.0.53", "0.0.0.0"}) {
		t.Errorf("udp listeners = %q; want 127.0.0.53 and 0.0.0.0 (port 53 only)", got)
	}
	udp6 := `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
    5: 00000000000000000000000001000000:0035 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1 2 0000000000000000 0
`
	if got := parseUDPListeners([]byte(udp6), binary.LittleEndian); !reflect.DeepEqual(got, []string{"::1"}) {
		t.Errorf("udp6 listeners = %q; want ::1", got)
	}
}

func TestParseResolvConf(t *testing.T) {
	ns, search, opts := parseResolvConf([]byte("# generated\nnameserver 10.0.0.2 # primary\nnameserver ::1\ndomain a.example\nsearch b.example c.example\noptions ndots:5 edns0\n; comment\nnameserver\n"))
	if !reflect.DeepEqual(ns, []string{"10.0.0.2", "::1"}) || !reflect.DeepEqual(search, []string{"b.example", "c.example"}) ||
		!reflect.DeepEqual(opts, []string{"ndots:5", "edns0"}) {
		t.Errorf("parseResolvConf = %q %q %q", ns, search, opts)
	}
	if ns, _, _ := parseResolvConf(nil); ns == nil || len(ns) != 0 {
		t.Errorf("empty resolv.conf: nameservers %#v; want empty, not nil", ns)
	}
}
