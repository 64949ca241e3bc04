package printers

import "testing"

func TestEscape(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"ascii", "nginx: worker", "nginx: worker"},
		{"latin", "café", "café"},
		{"cjk", "日本", "日本"},
		{"emoji", "🐳 ok", "🐳 ok"},
		{"space and nbsp", "a b\u00a0c", "a b\u00a0c"},
		{"replacement char kept", "\ufffd", "\ufffd"},
		{"backslash", `a\b`, `a\\b`},
		{"escaped-looking input", `\x1b`, `\\x1b`},
		{"newline", "a\nb", `a\nb`},
		{"carriage return", "a\rb", `a\rb`},
		{"tab", "a\tb", `a\tb`},
		{"nul", "a\x00b", `a\x00b`},
		{"bell", "\a", `\x07`},
		{"escape sequence", "\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		{"del", "a\x7fb", `a\x7fb`},
		{"c1 rune", "a\u0085b", `a\u0085b`},
		{"c1 csi rune", "\u009b31m", `\u009b31m`},
		{"c1 raw byte", "a\x9bb", `a\x9bb`},
		{"invalid byte", "a\xffb", `a\xffb`},
		{"truncated utf8", "caf\xc3", `caf\xc3`},
		{"overlong encoding", "\xc0\xaf", `\xc0\xaf`},
		{"surrogate encoding", "\xed\xa0\x80", `\xed\xa0\x80`},
		{"rlo", "abc\u202edef", `abc\u202edef`},
		{"lre", "\u202a", `\u202a`},
		{"pdf", "\u202c", `\u202c`},
		{"lri", "\u2066x\u2069", `\u2066x\u2069`},
		{"fsi", "\u2068", `\u2068`},
		{"lrm rlm", "\u200e\u200f", `\u200e\u200f`},
		{"arabic letter mark", "\u061c", `\u061c`},
		{"line separator", "a\u2028b", `a\u2028b`},
		{"mixed", "日\x1b\n\\\u202e\xfe", `日\x1b\n\\\u202e\xfe`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Escape(tt.in); got != tt.want {
				t.Errorf("Escape(%q) = %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}
