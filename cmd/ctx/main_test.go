package main_test

import (
	"os"
	"testing"

	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

// TestMain removes the ctx binary the end-to-end tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	hostfstest.RemoveBinary()
	os.Exit(code)
}
