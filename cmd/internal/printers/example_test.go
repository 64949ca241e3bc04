package printers_test

import (
	"os"

	"github.com/ctx-tools/ctx/cmd/internal/printers"
)

func ExamplePrint() {
	d := printers.Doc{
		Kind: "NamespaceList",
		Table: &printers.Table{
			Columns: []printers.Column{{Header: "NS"}, {Header: "TYPE"}, {Header: "PATH", Wide: true}},
			Rows:    [][]string{{"4026531840", "net", "/proc/1/ns/net"}, {"4026532201", "net", "/run/netns/evil\x1b[2J"}},
		},
	}
	printers.Print(os.Stdout, printers.Flags{Output: "wide"}, d)
	// Output:
	// NS           TYPE   PATH
	// 4026531840   net    /proc/1/ns/net
	// 4026532201   net    /run/netns/evil\x1b[2J
}

func ExampleEscape() {
	os.Stdout.WriteString(printers.Escape("evil\u202etxt.exe\n") + "\n")
	// Output: evil\u202etxt.exe\n
}
