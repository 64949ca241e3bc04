// Command cookbook writes docs/cookbook.md from docs/cookbook.md.tmpl and
// the samples TestCookbook recorded in docs/cookbook/ (`make cookbook`).
// A line `{{sample NAME}}` becomes a code block with docs/cookbook/NAME.txt.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
)

var placeholder = regexp.MustCompile(`(?m)^\{\{sample ([a-z0-9-]+)\}\}$`)

func main() {
	dir := flag.String("docs", "docs", "the docs directory")
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "cookbook:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	tmpl, err := os.ReadFile(filepath.Join(dir, "cookbook.md.tmpl"))
	if err != nil {
		return err
	}
	var missing []string
	out := placeholder.ReplaceAllFunc(tmpl, func(m []byte) []byte {
		name := string(placeholder.FindSubmatch(m)[1])
		s, err := os.ReadFile(filepath.Join(dir, "cookbook", name+".txt"))
		if err != nil {
			missing = append(missing, name)
			return m
		}
		return append(append([]byte("```\n"), bytes.TrimRight(s, "\n")...), "\n```"...)
	})
	if len(missing) > 0 {
		return fmt.Errorf("no recorded sample for %v: run make cookbook as root with Docker", missing)
	}
	return os.WriteFile(filepath.Join(dir, "cookbook.md"), out, 0o644)
}
