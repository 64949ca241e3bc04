//go:build !linux

package inspect

// Capabilities are a Linux feature and x/sys/unix numbers them only there
// (see caps_linux.go): off Linux no bit has a name, none is dangerous and no
// set is privileged.

var capNames [0]string

// DangerousCaps is empty off Linux.
const DangerousCaps CapSet = 0

var capChecks map[int]Severity

// IsPrivileged is false off Linux.
func IsPrivileged(eff CapSet, lastCap int, hostBounding CapSet) bool { return false }

// capLastCap is -1 off Linux: there are no capability bits.
const capLastCap = -1
