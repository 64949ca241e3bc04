package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// newCmdEnter is a placeholder until the command lands.
func newCmdEnter(f *Factory) *cobra.Command {
	return &cobra.Command{Use: "enter", Short: "Enter a process's or container's namespaces", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return fmt.Errorf("ctx %s is not implemented yet", "enter") }}
}
