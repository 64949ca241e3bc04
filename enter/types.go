package enter

// Type is a kind of namespace, named as in /proc/PID/ns.
type Type string

// The eight namespace types.
const (
	Cgroup Type = "cgroup"
	IPC    Type = "ipc"
	Mnt    Type = "mnt"
	Net    Type = "net"
	PID    Type = "pid"
	Time   Type = "time"
	User   Type = "user"
	UTS    Type = "uts"
)

// Types lists every type in the order ctx joins them one at a time: user
// first, as util-linux nsenter does (its second pass relies on it).
var Types = []Type{User, Cgroup, IPC, UTS, Net, PID, Mnt, Time}

// keepTools are the types --keep-tools joins: everything that gives host
// tools the target's view except mnt (user and time only when asked or
// needed).
var keepTools = []Type{Cgroup, IPC, UTS, Net, PID}

// Valid reports whether t is one of the eight types.
func (t Type) Valid() bool {
	for _, x := range Types {
		if x == t {
			return true
		}
	}
	return false
}
