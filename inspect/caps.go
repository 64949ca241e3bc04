package inspect

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// CapName names capability bit n as capsh --decode does: "cap_sys_admin"
// for a known bit, the bare decimal number ("41") for a bit newer than
// this table, as cap_to_name(3) prints it.
func CapName(n int) string {
	if n >= 0 && n < len(capNames) {
		return capNames[n]
	}
	return strconv.Itoa(n)
}

// CapByName returns the bit of a capability name. It accepts "cap_sys_admin",
// "CAP_SYS_ADMIN", "sys_admin" and "SYS_ADMIN" (docker --cap-add spelling).
func CapByName(name string) (int, bool) {
	n := strings.ToLower(name)
	if !strings.HasPrefix(n, "cap_") {
		n = "cap_" + n
	}
	for i, c := range capNames {
		if c == n {
			return i, true
		}
	}
	return 0, false
}

// CapSet is a 64-bit capability mask as /proc/PID/status shows it in
// hexadecimal (CapEff, CapPrm, ...).
type CapSet uint64

// CapSetOf builds a set from capability bits.
func CapSetOf(bits ...int) CapSet {
	var c CapSet
	for _, b := range bits {
		c |= 1 << uint(b)
	}
	return c
}

// Has reports whether bit is in the set.
func (c CapSet) Has(bit int) bool { return bit >= 0 && bit < 64 && c&(1<<uint(bit)) != 0 }

// Bits lists the set bits in ascending order.
func (c CapSet) Bits() []int {
	var out []int
	for b := 0; b < 64; b++ {
		if c.Has(b) {
			out = append(out, b)
		}
	}
	return out
}

// Names lists the capabilities of the set in bit order, as
// `capsh --decode=HEX` does (unknown bits as their decimal number). An
// empty set gives an empty, non-nil slice.
func (c CapSet) Names() []string {
	out := []string{}
	for _, b := range c.Bits() {
		out = append(out, CapName(b))
	}
	return out
}

// Hex is the 16-digit form procfs prints, e.g. "00000000a80425fb".
func (c CapSet) Hex() string { return fmt.Sprintf("%016x", uint64(c)) }

// String is the capsh-style list of names, comma separated.
func (c CapSet) String() string { return strings.Join(c.Names(), ",") }

// Dangerous is the subset of the set that lies in DangerousCaps.
func (c CapSet) Dangerous() CapSet { return c & DangerousCaps }

// capSetJSON is the JSON form of a CapSet: the raw mask and its decoding.
type capSetJSON struct {
	Hex       string   `json:"hex"`
	Names     []string `json:"names"`
	Dangerous []string `json:"dangerous,omitempty"`
}

// MarshalJSON renders {"hex": "...", "names": [...], "dangerous": [...]}.
func (c CapSet) MarshalJSON() ([]byte, error) {
	j := capSetJSON{Hex: c.Hex(), Names: c.Names()}
	if d := c.Dangerous(); d != 0 {
		j.Dangerous = d.Names()
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads the "hex" field back; the names are derived data.
func (c *CapSet) UnmarshalJSON(data []byte) error {
	var j capSetJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	v, err := strconv.ParseUint(j.Hex, 16, 64)
	if err != nil {
		return fmt.Errorf("inspect: capability set %q: %w", j.Hex, err)
	}
	*c = CapSet(v)
	return nil
}

// Capabilities are the five capability sets of a process (capabilities(7)).
type Capabilities struct {
	Effective   CapSet `json:"effective"`
	Permitted   CapSet `json:"permitted"`
	Bounding    CapSet `json:"bounding"`
	Inheritable CapSet `json:"inheritable"`
	// Ambient is zero on kernels before 4.3, which have no CapAmb line.
	Ambient CapSet `json:"ambient"`
}

// Usable is what the process can use now or raise at will: the effective
// and permitted sets together. Checks look at this set.
func (c Capabilities) Usable() CapSet { return c.Effective | c.Permitted }

// FullSet is every capability from bit 0 to lastCap, the kernel's
// /proc/sys/kernel/cap_last_cap.
func FullSet(lastCap int) CapSet {
	if lastCap >= 63 {
		return ^CapSet(0)
	}
	if lastCap < 0 {
		return 0
	}
	return CapSet(1)<<uint(lastCap+1) - 1
}

// parseCapabilities reads the Cap* lines of /proc/PID/status (proc(5)).
// CapEff, CapPrm and CapBnd are required; a status without them is an
// error rather than an empty set passed off as a fact.
func parseCapabilities(data []byte) (Capabilities, error) {
	f := statusFields(data)
	var c Capabilities
	for _, set := range []struct {
		key      string
		dst      *CapSet
		required bool
	}{
		{"CapInh", &c.Inheritable, false},
		{"CapPrm", &c.Permitted, true},
		{"CapEff", &c.Effective, true},
		{"CapBnd", &c.Bounding, true},
		{"CapAmb", &c.Ambient, false},
	} {
		val, ok := f[set.key]
		if !ok {
			if set.required {
				return Capabilities{}, fmt.Errorf("inspect: status has no %s line", set.key)
			}
			continue
		}
		v, err := strconv.ParseUint(val, 16, 64)
		if err != nil {
			return Capabilities{}, fmt.Errorf("inspect: status %s: %w", set.key, err)
		}
		*set.dst = CapSet(v)
	}
	return c, nil
}

// parseCapLastCap reads /proc/sys/kernel/cap_last_cap.
func parseCapLastCap(data []byte) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || n < 0 || n > 63 {
		return 0, fmt.Errorf("inspect: cap_last_cap %q: not a capability number", strings.TrimSpace(string(data)))
	}
	return n, nil
}

// ReadCapabilities reads the capability sets of process pid from
// /proc/PID/status. Equivalent to: `grep ^Cap /proc/PID/status | capsh --decode`.
func ReadCapabilities(root hostfs.Root, pid int) (*Capabilities, error) {
	data, err := hostfs.ReadFile(root.PID(pid, "status"))
	if err != nil {
		return nil, err
	}
	c, err := parseCapabilities(data)
	if err != nil {
		return nil, fmt.Errorf("%w (PID %d)", err, pid)
	}
	return &c, nil
}

// ReadCapLastCap reads the highest capability bit the kernel knows, from
// /proc/sys/kernel/cap_last_cap.
func ReadCapLastCap(root hostfs.Root) (int, error) {
	data, err := hostfs.ReadFile(root.Proc("sys", "kernel", "cap_last_cap"))
	if err != nil {
		return 0, err
	}
	return parseCapLastCap(data)
}

// ReadHostBounding returns the bounding set of the host's init (PID 1),
// falling back to ctx's own process when PID 1's status is unreadable. It
// is the ceiling of what any runtime on the host can grant.
func ReadHostBounding(root hostfs.Root) (CapSet, error) {
	var firstErr error
	for _, p := range []string{root.PID(1, "status"), root.Proc("self", "status")} {
		data, err := hostfs.ReadFile(p)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		c, err := parseCapabilities(data)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		return c.Bounding, nil
	}
	return 0, firstErr
}
