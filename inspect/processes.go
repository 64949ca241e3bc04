package inspect

import (
	"sort"
	"sync"

	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// ProcessList is the result of Processes.
type ProcessList struct {
	Processes []*ProcessNS `json:"processes"`
	Warnings  []string     `json:"warnings"`
}

// ProcessNS is a process with the inodes of its namespaces, by type.
type ProcessNS struct {
	*Process
	Namespaces map[string]uint64 `json:"namespaces,omitempty"`
}

// ProcessFilter selects processes; the zero value selects all.
type ProcessFilter struct {
	// NS keeps processes in the namespace with this inode (any type).
	NS uint64
	// PIDs keeps only these processes.
	PIDs []int
	// ContainerID keeps processes of the container with this full ID.
	ContainerID string
}

// Processes reads every process (or those the filter keeps): host PID, the
// NSpid chain, PPID, user, cgroup, container and namespaces. Processes that
// exit mid-scan are skipped.
//
// Equivalent to: ps -eo pid,ppid,user,comm plus /proc/PID/{status,cgroup,ns}.
func Processes(root hostfs.Root, filter ProcessFilter) (*ProcessList, error) {
	pids := filter.PIDs
	if pids == nil {
		var err error
		if pids, err = root.PIDs(); err != nil {
			return nil, err
		}
	}
	sort.Ints(pids)
	users := ReadUsers(root)
	k := newKernel(root)
	var w warnings
	out := make([]*ProcessNS, len(pids))
	var wg sync.WaitGroup
	const workers = 4
	for n := 0; n < workers; n++ {
		wg.Add(1)
		go func(n int) {
			defer wg.Done()
			buf := make([]byte, 128)
			for i := n; i < len(pids); i += workers {
				out[i] = readProcessNS(root, k, pids[i], buf, &w)
			}
		}(n)
	}
	wg.Wait()
	list := &ProcessList{Processes: []*ProcessNS{}}
	for _, p := range out {
		if p == nil || !filter.keeps(p) {
			continue
		}
		p.User = users.Name(p.UID)
		list.Processes = append(list.Processes, p)
	}
	list.Warnings = w.list()
	return list, nil
}

func readProcessNS(root hostfs.Root, k *kernel, pid int, buf []byte, w *warnings) *ProcessNS {
	p, err := ReadProcess(root, pid)
	if err != nil {
		return nil // exited
	}
	pn := &ProcessNS{Process: p}
	links, err := readLinks(root.PID(pid, "ns")+"/", k.nsfsDev, buf)
	if hostfs.IsPermission(err) {
		w.permission(pid, "namespaces")
	}
	for _, l := range links {
		if _, fc := forChildren[l.name]; fc {
			continue
		}
		if pn.Namespaces == nil {
			pn.Namespaces = map[string]uint64{}
		}
		pn.Namespaces[l.typ] = l.id.Ino
	}
	return pn
}

func (f ProcessFilter) keeps(p *ProcessNS) bool {
	if f.ContainerID != "" && (p.Container == nil || p.Container.ID != f.ContainerID) {
		return false
	}
	if f.NS != 0 {
		for _, ino := range p.Namespaces {
			if ino == f.NS {
				return true
			}
		}
		return false
	}
	return true
}
