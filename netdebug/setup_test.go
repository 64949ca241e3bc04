package netdebug

import (
	"net/netip"
	"testing"
)

func TestFreePrefix(t *testing.T) {
	pp := func(s ...string) []netip.Prefix {
		var out []netip.Prefix
		for _, v := range s {
			out = append(out, netip.MustParsePrefix(v))
		}
		return out
	}
	cands := pp("10.213.0.0/24", "10.213.1.0/24", "10.213.2.0/24")
	cases := []struct {
		used []netip.Prefix
		want string
	}{
		{nil, "10.213.0.0/24"},
		{pp("10.213.0.7/32"), "10.213.1.0/24"},
		{pp("10.0.0.0/8"), ""},
		{pp("10.213.0.0/23", "192.168.1.0/24"), "10.213.2.0/24"},
	}
	for _, c := range cases {
		got, ok := FreePrefix(cands, c.used)
		if s := got.String(); (ok && s != c.want) || (!ok && c.want != "") {
			t.Errorf("FreePrefix(%v) = %v, %v; want %q", c.used, got, ok, c.want)
		}
	}
}
