package printers

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

var procs = Table{
	Columns: []Column{{Header: "PID"}, {Header: "NAME"}, {Header: "Command", Wide: true}, {Header: "netns"}},
	Rows: [][]string{
		{"1", "systemd", "/sbin/init splash", "4026531840"},
		{"4242", "nginx", "nginx -g daemon off;", "4026532201"},
	},
}

func TestPrintTable(t *testing.T) {
	tests := []struct {
		name  string
		flags Flags
		table Table
		want  string
	}{
		{
			name:  "table",
			flags: Flags{Output: "table"},
			table: procs,
			want: "" +
				"PID    NAME      netns\n" +
				"1      systemd   4026531840\n" +
				"4242   nginx     4026532201\n",
		},
		{
			name:  "empty output means table",
			table: procs,
			want: "" +
				"PID    NAME      netns\n" +
				"1      systemd   4026531840\n" +
				"4242   nginx     4026532201\n",
		},
		{
			name:  "wide adds columns",
			flags: Flags{Output: "wide"},
			table: procs,
			want: "" +
				"PID    NAME      Command                netns\n" +
				"1      systemd   /sbin/init splash      4026531840\n" +
				"4242   nginx     nginx -g daemon off;   4026532201\n",
		},
		{
			name:  "no headers",
			flags: Flags{Output: "table", NoHeaders: true},
			table: procs,
			want: "" +
				"1      systemd   4026531840\n" +
				"4242   nginx     4026532201\n",
		},
		{
			name:  "headers without rows",
			table: Table{Columns: procs.Columns},
			want:  "PID   NAME   netns\n",
		},
		{
			name:  "escapes cells and headers",
			table: Table{Columns: []Column{{Header: "NAME\t"}, {Header: "COMM"}}, Rows: [][]string{{"\x1b[31mred\nline", "日本"}}},
			want: "" +
				`NAME\t` + "              COMM\n" +
				`\x1b[31mred\nline` + "   日本\n",
		},
		{
			name: "long cells are neither wrapped nor truncated",
			table: Table{Columns: []Column{{Header: "A"}, {Header: "B"}}, Rows: [][]string{
				{strings.Repeat("x", 120), "y"},
			}},
			want: "A" + strings.Repeat(" ", 122) + "B\n" + strings.Repeat("x", 120) + "   y\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Print(&buf, tt.flags, Doc{Kind: "ProcessList", Table: &tt.table}); err != nil {
				t.Fatalf("Print: %v", err)
			}
			if got := buf.String(); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestPrintText(t *testing.T) {
	var buf bytes.Buffer
	d := Doc{Table: &procs, Text: func(w io.Writer) error {
		_, err := io.WriteString(w, "tree\n")
		return err
	}}
	if err := Print(&buf, Flags{Output: "wide"}, d); err != nil {
		t.Fatalf("Print: %v", err)
	}
	if got, want := buf.String(), "tree\n"; got != want {
		t.Errorf("got %q; want %q", got, want)
	}
}

func TestPrintNoTableForm(t *testing.T) {
	err := Print(io.Discard, Flags{Output: "table"}, Doc{Kind: "Thing", Item: 1})
	if !errors.Is(err, ErrFormat) {
		t.Errorf("got %v; want an error wrapping ErrFormat", err)
	}
}

func TestPrintJSON(t *testing.T) {
	type proc struct {
		PID  int    `json:"pid"`
		Comm string `json:"comm"`
	}
	tests := []struct {
		name      string
		doc       Doc
		wantItems string // JSON of "items", empty if absent
		wantItem  string // JSON of "item", empty if absent
		wantWarn  []string
	}{
		{
			name:      "items kept exact",
			doc:       Doc{Kind: "ProcessList", Items: []proc{{1, "init"}, {7, "\x1b[31m<red>&"}}, Table: &procs, Warnings: []string{"pid 9 exited"}},
			wantItems: `[{"pid":1,"comm":"init"},{"pid":7,"comm":"\u001b[31m<red>&"}]`,
			wantWarn:  []string{"pid 9 exited"},
		},
		{
			name:      "nil slice is empty list",
			doc:       Doc{Kind: "ProcessList", Items: []proc(nil)},
			wantItems: `[]`,
			wantWarn:  []string{},
		},
		{
			name:      "nil items is empty list",
			doc:       Doc{Kind: "ProcessList"},
			wantItems: `[]`,
			wantWarn:  []string{},
		},
		{
			name:     "single item",
			doc:      Doc{Kind: "Process", Item: proc{1, "init"}},
			wantItem: `{"pid":1,"comm":"init"}`,
			wantWarn: []string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Print(&buf, Flags{Output: "json"}, tt.doc); err != nil {
				t.Fatalf("Print: %v", err)
			}
			if !strings.HasPrefix(buf.String(), "{\n  \"schemaVersion\": 1,\n") {
				t.Errorf("not indented by 2 spaces:\n%s", buf.String())
			}
			if strings.Contains(buf.String(), `\u003c`) {
				t.Errorf("HTML escaping is on:\n%s", buf.String())
			}
			var got map[string]json.RawMessage
			if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
				t.Fatalf("decoding %s: %v", buf.String(), err)
			}
			keys := []string{"schemaVersion", "kind", "warnings", "items"}
			if tt.wantItem != "" {
				keys[3] = "item"
			}
			if len(got) != len(keys) {
				t.Errorf("got keys %v; want %v", mapKeys(got), keys)
			}
			if v := compact(t, got["schemaVersion"]); v != "1" {
				t.Errorf("got schemaVersion %s; want 1", v)
			}
			if v := compact(t, got["kind"]); v != `"`+tt.doc.Kind+`"` {
				t.Errorf("got kind %s; want %q", v, tt.doc.Kind)
			}
			if v := compact(t, got["items"]); v != tt.wantItems {
				t.Errorf("got items %s; want %s", v, tt.wantItems)
			}
			if v := compact(t, got["item"]); v != tt.wantItem {
				t.Errorf("got item %s; want %s", v, tt.wantItem)
			}
			var warn []string
			if err := json.Unmarshal(got["warnings"], &warn); err != nil || warn == nil {
				t.Fatalf("got warnings %s; want an array", got["warnings"])
			}
			if strings.Join(warn, "|") != strings.Join(tt.wantWarn, "|") {
				t.Errorf("got warnings %q; want %q", warn, tt.wantWarn)
			}
		})
	}
}

func compact(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	if raw == nil {
		return ""
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func mapKeys(m map[string]json.RawMessage) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}

func TestPrintWarnings(t *testing.T) {
	var buf bytes.Buffer
	PrintWarnings(&buf, []string{"pid 9 exited", "bad\x1b[2Jname"})
	want := "warning: pid 9 exited\nwarning: bad\\x1b[2Jname\n"
	if got := buf.String(); got != want {
		t.Errorf("got %q; want %q", got, want)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		output  string
		allowed []string
		wantErr string
	}{
		{"table", nil, ""},
		{"wide", nil, ""},
		{"json", nil, ""},
		{"", nil, ""},
		{"yaml", nil, `printers: unsupported output format "yaml": use one of table, wide, json`},
		{"wide", []string{"table", "json"}, `printers: unsupported output format "wide": use one of table, json`},
		{"json", []string{"json"}, ""},
	}
	for _, tt := range tests {
		f := Flags{Output: tt.output}
		err := f.Validate(tt.allowed...)
		if tt.wantErr == "" {
			if err != nil {
				t.Errorf("Validate(%q, %v) = %v; want nil", tt.output, tt.allowed, err)
			}
			continue
		}
		if err == nil || err.Error() != tt.wantErr || !errors.Is(err, ErrFormat) {
			t.Errorf("Validate(%q, %v) = %v; want %q wrapping ErrFormat", tt.output, tt.allowed, err, tt.wantErr)
		}
	}
}

func TestPrintUnknownFormat(t *testing.T) {
	if err := Print(io.Discard, Flags{Output: "yaml"}, Doc{Table: &procs}); !errors.Is(err, ErrFormat) {
		t.Errorf("got %v; want an error wrapping ErrFormat", err)
	}
}

func TestAddFlags(t *testing.T) {
	var f Flags
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	f.AddFlags(fs)
	if f.Output != "table" {
		t.Errorf("got default output %q; want %q", f.Output, "table")
	}
	if err := fs.Parse([]string{"-o", "json", "--no-headers"}); err != nil {
		t.Fatal(err)
	}
	if f.Output != "json" || !f.NoHeaders {
		t.Errorf("got %+v; want json and no headers", f)
	}
}
