//go:build !linux

package enter

import "github.com/ctx-tools/ctx/inspect/hostfs"

// Exec returns ErrNotImplemented: namespaces are a Linux feature.
func Exec(root hostfs.Root, o Options) error {
	if err := o.Validate(); err != nil {
		return err
	}
	return ErrNotImplemented
}
