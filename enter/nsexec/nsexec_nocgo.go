//go:build !linux || !cgo

package nsexec

import "github.com/ctx-tools/ctx/enter"

// init tells enter that this build has no constructor (CGO_ENABLED=0 or
// not Linux): it joins what a Go process can join and says which entries
// it cannot do.
func init() { enter.Register(enter.Constructor{}) }
