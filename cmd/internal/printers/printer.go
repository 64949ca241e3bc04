package printers

import (
	"encoding/json"
	"fmt"
	"io"
	"reflect"
)

// SchemaVersion is the version of the JSON envelope and the documents in it.
// docs/output.md logs every change.
const SchemaVersion = 1

// Column describes one table column.
type Column struct {
	Header string // printed as given, after Escape
	Wide   bool   // shown only with -o wide
}

// Table is the table and wide form of a document. Each row has one cell per
// column, wide columns included.
type Table struct {
	Columns []Column
	Rows    [][]string
}

// Doc is everything a command prints: the JSON payload and its table form.
type Doc struct {
	Kind     string                  // JSON kind, e.g. "NamespaceList"
	Items    any                     // JSON list payload, used when Item is nil
	Item     any                     // JSON single-object payload
	Table    *Table                  // table and wide form; nil means there is none
	Text     func(w io.Writer) error // free-form table and wide form used instead of Table; it must Escape untrusted text itself
	Warnings []string                // embedded in JSON; callers print them with PrintWarnings otherwise
}

// Print writes d to w in the format chosen by f. Warnings are part of the
// JSON envelope; for tables the caller prints them to stderr with
// PrintWarnings, so that stdout stays greppable.
func Print(w io.Writer, f Flags, d Doc) error {
	switch out := format(f); out {
	case "json":
		return printJSON(w, d)
	case "table", "wide":
		if d.Text != nil {
			return d.Text(w)
		}
		if d.Table == nil {
			return formatError(out, []string{"json"})
		}
		return printTable(w, *d.Table, out == "wide", !f.NoHeaders)
	default:
		return formatError(out, defaultFormats)
	}
}

// PrintWarnings writes each warning, escaped, on its own line prefixed by "warning: ".
func PrintWarnings(w io.Writer, warnings []string) { PrintWarningsColor(w, warnings, false) }

// PrintWarningsColor is PrintWarnings with the prefix in yellow when color
// is set (a terminal, or --color always, and no NO_COLOR).
func PrintWarningsColor(w io.Writer, warnings []string, color bool) {
	prefix := Prefix("warning:", Yellow, color)
	for _, s := range warnings {
		fmt.Fprintf(w, "%s %s\n", prefix, Escape(s))
	}
}

// ANSI colors for the stderr prefixes.
const (
	Red    = "31"
	Yellow = "33"
)

// Prefix returns p, wrapped in an ANSI color when color is set. It is for
// ctx's own fixed words only: untrusted text is never colored, only escaped.
func Prefix(p, ansi string, color bool) string {
	if !color {
		return p
	}
	return "\x1b[" + ansi + "m" + p + "\x1b[0m"
}

// envelope is the versioned JSON contract; exactly one of Items and Item is set.
type envelope struct {
	SchemaVersion int      `json:"schemaVersion"`
	Kind          string   `json:"kind"`
	Items         any      `json:"items,omitempty"`
	Item          any      `json:"item,omitempty"`
	Warnings      []string `json:"warnings"`
}

func printJSON(w io.Writer, d Doc) error {
	env := envelope{SchemaVersion: SchemaVersion, Kind: d.Kind, Item: d.Item, Warnings: d.Warnings}
	if env.Warnings == nil {
		env.Warnings = []string{}
	}
	if d.Item == nil {
		env.Items = d.Items
		if v := reflect.ValueOf(d.Items); !v.IsValid() || (v.Kind() == reflect.Slice && v.IsNil()) {
			env.Items = []any{} // an empty list is [], never null or absent
		}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(env)
}
