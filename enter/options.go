package enter

import (
	"io"
	"strings"
)

// ID is a user or group ID for -S/-G: a number, or the target's own
// (nsenter's "follow").
type ID struct {
	Follow bool
	Value  int
}

// Options say what to enter and how; they mirror util-linux nsenter.
type Options struct {
	// PID is the target process; 0 when every namespace comes from a file.
	PID int
	// NSPath is a TARGET that is a namespace file (netns/NAME, a bind
	// mount, /proc/PID/fd/N): it is joined as whatever type it is.
	NSPath string
	// Types are the namespaces asked for by type flags: "" joins the
	// target's, a path joins the namespace file there (--net=FILE).
	Types map[Type]string
	// All joins every namespace of the target that differs from ctx's
	// (nsenter -a).
	All bool
	// KeepTools joins net, pid, ipc, uts and cgroup (user only if needed;
	// with All or Types, those minus mnt) but never mnt. The command runs
	// in a private slave copy of ctx's mount namespace with a fresh /proc
	// of the target's pid namespace and CTX_ROOT=/proc/N/root, N being the
	// target's PID there. It is implied when no type flag, no All and no
	// NSPath is given.
	KeepTools bool

	UID, GID            *ID
	PreserveCredentials bool
	KeepCaps            bool
	// Root and WD are -r and -w: nil for unset, "" for the target's root
	// or cwd, else a directory in ctx's mount namespace.
	Root, WD *string
	// WDNS is -W: a working directory inside the entered mount namespace.
	WDNS string
	// NoFork keeps ctx from forking after joining a pid or time namespace.
	NoFork bool
	// TargetEnv gives the command the target's environment (-e).
	TargetEnv bool
	// JoinCgroup moves the command into the target's cgroups, v1 and v2.
	JoinCgroup bool
	// PreserveFDs passes ctx's fds 3 .. 3+N-1 to the command.
	PreserveFDs int

	// Argv is the command; Env the environment it gets unless TargetEnv.
	Argv []string
	Env  []string
	// Self is the argv ctx re-executes itself with: its own command line,
	// so that a failed entry is reported by the same command.
	Self []string
	// Stdin, Stdout and Stderr serve the command when ctx runs it from
	// Go (no constructor); the re-exec passes fds 0, 1 and 2 as they are.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// keepTools reports whether the command runs with ctx's tools: asked for,
// or the default when nothing else is selected.
func (o *Options) keepTools() bool {
	return o.KeepTools || (len(o.Types) == 0 && !o.All && o.NSPath == "")
}

// Validate rejects contradictory options before any host access. Its
// errors unwrap to ErrOption.
func (o *Options) Validate() error {
	for t := range o.Types {
		if !t.Valid() {
			return optionErr("unknown namespace type %q", t)
		}
	}
	needsPID := o.All || o.TargetEnv || o.JoinCgroup ||
		(o.Root != nil && *o.Root == "") || (o.WD != nil && *o.WD == "") ||
		(o.UID != nil && o.UID.Follow) || (o.GID != nil && o.GID.Follow)
	for _, p := range o.Types {
		if p == "" && o.NSPath == "" {
			needsPID = true
		}
	}
	if o.keepTools() {
		switch {
		case o.NSPath != "":
			return optionErr("--keep-tools needs a process or container TARGET, not a namespace file")
		case hasType(o.Types, Mnt):
			return optionErr("--keep-tools never joins the mount namespace: leave out -m")
		case o.Root != nil:
			return optionErr("-r/--root conflicts with --keep-tools: the target's root is at $CTX_ROOT")
		case o.WDNS != "":
			return optionErr("-W/--wdns conflicts with --keep-tools: there is no target mount namespace")
		case o.NoFork:
			return optionErr("-F/--no-fork conflicts with --keep-tools: the fresh /proc is mounted by the forked child")
		}
		needsPID = true
	}
	switch {
	case o.PID < 0:
		return optionErr("bad PID %d", o.PID)
	case o.PID == 0 && needsPID:
		return optionErr("a process or container TARGET is needed (only namespaces given as files can be entered without one)")
	case o.PID == 0 && o.NSPath == "" && len(o.Types) == 0:
		return optionErr("nothing to enter: give a TARGET or a namespace file (--net=FILE)")
	case o.PreserveFDs < 0:
		return optionErr("--preserve-fds must not be negative")
	case len(o.Argv) == 0 || o.Argv[0] == "":
		return optionErr("no command to run")
	case o.UID != nil && !o.UID.Follow && o.UID.Value < 0, o.GID != nil && !o.GID.Follow && o.GID.Value < 0:
		return optionErr("-S/-G take a non-negative ID or \"follow\"")
	}
	for _, s := range append(append([]string{o.WDNS}, o.Argv...), o.Env...) {
		if strings.IndexByte(s, 0) >= 0 {
			return optionErr("the command, its environment and -W cannot contain NUL bytes")
		}
	}
	return nil
}

func hasType(m map[Type]string, t Type) bool {
	_, ok := m[t]
	return ok
}

// selection is what to join: the types with their namespace files, and
// whether user is optional (keep-tools: joined only when a join fails
// without it).
type selection struct {
	types   []Type // in Types order
	optUser bool
	fork    bool
}

// selectTypes decides which namespaces to join from the options, the
// types this kernel has, and which of the target's namespaces equal
// ctx's own. An equal namespace is skipped, except mnt (joining it resets
// root and cwd, as with nsenter): re-joining one's own user namespace is
// EINVAL, and an equal pid or time namespace needs no fork.
func selectTypes(o *Options, available func(Type) bool, same func(Type) bool) selection {
	want := map[Type]bool{}
	var optUser bool
	switch {
	case len(o.Types) > 0:
		for t := range o.Types {
			want[t] = true
		}
	case o.All:
		for _, t := range Types {
			want[t] = available(t)
		}
		if o.keepTools() {
			want[Mnt] = false
		}
	default: // keep-tools
		for _, t := range keepTools {
			want[t] = available(t)
		}
		optUser = available(User)
	}
	var s selection
	for _, t := range Types {
		switch {
		case t == User && optUser && !want[User]:
			if !same(User) {
				s.types = append(s.types, User)
				s.optUser = true
			}
		case !want[t]:
		case t != Mnt && same(t):
		default:
			s.types = append(s.types, t)
			if (t == PID || t == Time) && !o.NoFork {
				s.fork = true
			}
		}
	}
	return s
}

// has reports whether the selection joins t (optional user included).
func (s selection) has(t Type) bool {
	for _, x := range s.types {
		if x == t {
			return true
		}
	}
	return false
}
