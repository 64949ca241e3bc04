// Command ctx shows and fixes what containers are made of.
package main

import (
	"os"

	"github.com/ctx-tools/ctx/cmd/internal/cli"
)

func main() { os.Exit(int(cli.Main())) }
