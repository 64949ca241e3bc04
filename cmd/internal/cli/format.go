package cli

import "strconv"

// Formatting helpers the commands share.

// orDash renders an absent (empty) value as "-".
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// countOf renders a count, "unknown" when it could not be read.
func countOf(v *uint64) string {
	if v == nil {
		return "unknown"
	}
	return strconv.FormatUint(*v, 10)
}

// humanBytes renders a byte count in binary units.
func humanBytes(b uint64) string {
	const unit = 1024
	if b < unit {
		return strconv.FormatUint(b, 10) + "B"
	}
	div, exp := uint64(unit), 0
	for n := b / unit; n >= unit && exp < 5; n /= unit {
		div *= unit
		exp++
	}
	return strconv.FormatFloat(float64(b)/float64(div), 'f', 1, 64) + string("KMGTPE"[exp]) + "iB"
}
