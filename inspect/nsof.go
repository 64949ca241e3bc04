package inspect

import "github.com/ctx-tools/ctx/inspect/hostfs"

// NamespacesOf reads the namespaces one process is in, by type.
func NamespacesOf(root hostfs.Root, pid int) (map[string]NSID, error) {
	k := newKernel(root)
	links, err := readLinks(root.PID(pid, "ns")+"/", k.nsfsDev, make([]byte, 128))
	if err != nil {
		return nil, err
	}
	out := map[string]NSID{}
	for _, l := range links {
		if _, fc := forChildren[l.name]; !fc {
			out[l.typ] = l.id
		}
	}
	return out, nil
}

// HostNamespaces reads the namespaces of the host's init. PID 1 can refuse
// even root (it may hold capabilities ctx lacks), so kthreadd (PID 2), which
// the kernel keeps in the initial namespaces, stands in for it. It returns
// the PID it read.
func HostNamespaces(root hostfs.Root) (map[string]NSID, int, error) {
	var firstErr error
	for _, pid := range []int{1, 2} {
		ns, err := NamespacesOf(root, pid)
		if err == nil {
			return ns, pid, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, 0, firstErr
}
