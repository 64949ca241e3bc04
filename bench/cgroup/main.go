//go:build linux

// Command cgroup times `ctx cgroup ls -o json` against the floor, a single
// `cat` of every file ctx reads, on a scenario it builds and removes
// itself: about 1,000 real cgroups (40 pods of 24 containers under one
// parent) in the memory, cpu, cpuacct and pids v1 hierarchies and in the
// cgroup2 tree, each with the files a few processes left: a helper process
// visits every container cgroup, burns a little CPU and leaves a 64 KiB
// tmpfs file charged to it, and every tenth cgroup keeps a sleeping
// process. Where systemd-cgls is installed it also times `ctx cgroup tree`
// against `systemd-cgls --no-pager` on the machine's own hierarchy.
//
// It needs root (it creates cgroups) and a v1 or hybrid host (the scenario
// is made in the v1 hierarchies; on a pure v2 host it uses the cgroup2
// tree alone). Run it with `make bench`, or:
//
//	go build -o bin/ctx ./cmd/ctx && sudo go run ./bench/cgroup -ctx bin/ctx
//
// The scenario's processes die with the benchmark (PR_SET_PDEATHSIG) and
// are killed, the tmpfs files deleted and the cgroups removed, deepest
// first, on exit, error or SIGINT. The benchmark reports; it exits 0
// whether or not ctx meets its target, and 1 only when the scenario or a
// tool run fails.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/bench/internal/benchkit"
	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// targetRatio is the target: ctx cgroup ls -o json takes at most
// 1.5× the time of cat reading the same files.
const targetRatio = 1.5

// helperEnv makes the benchmark binary act as the helper that visits the
// cgroups (see helper).
const helperEnv = "CTXBENCH_CGROUP_HELPER"

// readerEnv makes the benchmark binary the strict floor: it reads every
// file named in the file its value names with openat, read and close into
// one buffer, and prints nothing.
const readerEnv = "CTXBENCH_CGROUP_READER"

func main() {
	if os.Getenv(helperEnv) != "" {
		os.Exit(helper())
	}
	if list := os.Getenv(readerEnv); list != "" {
		os.Exit(reader(list))
	}
	os.Exit(run())
}

// reader is the strict floor: the files read once with the fewest
// syscalls (openat, read until EOF, close), nothing parsed or printed.
func reader(list string) int {
	data, err := os.ReadFile(list)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	buf := make([]byte, 64<<10)
	for _, name := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		fd, err := unix.Open(name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		for {
			n, err := unix.Read(fd, buf)
			if n <= 0 || err != nil {
				break
			}
		}
		unix.Close(fd)
	}
	return 0
}

// hierarchy is one mount the scenario uses.
type hierarchy struct {
	name  string // memory, cpu, cpuacct, pids, cgroup2
	mount string
	v2    bool
}

func run() int {
	ctxPath := flag.String("ctx", "bin/ctx", "ctx binary to time")
	pods := flag.Int("pods", 40, "pod cgroups under the scenario's parent")
	ctrs := flag.Int("containers", 24, "container cgroups per pod")
	runs := flag.Int("runs", 9, "timed runs per tool, after one warm-up")
	hold := flag.Bool("hold", false, "build the scenario, then wait for Ctrl-C instead of timing (for profiling by hand)")
	flag.Parse()

	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "cgroupbench: needs root (creates cgroups); run `sudo make bench`")
		return 1
	}
	ctxBin, err := benchkit.CtxBinary(*ctxPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "cgroupbench: ctx binary: %v\n", err)
		return 1
	}
	hs, err := hierarchies()
	if err != nil {
		fmt.Fprintf(os.Stderr, "cgroupbench: %v\n", err)
		return 1
	}
	printMachine(ctxBin, hs)

	sc := &scenario{name: fmt.Sprintf("ctxbench-%d", os.Getpid()), hs: hs}
	defer sc.teardown()
	benchkit.OnSignal("cgroupbench", "removing the scenario", sc.teardown)

	start := time.Now()
	if err := sc.build(*pods, *ctrs); err != nil {
		fmt.Fprintf(os.Stderr, "cgroupbench: building the scenario: %v\n", err)
		return 1
	}
	fmt.Printf("scenario: %d cgroups under /%s in %s, %d sleeping processes, a 64 KiB tmpfs file charged to each container (built in %.1fs)\n",
		len(sc.groups), sc.name, names(hs), len(sc.sleepers), time.Since(start).Seconds())
	if *hold {
		benchkit.Hold()
	}
	files := sc.files()
	fmt.Printf("floor: one cat of the %d files ctx reads in them (%s per cgroup)\n", len(files), strings.Join(perCgroup(hs), " "))
	if err := verifyCtx(ctxBin, sc); err != nil {
		fmt.Fprintf(os.Stderr, "cgroupbench: ctx output: %v\n", err)
		return 1
	}

	catBin, err := exec.LookPath("cat")
	if err != nil {
		fmt.Fprintf(os.Stderr, "cgroupbench: %v\n", err)
		return 1
	}
	top := "/" + sc.name
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(os.Stderr, "cgroupbench: %v\n", err)
		return 1
	}
	listFile := filepath.Join(os.TempDir(), sc.name+".files")
	if err := os.WriteFile(listFile, []byte(strings.Join(files, "\n")), 0o600); err != nil {
		fmt.Fprintf(os.Stderr, "cgroupbench: %v\n", err)
		return 1
	}
	defer os.Remove(listFile)
	tools := []*tool{
		{name: "ctx cgroup ls -o json (scenario)", path: ctxBin, args: []string{"cgroup", "ls", top, "-o", "json"}},
		{name: "cat of the same files (floor)", path: catBin, args: files},
		{name: "ctx cgroup ls -o json (whole host)", path: ctxBin, args: []string{"cgroup", "ls", "-o", "json"}},
		{name: "open/read/close only (strict floor)", path: self, env: []string{readerEnv + "=" + listFile}},
	}
	if err := timeTools(tools, *runs); err != nil {
		fmt.Fprintf(os.Stderr, "cgroupbench: %v\n", err)
		return 1
	}
	report(tools, *runs)

	// systemd-cgls on the machine's own hierarchy, without the scenario.
	sc.teardown()
	if cgls, err := exec.LookPath("systemd-cgls"); err != nil {
		fmt.Println("\nsystemd-cgls is not installed: no tree comparison")
	} else {
		fmt.Println("\nthe machine's own hierarchy (scenario removed):")
		tree := []*tool{
			{name: "ctx cgroup tree", path: ctxBin, args: []string{"cgroup", "tree"}},
			{name: "systemd-cgls --no-pager", path: cgls, args: []string{"--no-pager"}},
			{name: "ctx cgroup tree --procs=false", path: ctxBin, args: []string{"cgroup", "tree", "--procs=false"}},
		}
		if err := timeTools(tree, *runs); err != nil {
			fmt.Fprintf(os.Stderr, "cgroupbench: %v\n", err)
			return 1
		}
		reportTree(tree, *runs)
	}
	return 0
}

// hierarchies finds the mounts the scenario uses from the mount table:
// the v1 memory, cpu, cpuacct and pids hierarchies and the cgroup2 mount.
func hierarchies() ([]hierarchy, error) {
	root, err := hostfs.New("/")
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(root.Proc("self", "mountinfo"))
	if err != nil {
		return nil, err
	}
	var out []hierarchy
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		pre, post, ok := strings.Cut(line, " - ")
		if !ok {
			continue
		}
		f, g := strings.Fields(pre), strings.Fields(post)
		if len(f) < 5 || len(g) < 3 || f[3] != "/" {
			continue
		}
		switch g[0] {
		case "cgroup2":
			if !seen["cgroup2"] {
				seen["cgroup2"] = true
				out = append(out, hierarchy{name: "cgroup2", mount: f[4], v2: true})
			}
		case "cgroup":
			for _, o := range strings.Split(g[2], ",") {
				if slices.Contains([]string{"memory", "cpu", "cpuacct", "pids"}, o) && !seen[o] {
					seen[o] = true
					out = append(out, hierarchy{name: o, mount: f[4]})
				}
			}
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no cgroup mounts")
	}
	// One directory per mount: cpu and cpuacct may share one.
	var uniq []hierarchy
	mounts := map[string]bool{}
	for _, h := range out {
		if !mounts[h.mount] {
			mounts[h.mount] = true
			uniq = append(uniq, h)
		}
	}
	return uniq, nil
}

func names(hs []hierarchy) string {
	var n []string
	for _, h := range hs {
		n = append(n, h.name)
	}
	return strings.Join(n, ", ")
}

func (h hierarchy) has(c string) bool { return h.name == c }

// perCgroup lists the files ctx cgroup ls reads in each cgroup, per
// hierarchy (cgroupview.Scan: procs from the first hierarchy, memory,
// pids, cpu bandwidth, cgroup2 cpu.stat and PSI; cpuacct only when the
// cgroup2 tree lacks the group).
func perCgroup(hs []hierarchy) []string {
	var out []string
	procs := false
	for _, name := range []string{"memory", "pids", "cpu", "cgroup2"} {
		for _, h := range hs {
			if h.name != name {
				continue
			}
			fs := h.filesFor()
			if !procs {
				fs = append([]string{"cgroup.procs"}, fs...)
				procs = true
			}
			for _, f := range fs {
				out = append(out, h.name+"/"+f)
			}
		}
	}
	return out
}

func (h hierarchy) filesFor() []string {
	switch h.name {
	case "memory":
		return []string{"memory.usage_in_bytes", "memory.limit_in_bytes", "memory.stat", "memory.oom_control"}
	case "pids":
		return []string{"pids.current", "pids.max", "pids.events"}
	case "cpu":
		return []string{"cpu.cfs_quota_us", "cpu.cfs_period_us", "cpu.stat"}
	case "cgroup2":
		return []string{"cpu.stat", "cpu.pressure", "memory.pressure", "io.pressure"}
	}
	return nil
}

// scenario is what the benchmark made.
type scenario struct {
	name     string
	hs       []hierarchy
	groups   []string // cgroup paths below the hierarchies' roots, parents first
	sleepers []*exec.Cmd
	shm      string
	mu       sync.Mutex
	gone     bool
}

func (s *scenario) build(pods, ctrs int) error {
	s.shm = filepath.Join("/dev/shm", s.name)
	if err := os.Mkdir(s.shm, 0o700); err != nil {
		return err
	}
	s.groups = append(s.groups, s.name)
	for p := 0; p < pods; p++ {
		pod := fmt.Sprintf("%s/pod%02d", s.name, p)
		s.groups = append(s.groups, pod)
		for c := 0; c < ctrs; c++ {
			s.groups = append(s.groups, fmt.Sprintf("%s/ctr%02d", pod, c))
		}
	}
	for i, g := range s.groups {
		for _, h := range s.hs {
			if err := os.Mkdir(filepath.Join(h.mount, g), 0o755); err != nil {
				return err
			}
			if err := limits(h, g, i); err != nil {
				return err
			}
		}
		s.mu.Lock()
		gone := s.gone
		s.mu.Unlock()
		if gone {
			return errors.New("interrupted")
		}
	}
	// The helper visits every container cgroup.
	self, err := os.Executable()
	if err != nil {
		return err
	}
	var list []string
	for _, g := range s.groups {
		if strings.Count(g, "/") == 2 {
			list = append(list, g)
		}
	}
	helperCmd := exec.Command(self)
	helperCmd.Env = append(os.Environ(), helperEnv+"=1")
	helperCmd.Stdin = strings.NewReader(s.shm + "\n" + mountList(s.hs) + "\n" + strings.Join(list, "\n") + "\n")
	helperCmd.Stderr = os.Stderr
	helperCmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := helperCmd.Run(); err != nil {
		return fmt.Errorf("helper: %w", err)
	}
	// A few processes stay: a sleeper in every tenth container cgroup.
	for i := 0; i < len(list); i += 10 {
		cmd := exec.Command("sleep", "3600")
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			return err
		}
		s.mu.Lock()
		s.sleepers = append(s.sleepers, cmd)
		s.mu.Unlock()
		for _, h := range s.hs {
			if err := os.WriteFile(filepath.Join(h.mount, list[i], "cgroup.procs"), []byte(strconv.Itoa(cmd.Process.Pid)), 0); err != nil {
				return err
			}
		}
	}
	return nil
}

func mountList(hs []hierarchy) string {
	var m []string
	for _, h := range hs {
		m = append(m, h.mount)
	}
	return strings.Join(m, " ")
}

// limits gives pods and some containers limits, as a kubelet would.
func limits(h hierarchy, g string, i int) error {
	depth := strings.Count(g, "/")
	w := func(file, v string) error {
		return os.WriteFile(filepath.Join(h.mount, g, file), []byte(v), 0)
	}
	switch {
	case h.has("memory") && depth == 1:
		return w("memory.limit_in_bytes", "536870912")
	case h.has("memory") && depth == 2 && i%3 == 0:
		return w("memory.limit_in_bytes", "134217728")
	case h.has("pids") && depth >= 1:
		return w("pids.max", "256")
	case h.has("cpu") && depth == 1:
		return w("cpu.cfs_quota_us", "200000")
	case h.has("cpu") && depth == 2 && i%2 == 0:
		return w("cpu.cfs_quota_us", "50000")
	}
	return nil
}

// files lists, for the floor, every file ctx cgroup ls reads in the
// scenario, in the order it reads them.
func (s *scenario) files() []string {
	var out []string
	procs := false
	for _, name := range []string{"memory", "pids", "cpu", "cgroup2"} {
		for _, h := range s.hs {
			if h.name != name {
				continue
			}
			fs := h.filesFor()
			if !procs {
				fs = append([]string{"cgroup.procs"}, fs...)
				procs = true
			}
			for _, g := range s.groups {
				for _, f := range fs {
					out = append(out, filepath.Join(h.mount, g, f))
				}
				if h.v2 && g == s.name {
					// The top of the scan: dying descendants.
					out = append(out, filepath.Join(h.mount, g, "cgroup.stat"))
				}
			}
		}
	}
	return out
}

func (s *scenario) teardown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone {
		return
	}
	s.gone = true
	for _, c := range s.sleepers {
		c.Process.Kill()
		c.Wait()
	}
	if s.shm != "" {
		os.RemoveAll(s.shm) // uncharges the tmpfs pages
	}
	for i := len(s.groups) - 1; i >= 0; i-- {
		for _, h := range s.hs {
			p := filepath.Join(h.mount, s.groups[i])
			var err error
			for try := 0; try < 50; try++ {
				if err = os.Remove(p); err == nil || errors.Is(err, os.ErrNotExist) {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				fmt.Fprintf(os.Stderr, "cgroupbench: removing %s: %v\n", p, err)
			}
		}
	}
}

// helper reads the tmpfs directory, the mounts and the container cgroups
// from stdin, then moves itself into each cgroup in turn: it burns about
// a millisecond of CPU and writes a 64 KiB tmpfs file, which stays
// charged to that memory cgroup after it moves on.
func helper() int {
	sc := bufio.NewScanner(os.Stdin)
	var lines []string
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) < 2 {
		fmt.Fprintln(os.Stderr, "helper: no input")
		return 1
	}
	shm, mounts := lines[0], strings.Fields(lines[1])
	pid := []byte(strconv.Itoa(os.Getpid()))
	buf := bytes.Repeat([]byte{'x'}, 64<<10)
	for i, g := range lines[2:] {
		for _, m := range mounts {
			if err := os.WriteFile(filepath.Join(m, g, "cgroup.procs"), pid, 0); err != nil {
				fmt.Fprintf(os.Stderr, "helper: %v\n", err)
				return 1
			}
		}
		end := time.Now().Add(time.Millisecond)
		for x := 0; time.Now().Before(end); x++ {
			_ = x * x
		}
		if err := os.WriteFile(filepath.Join(shm, fmt.Sprintf("f%04d", i)), buf, 0o600); err != nil {
			fmt.Fprintf(os.Stderr, "helper: %v\n", err)
			return 1
		}
	}
	return 0
}

// verifyCtx checks that ctx lists every scenario cgroup with its memory
// limit and usage.
func verifyCtx(ctxBin string, s *scenario) error {
	out, err := exec.Command(ctxBin, "cgroup", "ls", "/"+s.name, "-o", "json").Output()
	if err != nil {
		return err
	}
	var doc struct {
		Items []struct {
			Path   string `json:"path"`
			Memory *struct {
				Current *uint64 `json:"currentBytes"`
				Shmem   *uint64 `json:"shmemBytes"`
			} `json:"memory"`
			Effective struct {
				Memory *struct {
					Max *uint64 `json:"max"`
				} `json:"memory"`
			} `json:"effective"`
		} `json:"items"`
		Warnings []string `json:"warnings"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		return err
	}
	if len(doc.Items) != len(s.groups) {
		return fmt.Errorf("listed %d cgroups; want %d", len(doc.Items), len(s.groups))
	}
	charged := 0
	for _, it := range doc.Items {
		if it.Memory == nil || it.Memory.Current == nil || it.Effective.Memory == nil {
			return fmt.Errorf("%s: memory or its effective limit unknown", it.Path)
		}
		if it.Memory.Shmem != nil && *it.Memory.Shmem >= 64<<10 {
			charged++
		}
	}
	fmt.Printf("check: ctx listed all %d cgroups with usage and effective limits; %d carry the helper's tmpfs pages; %d warnings\n",
		len(doc.Items), charged, len(doc.Warnings))
	return nil
}

// tool is one timed command and its runs.
type tool struct {
	name  string
	path  string
	args  []string
	env   []string
	walls []time.Duration
	out   int
}

func (t *tool) once() error {
	cmd := exec.Command(t.path, t.args...)
	if t.env != nil {
		cmd.Env = append(os.Environ(), t.env...)
	}
	var stdout countWriter
	cmd.Stdout = &stdout
	wall, _, err := benchkit.RunTimed(cmd)
	if err != nil {
		return fmt.Errorf("%s: %w", t.name, err)
	}
	t.walls = append(t.walls, wall)
	t.out = int(stdout)
	return nil
}

// countWriter counts and drops what a tool prints: the output is read, as
// a pipe to jq would, but not kept.
type countWriter int

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }

func timeTools(tools []*tool, runs int) error {
	for _, t := range tools { // warm-up: dentries, page cache
		if err := t.once(); err != nil {
			return err
		}
	}
	return benchkit.Rotated(len(tools), runs, func(i int) error { return tools[i].once() })
}

// stats drops the warm-up run and returns median, min and max.
func (t *tool) stats() (med, lo, hi time.Duration) {
	w := benchkit.NewTiming(t.walls[1:])
	return w.Median(), w.Min(), w.Max()
}

func report(tools []*tool, runs int) {
	base, _, _ := tools[1].stats()
	fmt.Printf("\n%d timed runs per tool after one warm-up, order rotated; output read through a pipe\n", runs)
	tw := benchkit.Table()
	fmt.Fprintln(tw, "tool\tmedian\tmin\tmax\toutput\tvs floor\t")
	for _, t := range tools {
		med, lo, hi := t.stats()
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.1f MB\t%.2f×\t\n", t.name, ms(med), ms(lo), ms(hi), float64(t.out)/1e6, float64(med)/float64(base))
	}
	tw.Flush()
	med, _, _ := tools[0].stats()
	ratio := float64(med) / float64(base)
	fmt.Printf("\ntarget: ctx median %s <= %.1f × floor %s = %s: %s (%.2f×)\n", ms(med), targetRatio, ms(base),
		ms(time.Duration(targetRatio*float64(base))), benchkit.Verdict(ratio <= targetRatio), ratio)
	strict, _, _ := tools[3].stats()
	fmt.Printf("against the strict floor (no fstat, fadvise or output per file): %.2f×\n", float64(med)/float64(strict))
}

func reportTree(tools []*tool, runs int) {
	base, _, _ := tools[1].stats()
	tw := benchkit.Table()
	fmt.Fprintln(tw, "tool\tmedian\tmin\tmax\toutput\tvs systemd-cgls\t")
	for _, t := range tools {
		med, lo, hi := t.stats()
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.1f kB\t%.2f×\t\n", t.name, ms(med), ms(lo), ms(hi), float64(t.out)/1e3, float64(med)/float64(base))
	}
	tw.Flush()
}

// printMachine prints what docs/benchmarks.md records about the machine.
func printMachine(ctxBin string, hs []hierarchy) {
	fmt.Println(benchkit.Machine())
	var ms []string
	for _, h := range hs {
		ms = append(ms, h.name+" at "+h.mount)
	}
	fmt.Printf("hierarchies used: %s\n", strings.Join(ms, ", "))
	fmt.Printf("ctx: %s (%s)\n", ctxBin, benchkit.Version(ctxBin, "version"))
}

func ms(d time.Duration) string { return benchkit.Ms(d, 1) }
