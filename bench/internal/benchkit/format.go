package benchkit

import (
	"fmt"
	"os"
	"text/tabwriter"
	"time"
)

// Ms formats d in milliseconds with the given number of decimals.
func Ms(d time.Duration, decimals int) string {
	return fmt.Sprintf("%.*f ms", decimals, float64(d)/1e6)
}

// MB formats a peak RSS given in KiB, as ru_maxrss gives it, in MB
// (10^6 bytes).
func MB(kib int64) string { return fmt.Sprintf("%.1f MB", float64(kib)*1024/1e6) }

// FloorNote is the line that explains the peak RSS column: floorKiB is the
// peak RSS of the launcher floor, /bin/true.
func FloorNote(floorKiB int64) string {
	return fmt.Sprintf("(peak RSS is ru_maxrss; a child inherits its launcher's peak, here %s, as a floor)", MB(floorKiB))
}

// Verdict returns PASS when a target is met and MISS when it is not.
func Verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "MISS"
}

// Table returns a writer for a report table on stdout: tab-separated
// cells, right-aligned, two spaces apart. The caller flushes it.
func Table() *tabwriter.Writer {
	return tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
}
