package netdebug

import "errors"

// ErrNotImplemented is returned on platforms without rtnetlink.
var ErrNotImplemented = errors.New("netdebug: not implemented on this platform")
