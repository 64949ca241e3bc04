package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// newCmdLayers is a placeholder until the command lands.
func newCmdLayers(f *Factory) *cobra.Command {
	return &cobra.Command{Use: "layers", Short: "Overlay layers: du, ls, diff, which, orphans", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return fmt.Errorf("ctx %s is not implemented yet", "layers") }}
}
