package inspect

import (
	"os"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// ScanOptions selects the sources of a namespace scan.
type ScanOptions struct {
	// Tasks also reads every thread's links, to find loose threads.
	Tasks bool
	// Types limits the result to these namespace types; nil means all.
	Types []string
	// Workers is the number of concurrent readers (default 4, which halves
	// wall time on 2 CPUs: most of a scan waits in procfs).
	Workers int
}

// NamespaceSet is the result of a scan.
type NamespaceSet struct {
	Namespaces []*Namespace `json:"namespaces"`
	Warnings   []string     `json:"warnings"`
	byID       map[NSID]*Namespace
	root       *hostfs.Root // for lazy reads by Tree
	ppids      map[int]int
}

// Lookup finds a namespace by identity.
func (s *NamespaceSet) Lookup(id NSID) *Namespace { return s.byID[id] }

// link is one /proc/PID/ns entry: the namespace a process (or thread) is in,
// or will give its children.
type link struct {
	name string // mnt, net, …, pid_for_children, time_for_children
	typ  string
	id   NSID
}

// procScan is what the first pass learns of one process.
type procScan struct {
	pid   int
	links []link
	tasks []taskLinks
	fds   []fdNS
}

type taskLinks struct {
	tid   int
	links []link
}

type fdNS struct {
	fd int
	id NSID
}

// kernel holds what a scan needs from the live kernel. On a fixture tree it
// is inert: no fds, no ioctls. newKernel and its methods are in
// nsioctl_linux.go; off Linux it is always inert.
type kernel struct {
	live    bool
	nsfsDev uint64
}

// linkNames are read for every process: the eight types plus the two
// *_for_children links that reveal pid and time namespaces early.
var linkNames = append(append([]string{}, NSTypes...), "pid_for_children", "time_for_children")

// Namespaces finds every namespace on the host: from each process's
// /proc/PID/ns links (and threads' with Tasks), the nsfs bind mounts of every
// mount namespace, and namespace fds held by processes. A process that exits
// mid-scan is skipped; permission failures become warnings.
//
// Equivalent to: lsns, plus what lsns 2.38 misses (bind mounts, fds, tasks).
func Namespaces(root hostfs.Root, opts ScanOptions) (*NamespaceSet, error) {
	pids, err := root.PIDs()
	if err != nil {
		return nil, err
	}
	sort.Ints(pids)
	k := newKernel(root)
	var w warnings
	scans := scanProcs(root, k, pids, opts, &w)

	set := &NamespaceSet{byID: map[NSID]*Namespace{}, root: &root}
	for i := range scans {
		set.addProc(root, &scans[i])
	}
	set.addBindMounts(root, k, &w)
	k.describe(set, &w)
	set.fillProcesses(root, &w)
	set.markInitial(root)
	set.filter(opts.Types)
	set.sort()
	set.Warnings = w.list()
	if set.Warnings == nil {
		set.Warnings = []string{}
	}
	return set, nil
}

// scanProcs reads the links (and optionally tasks and fds) of all pids with
// a small worker pool. Results keep the order of pids.
func scanProcs(root hostfs.Root, k *kernel, pids []int, opts ScanOptions, w *warnings) []procScan {
	workers := opts.Workers
	if workers <= 0 {
		workers = 4
	}
	workers = min(workers, max(1, runtime.NumCPU()*2))
	out := make([]procScan, len(pids))
	var wg sync.WaitGroup
	for n := 0; n < workers; n++ {
		wg.Add(1)
		go func(n int) {
			defer wg.Done()
			buf := make([]byte, 128)
			dbuf := make([]byte, 8192) // getdents of /proc/PID/fd
			for i := n; i < len(pids); i += workers {
				out[i] = scanProc(root, k, pids[i], opts, buf, dbuf, w)
			}
		}(n)
	}
	wg.Wait()
	return out
}

func scanProc(root hostfs.Root, k *kernel, pid int, opts ScanOptions, buf, dbuf []byte, w *warnings) procScan {
	ps := procScan{pid: pid}
	base := root.PID(pid, "ns") + "/"
	links, err := readLinks(base, k.nsfsDev, buf)
	switch {
	case hostfs.IsPermission(err):
		w.permission(pid, "namespaces")
		return ps
	case err != nil:
		return ps // gone mid-scan, or a zombie whose links are gone
	}
	ps.links = links
	if opts.Tasks {
		ps.tasks = scanTasks(root, k, pid, buf)
	}
	ps.fds = k.scanFDs(root, pid, dbuf, w)
	return ps
}

// readLinks reads the ns links under base ("/proc/PID/ns/"). A link missing
// on its own (pid_for_children before the first fork, a type the kernel
// lacks) is skipped; the first error of any other kind is returned.
func readLinks(base string, dev uint64, buf []byte) ([]link, error) {
	dir, err := openPath(base)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, os.ErrNotExist // every link would be missing
		}
		return nil, err
	}
	defer unix.Close(dir)
	links := make([]link, 0, len(linkNames))
	var firstErr error
	for _, name := range linkNames {
		target, err := readlinkAt(dir, base, name, buf)
		if err != nil {
			if firstErr == nil && !os.IsNotExist(err) {
				firstErr = err
			}
			continue
		}
		typ, ino, ok := parseNSLink(target)
		if !ok {
			continue
		}
		links = append(links, link{name: name, typ: typ, id: NSID{Dev: dev, Ino: ino}})
	}
	if len(links) == 0 && firstErr == nil {
		firstErr = os.ErrNotExist
	}
	if len(links) > 0 {
		return links, nil
	}
	return nil, firstErr
}

// readlinkAt reads the link name in dirfd; dir (ending in "/") names dirfd
// in errors.
func readlinkAt(dirfd int, dir, name string, buf []byte) (string, error) {
	for {
		n, err := unix.Readlinkat(dirfd, name, buf)
		if err != nil {
			return "", &os.PathError{Op: "readlink", Path: dir + name, Err: err}
		}
		if n < len(buf) {
			return string(buf[:n]), nil
		}
		buf = make([]byte, 2*len(buf))
	}
}

func scanTasks(root hostfs.Root, k *kernel, pid int, buf []byte) []taskLinks {
	d, err := os.Open(root.PID(pid, "task"))
	if err != nil {
		return nil
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	var out []taskLinks
	for _, n := range names {
		tid, err := strconv.Atoi(n)
		if err != nil || tid == pid {
			continue
		}
		links, err := readLinks(root.PID(pid, "task", n, "ns")+"/", k.nsfsDev, buf)
		if err == nil {
			out = append(out, taskLinks{tid: tid, links: links})
		}
	}
	return out
}

// Ranks of the paths that open a namespace: a process's own link is the
// most stable, a bind mount reached through another root the least.
const (
	refProc = iota + 1
	refOther
	refBind
)

func (n *Namespace) setRef(path string, rank int) {
	if n.wantsRef(rank) {
		n.ref, n.refRank = path, rank
	}
}

// wantsRef reports whether a path of this rank would become n's ref. Hot
// loops check it first, to build only the paths that are kept.
func (n *Namespace) wantsRef(rank int) bool { return n.refRank == 0 || rank < n.refRank }

// get returns the namespace with this identity, creating it.
func (s *NamespaceSet) get(id NSID, typ string) *Namespace {
	ns := s.byID[id]
	if ns == nil {
		ns = &Namespace{ID: id, Ino: id.Ino, Dev: id.Dev, Type: typ, Holders: []Holder{}}
		s.byID[id] = ns
	}
	return ns
}

// addProc merges one process's scan. Only a process's own links count in
// NProcs; *_for_children, thread and fd links are holders.
func (s *NamespaceSet) addProc(root hostfs.Root, ps *procScan) {
	own := map[string]NSID{}
	for _, l := range ps.links {
		ns := s.get(l.id, l.typ)
		if ft, ok := forChildren[l.name]; ok {
			if ns.wantsRef(refOther) {
				ns.setRef(root.PID(ps.pid, "ns", l.name), refOther)
			}
			if own[ft] != l.id {
				ns.Holders = append(ns.Holders, Holder{Kind: l.name, PID: ps.pid})
			}
			continue
		}
		own[l.typ] = l.id
		ns.NProcs++
		ns.PIDs = append(ns.PIDs, ps.pid)
		if ns.wantsRef(refProc) {
			ns.setRef(root.PID(ps.pid, "ns", l.name), refProc)
		}
	}
	for _, t := range ps.tasks {
		for _, l := range t.links {
			if _, ok := forChildren[l.name]; ok || own[l.typ] == l.id {
				continue
			}
			ns := s.get(l.id, l.typ)
			ns.Holders = append(ns.Holders, Holder{Kind: "task", PID: ps.pid, TID: t.tid})
			if ns.wantsRef(refOther) {
				ns.setRef(root.PID(ps.pid, "task", strconv.Itoa(t.tid), "ns", l.name), refOther)
			}
		}
	}
	for _, f := range ps.fds {
		ns := s.byID[f.id]
		if ns == nil {
			ns = s.get(f.id, "") // typed later by NS_GET_NSTYPE
		}
		ns.Holders = append(ns.Holders, Holder{Kind: "fd", PID: ps.pid, FD: f.fd})
		if ns.wantsRef(refOther) {
			ns.setRef(root.PID(ps.pid, "fd", strconv.Itoa(f.fd)), refOther)
		}
	}
}

// addBindMounts reads the mountinfo of one process per mount namespace and
// adds every nsfs bind mount (ip netns, /run/docker/netns, snapd, …).
func (s *NamespaceSet) addBindMounts(root hostfs.Root, k *kernel, w *warnings) {
	var mntns []*Namespace
	for _, ns := range s.byID {
		if ns.Type == "mnt" && len(ns.PIDs) > 0 {
			mntns = append(mntns, ns)
		}
	}
	seen := map[string]bool{}
	for _, m := range mntns {
		pid := m.PIDs[0]
		data, err := hostfs.ReadFile(root.PID(pid, "mountinfo"))
		if err != nil {
			if hostfs.IsPermission(err) {
				w.permission(pid, "mounts")
			}
			continue
		}
		binds, err := parseNSFSMounts(data)
		if err != nil {
			w.add(pid, "unparsable mountinfo: "+err.Error())
		}
		for _, b := range binds {
			if !k.live {
				b.ID.Dev = k.nsfsDev // a fixture has no device numbers for links
			}
			key := strconv.FormatUint(m.Ino, 10) + b.MountPoint + strconv.FormatUint(b.ID.Ino, 10)
			ns := s.get(b.ID, b.Type)
			if seen[key] || hasBind(ns, b.MountPoint) {
				continue
			}
			seen[key] = true
			ns.Holders = append(ns.Holders, Holder{Kind: "bind", PID: pid, Path: b.MountPoint})
			// The mount point is a path in that mount namespace: reach it
			// through a member's root.
			ns.setRef(root.PID(pid, "root")+b.MountPoint, refBind)
		}
	}
}

func hasBind(ns *Namespace, path string) bool {
	for _, h := range ns.Holders {
		if h.Kind == "bind" && h.Path == path {
			return true
		}
	}
	return false
}

// fillProcesses reads the lowest-PID member of each namespace once. Only
// these processes are read in full: the rest are counted, not described.
// The reads run on a small worker pool, like the scan.
func (s *NamespaceSet) fillProcesses(root hostfs.Root, w *warnings) {
	users := ReadUsers(root)
	var pids []int
	seen := map[int]bool{}
	for _, ns := range s.byID {
		if len(ns.PIDs) == 0 {
			continue
		}
		sort.Ints(ns.PIDs)
		if pid := ns.PIDs[0]; !seen[pid] {
			seen[pid] = true
			pids = append(pids, pid)
		}
	}
	procs := make([]*Process, len(pids))
	parallel(len(pids), func(i int) {
		procs[i], _ = ReadProcess(root, pids[i]) // nil when it exited since
	})
	cache := make(map[int]*Process, len(pids))
	for i, p := range procs {
		if p != nil {
			p.User = users.Name(p.UID)
		}
		cache[pids[i]] = p
	}
	for _, ns := range s.byID {
		if len(ns.PIDs) > 0 {
			ns.Process = cache[ns.PIDs[0]]
		}
	}
}

// parallel runs fn(0) … fn(n-1) on the scan's default number of workers.
func parallel(n int, fn func(i int)) {
	workers := min(4, max(1, runtime.NumCPU()*2))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += workers {
				fn(i)
			}
		}(w)
	}
	wg.Wait()
}

// markInitial flags the namespaces kthreadd (PID 2, a kernel thread) is in.
func (s *NamespaceSet) markInitial(root hostfs.Root) {
	p, err := ReadProcess(root, kthreaddPID)
	if err != nil || !p.KernelThread {
		return // not the host's pid namespace, or a fixture without it
	}
	for _, ns := range s.byID {
		if _, found := slices.BinarySearch(ns.PIDs, kthreaddPID); found {
			ns.Initial = true
		}
	}
}

// kthreaddPID is the kernel's thread creator, always PID 2 in the host's
// pid namespace.
const kthreaddPID = 2

func (s *NamespaceSet) filter(types []string) {
	if len(types) == 0 {
		return
	}
	keep := map[string]bool{}
	for _, t := range types {
		keep[t] = true
	}
	for id, ns := range s.byID {
		if !keep[ns.Type] {
			delete(s.byID, id)
		}
	}
}

// sort orders namespaces as lsns does: by inode.
func (s *NamespaceSet) sort() {
	s.Namespaces = s.Namespaces[:0]
	for _, ns := range s.byID {
		if ns.PIDs == nil {
			ns.PIDs = []int{}
		}
		s.Namespaces = append(s.Namespaces, ns)
	}
	sort.Slice(s.Namespaces, func(i, j int) bool {
		a, b := s.Namespaces[i], s.Namespaces[j]
		if a.Ino != b.Ino {
			return a.Ino < b.Ino
		}
		return a.Dev < b.Dev
	})
}
