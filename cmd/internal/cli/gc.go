package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// newCmdGc is a placeholder until the command lands.
func newCmdGc(f *Factory) *cobra.Command {
	return &cobra.Command{Use: "gc", Short: "Remove what a killed ctx run left behind", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return fmt.Errorf("ctx %s is not implemented yet", "gc") }}
}
