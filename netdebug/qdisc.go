package netdebug

import (
	"strconv"
	"strings"
	"time"
)

// Qdisc is one queueing discipline of an interface (rtnetlink
// RTM_NEWQDISC), as tc -s qdisc show lists it.
type Qdisc struct {
	IfIndex int `json:"ifindex"`
	// Kind is the qdisc's name: noqueue, fq_codel, netem, tbf, htb, …
	Kind string `json:"kind"`
	// Handle and Parent are spelled as tc does: "8001:", "1:10", "root",
	// "ingress".
	Handle string `json:"handle"`
	Parent string `json:"parent"`
	// Drops counts the packets it dropped since it was made.
	Drops uint64 `json:"drops"`
	// Rate is tbf's rate, or netem's, in bytes per second; 0 if none.
	Rate uint64 `json:"rate,omitempty"`
	// Netem is set for a netem: the impairments it adds.
	Netem *Netem `json:"netem,omitempty"`
	// Classes are an htb's classes: its rates live there.
	Classes []TrafficClass `json:"classes,omitempty"`
}

// Netem is what a netem qdisc does to every packet: a delay, and the
// percentages lost, duplicated, corrupted and sent out of order.
type Netem struct {
	DelayUsec  uint64  `json:"delayUsec,omitempty"`
	JitterUsec uint64  `json:"jitterUsec,omitempty"`
	Loss       float64 `json:"loss,omitempty"`
	Duplicate  float64 `json:"duplicate,omitempty"`
	Corrupt    float64 `json:"corrupt,omitempty"`
	Reorder    float64 `json:"reorder,omitempty"`
}

// TrafficClass is one class of a classful qdisc (RTM_NEWTCLASS) with its
// guaranteed rate and ceiling in bytes per second.
type TrafficClass struct {
	Handle string `json:"handle"`
	Rate   uint64 `json:"rate"`
	Ceil   uint64 `json:"ceil,omitempty"`
}

// rateString spells a rate in bytes per second as tc does, in bits with
// decimal units: 125000 is "1Mbit".
func rateString(bytesPerSec uint64) string {
	bits := float64(bytesPerSec) * 8
	for _, u := range []struct {
		size float64
		name string
	}{{1e9, "Gbit"}, {1e6, "Mbit"}, {1e3, "Kbit"}} {
		if bits >= u.size {
			return strconv.FormatFloat(bits/u.size, 'f', -1, 64) + u.name
		}
	}
	return strconv.FormatFloat(bits, 'f', -1, 64) + "bit"
}

// percent spells a netem probability to two decimals: "1.5%".
func percent(p float64) string {
	return strconv.FormatFloat(float64(int64(p*100+0.5))/100, 'f', -1, 64) + "%"
}

// shaping returns what q does to traffic on purpose, as evidence and as a
// tc-like phrase ("delay 100ms loss 1%"), and whether it does anything:
// netem delays or drops, tbf and htb limit the rate.
func (q Qdisc) shaping() (map[string]string, string, bool) {
	ev := map[string]string{}
	var words []string
	put := func(k, v string) {
		ev[k] = v
		words = append(words, k+" "+v)
	}
	switch q.Kind {
	case "netem":
		if n := q.Netem; n != nil {
			if n.DelayUsec > 0 {
				put("delay", (time.Duration(n.DelayUsec) * time.Microsecond).String())
			}
			if n.JitterUsec > 0 {
				put("jitter", (time.Duration(n.JitterUsec) * time.Microsecond).String())
			}
			for _, p := range []struct {
				name string
				v    float64
			}{{"loss", n.Loss}, {"duplicate", n.Duplicate}, {"corrupt", n.Corrupt}, {"reorder", n.Reorder}} {
				if p.v > 0 {
					put(p.name, percent(p.v))
				}
			}
		}
		if q.Rate > 0 {
			put("rate", rateString(q.Rate))
		}
	case "tbf":
		put("rate", rateString(q.Rate))
	case "htb":
		var rates []string
		for _, c := range q.Classes {
			rates = append(rates, c.Handle+" "+rateString(c.Rate)+" ceil "+rateString(c.Ceil))
		}
		if len(rates) == 0 {
			rates = []string{"unknown (no classes read)"}
		}
		put("rate", strings.Join(rates, ", "))
	default:
		return nil, "", false
	}
	return ev, strings.Join(words, " "), true
}
