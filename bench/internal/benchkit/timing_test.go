package benchkit

import (
	"testing"
	"time"
)

func TestTiming(t *testing.T) {
	odd := NewTiming([]time.Duration{5, 1, 3})
	even := NewTiming([]time.Duration{4, 1, 3, 2})
	for _, c := range []struct {
		name      string
		got, want time.Duration
	}{
		{"odd median", odd.Median(), 3},
		{"even median", even.Median(), 2}, // (2+3)/2 in integer nanoseconds
		{"min", even.Min(), 1},
		{"max", even.Max(), 4},
		{"p10", even.Percentile(0.1), 1},
		{"p90", even.Percentile(0.9), 4},
		{"empty median", Timing(nil).Median(), 0},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d; want %d", c.name, c.got, c.want)
		}
	}
}

func TestRotated(t *testing.T) {
	var order []int
	_ = Rotated(3, 2, func(i int) error { order = append(order, i); return nil })
	want := []int{0, 1, 2, 1, 2, 0}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("order %v; want %v", order, want)
		}
	}
}
