package cgroupview

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// v1Unlimited is what a v1 memory.limit_in_bytes reads when no limit is
// set: LONG_MAX rounded down to a whole page (4 KiB pages). Any value at or
// above it means "unlimited" whatever the page size.
const v1Unlimited = 9223372036854771712

// Limit is a limit that was read: either Unlimited, or Max. A nil *Limit
// means the limit is unknown (file missing or unreadable), never "0".
type Limit struct {
	Unlimited bool    `json:"unlimited"`
	Max       *uint64 `json:"max,omitempty"` // nil iff Unlimited
}

// Less reports whether l is stricter than o.
func (l Limit) Less(o Limit) bool {
	switch {
	case l.Unlimited || l.Max == nil:
		return false
	case o.Unlimited || o.Max == nil:
		return true
	default:
		return *l.Max < *o.Max
	}
}

func limitOf(v uint64) Limit { return Limit{Max: &v} }

// parseUint parses a single-value file such as memory.current.
func parseUint(data []byte) (uint64, error) {
	s := strings.TrimSpace(string(data))
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parsing %q: %w", s, err)
	}
	return v, nil
}

// parseMax parses a v2-style limit file (memory.max, pids.max, v1
// pids.max): a number, or "max" for unlimited.
func parseMax(data []byte) (Limit, error) {
	if strings.TrimSpace(string(data)) == "max" {
		return Limit{Unlimited: true}, nil
	}
	v, err := parseUint(data)
	if err != nil {
		return Limit{}, err
	}
	return limitOf(v), nil
}

// parseV1Limit parses a v1 memory limit (memory.limit_in_bytes,
// memory.memsw.limit_in_bytes), where "unlimited" is the page-rounded
// LONG_MAX 9223372036854771712 (cgroup-v1/memory.rst).
func parseV1Limit(data []byte) (Limit, error) {
	v, err := parseUint(data)
	if err != nil {
		return Limit{}, err
	}
	if v >= v1Unlimited {
		return Limit{Unlimited: true}, nil
	}
	return limitOf(v), nil
}

// parseKeyed parses a flat keyed file ("key value" per line: memory.stat,
// memory.events, cpu.stat, pids.events, memory.oom_control). Lines whose
// value is not an unsigned integer are skipped; callers look keys up by
// name because kernels add keys anywhere in the file.
func parseKeyed(data []byte) map[string]uint64 {
	out := map[string]uint64{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 {
			continue
		}
		if v, err := strconv.ParseUint(f[1], 10, 64); err == nil {
			out[f[0]] = v
		}
	}
	return out
}

// CPUMax is a CFS bandwidth limit: QuotaUsec of CPU time per PeriodUsec.
type CPUMax struct {
	Unlimited  bool    `json:"unlimited"`
	QuotaUsec  *uint64 `json:"quotaUsec,omitempty"` // nil iff Unlimited
	PeriodUsec uint64  `json:"periodUsec"`
}

// CPUs is the quota in CPUs (quota/period); ok is false when unlimited.
func (c CPUMax) CPUs() (cpus float64, ok bool) {
	if c.Unlimited || c.QuotaUsec == nil || c.PeriodUsec == 0 {
		return 0, false
	}
	return float64(*c.QuotaUsec) / float64(c.PeriodUsec), true
}

// Less reports whether c allows fewer CPUs than o.
func (c CPUMax) Less(o CPUMax) bool {
	a, okA := c.CPUs()
	b, okB := o.CPUs()
	switch {
	case !okA:
		return false
	case !okB:
		return true
	default:
		return a < b
	}
}

// parseCPUMax parses v2 cpu.max: "$MAX $PERIOD", MAX being "max" or µs.
func parseCPUMax(data []byte) (CPUMax, error) {
	f := strings.Fields(string(data))
	if len(f) != 2 {
		return CPUMax{}, fmt.Errorf("parsing cpu.max %q: want 2 fields", strings.TrimSpace(string(data)))
	}
	period, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		return CPUMax{}, fmt.Errorf("parsing cpu.max period: %w", err)
	}
	if f[0] == "max" {
		return CPUMax{Unlimited: true, PeriodUsec: period}, nil
	}
	q, err := strconv.ParseUint(f[0], 10, 64)
	if err != nil {
		return CPUMax{}, fmt.Errorf("parsing cpu.max quota: %w", err)
	}
	return CPUMax{QuotaUsec: &q, PeriodUsec: period}, nil
}

// parseV1Quota combines v1 cpu.cfs_quota_us (-1 = none) and
// cpu.cfs_period_us.
func parseV1Quota(quota, period []byte) (CPUMax, error) {
	p, err := parseUint(period)
	if err != nil {
		return CPUMax{}, err
	}
	s := strings.TrimSpace(string(quota))
	q, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return CPUMax{}, fmt.Errorf("parsing %q: %w", s, err)
	}
	if q < 0 {
		return CPUMax{Unlimited: true, PeriodUsec: p}, nil
	}
	u := uint64(q)
	return CPUMax{QuotaUsec: &u, PeriodUsec: p}, nil
}

// Pressure is one PSI file (cpu.pressure, memory.pressure, io.pressure).
// Full is nil when the kernel does not report it (cpu "full" before 5.13).
type Pressure struct {
	Some PressureLine  `json:"some"`
	Full *PressureLine `json:"full,omitempty"`
}

// PressureLine is one "some" or "full" line: the share of wall time (in
// percent) stalled over 10, 60 and 300 s, and the total stall time in µs.
type PressureLine struct {
	Avg10     float64 `json:"avg10"`
	Avg60     float64 `json:"avg60"`
	Avg300    float64 `json:"avg300"`
	TotalUsec uint64  `json:"totalUsec"`
}

// parsePSI parses a PSI file (Documentation/accounting/psi.rst):
//
//	some avg10=0.00 avg60=0.00 avg300=0.00 total=12129
//	full avg10=0.00 avg60=0.00 avg300=0.00 total=2398
func parsePSI(data []byte) (*Pressure, error) {
	var p Pressure
	var haveSome bool
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		var line PressureLine
		for _, kv := range f[1:] {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return nil, fmt.Errorf("parsing PSI field %q", kv)
			}
			var err error
			switch k {
			case "avg10":
				line.Avg10, err = parsePercent(v)
			case "avg60":
				line.Avg60, err = parsePercent(v)
			case "avg300":
				line.Avg300, err = parsePercent(v)
			case "total":
				line.TotalUsec, err = strconv.ParseUint(v, 10, 64)
			}
			if err != nil {
				return nil, fmt.Errorf("parsing PSI field %q: %w", kv, err)
			}
		}
		switch f[0] {
		case "some":
			p.Some, haveSome = line, true
		case "full":
			p.Full = &line
		}
	}
	if !haveSome {
		return nil, fmt.Errorf("parsing PSI: no \"some\" line")
	}
	return &p, nil
}

func parsePercent(s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
		err = fmt.Errorf("not a number")
	}
	return v, err
}

// atou parses a decimal unsigned integer without allocating.
func atou(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	return v, true
}

// nextLine splits data at the first newline.
func nextLine(data []byte) (line, rest []byte) {
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		return data[:i], data[i+1:]
	}
	return data, nil
}

// pickKeyed returns the values of keys in a flat keyed file ("key value"
// per line), nil for keys the file lacks. Unlike parseKeyed it builds no
// map: memory.stat has ~70 lines and a scan reads thousands of them.
func pickKeyed(data []byte, keys []string) []*uint64 {
	vals := make([]uint64, len(keys))
	out := make([]*uint64, len(keys))
	for len(data) > 0 {
		var line []byte
		line, data = nextLine(data)
		sp := bytes.IndexByte(line, ' ')
		if sp <= 0 {
			continue
		}
		k := line[:sp]
		for i, key := range keys {
			if out[i] == nil && string(k) == key {
				if v, ok := atou(bytes.TrimSpace(line[sp+1:])); ok {
					vals[i] = v
					out[i] = &vals[i]
				}
				break
			}
		}
	}
	return out
}

// parseProcs parses cgroup.procs (or tasks): one PID per line.
func parseProcs(data []byte) []int {
	out := make([]int, 0, bytes.Count(data, []byte{'\n'}))
	for len(data) > 0 {
		var line []byte
		line, data = nextLine(data)
		if v, ok := atou(line); ok && v > 0 {
			out = append(out, int(v))
		}
	}
	return out
}

// parseDeviceKeyed parses a nested keyed file with one line per device,
// "MAJ:MIN key=value ..." (v2 io.stat, io.max; io.weight's device lines).
// Values "max" are returned as ^uint64(0).
func parseDeviceKeyed(data []byte) map[string]map[string]uint64 {
	out := map[string]map[string]uint64{}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || !strings.Contains(f[0], ":") {
			continue
		}
		m := out[f[0]]
		if m == nil {
			m = map[string]uint64{}
			out[f[0]] = m
		}
		for _, kv := range f[1:] {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				continue
			}
			if v == "max" {
				m[k] = ^uint64(0)
			} else if n, err := strconv.ParseUint(v, 10, 64); err == nil {
				m[k] = n
			}
		}
	}
	return out
}

// parseBlkioDevices parses a v1 per-device file, "MAJ:MIN VALUE"
// (blkio.throttle.read_bps_device, blkio.weight_device).
func parseBlkioDevices(data []byte) map[string]uint64 {
	out := map[string]uint64{}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 || !strings.Contains(f[0], ":") {
			continue
		}
		if v, err := strconv.ParseUint(f[1], 10, 64); err == nil {
			out[f[0]] = v
		}
	}
	return out
}

// parseBlkioStat parses a v1 blkio statistics file
// (blkio.throttle.io_service_bytes_recursive, io_serviced_recursive):
// "MAJ:MIN Read|Write|Sync|Async|Discard|Total VALUE" lines and a final
// "Total VALUE". It returns per device the Read, Write and Discard values.
func parseBlkioStat(data []byte) map[string]map[string]uint64 {
	out := map[string]map[string]uint64{}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || !strings.Contains(f[0], ":") {
			continue
		}
		v, err := strconv.ParseUint(f[2], 10, 64)
		if err != nil {
			continue
		}
		m := out[f[0]]
		if m == nil {
			m = map[string]uint64{}
			out[f[0]] = m
		}
		m[f[1]] = v
	}
	return out
}
