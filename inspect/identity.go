package inspect

import (
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"sort"
	"strings"
	"syscall"

	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// Host paths of the runtimes' on-disk state. Each is read through the host
// root, so the same code names containers on the host, from a sidecar and
// on fixtures.
const (
	dockerDaemonJSON  = "/etc/docker/daemon.json"
	dockerDefaultRoot = "/var/lib/docker"
	// storageRunRoot and storageGraphRoot are containers/storage's rootful
	// runroot and graphroot, shared by CRI-O and Podman, unless
	// storage.conf moves them (see ContainersStorage). Rootless Podman
	// keeps its own under each user's home; ctx does not look there.
	storageRunRoot   = "/run/containers/storage"
	storageGraphRoot = "/var/lib/containers/storage"
)

// containerdTaskDirs are the state directories of containerd's v2 task
// runtime: the system containerd, the one dockerd starts itself when no
// system containerd runs (Docker 20.10 on Debian), and k3s's.
var containerdTaskDirs = []string{
	"/run/containerd/io.containerd.runtime.v2.task",
	"/run/docker/containerd/daemon/io.containerd.runtime.v2.task",
	"/run/k3s/containerd/io.containerd.runtime.v2.task",
}

// Runtimes is the container state the runtimes of one host left on disk,
// read once for one command run: resolving a name means looking at every
// container. It needs no engine API and works when the engines are down.
//
// Sources: Docker's containers/<id>/config.v2.json under its data root;
// containerd's task bundles (Kubernetes CRI included) with their
// io.kubernetes.cri.* annotations; CRI-O's userdata/config.json with its
// io.kubernetes.* annotations; and containers/storage's containers.json for
// Podman. libpod's own database (BoltDB or SQLite) is not read: it would
// need a database library, and containers.json already holds the names.
// LXC and systemd-nspawn containers are named by their cgroups alone.
type Runtimes struct {
	root     hostfs.Root
	records  []*stateRecord
	byID     map[string][]*stateRecord
	byCgroup map[string]*stateRecord
	// Warnings names state that could not be read or parsed; what was
	// read is still used.
	Warnings []string `json:"warnings,omitempty"`
}

// LoadRuntimes reads the state of every runtime it knows under root. It
// never fails: a missing runtime is simply absent, and unreadable or
// unparsable files become Warnings.
func LoadRuntimes(root hostfs.Root) *Runtimes {
	r := &Runtimes{root: root, byID: map[string][]*stateRecord{}, byCgroup: map[string]*stateRecord{}}
	w := &warnings{}
	r.loadDocker(w)
	r.loadContainerd(w)
	r.loadStorage(w)
	for _, rec := range r.records {
		if p := systemdCgroupPath(rec.CgroupPath); p != "" {
			r.byCgroup[p] = rec
		}
	}
	r.Warnings = w.list()
	return r
}

func (r *Runtimes) add(rec *stateRecord) {
	r.records = append(r.records, rec)
	r.byID[rec.ID] = append(r.byID[rec.ID], rec)
}

// find returns the record of runtime rt with this ID, or nil.
func (r *Runtimes) find(rt, id string) *stateRecord {
	for _, rec := range r.byID[id] {
		if rec.Runtime == rt {
			return rec
		}
	}
	return nil
}

// readWarn reads one state file, turning failures other than absence into
// a warning.
func (r *Runtimes) readWarn(w *warnings, what, hostPath string) []byte {
	data, err := readStateFile(r.root, hostPath)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			w.add(0, fmt.Sprintf("%s: skipping %q: %v", what, hostPath, unwrapPath(err)))
		}
		return nil
	}
	return data
}

// listWarn lists one state directory like readWarn.
func (r *Runtimes) listWarn(w *warnings, what, hostPath string) []string {
	names, err := readStateDir(r.root, hostPath)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return nil
		}
		if hostfs.IsPermission(err) {
			w.add(0, fmt.Sprintf("%s: cannot read %q: needs root (or the sidecar's host mount)", what, hostPath))
			return nil
		}
		w.add(0, fmt.Sprintf("%s: cannot read %q: %v", what, hostPath, unwrapPath(err)))
		return nil
	}
	sort.Strings(names)
	return names
}

// unwrapPath drops the *os.PathError wrapper, whose path the warning
// already names.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// loadDocker reads <data-root>/containers/<id>/config.v2.json.
func (r *Runtimes) loadDocker(w *warnings) {
	dataRoot := dockerDefaultRoot
	if data := r.readWarn(w, "docker", dockerDaemonJSON); data != nil {
		dr, err := parseDaemonDataRoot(data)
		switch {
		case err != nil:
			w.add(0, fmt.Sprintf("docker: skipping %q: %v", dockerDaemonJSON, err))
		case dr != "":
			dataRoot = dr
		}
	}
	dir := path.Join(dataRoot, "containers")
	for _, id := range r.listWarn(w, "docker", dir) {
		if !patterns().bareID.MatchString(id) {
			continue
		}
		file := path.Join(dir, id, "config.v2.json")
		data := r.readWarn(w, "docker", file)
		if data == nil {
			continue
		}
		rec, err := parseDockerConfig(data)
		if err != nil {
			w.add(0, fmt.Sprintf("docker: skipping %q: %v", file, err))
			continue
		}
		r.add(rec)
	}
}

// loadContainerd reads every task bundle <dir>/<namespace>/<id>/config.json
// and its init.pid. Docker runs its containers through containerd in
// namespace "moby"; those keep their Docker identity.
func (r *Runtimes) loadContainerd(w *warnings) {
	for _, base := range containerdTaskDirs {
		for _, ns := range r.listWarn(w, "containerd", base) {
			for _, id := range r.listWarn(w, "containerd", path.Join(base, ns)) {
				bundle := path.Join(base, ns, id)
				if d := r.find("docker", id); d != nil && ns == "moby" {
					// Docker's record names it; the bundle adds at most its
					// PID. Its 10 KB config.json is not parsed: that was most
					// of this load on a host of many containers, for a
					// cgroupsPath Docker's IDs in cgroup names make unneeded.
					if d.PID == 0 {
						if b := r.readWarn(w, "containerd", path.Join(bundle, "init.pid")); b != nil {
							d.PID, _ = parsePIDFile(b)
						}
					}
					continue
				}
				data := r.readWarn(w, "containerd", path.Join(bundle, "config.json"))
				if data == nil {
					continue // a bundle being created or deleted
				}
				rec, err := parseContainerdBundle(ns, id, data)
				if err != nil {
					w.add(0, fmt.Sprintf("containerd: skipping %q: %v", path.Join(bundle, "config.json"), err))
					continue
				}
				if b := r.readWarn(w, "containerd", path.Join(bundle, "init.pid")); b != nil {
					rec.PID, _ = parsePIDFile(b)
				}
				if r.find("containerd", id) != nil && r.sameNS(id, ns) {
					continue // the same containerd seen through two paths
				}
				r.add(rec)
			}
		}
	}
}

func (r *Runtimes) sameNS(id, ns string) bool {
	for _, rec := range r.byID[id] {
		if rec.Runtime == "containerd" && rec.Namespace == ns {
			return true
		}
	}
	return false
}

// loadStorage reads CRI-O's per-container userdata/config.json in the
// runroots and graphroots of containers/storage (storage.conf's, and
// CRI-O's where its config moves them), then containers.json, whose other
// entries are Podman's (or Buildah's) containers.
func (r *Runtimes) loadStorage(w *warnings) {
	confs, errs := ContainersStorages(r.root)
	for _, err := range errs {
		w.add(0, err.Error())
	}
	var runRoots, graphRoots []string
	for _, c := range confs {
		if !slices.Contains(runRoots, c.RunRoot) {
			runRoots = append(runRoots, c.RunRoot)
		}
		if !slices.Contains(graphRoots, c.GraphRoot) {
			graphRoots = append(graphRoots, c.GraphRoot)
		}
	}
	for _, base := range append(slices.Clone(runRoots), graphRoots...) {
		dir := path.Join(base, "overlay-containers")
		for _, id := range r.listWarn(w, "cri-o", dir) {
			if !patterns().bareID.MatchString(id) || r.find("crio", id) != nil {
				continue
			}
			file := path.Join(dir, id, "userdata", "config.json")
			data := r.readWarn(w, "cri-o", file)
			if data == nil {
				continue
			}
			rec, ok, err := parseCRIOConfig(id, data)
			if err != nil {
				w.add(0, fmt.Sprintf("cri-o: skipping %q: %v", file, err))
				continue
			}
			if ok {
				r.add(rec)
			}
		}
	}
	for _, g := range graphRoots {
		file := path.Join(g, "overlay-containers", "containers.json")
		data := r.readWarn(w, "podman", file)
		if data == nil {
			continue
		}
		recs, err := parseStorageContainers(data)
		if err != nil {
			w.add(0, fmt.Sprintf("podman: skipping %q: %v", file, err))
		}
		for _, rec := range recs {
			if r.find("crio", rec.ID) == nil {
				r.add(rec)
			}
		}
	}
	// conmon writes the container's PID to userdata/pidfile in the runroot.
	for _, rec := range r.records {
		if rec.Runtime != "crio" && rec.Runtime != "podman" {
			continue
		}
		for _, rr := range runRoots {
			file := path.Join(rr, "overlay-containers", rec.ID, "userdata", "pidfile")
			if b, err := readStateFile(r.root, file); err == nil {
				rec.PID, _ = parsePIDFile(b)
				break
			}
		}
	}
}

// compatible reports whether a container seen in a cgroup path (runtime
// cg) may be the one a state record of runtime st describes.
func compatible(cg, st string) bool {
	switch cg {
	case st:
		return true
	case "cri": // kubelet's cgroupfs driver does not say which CRI runtime
		return st == "containerd" || st == "crio"
	case "crio": // CRI-O's containers are also in containers.json
		return st == "podman"
	}
	return false
}

// lookup finds the state record of a container named by its cgroup.
func (r *Runtimes) lookup(c *Container) *stateRecord {
	if r == nil || c == nil {
		return nil
	}
	var best *stateRecord
	for _, rec := range r.byID[c.ID] {
		if !compatible(c.Runtime, rec.Runtime) {
			continue
		}
		if c.Namespace != "" && rec.Namespace != "" && c.Namespace != rec.Namespace {
			continue
		}
		if best == nil || rec.Runtime == c.Runtime && best.Runtime != c.Runtime {
			best = rec
		}
	}
	return best
}

// Enrich fills what the cgroup path could not say about c (name, image,
// labels, pod name and namespace, containerd namespace) from the runtime
// state with the same ID. Fields already set are kept, except that the
// runtime "cri" (a kubelet cgroupfs path, which does not name the CRI
// runtime) becomes "containerd" or "crio" when the state tells.
func (r *Runtimes) Enrich(c *Container) {
	r.enrich(c)
}

func (r *Runtimes) enrich(c *Container) *stateRecord {
	rec := r.lookup(c)
	if rec == nil {
		return nil
	}
	if c.Runtime == "cri" {
		c.Runtime = rec.Runtime
	}
	if c.Name == "" {
		c.Name = rec.Name
	}
	if c.Image == "" {
		c.Image = rec.Image
	}
	if c.Labels == nil && len(rec.Labels) > 0 {
		c.Labels = cloneLabels(rec.Labels)
	}
	if c.Namespace == "" && rec.Runtime == "containerd" {
		c.Namespace = rec.Namespace
	}
	c.Sandbox = c.Sandbox || rec.Sandbox
	if rec.Pod != nil {
		if c.Pod == nil {
			c.Pod = &Pod{}
		}
		c.Pod.Name = orElse(c.Pod.Name, rec.Pod.Name)
		c.Pod.Namespace = orElse(c.Pod.Namespace, rec.Pod.Namespace)
		c.Pod.UID = orElse(c.Pod.UID, rec.Pod.UID)
	}
	return rec
}

// orElse returns a unless it is empty, then b.
func orElse(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func cloneLabels(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// copyContainer is a deep copy: callers may change what they get.
func copyContainer(c *Container) *Container {
	out := *c
	if c.Pod != nil {
		p := *c.Pod
		out.Pod = &p
	}
	if c.Labels != nil {
		out.Labels = cloneLabels(c.Labels)
	}
	return &out
}

// All lists every container the state files describe, running or not,
// sorted by runtime, namespace, name and ID. Each is a copy.
func (r *Runtimes) All() []*Container {
	out := make([]*Container, 0, len(r.records))
	for _, rec := range r.records {
		out = append(out, copyContainer(&rec.Container))
	}
	sortContainers(out)
	return out
}

func sortContainers(list []*Container) {
	sort.SliceStable(list, func(i, j int) bool { return containerLess(list[i], list[j]) })
}

// containerLess orders containers by runtime, namespace, name and ID.
func containerLess(a, b *Container) bool {
	if a.Runtime != b.Runtime {
		return a.Runtime < b.Runtime
	}
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	if a.Name != b.Name {
		return a.Name < b.Name
	}
	return a.ID < b.ID
}

// FromCgroup names the container of a cgroup path (one line's path of
// /proc/PID/cgroup) and enriches it; nil when the path is no container's.
// Beyond ContainerFromCgroup, it knows containers whose IDs are not 64 hex
// digits (`ctr run … web`, cgroup /default/web) by the cgroupsPath of their
// bundles.
func (r *Runtimes) FromCgroup(cgroupPath string) *Container {
	c := ContainerFromCgroup(cgroupPath)
	if c == nil && r != nil {
		p := strings.TrimSuffix(strings.TrimSuffix(cgroupPath, " (deleted)"), "/")
		if rec := r.byCgroup[p]; rec != nil {
			c = &Container{Runtime: rec.Runtime, ID: rec.ID, Namespace: rec.Namespace}
		}
	}
	if c != nil && r != nil {
		r.enrich(c)
	}
	return c
}

// fromCgroupFile is FromCgroup over every line of /proc/PID/cgroup, like
// containerFromCgroupFile.
func (r *Runtimes) fromCgroupFile(data []byte) *Container {
	for _, line := range strings.Split(string(data), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) == 3 {
			if c := r.FromCgroup(parts[2]); c != nil {
				return c
			}
		}
	}
	return nil
}
