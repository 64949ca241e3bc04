package inspect

import (
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// nsfsMount is one namespace bind mount found in a mountinfo file.
type nsfsMount struct {
	ID         NSID
	Type       string
	MountPoint string // as seen in the mount namespace the mountinfo came from
}

// parseNSFSMounts picks the nsfs mounts out of /proc/PID/mountinfo
// (proc(5)). The root field of an nsfs mount names the namespace
// ("net:[4026532281]") and the major:minor field is the nsfs device, so no
// stat is needed.
func parseNSFSMounts(data []byte) ([]nsfsMount, error) {
	mounts, err := ParseMountInfo(data)
	if err != nil {
		return nil, err
	}
	var out []nsfsMount
	for _, m := range mounts {
		if m.FSType != "nsfs" {
			continue
		}
		if typ, ino, ok := parseNSLink(m.Root); ok {
			dev := unix.Mkdev(uint32(m.Major), uint32(m.Minor))
			out = append(out, nsfsMount{ID: NSID{Dev: dev, Ino: ino}, Type: typ, MountPoint: m.MountPoint})
		}
	}
	return out, nil
}

// unescapeMountinfo undoes the kernel's octal escapes (\040 for a space,
// \011, \012, \134) in mountinfo path fields.
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
