package printers

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Escape makes an untrusted string safe to write to a terminal. Control
// characters (C0, DEL and C1), invalid UTF-8 bytes and Unicode bidirectional
// controls become visible escapes: \n, \r and \t for the common ones, \xNN for
// other single bytes and \uNNNN for other runes. A backslash becomes \\ so
// that the result is unambiguous. Printable text such as "café" or "日本" is
// returned unchanged.
func Escape(s string) string {
	if strings.IndexFunc(s, needsEscape) < 0 && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[0])
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < utf8.RuneSelf && needsEscape(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case needsEscape(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[:size])
		}
		s = s[size:]
	}
	return b.String()
}

// needsEscape reports whether r must not reach a terminal as is. Besides
// control characters it covers the bidi controls that can make text display
// in a different order than it is stored (CVE-2021-42574, "Trojan Source"),
// and the Unicode line and paragraph separators, which some terminals treat
// as line breaks.
func needsEscape(r rune) bool {
	switch {
	case r == '\\', unicode.IsControl(r):
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f: // ALM, LRM, RLM
		return true
	case r >= 0x202a && r <= 0x202e: // LRE, RLE, PDF, LRO, RLO
		return true
	case r >= 0x2066 && r <= 0x2069: // LRI, RLI, FSI, PDI
		return true
	case r == 0x2028, r == 0x2029:
		return true
	}
	return false
}
