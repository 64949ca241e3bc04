//go:build linux && !amd64 && !arm64

package sandbox

import "errors"

// loadSeccomp has no syscall table for this architecture.
func loadSeccomp() error {
	return errors.New("no default seccomp filter for this architecture: run with --seccomp unconfined")
}
