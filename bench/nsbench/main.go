//go:build linux

// Command nsbench times `ctx ns ls -o json` against `lsns -J` and `lsns` on
// a scenario it builds and removes itself: thousands of sleeping processes,
// a thousand of them each in fresh net, uts and ipc namespaces.
//
// It needs root (CLONE_NEWNET needs CAP_SYS_ADMIN). Run it with `make bench`,
// or:
//
//	go build -o bin/ctx ./cmd/ctx && sudo go run ./bench/nsbench -ctx bin/ctx
//
// Every scenario process is in one process group, dies with the benchmark
// (PR_SET_PDEATHSIG) and is killed and reaped on exit, error or SIGINT. The
// benchmark reports; it exits 0 whether or not ctx meets its targets, and 1
// only when the scenario or a tool run fails.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/bench/internal/benchkit"
)

// Targets from the issue: ctx takes at most 0.25× lsns's default time, with
// a peak RSS of at most 60 MB.
const (
	targetRatio = 0.25
	targetRSSkB = 60_000 // 60 MB in kB (10^3 bytes); Maxrss is in KiB
)

// nsLinks are the /proc/PID/ns entries the census reads.
var nsLinks = []string{"cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time", "time_for_children", "user", "uts"}

func main() { os.Exit(run()) }

func run() int {
	ctxPath := flag.String("ctx", "bin/ctx", "ctx binary to time")
	lsnsPath := flag.String("lsns", "lsns", "lsns binary to compare with")
	procs := flag.Int("procs", 5000, "scenario processes in total")
	nsProcs := flag.Int("nsprocs", 1000, "scenario processes in their own net, uts and ipc namespaces")
	runs := flag.Int("runs", 7, "timed runs per tool, after one warm-up")
	hold := flag.Bool("hold", false, "build the scenario, then wait for Ctrl-C instead of timing (for profiling by hand)")
	flag.Parse()

	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "nsbench: needs root (creates network namespaces); run `sudo make bench`")
		return 1
	}
	if *nsProcs > *procs || *runs < 1 {
		fmt.Fprintln(os.Stderr, "nsbench: need -runs >= 1 and -nsprocs <= -procs")
		return 1
	}
	ctxBin, err := benchkit.CtxBinary(*ctxPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "nsbench: ctx binary: %v\n", err)
		return 1
	}
	lsnsBin, err := exec.LookPath(*lsnsPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "nsbench: %v\n", err)
		return 1
	}
	sleepBin, err := exec.LookPath("sleep")
	if err != nil {
		fmt.Fprintf(os.Stderr, "nsbench: %v\n", err)
		return 1
	}

	printMachine(ctxBin, lsnsBin)

	sc := &scenario{}
	defer sc.teardown()
	benchkit.OnSignal("nsbench", "removing the scenario", sc.teardown)

	start := time.Now()
	if err := sc.build(sleepBin, *procs, *nsProcs); err != nil {
		fmt.Fprintf(os.Stderr, "nsbench: building the scenario: %v\n", err)
		return 1
	}
	cen := sc.census()
	fmt.Printf("scenario: %d processes, %d of them in %d new namespaces (built in %.1fs)\n",
		cen.ownProcs, *nsProcs, len(cen.ownNS), time.Since(start).Seconds())
	fmt.Printf("host now: %d processes, %d distinct namespaces in /proc/*/ns\n\n", cen.hostProcs, cen.hostNS)
	if cen.ownProcs < *procs || len(cen.ownNS) < 3**nsProcs {
		fmt.Fprintf(os.Stderr, "nsbench: scenario incomplete: want %d processes and %d namespaces\n", *procs, 3**nsProcs)
		return 1
	}

	if *hold {
		benchkit.Hold()
	}
	if err := verifyCtx(ctxBin, cen.ownNS); err != nil {
		fmt.Fprintf(os.Stderr, "nsbench: ctx output: %v\n", err)
		return 1
	}

	tools := []*tool{
		{name: "ctx ns ls -o json", path: ctxBin, args: []string{"ns", "ls", "-o", "json"}},
		{name: "lsns -J", path: lsnsBin, args: []string{"-J"}},
		{name: "lsns", path: lsnsBin},
	}
	floor := &tool{name: "true (launcher floor)", path: "/bin/true"}
	for _, t := range append(tools, floor) { // warm-up: caches, page cache
		if _, err := t.once(); err != nil {
			fmt.Fprintf(os.Stderr, "nsbench: %v\n", err)
			return 1
		}
	}
	for r := 0; r < *runs; r++ {
		for i := range tools { // rotate the order so no tool always runs first
			t := tools[(i+r)%len(tools)]
			if _, err := t.once(); err != nil {
				fmt.Fprintf(os.Stderr, "nsbench: %v\n", err)
				return 1
			}
		}
		if _, err := floor.once(); err != nil {
			fmt.Fprintf(os.Stderr, "nsbench: %v\n", err)
			return 1
		}
	}
	report(tools, floor, *runs)
	return 0
}

// printMachine prints what docs/benchmarks.md records about the machine.
func printMachine(ctxBin, lsnsBin string) {
	fmt.Println(benchkit.Machine(benchkit.Version(lsnsBin, "--version")))
	fmt.Printf("ctx: %s (%s)\n", ctxBin, benchkit.Version(ctxBin, "version"))
}

// scenario is the set of processes the benchmark made.
type scenario struct {
	mu   sync.Mutex
	pids []int
	pgid int
	gone bool
}

// build starts procs sleeping processes; the first nsProcs get their own
// net, uts and ipc namespaces.
func (s *scenario) build(sleepBin string, procs, nsProcs int) error {
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer devnull.Close()
	fds := []uintptr{devnull.Fd(), devnull.Fd(), devnull.Fd()}
	argv := []string{"sleep", "3600"}
	for i := 0; i < procs; i++ {
		attr := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		if i < nsProcs {
			attr.Cloneflags = unix.CLONE_NEWNET | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC
		}
		s.mu.Lock()
		if s.gone {
			s.mu.Unlock()
			return errors.New("interrupted")
		}
		attr.Pgid = s.pgid // 0 for the first: it leads the group
		pid, err := syscall.ForkExec(sleepBin, argv, &syscall.ProcAttr{Files: fds, Sys: attr})
		if err == nil {
			s.pids = append(s.pids, pid)
			if s.pgid == 0 {
				s.pgid = pid
			}
		}
		s.mu.Unlock()
		if err != nil {
			return fmt.Errorf("process %d of %d: %w", i+1, procs, err)
		}
	}
	return nil
}

// teardown kills and reaps every scenario process; it is safe to call more
// than once and from the signal handler.
func (s *scenario) teardown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone {
		return
	}
	s.gone = true
	if s.pgid != 0 {
		_ = syscall.Kill(-s.pgid, syscall.SIGKILL)
	}
	for _, pid := range s.pids {
		_ = syscall.Kill(pid, syscall.SIGKILL) // in case one left the group
	}
	for _, pid := range s.pids {
		var ws syscall.WaitStatus
		for {
			if _, err := syscall.Wait4(pid, &ws, 0, nil); err != syscall.EINTR {
				break
			}
		}
	}
	if len(s.pids) > 0 {
		fmt.Fprintf(os.Stderr, "nsbench: removed %d scenario processes\n", len(s.pids))
	}
	s.pids = nil
}

type census struct {
	ownProcs  int                 // scenario processes alive
	ownNS     map[uint64]struct{} // inodes of the namespaces they alone hold
	hostProcs int
	hostNS    int
}

// census counts, from /proc, the scenario's processes and new namespaces
// and every process and namespace on the host.
func (s *scenario) census() census {
	s.mu.Lock()
	own := make(map[int]bool, len(s.pids))
	for _, pid := range s.pids {
		own[pid] = true
	}
	s.mu.Unlock()

	var self map[string]bool // the benchmark's own namespaces are not new
	c := census{ownNS: map[uint64]struct{}{}}
	host := map[string]struct{}{}
	buf := make([]byte, 64)
	read := func(pid string) map[string]bool {
		m := map[string]bool{}
		for _, n := range nsLinks {
			k, err := unix.Readlink("/proc/"+pid+"/ns/"+n, buf)
			if err == nil {
				m[string(buf[:k])] = true
			}
		}
		return m
	}
	self = read("self")
	d, err := os.Open("/proc")
	if err != nil {
		return c
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		links := read(name)
		if len(links) == 0 {
			continue // exited, or a zombie
		}
		c.hostProcs++
		for target := range links {
			host[target] = struct{}{}
		}
		if !own[pid] {
			continue
		}
		c.ownProcs++
		for target := range links {
			if self[target] {
				continue
			}
			// "net:[4026532279]"
			i, j := strings.IndexByte(target, '['), strings.IndexByte(target, ']')
			if i < 0 || j < i {
				continue
			}
			if ino, err := strconv.ParseUint(target[i+1:j], 10, 64); err == nil {
				c.ownNS[ino] = struct{}{}
			}
		}
	}
	c.hostNS = len(host)
	return c
}

// verifyCtx runs ctx once and checks that it exits 0 and prints a JSON
// NamespaceList naming every namespace the scenario made. It decodes one
// item at a time to keep the benchmark's own peak RSS small: a child the
// benchmark starts inherits that peak as the floor of its Maxrss.
func verifyCtx(ctxBin string, want map[uint64]struct{}) error {
	cmd := exec.Command(ctxBin, "ns", "ls", "-o", "json")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	n, missing, derr := countItems(out, want)
	_, _ = io.Copy(io.Discard, out)
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
	}
	if derr != nil {
		return fmt.Errorf("invalid JSON: %w", derr)
	}
	fmt.Printf("ctx check: exit 0, valid JSON, %d namespaces listed, %d of %d scenario namespaces found\n\n",
		n, len(want)-missing, len(want))
	if missing > 0 {
		return fmt.Errorf("%d scenario namespaces missing from the output", missing)
	}
	return nil
}

func countItems(r io.Reader, want map[uint64]struct{}) (n, missing int, err error) {
	dec := json.NewDecoder(r)
	seen := make(map[uint64]bool, len(want))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return 0, 0, fmt.Errorf("want an object, got %v (%v)", tok, err)
	}
	found := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return 0, 0, err
		}
		if tok != "items" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return 0, 0, err
			}
			continue
		}
		found = true
		if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
			return 0, 0, fmt.Errorf("items: want an array, got %v (%v)", tok, err)
		}
		for dec.More() {
			var item struct {
				NS   uint64 `json:"ns"`
				Type string `json:"type"`
			}
			if err := dec.Decode(&item); err != nil {
				return 0, 0, err
			}
			if item.NS == 0 || item.Type == "" {
				return 0, 0, fmt.Errorf("item %d lacks ns or type", n)
			}
			n++
			seen[item.NS] = true
		}
		if _, err := dec.Token(); err != nil {
			return 0, 0, err
		}
	}
	if _, err := dec.Token(); err != nil {
		return 0, 0, err
	}
	if !found {
		return 0, 0, errors.New(`no "items"`)
	}
	for ino := range want {
		if !seen[ino] {
			missing++
		}
	}
	return n, missing, nil
}

// tool is one timed command and its runs.
type tool struct {
	name  string
	path  string
	args  []string
	walls []time.Duration
	rss   []int64 // KiB
}

// once runs the tool with stdout on /dev/null and records its wall time
// and peak RSS.
func (t *tool) once() (time.Duration, error) {
	wall, rss, err := benchkit.RunTimed(exec.Command(t.path, t.args...))
	if err != nil {
		return 0, fmt.Errorf("%s: %w", t.name, err)
	}
	t.walls = append(t.walls, wall)
	t.rss = append(t.rss, rss)
	return wall, nil
}

// stats drops the warm-up run and returns median, min and max wall time and
// the peak RSS over the timed runs.
func (t *tool) stats() (med, lo, hi time.Duration, peak int64) {
	w := benchkit.NewTiming(t.walls[1:])
	if len(t.rss) > 1 {
		peak = slices.Max(t.rss[1:])
	}
	return w.Median(), w.Min(), w.Max(), peak
}

func report(tools []*tool, floor *tool, runs int) {
	base, _, _, _ := tools[2].stats() // lsns, default output
	fmt.Printf("%d timed runs per tool after one warm-up, order rotated; stdout to /dev/null\n", runs)
	tw := benchkit.Table()
	fmt.Fprintln(tw, "tool\tmedian\tmin\tmax\tpeak RSS\tvs lsns\t")
	_, _, _, fl := floor.stats()
	for _, t := range append(tools, floor) {
		med, lo, hi, peak := t.stats()
		rss := benchkit.MB(peak)
		if t != floor && peak <= fl {
			rss = "≤" + rss // at the floor: the tool's own peak is lower
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%.3f×\t\n", t.name, ms(med), ms(lo), ms(hi),
			rss, float64(med)/float64(base))
	}
	tw.Flush()

	med, _, _, peak := tools[0].stats()
	jsonMed, _, _, _ := tools[1].stats()
	ratio := float64(med) / float64(base)
	fmt.Printf("\nratios: ctx/lsns = %.3f, ctx/lsns -J = %.3f, lsns -J/lsns = %.3f\n",
		ratio, float64(med)/float64(jsonMed), float64(jsonMed)/float64(base))
	fmt.Printf("time: ctx median %s <= %.2f × lsns %s = %s: %s\n", ms(med), targetRatio, ms(base),
		ms(time.Duration(targetRatio*float64(base))), benchkit.Verdict(ratio <= targetRatio))
	fmt.Printf("memory: ctx peak RSS %s <= 60 MB: %s\n", benchkit.MB(peak), benchkit.Verdict(peak*1024 <= targetRSSkB*1000))
	fmt.Println(benchkit.FloorNote(fl))
}

func ms(d time.Duration) string { return benchkit.Ms(d, 1) }
