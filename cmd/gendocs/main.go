// Command gendocs writes the markdown command reference (docs/cli) and the
// man pages (docs/man) from the cobra tree, so they never drift from the
// code: `make check-docs` regenerates and diffs them.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra/doc"

	"github.com/ctx-tools/ctx/cmd/internal/cli"
	"github.com/ctx-tools/ctx/cmd/internal/iostreams"
)

func main() {
	out := flag.String("out", "docs", "directory to write cli/ and man/ into")
	flag.Parse()
	if err := gen(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}

func gen(out string) error {
	ios, _, _, _ := iostreams.Test()
	// Environment-free factory: generated text must not depend on the machine.
	root := cli.NewRootCmd(cli.NewFactory(ios, func(string) string { return "" }))
	root.DisableAutoGenTag = true
	root.InitDefaultCompletionCmd()
	cliDir, manDir := filepath.Join(out, "cli"), filepath.Join(out, "man")
	for _, d := range []string{cliDir, manDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if err := doc.GenMarkdownTree(root, cliDir); err != nil {
		return err
	}
	// A fixed date keeps man pages byte-stable between runs.
	date := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	hdr := &doc.GenManHeader{Title: "CTX", Section: "1", Source: "ctx", Manual: "ctx manual", Date: &date}
	return doc.GenManTree(root, hdr, manDir)
}
