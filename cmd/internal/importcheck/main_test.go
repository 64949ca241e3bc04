package main

import "testing"

func TestCheck(t *testing.T) {
	tests := []struct {
		pkg     string
		imports []string
		bad     int
	}{
		{mod + "inspect", []string{"os", mod + "inspect/hostfs"}, 0},
		{mod + "inspect", []string{"github.com/spf13/cobra"}, 1},
		{mod + "layers", []string{mod + "cmd/internal/printers"}, 1},
		{mod + "layers", []string{mod + "netdebug"}, 1},
		{mod + "sandbox", []string{mod + "netdebug", mod + "cgroupview"}, 0},
		{mod + "sandbox", []string{mod + "layers"}, 1},
		{mod + "cgroupview", []string{"github.com/vishvananda/netlink"}, 1},
		{mod + "netdebug", []string{"github.com/vishvananda/netlink"}, 0},
		{mod + "cmd/internal/cli", []string{"github.com/olekukonko/tablewriter"}, 1},
		{mod + "cmd/internal/printers", []string{"github.com/olekukonko/tablewriter"}, 0},
		{mod + "cmd/internal/cli", []string{mod + "netdebug", "github.com/spf13/cobra"}, 0},
	}
	for _, tt := range tests {
		if got := check(tt.pkg, tt.imports); len(got) != tt.bad {
			t.Errorf("check(%s, %v) = %v; want %d violations", tt.pkg, tt.imports, got, tt.bad)
		}
	}
}
