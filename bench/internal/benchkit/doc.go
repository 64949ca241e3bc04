// Package benchkit holds what the benchmarks under bench/ share: the
// machine description they print first, timing a command with its peak
// RSS, the statistics of a set of wall times, cleaning up on a signal, and
// the small formatters of their reports.
package benchkit
