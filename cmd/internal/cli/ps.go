package cli

import (
	"context"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ctx-tools/ctx/cmd/internal/printers"
	"github.com/ctx-tools/ctx/inspect"
)

type psOptions struct {
	f      *Factory
	Target string
	NS     uint64
}

func newCmdPs(f *Factory, runF func(context.Context, *psOptions) error) *cobra.Command {
	opts := &psOptions{f: f}
	cmd := &cobra.Command{
		Use:   "ps [<target>]",
		Short: "List processes with their PIDs inside containers, containers and cgroups",
		Long: `List processes with the host PID, the PID at every nested pid namespace level
(NSPID, host first), PPID, user, container, cgroup and name.

TARGET is a PID or a container name, ID or unique ID prefix; with it, only
that process or the container's processes are listed. --ns INODE answers
"who is in this namespace?".

Needs root (CAP_SYS_PTRACE) to read other users' namespaces.`,
		Example: `  # every process with its container
  ctx ps

  # the processes of one container, by ID prefix
  ctx ps 3f2a9c

  # who is in this network namespace?
  ctx ps --ns 4026532281`,
		Args: maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Target = args[0]
			}
			return runCommand(cmd, f, opts, runF, runPs)
		},
	}
	cmd.Flags().Uint64Var(&opts.NS, "ns", 0, "only processes in the namespace with this inode")
	return cmd
}

func runPs(ctx context.Context, opts *psOptions) error {
	root, err := opts.f.Host()
	if err != nil {
		return err
	}
	rt := inspect.LoadRuntimes(root)
	filter := inspect.ProcessFilter{NS: opts.NS}
	if opts.Target != "" {
		t, err := rt.Resolve(opts.Target)
		if err != nil {
			return err
		}
		filter.PIDs = t.PIDs
		if t.Container != nil {
			filter.ContainerID = t.Container.ID
		}
	}
	list, err := inspect.Processes(root, filter)
	if err != nil {
		return err
	}
	for _, p := range list.Processes {
		rt.NameProcess(p.Process)
	}
	return opts.f.Emit(printers.Doc{
		Kind:     "ProcessList",
		Items:    list.Processes,
		Table:    psTable(list.Processes),
		Warnings: append(list.Warnings, rt.Warnings...),
	})
}

var psColumns = []printers.Column{
	{Header: "PID"}, {Header: "NSPID"}, {Header: "PPID"}, {Header: "USER"}, {Header: "CONTAINER"},
	{Header: "CGROUP"}, {Header: "COMMAND"},
	{Header: "CMDLINE", Wide: true}, {Header: "ID", Wide: true}, {Header: "IMAGE", Wide: true}, {Header: "POD", Wide: true},
}

func psTable(list []*inspect.ProcessNS) *printers.Table {
	t := &printers.Table{Columns: psColumns}
	for _, p := range list {
		nspid := make([]string, len(p.NSpid))
		for i, n := range p.NSpid {
			nspid[i] = strconv.Itoa(n)
		}
		c := cellsOf(p.Container)
		t.Rows = append(t.Rows, []string{
			strconv.Itoa(p.PID), orDash(strings.Join(nspid, "/")), strconv.Itoa(p.PPID), p.User,
			c.label, orDash(p.Cgroup), p.Comm, p.Command(), c.id, c.image, c.pod,
		})
	}
	return t
}
