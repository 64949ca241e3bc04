package printers

import (
	"bytes"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// printTable writes t kubectl-style: no borders or lines, left-aligned
// columns separated by spaces, one row per line. Every header and cell goes
// through Escape here, so no command can forget it. Wide columns are shown
// only when wide is set.
func printTable(w io.Writer, t Table, wide, headers bool) error {
	var keep []int
	for i, c := range t.Columns {
		if wide || !c.Wide {
			keep = append(keep, i)
		}
	}
	pick := func(cells []string) []string {
		out := make([]string, len(keep))
		for j, i := range keep {
			if i < len(cells) {
				out[j] = Escape(cells[i])
			}
		}
		return out
	}

	var buf bytes.Buffer
	tbl := tablewriter.NewTable(&buf,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders:  tw.BorderNone,
			Symbols:  tw.NewSymbols(tw.StyleNone),
			Settings: tw.Settings{Lines: tw.LinesNone, Separators: tw.SeparatorsNone},
		})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithTrimSpace(tw.Off),
		tablewriter.WithPadding(tw.Padding{Left: "", Right: "   ", Overwrite: true}),
	)
	if headers {
		hdr := make([]string, len(t.Columns))
		for i, c := range t.Columns {
			hdr[i] = c.Header
		}
		tbl.Header(pick(hdr))
	}
	for _, row := range t.Rows {
		if err := tbl.Append(pick(row)); err != nil {
			return err
		}
	}
	if err := tbl.Render(); err != nil {
		return err
	}
	// The renderer pads the last column too; strip that so lines end cleanly.
	for line := range strings.Lines(buf.String()) {
		if _, err := io.WriteString(w, strings.TrimRight(line, " \n")+"\n"); err != nil {
			return err
		}
	}
	return nil
}
