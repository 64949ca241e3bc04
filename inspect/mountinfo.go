package inspect

import (
	"bufio"
	"bytes"
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

// parseNSFSMounts picks the nsfs lines out of /proc/PID/mountinfo (proc(5)).
// The root field of an nsfs mount names the namespace ("net:[4026532281]")
// and the major:minor field is the nsfs device, so no stat is needed.
func parseNSFSMounts(data []byte) []nsfsMount {
	var out []nsfsMount
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		sep := strings.Index(line, " - ")
		if sep < 0 {
			continue
		}
		post := strings.Fields(line[sep+3:])
		if len(post) == 0 || post[0] != "nsfs" {
			continue
		}
		pre := strings.Fields(line[:sep])
		if len(pre) < 5 {
			continue
		}
		typ, ino, ok := parseNSLink(pre[3])
		if !ok {
			continue
		}
		dev, ok := parseMajorMinor(pre[2])
		if !ok {
			continue
		}
		out = append(out, nsfsMount{ID: NSID{Dev: dev, Ino: ino}, Type: typ, MountPoint: unescapeMountinfo(pre[4])})
	}
	return out
}

func parseMajorMinor(s string) (uint64, bool) {
	maj, min, ok := strings.Cut(s, ":")
	if !ok {
		return 0, false
	}
	a, err1 := strconv.ParseUint(maj, 10, 32)
	b, err2 := strconv.ParseUint(min, 10, 32)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return unix.Mkdev(uint32(a), uint32(b)), true
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
