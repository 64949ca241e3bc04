// Command ctx shows and fixes what containers are made of.
package main

import (
	"os"

	"github.com/ctx-tools/ctx/cmd/internal/cli"
	_ "github.com/ctx-tools/ctx/enter/nsexec" // the C constructor of ctx enter
)

func main() { os.Exit(int(cli.Main())) }
