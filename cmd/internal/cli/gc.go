package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/spf13/cobra"

	"github.com/ctx-tools/ctx/cmd/internal/printers"
	"github.com/ctx-tools/ctx/sandbox"
)

type gcOptions struct {
	f    *Factory
	Opts sandbox.GCOptions
}

// newCmdGc is `ctx gc`.
func newCmdGc(f *Factory) *cobra.Command { return newCmdGcF(f, nil) }

func newCmdGcF(f *Factory, runF func(context.Context, *gcOptions) error) *cobra.Command {
	opts := &gcOptions{f: f}
	cmd := &cobra.Command{
		Use:   "gc [--dry-run] [--kept]",
		Short: "Remove what a killed ctx run left behind",
		Long: `Find and remove what ctx run leaves when it is killed (kill -9, an OOM kill
of ctx itself, a reboot of the node agent): cgroups named ctx-<id> in every
hierarchy (their processes are killed first), host veths ctx-<id>, named
network namespaces /run/netns/ctx-<id>, mounts and state (scratch) dirs
under --state-dir, and the ctx0 bridge once no run uses it.

A run whose ctx is still alive is never touched, and every object is
checked again just before removal, so gc is safe while other runs start.
Runs left with ctx run --keep stay until --kept. Names must be exactly
ctx- and ten hex digits: nothing else is removed.

Needs root: it removes cgroups and links.`,
		Example: `  # what would go
  sudo ctx gc --dry-run

  # remove leftovers and the cgroups of runs kept with --keep
  sudo ctx gc --kept -o json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return runCommand(c, f, opts, runF, runGc)
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&opts.Opts.DryRun, "dry-run", false, "list what would be removed, remove nothing")
	fs.BoolVar(&opts.Opts.Kept, "kept", false, "also remove runs left with ctx run --keep")
	fs.StringVar(&opts.Opts.StateDir, "state-dir", sandbox.DefaultStateDir, "state directory of the runs")
	fs.StringVar(&opts.Opts.CgroupParent, "cgroup-parent", "", "cgroup the runs were made under (ctx run --cgroup-parent)")
	return cmd
}

func runGc(_ context.Context, o *gcOptions) error {
	root, err := o.f.Host()
	if err != nil {
		return err
	}
	rep, err := sandbox.GC(root, o.Opts)
	if err != nil {
		var pe *sandbox.PrivilegeError
		if errors.As(err, &pe) {
			return fmt.Errorf("%w: %w", fs.ErrPermission, err)
		}
		return err
	}
	t := &printers.Table{Columns: []printers.Column{{Header: "KIND"}, {Header: "NAME"}, {Header: "PATH"}, {Header: "ACTION"}, {Header: "ERROR", Wide: true}}}
	for _, it := range rep.Items {
		t.Rows = append(t.Rows, []string{it.Kind, it.Name, it.Path, it.Action, it.Error})
	}
	warnings := rep.Warnings
	if rep.Live > 0 || rep.Kept > 0 {
		warnings = append(warnings, fmt.Sprintf("left alone: %d running, %d kept (--kept removes those)", rep.Live, rep.Kept))
	}
	if err := o.f.Emit(printers.Doc{Kind: "GCReport", Item: rep, Table: t, Warnings: warnings}); err != nil {
		return err
	}
	if n := rep.Failed(); n > 0 {
		return fmt.Errorf("%d leftovers could not be removed (see ERROR with -o wide)", n)
	}
	return nil
}
