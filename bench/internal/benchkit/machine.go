//go:build linux

package benchkit

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Machine returns the line that describes the machine: the CPU count, the
// RAM, the kernel release, then details (tool versions, say) and the Go
// version, after "machine: " and joined by ", ".
func Machine(details ...string) string {
	parts := []string{fmt.Sprintf("%d CPUs", runtime.NumCPU()), MemTotal() + " RAM", "kernel " + Kernel()}
	parts = append(parts, details...)
	parts = append(parts, runtime.Version())
	return "machine: " + strings.Join(parts, ", ")
}

// MemTotal returns the machine's RAM in GiB from /proc/meminfo, or "?".
func MemTotal() string {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "?"
	}
	mem := "?"
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "MemTotal:" {
			if kb, err := strconv.ParseFloat(f[1], 64); err == nil {
				mem = fmt.Sprintf("%.1f GiB", kb/(1<<20))
			}
		}
	}
	return mem
}

// Kernel returns the kernel release, as uname -r prints it.
func Kernel() string {
	var uts unix.Utsname
	_ = unix.Uname(&uts)
	return unix.ByteSliceToString(uts.Release[:])
}

// Load returns the 1, 5 and 15 minute load averages from /proc/loadavg,
// or "?".
func Load() string {
	data, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(data)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "?"
}

// Version runs path with args and returns the first line of what it
// prints on stdout, trimmed; it is empty when the command prints nothing.
func Version(path string, args ...string) string {
	out, _ := exec.Command(path, args...).Output()
	return strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
}
