package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// newCmdNet is a placeholder until the command lands.
func newCmdNet(f *Factory) *cobra.Command {
	return &cobra.Command{Use: "net", Short: "Networking: ls, topo, show, check", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return fmt.Errorf("ctx %s is not implemented yet", "net") }}
}
