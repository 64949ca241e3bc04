package sandbox

import (
	"errors"
	"fmt"
)

// ErrInvalid is wrapped by every error about a Spec that cannot run: a
// bad limit, an unknown capability, conflicting options. Nothing has been
// created when it is returned.
var ErrInvalid = errors.New("sandbox: invalid spec")

// ErrNoRootfs means the --rootfs directory, the bundle's root or an image
// layer does not exist or is not a directory.
var ErrNoRootfs = errors.New("sandbox: no rootfs")

// ErrNoImage means no image store on the host holds the image.
var ErrNoImage = errors.New("sandbox: no such image")

// ErrNotImplemented is returned off Linux.
var ErrNotImplemented = errors.New("sandbox: containers need Linux")

// PrivilegeError says ctx lacks a privilege a run needs, and which.
type PrivilegeError struct {
	// Need names the privilege: "root (euid 0)", "CAP_SYS_ADMIN".
	Need string
	// Op is what failed for lack of it; Err the cause, if any.
	Op  string
	Err error
}

func (e *PrivilegeError) Error() string {
	msg := "sandbox: " + e.Op + " needs " + e.Need
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *PrivilegeError) Unwrap() error { return e.Err }

// StartError means the container was set up but its command could not be
// run: Code is 127 when the command was not found, 126 when it was found
// but could not be executed, as a shell and docker run report them.
type StartError struct {
	Code int
	Path string
	Err  error
}

func (e *StartError) Error() string {
	if e.Code == 127 {
		return fmt.Sprintf("sandbox: command not found in the container: %v", e.Err)
	}
	return fmt.Sprintf("sandbox: cannot execute the command in the container: %v", e.Err)
}

func (e *StartError) Unwrap() error { return e.Err }

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}
