// Package printers renders command results as table, wide or JSON output and
// escapes untrusted strings before they reach a terminal. It is the only
// package that imports tablewriter, and only in table.go.
//
// A listing command validates -o early, gathers its data, then prints one Doc:
//
//	if err := opts.Printer.Validate(); err != nil {
//		return err
//	}
//	// ... gather nss and warnings ...
//	printers.PrintWarnings(opts.IO.ErrOut, warnings) // table and wide only
//	return printers.Print(opts.IO.Out, *opts.Printer, printers.Doc{
//		Kind:     "NamespaceList",
//		Items:    nss,
//		Table:    &printers.Table{Columns: cols, Rows: rows},
//		Warnings: warnings,
//	})
//
// JSON output is the versioned contract and keeps strings exact; tables pass
// every header and cell through Escape.
package printers
