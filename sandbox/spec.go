package sandbox

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Spec is one throw-away container: where its root comes from, what runs,
// its limits and network, and how it is isolated. Exactly one of Rootfs,
// Image and Bundle is set. The zero values of the other fields are the
// defaults of `ctx run` except Init, which the CLI turns on.
type Spec struct {
	// Rootfs is a directory used read-only under a scratch overlay layer
	// (in tmpfs), or directly when RW is set.
	Rootfs string
	// Image is a local image: a Docker image name or ID, or
	// containerd://[NAMESPACE/]NAME, or podman://NAME. Its layers become
	// overlay lowerdirs; its config supplies defaults for Args, Env, Cwd
	// and User.
	Image string
	// Bundle is an OCI bundle directory; its config.json supplies the
	// root, process, mounts, namespaces, limits and capabilities that the
	// other fields leave unset.
	Bundle string
	// RW uses Rootfs in place, writable, without the scratch layer.
	RW bool
	// ReadOnly makes the container's / read-only.
	ReadOnly bool

	// Args is the command; the image's entrypoint and command when empty.
	Args []string
	// Env is KEY=VALUE pairs added to the image's (PATH has a default).
	Env []string
	// Cwd is the working directory in the container (default /).
	Cwd string
	// User is UID[:GID] or a name from the container's /etc/passwd.
	User string
	// Hostname defaults to "ctx-<id>".
	Hostname string
	// Volumes are bind mounts from the host.
	Volumes []Volume

	Limits Limits
	Net    Network

	// Init runs a minimal reaper as PID 1 that forwards signals to the
	// command and reaps orphans; without it the command is PID 1.
	Init bool
	// StopTimeout is how long a SIGTERM or SIGINT (forwarded, or from a
	// cancelled context) may take before the container is killed (default
	// 10 s).
	StopTimeout time.Duration
	// Keep leaves the cgroup (and its counters) in place after the run.
	Keep bool

	// UserNS runs the container in a new user namespace, its root mapped
	// to unprivileged host IDs starting at UserNSBase (default 100000,
	// 65536 IDs).
	UserNS     bool
	UserNSBase uint32

	// CapAdd and CapDrop change Docker's default capability set ("ALL"
	// is allowed); Privileged keeps every capability and turns seccomp
	// off.
	CapAdd, CapDrop []string
	Privileged      bool
	// SeccompUnconfined turns the default syscall deny-list off.
	SeccompUnconfined bool

	// CgroupParent is where the run's cgroup ctx-<id> is made (default
	// the root of each hierarchy).
	CgroupParent string
	// StateDir holds a directory per run (default /run/ctx); ctx gc looks
	// there.
	StateDir string

	// Stdin, Stdout and Stderr are the command's streams. An *os.File is
	// passed on as it is.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Signals are forwarded to the container; SIGTERM and SIGINT also
	// start the stop timeout.
	Signals <-chan os.Signal
	// Self is the ctx binary to re-execute as the container's init
	// (default os.Executable()).
	Self string
}

// DefaultStateDir holds a directory per run, ctx-<id>.
const DefaultStateDir = "/run/ctx"

// DefaultStopTimeout is the default Spec.StopTimeout, as docker stop's.
const DefaultStopTimeout = 10 * time.Second

// Limits are the cgroup limits of a run; a zero field is no limit.
type Limits struct {
	// Memory is in bytes. MemorySwap is memory plus swap as docker's
	// --memory-swap: 0 means no swap (so swap cannot hide an OOM kill),
	// -1 unlimited.
	Memory, MemorySwap int64
	// CPUs is a CFS quota in CPUs (0.5 = half a CPU per 100 ms period).
	CPUs float64
	// CPUShares (v1 scale, 2..262144) or CPUWeight (v2 scale, 1..10000).
	CPUShares, CPUWeight uint64
	// PIDs caps the number of tasks.
	PIDs int64
	// IOWeight is the default IO weight (1..10000; 10..1000 on v1).
	IOWeight uint64
	// IO are per-device throttles.
	IO []IOLimit
}

// IOLimit throttles one block device, named by a path (/dev/sda) or
// MAJ:MIN. A zero rate is no limit.
type IOLimit struct {
	Device              string
	ReadBPS, WriteBPS   uint64
	ReadIOPS, WriteIOPS uint64
}

// NetMode is a network mode of Network.
type NetMode string

// Network modes.
const (
	NetNone      NetMode = "none"      // only lo, up
	NetHost      NetMode = "host"      // the host's network namespace
	NetBridge    NetMode = "bridge"    // a veth to the ctx0 bridge
	NetContainer NetMode = "container" // another container's namespace
)

// BridgeName is the bridge of --net bridge.
const BridgeName = "ctx0"

// Network is how the container is networked.
type Network struct {
	// Mode defaults to NetNone (or to what a bundle's config says).
	Mode NetMode
	// Target is a TARGET (container, PID, netns/NAME, nsfs path) whose
	// network namespace NetContainer joins.
	Target string
	// BridgeNetNS is the network namespace holding the bridge, as an
	// nsfs path; "" is ctx's own.
	BridgeNetNS string
}

// Volume is a bind mount: HOST:CTR[:ro].
type Volume struct {
	Source, Target string
	ReadOnly       bool
}

// ParseSize parses a byte size the way docker does: a number with an
// optional unit b, k, m, g or t (powers of 1024, case-insensitive, an
// optional trailing "b" or "ib": 64m, 64MB, 1.5g, 64MiB).
func ParseSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.TrimSuffix(t, "ib")
	if len(t) > 1 {
		t = strings.TrimSuffix(t, "b")
	}
	mult := 1.0
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'b':
			t = t[:n-1]
		case 'k':
			mult, t = 1<<10, t[:n-1]
		case 'm':
			mult, t = 1<<20, t[:n-1]
		case 'g':
			mult, t = 1<<30, t[:n-1]
		case 't':
			mult, t = 1<<40, t[:n-1]
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) || v*mult > math.MaxInt64 {
		return 0, invalidf("invalid size %q: use a number with an optional unit b, k, m, g or t (e.g. 64m)", s)
	}
	return int64(v * mult), nil
}

// ParseCPUs parses a CPU count such as "0.5" or "2".
func ParseCPUs(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || v <= 0 || v > 1024 || math.IsNaN(v) {
		return 0, invalidf("invalid CPU count %q: use a positive number such as 0.5 or 2", s)
	}
	return v, nil
}

// ParseNetwork parses --net: none, host, bridge or container:TARGET.
func ParseNetwork(s string) (Network, error) {
	switch {
	case s == "" || s == string(NetNone):
		return Network{Mode: NetNone}, nil
	case s == string(NetHost):
		return Network{Mode: NetHost}, nil
	case s == string(NetBridge):
		return Network{Mode: NetBridge}, nil
	case strings.HasPrefix(s, "container:") && len(s) > len("container:"):
		return Network{Mode: NetContainer, Target: strings.TrimPrefix(s, "container:")}, nil
	}
	return Network{}, invalidf("invalid network %q: use none, host, bridge or container:TARGET", s)
}

// ParseVolume parses -v HOST:CTR[:ro|rw]. Both paths must be absolute.
func ParseVolume(s string) (Volume, error) {
	parts := strings.Split(s, ":")
	var v Volume
	switch {
	case len(parts) == 2:
		v = Volume{Source: parts[0], Target: parts[1]}
	case len(parts) == 3 && (parts[2] == "ro" || parts[2] == "rw"):
		v = Volume{Source: parts[0], Target: parts[1], ReadOnly: parts[2] == "ro"}
	default:
		return Volume{}, invalidf("invalid volume %q: use HOST:CTR or HOST:CTR:ro", s)
	}
	if !filepath.IsAbs(v.Source) || !filepath.IsAbs(v.Target) {
		return Volume{}, invalidf("invalid volume %q: both paths must be absolute", s)
	}
	v.Source, v.Target = filepath.Clean(v.Source), filepath.Clean(v.Target)
	return v, nil
}

// ParseIORate parses DEVICE:RATE (--io-read-bps /dev/sda:10m): a size for
// byte rates, a plain number for IO rates.
func ParseIORate(s string, bytes bool) (dev string, rate uint64, err error) {
	i := strings.LastIndexByte(s, ':')
	if i <= 0 || i == len(s)-1 {
		return "", 0, invalidf("invalid IO limit %q: use DEVICE:RATE, e.g. /dev/sda:10m", s)
	}
	dev = s[:i]
	if bytes {
		v, err := ParseSize(s[i+1:])
		if err != nil {
			return "", 0, err
		}
		return dev, uint64(v), nil
	}
	v, err := strconv.ParseUint(s[i+1:], 10, 64)
	if err != nil {
		return "", 0, invalidf("invalid IO limit %q: the rate must be a whole number of operations per second", s)
	}
	return dev, v, nil
}

// validate checks what can be checked before anything is touched.
func (s *Spec) validate() error {
	n := 0
	for _, v := range []string{s.Rootfs, s.Image, s.Bundle} {
		if v != "" {
			n++
		}
	}
	if n != 1 {
		return invalidf("give exactly one of --rootfs, --image and --bundle")
	}
	if s.RW && s.Rootfs == "" {
		return invalidf("--rw needs --rootfs")
	}
	if s.RW && s.ReadOnly {
		return invalidf("--rw and --read-only exclude each other")
	}
	if s.Image == "" && s.Bundle == "" && len(s.Args) == 0 {
		return invalidf("no command: give one after --")
	}
	l := s.Limits
	if l.Memory < 0 || l.PIDs < 0 || l.CPUs < 0 {
		return invalidf("limits must not be negative")
	}
	if l.Memory > 0 && l.Memory < 6<<20 {
		return invalidf("memory limit %d bytes is below the 6 MiB a container needs", l.Memory)
	}
	if l.MemorySwap > 0 && l.MemorySwap < l.Memory {
		return invalidf("--memory-swap (memory plus swap) must be at least --memory")
	}
	if l.MemorySwap != 0 && l.Memory == 0 {
		return invalidf("--memory-swap needs --memory")
	}
	if l.CPUShares > 0 && l.CPUWeight > 0 {
		return invalidf("give --cpu-shares or --cpu-weight, not both")
	}
	if l.CPUShares > 262144 || (l.CPUShares > 0 && l.CPUShares < 2) {
		return invalidf("--cpu-shares %d is outside 2..262144", l.CPUShares)
	}
	if l.CPUWeight > 10000 {
		return invalidf("--cpu-weight %d is outside 1..10000", l.CPUWeight)
	}
	if l.IOWeight > 10000 {
		return invalidf("--io-weight %d is outside 1..10000", l.IOWeight)
	}
	if s.Net.Mode == NetContainer && s.Net.Target == "" {
		return invalidf("--net container: needs a TARGET")
	}
	switch s.Net.Mode {
	case "", NetNone, NetHost, NetBridge, NetContainer:
	default:
		return invalidf("invalid network mode %q", s.Net.Mode)
	}
	if s.Hostname != "" && !validHostname(s.Hostname) {
		return invalidf("invalid hostname %q", s.Hostname)
	}
	if s.Cwd != "" && !filepath.IsAbs(s.Cwd) {
		return invalidf("the working directory %q must be absolute", s.Cwd)
	}
	for _, v := range s.Volumes {
		if !filepath.IsAbs(v.Source) || !filepath.IsAbs(v.Target) || filepath.Clean(v.Target) == "/" {
			return invalidf("invalid volume %s:%s", v.Source, v.Target)
		}
	}
	for _, e := range s.Env {
		if !strings.Contains(e, "=") || strings.HasPrefix(e, "=") {
			return invalidf("invalid environment entry %q: use KEY=VALUE", e)
		}
	}
	if _, err := capSet(s.CapAdd, s.CapDrop, s.Privileged); err != nil {
		return err
	}
	return nil
}

func validHostname(h string) bool {
	if len(h) > 64 {
		return false
	}
	for _, r := range h {
		if !(r == '-' || r == '.' || r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')) {
			return false
		}
	}
	return true
}

// cpuQuota turns a CPU count into a CFS quota per 100 ms period, in µs.
func cpuQuota(cpus float64) int64 {
	if cpus <= 0 {
		return 0
	}
	return max(int64(math.Round(cpus*100000)), 1000) // the kernel's minimum quota is 1 ms
}

// String renders v as -v takes it.
func (v Volume) String() string {
	s := v.Source + ":" + v.Target
	if v.ReadOnly {
		s += ":ro"
	}
	return s
}

// describe is a short label for the root of a run, for the report.
func (s *Spec) describe() string {
	switch {
	case s.Image != "":
		return "image " + s.Image
	case s.Bundle != "":
		return "bundle " + s.Bundle
	}
	return fmt.Sprintf("rootfs %s", s.Rootfs)
}
