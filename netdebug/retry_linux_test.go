package netdebug

import (
	"errors"
	"reflect"
	"testing"

	"github.com/vishvananda/netlink"
)

// TestRetry checks that an interrupted dump is tried again, and that after
// the last try the partial data comes back with the error.
func TestRetry(t *testing.T) {
	calls := 0
	out, err := retry(func() ([]int, error) {
		calls++
		if calls < 3 {
			return []int{calls}, netlink.ErrDumpInterrupted
		}
		return []int{1, 2, 3}, nil
	})
	if err != nil || calls != 3 || len(out) != 3 {
		t.Errorf("retry = %v, %v after %d calls; want the third, complete dump", out, err, calls)
	}
	calls = 0
	out, err = retry(func() ([]int, error) { calls++; return []int{7}, netlink.ErrDumpInterrupted })
	if !errors.Is(err, netlink.ErrDumpInterrupted) || calls != dumpTries || !reflect.DeepEqual(out, []int{7}) {
		t.Errorf("retry = %v, %v after %d calls; want partial data and ErrDumpInterrupted after %d", out, err, calls, dumpTries)
	}
	calls = 0
	if _, err = retry(func() ([]int, error) { calls++; return nil, errors.New("boom") }); err == nil || calls != 1 {
		t.Errorf("retry of a failing dump: %v after %d calls; want the error at once", err, calls)
	}
}
