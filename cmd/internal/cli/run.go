package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// newCmdRun is a placeholder until the command lands.
func newCmdRun(f *Factory) *cobra.Command {
	return &cobra.Command{Use: "run", Short: "Run a throw-away isolated container", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return fmt.Errorf("ctx %s is not implemented yet", "run") }}
}
