package inspect

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// Process is one process as procfs describes it.
type Process struct {
	PID  int    `json:"pid"`
	PPID int    `json:"ppid"`
	UID  int    `json:"uid"`
	User string `json:"user,omitempty"`
	// Comm and Cmdline are exact; CommRaw and CmdlineRaw hold the bytes
	// only when they are not valid UTF-8 (JSON would mangle them).
	Comm       string   `json:"comm"`
	CommRaw    []byte   `json:"commRaw,omitempty"`
	Cmdline    []string `json:"cmdline"`
	CmdlineRaw []byte   `json:"cmdlineRaw,omitempty"`
	// NSpid is the PID at each pid namespace level, host first.
	NSpid        []int      `json:"nspid,omitempty"`
	KernelThread bool       `json:"kernelThread,omitempty"`
	Cgroup       string     `json:"cgroup,omitempty"`
	Container    *Container `json:"container,omitempty"`
}

// Command is what the COMMAND column shows: the command line, or the name
// in brackets for kernel threads and zombies, as ps does.
func (p *Process) Command() string {
	if len(p.Cmdline) > 0 {
		return strings.Join(p.Cmdline, " ")
	}
	return "[" + p.Comm + "]"
}

// status holds the fields of /proc/PID/status that ctx uses.
type status struct {
	PPID    int
	UID     int
	NSpid   []int
	Kthread bool
}

// statusFields splits /proc/PID/status (proc(5)) into its "Key:\tvalue"
// fields, values trimmed. Parsers look keys up by name: kernels add lines.
func statusFields(data []byte) map[string]string {
	f := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if key, val, ok := strings.Cut(line, ":"); ok {
			f[key] = strings.TrimSpace(val)
		}
	}
	return f
}

// parseStatus reads the fields of /proc/PID/status that name a process.
func parseStatus(data []byte) status {
	f := statusFields(data)
	var s status
	s.PPID, _ = strconv.Atoi(f["PPid"])
	if uid := strings.Fields(f["Uid"]); len(uid) > 0 {
		s.UID, _ = strconv.Atoi(uid[0])
	}
	for _, v := range strings.Fields(f["NSpid"]) {
		if n, err := strconv.Atoi(v); err == nil {
			s.NSpid = append(s.NSpid, n)
		}
	}
	s.Kthread = f["Kthread"] == "1"
	return s
}

// parseCmdline splits /proc/PID/cmdline at NULs.
func parseCmdline(data []byte) []string {
	data = bytes.TrimRight(data, "\x00")
	if len(data) == 0 {
		return nil
	}
	return strings.Split(string(data), "\x00")
}

// parseCgroupFile returns the most telling path of /proc/PID/cgroup: the v2
// path when it is not the root (pure v2, or a hybrid host whose unified tree
// is used), else the first v1 path that is not "/".
func parseCgroupFile(data []byte) string {
	var v2, v1 string
	for _, line := range strings.Split(string(data), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case parts[0] == "0" && parts[1] == "":
			v2 = parts[2]
		case v1 == "" && parts[2] != "/":
			v1 = parts[2]
		}
	}
	if v2 != "" && v2 != "/" {
		return v2
	}
	if v1 != "" {
		return v1
	}
	return v2
}

// ReadProcess reads one process. It fails only when the process is gone or
// unreadable as a whole; missing details are left empty.
func ReadProcess(root hostfs.Root, pid int) (*Process, error) {
	st, err := hostfs.ReadFile(root.PID(pid, "status"))
	if err != nil {
		return nil, err
	}
	s := parseStatus(st)
	p := &Process{PID: pid, PPID: s.PPID, UID: s.UID, NSpid: s.NSpid, KernelThread: s.Kthread}
	if comm, err := hostfs.ReadFile(root.PID(pid, "comm")); err == nil {
		comm = bytes.TrimSuffix(comm, []byte("\n"))
		p.Comm = string(comm)
		if !utf8.Valid(comm) {
			p.CommRaw = comm
		}
	}
	if cl, err := hostfs.ReadFile(root.PID(pid, "cmdline")); err == nil {
		p.Cmdline = parseCmdline(cl)
		if !utf8.Valid(cl) {
			p.CmdlineRaw = cl
		}
	}
	if cg, err := hostfs.ReadFile(root.PID(pid, "cgroup")); err == nil {
		p.Cgroup = parseCgroupFile(cg)
		p.Container = containerFromCgroupFile(cg)
	}
	return p, nil
}

// containerFromCgroupFile tries every path of /proc/PID/cgroup: on hybrid
// hosts the v2 line is often "/" while the v1 lines carry the container.
func containerFromCgroupFile(data []byte) *Container {
	for _, line := range strings.Split(string(data), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) == 3 {
			if c := ContainerFromCgroup(parts[2]); c != nil {
				return c
			}
		}
	}
	return nil
}
