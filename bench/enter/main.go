//go:build linux

// Command enter times `ctx enter PID -a -- /bin/true` against util-linux
// `nsenter -t PID -a /bin/true` in one run, on targets it makes and removes
// itself: a process in its own namespace of all eight types (user and time
// included, as `unshare` makes them), and a Docker container when a daemon
// and the e2e test image are there.
//
// It needs root. Run it with `make bench` (BENCH=enter for this one), or:
//
//	go build -o bin/ctx ./cmd/ctx && sudo go run ./bench/enter -ctx bin/ctx
//
// Both tools run as the benchmark's direct children (fork/exec, wait4),
// stdout and stderr to /dev/null, interleaved with the order rotated each
// round after a warm-up. It also times two floors: /bin/true (a process)
// and `ctx version` (ctx's own start-up, which every ctx command pays), so
// the report can say what entering costs above ctx's start. It reports; it
// exits 0 whether or not ctx meets the target, 1 only when a target or a
// tool run fails.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ctx-tools/ctx/bench/internal/benchkit"
)

// targetRatio is the target: ctx's median at most 1.3× nsenter's.
const targetRatio = 1.3

// image is the e2e test image (hostfstest.TestImage builds it); the
// Docker target is skipped when it is missing.
const image = "ctx-test/busybox:latest"

var readlinkAll = "for t in cgroup ipc mnt net pid time user uts; do readlink /proc/self/ns/$t; done"

func main() { os.Exit(run()) }

func run() int {
	ctxPath := flag.String("ctx", "bin/ctx", "ctx binary to time")
	nsenterPath := flag.String("nsenter", "nsenter", "nsenter binary to compare with")
	runs := flag.Int("runs", 300, "timed runs per tool and target, after the warm-up")
	warm := flag.Int("warmup", 20, "untimed runs per tool first")
	useDocker := flag.Bool("docker", true, "also time a Docker container (skipped if Docker or the test image is missing)")
	flag.Parse()

	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "enter bench: needs root (setns); run `sudo make bench`")
		return 1
	}
	ctxBin, err := benchkit.CtxBinary(*ctxPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "enter bench: ctx binary: %v\n", err)
		return 1
	}
	nsenterBin, err := exec.LookPath(*nsenterPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "enter bench: %v\n", err)
		return 1
	}
	printMachine(ctxBin, nsenterBin)

	var cleanups []func()
	cleanup := func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
		cleanups = nil
	}
	defer cleanup()
	benchkit.OnSignal("enter bench", "removing the targets", cleanup)

	type target struct {
		name string
		pid  int
	}
	var targets []target
	pid, stop, err := unshareTarget()
	if err != nil {
		fmt.Fprintf(os.Stderr, "enter bench: %v\n", err)
		return 1
	}
	cleanups = append(cleanups, stop)
	targets = append(targets, target{"unshare: all 8 namespaces differ", pid})
	if *useDocker {
		pid, stop, err := dockerTarget()
		switch {
		case err != nil:
			fmt.Printf("docker target skipped: %v\n", err)
		default:
			cleanups = append(cleanups, stop)
			targets = append(targets, target{"docker: busybox container (user, time shared)", pid})
		}
	}
	fmt.Println()

	for _, tg := range targets {
		p := strconv.Itoa(tg.pid)
		if err := verify(ctxBin, nsenterBin, p); err != nil {
			fmt.Fprintf(os.Stderr, "enter bench: %s: %v\n", tg.name, err)
			return 1
		}
		tools := []*tool{
			{name: "ctx enter PID -a -- /bin/true", argv: []string{ctxBin, "enter", p, "-a", "--", "/bin/true"}},
			{name: "nsenter -t PID -a /bin/true", argv: []string{nsenterBin, "-t", p, "-a", "/bin/true"}},
			{name: "ctx version (ctx start-up floor)", argv: []string{ctxBin, "version"}},
			{name: "/bin/true (process floor)", argv: []string{"/bin/true"}},
		}
		for _, t := range tools {
			for i := 0; i < *warm; i++ {
				if _, err := t.once(); err != nil {
					fmt.Fprintf(os.Stderr, "enter bench: %v\n", err)
					return 1
				}
			}
		}
		err := benchkit.Rotated(len(tools), *runs, func(i int) error {
			d, err := tools[i].once()
			if err == nil {
				tools[i].times = append(tools[i].times, d)
			}
			return err
		})
		if err != nil {
			fmt.Fprintf(os.Stderr, "enter bench: %v\n", err)
			return 1
		}
		report(tg.name, tools, *runs)
	}
	return 0
}

// tool is one command line to time.
type tool struct {
	name  string
	argv  []string
	times []time.Duration
}

// once runs the tool as a direct child and returns its wall time from
// fork to the end of wait4.
func (t *tool) once() (time.Duration, error) {
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return 0, err
	}
	defer devnull.Close()
	fd := devnull.Fd()
	attr := &syscall.ProcAttr{Env: []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}, Files: []uintptr{fd, fd, fd}}
	start := time.Now()
	pid, err := syscall.ForkExec(t.argv[0], t.argv, attr)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", t.name, err)
	}
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil {
		return 0, fmt.Errorf("%s: wait: %w", t.name, err)
	}
	d := time.Since(start)
	if !ws.Exited() || ws.ExitStatus() != 0 {
		return 0, fmt.Errorf("%s: exit status %v", t.name, ws)
	}
	return d, nil
}

// stats returns the median, 10th and 90th percentile, each at the
// nearest rank.
func (t *tool) stats() (med, p10, p90 time.Duration) {
	s := benchkit.NewTiming(t.times)
	return s.Percentile(0.5), s.Percentile(0.1), s.Percentile(0.9)
}

func ms(d time.Duration) string { return benchkit.Ms(d, 3) }

func report(name string, tools []*tool, runs int) {
	fmt.Printf("== %s\n%d timed runs per tool after the warm-up, order rotated; stdio to /dev/null\n", name, runs)
	tw := benchkit.Table()
	fmt.Fprintln(tw, "tool\tmedian\tp10\tp90\t")
	for _, t := range tools {
		med, lo, hi := t.stats()
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", t.name, ms(med), ms(lo), ms(hi))
	}
	tw.Flush()
	ctxMed, _, _ := tools[0].stats()
	nsMed, _, _ := tools[1].stats()
	startMed, _, _ := tools[2].stats()
	trueMed, _, _ := tools[3].stats()
	ratio := float64(ctxMed) / float64(nsMed)
	fmt.Printf("ratio ctx/nsenter = %.2f× (target ≤ %.1f×): %s\n", ratio, targetRatio, benchkit.Verdict(ratio <= targetRatio))
	fmt.Printf("above its own start-up: ctx enter − ctx version = %s; nsenter − true = %s\n\n",
		ms(ctxMed-startMed), ms(nsMed-trueMed))
}

// verify checks, before timing, that both tools see the target's
// namespaces, and the same ones.
func verify(ctxBin, nsenterBin, pid string) error {
	want := ""
	for _, t := range strings.Fields("cgroup ipc mnt net pid time user uts") {
		l, err := os.Readlink("/proc/" + pid + "/ns/" + t)
		if err != nil {
			return err
		}
		want += l + "\n"
	}
	for _, argv := range [][]string{
		{ctxBin, "enter", pid, "-a", "--", "sh", "-c", readlinkAll},
		{nsenterBin, "-t", pid, "-a", "sh", "-c", readlinkAll},
	} {
		out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %v: %s", strings.Join(argv, " "), err, out)
		}
		if string(out) != want {
			return fmt.Errorf("%s saw\n%s\nwant the target's\n%s", argv[0], out, want)
		}
	}
	return nil
}

// unshareTarget starts a sleep in its own namespace of all eight types
// and returns its PID and a function that kills it.
func unshareTarget() (int, func(), error) {
	cmd := exec.Command("unshare", "--user", "--map-root-user", "--mount", "--uts", "--ipc", "--net", "--pid",
		"--cgroup", "--time", "--fork", "--kill-child", "sleep", "3600")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Start(); err != nil {
		return 0, nil, err
	}
	stop := func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	}
	self := cmd.Process.Pid
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", self, self))
		if f := strings.Fields(string(data)); len(f) > 0 {
			pid, _ := strconv.Atoi(f[0])
			if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); strings.TrimSpace(string(comm)) == "sleep" {
				return pid, stop, nil
			}
		}
	}
	stop()
	return 0, nil, fmt.Errorf("unshare started no sleep: %s", errOut.String())
}

// dockerTarget runs the test image and returns its init's host PID.
func dockerTarget() (int, func(), error) {
	if _, err := exec.LookPath("docker"); err != nil {
		return 0, nil, err
	}
	if err := exec.Command("docker", "image", "inspect", image).Run(); err != nil {
		return 0, nil, fmt.Errorf("no image %s (go test ./cmd/ctx builds it)", image)
	}
	out, err := exec.Command("docker", "run", "-d", "--rm", "--label", "ctx-bench=1", image, "sleep", "3600").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%v: %s", err, ee.Stderr)
		}
		return 0, nil, err
	}
	id := strings.TrimSpace(string(out))
	stop := func() { exec.Command("docker", "rm", "-f", id).Run() }
	out, err = exec.Command("docker", "inspect", "--format", "{{.State.Pid}}", id).Output()
	pid, perr := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil || perr != nil || pid <= 0 {
		stop()
		return 0, nil, fmt.Errorf("docker inspect %s: %v %v", id, err, perr)
	}
	return pid, stop, nil
}

// printMachine prints what docs/benchmarks.md records about the machine.
func printMachine(ctxBin, nsenterBin string) {
	link := "dynamically linked"
	if data, err := os.ReadFile(ctxBin); err == nil && !bytes.Contains(data[:min(len(data), 4096)], []byte("/lib64/ld-linux")) {
		link = "static"
	}
	fmt.Printf("machine: %d CPUs, kernel %s, %s, %s, load %s\n", runtime.NumCPU(),
		benchkit.Kernel(), benchkit.Version(nsenterBin, "--version"), runtime.Version(), benchkit.Load())
	fmt.Printf("ctx: %s (%s, %s)\n", ctxBin, benchkit.Version(ctxBin, "version"), link)
}
