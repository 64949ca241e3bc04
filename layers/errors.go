package layers

import (
	"errors"
	"fmt"
)

// ErrNoStore means no storage directory of a known runtime was found.
var ErrNoStore = errors.New("layers: no container storage found")

// ErrNotOverlay means a process's root is not an overlay mount, so it has
// no layers to show.
var ErrNotOverlay = errors.New("layers: root is not an overlay mount")

// ErrNotImplemented is returned on systems without the Linux syscalls the
// walker needs.
var ErrNotImplemented = errors.New("layers: not implemented on this system")

// ErrNoPath means a path is not present in a stack.
var ErrNoPath = errors.New("layers: no such path in the stack")

// PrivilegeError says which privilege a read needs: the storage directories
// are root's, and trusted.overlay.* xattrs need CAP_SYS_ADMIN.
type PrivilegeError struct {
	// Path is the host path that could not be read.
	Path string
	// Missing names what is lacking, e.g. "root (CAP_DAC_READ_SEARCH)".
	Missing string
	Err     error
}

func (e *PrivilegeError) Error() string {
	return fmt.Sprintf("layers: cannot read %q: %v: needs %s", e.Path, e.Err, e.Missing)
}

// Unwrap returns the underlying permission error, so errors.Is(err,
// fs.ErrPermission) holds.
func (e *PrivilegeError) Unwrap() error { return e.Err }
