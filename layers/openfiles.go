package layers

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
)

// OpenFile is a deleted file a container's process still holds open: its
// blocks stay allocated until the last fd closes, yet no directory (and
// no du, no docker ps -s) shows it. Equivalent to: `lsof +L1`.
type OpenFile struct {
	PID     int    `json:"pid"`
	FD      int    `json:"fd"`
	Path    string `json:"path"`
	PathRaw []byte `json:"pathRaw,omitempty"`
	Sizes
	// MountID is fdinfo's mnt_id; MountPoint is that mount in the
	// process's mount namespace ("/" for the container's rootfs).
	MountID    int    `json:"mountId"`
	MountPoint string `json:"mountPoint"`
}

// deletedSuffix is what the kernel appends to an fd link of an unlinked
// file (d_path in fs/d_path.c).
const deletedSuffix = " (deleted)"

// parseFDInfoMntID reads mnt_id from /proc/PID/fdinfo/FD (proc(5)).
func parseFDInfoMntID(data []byte) (int, bool) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || strings.TrimSpace(k) != "mnt_id" {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return 0, false
		}
		return n, true
	}
	return 0, false
}

// memoryFS are filesystems whose deleted files cost memory, not disk.
var memoryFS = map[string]bool{"tmpfs": true, "devtmpfs": true, "ramfs": true, "proc": true, "sysfs": true,
	"mqueue": true, "devpts": true, "cgroup": true, "cgroup2": true, "hugetlbfs": true, "shm": true}
