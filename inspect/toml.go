package inspect

import (
	"fmt"
	"strconv"
	"strings"
)

// tomlValue is a value scanTOML reads: a one-line string, or an array of
// strings (IsList), which may span lines.
type tomlValue struct {
	Str    string
	List   []string
	IsList bool
}

// scanTOML calls fn for each key of data whose value is a one-line string
// or an array of strings, with the table it is in ("" before any header,
// else the header without its brackets and blanks: "a.b" for [ a.b ]). It
// is the subset of TOML that the runtimes' config keys ctx reads use;
// other values (numbers, inline tables, multi-line strings, arrays of
// anything else) are skipped, not parsed.
func scanTOML(data []byte, fn func(table, key string, v tomlValue)) error {
	table := ""
	lines := strings.Split(string(data), "\n")
	for n := 0; n < len(lines); n++ {
		line := strings.TrimSpace(lines[n])
		if line == "" || line[0] == '#' {
			continue
		}
		if line[0] == '[' {
			end := strings.IndexByte(line, ']')
			if end < 0 {
				return fmt.Errorf("line %d: unterminated table header", n+1)
			}
			table = strings.Join(strings.Fields(strings.Trim(line[:end], "[")), "")
			continue
		}
		key, rest, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		key = strings.Trim(strings.TrimSpace(key), `"'`)
		rest = strings.TrimSpace(rest)
		if strings.HasPrefix(rest, "[") {
			// An array: its items up to the closing bracket, over as many
			// lines as it takes.
			text := rest
			for arrayEnd(text) < 0 && n+1 < len(lines) {
				n++
				text += "\n" + lines[n]
			}
			if list, ok := tomlStrings(text); ok {
				fn(table, key, tomlValue{List: list, IsList: true})
			}
			continue
		}
		if val, ok := tomlString(rest); ok {
			fn(table, key, tomlValue{Str: val})
		}
	}
	return nil
}

// arrayEnd is the index of the bracket that closes the array text starts,
// or -1. Brackets in strings and comments do not count.
func arrayEnd(text string) int {
	depth := 0
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case '"', '\'':
			_, rest, ok := tomlStringPrefix(text[i:])
			if !ok {
				return -1
			}
			i = len(text) - len(rest) - 1
		case '#':
			nl := strings.IndexByte(text[i:], '\n')
			if nl < 0 {
				return -1
			}
			i += nl
		case '[':
			depth++
		case ']':
			if depth--; depth == 0 {
				return i
			}
		}
	}
	return -1
}

// tomlStrings reads an array of strings, "[ "a", 'b', ]" with comments
// and newlines between items, followed by nothing or a comment. ok is
// false for anything else.
func tomlStrings(text string) ([]string, bool) {
	end := arrayEnd(text)
	if end < 0 {
		return nil, false
	}
	if after := strings.TrimSpace(text[end+1:]); after != "" && after[0] != '#' {
		return nil, false
	}
	list := []string{}
	items := text[1:end]
	for {
		items = strings.TrimLeft(items, " \t\r\n,")
		if strings.HasPrefix(items, "#") {
			nl := strings.IndexByte(items, '\n')
			if nl < 0 {
				break
			}
			items = items[nl:]
			continue
		}
		if items == "" {
			break
		}
		s, rest, ok := tomlStringPrefix(items)
		if !ok {
			return nil, false
		}
		list = append(list, s)
		items = rest
	}
	return list, true
}

// tomlString reads a one-line TOML string: "basic" (with escapes) or
// 'literal', followed by nothing or a comment. ok is false for any other
// value.
func tomlString(v string) (string, bool) {
	s, rest, ok := tomlStringPrefix(v)
	if rest = strings.TrimSpace(rest); !ok || rest != "" && rest[0] != '#' {
		return "", false
	}
	return s, true
}

// tomlStringPrefix reads the one-line string v starts with and returns
// what follows it.
func tomlStringPrefix(v string) (s, rest string, ok bool) {
	if len(v) < 2 || strings.HasPrefix(v, `"""`) || strings.HasPrefix(v, `'''`) {
		return "", "", false
	}
	switch v[0] {
	case '\'':
		end := strings.IndexAny(v[1:], "'\n")
		if end < 0 || v[1+end] != '\'' {
			return "", "", false
		}
		return v[1 : 1+end], v[2+end:], true
	case '"':
		end := 1
		for ; end < len(v) && v[end] != '"' && v[end] != '\n'; end++ {
			if v[end] == '\\' {
				end++
			}
		}
		if end >= len(v) || v[end] != '"' {
			return "", "", false
		}
		u, err := strconv.Unquote(v[:end+1])
		if err != nil {
			return "", "", false
		}
		return u, v[end+1:], true
	}
	return "", "", false
}
