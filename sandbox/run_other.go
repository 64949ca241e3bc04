//go:build !linux

package sandbox

import (
	"context"

	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// Run needs Linux namespaces and cgroups.
func Run(context.Context, hostfs.Root, *Spec) (*Report, error) { return nil, ErrNotImplemented }

// GC needs Linux.
func GC(hostfs.Root, GCOptions) (*GCReport, error) { return nil, ErrNotImplemented }
