//go:build linux

package layers

import (
	"errors"
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/ctx-tools/ctx/inspect"
	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// containerdSnapshotter is the overlayfs snapshotter's dir in a
// containerd root.
const containerdSnapshotter = "io.containerd.snapshotter.v1.overlayfs"

// loadContainerdRoots finds the containerd overlayfs snapshotter roots:
// the system containerd's (its config's root, else /var/lib/containerd),
// k3s's and RKE2's; the one dockerd starts itself lives under Docker's data root
// (load docker first). snapRoots are those of them with a database, once
// per Storage rather than at each lookup.
func (s *Storage) loadContainerdRoots() {
	dirs, err := inspect.ContainerdRoots(s.root)
	if err != nil {
		s.warnings = append(s.warnings, err.Error()+": looking in "+dirs[0])
	}
	for _, d := range dirs {
		s.ctrdRoots = append(s.ctrdRoots, path.Join(d, containerdSnapshotter))
	}
	var cands []string
	if d := s.docker; d != nil {
		cands = append(cands, path.Join(d.dataRoot, "containerd", "daemon", containerdSnapshotter))
	}
	for _, r := range append(cands, s.ctrdRoots...) {
		if existsInRoot(s.root, path.Join(r, "metadata.db")) {
			s.snapRoots = append(s.snapRoots, r)
		}
	}
}

var snapshotDir = regexp.MustCompile(`^(/.*/io\.containerd\.snapshotter\.v1\.overlayfs)/snapshots/([0-9]+)/fs$`)

// Storage is the container storage of one host as read for one command:
// Docker's overlay2 store and layerdb, containers/storage's JSON files,
// containerd snapshots, and the runtimes' state naming the containers. It
// needs no engine API. Open it with Open.
type Storage struct {
	root   hostfs.Root
	opts   Options
	rt     *inspect.Runtimes
	docker *dockerStore
	cs     []*cStorage // one per graphroot
	// ctrdRoots are the containerd snapshotter roots to look in.
	ctrdRoots []string
	// snapRoots are the snapshotter roots with a metadata.db, dockerd's
	// own one included: where containerd's images and containers are.
	snapRoots []string
	scan      *scanner
	// knownByID indexes the runtimes' containers, built once: see known.
	knownOnce sync.Once
	knownByID map[string]*inspect.Container
	// hostTable is the host's mount table, read once when first asked
	// (see mounts); hostUppers indexes its overlays by upper dir (see
	// hostOverlay).
	mountsOnce sync.Once
	hostTable  []inspect.Mount
	hostOnce   sync.Once
	hostUppers map[string]*inspect.Mount
	// running containers, read once: see running.
	runningOnce sync.Once
	runningList []*inspect.Target
	runningErr  error
	// containerd snapshotter databases by snapshotter root, read once:
	// see snapshotDB.
	ctrdMu    sync.Mutex
	ctrd      map[string]snapshotDBResult
	ctrdMetas map[string]*ctrdMeta // by snapshotter root
	// warnings are the problems met reading state; the data read is used.
	warnings []string
}

// Open reads the layer metadata of every store it finds under root. A
// store that exists but cannot be read for lack of privilege is an error
// (a *PrivilegeError naming what is missing); a missing store is not.
func Open(root hostfs.Root, opts Options) (*Storage, error) {
	s := &Storage{root: root, opts: opts, scan: newScanner(root, opts)}
	// The runtimes' state (names, for labels and TARGETs) loads on another
	// thread while the stores' metadata does: setup before a walk would
	// otherwise keep one CPU idle. It is waited for on every path, so no
	// read outlives Open.
	rtc := make(chan *inspect.Runtimes, 1)
	go func() { rtc <- inspect.LoadRuntimes(root) }()
	err := s.loadStores()
	s.rt = <-rtc
	if err != nil {
		return nil, err
	}
	s.warnings = append(s.warnings, s.rt.Warnings...)
	return s, nil
}

// loadStores reads Docker's and containers/storage's metadata.
func (s *Storage) loadStores() error {
	d, err := loadDocker(s.root)
	if err != nil {
		return err
	}
	s.docker = d
	if d != nil {
		s.warnings = append(s.warnings, d.warnings...)
	}
	s.loadContainerdRoots()
	cs, warnings, err := loadCStorages(s.root, s.mounts)
	if err != nil {
		return err
	}
	s.cs = cs
	s.warnings = append(s.warnings, warnings...)
	for _, c := range cs {
		s.warnings = append(s.warnings, c.warnings...)
		s.scan.confine = append(s.scan.confine, c.confine()...)
	}
	return nil
}

// Resolve turns a TARGET into a Target with its stack: a container name,
// ID or ID prefix of any runtime (a stopped Docker or Podman container
// too, and a rootless Podman container, by USER/NAME where names clash),
// a PID, or a Docker image name or ID.
func (s *Storage) Resolve(spec string) (*Target, error) {
	it, err := s.rt.Resolve(spec)
	var nr *inspect.NotRunningError
	switch {
	case err == nil:
		return s.fromInspect(it)
	case errors.As(err, &nr) && nr.Container != nil:
		return s.stopped(nr.Container, err)
	case !errors.Is(err, inspect.ErrNotFound):
		return nil, err
	}
	if s.docker != nil {
		im, ierr := s.docker.image(spec)
		if ierr != nil {
			return nil, ierr
		}
		if im != nil {
			return s.dockerImageTarget(im)
		}
	}
	if t, ierr := s.ctrdImage(spec); t != nil || ierr != nil {
		return t, ierr
	}
	if t := s.ctrdIdle(spec); t != nil {
		return t, nil
	}
	if t, rerr := s.rootlessContainer(spec); t != nil || rerr != nil {
		return t, rerr
	}
	return nil, fmt.Errorf("%w (nor an image)", err)
}

// rootlessContainer resolves spec among the containers of the rootless
// stores, which no runtime state ctx reads names: a name or ID, either
// qualified as USER/NAME, or a unique ID prefix. It is nil when nothing
// matches, an error when several do.
func (s *Storage) rootlessContainer(spec string) (*Target, error) {
	user, name, qualified := strings.Cut(spec, "/")
	if !qualified {
		user, name = "", spec
	}
	type hit struct {
		cs *cStorage
		id string
	}
	var exact, prefix []hit
	for _, c := range s.cs {
		if c.owner == nil || user != "" && c.owner.user != user {
			continue
		}
		for _, id := range slices.Sorted(maps.Keys(c.containers)) {
			switch {
			case id == name || slices.Contains(c.containers[id].Names, name):
				exact = append(exact, hit{c, id})
			case len(name) >= 4 && strings.HasPrefix(id, name):
				prefix = append(prefix, hit{c, id})
			}
		}
	}
	hits := exact
	if len(hits) == 0 {
		hits = prefix
	}
	switch len(hits) {
	case 0:
		return nil, nil
	case 1:
	default:
		var labels []string
		for _, h := range hits {
			labels = append(labels, h.cs.owner.user+"/"+shortDigest(h.id))
		}
		return nil, fmt.Errorf("%q matches %d rootless containers (%s): name one as USER/NAME or by a longer ID", spec, len(hits), strings.Join(labels, ", "))
	}
	h := hits[0]
	ct := h.cs.containers[h.id]
	stack, err := s.csContainerSpec(h.cs, ct)
	if err != nil {
		return nil, err
	}
	return &Target{Kind: "container", Container: h.cs.named(s, h.id), spec: stack, imageID: ct.Image}, nil
}

// fromInspect builds the stack of a resolved process or container.
func (s *Storage) fromInspect(it *inspect.Target) (*Target, error) {
	t := &Target{Kind: it.Kind, Container: it.Container, PID: it.PID, PIDs: it.PIDs}
	if it.Kind == "pod" {
		t.Kind = "container"
	}
	if it.PID == 0 {
		return nil, fmt.Errorf("%q is a namespace file, not a process or container", it.Path)
	}
	if c := it.Container; c != nil && c.Runtime == "docker" && s.docker != nil {
		if m := s.docker.mounts[c.ID]; m != nil {
			spec, err := s.dockerContainerSpec(m)
			if err != nil {
				return nil, err
			}
			t.spec, t.dockerC = spec, s.docker.containers[c.ID]
			if mt, err := s.rootOverlay(it.PID); err == nil {
				t.rootMount = mt
				s.applyMountOptions(spec, mt)
			}
			return t, nil
		}
	}
	spec, mt, err := s.pidSpec(it.PID)
	if err != nil {
		return nil, err
	}
	t.spec, t.rootMount = spec, mt
	if t.Container == nil {
		t.Container = s.containerOfSpec(spec)
		if t.Container != nil {
			t.Kind = "container"
		}
	}
	if c := t.Container; c != nil && c.Runtime == "docker" && s.docker != nil {
		t.dockerC = s.docker.containers[c.ID] // its logs and volumes
	}
	return t, nil
}

// stopped builds the stack of a container with no process, from its
// store's metadata.
func (s *Storage) stopped(c *inspect.Container, cause error) (*Target, error) {
	t := &Target{Kind: "container", Container: c}
	switch {
	case c.Runtime == "docker" && s.docker != nil && s.docker.mounts[c.ID] != nil:
		spec, err := s.dockerContainerSpec(s.docker.mounts[c.ID])
		if err != nil {
			return nil, err
		}
		t.spec, t.dockerC = spec, s.docker.containers[c.ID]
		return t, nil
	case c.Runtime == "docker" && s.docker != nil && s.docker.containers[c.ID] != nil:
		if spec := s.dockerSnapshotSpec(c.ID); spec != nil {
			t.spec, t.dockerC = spec, s.docker.containers[c.ID]
			return t, nil
		}
	case (c.Runtime == "podman" || c.Runtime == "crio") && s.csOf(c.ID) != nil:
		cs := s.csOf(c.ID)
		spec, err := s.csContainerSpec(cs, cs.containers[c.ID])
		if err != nil {
			return nil, err
		}
		t.spec, t.imageID = spec, cs.containers[c.ID].Image
		return t, nil
	}
	return nil, fmt.Errorf("%w: its layers are known only from its root mount", cause)
}

func (s *Storage) dockerImageTarget(im *dockerImage) (*Target, error) {
	spec, err := s.dockerImageSpec(im)
	if err != nil {
		return nil, err
	}
	return &Target{Kind: "image", Image: &Image{ID: im.ID, Names: im.Names, Store: StoreDocker}, spec: spec}, nil
}

// dockerLayerSpecs returns the image layers of chain top, top first.
func (s *Storage) dockerLayerSpecs(top string) ([]layerSpec, error) {
	chain, err := s.docker.imageChain(top)
	if err != nil {
		return nil, fmt.Errorf("layers: docker: %w", err)
	}
	out := make([]layerSpec, 0, len(chain))
	for _, l := range chain {
		out = append(out, layerSpec{Role: RoleImage, Layer: Layer{ID: l.CacheID, Store: StoreDocker,
			Dir: s.docker.layerDir(l.CacheID), ChainID: l.ChainID, DiffID: l.DiffID, StoredSize: l.Size}})
	}
	return out, nil
}

func (s *Storage) dockerContainerSpec(m *dockerMount) (*stackSpec, error) {
	spec := &stackSpec{source: "layerdb", ns: trustedNS, topN: s.opts.TopN}
	spec.layers = append(spec.layers, layerSpec{Role: RoleUpper, Layer: Layer{ID: m.MountID, Store: StoreDocker, Dir: s.docker.layerDir(m.MountID)}})
	if m.InitID != "" {
		spec.layers = append(spec.layers, layerSpec{Role: RoleInit, Layer: Layer{ID: m.InitID, Store: StoreDocker, Dir: s.docker.layerDir(m.InitID)}})
	}
	if m.Parent != "" {
		img, err := s.dockerLayerSpecs(m.Parent)
		if err != nil {
			return nil, err
		}
		spec.layers = append(spec.layers, img...)
	}
	return spec, nil
}

func (s *Storage) dockerImageSpec(im *dockerImage) (*stackSpec, error) {
	spec := &stackSpec{source: "layerdb", ns: trustedNS}
	if len(im.Chain) == 0 {
		return spec, nil
	}
	img, err := s.dockerLayerSpecs(im.Chain[len(im.Chain)-1])
	if err != nil {
		return nil, err
	}
	spec.layers = img
	return spec, nil
}

// named names container id of store c: from the runtimes' state, or, in
// a rootless store (which no runtime state ctx reads covers), from
// containers.json, with its user.
func (c *cStorage) named(s *Storage, id string) *inspect.Container {
	if c.owner == nil {
		return s.named("podman", id)
	}
	out := &inspect.Container{Runtime: "podman", ID: id, User: c.owner.user}
	if names := c.containers[id].Names; len(names) > 0 {
		out.Name = names[0]
	}
	return out
}

// csOf is the containers/storage store that has container id, or nil.
func (s *Storage) csOf(id string) *cStorage {
	for _, c := range s.cs {
		if c.containers[id] != nil {
			return c
		}
	}
	return nil
}

func (s *Storage) csContainerSpec(cs *cStorage, c *csContainer) (*stackSpec, error) {
	spec := &stackSpec{source: "containers.json", ns: cs.ns, topN: s.opts.TopN, metacopy: cs.metacopy}
	chain, err := cs.chain(c.Layer)
	if err != nil {
		return nil, fmt.Errorf("layers: containers/storage: %w", err)
	}
	for i, l := range chain {
		role := RoleImage
		if i == 0 {
			role = RoleUpper
		}
		spec.layers = append(spec.layers, layerSpec{Role: role, Layer: cs.layer(l)})
	}
	return spec, nil
}

// layer is l as a Layer of this store.
func (c *cStorage) layer(l *csLayer) Layer {
	out := Layer{ID: l.ID, Store: StoreCStorage, Dir: c.layerDir(l.ID), DiffID: l.DiffDigest}
	if l.DiffSize != nil {
		n := *l.DiffSize
		out.StoredSize = &n
	}
	return out
}

// containerOfSpec names the container whose writable layer tops spec,
// from the stores' metadata.
func (s *Storage) containerOfSpec(spec *stackSpec) *inspect.Container {
	if len(spec.layers) == 0 || spec.layers[0].Role != RoleUpper {
		return nil
	}
	up := spec.layers[0]
	switch up.Store {
	case StoreDocker:
		if s.docker != nil {
			if m := s.docker.mountByDir[up.ID]; m != nil {
				return s.named("docker", m.ContainerID)
			}
		}
	case StoreCStorage:
		for _, cs := range s.cs {
			for _, c := range cs.containers {
				if c.Layer == up.ID && up.Dir == cs.layerDir(c.Layer) {
					return cs.named(s, c.ID)
				}
			}
		}
	}
	return nil
}

// dockerTarget is docker container id with its stack spec: its root
// mount's options too while it runs.
func (s *Storage) dockerTarget(id string, spec *stackSpec) *Target {
	t := &Target{Kind: "container", Container: s.named("docker", id), spec: spec, dockerC: s.docker.containers[id]}
	if dc := t.dockerC; dc != nil && dc.Running && dc.Pid > 0 {
		// The mount options: from dockerd's mount of the container's
		// upper dir in the host's table (one read for all containers),
		// else from the container's own root mount.
		if mt := s.hostOverlay(spec.layers[0].Dir); mt != nil {
			t.PID = dc.Pid
			s.applyMountOptions(spec, mt)
		} else if mt, err := s.rootOverlay(dc.Pid); err == nil {
			t.PID, t.rootMount = dc.Pid, mt
			s.applyMountOptions(spec, mt)
		}
	}
	return t
}

// mounts is the host's mount table, nil when it cannot be read.
func (s *Storage) mounts() []inspect.Mount {
	s.mountsOnce.Do(func() { s.hostTable, _ = inspect.HostMounts(s.root) })
	return s.hostTable
}

// hostOverlay is the overlay mount of the host's mount table (s.mounts)
// whose upper dir is upper, or nil. A container's root is a copy of that
// mount, with the same options, and reading each container's mountinfo
// instead cost a quarter of a millisecond per container (its cgroup v1
// mounts' paths): 14 ms of du --all with 60 containers.
func (s *Storage) hostOverlay(upper string) *inspect.Mount {
	s.hostOnce.Do(func() {
		s.hostUppers = map[string]*inspect.Mount{}
		mounts := s.mounts()
		for i := range mounts {
			m := &mounts[i]
			up := inspect.OverlayOf(*m).UpperDir
			if m.FSType != "overlay" || up == "" {
				continue
			}
			if !path.IsAbs(up) && s.docker != nil {
				up = path.Join(s.docker.driverDir, up) // docker's relative form
			}
			s.hostUppers[path.Clean(up)] = m
		}
	})
	return s.hostUppers[upper]
}

// dockerSnapshotSpec is the stack of a docker container kept in the
// containerd image store: the active snapshot docker keys by the container
// ID in a containerd snapshotter (the system one's), then its parents (the
// init layer, then the image's). nil when there is none.
func (s *Storage) dockerSnapshotSpec(id string) *stackSpec {
	for _, root := range s.snapRoots {
		db, err := s.snapshotDB(root)
		if err != nil {
			continue
		}
		if spec := s.snapshotSpec(root, db.chainOf(id), "metadata.db", true); spec != nil {
			return spec
		}
	}
	return nil
}

// snapshotSpec is the stack of a chain of snapshots under root, top first:
// a container's (upper, then any "-init" layer) or an image's; nil for an
// empty chain.
func (s *Storage) snapshotSpec(root string, chain []*snapshot, source string, container bool) *stackSpec {
	if len(chain) == 0 {
		return nil
	}
	spec := &stackSpec{source: source, ns: trustedNS, topN: s.opts.TopN}
	for i, sn := range chain {
		role := RoleImage
		switch {
		case container && i == 0:
			role = RoleUpper
		case container && strings.HasSuffix(sn.name(), "-init"):
			role = RoleInit
		}
		l := Layer{ID: sn.ID, Store: StoreContainerd, Dir: path.Join(root, "snapshots", sn.ID, "fs"), ChainID: sn.chainID()}
		if l.ChainID == "" {
			l.SnapshotKey = sn.label()
		}
		spec.layers = append(spec.layers, layerSpec{Role: role, Layer: l})
	}
	return spec
}

// named returns the runtimes' view of a container, or a bare one.
func (s *Storage) named(runtime, id string) *inspect.Container {
	if c := s.known(id); c != nil {
		return c
	}
	return &inspect.Container{Runtime: runtime, ID: id}
}

// known returns (a copy of) the runtimes' first container with ID id in
// their order, or nil. The index is built once: a label per layer and per
// container looked the list up, which cost O(containers²) on a busy host.
func (s *Storage) known(id string) *inspect.Container {
	s.knownOnce.Do(func() {
		s.knownByID = map[string]*inspect.Container{}
		for _, c := range s.rt.All() {
			if s.knownByID[c.ID] == nil {
				s.knownByID[c.ID] = c
			}
		}
	})
	c := s.knownByID[id]
	if c == nil {
		return nil
	}
	cp := *c
	return &cp
}

// rootOverlay finds the overlay mounted at a process's /: the line of its
// mountinfo with mount point "/" whose device is the one stat of
// /proc/PID/root reports (on a live host), with fstype overlay.
func (s *Storage) rootOverlay(pid int) (*inspect.Mount, error) {
	mounts, err := inspect.ReadMounts(s.root, pid)
	if err != nil {
		if hostfs.IsPermission(err) {
			return nil, &PrivilegeError{Path: s.root.PID(pid, "mountinfo"), Missing: "CAP_SYS_PTRACE (run as root)", Err: err}
		}
		return nil, fmt.Errorf("layers: mounts of PID %d: %w", pid, err)
	}
	dev, haveDev := rootDev(s.root, pid)
	var best *inspect.Mount
	for i := range mounts {
		m := &mounts[i]
		if m.MountPoint != "/" {
			continue
		}
		if haveDev && m.Dev() != dev {
			continue
		}
		best = m // the last mount at "/" is the one on top
	}
	if best == nil || best.FSType != "overlay" {
		fs := "none"
		if best != nil {
			fs = best.FSType
		}
		return nil, fmt.Errorf("%w: PID %d's / is %s", ErrNotOverlay, pid, fs)
	}
	return best, nil
}

// pidSpec is the stack of the overlay at a process's /.
func (s *Storage) pidSpec(pid int) (*stackSpec, *inspect.Mount, error) {
	m, err := s.rootOverlay(pid)
	if err != nil {
		return nil, nil, err
	}
	spec, err := s.mountSpec(m)
	if err != nil {
		return nil, nil, err
	}
	spec.source = "mountinfo of PID " + strconv.Itoa(pid)
	return spec, m, nil
}

// mountSpec turns an overlay mount's options into a stack, naming each
// dir from the store it belongs to.
func (s *Storage) mountSpec(m *inspect.Mount) (*stackSpec, error) {
	o := inspect.OverlayOf(*m)
	spec := &stackSpec{ns: trustedNS, topN: s.opts.TopN}
	s.applyMountOptions(spec, m)
	nRegular := len(o.LowerDirs)
	if v, ok := m.Option("lowerdir"); ok {
		if reg, _, found := strings.Cut(v, "::"); found {
			nRegular = len(splitLower(reg))
		}
	}
	base := s.relativeBase(o)
	abs := func(p string) string {
		if p == "" || path.IsAbs(p) || base == "" {
			return p
		}
		return path.Join(base, p)
	}
	if o.UpperDir != "" {
		spec.layers = append(spec.layers, s.identify(abs(o.UpperDir), RoleUpper))
	}
	for i, d := range o.LowerDirs {
		role := RoleLower
		if i >= nRegular {
			role = RoleData
		}
		spec.layers = append(spec.layers, s.identify(abs(d), role))
	}
	if len(spec.layers) == 0 {
		return nil, fmt.Errorf("layers: overlay mount %d has no layer dirs in its options", m.ID)
	}
	return spec, nil
}

// applyMountOptions takes the xattr namespace and metacopy from a mount.
func (s *Storage) applyMountOptions(spec *stackSpec, m *inspect.Mount) {
	if _, ok := m.Option("userxattr"); ok {
		spec.ns = userNS
	}
	if v, ok := m.Option("metacopy"); ok && v == "on" {
		spec.metacopy = true
	}
}

func splitLower(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ":") {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// relativeBase finds the directory relative lowerdir/upperdir paths are
// relative to: docker mounts with paths relative to its overlay2 dir when
// the absolute ones would not fit a page (l/<A>:l/<B>…, <id>/diff). The
// base is not in mountinfo, so each candidate store is probed for the
// first lower.
func (s *Storage) relativeBase(o *inspect.Overlay) string {
	var rel string
	for _, d := range append([]string{o.UpperDir}, o.LowerDirs...) {
		if d != "" && !path.IsAbs(d) {
			rel = d
			break
		}
	}
	if rel == "" {
		return ""
	}
	var cands []string
	if s.docker != nil {
		cands = append(cands, s.docker.driverDir)
	}
	for _, c := range s.cs {
		cands = append(cands, path.Join(c.graphRoot, "overlay"))
	}
	for _, c := range cands {
		if existsInRoot(s.root, path.Join(c, rel)) {
			return c
		}
	}
	return ""
}

// identify names a layer dir from its path: docker overlay2 (directly or
// through an l/ short link), a containerd snapshot, a containers/storage
// layer, or else a plain mount dir.
func (s *Storage) identify(dir, role string) layerSpec {
	dir = path.Clean(dir)
	ls := layerSpec{Role: role, Layer: Layer{ID: dir, Store: StoreMount, Dir: dir}}
	if d := s.docker; d != nil && strings.HasPrefix(dir, d.driverDir+"/") {
		rest := strings.TrimPrefix(dir, d.driverDir+"/")
		if link, ok := strings.CutPrefix(rest, "l/"); ok && isShortLink(link) {
			if id, ok := readShortLink(s.root, d.driverDir, link); ok {
				rest = id + "/diff"
				ls.Dir = d.layerDir(id)
			}
		}
		if id, ok := strings.CutSuffix(rest, "/diff"); ok && isCacheID(id) {
			ls.ID, ls.Store = id, StoreDocker
			if l := d.byCache[id]; l != nil {
				ls.ChainID, ls.DiffID, ls.StoredSize = l.ChainID, l.DiffID, l.Size
				if role == RoleLower {
					ls.Role = RoleImage
				}
			} else if m := d.mountByDir[id]; m != nil && m.InitID == id && role == RoleLower {
				ls.Role = RoleInit
			}
		}
		return ls
	}
	if m := snapshotDir.FindStringSubmatch(dir); m != nil {
		ls.ID, ls.Store = m[2], StoreContainerd
		if role == RoleLower {
			ls.Role = RoleImage
		}
		ls.ChainID, ls.SnapshotKey = s.snapshotNames(m[1], m[2])
		return ls
	}
	for _, c := range s.cs {
		if !strings.HasPrefix(dir, c.graphRoot+"/overlay/") {
			continue
		}
		rest := strings.TrimPrefix(dir, c.graphRoot+"/overlay/")
		if link, ok := strings.CutPrefix(rest, "l/"); ok && isShortLink(link) {
			if id, ok := readShortLink(s.root, path.Join(c.graphRoot, "overlay"), link); ok {
				rest = id + "/diff"
				ls.Dir = c.layerDir(id)
			}
		}
		if id, ok := strings.CutSuffix(rest, "/diff"); ok && isHexID(id) {
			if l := c.layers[id]; l != nil {
				ls.Layer = c.layer(l)
			} else {
				ls.ID, ls.Store = id, StoreCStorage
			}
			if role == RoleLower {
				ls.Role = RoleImage
			}
		}
		return ls
	}
	return ls
}

// allTargets lists every container and image the stores know, plus the
// running containers of other runtimes by their root mounts, and
// containerd's containers with no process. Each container once, by ID.
func (s *Storage) allTargets() ([]*Target, []string) {
	// The /proc read for running containers overlaps the stores' mount
	// reads below; the call to s.running further down waits for it.
	go s.running()
	var out []*Target
	var warnings []string
	seen := map[string]bool{} // container IDs listed, whatever the runtime
	if d := s.docker; d != nil {
		out, warnings = s.dockerTargets(d, seen)
	}
	for _, c := range s.cs {
		ts, ws := s.csTargets(c, seen)
		out, warnings = append(out, ts...), append(warnings, ws...)
	}
	out = append(out, s.ctrdImageTargets()...)
	ts, ws := s.runningTargets(seen)
	out, warnings = append(out, ts...), append(warnings, ws...)
	// containerd's containers with no process: kubelet's exited ones, say.
	out = append(out, s.ctrdContainerTargets(func(id string) bool { return seen[id] })...)
	return out, warnings
}

// dockerTargets are docker's containers (from layerdb, or from containerd's
// snapshots with the containerd image store) and images.
func (s *Storage) dockerTargets(d *dockerStore, seen map[string]bool) ([]*Target, []string) {
	var out []*Target
	var warnings []string
	for _, id := range slices.Sorted(maps.Keys(d.mounts)) {
		seen[id] = true
		spec, err := s.dockerContainerSpec(d.mounts[id])
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("docker container %s: %v", id[:12], err))
			continue
		}
		out = append(out, s.dockerTarget(id, spec))
	}
	// The containerd image store keeps a container's layers as
	// containerd snapshots, with no layerdb mount.
	unsized := 0
	for _, id := range slices.Sorted(maps.Keys(d.containers)) {
		if d.mounts[id] != nil {
			continue
		}
		if spec := s.dockerSnapshotSpec(id); spec != nil {
			seen[id] = true
			out = append(out, s.dockerTarget(id, spec))
		} else if !d.containers[id].Running {
			unsized++ // a running one is found from its root mount
		}
	}
	if unsized > 0 {
		warnings = append(warnings, fmt.Sprintf("docker: %d stopped containers have neither a layerdb mount nor a containerd snapshot ctx can find: not sized", unsized))
	}
	for _, im := range d.images {
		t, err := s.dockerImageTarget(im)
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("docker image %s: %v", shortDigest(im.ID), err))
			continue
		}
		out = append(out, t)
	}
	return out, warnings
}

// csTargets are containers/storage's containers and images.
func (s *Storage) csTargets(c *cStorage, seen map[string]bool) ([]*Target, []string) {
	var out []*Target
	var warnings []string
	for _, id := range slices.Sorted(maps.Keys(c.containers)) {
		spec, err := s.csContainerSpec(c, c.containers[id])
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("containers/storage container %s: %v", shortDigest(id), err))
			continue
		}
		out = append(out, &Target{Kind: "container", Container: c.named(s, id), spec: spec, imageID: c.containers[id].Image})
		seen[id] = true
	}
	for _, im := range c.images {
		chain, err := c.chain(im.Layer)
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("containers/storage image %s: %v", shortDigest(im.ID), err))
			continue
		}
		spec := &stackSpec{source: "layers.json", ns: trustedNS}
		for _, l := range chain {
			spec.layers = append(spec.layers, layerSpec{Role: RoleImage, Layer: c.layer(l)})
		}
		img := &Image{ID: im.ID, Names: im.Names, Store: StoreCStorage}
		if c.owner != nil {
			img.User = c.owner.user
		}
		out = append(out, &Target{Kind: "image", Image: img, spec: spec})
	}
	return out, warnings
}

// runningTargets are the running containers no store listed, from their
// root mounts: other runtimes', and docker's without a layerdb mount.
func (s *Storage) runningTargets(seen map[string]bool) ([]*Target, []string) {
	var out []*Target
	var warnings []string
	running, err := s.running()
	if err != nil {
		warnings = append(warnings, "listing running containers: "+err.Error())
	}
	for _, it := range running {
		c := it.Container
		if seen[c.ID] {
			continue
		}
		spec, mt, err := s.pidSpec(it.PID)
		if err != nil {
			if !errors.Is(err, ErrNotOverlay) && !hostfs.IsGone(err) {
				warnings = append(warnings, fmt.Sprintf("%s: %v", c.Label(), err))
			}
			continue
		}
		t := &Target{Kind: "container", Container: c, PID: it.PID, PIDs: it.PIDs, spec: spec, rootMount: mt}
		if c.Runtime == "docker" && s.docker != nil {
			t.dockerC = s.docker.containers[c.ID] // its logs and volumes
		}
		out = append(out, t)
		seen[c.ID] = true
	}
	return out, warnings
}
