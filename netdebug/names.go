package netdebug

import (
	"sort"
	"strconv"
	"strings"
	"sync"
)

// PortStateName renders a bridge port's STP state (BR_STATE_* in
// include/uapi/linux/if_bridge.h) as `bridge link` does.
func PortStateName(s uint8) string {
	switch s {
	case 0:
		return "disabled"
	case 1:
		return "listening"
	case 2:
		return "learning"
	case 3:
		return "forwarding"
	case 4:
		return "blocking"
	}
	return "state-" + strconv.Itoa(int(s))
}

// nudNames are the NUD_* bits of include/uapi/linux/neighbour.h, low bit
// first. They are spelled out because x/sys/unix defines them on Linux
// only and this file builds everywhere.
var nudNames = []string{"INCOMPLETE", "REACHABLE", "STALE", "DELAY", "PROBE", "FAILED", "NOARP", "PERMANENT"}

// NeighStateName renders a neighbour's NUD state bits as ip neigh does:
// "REACHABLE", "STALE", "NONE" for 0, bits joined by spaces.
func NeighStateName(state int) string {
	if state == 0 {
		return "NONE"
	}
	var parts []string
	for i, n := range nudNames {
		if state&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	if rest := state &^ (1<<len(nudNames) - 1); rest != 0 {
		parts = append(parts, "0x"+strconv.FormatInt(int64(rest), 16))
	}
	return strings.Join(parts, " ")
}

// familyName renders an address family as ip does: inet, inet6, or the
// number. Values are Linux's AF_INET, AF_INET6 and AF_BRIDGE.
func familyName(f int) string {
	switch f {
	case 2:
		return "inet"
	case 10:
		return "inet6"
	case 7:
		return "bridge"
	}
	return strconv.Itoa(f)
}

// warnings collects distinct messages from concurrent workers.
type warnings struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (w *warnings) add(msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.seen == nil {
		w.seen = map[string]bool{}
	}
	w.seen[msg] = true
}

// list returns the messages sorted, never nil.
func (w *warnings) list() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]string, 0, len(w.seen))
	for m := range w.seen {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}
