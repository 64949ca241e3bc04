package cgroupview

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// This file is the small write API of cgroupview: what package sandbox
// needs to create a cgroup for one `ctx run`, place a process in it, read
// what happened, and remove it. Everything else in cgroupview only reads.

// Resources are the limits of a cgroup made by Create. A zero field leaves
// that limit unset (the kernel default: unlimited).
type Resources struct {
	// MemoryMax is the hard memory limit in bytes (v2 memory.max, v1
	// memory.limit_in_bytes).
	MemoryMax int64
	// MemorySwapMax is memory plus swap in bytes, as docker's
	// --memory-swap: 0 means "no swap" when MemoryMax is set (swap would
	// mask the OOM kill being reproduced), -1 unlimited swap. v2 writes
	// the difference to memory.swap.max; v1 writes
	// memory.memsw.limit_in_bytes when swap accounting is on.
	MemorySwapMax int64
	// CPUQuota is the CPU time in µs the group may use per CPUPeriod (v2
	// cpu.max, v1 cpu.cfs_quota_us); CPUPeriod defaults to 100000 µs.
	CPUQuota  int64
	CPUPeriod uint64
	// CPUWeight (v2 cpu.weight, 1..10000) and CPUShares (v1 cpu.shares,
	// 2..262144) are relative shares; either is converted to the other
	// version's scale.
	CPUWeight uint64
	CPUShares uint64
	// PIDsMax caps the number of tasks (pids.max).
	PIDsMax int64
	// IOWeight is the default IO weight (v2 io.weight, 1..10000; v1
	// blkio.weight or blkio.bfq.weight, 10..1000).
	IOWeight uint64
	// IODevices are per-device throttles (v2 io.max, v1
	// blkio.throttle.*_device).
	IODevices []IODeviceLimit
}

// IODeviceLimit throttles one block device; a zero rate is no limit.
type IODeviceLimit struct {
	Major, Minor        uint32
	ReadBPS, WriteBPS   uint64
	ReadIOPS, WriteIOPS uint64
}

// ErrExists means the cgroup Create was asked for is already there.
var ErrExists = errors.New("cgroupview: cgroup exists")

// groupDir is one hierarchy's directory of a Group.
type groupDir struct {
	h   *Hierarchy
	dir string // openable (through Root.Host)
}

// Group is one cgroup across the hierarchies ctx uses: the cgroup2 tree
// and, on v1 and hybrid hosts, the v1 hierarchies of memory, pids, cpu,
// cpuacct and blkio. Create makes one; Open finds an existing one.
type Group struct {
	// Path is the cgroup path, the same in every hierarchy.
	Path string
	// Warnings are limits that could not be applied where the kernel or
	// the layout lacks the file (v1 swap accounting off, no io
	// controller), and problems met while removing.
	Warnings []string

	root   hostfs.Root
	layout *Layout
	dirs   []groupDir
}

// v1Controllers are the v1 hierarchies a Group lives in.
var v1Controllers = []string{"memory", "pids", "cpu", "cpuacct", "blkio"}

// v2Controllers are enabled in the parent's cgroup.subtree_control on v2.
var v2Controllers = []string{"memory", "pids", "cpu", "io"}

// Create makes cgroup p (e.g. "/ctx-1a2b3c4d5e") in every hierarchy of l
// that ctx uses and applies r. On v2 it first enables the memory, pids, cpu
// and io controllers in the parent's cgroup.subtree_control. A failure
// removes what was made; ErrExists is wrapped when p is taken.
//
// Equivalent to: mkdir /sys/fs/cgroup/{memory,pids,cpu,…}/P; echo LIMIT >
// memory.limit_in_bytes … (v2: mkdir /sys/fs/cgroup/P; echo +memory … >
// cgroup.subtree_control; echo LIMIT > memory.max …).
func Create(root hostfs.Root, l *Layout, p string, r Resources) (*Group, error) {
	g, err := CreateStaged(root, l, p)
	if err != nil {
		return nil, err
	}
	if err := g.Finish(r); err != nil {
		return nil, err
	}
	return g, nil
}

// CreateStaged is the first half of Create: it makes only the cgroup2
// directory of p (nothing on a v1-only host), so that a child can be
// cloned into it (OpenUnified) at once, and Finish makes the v1
// directories and applies the limits while the child starts.
func CreateStaged(root hostfs.Root, l *Layout, p string) (*Group, error) {
	p = path.Clean("/" + p)
	if p == "/" {
		return nil, errors.New("cgroupview: refusing to create the root cgroup")
	}
	g := &Group{Path: p, root: root, layout: l}
	if len(groupHierarchies(l)) == 0 {
		return nil, ErrNoCgroups
	}
	if u := l.Unified(); u != nil {
		if err := g.mkdir(u); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// Finish makes the group's v1 directories and applies r. On failure it
// removes every directory of the group, the staged one included.
func (g *Group) Finish(r Resources) error {
	for _, h := range groupHierarchies(g.layout) {
		if h.Version == 2 {
			continue
		}
		if err := g.mkdir(h); err != nil {
			g.removeDirs()
			return err
		}
	}
	if err := g.apply(r); err != nil {
		g.removeDirs()
		return err
	}
	return nil
}

// mkdir makes the group's directory in hierarchy h; on v2 hosts it
// enables the controllers in the parent first.
func (g *Group) mkdir(h *Hierarchy) error {
	d, ok := dirOf(h, g.Path)
	if !ok {
		return fmt.Errorf("cgroupview: cgroup %q is outside the mount at %q (root %q)", g.Path, h.MountPoint, h.MountRoot)
	}
	d = g.root.Host(d)
	if h.Version == 2 && g.layout.Mode == ModeV2 {
		g.enableControllers(path.Dir(d), h)
	}
	if err := os.Mkdir(d, 0o755); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%w: %q", ErrExists, d)
		}
		return fmt.Errorf("cgroupview: creating cgroup: %w", err)
	}
	g.dirs = append(g.dirs, groupDir{h: h, dir: d})
	return nil
}

// groupHierarchies are the hierarchies a Group lives in: cgroup2, then the
// v1 hierarchies of v1Controllers, each once.
func groupHierarchies(l *Layout) []*Hierarchy {
	var out []*Hierarchy
	if u := l.Unified(); u != nil {
		out = append(out, u)
	}
	seen := map[*Hierarchy]bool{}
	for _, c := range v1Controllers {
		if h := l.V1(c); h != nil && !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	return out
}

// enableControllers writes "+c" for every controller of v2Controllers that
// the parent has but does not yet delegate. Failures become warnings: the
// limit writes report what is really missing.
func (g *Group) enableControllers(parent string, h *Hierarchy) {
	b, err := hostfs.ReadFile(path.Join(parent, "cgroup.subtree_control"))
	if err != nil {
		g.Warnings = append(g.Warnings, "cgroup.subtree_control: "+errText(err))
		return
	}
	on := strings.Fields(string(b))
	avail := h.Controllers
	if b, err := hostfs.ReadFile(path.Join(parent, "cgroup.controllers")); err == nil {
		avail = strings.Fields(string(b))
	}
	var add []string
	for _, c := range v2Controllers {
		if contains(avail, c) && !contains(on, c) {
			add = append(add, "+"+c)
		}
	}
	if len(add) == 0 {
		return
	}
	if err := writeFile(parent, "cgroup.subtree_control", strings.Join(add, " ")); err != nil {
		g.Warnings = append(g.Warnings, fmt.Sprintf("enabling %s in %q: %v", strings.Join(add, " "), parent, err))
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// dirFor returns the directory of the group in the hierarchy that binds
// controller c (v1 first, as Layout.V1 and placementFor do), or "".
func (g *Group) dirFor(c string) (string, int) {
	if h := g.layout.V1(c); h != nil {
		for _, d := range g.dirs {
			if d.h == h {
				return d.dir, 1
			}
		}
		return "", 0
	}
	if u := g.layout.Unified(); u != nil && u.Has(c) {
		for _, d := range g.dirs {
			if d.h.Version == 2 {
				return d.dir, 2
			}
		}
	}
	return "", 0
}

// limitWrite is one file to write for a limit.
type limitWrite struct {
	ctrl, file, value string
	// optional files are skipped with a warning when absent (v1 memsw
	// without swap accounting, blkio.weight without BFQ).
	optional bool
}

// writes computes the files that apply r on this group's layout.
func (g *Group) writes(r Resources) ([]limitWrite, error) {
	var out []limitWrite
	add := func(ctrl, file, value string, optional bool) {
		out = append(out, limitWrite{ctrl, file, value, optional})
	}
	_, memV := g.dirFor("memory")
	if r.MemoryMax > 0 || r.MemorySwapMax != 0 {
		if memV == 0 {
			return nil, errors.New("cgroupview: memory limit: the memory controller is not mounted")
		}
		if r.MemoryMax <= 0 && r.MemorySwapMax > 0 {
			return nil, errors.New("cgroupview: a memory+swap limit needs a memory limit")
		}
		if r.MemorySwapMax > 0 && r.MemorySwapMax < r.MemoryMax {
			return nil, fmt.Errorf("cgroupview: memory+swap limit %d is below the memory limit %d", r.MemorySwapMax, r.MemoryMax)
		}
	}
	if r.MemoryMax > 0 {
		swap := "0" // v2: swap on top of memory
		memsw := strconv.FormatInt(r.MemoryMax, 10)
		switch {
		case r.MemorySwapMax < 0:
			swap, memsw = "max", "-1"
		case r.MemorySwapMax > 0:
			swap = strconv.FormatInt(r.MemorySwapMax-r.MemoryMax, 10)
			memsw = strconv.FormatInt(r.MemorySwapMax, 10)
		}
		if memV == 2 {
			add("memory", "memory.max", strconv.FormatInt(r.MemoryMax, 10), false)
			add("memory", "memory.swap.max", swap, r.MemorySwapMax == 0) // no swap accounting: no swap to mask the OOM
		} else {
			add("memory", "memory.limit_in_bytes", strconv.FormatInt(r.MemoryMax, 10), false)
			add("memory", "memory.memsw.limit_in_bytes", memsw, r.MemorySwapMax == 0)
		}
	}
	if r.PIDsMax > 0 {
		if _, v := g.dirFor("pids"); v == 0 {
			return nil, errors.New("cgroupview: pids limit: the pids controller is not mounted")
		}
		add("pids", "pids.max", strconv.FormatInt(r.PIDsMax, 10), false)
	}
	_, cpuV := g.dirFor("cpu")
	if (r.CPUQuota > 0 || r.CPUWeight > 0 || r.CPUShares > 0) && cpuV == 0 {
		return nil, errors.New("cgroupview: cpu limit: the cpu controller is not mounted")
	}
	if r.CPUQuota > 0 {
		period := r.CPUPeriod
		if period == 0 {
			period = 100000
		}
		if cpuV == 2 {
			add("cpu", "cpu.max", fmt.Sprintf("%d %d", r.CPUQuota, period), false)
		} else {
			add("cpu", "cpu.cfs_period_us", strconv.FormatUint(period, 10), false)
			add("cpu", "cpu.cfs_quota_us", strconv.FormatInt(r.CPUQuota, 10), false)
		}
	}
	if r.CPUWeight > 0 || r.CPUShares > 0 {
		if cpuV == 2 {
			w := r.CPUWeight
			if w == 0 {
				w = SharesToWeight(r.CPUShares)
			}
			add("cpu", "cpu.weight", strconv.FormatUint(w, 10), false)
		} else {
			s := r.CPUShares
			if s == 0 {
				s = WeightToShares(r.CPUWeight)
			}
			add("cpu", "cpu.shares", strconv.FormatUint(s, 10), false)
		}
	}
	if r.IOWeight > 0 || len(r.IODevices) > 0 {
		ioCtrl := "io"
		_, ioV := g.dirFor("io")
		if ioV == 0 {
			ioCtrl = "blkio"
			_, ioV = g.dirFor("blkio")
		}
		if ioV == 0 {
			return nil, errors.New("cgroupview: io limit: neither the io (v2) nor the blkio (v1) controller is mounted")
		}
		if ioV == 2 {
			if r.IOWeight > 0 {
				add(ioCtrl, "io.weight", "default "+strconv.FormatUint(r.IOWeight, 10), false)
			}
			for _, d := range r.IODevices {
				var kv []string
				for _, f := range []struct {
					k string
					v uint64
				}{{"rbps", d.ReadBPS}, {"wbps", d.WriteBPS}, {"riops", d.ReadIOPS}, {"wiops", d.WriteIOPS}} {
					if f.v > 0 {
						kv = append(kv, f.k+"="+strconv.FormatUint(f.v, 10))
					}
				}
				if len(kv) > 0 {
					add(ioCtrl, "io.max", fmt.Sprintf("%d:%d %s", d.Major, d.Minor, strings.Join(kv, " ")), false)
				}
			}
		} else {
			if r.IOWeight > 0 {
				w := min(max(r.IOWeight, 10), 1000)
				add(ioCtrl, "blkio.weight|blkio.bfq.weight", strconv.FormatUint(w, 10), false)
			}
			for _, d := range r.IODevices {
				for _, f := range []struct {
					file string
					v    uint64
				}{{"blkio.throttle.read_bps_device", d.ReadBPS}, {"blkio.throttle.write_bps_device", d.WriteBPS},
					{"blkio.throttle.read_iops_device", d.ReadIOPS}, {"blkio.throttle.write_iops_device", d.WriteIOPS}} {
					if f.v > 0 {
						add(ioCtrl, f.file, fmt.Sprintf("%d:%d %d", d.Major, d.Minor, f.v), false)
					}
				}
			}
		}
	}
	return out, nil
}

// apply writes the limit files of r.
func (g *Group) apply(r Resources) error {
	ws, err := g.writes(r)
	if err != nil {
		return err
	}
	for _, w := range ws {
		dir, _ := g.dirFor(w.ctrl)
		var werr error
		file := w.file
		for _, f := range strings.Split(w.file, "|") { // alternatives: the first that exists
			file = f
			if werr = writeFile(dir, f, w.value); !errors.Is(werr, fs.ErrNotExist) {
				break
			}
		}
		switch {
		case werr == nil:
		case w.optional && errors.Is(werr, fs.ErrNotExist):
			// Nothing to do: the kernel has no such knob here.
		case errors.Is(werr, fs.ErrNotExist) && (strings.HasPrefix(file, "memory.memsw") || strings.HasPrefix(file, "memory.swap")):
			g.Warnings = append(g.Warnings, fmt.Sprintf("%s: swap accounting is off: the memory+swap limit is not applied", file))
		default:
			return fmt.Errorf("cgroupview: writing %q to %q: %w", w.value, path.Join(dir, file), werr)
		}
	}
	return nil
}

// SharesToWeight maps v1 cpu.shares (2..262144, default 1024) onto v2
// cpu.weight (1..10000, default 100) linearly, as runc and the kernel
// documentation do.
func SharesToWeight(shares uint64) uint64 {
	shares = min(max(shares, 2), 262144)
	return 1 + ((shares-2)*9999)/262142
}

// WeightToShares is the inverse of SharesToWeight.
func WeightToShares(weight uint64) uint64 {
	weight = min(max(weight, 1), 10000)
	return 2 + ((weight-1)*262142)/9999
}

// Dirs returns the group's directories, openable from here, cgroup2's
// first.
func (g *Group) Dirs() []string {
	out := make([]string, len(g.dirs))
	for i, d := range g.dirs {
		out[i] = d.dir
	}
	return out
}

// OpenUnified opens the group's cgroup2 directory, for clone3's
// CLONE_INTO_CGROUP (syscall.SysProcAttr.UseCgroupFD): the child is then
// born in the group, before it runs any code. It returns nil and no error
// when the layout has no cgroup2 mount.
func (g *Group) OpenUnified() (*os.File, error) {
	for _, d := range g.dirs {
		if d.h.Version == 2 {
			f, err := os.OpenFile(d.dir, os.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
			if err != nil {
				return nil, fmt.Errorf("cgroupview: %w", err)
			}
			return f, nil
		}
	}
	return nil, nil
}

// AddPID moves process pid into the group: into every v1 hierarchy when
// v1 is set, and into the cgroup2 one when unified is (not needed after
// CLONE_INTO_CGROUP). Writing cgroup.procs moves every thread of the
// process; it takes the kernel's global threadgroup lock (see
// JoinThread).
//
// Equivalent to: echo PID > /sys/fs/cgroup/{memory,pids,…}/P/cgroup.procs.
func (g *Group) AddPID(pid int, v1, unified bool) error {
	s := strconv.Itoa(pid)
	for _, d := range g.dirs {
		if (d.h.Version == 2 && !unified) || (d.h.Version == 1 && !v1) {
			continue
		}
		if err := writeFile(d.dir, "cgroup.procs", s); err != nil {
			return fmt.Errorf("cgroupview: adding PID %d to %q: %w", pid, d.dir, err)
		}
	}
	return nil
}

// V1Dirs returns the group's v1 directories, openable from here.
func (g *Group) V1Dirs() []string {
	var out []string
	for _, d := range g.dirs {
		if d.h.Version == 1 {
			out = append(out, d.dir)
		}
	}
	return out
}

// JoinThread moves the calling thread (only) into each v1 cgroup
// directory by writing "0" to its tasks file. Processes and threads it
// then creates start there. Unlike moving a whole process through
// cgroup.procs, which takes the kernel's global threadgroup lock and with
// it an RCU grace period (milliseconds on an idle machine, per burst of
// writes), moving oneself needs no global lock: this is how a child joins
// its v1 cgroups fast. Call it on a locked OS thread; v2 has no tasks file
// (use CLONE_INTO_CGROUP).
//
// Equivalent to: echo 0 > /sys/fs/cgroup/{memory,pids,…}/P/tasks, from
// the thread itself.
func JoinThread(dirs []string) error {
	for _, d := range dirs {
		if err := writeFile(d, "tasks", "0"); err != nil {
			return fmt.Errorf("cgroupview: joining %q: %w", d, err)
		}
	}
	return nil
}

// PIDsCurrent reads the group's pids.current: its tasks (threads), as
// the pids controller counts them.
func (g *Group) PIDsCurrent() (uint64, error) {
	dir, _ := g.dirFor("pids")
	if dir == "" {
		return 0, errors.New("cgroupview: the pids controller is not mounted")
	}
	b, err := hostfs.ReadFile(path.Join(dir, "pids.current"))
	if err != nil {
		return 0, fmt.Errorf("cgroupview: %w", err)
	}
	return parseUint(b)
}

// SetPIDsMax rewrites the group's pids.max.
func (g *Group) SetPIDsMax(n int64) error {
	dir, _ := g.dirFor("pids")
	if dir == "" {
		return errors.New("cgroupview: the pids controller is not mounted")
	}
	if err := writeFile(dir, "pids.max", strconv.FormatInt(n, 10)); err != nil {
		return fmt.Errorf("cgroupview: %w", err)
	}
	return nil
}

// Stats reads the group's usage and counters (ReadStats on the group's
// path): call it after the last member exited and before Remove, which
// takes the counters with it.
func (g *Group) Stats() (*Stats, []string) {
	return ReadStats(g.root, g.layout, membershipAt(g.layout, g.Path))
}

// PIDs lists the processes in the group, over every hierarchy, each once.
func (g *Group) PIDs() []int {
	var out []int
	seen := map[int]bool{}
	for _, d := range g.dirs {
		b, err := hostfs.ReadFile(path.Join(d.dir, "cgroup.procs"))
		if err != nil {
			continue
		}
		for _, p := range parseProcs(b) {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// Kill sends SIGKILL to every process of the group: through cgroup.kill
// where the kernel has it (v2, ≥ 5.14), which also catches processes
// forking meanwhile, else to each PID of cgroup.procs, repeated until the
// group is empty or timeout passes.
func (g *Group) Kill(timeout time.Duration) error {
	for _, d := range g.dirs {
		if d.h.Version == 2 {
			if err := writeFile(d.dir, "cgroup.kill", "1"); err == nil {
				break
			}
		}
	}
	deadline := time.Now().Add(timeout)
	for wait := 500 * time.Microsecond; ; wait = min(2*wait, 50*time.Millisecond) {
		pids := g.PIDs()
		if len(pids) == 0 {
			return nil
		}
		for _, p := range pids {
			unix.Kill(p, unix.SIGKILL)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cgroupview: cgroup %q still has processes %v after SIGKILL", g.Path, pids)
		}
		time.Sleep(wait)
	}
}

// Remove kills what is left in the group and removes its directories,
// retrying while the kernel still tears exited tasks down (EBUSY), up to
// timeout. What could not be removed is named in the error.
//
// Equivalent to: rmdir /sys/fs/cgroup/{memory,pids,…}/P.
func (g *Group) Remove(timeout time.Duration) error {
	var errs []error
	if len(g.PIDs()) > 0 {
		if err := g.Kill(timeout); err != nil {
			errs = append(errs, err)
		}
	}
	deadline := time.Now().Add(timeout)
	var left []groupDir
	for _, d := range g.dirs {
		for wait := 200 * time.Microsecond; ; wait = min(2*wait, 50*time.Millisecond) {
			err := unix.Rmdir(d.dir)
			if err == nil || err == unix.ENOENT {
				break
			}
			if err != unix.EBUSY || time.Now().After(deadline) {
				errs = append(errs, fmt.Errorf("cgroupview: removing %q: %w", d.dir, err))
				left = append(left, d)
				break
			}
			time.Sleep(wait)
		}
	}
	g.dirs = left
	return errors.Join(errs...)
}

// removeDirs undoes a failed Create.
func (g *Group) removeDirs() {
	for i := len(g.dirs) - 1; i >= 0; i-- {
		unix.Rmdir(g.dirs[i].dir)
	}
	g.dirs = nil
}

// Open returns cgroup p as a Group over every hierarchy of l where it
// exists (for `ctx gc`, which removes what a killed run left). It returns
// ErrNoCgroup when p exists nowhere.
func Open(root hostfs.Root, l *Layout, p string) (*Group, error) {
	p = path.Clean("/" + p)
	g := &Group{Path: p, root: root, layout: l}
	for i := range l.Hierarchies {
		h := &l.Hierarchies[i]
		d, ok := dirOf(h, p)
		if !ok {
			continue
		}
		d = root.Host(d)
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			g.dirs = append(g.dirs, groupDir{h: h, dir: d})
		}
	}
	if len(g.dirs) == 0 || p == "/" {
		return nil, &NoCgroupError{Path: p}
	}
	return g, nil
}

// Children lists the child cgroups of parent whose names match, over every
// hierarchy of l, each path once, in hierarchy order.
//
// Equivalent to: ls -d /sys/fs/cgroup/*/PARENT/ctx-*.
func Children(root hostfs.Root, l *Layout, parent string, match func(name string) bool) ([]string, error) {
	parent = path.Clean("/" + parent)
	var out []string
	seen := map[string]bool{}
	var errs []error
	for i := range l.Hierarchies {
		h := &l.Hierarchies[i]
		d, ok := dirOf(h, parent)
		if !ok {
			continue
		}
		entries, err := os.ReadDir(root.Host(d))
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
			continue
		}
		for _, e := range entries {
			if !e.IsDir() || !match(e.Name()) {
				continue
			}
			p := path.Join(parent, e.Name())
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	if len(out) == 0 && len(errs) > 0 {
		return nil, fmt.Errorf("cgroupview: listing %q: %w", parent, errors.Join(errs...))
	}
	return out, nil
}

// writeFile writes value to dir/name with one write(2), as cgroupfs wants:
// it parses each write whole. It opens with raw open(2) since kernfs files
// are pollable and os.OpenFile would register them with the netpoller.
func writeFile(dir, name, value string) error {
	p := path.Join(dir, name)
	fd, err := openRetry(unix.AT_FDCWD, p, unix.O_WRONLY|unix.O_CLOEXEC)
	if err != nil {
		return &fs.PathError{Op: "open", Path: p, Err: err}
	}
	defer unix.Close(fd)
	for {
		_, err = unix.Write(fd, []byte(value))
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return &fs.PathError{Op: "write", Path: p, Err: err}
	}
	return nil
}
