package cli

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ctx-tools/ctx/cmd/internal/printers"
	"github.com/ctx-tools/ctx/inspect"
	"github.com/ctx-tools/ctx/inspect/hostfs"
	"github.com/ctx-tools/ctx/netdebug"
)

type nsOptions struct {
	f     *Factory
	Types []string
	Tree  string // "", parent, owner or process
	Tasks bool
}

func newCmdNS(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ns",
		Short: "Namespaces: list them with their holders, owners and containers",
		Example: `  # every namespace, like lsns but with bind mounts, fds and containers
  ctx ns ls`,
		Args: noArgs,
	}
	cmd.AddCommand(newCmdNSLs(f, nil))
	return cmd
}

func newCmdNSLs(f *Factory, runF func(context.Context, *nsOptions) error) *cobra.Command {
	opts := &nsOptions{f: f}
	cmd := &cobra.Command{
		Use:   "ls [flags]",
		Short: "List every namespace on the host",
		Long: `List every namespace on the host, of all eight types (mnt, net, pid, uts, ipc,
user, cgroup, time). Namespaces are found from every process's /proc/PID/ns
links (pid_for_children and time_for_children included), from threads with
--tasks, from nsfs bind mounts in every mount namespace (ip netns,
/run/docker/netns, ...) and from namespace fds that processes hold. A
namespace is identified by its nsfs (device, inode).

NPROCS counts processes whose own link names the namespace, as lsns does.
HOLDER (wide) says what else keeps it alive: bind:PATH, fd:PID/N, task:TID.

Needs root (CAP_SYS_PTRACE to read other users' processes, CAP_SYS_ADMIN for
owner and parent); without it ctx lists what it can and warns.`,
		Example: `  # every namespace, like lsns
  ctx ns ls

  # only network namespaces, with holders, owners and parents
  ctx ns ls --type net -o wide

  # user and pid namespaces as a hierarchy, hidden intermediates included
  ctx ns ls --tree=parent

  # machine-readable, for jq
  ctx ns ls -o json | jq '.items[] | select(.nprocs == 0)'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.validate(); err != nil {
				return err
			}
			if runF == nil {
				runF = runNSLs
			}
			return runF(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVarP(&opts.Types, "type", "t", nil, "only these types: "+strings.Join(inspect.NSTypes, ","))
	fl.StringVarP(&opts.Tree, "tree", "T", "", "show a tree: parent (user/pid hierarchy), owner (user ns ownership) or process")
	fl.Lookup("tree").NoOptDefVal = "parent"
	fl.BoolVar(&opts.Tasks, "tasks", false, "also scan threads, to find namespaces only a thread is in")
	return cmd
}

func (o *nsOptions) validate() error {
	if err := o.f.Printer.Validate(); err != nil {
		return err
	}
	for _, t := range o.Types {
		if !slices.Contains(inspect.NSTypes, t) {
			return &usageError{fmt.Errorf("unknown namespace type %q: use one of %s", t, strings.Join(inspect.NSTypes, ", "))}
		}
	}
	switch o.Tree {
	case "", "parent", "owner", "process":
		return nil
	}
	return &usageError{fmt.Errorf("invalid --tree %q: use parent, owner or process", o.Tree)}
}

func runNSLs(ctx context.Context, opts *nsOptions) error {
	root, err := opts.f.Host()
	if err != nil {
		return err
	}
	set, err := inspect.Namespaces(root, inspect.ScanOptions{Tasks: opts.Tasks, Types: opts.Types})
	if err != nil {
		return err
	}
	warnings := set.Warnings
	rt := inspect.LoadRuntimes(root)
	warnings = append(warnings, rt.Warnings...)
	for _, ns := range set.Namespaces {
		rt.NameProcess(ns.Process)
	}
	if err := fillNetNSIDs(root, set.Namespaces); err != nil && opts.f.Verbose {
		warnings = append(warnings, "some NETNSIDs unknown: "+err.Error())
	}
	rows := set.Namespaces
	var depth []int
	if opts.Tree != "" {
		rows, depth = set.Tree(opts.Tree)
	}
	return opts.f.Emit(printers.Doc{
		Kind:     "NamespaceList",
		Items:    set.Namespaces,
		Table:    nsTable(rows, depth),
		Warnings: warnings,
	})
}

// fillNetNSIDs asks netlink, once per net namespace, for the id the
// caller's netns gives it (lsns's NETNSID). On a fixture it does nothing.
func fillNetNSIDs(root hostfs.Root, nss []*inspect.Namespace) error {
	if !root.Live() {
		return nil
	}
	var nets []*inspect.Namespace
	var paths []string
	for _, ns := range nss {
		if ns.Type == "net" && ns.Ref() != "" {
			nets, paths = append(nets, ns), append(paths, ns.Ref())
		}
	}
	ids, err := netdebug.NetNSIDs(root, paths)
	for i, id := range ids {
		nets[i].NetNSID = id
	}
	return err
}

var nsColumns = []printers.Column{
	{Header: "NS"}, {Header: "TYPE"}, {Header: "NPROCS"}, {Header: "PID"}, {Header: "USER"},
	{Header: "COMMAND"}, {Header: "CONTAINER"},
	{Header: "PPID", Wide: true}, {Header: "HOLDER", Wide: true}, {Header: "OWNER", Wide: true},
	{Header: "PARENT", Wide: true}, {Header: "NETNSID", Wide: true}, {Header: "UID", Wide: true},
	{Header: "ID", Wide: true}, {Header: "IMAGE", Wide: true}, {Header: "POD", Wide: true},
}

// nsTable renders namespaces in the given order; depth, when set, indents
// the NS column as a tree.
func nsTable(list []*inspect.Namespace, depth []int) *printers.Table {
	t := &printers.Table{Columns: nsColumns}
	for i, ns := range list {
		id := strconv.FormatUint(ns.Ino, 10)
		if depth != nil && depth[i] > 0 {
			id = strings.Repeat("  ", depth[i]-1) + "└─" + id
		}
		pid, ppid, user, uid, command := "-", "-", "-", "-", "-"
		c := cellsOf(nil)
		if p := ns.Process; p != nil {
			pid, ppid, user, uid = strconv.Itoa(p.PID), strconv.Itoa(p.PPID), p.User, strconv.Itoa(p.UID)
			command = p.Command()
			c = cellsOf(p.Container)
		} else if ns.Hidden {
			command = "(hidden: only a parent of another namespace)"
		}
		t.Rows = append(t.Rows, []string{
			id, ns.Type, strconv.Itoa(ns.NProcs), pid, user, command, c.label,
			ppid, holders(ns), inoOrDash(ns.Owner), inoOrDash(ns.Parent), intPtrOrDash(ns.NetNSID), uid,
			c.id, c.image, c.pod,
		})
	}
	return t
}

func holders(ns *inspect.Namespace) string {
	var parts []string
	if ns.NProcs > 0 {
		parts = append(parts, "proc")
	}
	for _, h := range ns.Holders {
		parts = append(parts, h.String())
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ",")
}

func inoOrDash(v uint64) string {
	if v == 0 {
		return "-"
	}
	return strconv.FormatUint(v, 10)
}

func intPtrOrDash(v *int) string {
	if v == nil {
		return "-"
	}
	return strconv.Itoa(*v)
}

// containerCells are the CONTAINER column and the wide ID, IMAGE and POD
// columns shared by ns ls and ps.
type containerCells struct{ label, id, image, pod string }

func cellsOf(c *inspect.Container) containerCells {
	if c == nil {
		return containerCells{"-", "-", "-", "-"}
	}
	pod := "-"
	if c.Pod != nil {
		pod = podName(c.Pod)
	}
	return containerCells{c.Label(), c.ID, orDash(c.Image), pod}
}
