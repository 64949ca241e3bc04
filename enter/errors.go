package enter

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// Sentinels; test with errors.Is.
var (
	// ErrGone means the target process exited before or while ctx
	// entered it.
	ErrGone = errors.New("enter: target process is gone")
	// ErrPIDNSDead means the target's pid namespace has lost its init:
	// setns works, but fork fails with ENOMEM (notes P9).
	ErrPIDNSDead = errors.New("enter: the pid namespace has no init")
	// ErrNoConstructor means this ctx has no C constructor (built with
	// CGO_ENABLED=0) and was asked for something only it can do.
	ErrNoConstructor = errors.New("enter: needs the C constructor")
	// ErrNotImplemented is returned off Linux.
	ErrNotImplemented = errors.New("enter: not implemented on this OS")
	// ErrOption means the options contradict each other or lack a
	// target; the CLI shows usage.
	ErrOption = errors.New("enter: bad options")
)

// OptionError says which options conflict; it unwraps to ErrOption.
type OptionError struct{ Msg string }

func (e *OptionError) Error() string { return e.Msg }

// Unwrap lets callers test errors.Is(err, ErrOption).
func (e *OptionError) Unwrap() error { return ErrOption }

func optionErr(format string, a ...any) error { return &OptionError{Msg: fmt.Sprintf(format, a...)} }

// CapabilityError names the capability a refused step needs. It unwraps to
// the errno (EPERM or EACCES), so callers see a permission error.
type CapabilityError struct {
	// Action is what failed: "joining the net namespace".
	Action string
	// Caps are the capabilities it needs, e.g. "CAP_SYS_ADMIN".
	Caps []string
	Err  error
}

func (e *CapabilityError) Error() string {
	return fmt.Sprintf("%s: %v: needs %s", e.Action, e.Err, strings.Join(e.Caps, " and "))
}

// Unwrap returns the errno.
func (e *CapabilityError) Unwrap() error { return e.Err }

// ExitError carries the command's exit status out: ctx exits with Code.
// Err, when set, says why ctx itself could not run the command (exit 126
// or 127, as nsenter and shells use).
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err != nil {
		return e.Err.Error()
	}
	return fmt.Sprintf("command exited with status %d", e.Code)
}

// Unwrap returns the cause, if any.
func (e *ExitError) Unwrap() error { return e.Err }

// StageError is a step of the re-executed entry that failed, as the C
// constructor recorded it.
type StageError struct {
	// Stage is the step: request, setns, fork, unshare-mnt, mount-slave,
	// mount-proc, root, wd, wdns, setgroups, setgid, setuid, keep-caps,
	// exec.
	Stage string
	// NS is the namespace type of a failed setns, when known.
	NS Type
	// Detail is the command of a failed exec, or a request problem.
	Detail string
	// Child says the step failed in the child forked for a pid or time
	// namespace.
	Child bool
	Err   unix.Errno
}

func (e *StageError) Error() string {
	what := e.Stage
	if e.NS != "" {
		what += " " + string(e.NS)
	}
	if e.Detail != "" {
		what += " " + fmt.Sprintf("%q", e.Detail)
	}
	return fmt.Sprintf("enter: %s: %v", what, e.Err)
}

// Unwrap returns the errno.
func (e *StageError) Unwrap() error { return e.Err }

// Explain turns a failed step into the error a user should read: which
// namespace, which capability, what to do.
func (e *StageError) Explain() error {
	errno := e.Err
	switch e.Stage {
	case "setns":
		return setnsError(e.NS, errno)
	case "fork":
		switch errno {
		case unix.ENOMEM:
			return fmt.Errorf("%w: its PID 1 exited, so nothing new can start in it (fork: %v); leave out -p to enter the other namespaces", ErrPIDNSDead, errno)
		case unix.EAGAIN:
			return fmt.Errorf("enter: cannot fork in the target: %w (its pids limit or RLIMIT_NPROC reached?)", errno)
		}
		return fmt.Errorf("enter: fork: %w", errno)
	case "unshare-mnt", "mount-slave", "mount-proc":
		action := map[string]string{
			"unshare-mnt": "creating the private mount namespace of --keep-tools",
			"mount-slave": "making the --keep-tools mount namespace a slave",
			"mount-proc":  "mounting a fresh /proc for --keep-tools",
		}[e.Stage]
		if errno == unix.EPERM || errno == unix.EACCES {
			return &CapabilityError{Action: action, Caps: []string{"CAP_SYS_ADMIN"}, Err: errno}
		}
		return fmt.Errorf("enter: %s: %w", action, errno)
	case "root":
		if errno == unix.EPERM {
			return &CapabilityError{Action: "changing root (-r)", Caps: []string{"CAP_SYS_CHROOT"}, Err: errno}
		}
		return fmt.Errorf("enter: changing root (-r): %w", errno)
	case "wd", "wdns":
		return fmt.Errorf("enter: changing to the working directory %s: %w", orTarget(e.Detail), errno)
	case "setgroups", "setgid", "setuid", "keep-caps":
		if errno == unix.EPERM {
			caps := map[string]string{"setgroups": "CAP_SETGID", "setgid": "CAP_SETGID", "setuid": "CAP_SETUID", "keep-caps": "CAP_SETPCAP"}
			return &CapabilityError{Action: e.Stage, Caps: []string{caps[e.Stage]}, Err: errno}
		}
		if errno == unix.EINVAL && e.Stage != "keep-caps" {
			return fmt.Errorf("enter: %s: %w: the id is not mapped in the target's user namespace", e.Stage, errno)
		}
		return fmt.Errorf("enter: %s: %w", e.Stage, errno)
	case "exec":
		code := 126
		if errno == unix.ENOENT {
			code = 127
		}
		return &ExitError{Code: code, Err: fmt.Errorf("cannot run %q: %w", e.Detail, errno)}
	}
	return e
}

func orTarget(s string) string {
	if s == "" {
		return "of the target"
	}
	return fmt.Sprintf("%q", s)
}

// setnsError explains a refused setns of type t ("" when the atomic join
// through the pidfd failed).
func setnsError(t Type, errno unix.Errno) error {
	action := "joining the target's namespaces"
	if t != "" {
		action = "joining the " + string(t) + " namespace"
	}
	switch errno {
	case unix.ESRCH:
		return ErrGone
	case unix.EPERM, unix.EACCES:
		caps := []string{"CAP_SYS_ADMIN"}
		switch t {
		case Mnt:
			caps = append(caps, "CAP_SYS_CHROOT")
		case User:
			caps = []string{"CAP_SYS_ADMIN in the target's user namespace"}
		}
		return &CapabilityError{Action: action, Caps: caps, Err: errno}
	case unix.EINVAL:
		switch t {
		case PID:
			return fmt.Errorf("%s: %w: the target's pid namespace is not below ctx's; in a sidecar, run ctx with the host's pid namespace (pid: host, hostPID: true)", action, errno)
		case User:
			return fmt.Errorf("%s: %w: ctx is already in it, or shares its filesystem attributes", action, errno)
		case Mnt:
			return fmt.Errorf("%s: %w: it may be an anonymous mount namespace (new mount API)", action, errno)
		}
	case unix.EUSERS:
		return fmt.Errorf("%s: %w: a time namespace can only be joined by a single-threaded process", action, errno)
	}
	return fmt.Errorf("enter: %s: %w", action, errno)
}

// Constructor describes the C half linked into this binary. enter/nsexec
// registers it from its init function.
type Constructor struct {
	// Linked is true in cgo builds that import enter/nsexec.
	Linked bool
	// Failure is set when this process is a re-exec whose entry failed.
	Failure *StageError
}

// constructor is what enter/nsexec registered; the zero value (none) fits
// binaries that do not import it.
var constructor Constructor

// Register records the constructor. Only enter/nsexec calls it, from init.
func Register(c Constructor) { constructor = c }

// ReexecError returns the explained failure of the entry when this process
// is a re-executed ctx whose constructor failed, and nil otherwise. The
// CLI calls it before anything else: the process may already be inside
// some of the target's namespaces.
func ReexecError() error {
	if constructor.Failure == nil {
		return nil
	}
	return constructor.Failure.Explain()
}
