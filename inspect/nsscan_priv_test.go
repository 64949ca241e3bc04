//go:build linux

package inspect_test

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/inspect"
	"github.com/ctx-tools/ctx/inspect/hostfs"
	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

func liveRoot(t *testing.T) hostfs.Root {
	t.Helper()
	root, err := hostfs.New("/")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func nsIno(t *testing.T, path string) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

func findNS(set *inspect.NamespaceSet, ino uint64) *inspect.Namespace {
	for _, ns := range set.Namespaces {
		if ns.Ino == ino {
			return ns
		}
	}
	return nil
}

// ipNetns runs `ip netns add NAME` and removes it at cleanup.
func ipNetns(t *testing.T, name string) string {
	t.Helper()
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v: %s", name, err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "delete", name).Run() })
	return "/run/netns/" + name
}

// TestNamespacesBindAndFDOnly creates a netns held only by a bind mount and
// one held only by an open fd (its bind mount removed), and finds both.
func TestNamespacesBindAndFDOnly(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	hostfstest.RequireTool(t, "privileged", "ip")
	hostfstest.NoNetNSLeak(t)
	hostfstest.NoFDLeak(t)

	bindPath := ipNetns(t, fmt.Sprintf("ctxtest-bind-%d", os.Getpid()))
	bindIno := nsIno(t, bindPath)

	fdName := fmt.Sprintf("ctxtest-fd-%d", os.Getpid())
	fdPath := ipNetns(t, fdName)
	fd, err := unix.Open(fdPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	fdIno := nsIno(t, fdPath)
	if out, err := exec.Command("ip", "netns", "delete", fdName).CombinedOutput(); err != nil {
		t.Fatalf("ip netns delete: %v: %s", err, out)
	}

	set, err := inspect.Namespaces(liveRoot(t), inspect.ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bind := findNS(set, bindIno)
	if bind == nil || bind.Type != "net" || bind.NProcs != 0 || !hasHolder(bind, "bind:"+bindPath) {
		t.Errorf("bind-only netns %d = %+v; want type net, 0 procs, holder bind:%s", bindIno, bind, bindPath)
	}
	fdNS := findNS(set, fdIno)
	wantHolder := fmt.Sprintf("fd:%d/%d", os.Getpid(), fd)
	if fdNS == nil || fdNS.Type != "net" || fdNS.NProcs != 0 || !hasHolder(fdNS, wantHolder) {
		t.Errorf("fd-only netns %d = %+v; want type net, 0 procs, holder %s", fdIno, fdNS, wantHolder)
	}
	if fdNS != nil && fdNS.Owner == 0 {
		t.Errorf("fd-only netns has no owner user namespace; the ioctls did not run")
	}
}

// TestNamespacesLooseThread finds a netns that only one thread of this
// process is in, with --tasks, and not without.
func TestNamespacesLooseThread(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	type result struct {
		ino uint64
		tid int
		err error
	}
	// A goroutine that lands on the main thread keeps it (locked) until
	// the end, so the next attempt runs on another thread.
	errMain := fmt.Errorf("landed on the main thread")
	done := make(chan struct{})
	defer close(done)
	var r result
	for attempt := 0; attempt < 8; attempt++ {
		ready := make(chan result)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
			tid := unix.Gettid()
			if tid == os.Getpid() {
				ready <- result{err: errMain}
				<-done
				return
			}
			if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
				ready <- result{err: err}
				return
			}
			var st unix.Stat_t
			err := unix.Stat(fmt.Sprintf("/proc/self/task/%d/ns/net", tid), &st)
			ready <- result{ino: st.Ino, tid: tid, err: err}
			<-done
		}()
		if r = <-ready; r.err != errMain {
			break
		}
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	root := liveRoot(t)
	set, err := inspect.Namespaces(root, inspect.ScanOptions{Tasks: true})
	if err != nil {
		t.Fatal(err)
	}
	ns := findNS(set, r.ino)
	if ns == nil || ns.NProcs != 0 || !hasHolder(ns, fmt.Sprintf("task:%d", r.tid)) {
		t.Errorf("loose-thread netns = %+v; want 0 procs and holder task:%d", ns, r.tid)
	}
	set, err = inspect.Namespaces(root, inspect.ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if findNS(set, r.ino) != nil {
		t.Errorf("without Tasks the loose-thread netns was found; threads should not be scanned")
	}
}

// TestNamespacesZombieAndKernelThreads scans with a zombie child present.
func TestNamespacesZombieAndKernelThreads(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	pid := cmd.Process.Pid
	waitState(t, pid, 'Z')

	set, err := inspect.Namespaces(liveRoot(t), inspect.ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hostNet := findNS(set, nsIno(t, "/proc/self/ns/net"))
	if hostNet == nil {
		t.Fatal("own netns not found")
	}
	var sawKthread bool
	for _, p := range hostNet.PIDs {
		if p == pid {
			t.Errorf("zombie %d counted as a member", pid)
		}
		if p == 2 {
			sawKthread = true // kthreadd
		}
	}
	if !sawKthread {
		t.Errorf("kernel thread 2 not counted in the host netns")
	}
	for _, w := range set.Warnings {
		if strings.Contains(w, fmt.Sprint(pid)) {
			t.Errorf("warning names the zombie: %q", w)
		}
	}
}

// TestNamespacesUnderChurn runs 20 scans while short-lived processes start
// and exit, and expects every scan to succeed and find the host.
func TestNamespacesUnderChurn(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	root := liveRoot(t)
	hostNet := nsIno(t, "/proc/self/ns/net")
	stop := make(chan struct{})
	var churn sync.WaitGroup
	var spawned int
	churn.Add(1)
	go func() {
		defer churn.Done()
		for i := 0; i < 5000; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if exec.Command("true").Run() == nil {
				spawned++
			}
		}
	}()
	var scans sync.WaitGroup
	errs := make(chan error, 20)
	for i := 0; i < 20; i++ {
		scans.Add(1)
		go func() {
			defer scans.Done()
			set, err := inspect.Namespaces(root, inspect.ScanOptions{Tasks: i%2 == 0})
			switch {
			case err != nil:
				errs <- err
			case findNS(set, hostNet) == nil || findNS(set, hostNet).NProcs == 0:
				errs <- fmt.Errorf("scan %d lost the host netns", i)
			}
		}()
	}
	scans.Wait()
	close(stop)
	churn.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if spawned == 0 {
		t.Error("no churn happened: the test proved nothing")
	}
}

// waitState polls /proc/PID/stat until the process is in state want.
func waitState(t *testing.T, pid int, want byte) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err == nil {
			if i := strings.LastIndexByte(string(b), ')'); i > 0 && i+2 < len(b) && b[i+2] == want {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("process %d never reached state %c", pid, want)
}
