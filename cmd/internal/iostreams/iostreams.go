// Package iostreams holds the standard streams a command reads and writes,
// and the terminal facts that decide how output is formatted. Commands take
// an *IOStreams instead of touching os.Stdout, so tests can use Test:
//
//	ios, _, out, _ := iostreams.Test()
//	ios.SetStdoutTTY(true) // pretend to be a terminal
//	runX(ctx, &xOptions{IO: ios})
//	// compare out.String() with a golden file
package iostreams

import (
	"bytes"
	"io"
	"os"
)

// IOStreams is a command's stdin, stdout and stderr.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdoutTTY, stderrTTY bool
}

// System returns the process's standard streams, with stdout's terminal
// status detected once.
func System() *IOStreams {
	return &IOStreams{
		In:        os.Stdin,
		Out:       os.Stdout,
		ErrOut:    os.Stderr,
		stdoutTTY: isTerminal(os.Stdout.Fd()),
		stderrTTY: isTerminal(os.Stderr.Fd()),
	}
}

// Test returns streams backed by buffers, with stdout not a terminal, and the
// buffers for stdin, stdout and stderr.
func Test() (ios *IOStreams, in, out, errOut *bytes.Buffer) {
	in, out, errOut = new(bytes.Buffer), new(bytes.Buffer), new(bytes.Buffer)
	return &IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}

// IsStdoutTTY reports whether stdout is a terminal; times and sizes are
// humanized only then.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// SetStdoutTTY overrides whether stdout counts as a terminal, for tests and
// for flags that force one behavior.
func (s *IOStreams) SetStdoutTTY(tty bool) { s.stdoutTTY = tty }

// IsStderrTTY reports whether stderr is a terminal; warning and error
// prefixes are colored only then (with --color auto).
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// SetStderrTTY overrides whether stderr counts as a terminal, for tests.
func (s *IOStreams) SetStderrTTY(tty bool) { s.stderrTTY = tty }
