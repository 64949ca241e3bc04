package printers

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/pflag"
)

// ErrFormat is wrapped by errors about an output format a command cannot print.
var ErrFormat = errors.New("printers: unsupported output format")

// defaultFormats are the formats a command supports unless it says otherwise.
var defaultFormats = []string{"table", "wide", "json"}

// Flags holds the output options shared by every listing command.
type Flags struct {
	Output    string // "table", "wide" or "json"; empty means "table"
	NoHeaders bool   // omit the header line of tables
}

// AddFlags registers -o/--output and --no-headers on fs.
func (f *Flags) AddFlags(fs *pflag.FlagSet) {
	fs.StringVarP(&f.Output, "output", "o", "table", "output format: table|wide|json")
	fs.BoolVar(&f.NoHeaders, "no-headers", false, "omit the header line of tables")
}

// Validate returns an error wrapping ErrFormat if f.Output is not one of
// allowed; the error lists the allowed formats. An empty allowed means table,
// wide and json. Commands call it before they touch the host.
func (f *Flags) Validate(allowed ...string) error {
	if len(allowed) == 0 {
		allowed = defaultFormats
	}
	if slices.Contains(allowed, format(*f)) {
		return nil
	}
	return formatError(f.Output, allowed)
}

func formatError(output string, allowed []string) error {
	return fmt.Errorf("%w %q: use one of %s", ErrFormat, output, strings.Join(allowed, ", "))
}

// format returns the effective output format of f.
func format(f Flags) string {
	if f.Output == "" {
		return "table"
	}
	return f.Output
}
