package hostfstest

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// How long a set-based leak check waits for asynchronous teardown before
// reporting: the kernel deletes the veths of a destroyed netns from a
// workqueue, after the last fd or process holding it is gone.
const (
	linkSettle  = 3 * time.Second
	mountSettle = time.Second
	netnsSettle = time.Second
)

// NoFDLeak reports, after the test and its later-registered cleanups, every
// file descriptor of this process that was not open before, with its target.
// A leaked namespace fd pins the namespace. Call it first in the test and
// don't combine it with t.Parallel: the fd table is per process.
func NoFDLeak(t testing.TB) {
	t.Helper()
	warmPoller()
	before, err := fdSnapshot()
	if err != nil {
		t.Fatalf("NoFDLeak: %v", err)
	}
	t.Cleanup(func() {
		after, err := fdSnapshot()
		if err != nil {
			t.Errorf("NoFDLeak: %v", err)
			return
		}
		for _, l := range diffFDs(before, after) {
			t.Errorf("leaked %s", l)
		}
	})
}

// warmPoller makes the Go runtime create its epoll and eventfd descriptors,
// which it opens once, lazily, on the first pollable file: without this the
// first os.Pipe or socket of a test reads as a leak.
func warmPoller() {
	r, w, err := os.Pipe()
	if err != nil {
		return
	}
	r.Close()
	w.Close()
}

// fdSnapshot maps each open fd number of this process to its readlink
// target, leaving out the fd that reads the directory.
func fdSnapshot() (map[string]string, error) {
	const dir = "/proc/self/fd"
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("listing %q: %w", dir, err)
	}
	self := strconv.Itoa(int(f.Fd()))
	fds := make(map[string]string, len(names))
	for _, n := range names {
		if n == self {
			continue
		}
		target, err := os.Readlink(dir + "/" + n)
		if errors.Is(err, fs.ErrNotExist) {
			continue // closed meanwhile by another goroutine
		}
		if err != nil {
			return nil, fmt.Errorf("reading fd %s: %w", n, err)
		}
		fds[n] = target
	}
	return fds, nil
}

// diffFDs describes the fds of after that are new or now point elsewhere,
// sorted by fd number.
func diffFDs(before, after map[string]string) []string {
	var nums []int
	for n, target := range after {
		if was, ok := before[n]; !ok || was != target {
			i, _ := strconv.Atoi(n)
			nums = append(nums, i)
		}
	}
	sort.Ints(nums)
	out := make([]string, 0, len(nums))
	for _, i := range nums {
		n := strconv.Itoa(i)
		if was, ok := before[n]; ok {
			out = append(out, fmt.Sprintf("fd %s -> %s (was %s)", n, after[n], was))
		} else {
			out = append(out, fmt.Sprintf("fd %s -> %s", n, after[n]))
		}
	}
	return out
}

// NoMountLeak reports mount points in /proc/self/mountinfo after the test
// that were not there before (counting stacked mounts).
func NoMountLeak(t testing.TB) {
	t.Helper()
	noLeak(t, "mount", mountPoints, mountSettle)
}

// NoNetNSLeak reports entries of /run/netns (named namespaces, as made by
// `ip netns add`) left after the test.
func NoNetNSLeak(t testing.TB) {
	t.Helper()
	noLeak(t, "named netns", namedNetNS, netnsSettle)
}

// NoLinkLeak reports network interfaces of the host left after the test. It
// lists /sys/class/net, which shows the namespace sysfs was mounted in, not
// the calling thread's, so InNewNetNS does not change what it sees.
func NoLinkLeak(t testing.TB) {
	t.Helper()
	noLeak(t, "link", hostLinks, linkSettle)
}

// noLeak snapshots a multiset of names now and, in a cleanup, reports names
// that appeared, waiting up to settle for them to go away first.
func noLeak(t testing.TB, kind string, snap func() ([]string, error), settle time.Duration) {
	t.Helper()
	before, err := snap()
	if err != nil {
		t.Fatalf("checking %s leaks: %v", kind, err)
	}
	t.Cleanup(func() {
		deadline := time.Now().Add(settle)
		for {
			after, err := snap()
			if err != nil {
				t.Errorf("checking %s leaks: %v", kind, err)
				return
			}
			added := diffNames(before, after)
			if len(added) == 0 {
				return
			}
			if time.Now().After(deadline) {
				for _, n := range added {
					t.Errorf("leaked %s %q", kind, n)
				}
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}

// diffNames returns, sorted, the names occurring more often in after than in
// before, once per extra occurrence.
func diffNames(before, after []string) []string {
	count := make(map[string]int, len(before))
	for _, n := range before {
		count[n]++
	}
	var added []string
	for _, n := range after {
		if count[n] > 0 {
			count[n]--
			continue
		}
		added = append(added, n)
	}
	slices.Sort(added)
	return added
}

func namedNetNS() ([]string, error) { return dirNames("/run/netns") }

func hostLinks() ([]string, error) { return dirNames("/sys/class/net") }

// dirNames lists a directory; a missing one is empty.
func dirNames(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names, nil
}

func mountPoints() ([]string, error) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	return parseMountPoints(b)
}

// parseMountPoints returns field 5, the mount point, of each mountinfo line
// (proc(5)), still octal-escaped as the kernel writes it.
func parseMountPoints(b []byte) ([]string, error) {
	var points []string
	for i, line := range bytes.Split(b, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		fields := strings.Fields(string(line))
		if len(fields) < 5 {
			return nil, fmt.Errorf("mountinfo line %d: got %d fields; want at least 5", i+1, len(fields))
		}
		points = append(points, fields[4])
	}
	return points, nil
}
