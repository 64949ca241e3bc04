// Package cli is the ctx command line: the cobra tree, the global flags,
// and the one place that turns errors into exit codes. Commands gather data
// from the domain packages and hand it to the printers.
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/ctx-tools/ctx/cmd/internal/iostreams"
	"github.com/ctx-tools/ctx/cmd/internal/printers"
)

// NewRootCmd builds the whole command tree on f.
func NewRootCmd(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "ctx",
		Short: "See and fix what containers are made of",
		Long: `ctx shows what containers are made of, from the kernel's own view: namespaces,
cgroups, overlay layers, veth/bridge networking, capabilities, seccomp and LSM
labels. It reads /proc, /sys and the runtimes' on-disk state, so it works when
the container engine is down.

Most commands need root (or CAP_SYS_PTRACE and CAP_SYS_ADMIN) to see every
process; without them they show what they can and warn about the rest.`,
		Example: `  # every namespace on the host, with the container that holds it
  sudo ctx ns ls

  # what is this PID, and what can it do to the host?
  sudo ctx inspect --check 4242

  # from a sidecar with the host mounted at /host
  docker run --rm --pid=host --net=host --cap-add SYS_ADMIN --cap-add SYS_PTRACE -v /:/host:ro ctx:dev ps`,
		SilenceUsage:          true,
		SilenceErrors:         true,
		DisableAutoGenTag:     true,
		PersistentPreRunE:     func(cmd *cobra.Command, args []string) error { return f.validateGlobals() },
		CompletionOptions:     cobra.CompletionOptions{HiddenDefaultCmd: false},
		DisableFlagsInUseLine: false,
	}
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })

	pf := root.PersistentFlags()
	pf.StringVar(&f.hostFlags.root, "host-root", "", "directory holding the host's / (default \"/\"; env CTX_HOST_ROOT)")
	pf.StringVar(&f.hostFlags.proc, "proc", "", "procfs of the host (default <host-root>/proc; env HOST_PROC)")
	pf.StringVar(&f.hostFlags.sys, "sys", "", "sysfs of the host (default <host-root>/sys; env HOST_SYS)")
	pf.StringVar(&f.hostFlags.cgroup, "cgroup-root", "", "cgroup mount root of the host (default <host-root>/sys/fs/cgroup)")
	f.Printer.AddFlags(pf)
	pf.BoolVar(&f.Strict, "strict", false, "treat warnings (partial results) as failure: exit 8")
	pf.StringVar(&f.Color, "color", "auto", "color the warning and error prefixes on stderr: auto (on a terminal), always, never; NO_COLOR turns auto off")
	pf.BoolVarP(&f.Verbose, "verbose", "v", false, "say more about what was skipped")

	root.AddCommand(
		newCmdNS(f),
		newCmdPs(f, nil),
		newCmdInspect(f, nil),
		newCmdEnter(f),
		newCmdCgroup(f),
		newCmdLayers(f),
		newCmdNet(f),
		newCmdRun(f),
		newCmdGc(f),
		newCmdVersion(f),
	)
	return root
}

// runCommand validates the output flags and runs a command's opts with
// runF, which tests pass, or else def.
func runCommand[O any](cmd *cobra.Command, f *Factory, opts O, runF, def func(context.Context, O) error) error {
	if err := f.Printer.Validate(); err != nil {
		return err
	}
	if runF == nil {
		runF = def
	}
	return runF(cmd.Context(), opts)
}

// validateGlobals rejects bad global values before any host access.
func (f *Factory) validateGlobals() error {
	switch f.Color {
	case "auto", "always", "never":
	default:
		return &usageError{fmt.Errorf("invalid --color %q: use auto, always or never", f.Color)}
	}
	return nil
}

// Main runs ctx with the process's arguments and returns its exit code.
// It alone prints errors.
func Main() ExitCode {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	f := NewFactory(iostreams.System(), os.Getenv)
	return run(ctx, f, NewRootCmd(f), os.Args[1:])
}

func run(ctx context.Context, f *Factory, root *cobra.Command, args []string) ExitCode {
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	code, msg, usage := exitCode(err, f.warned, f.Strict)
	if msg != "" {
		// Escape each line: multi-line messages (candidate lists, hints)
		// keep their shape, but nothing in them reaches the terminal raw.
		lines := strings.Split(msg, "\n")
		for i, l := range lines {
			lines[i] = printers.Escape(l)
		}
		fmt.Fprintln(f.IO.ErrOut, printers.Prefix("error:", printers.Red, f.colorErr())+" "+strings.Join(lines, "\n"))
	}
	if usage && cmd != nil && !errors.Is(err, printers.ErrFormat) {
		fmt.Fprintln(f.IO.ErrOut, "\n"+cmd.UsageString())
	}
	return code
}
