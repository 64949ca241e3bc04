package main

import (
	"bytes"
	"strings"
	"testing"
)

// stream is trimmed `go test -json` output: a package with passing, failing,
// skipped and sub tests; one that fails to build; one whose TestMain fails;
// and one without test files.
const stream = `{"Action":"start","Package":"github.com/ctx-tools/ctx/inspect"}
{"Action":"run","Package":"github.com/ctx-tools/ctx/inspect","Test":"TestPass"}
{"Action":"output","Package":"github.com/ctx-tools/ctx/inspect","Test":"TestPass","Output":"=== RUN   TestPass\n"}
{"Action":"output","Package":"github.com/ctx-tools/ctx/inspect","Test":"TestPass","Output":"    ns_test.go:5: quiet log\n"}
{"Action":"output","Package":"github.com/ctx-tools/ctx/inspect","Test":"TestPass","Output":"--- PASS: TestPass (0.00s)\n"}
{"Action":"pass","Package":"github.com/ctx-tools/ctx/inspect","Test":"TestPass","Elapsed":0}
{"Action":"run","Package":"github.com/ctx-tools/ctx/inspect","Test":"TestRoot"}
{"Action":"output","Package":"github.com/ctx-tools/ctx/inspect","Test":"TestRoot","Output":"=== RUN   TestRoot\n"}
{"Action":"output","Package":"github.com/ctx-tools/ctx/inspect","Test":"TestRoot","Output":"    ns_test.go:6: setting up\n"}
{"Action":"output","Package":"github.com/ctx-tools/ctx/inspect","Test":"TestRoot","Output":"    ns_test.go:6: privileged: needs euid 0, running as 1000\n"}
{"Action":"output","Package":"github.com/ctx-tools/ctx/inspect","Test":"TestRoot","Output":"--- SKIP: TestRoot (0.00s)\n"}
{"Action":"skip","Package":"github.com/ctx-tools/ctx/inspect","Test":"TestRoot","Elapsed":0}
{"Action":"run","Package":"github.com/ctx-tools/ctx/inspect","Test":"TestFail"}
{"Action":"output","Package":"github.com/ctx-tools/ctx/inspect","Test":"TestFail","Output":"=== RUN   TestFail\n"}
{"Action":"output","Package":"github.com/ctx-tools/ctx/inspect","Test":"TestFail","Output":"    ns_test.go:7: got 1; want 2\n"}
{"Action":"output","Package":"github.com/ctx-tools/ctx/inspect","Test":"TestFail","Output":"--- FAIL: TestFail (0.00s)\n"}
{"Action":"fail","Package":"github.com/ctx-tools/ctx/inspect","Test":"TestFail","Elapsed":0}
{"Action":"run","Package":"github.com/ctx-tools/ctx/inspect","Test":"TestSub"}
{"Action":"output","Package":"github.com/ctx-tools/ctx/inspect","Test":"TestSub","Output":"=== RUN   TestSub\n"}
{"Action":"run","Package":"github.com/ctx-tools/ctx/inspect","Test":"TestSub/docker"}
{"Action":"output","Package":"github.com/ctx-tools/ctx/inspect","Test":"TestSub/docker","Output":"=== RUN   TestSub/docker\n"}
{"Action":"output","Package":"github.com/ctx-tools/ctx/inspect","Test":"TestSub/docker","Output":"    ns_test.go:10: e2e: docker not reachable\n"}
{"Action":"output","Package":"github.com/ctx-tools/ctx/inspect","Test":"TestSub/docker","Output":"--- SKIP: TestSub/docker (0.00s)\n"}
{"Action":"skip","Package":"github.com/ctx-tools/ctx/inspect","Test":"TestSub/docker","Elapsed":0}
{"Action":"run","Package":"github.com/ctx-tools/ctx/inspect","Test":"TestSub/old"}
{"Action":"output","Package":"github.com/ctx-tools/ctx/inspect","Test":"TestSub/old","Output":"=== RUN   TestSub/old\n"}
{"Action":"output","Package":"github.com/ctx-tools/ctx/inspect","Test":"TestSub/old","Output":"    --- SKIP: TestSub/old (0.00s)\n"}
{"Action":"output","Package":"github.com/ctx-tools/ctx/inspect","Test":"TestSub/old","Output":"        ns_test.go:11: flaky upstream\n"}
{"Action":"skip","Package":"github.com/ctx-tools/ctx/inspect","Test":"TestSub/old","Elapsed":0}
{"Action":"output","Package":"github.com/ctx-tools/ctx/inspect","Test":"TestSub","Output":"--- PASS: TestSub (0.00s)\n"}
{"Action":"pass","Package":"github.com/ctx-tools/ctx/inspect","Test":"TestSub","Elapsed":0}
{"Action":"output","Package":"github.com/ctx-tools/ctx/inspect","Output":"FAIL\n"}
{"Action":"output","Package":"github.com/ctx-tools/ctx/inspect","Output":"FAIL\tgithub.com/ctx-tools/ctx/inspect\t0.003s\n"}
{"Action":"fail","Package":"github.com/ctx-tools/ctx/inspect","Elapsed":0.004}
{"ImportPath":"github.com/ctx-tools/ctx/layers [github.com/ctx-tools/ctx/layers.test]","Action":"build-output","Output":"# github.com/ctx-tools/ctx/layers [github.com/ctx-tools/ctx/layers.test]\n"}
{"ImportPath":"github.com/ctx-tools/ctx/layers [github.com/ctx-tools/ctx/layers.test]","Action":"build-output","Output":"layers/overlay_test.go:5:28: undefined: undefined\n"}
{"ImportPath":"github.com/ctx-tools/ctx/layers [github.com/ctx-tools/ctx/layers.test]","Action":"build-fail"}
{"Action":"start","Package":"github.com/ctx-tools/ctx/layers"}
{"Action":"output","Package":"github.com/ctx-tools/ctx/layers","Output":"FAIL\tgithub.com/ctx-tools/ctx/layers [build failed]\n"}
{"Action":"fail","Package":"github.com/ctx-tools/ctx/layers","Elapsed":0,"FailedBuild":"github.com/ctx-tools/ctx/layers [github.com/ctx-tools/ctx/layers.test]"}
{"Action":"start","Package":"github.com/ctx-tools/ctx/netdebug"}
{"Action":"run","Package":"github.com/ctx-tools/ctx/netdebug","Test":"TestVeth"}
{"Action":"output","Package":"github.com/ctx-tools/ctx/netdebug","Test":"TestVeth","Output":"=== RUN   TestVeth\n"}
{"Action":"output","Package":"github.com/ctx-tools/ctx/netdebug","Test":"TestVeth","Output":"--- SKIP: TestVeth (0.00s)\n"}
{"Action":"skip","Package":"github.com/ctx-tools/ctx/netdebug","Test":"TestVeth","Elapsed":0}
{"Action":"output","Package":"github.com/ctx-tools/ctx/netdebug","Output":"setup failed\n"}
{"Action":"output","Package":"github.com/ctx-tools/ctx/netdebug","Output":"FAIL\tgithub.com/ctx-tools/ctx/netdebug\t0.002s\n"}
{"Action":"fail","Package":"github.com/ctx-tools/ctx/netdebug","Elapsed":0.002}
{"Action":"start","Package":"github.com/ctx-tools/ctx/sandbox"}
{"Action":"run","Package":"github.com/ctx-tools/ctx/sandbox","Test":"TestSpec"}
{"Action":"output","Package":"github.com/ctx-tools/ctx/sandbox","Test":"TestSpec","Output":"=== RUN   TestSpec\n"}
{"Action":"output","Package":"github.com/ctx-tools/ctx/sandbox","Test":"TestSpec","Output":"--- PASS: TestSpec (0.00s)\n"}
{"Action":"pass","Package":"github.com/ctx-tools/ctx/sandbox","Test":"TestSpec","Elapsed":0}
{"Action":"output","Package":"github.com/ctx-tools/ctx/sandbox","Output":"PASS\n"}
{"Action":"output","Package":"github.com/ctx-tools/ctx/sandbox","Output":"ok  \tgithub.com/ctx-tools/ctx/sandbox\t0.012s\n"}
{"Action":"pass","Package":"github.com/ctx-tools/ctx/sandbox","Elapsed":0.012}
{"Action":"start","Package":"github.com/ctx-tools/ctx/enter/nsexec"}
{"Action":"output","Package":"github.com/ctx-tools/ctx/enter/nsexec","Output":"?   \tgithub.com/ctx-tools/ctx/enter/nsexec\t[no test files]\n"}
{"Action":"skip","Package":"github.com/ctx-tools/ctx/enter/nsexec","Elapsed":0}
`

func TestSummarize(t *testing.T) {
	want := `=== RUN   TestFail
    ns_test.go:7: got 1; want 2
--- FAIL: TestFail (0.00s)
FAIL github.com/ctx-tools/ctx/inspect
# github.com/ctx-tools/ctx/layers [github.com/ctx-tools/ctx/layers.test]
layers/overlay_test.go:5:28: undefined: undefined
FAIL github.com/ctx-tools/ctx/layers
setup failed
FAIL github.com/ctx-tools/ctx/netdebug
ok  github.com/ctx-tools/ctx/sandbox 0.012s
SKIP inspect TestRoot: privileged: needs euid 0, running as 1000
SKIP inspect TestSub/docker: e2e: docker not reachable
SKIP inspect TestSub/old: flaky upstream
SKIP netdebug TestVeth: (no reason given)
skips by tier: privileged 1, e2e 1, other 2
summary: 3 passed, 3 failed, 4 skipped
`
	var out bytes.Buffer
	if failed := summarize(strings.NewReader(stream), &out); !failed {
		t.Error("got failed false; want true")
	}
	if got := out.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestSummarizeAllPass(t *testing.T) {
	in := `{"Action":"run","Package":"github.com/ctx-tools/ctx/sandbox","Test":"TestSpec"}
{"Action":"pass","Package":"github.com/ctx-tools/ctx/sandbox","Test":"TestSpec","Elapsed":0}
{"Action":"pass","Package":"github.com/ctx-tools/ctx/sandbox","Elapsed":1.5}
`
	want := "ok  github.com/ctx-tools/ctx/sandbox 1.500s\nsummary: 1 passed, 0 failed, 0 skipped\n"
	var out bytes.Buffer
	if failed := summarize(strings.NewReader(in), &out); failed {
		t.Error("got failed true; want false")
	}
	if got := out.String(); got != want {
		t.Errorf("got %q; want %q", got, want)
	}
}

func TestSummarizeNoEvents(t *testing.T) {
	for _, in := range []string{"", "go: no packages to test\n"} {
		var out bytes.Buffer
		if failed := summarize(strings.NewReader(in), &out); !failed {
			t.Errorf("input %q: got failed false; want true", in)
		}
		lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		if !strings.Contains(out.String(), "no tests ran") {
			t.Errorf("input %q: got %q; want a line saying no tests ran", in, out.String())
		}
		if got, want := lines[len(lines)-1], "summary: 0 passed, 1 failed, 0 skipped"; got != want {
			t.Errorf("input %q: got last line %q; want %q", in, got, want)
		}
	}
}
