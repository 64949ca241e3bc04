//go:build linux && cgo

package nsexec

/*
#include "nsexec.h"
*/
import "C"

import (
	"syscall"

	"github.com/ctx-tools/ctx/enter"
)

// init tells enter that the constructor is linked and hands over what it
// left when this process is a re-exec whose entry failed.
func init() {
	st := C.ctx_nsexec_state()
	c := enter.Constructor{Linked: true}
	if st.active != 0 && st.failed != 0 {
		c.Failure = &enter.StageError{
			Stage:  C.GoString(&st.stage[0]),
			NS:     enter.Type(C.GoString(&st.ns[0])),
			Detail: C.GoString(&st.detail[0]),
			Child:  st.child != 0,
			Err:    syscall.Errno(st.err),
		}
	}
	enter.Register(c)
}
