package netdebug

import (
	"testing"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

func TestParseBridgePort(t *testing.T) {
	msg := func(index int32, protinfo map[uint16]uint8) []byte {
		ifi := nl.NewIfInfomsg(unix.AF_BRIDGE)
		ifi.Index = index
		b := ifi.Serialize()
		b = append(b, nl.NewRtAttr(unix.IFLA_MTU, nl.Uint32Attr(1500)).Serialize()...)
		if protinfo != nil {
			pi := nl.NewRtAttr(unix.IFLA_PROTINFO|unix.NLA_F_NESTED, nil)
			for typ, v := range protinfo {
				pi.AddRtAttr(int(typ), []byte{v})
			}
			b = append(b, pi.Serialize()...)
		}
		return b
	}
	tests := []struct {
		name      string
		m         []byte
		wantIndex int
		want      *BridgePort
		wantErr   bool
	}{
		{"forwarding port, hairpin on", msg(7, map[uint16]uint8{unix.IFLA_BRPORT_STATE: 3, unix.IFLA_BRPORT_MODE: 1}), 7, &BridgePort{State: "forwarding", Hairpin: true}, false},
		{"blocking port", msg(8, map[uint16]uint8{unix.IFLA_BRPORT_STATE: 4}), 8, &BridgePort{State: "blocking"}, false},
		{"bridge itself, no protinfo", msg(3, nil), 3, nil, false},
		{"short message", []byte{1, 2, 3}, 0, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idx, p, err := parseBridgePort(tt.m)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseBridgePort error = %v; want error %v", err, tt.wantErr)
			}
			if idx != tt.wantIndex {
				t.Errorf("index = %d; want %d", idx, tt.wantIndex)
			}
			switch {
			case (p == nil) != (tt.want == nil):
				t.Errorf("port = %+v; want %+v", p, tt.want)
			case p != nil && *p != *tt.want:
				t.Errorf("port = %+v; want %+v", *p, *tt.want)
			}
		})
	}
}
