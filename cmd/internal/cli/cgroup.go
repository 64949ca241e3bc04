package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// newCmdCgroup is a placeholder until the command lands.
func newCmdCgroup(f *Factory) *cobra.Command {
	return &cobra.Command{Use: "cgroup", Short: "Cgroups: tree, ls, show, top, check", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return fmt.Errorf("ctx %s is not implemented yet", "cgroup") }}
}
