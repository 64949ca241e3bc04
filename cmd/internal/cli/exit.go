package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/cmd/internal/printers"
)

// ExitCode is the process exit status; see docs/output.md.
type ExitCode int

// Exit codes shared by every command.
const (
	ExitOK         ExitCode = 0
	ExitError      ExitCode = 1
	ExitUsage      ExitCode = 2
	ExitFindings   ExitCode = 3
	ExitPermission ExitCode = 4
	ExitPartial    ExitCode = 8
)

// usageError marks a bad flag, argument or output format: exit 2, usage
// printed.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// FindingsError says a check command found problems: exit 3. The findings
// themselves have been printed already.
type FindingsError struct{ N int }

func (e *FindingsError) Error() string { return fmt.Sprintf("%d findings", e.N) }

// ExitStatusError makes ctx exit with a command's status (ctx enter passes
// its command's through, as nsenter does). Err, when set, is printed: why
// the command could not be run (126, 127).
type ExitStatusError struct {
	Code ExitCode
	Err  error
}

func (e *ExitStatusError) Error() string {
	if e.Err != nil {
		return e.Err.Error()
	}
	return fmt.Sprintf("exit status %d", e.Code)
}

func (e *ExitStatusError) Unwrap() error { return e.Err }

// exitCode is the one ladder from an error to an exit code. It returns the
// message to print (empty for none) and whether usage should follow.
func exitCode(err error, warned, strict bool) (ExitCode, string, bool) {
	var (
		usage    *usageError
		findings *FindingsError
		status   *ExitStatusError
	)
	switch {
	case errors.As(err, &status):
		if status.Err == nil {
			return status.Code, "", false
		}
		return status.Code, status.Err.Error(), false
	case err == nil && warned && strict:
		return ExitPartial, "partial result: see the warnings above (--strict)", false
	case err == nil:
		return ExitOK, "", false
	case errors.As(err, &usage), errors.Is(err, printers.ErrFormat), isCobraUsage(err):
		return ExitUsage, err.Error(), true
	case isPermission(err):
		return ExitPermission, err.Error() + "\nhint: run as root, or give the sidecar CAP_SYS_ADMIN and CAP_SYS_PTRACE (see docs/privileges.md)", false
	case errors.As(err, &findings):
		return ExitFindings, "", false
	}
	return ExitError, err.Error(), false
}

func isPermission(err error) bool {
	return errors.Is(err, fs.ErrPermission) || errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES)
}

// isCobraUsage recognises the argument errors cobra raises itself, which it
// does not type.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires at least", "requires at most", "invalid argument", "flag needs an argument"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}
