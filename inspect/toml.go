package inspect

import (
	"fmt"
	"strconv"
	"strings"
)

// scanTOML calls fn for each key of data whose value is a one-line string,
// with the table it is in ("" before any header, else the header without
// its brackets and blanks: "a.b" for [ a.b ]). It is the subset of TOML that the runtimes' config keys ctx
// reads use; other values (numbers, arrays, inline tables, multi-line
// strings) are skipped, not parsed.
func scanTOML(data []byte, fn func(table, key, val string)) error {
	table := ""
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
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
			continue // the rest of a multi-line array
		}
		if val, ok := tomlString(strings.TrimSpace(rest)); ok {
			fn(table, strings.Trim(strings.TrimSpace(key), `"'`), val)
		}
	}
	return nil
}

// tomlString reads a one-line TOML string: "basic" (with escapes) or
// 'literal', followed by nothing or a comment. ok is false for any other
// value.
func tomlString(v string) (string, bool) {
	if len(v) < 2 || strings.HasPrefix(v, `"""`) || strings.HasPrefix(v, `'''`) {
		return "", false
	}
	var s, rest string
	switch v[0] {
	case '\'':
		end := strings.IndexByte(v[1:], '\'')
		if end < 0 {
			return "", false
		}
		s, rest = v[1:1+end], v[2+end:]
	case '"':
		end := 1
		for ; end < len(v) && v[end] != '"'; end++ {
			if v[end] == '\\' {
				end++
			}
		}
		if end >= len(v) {
			return "", false
		}
		u, err := strconv.Unquote(v[:end+1])
		if err != nil {
			return "", false
		}
		s, rest = u, v[end+1:]
	default:
		return "", false
	}
	if rest = strings.TrimSpace(rest); rest != "" && rest[0] != '#' {
		return "", false
	}
	return s, true
}
