package inspect

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// nsfs ioctls from include/uapi/linux/nsfs.h; x/sys/unix does not define
// them.
const (
	nsGetUserNS   = 0xb701
	nsGetParent   = 0xb702
	nsGetNSType   = 0xb703
	nsGetOwnerUID = 0xb704
)

var cloneTypes = map[int]string{
	unix.CLONE_NEWNS: "mnt", unix.CLONE_NEWNET: "net", unix.CLONE_NEWPID: "pid",
	unix.CLONE_NEWUTS: "uts", unix.CLONE_NEWIPC: "ipc", unix.CLONE_NEWUSER: "user",
	unix.CLONE_NEWCGROUP: "cgroup", unix.CLONE_NEWTIME: "time",
}

// maxNSDepth bounds parent walks: user namespaces nest at most 32 deep.
const maxNSDepth = 33

func newKernel(root hostfs.Root) *kernel {
	k := &kernel{live: root.Live()}
	if !k.live {
		return k
	}
	// The nsfs device, learned once: fds and ns links on it are namespaces.
	var st unix.Stat_t
	if err := unix.Stat(root.Proc("self", "ns", "net"), &st); err == nil {
		k.nsfsDev = st.Dev
	} else {
		k.live = false
	}
	return k
}

// openPath opens dir as an O_PATH handle for the *at calls below: the
// kernel walks /proc/PID once per process instead of once per entry, and
// every entry read comes from the same process. O_PATH needs no read
// permission on dir, so permission errors still come from the entries.
func openPath(dir string) (int, error) {
	for {
		fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return -1, &os.PathError{Op: "open", Path: dir, Err: err}
		}
		return fd, nil
	}
}

// scanFDs finds the namespace fds a process holds: an fd whose target lives
// on the nsfs device. The readlink text is not trusted: an fd opened through
// a bind mount reads back as that path, or "/" once it is unmounted.
func (k *kernel) scanFDs(root hostfs.Root, pid int, dbuf []byte, w *warnings) []fdNS {
	if !k.live {
		return nil
	}
	dir := root.PID(pid, "fd")
	// Raw syscalls, not os.Open: no poller registration, and fstatat
	// resolves each fd name from the open directory, not from /proc.
	dfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		if hostfs.IsPermission(err) {
			w.permission(pid, "open files")
		}
		return nil
	}
	defer unix.Close(dfd)
	var names []string
	for {
		n, err := unix.Getdents(dfd, dbuf)
		if err != nil || n <= 0 {
			break // as before: a process exiting mid-listing keeps what was read
		}
		_, _, names = unix.ParseDirent(dbuf[:n], -1, names)
	}
	var out []fdNS
	var st unix.Stat_t
	for _, n := range names {
		if unix.Fstatat(dfd, n, &st, 0) != nil || st.Dev != k.nsfsDev {
			continue
		}
		fd, _ := strconv.Atoi(n)
		out = append(out, fdNS{fd: fd, id: NSID{Dev: st.Dev, Ino: st.Ino}})
	}
	return out
}

// describe asks the kernel, once per distinct namespace, for its type (when
// only an fd named it), owning user namespace, parent and owner UID, and
// adds the hidden intermediate user and pid namespaces that parent chains
// pass through.
func (k *kernel) describe(s *NamespaceSet, w *warnings) {
	if !k.live {
		return
	}
	// Most namespaces need only their owner, and nothing else changes:
	// ask for those in parallel. User and pid namespaces (and those only an
	// fd named, not yet typed) walk parent chains that add hidden
	// namespaces to s, so they go one at a time.
	var flat, chained []*Namespace
	for _, ns := range s.byID {
		switch {
		case ns.ref == "":
		case ns.Type == "user" || ns.Type == "pid" || ns.Type == "":
			chained = append(chained, ns)
		default:
			flat = append(flat, ns)
		}
	}
	parallel(len(flat), func(i int) { k.describeRef(s, flat[i], w) })
	for _, ns := range chained {
		k.describeRef(s, ns, w)
	}
}

// describeRef opens ns through its ref path and describes it.
func (k *kernel) describeRef(s *NamespaceSet, ns *Namespace, w *warnings) {
	fd, err := unix.Open(ns.ref, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		if hostfs.IsPermission(err) {
			w.add(0, "cannot open some namespaces to ask for their owner and parent: needs CAP_SYS_ADMIN and CAP_SYS_PTRACE (run as root)")
		}
		return
	}
	k.describeFD(s, ns, fd, 0)
	unix.Close(fd)
}

// describeFD fills ns from an open nsfs fd; it walks up to parents that the
// scan has not met, marking them hidden. It does not close fd.
func (k *kernel) describeFD(s *NamespaceSet, ns *Namespace, fd, depth int) {
	if ns.Type == "" {
		if t, err := unix.IoctlRetInt(fd, nsGetNSType); err == nil {
			ns.Type = cloneTypes[t]
		}
	}
	if id, ok := k.related(fd, nsGetUserNS); ok {
		ns.Owner = id.Ino
	}
	if ns.Type == "user" {
		if uid, err := unix.IoctlGetUint32(fd, nsGetOwnerUID); err == nil {
			v := int(uid)
			ns.OwnerUID = &v
		}
	}
	if ns.Type != "user" && ns.Type != "pid" {
		return
	}
	pfd, err := unix.IoctlRetInt(fd, nsGetParent)
	if err != nil {
		return // EPERM at the top of the caller's user ns; ENOTTY on old kernels
	}
	defer unix.Close(pfd)
	id, ok := fstatID(pfd)
	if !ok {
		return
	}
	ns.Parent = id.Ino
	if parent := s.byID[id]; parent == nil && depth < maxNSDepth {
		parent = s.get(id, ns.Type)
		parent.Hidden = true
		parent.Holders = append(parent.Holders, Holder{Kind: "hidden"})
		k.describeFD(s, parent, pfd, depth+1)
	}
}

// related runs an ioctl that returns a new nsfs fd and identifies its
// namespace.
func (k *kernel) related(fd int, req uint) (NSID, bool) {
	nfd, err := unix.IoctlRetInt(fd, req)
	if err != nil {
		return NSID{}, false
	}
	defer unix.Close(nfd)
	return fstatID(nfd)
}

func fstatID(fd int) (NSID, bool) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return NSID{}, false
	}
	return NSID{Dev: st.Dev, Ino: st.Ino}, true
}
