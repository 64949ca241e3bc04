package netdebug

import (
	"errors"
	"fmt"
	"math"

	"github.com/vishvananda/netlink"
)

// readQdiscs reads every qdisc of the namespace h is bound to in one
// RTM_GETQDISC dump (ifindex 0 asks for all interfaces), then the classes
// of each htb, which hold its rates: only interfaces with an htb cost a
// second dump. An interrupted dump keeps its data; a failed one returns
// nil, so the caller can tell "unread" from "none".
//
// Equivalent to: tc -s qdisc show; tc class show dev IF for each htb.
func readQdiscs(h *netlink.Handle) ([]Qdisc, error) {
	qs, err := retry(func() ([]netlink.Qdisc, error) { return h.QdiscList(nil) })
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		return nil, err
	}
	out := make([]Qdisc, 0, len(qs))
	for _, q := range qs {
		s := convQdisc(q, netlink.TickInUsec)
		if q.Type() == "htb" {
			classes, cerr := htbClasses(h, q.Attrs())
			s.Classes = classes
			err = errors.Join(err, cerr)
		}
		out = append(out, s)
	}
	return out, err
}

// htbClasses reads the classes of one htb: the kernel dumps classes per
// interface only, and the parent filter keeps those of this qdisc.
func htbClasses(h *netlink.Handle, a *netlink.QdiscAttrs) ([]TrafficClass, error) {
	link := &netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Index: a.LinkIndex}}
	cs, err := retry(func() ([]netlink.Class, error) { return h.ClassList(link, a.Handle) })
	var out []TrafficClass
	for _, c := range cs {
		if hc, ok := c.(*netlink.HtbClass); ok {
			out = append(out, TrafficClass{Handle: handleName(hc.Handle), Rate: hc.Rate, Ceil: hc.Ceil})
		}
	}
	if err != nil {
		err = fmt.Errorf("htb classes of ifindex %d: %w", a.LinkIndex, err)
	}
	return out, err
}

// convQdisc keeps what the checks need of q. tickInUsec converts netem's
// delays, which the kernel reports in scheduler ticks (/proc/net/psched);
// it is only called for a netem.
func convQdisc(q netlink.Qdisc, tickInUsec func() float64) Qdisc {
	a := q.Attrs()
	out := Qdisc{IfIndex: a.LinkIndex, Kind: q.Type(), Handle: handleName(a.Handle), Parent: handleName(a.Parent)}
	if s := a.Statistics; s != nil && s.Queue != nil {
		out.Drops = uint64(s.Queue.Drops)
	}
	switch q := q.(type) {
	case *netlink.Tbf:
		out.Rate = q.Rate
	case *netlink.Netem:
		out.Rate = q.Rate64
		out.Netem = convNetem(q, tickInUsec())
	}
	return out
}

func convNetem(q *netlink.Netem, tickInUsec float64) *Netem {
	n := &Netem{Loss: share(q.Loss), Duplicate: share(q.Duplicate), Corrupt: share(q.CorruptProb), Reorder: share(q.ReorderProb)}
	if tickInUsec > 0 {
		n.DelayUsec = uint64(math.Round(float64(q.Latency) / tickInUsec))
		n.JitterUsec = uint64(math.Round(float64(q.Jitter) / tickInUsec))
	}
	return n
}

// share turns netem's probability, a fraction of 2^32-1, into a percentage.
func share(p uint32) float64 {
	return float64(p) / math.MaxUint32 * 100
}

// handleName spells a tc handle as tc does: "root", "ingress", "8001:"
// for a qdisc (minor 0), "1:10" for a class.
func handleName(h uint32) string {
	switch h {
	case netlink.HANDLE_ROOT:
		return "root"
	case netlink.HANDLE_INGRESS:
		return "ingress"
	}
	major, minor := h>>16, h&0xffff
	if minor == 0 {
		return fmt.Sprintf("%x:", major)
	}
	return fmt.Sprintf("%x:%x", major, minor)
}
