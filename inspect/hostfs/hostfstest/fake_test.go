package hostfstest

import (
	"fmt"
	"testing"
)

// fakeTB records what a helper asks of its test. Skip and Fatal only record:
// the helper goes on, so tests look at the first outcome.
type fakeTB struct {
	testing.TB // nil: any method not overridden panics
	skipped    []string
	fatals     []string
	errors     []string
	cleanups   []func()
}

func (f *fakeTB) Helper()           {}
func (f *fakeTB) Skip(args ...any)  { f.skipped = append(f.skipped, fmt.Sprint(args...)) }
func (f *fakeTB) Fatal(args ...any) { f.fatals = append(f.fatals, fmt.Sprint(args...)) }
func (f *fakeTB) Fatalf(format string, a ...any) {
	f.fatals = append(f.fatals, fmt.Sprintf(format, a...))
}
func (f *fakeTB) Errorf(format string, a ...any) {
	f.errors = append(f.errors, fmt.Sprintf(format, a...))
}
func (f *fakeTB) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }

// runCleanups runs the registered cleanups last-in-first-out, as testing does.
func (f *fakeTB) runCleanups() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
	f.cleanups = nil
}
