package cli

import (
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/ctx-tools/ctx/cmd/internal/iostreams"
	"github.com/ctx-tools/ctx/cmd/internal/printers"
	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// Factory carries what every command shares: streams, the lazily built host
// root, the output flags and the global switches.
type Factory struct {
	IO      *iostreams.IOStreams
	Printer *printers.Flags
	// Host builds the host root from the global flags on first use, so
	// `ctx version` works without /proc.
	Host func() (hostfs.Root, error)

	Strict  bool
	Verbose bool
	Color   string

	hostFlags hostFlags
	getenv    func(string) string
	warned    bool
}

// hostFlags are the global flags that locate the host.
type hostFlags struct {
	root, proc, sys, cgroup string
}

// NewFactory returns a Factory that reads its defaults from getenv
// (CTX_HOST_ROOT, HOST_PROC, HOST_SYS, NO_COLOR).
func NewFactory(io *iostreams.IOStreams, getenv func(string) string) *Factory {
	f := &Factory{IO: io, Printer: &printers.Flags{Output: "table"}, getenv: getenv}
	f.Host = sync.OnceValues(f.buildHost)
	return f
}

func (f *Factory) buildHost() (hostfs.Root, error) {
	h := f.hostFlags
	root := firstNonEmpty(h.root, f.getenv("CTX_HOST_ROOT"), autoHostRoot(f.getenv("CTX_AUTO_HOST_ROOT")), "/")
	return hostfs.New(root,
		hostfs.WithProc(firstNonEmpty(h.proc, f.getenv("HOST_PROC"))),
		hostfs.WithSys(firstNonEmpty(h.sys, f.getenv("HOST_SYS"))),
		hostfs.WithCgroup(h.cgroup))
}

// Emit prints a document in the chosen format on stdout.
func (f *Factory) Emit(d printers.Doc) error { return f.EmitTo(f.IO.Out, d) }

// EmitTo is Emit onto w (ctx run reports on stderr: its stdout belongs to
// the command). Warnings go to stderr for tables and into the envelope for
// JSON; either way they are remembered for --strict.
func (f *Factory) EmitTo(w io.Writer, d printers.Doc) error {
	if d.Warnings == nil {
		d.Warnings = []string{}
	}
	if len(d.Warnings) > 0 {
		f.warned = true
		if f.Printer.Output != "json" {
			printers.PrintWarningsColor(f.IO.ErrOut, d.Warnings, f.colorErr())
		}
	}
	return printers.Print(w, *f.Printer, d)
}

// colorErr reports whether stderr's warning and error prefixes get color:
// --color always, or auto on a terminal; NO_COLOR (any value) turns it off
// unless --color always.
func (f *Factory) colorErr() bool {
	switch f.Color {
	case "always":
		return true
	case "never":
		return false
	}
	return f.IO.IsStderrTTY() && f.getenv("NO_COLOR") == ""
}

// autoHostRoot is the sidecar image's default: the image sets
// CTX_AUTO_HOST_ROOT=/host, which applies only when the host really is
// mounted there (dir/proc exists), so the same image also works without it.
func autoHostRoot(dir string) string {
	if dir == "" {
		return ""
	}
	if _, err := os.Stat(filepath.Join(dir, "proc")); err != nil {
		return ""
	}
	return dir
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
