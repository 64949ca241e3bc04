package sandbox

import (
	"strings"

	"github.com/ctx-tools/ctx/inspect"
)

// dockerDefaultCaps is the capability set Docker (moby
// oci/caps/defaults.go) gives a container's root.
var dockerDefaultCaps = capsNamed("CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW",
	"SETGID", "SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE")

func capsNamed(names ...string) inspect.CapSet {
	var set inspect.CapSet
	for _, n := range names {
		if b, ok := inspect.CapByName(n); ok {
			set |= inspect.CapSetOf(b)
		}
	}
	return set
}

// allCaps has every capability the kernel may know (bits 0..63); the ones
// it does not know are dropped from nothing.
const allCaps = inspect.CapSet(^uint64(0))

// capSet computes the container's capability set from Docker's default
// and --cap-add / --cap-drop, which take names in any of docker's
// spellings or "ALL". Privileged keeps every capability.
func capSet(add, drop []string, privileged bool) (inspect.CapSet, error) {
	if privileged {
		return allCaps, nil
	}
	set := dockerDefaultCaps
	for _, n := range add {
		if strings.EqualFold(n, "all") {
			set = allCaps
			continue
		}
		b, ok := inspect.CapByName(n)
		if !ok {
			return 0, invalidf("unknown capability %q in --cap-add", n)
		}
		set |= inspect.CapSetOf(b)
	}
	for _, n := range drop {
		if strings.EqualFold(n, "all") {
			set = 0
			continue
		}
		b, ok := inspect.CapByName(n)
		if !ok {
			return 0, invalidf("unknown capability %q in --cap-drop", n)
		}
		set &^= inspect.CapSetOf(b)
	}
	// --cap-drop ALL --cap-add X keeps X, as in docker: adds win.
	for _, n := range add {
		if b, ok := inspect.CapByName(n); ok && !containsFold(drop, n) {
			set |= inspect.CapSetOf(b)
		}
	}
	return set, nil
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
