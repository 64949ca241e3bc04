//go:build linux

// Command run times `ctx run --rootfs DIR -- /bin/true` from start to exit
// against `runc run` of the same rootfs as an OCI bundle (runc spec, args
// /bin/true) and `unshare --fork --pid --mount-proc --net --uts --ipc
// /bin/true`, in one run, and ctx again with --memory and --pids set.
//
// It needs root, runc and unshare. Run it with `make bench` (BENCH=run for
// this one), or:
//
//	go build -o bin/ctx ./cmd/ctx && sudo go run ./bench/run -ctx bin/ctx
//
// The rootfs is Debian's static busybox with a link per applet, made in a
// temporary directory and removed on exit, error or Ctrl-C, as are the
// bundle and any runc container left. Each tool runs as the benchmark's
// direct child (fork/exec, wait4; stdio to /dev/null), interleaved with
// the order rotated each round, after a warm-up. It reports; it exits 0
// whether or not ctx meets the target, 1 only when a tool run fails.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/bench/internal/benchkit"
)

// targetRatio is the target: ctx's median at most 0.5× runc's.
const targetRatio = 0.5

func main() { os.Exit(run()) }

type tool struct {
	name  string
	path  string
	args  []string
	times []time.Duration
	// next returns the args of one run (runc needs a fresh container ID).
	next func(i int) []string
}

func (t *tool) once(i int) (time.Duration, error) {
	args := t.args
	if t.next != nil {
		args = t.next(i)
	}
	cmd := exec.Command(t.path, args...)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return d, fmt.Errorf("%s: %v\n%s", t.name, err, strings.TrimSpace(errOut.String()))
	}
	return d, nil
}

func run() int {
	ctxPath := flag.String("ctx", "bin/ctx", "ctx binary to time")
	runcPath := flag.String("runc", "runc", "runc binary to compare with")
	runs := flag.Int("runs", 50, "timed runs per tool, after the warm-up")
	warm := flag.Int("warmup", 3, "untimed runs per tool first")
	flag.Parse()
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "run bench: needs root (namespaces, cgroups); run `sudo make bench`")
		return 1
	}
	ctxBin, err := benchkit.CtxBinary(*ctxPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "run bench: ctx binary: %v\n", err)
		return 1
	}
	runcBin, err := exec.LookPath(*runcPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "run bench: %v\n", err)
		return 1
	}
	unshareBin, err := exec.LookPath("unshare")
	if err != nil {
		fmt.Fprintf(os.Stderr, "run bench: %v\n", err)
		return 1
	}

	dir, err := os.MkdirTemp("", "ctx-bench-run-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "run bench:", err)
		return 1
	}
	prefix := fmt.Sprintf("ctxbench-%d-", os.Getpid())
	cleanup := func() {
		out, _ := exec.Command(runcBin, "list", "-q").Output()
		for _, id := range strings.Fields(string(out)) {
			if strings.HasPrefix(id, prefix) {
				exec.Command(runcBin, "delete", "-f", id).Run()
			}
		}
		os.RemoveAll(dir)
	}
	defer cleanup()
	benchkit.OnSignal("run bench", "cleaning up", cleanup)

	rootfs := filepath.Join(dir, "bundle", "rootfs")
	if err := makeRootfs(rootfs); err != nil {
		fmt.Fprintln(os.Stderr, "run bench: rootfs:", err)
		return 1
	}
	bundle := filepath.Join(dir, "bundle")
	if err := makeBundle(runcBin, bundle); err != nil {
		fmt.Fprintln(os.Stderr, "run bench: bundle:", err)
		return 1
	}
	state := filepath.Join(dir, "ctx-state")
	printMachine(ctxBin, runcBin)

	ctxArgs := func(extra ...string) []string {
		return append(append([]string{"run", "--state-dir", state, "--rootfs", rootfs}, extra...), "--", "/bin/true")
	}
	runc := &tool{name: "runc run (bundle)", path: runcBin, next: func(i int) []string {
		return []string{"run", "--bundle", bundle, fmt.Sprintf("%s%d", prefix, i)}
	}}
	ctx := &tool{name: "ctx run", path: ctxBin, args: ctxArgs()}
	tools := []*tool{
		ctx,
		{name: "ctx run --memory 64m --pids 20", path: ctxBin, args: ctxArgs("--memory", "64m", "--pids", "20")},
		{name: "ctx run --init=false", path: ctxBin, args: ctxArgs("--init=false")},
		runc,
		{name: "unshare --fork --pid --mount-proc --net --uts --ipc", path: unshareBin,
			args: []string{"--fork", "--pid", "--mount-proc", "--net", "--uts", "--ipc", "/bin/true"}},
		{name: "/bin/true (floor)", path: "/bin/true"},
	}
	n := 0
	for w := 0; w < *warm; w++ {
		for _, t := range tools {
			if _, err := t.once(n); err != nil {
				fmt.Fprintln(os.Stderr, "run bench:", err)
				return 1
			}
			n++
		}
	}
	err = benchkit.Rotated(len(tools), *runs, func(i int) error {
		d, err := tools[i].once(n)
		n++
		if err == nil {
			tools[i].times = append(tools[i].times, d)
		}
		return err
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "run bench:", err)
		return 1
	}

	fmt.Printf("\n%d runs per tool after %d warm-up runs, order rotated each round\n\n", *runs, *warm)
	tw := benchkit.Table()
	fmt.Fprintln(tw, "tool\tmedian\tp10\tp90\tvs runc\t")
	rm := median(runc.times)
	for _, t := range tools {
		m := median(t.times)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.2f×\t\n", t.name, ms(m), ms(pct(t.times, 10)), ms(pct(t.times, 90)), float64(m)/float64(rm))
	}
	tw.Flush()
	ratio := float64(median(ctx.times)) / float64(rm)
	verdict := "MET"
	if ratio > targetRatio {
		verdict = "MISSED"
	}
	fmt.Printf("\ntarget: ctx run median ≤ %.1f× runc run: %.2f× — %s\n", targetRatio, ratio, verdict)
	if left, _ := filepath.Glob(filepath.Join(state, "ctx-*")); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "run bench: ctx left state dirs: %q\n", left)
		return 1
	}
	return 0
}

func median(ds []time.Duration) time.Duration { return pct(ds, 50) }

// pct is the p-th percentile at the rank rounded down, not
// benchkit.Timing's nearest rank: docs/benchmarks.md quotes figures
// computed this way.
func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)-1)*p/100]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

// makeRootfs copies /bin/busybox with a link per applet: /bin/true is
// busybox.
func makeRootfs(dir string) error {
	bin, err := os.ReadFile("/bin/busybox")
	if err != nil {
		return fmt.Errorf("%w (install busybox-static)", err)
	}
	list, err := exec.Command("/bin/busybox", "--list").Output()
	if err != nil {
		return err
	}
	for _, d := range []string{"bin", "etc", "tmp", "proc", "sys", "dev"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "bin", "busybox"), bin, 0o755); err != nil {
		return err
	}
	for _, a := range strings.Fields(string(list)) {
		if a != "busybox" && !strings.Contains(a, "/") {
			if err := os.Symlink("busybox", filepath.Join(dir, "bin", a)); err != nil {
				return err
			}
		}
	}
	return nil
}

// makeBundle writes runc's default spec with /bin/true as the process and
// no terminal.
func makeBundle(runcBin, dir string) error {
	cmd := exec.Command(runcBin, "spec")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("runc spec: %v %s", err, out)
	}
	p := filepath.Join(dir, "config.json")
	b, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	var spec map[string]any
	if err := json.Unmarshal(b, &spec); err != nil {
		return err
	}
	proc := spec["process"].(map[string]any)
	proc["args"] = []string{"/bin/true"}
	proc["terminal"] = false
	out, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(p, out, 0o644)
}

func printMachine(ctxBin, runcBin string) {
	mode := "v1"
	var st unix.Statfs_t
	if unix.Statfs("/sys/fs/cgroup", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		mode = "v2"
	} else if unix.Statfs("/sys/fs/cgroup/unified", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		mode = "hybrid"
	}
	fmt.Printf("machine: %d CPUs, kernel %s, cgroups %s, %s, %s, load %s\n", runtime.NumCPU(),
		benchkit.Kernel(), mode, benchkit.Version(runcBin, "--version"), runtime.Version(), benchkit.Load())
	fmt.Printf("ctx: %s (%s)\n", ctxBin, benchkit.Version(ctxBin, "version"))
}
