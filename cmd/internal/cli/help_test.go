package cli

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/ctx-tools/ctx/cmd/internal/iostreams"
)

// TestHelpHasExamples walks the command tree: every visible command's help
// shows at least one example, each led by a # comment line, and says what
// it is for.
func TestHelpHasExamples(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	root := NewRootCmd(NewFactory(ios, func(string) string { return "" }))
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" && c.Parent() == root {
			return // cobra's own; completion is documented in docs/completion.md
		}
		if strings.TrimSpace(c.Example) == "" {
			t.Errorf("%q has no example in its help", c.CommandPath())
		} else if !strings.HasPrefix(strings.TrimSpace(c.Example), "#") && c.Name() != "version" {
			t.Errorf("%q: an example should start with a # comment saying what it does", c.CommandPath())
		}
		if c.Short == "" {
			t.Errorf("%q has no short description", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}
