package netdebug

import (
	"math"
	"testing"

	"github.com/vishvananda/netlink"
)

// TestConvQdisc converts qdiscs built as the netlink package decodes them.
// netem is tested here only: this kernel may lack sch_netem.
func TestConvQdisc(t *testing.T) {
	// Ticks per µs as /proc/net/psched usually gives them: 1000/64.
	const tick = 15.625
	ticks := func() float64 { return tick }
	root := netlink.QdiscAttrs{LinkIndex: 4, Handle: netlink.MakeHandle(0x8001, 0), Parent: netlink.HANDLE_ROOT,
		Statistics: &netlink.QdiscStatistics{Queue: &netlink.GnetStatsQueue{Drops: 17}}}

	netem := &netlink.Netem{QdiscAttrs: root, Latency: uint32(100000 * tick), Jitter: uint32(2000 * tick),
		Loss: netlink.Percentage2u32(1.5), Duplicate: netlink.Percentage2u32(2), CorruptProb: netlink.Percentage2u32(0.1),
		ReorderProb: netlink.Percentage2u32(25), Rate64: 125000}
	got := convQdisc(netem, ticks)
	if got.IfIndex != 4 || got.Kind != "netem" || got.Handle != "8001:" || got.Parent != "root" || got.Drops != 17 || got.Rate != 125000 {
		t.Errorf("netem = %+v; want ifindex 4, netem 8001: under root, 17 drops, rate 125000", got)
	}
	n := got.Netem
	if n == nil {
		t.Fatal("netem parameters missing")
	}
	if n.DelayUsec != 100000 || n.JitterUsec != 2000 {
		t.Errorf("delay %dµs jitter %dµs; want 100000 and 2000", n.DelayUsec, n.JitterUsec)
	}
	for name, p := range map[string][2]float64{"loss": {n.Loss, 1.5}, "duplicate": {n.Duplicate, 2}, "corrupt": {n.Corrupt, 0.1}, "reorder": {n.Reorder, 25}} {
		if math.Abs(p[0]-p[1]) > 0.001 {
			t.Errorf("%s = %v%%; want %v%%", name, p[0], p[1])
		}
	}
	_, params, ok := got.shaping()
	if want := "delay 100ms jitter 2ms loss 1.5% duplicate 2% corrupt 0.1% reorder 25% rate 1Mbit"; !ok || params != want {
		t.Errorf("netem shaping = %q, %v; want %q", params, ok, want)
	}

	tbf := convQdisc(&netlink.Tbf{QdiscAttrs: netlink.QdiscAttrs{LinkIndex: 3, Handle: netlink.MakeHandle(1, 0), Parent: netlink.MakeHandle(1, 0x10)}, Rate: 125000},
		func() float64 { t.Error("tick asked for a tbf"); return 0 })
	if tbf.Kind != "tbf" || tbf.Rate != 125000 || tbf.Handle != "1:" || tbf.Parent != "1:10" || tbf.Netem != nil || tbf.Drops != 0 {
		t.Errorf("tbf = %+v; want tbf 1: under 1:10, rate 125000, no drops", tbf)
	}

	// netlink decodes kinds it does not know as GenericQdisc.
	noq := convQdisc(&netlink.GenericQdisc{QdiscAttrs: netlink.QdiscAttrs{Parent: netlink.HANDLE_ROOT}, QdiscType: "noqueue"}, ticks)
	if _, _, shaping := noq.shaping(); noq.Kind != "noqueue" || noq.Handle != "0:" || shaping {
		t.Errorf("noqueue = %+v (shaping %v); want noqueue 0:, not shaping", noq, shaping)
	}
}

func TestHandleName(t *testing.T) {
	for in, want := range map[uint32]string{
		netlink.HANDLE_ROOT:              "root",
		netlink.HANDLE_INGRESS:           "ingress",
		0:                                "0:",
		netlink.MakeHandle(0x8001, 0):    "8001:",
		netlink.MakeHandle(1, 0x10):      "1:10",
		netlink.MakeHandle(0xffff, 0xa1): "ffff:a1",
	} {
		if got := handleName(in); got != want {
			t.Errorf("handleName(%#x) = %q; want %q", in, got, want)
		}
	}
}
