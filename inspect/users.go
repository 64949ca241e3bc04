package inspect

import (
	"strconv"
	"strings"

	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// Users maps UIDs to names from the host's /etc/passwd. It reads the file
// under the host root rather than asking NSS, which would answer for the
// sidecar, not the host.
type Users map[int]string

// ReadUsers reads the host's /etc/passwd; a missing file gives an empty map.
func ReadUsers(root hostfs.Root) Users {
	data, err := hostfs.ReadFile(root.Host("/etc/passwd"))
	if err != nil {
		return Users{}
	}
	return parsePasswd(data)
}

func parsePasswd(data []byte) Users {
	u := Users{}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, ":")
		if len(f) < 3 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if uid, err := strconv.Atoi(f[2]); err == nil {
			if _, dup := u[uid]; !dup {
				u[uid] = f[0]
			}
		}
	}
	return u
}

// Name returns the user name of uid, or the number when it has none.
func (u Users) Name(uid int) string {
	if n, ok := u[uid]; ok {
		return n
	}
	return strconv.Itoa(uid)
}
