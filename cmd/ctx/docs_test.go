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

// designFlags are the flags ../shared/DESIGN.md names, by the generated
// reference page that must document them.
var designFlags = map[string][]string{
	"ctx.md":            {"--host-root", "--proc", "--sys", "--cgroup-root", "--output", "--no-headers", "--strict", "--color", "--verbose"},
	"ctx_ns_ls.md":      {"--type", "--tree", "--tasks"},
	"ctx_inspect.md":    {"--check"},
	"ctx_enter.md":      {"--all", "--keep-tools", "--join-cgroup", "--env"},
	"ctx_layers_du.md":  {"--all"},
	"ctx_net_topo.md":   {"--format"},
	"ctx_run.md":        {"--rootfs", "--image", "--bundle", "--net"},
	"ctx_cgroup_top.md": {"--interval", "--sort", "--once"},
}

// TestDesignFlagsDocumented checks that every flag of DESIGN.md's command
// surface appears in the committed command reference.
func TestDesignFlagsDocumented(t *testing.T) {
	dir := filepath.Join(moduleRoot(t), "docs", "cli")
	for page, flags := range designFlags {
		b, err := os.ReadFile(filepath.Join(dir, page))
		if err != nil {
			t.Errorf("reference page %s: %v", page, err)
			continue
		}
		for _, f := range flags {
			if !strings.Contains(string(b), f) {
				t.Errorf("%s does not document %s", page, f)
			}
		}
	}
}
