package cgroupview

import (
	"sort"
	"strconv"
)

// IO is the io controller (v1 blkio) of one cgroup: hierarchical byte and
// operation counts summed over devices, and with ReadCgroup the
// per-device statistics, limits and weights. Bytes and operations since
// the cgroup was created.
type IO struct {
	Version    int     `json:"version"`
	Path       string  `json:"path"`
	ReadBytes  *uint64 `json:"readBytes,omitempty"`
	WriteBytes *uint64 `json:"writeBytes,omitempty"`
	ReadIOs    *uint64 `json:"readIOs,omitempty"`
	WriteIOs   *uint64 `json:"writeIOs,omitempty"`
	// Weight is v2 io.weight "default" (1..10000, default 100) or v1
	// blkio.weight / blkio.bfq.weight (10..1000, default 100 with BFQ).
	Weight  *uint64    `json:"weight,omitempty"`
	Devices []IODevice `json:"devices,omitempty"`
}

// IODevice is one block device's statistics and limits in a cgroup. A nil
// limit is unlimited: io.max and blkio.throttle.* list only limited
// devices.
type IODevice struct {
	Device     string  `json:"device"` // MAJ:MIN
	Name       string  `json:"name,omitempty"`
	ReadBytes  *uint64 `json:"readBytes,omitempty"`
	WriteBytes *uint64 `json:"writeBytes,omitempty"`
	ReadIOs    *uint64 `json:"readIOs,omitempty"`
	WriteIOs   *uint64 `json:"writeIOs,omitempty"`
	// DiscardBytes and DiscardIOs are v2 io.stat dbytes, dios.
	DiscardBytes *uint64 `json:"discardBytes,omitempty"`
	DiscardIOs   *uint64 `json:"discardIOs,omitempty"`
	ReadBPS      *uint64 `json:"readBps,omitempty"`
	WriteBPS     *uint64 `json:"writeBps,omitempty"`
	ReadIOPS     *uint64 `json:"readIops,omitempty"`
	WriteIOPS    *uint64 `json:"writeIops,omitempty"`
	Weight       *uint64 `json:"weight,omitempty"`
}

// ioV2 reads io.stat (with s.ioLimits also per device with io.max, and
// with s.full io.weight too) in d
// (cgroup-v2.rst "IO").
func (s *statReader) ioV2(d *dir, cgPath string) *IO {
	out := &IO{Version: 2, Path: cgPath}
	devs := map[string]*IODevice{}
	dev := func(k string) *IODevice {
		if devs[k] == nil {
			devs[k] = &IODevice{Device: k}
		}
		return devs[k]
	}
	if b := s.file(d, "io.stat", cgPath == "/"); b != nil {
		var rb, wb, ri, wi uint64
		for k, m := range parseDeviceKeyed(b) {
			dv := dev(k)
			dv.ReadBytes, dv.WriteBytes, dv.ReadIOs, dv.WriteIOs = key(m, "rbytes"), key(m, "wbytes"), key(m, "rios"), key(m, "wios")
			dv.DiscardBytes, dv.DiscardIOs = key(m, "dbytes"), key(m, "dios")
			rb, wb, ri, wi = rb+m["rbytes"], wb+m["wbytes"], ri+m["rios"], wi+m["wios"]
		}
		out.ReadBytes, out.WriteBytes, out.ReadIOs, out.WriteIOs = &rb, &wb, &ri, &wi
	}
	if s.full || s.ioLimits {
		if b := s.file(d, "io.max", true); b != nil {
			for k, m := range parseDeviceKeyed(b) {
				dv := dev(k)
				dv.ReadBPS, dv.WriteBPS = limitKey(m, "rbps"), limitKey(m, "wbps")
				dv.ReadIOPS, dv.WriteIOPS = limitKey(m, "riops"), limitKey(m, "wiops")
			}
		}
	}
	if s.full {
		if b := s.file(d, "io.weight", true); b != nil {
			for k, v := range parseKeyed(b) { // "default 100"
				if k == "default" {
					out.Weight = &v
				}
			}
			for k, m := range parseDeviceWeights(b) {
				w := m
				dev(k).Weight = &w
			}
		}
	}
	if s.full || s.ioLimits {
		out.Devices = sortedDevices(devs)
	}
	return out
}

// limitKey is a device limit, nil when "max".
func limitKey(m map[string]uint64, k string) *uint64 {
	v, ok := m[k]
	if !ok || v == ^uint64(0) {
		return nil
	}
	return &v
}

// parseDeviceWeights picks the "MAJ:MIN WEIGHT" lines of io.weight.
func parseDeviceWeights(data []byte) map[string]uint64 {
	return parseBlkioDevices(data)
}

// ioV1 reads blkio.throttle.io_service{_bytes,d}_recursive (with
// s.ioLimits also per device with the throttle limits, and with s.full
// the weights too) in d (cgroup-v1/blkio-controller.rst).
// CFQ's blkio.io_service_bytes is gone from current kernels; the throttle
// files count every IO.
func (s *statReader) ioV1(d *dir, cgPath string) *IO {
	out := &IO{Version: 1, Path: cgPath}
	devs := map[string]*IODevice{}
	dev := func(k string) *IODevice {
		if devs[k] == nil {
			devs[k] = &IODevice{Device: k}
		}
		return devs[k]
	}
	if b := s.file(d, "blkio.throttle.io_service_bytes_recursive", false); b != nil {
		var r, w uint64
		for k, m := range parseBlkioStat(b) {
			dv := dev(k)
			dv.ReadBytes, dv.WriteBytes, dv.DiscardBytes = key(m, "Read"), key(m, "Write"), key(m, "Discard")
			r, w = r+m["Read"], w+m["Write"]
		}
		out.ReadBytes, out.WriteBytes = &r, &w
	}
	if b := s.file(d, "blkio.throttle.io_serviced_recursive", false); b != nil {
		var r, w uint64
		for k, m := range parseBlkioStat(b) {
			dv := dev(k)
			dv.ReadIOs, dv.WriteIOs, dv.DiscardIOs = key(m, "Read"), key(m, "Write"), key(m, "Discard")
			r, w = r+m["Read"], w+m["Write"]
		}
		out.ReadIOs, out.WriteIOs = &r, &w
	}
	if s.full || s.ioLimits {
		for _, f := range []struct {
			name string
			set  func(*IODevice, *uint64)
		}{
			{"blkio.throttle.read_bps_device", func(d *IODevice, v *uint64) { d.ReadBPS = v }},
			{"blkio.throttle.write_bps_device", func(d *IODevice, v *uint64) { d.WriteBPS = v }},
			{"blkio.throttle.read_iops_device", func(d *IODevice, v *uint64) { d.ReadIOPS = v }},
			{"blkio.throttle.write_iops_device", func(d *IODevice, v *uint64) { d.WriteIOPS = v }},
		} {
			if b := s.file(d, f.name, true); b != nil {
				for k, v := range parseBlkioDevices(b) {
					v := v
					f.set(dev(k), &v)
				}
			}
		}
	}
	if s.full {
		// blkio.weight went with CFQ; BFQ has blkio.bfq.weight.
		if w := s.uint(d, "blkio.weight", true); w != nil {
			out.Weight = w
		} else if b := s.file(d, "blkio.bfq.weight", true); b != nil {
			for k, v := range parseKeyed(b) {
				if k == "default" {
					out.Weight = &v
				}
			}
			if out.Weight == nil {
				if v, err := parseUint(b); err == nil {
					out.Weight = &v
				}
			}
		}
	}
	if s.full || s.ioLimits {
		out.Devices = sortedDevices(devs)
	}
	return out
}

func sortedDevices(m map[string]*IODevice) []IODevice {
	out := make([]IODevice, 0, len(m))
	for _, d := range m {
		out = append(out, *d)
	}
	sort.Slice(out, func(i, j int) bool { return devLess(out[i].Device, out[j].Device) })
	return out
}

// devLess orders MAJ:MIN numerically.
func devLess(a, b string) bool {
	am, an := splitDev(a)
	bm, bn := splitDev(b)
	if am != bm {
		return am < bm
	}
	return an < bn
}

func splitDev(s string) (uint64, uint64) {
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			a, _ := strconv.ParseUint(s[:i], 10, 32)
			b, _ := strconv.ParseUint(s[i+1:], 10, 32)
			return a, b
		}
	}
	return 0, 0
}
