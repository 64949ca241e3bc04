package main_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

// TestManPagesRender renders every committed man page with man -l and
// expects no complaint from groff.
func TestManPagesRender(t *testing.T) {
	hostfstest.RequireTool(t, "e2e", "man")
	pages, err := filepath.Glob(filepath.Join(moduleRoot(t), "docs", "man", "*.1"))
	if err != nil || len(pages) < 3 {
		t.Fatalf("man pages: %v, %d found", err, len(pages))
	}
	for _, p := range pages {
		cmd := exec.Command("man", "-l", p)
		cmd.Env = append(os.Environ(), "MANPAGER=cat", "PAGER=cat", "MANWIDTH=100", "MAN_KEEP_FORMATTING=0")
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil || errOut.Len() > 0 {
			t.Errorf("man -l %s: %v: %s", filepath.Base(p), err, errOut.String())
		}
		name := strings.TrimSuffix(filepath.Base(p), ".1")
		// Without a terminal man overstrikes bold text ("N\bN"): strip it.
		text := overstrike.ReplaceAllString(out.String(), "")
		if !strings.Contains(text, "NAME") || !regexp.MustCompile(regexp.QuoteMeta(name)+`\s+-\s`).MatchString(text) {
			t.Errorf("man -l %s printed no NAME section for %q", filepath.Base(p), name)
		}
	}
}

var overstrike = regexp.MustCompile(".\x08")
