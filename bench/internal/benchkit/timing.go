package benchkit

import (
	"slices"
	"time"
)

// Timing is a set of wall times sorted from fastest to slowest.
type Timing []time.Duration

// NewTiming returns the wall times ds as a Timing; ds is not changed.
func NewTiming(ds []time.Duration) Timing {
	t := slices.Clone(ds)
	slices.Sort(t)
	return t
}

// Median returns the middle time, or the mean of the two middle ones when
// there is an even number; it is 0 for no times.
func (t Timing) Median() time.Duration {
	n := len(t)
	switch {
	case n == 0:
		return 0
	case n%2 == 0:
		return (t[n/2-1] + t[n/2]) / 2
	}
	return t[n/2]
}

// Min returns the fastest time, or 0 for no times.
func (t Timing) Min() time.Duration {
	if len(t) == 0 {
		return 0
	}
	return t[0]
}

// Max returns the slowest time, or 0 for no times.
func (t Timing) Max() time.Duration {
	if len(t) == 0 {
		return 0
	}
	return t[len(t)-1]
}

// Percentile returns the time at fraction q (0 to 1) of the way from the
// fastest to the slowest, at the nearest rank; it is 0 for no times.
func (t Timing) Percentile(q float64) time.Duration {
	if len(t) == 0 {
		return 0
	}
	return t[int(q*float64(len(t)-1)+0.5)]
}

// Rotated calls run(i) for each of n tools, rounds times over, starting
// each round one tool later than the last so that no tool always runs
// first. It stops at the first error and returns it.
func Rotated(n, rounds int, run func(i int) error) error {
	for r := 0; r < rounds; r++ {
		for i := 0; i < n; i++ {
			if err := run((i + r) % n); err != nil {
				return err
			}
		}
	}
	return nil
}
