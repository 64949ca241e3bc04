package inspect

import (
	"fmt"
	"strconv"
	"strings"
)

// NSTypes are the eight namespace types, in the order lsns lists them.
var NSTypes = []string{"mnt", "net", "pid", "uts", "ipc", "user", "cgroup", "time"}

// forChildren are the links that name the namespace a process's next child
// will get; they reveal pid and time namespaces before anything lives in them.
var forChildren = map[string]string{"pid_for_children": "pid", "time_for_children": "time"}

// NSID identifies a namespace: nsfs (device, inode). The inode alone is not
// unique when a system has more than one nsfs instance.
type NSID struct {
	Dev uint64 `json:"dev"`
	Ino uint64 `json:"ino"`
}

// String shows an NSID as dev:ino for messages.
func (id NSID) String() string { return fmt.Sprintf("%d:%d", id.Dev, id.Ino) }

// Holder says what keeps a namespace alive.
type Holder struct {
	// Kind is one of proc, task, pid_for_children, time_for_children, bind, fd, hidden.
	Kind string `json:"kind"`
	PID  int    `json:"pid,omitempty"`
	TID  int    `json:"tid,omitempty"`
	FD   int    `json:"fd,omitempty"`
	Path string `json:"path,omitempty"`
}

// String renders a holder as the HOLDER column shows it: proc, bind:PATH,
// fd:PID/N, task:TID.
func (h Holder) String() string {
	switch h.Kind {
	case "bind":
		return "bind:" + h.Path
	case "fd":
		return "fd:" + strconv.Itoa(h.PID) + "/" + strconv.Itoa(h.FD)
	case "task":
		return "task:" + strconv.Itoa(h.TID)
	case "pid_for_children", "time_for_children":
		return h.Kind + ":" + strconv.Itoa(h.PID)
	}
	return h.Kind
}

// Namespace is one namespace with what holds it and who owns it.
type Namespace struct {
	ID   NSID   `json:"-"`
	Ino  uint64 `json:"ns"`
	Dev  uint64 `json:"dev"`
	Type string `json:"type"`
	// NProcs counts processes (not threads) whose /proc/PID/ns link names it,
	// as lsns does.
	NProcs int `json:"nprocs"`
	// PIDs lists those processes, sorted.
	PIDs []int `json:"pids"`
	// Process is the lowest-PID member, nil when no process is inside.
	Process *Process `json:"process,omitempty"`
	// Holders lists bind mounts, fds, loose threads and *_for_children links.
	Holders []Holder `json:"holders"`
	// Owner is the inode of the owning user namespace; Parent that of the
	// parent user or pid namespace. Zero means unknown or none.
	Owner    uint64 `json:"owner,omitempty"`
	Parent   uint64 `json:"parent,omitempty"`
	OwnerUID *int   `json:"ownerUid,omitempty"`
	// Initial marks the host's own namespaces: those of kthreadd, which
	// the kernel keeps in the initial namespaces (PID 1 may refuse to be
	// read even by root).
	Initial bool `json:"initial,omitempty"`
	// Hidden marks an intermediate user or pid namespace found only as the
	// parent of another: nothing on the host names it directly.
	Hidden bool `json:"hidden,omitempty"`
	// NetNSID is the id the caller's netns gives this one (net only), set by
	// callers that can ask netlink.
	NetNSID *int `json:"netnsid,omitempty"`

	// ref is a path that opens this namespace, for ioctls; refRank says
	// how good a path it is (see setRef).
	ref     string
	refRank int
}

// Ref is a path that opens the namespace from here, empty if none is known.
func (n *Namespace) Ref() string { return n.ref }

// parseNSLink parses the target of a /proc/PID/ns/* link: "net:[4026531993]".
func parseNSLink(s string) (typ string, ino uint64, ok bool) {
	i := strings.IndexByte(s, ':')
	if i <= 0 || len(s) < i+4 || s[i+1] != '[' || s[len(s)-1] != ']' {
		return "", 0, false
	}
	ino, err := strconv.ParseUint(s[i+2:len(s)-1], 10, 64)
	if err != nil {
		return "", 0, false
	}
	return s[:i], ino, true
}

func quote(s string) string { return strconv.Quote(s) }
