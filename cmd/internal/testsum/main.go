// Command testsum summarizes the JSON stream of `go test -json` (see
// `go doc test2json`) for humans. `make test` runs
//
//	go test -json -count=1 ./... | go run ./cmd/internal/testsum
//
// It prints the output of failed tests and failed packages, one result line
// per package, one line per skipped test with its reason, a count of skips by
// tier (privileged, e2e, other), and last a line
//
//	summary: 12 passed, 0 failed, 3 skipped
//
// It exits 1 if anything failed or no tests ran at all.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
)

func main() {
	if summarize(os.Stdin, os.Stdout) {
		os.Exit(1)
	}
}

// event is one test2json record. Build output carries ImportPath instead of Package.
type event struct {
	Action      string
	Package     string
	Test        string
	Output      string
	Elapsed     float64
	ImportPath  string
	FailedBuild string
}

// tiers are the skip reasons' leading words that get their own count; other
// reasons count as "other".
var tiers = []string{"privileged", "e2e"}

// summary accumulates what is printed at the end of the stream.
type summary struct {
	w                       io.Writer
	output                  map[[2]string][]string // by package and test; test "" is package output
	build                   map[string][]string    // build output by import path
	failedTests             map[string]bool        // packages with a failed test
	passed, failed, skipped int
	skips                   []string
	tierCount               map[string]int
}

// summarize reads test2json events from r, writes the summary to w and
// reports whether anything failed. Lines that are not JSON are copied as is.
func summarize(r io.Reader, w io.Writer) (failed bool) {
	s := &summary{
		w:           w,
		output:      map[[2]string][]string{},
		build:       map[string][]string{},
		failedTests: map[string]bool{},
		tierCount:   map[string]int{},
	}
	events := 0
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 16<<20) // a test may log long lines
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Action == "" {
			fmt.Fprintln(w, sc.Text())
			continue
		}
		events++
		s.handle(e)
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintf(w, "testsum: reading input: %v\n", err)
		s.failed++
	}
	if events == 0 {
		fmt.Fprintln(w, "testsum: no tests ran")
		s.failed = max(s.failed, 1)
	}
	s.finish()
	return s.failed > 0
}

func (s *summary) handle(e event) {
	key := [2]string{e.Package, e.Test}
	switch e.Action {
	case "build-output":
		s.build[e.ImportPath] = append(s.build[e.ImportPath], e.Output)
	case "output":
		s.output[key] = append(s.output[key], e.Output)
	case "pass":
		if e.Test != "" {
			s.passed++
		} else {
			fmt.Fprintf(s.w, "ok  %s %.3fs\n", e.Package, e.Elapsed)
		}
		delete(s.output, key)
	case "skip":
		if e.Test != "" { // a package without test files skips too; that is not news
			s.skip(e.Package, e.Test, s.output[key])
		}
		delete(s.output, key)
	case "fail":
		switch {
		case e.Test != "":
			s.failed++
			s.failedTests[e.Package] = true
			s.print(s.output[key])
		case !s.failedTests[e.Package]: // the package itself failed: build, TestMain, panic
			s.failed++
			if lines, ok := s.build[e.FailedBuild]; ok {
				s.print(lines)
				delete(s.build, e.FailedBuild) // a broken dependency fails many packages
			}
			s.print(slices.DeleteFunc(s.output[key], isResultLine))
		}
		if e.Test == "" {
			fmt.Fprintf(s.w, "FAIL %s\n", e.Package)
		}
		delete(s.output, key)
	}
}

// skip records a skipped test and the reason given by its last message line.
func (s *summary) skip(pkg, test string, output []string) {
	s.skipped++
	reason := "(no reason given)"
	for _, line := range output {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "=== ") || strings.HasPrefix(line, "--- ") {
			continue
		}
		reason = logPrefix.ReplaceAllString(line, "")
	}
	s.skips = append(s.skips, fmt.Sprintf("SKIP %s %s: %s", shortPath(pkg), test, reason))
	tier, _, ok := strings.Cut(reason, ":")
	if !ok || !slices.Contains(tiers, tier) {
		tier = "other"
	}
	s.tierCount[tier]++
}

// logPrefix matches the "file_test.go:12: " that testing puts before a message.
var logPrefix = regexp.MustCompile(`^\S+\.go:\d+: `)

func (s *summary) finish() {
	for _, line := range s.skips {
		fmt.Fprintln(s.w, line)
	}
	var counts []string
	for _, tier := range append(tiers, "other") {
		if n := s.tierCount[tier]; n > 0 {
			counts = append(counts, fmt.Sprintf("%s %d", tier, n))
		}
	}
	if len(counts) > 0 {
		fmt.Fprintf(s.w, "skips by tier: %s\n", strings.Join(counts, ", "))
	}
	fmt.Fprintf(s.w, "summary: %d passed, %d failed, %d skipped\n", s.passed, s.failed, s.skipped)
}

// isResultLine reports whether line is one of go test's own package result
// lines, which the "FAIL <pkg>" line replaces.
func isResultLine(line string) bool {
	return line == "PASS\n" || line == "FAIL\n" || strings.HasPrefix(line, "FAIL\t") || strings.HasPrefix(line, "ok  \t")
}

func (s *summary) print(lines []string) {
	for _, line := range lines {
		io.WriteString(s.w, line)
	}
}

// module is the main module's path, which shortPath trims from package paths.
var module = func() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		return bi.Main.Path
	}
	return ""
}()

// shortPath returns pkg relative to the main module, e.g. "inspect/hostfs".
func shortPath(pkg string) string {
	if module == "" {
		return pkg
	}
	if pkg == module {
		return "."
	}
	return strings.TrimPrefix(pkg, module+"/")
}
