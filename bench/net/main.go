//go:build linux

// Command net times `ctx net topo -o json` against the iproute2 ways of
// reading every network namespace, on a scenario it builds and removes
// itself: one bridge in its own namespace and N named namespaces, each with
// an eth0 veth whose peer is a port of that bridge (N = 200, then 1,000).
//
// The peers are
//   - ip -all netns exec ip -j addr
//   - for ns in $(ip netns list | cut -d' ' -f1); do ip -n "$ns" -j link; done
//     (the loop written correctly: `ip netns list` prints "NAME (id: N)",
//     which a bare $(ip netns list) splits into bogus names)
//
// It needs root and iproute2. Run it with `make bench`, or:
//
//	go build -o bin/ctx ./cmd/ctx && sudo go run ./bench/net -ctx bin/ctx
//
// Everything it makes lives in namespaces named ctxbench-PID-*: no host
// interface is touched and no traffic is sent. They are removed on exit,
// error and SIGINT. The benchmark reports; it exits 0 whether or not ctx
// meets its targets, and 1 only when the scenario or a tool run fails.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/bench/internal/benchkit"
)

// targets from the issue: ctx at most 0.2× the fastest iproute2 peer at
// 200 namespaces and 0.1× at 1,000.
var targets = map[int]float64{200: 0.2, 1000: 0.1}

func main() { os.Exit(run()) }

func run() int {
	ctxPath := flag.String("ctx", "bin/ctx", "ctx binary to time")
	sizesFlag := flag.String("sizes", "200,1000", "namespace counts to time, ascending; the scenario grows between them")
	runs := flag.Int("runs", 5, "timed runs per tool and size, after one warm-up")
	hold := flag.Bool("hold", false, "build the largest scenario, then wait for Ctrl-C instead of timing")
	flag.Parse()

	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "net bench: needs root (creates network namespaces); run `sudo make bench`")
		return 1
	}
	var sizes []int
	for _, s := range strings.Split(*sizesFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 60000 || (len(sizes) > 0 && n <= sizes[len(sizes)-1]) {
			fmt.Fprintf(os.Stderr, "net bench: bad -sizes %q: want ascending counts\n", *sizesFlag)
			return 1
		}
		sizes = append(sizes, n)
	}
	if *runs < 1 {
		fmt.Fprintln(os.Stderr, "net bench: need -runs >= 1")
		return 1
	}
	ctxBin, err := benchkit.CtxBinary(*ctxPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "net bench: ctx binary: %v\n", err)
		return 1
	}
	ipBin, err := exec.LookPath("ip")
	if err != nil {
		fmt.Fprintf(os.Stderr, "net bench: %v\n", err)
		return 1
	}
	printMachine(ctxBin, ipBin)

	sc := &scenario{prefix: fmt.Sprintf("ctxbench-%d", os.Getpid()), ip: ipBin}
	defer sc.teardown()
	benchkit.OnSignal("net bench", "removing the scenario", sc.teardown)

	if err := sc.init(); err != nil {
		fmt.Fprintf(os.Stderr, "net bench: building the bridge namespace: %v\n", err)
		return 1
	}
	for _, n := range sizes {
		start := time.Now()
		if err := sc.grow(n); err != nil {
			fmt.Fprintf(os.Stderr, "net bench: building %d namespaces: %v\n", n, err)
			return 1
		}
		fmt.Printf("\n== %d namespaces on one bridge (built in %.1fs); the host has %d network namespaces in /run/netns\n",
			n, time.Since(start).Seconds(), countNamed())
		if *hold && n == sizes[len(sizes)-1] {
			benchkit.Hold()
		}
		if err := sc.verify(ctxBin, n); err != nil {
			fmt.Fprintf(os.Stderr, "net bench: ctx output: %v\n", err)
			return 1
		}
		tools := []*tool{
			{name: "ctx net topo -o json", path: ctxBin, args: []string{"net", "topo", "-o", "json"}},
			{name: "ip -all netns exec ip -j addr", path: ipBin, args: []string{"-all", "netns", "exec", "ip", "-j", "addr"}},
			{name: "loop: ip -n NS -j link", path: "/bin/sh", args: []string{"-c",
				`for ns in $(ip netns list | cut -d' ' -f1); do ip -n "$ns" -j link || exit 1; done`}},
		}
		if err := timeAll(tools, *runs); err != nil {
			fmt.Fprintf(os.Stderr, "net bench: %v\n", err)
			return 1
		}
		report(tools, n, *runs)
	}
	return 0
}

// printMachine prints what docs/benchmarks.md records about the machine.
func printMachine(ctxBin, ipBin string) {
	fmt.Printf("%s, load average %s\n", benchkit.Machine(benchkit.Version(ipBin, "-V")), benchkit.Load())
	fmt.Printf("ctx: %s (%s)\n", ctxBin, benchkit.Version(ctxBin, "version"))
}

func countNamed() int {
	entries, _ := os.ReadDir("/run/netns")
	return len(entries)
}

// scenario is the bridge namespace and the member namespaces made so far.
type scenario struct {
	mu     sync.Mutex
	prefix string
	ip     string
	made   []string // namespace names, bridge first
	n      int
	gone   bool
}

func (s *scenario) bridgeNS() string { return s.prefix + "-br" }
func (s *scenario) member(i int) string {
	return s.prefix + "-" + strconv.Itoa(i)
}

// ipBatch runs `ip [-n ns] -batch -` on lines.
func (s *scenario) ipBatch(ns string, lines []string) error {
	args := []string{"-batch", "-"}
	if ns != "" {
		args = append([]string{"-n", ns}, args...)
	}
	cmd := exec.Command(s.ip, args...)
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// add records names before creating them, so teardown removes whatever a
// failed batch made.
func (s *scenario) add(names ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone {
		return errors.New("interrupted")
	}
	s.made = append(s.made, names...)
	return nil
}

func (s *scenario) init() error {
	if err := s.add(s.bridgeNS()); err != nil {
		return err
	}
	if err := s.ipBatch("", []string{"netns add " + s.bridgeNS()}); err != nil {
		return err
	}
	return s.ipBatch(s.bridgeNS(), []string{"link add br0 type bridge", "addr add 10.213.0.1/16 dev br0", "link set br0 up"})
}

// grow adds member namespaces up to n: each gets eth0, a veth whose peer
// vhI is a port of br0, with 10.213.X.Y/16 and a default route via br0.
func (s *scenario) grow(n int) error {
	var names, add, wire []string
	for i := s.n + 1; i <= n; i++ {
		names = append(names, s.member(i))
		add = append(add, "netns add "+s.member(i))
		wire = append(wire, fmt.Sprintf("link add vh%d type veth peer name eth0 netns %s", i, s.member(i)),
			fmt.Sprintf("link set vh%d master br0 up", i))
	}
	if err := s.add(names...); err != nil {
		return err
	}
	if err := s.ipBatch("", add); err != nil {
		return err
	}
	if err := s.ipBatch(s.bridgeNS(), wire); err != nil {
		return err
	}
	// One exec per namespace: ip cannot bring a link up in another netns.
	errs := make(chan error, n)
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i := s.n + 1; i <= n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			addr := fmt.Sprintf("10.213.%d.%d/16", 1+i/250, 1+i%250)
			errs <- s.ipBatch(s.member(i), []string{"link set eth0 up", "addr add " + addr + " dev eth0",
				"route add default via 10.213.0.1"})
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	s.n = n
	return nil
}

// teardown deletes every namespace the scenario made; deleting a namespace
// takes its veths with it. Safe to call twice and from the signal handler.
func (s *scenario) teardown() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone {
		return
	}
	s.gone = true
	if len(s.made) == 0 {
		return
	}
	var lines []string
	for _, n := range s.made {
		lines = append(lines, "netns del "+n)
	}
	// -force: keep going past a name a failed build never made.
	cmd := exec.Command(s.ip, "-force", "-batch", "-")
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	_ = cmd.Run()
	fmt.Fprintf(os.Stderr, "net bench: removed %d scenario namespaces\n", len(s.made))
}

// verify runs ctx once and checks that it exits 0 with a JSON topology in
// which every scenario namespace's eth0 is paired with a port of br0.
func (s *scenario) verify(ctxBin string, n int) error {
	cmd := exec.Command(ctxBin, "net", "topo", "-o", "json")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
	}
	var doc struct {
		Kind string `json:"kind"`
		Item struct {
			Namespaces []struct {
				Ino  uint64 `json:"ino"`
				Path string `json:"path"`
			} `json:"namespaces"`
			Veths []struct {
				A, B struct {
					NetNS uint64 `json:"netns"`
					Name  string `json:"name"`
				}
			} `json:"veths"`
			Bridges []struct {
				Bridge struct {
					NetNS uint64 `json:"netns"`
					Name  string `json:"name"`
				} `json:"bridge"`
				Ports []struct{} `json:"ports"`
			} `json:"bridges"`
		} `json:"item"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	var st unix.Stat_t
	if err := unix.Stat("/run/netns/"+s.bridgeNS(), &st); err != nil {
		return err
	}
	brIno := st.Ino
	members := map[uint64]bool{}
	for i := 1; i <= n; i++ {
		if err := unix.Stat("/run/netns/"+s.member(i), &st); err != nil {
			return err
		}
		members[st.Ino] = true
	}
	seen := 0
	for _, ns := range doc.Item.Namespaces {
		if members[ns.Ino] {
			seen++
		}
	}
	paired := 0
	for _, p := range doc.Item.Veths {
		if (p.A.NetNS == brIno && members[p.B.NetNS] && p.B.Name == "eth0") ||
			(p.B.NetNS == brIno && members[p.A.NetNS] && p.A.Name == "eth0") {
			paired++
		}
	}
	ports := -1
	for _, b := range doc.Item.Bridges {
		if b.Bridge.NetNS == brIno && b.Bridge.Name == "br0" {
			ports = len(b.Ports)
		}
	}
	fmt.Printf("ctx check: exit 0, valid JSON, %d namespaces listed; %d of %d scenario namespaces, %d eth0 veths paired with br0's namespace, br0 has %d ports\n",
		len(doc.Item.Namespaces), seen, n, paired, ports)
	if seen != n || paired != n || ports != n {
		return fmt.Errorf("want all %d scenario namespaces, pairs and ports", n)
	}
	return nil
}

// tool is one timed command and its runs.
type tool struct {
	name  string
	path  string
	args  []string
	walls []time.Duration
}

func (t *tool) once() error {
	wall, _, err := benchkit.RunTimed(exec.Command(t.path, t.args...))
	if err != nil {
		return fmt.Errorf("%s: %w", t.name, err)
	}
	t.walls = append(t.walls, wall)
	return nil
}

// timeAll runs every tool once to warm up, then runs times, rotating the
// order each round so no tool always runs first.
func timeAll(tools []*tool, runs int) error {
	return benchkit.Rotated(len(tools), runs+1, func(i int) error { return tools[i].once() })
}

// stats drops the warm-up run and returns the median, min and max.
func (t *tool) stats() (med, lo, hi time.Duration) {
	w := benchkit.NewTiming(t.walls[1:])
	return w.Median(), w.Min(), w.Max()
}

func report(tools []*tool, n, runs int) {
	ctxMed, _, _ := tools[0].stats()
	fmt.Printf("%d timed runs per tool after one warm-up, order rotated; stdout to /dev/null\n", runs)
	tw := benchkit.Table()
	fmt.Fprintln(tw, "tool\tmedian\tmin\tmax\tctx / tool\t")
	for _, t := range tools {
		med, lo, hi := t.stats()
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.3f×\t\n", t.name, ms(med), ms(lo), ms(hi), float64(ctxMed)/float64(med))
	}
	tw.Flush()
	target, ok := targets[n]
	if !ok {
		return
	}
	for _, t := range tools[1:] {
		med, _, _ := t.stats()
		ratio := float64(ctxMed) / float64(med)
		fmt.Printf("target at %d: ctx %s <= %.1f × %s %s = %s: %.3f× %s\n", n, ms(ctxMed), target, t.name, ms(med),
			ms(time.Duration(target*float64(med))), ratio, benchkit.Verdict(ratio <= target))
	}
}

func ms(d time.Duration) string { return benchkit.Ms(d, 1) }
