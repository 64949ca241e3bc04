package enter

import (
	"bufio"
	"bytes"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/ctx-tools/ctx/inspect"
)

// procStatus holds the fields of /proc/PID/status that enter uses.
type procStatus struct {
	UID, GID int   // effective, as the reader's user namespace sees them
	NSpid    []int // PID at each pid namespace level, outermost first
}

// parseStatus reads the effective IDs and NSpid of /proc/PID/status
// (proc(5)): "Uid: real effective saved fs".
func parseStatus(data []byte) (procStatus, error) {
	s := procStatus{UID: -1, GID: -1}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		f := strings.Fields(val)
		switch key {
		case "Uid", "Gid":
			if len(f) < 2 {
				return s, fmt.Errorf("enter: status line %q: want 4 IDs", sc.Text())
			}
			n, err := strconv.Atoi(f[1])
			if err != nil {
				return s, fmt.Errorf("enter: status line %q: %w", sc.Text(), err)
			}
			if key == "Uid" {
				s.UID = n
			} else {
				s.GID = n
			}
		case "NSpid":
			for _, x := range f {
				n, err := strconv.Atoi(x)
				if err != nil {
					return s, fmt.Errorf("enter: status line %q: %w", sc.Text(), err)
				}
				s.NSpid = append(s.NSpid, n)
			}
		}
	}
	if s.UID < 0 || s.GID < 0 {
		return s, fmt.Errorf("enter: status has no Uid or Gid line")
	}
	return s, nil
}

// mapID translates id, as ctx's user namespace sees it, into the user
// namespace whose /proc/PID/uid_map or gid_map is idMap (lines "inside
// outside count", user_namespaces(7)). It reports false for an unmapped ID.
func mapID(id int, idMap []byte) (int, bool) {
	for _, line := range strings.Split(string(idMap), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		in, err1 := strconv.Atoi(f[0])
		out, err2 := strconv.Atoi(f[1])
		n, err3 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil || err3 != nil {
			continue
		}
		if id >= out && id-out < n {
			return in + (id - out), true
		}
	}
	return 0, false
}

// parseEnviron splits /proc/PID/environ at NULs.
func parseEnviron(data []byte) []string {
	data = bytes.TrimRight(data, "\x00")
	if len(data) == 0 {
		return []string{}
	}
	return strings.Split(string(data), "\x00")
}

// withoutEnv returns env without any setting of key.
func withoutEnv(env []string, key string) []string {
	out := make([]string, 0, len(env)+1)
	for _, e := range env {
		if k, _, _ := strings.Cut(e, "="); k != key {
			out = append(out, e)
		}
	}
	return out
}

// cgroupDirs maps each hierarchy line of /proc/PID/cgroup ("id:ctrls:path",
// paths relative to the reader's cgroup namespace) to a directory: the
// mount point of that hierarchy in mounts plus the path below the mount's
// root. Controllers are matched against the superblock options, never
// directory names. Hierarchies without a usable mount are left out; none
// at all is an error. host turns a mount point into an openable path.
func cgroupDirs(cgroupFile []byte, mounts []inspect.Mount, host func(string) string) ([]string, error) {
	var dirs []string
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(cgroupFile)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		ctrls, p := parts[1], parts[2]
		for _, m := range mounts {
			if !hierarchyOf(m, parts[0], ctrls) {
				continue
			}
			rel, ok := below(p, m.Root)
			if !ok {
				continue
			}
			dir := path.Join(host(m.MountPoint), rel)
			if !seen[dir] {
				seen[dir] = true
				dirs = append(dirs, dir)
			}
			break
		}
	}
	if len(dirs) == 0 {
		return nil, fmt.Errorf("enter: no mounted cgroup hierarchy holds the target's cgroups")
	}
	return dirs, nil
}

// hierarchyOf reports whether mount m is the hierarchy of a cgroup line.
func hierarchyOf(m inspect.Mount, id, ctrls string) bool {
	if id == "0" && ctrls == "" {
		return m.FSType == "cgroup2"
	}
	if m.FSType != "cgroup" || ctrls == "" {
		return false
	}
	opts := map[string]bool{}
	for _, o := range m.SuperOptions {
		opts[o] = true
	}
	for _, c := range strings.Split(ctrls, ",") {
		if !opts[c] {
			return false
		}
	}
	return true
}

// below returns p relative to root, both absolute cgroup paths.
func below(p, root string) (string, bool) {
	p, root = path.Clean("/"+p), path.Clean("/"+root)
	if root == "/" {
		return p, true
	}
	if p == root {
		return "/", true
	}
	if strings.HasPrefix(p, root+"/") {
		return strings.TrimPrefix(p, root), true
	}
	return "", false
}
