package layers

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/ctx-tools/ctx/inspect"
	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// Docker's overlay2 layout (moby daemon/graphdriver/overlay2 and
// layer/filestore.go); see ../shared/notes/layers.md §4.1:
//
//	overlay2/l/<26 chars> -> ../<id>/diff
//	overlay2/<id>/{diff/,link,lower,work/,merged/,committed}
//	image/overlay2/layerdb/sha256/<ChainID>/{cache-id,diff,size,parent}
//	image/overlay2/layerdb/mounts/<container-id>/{mount-id,init-id,parent}
//	image/overlay2/imagedb/content/sha256/<image-id>   (rootfs.diff_ids)
//	image/overlay2/repositories.json

// dockerLayer is one layerdb/sha256/<ChainID> record: an image layer.
type dockerLayer struct {
	ChainID string
	DiffID  string
	CacheID string // the overlay2/<id> dir
	Parent  string // parent ChainID, "" for a base layer
	// Size is layerdb's recorded size: apparent bytes of the layer's tar,
	// as extracted (dense).
	Size *int64
}

// dockerMount is one layerdb/mounts/<container-id> record: a container's
// writable layer and its init layer.
type dockerMount struct {
	ContainerID string
	MountID     string
	InitID      string
	Parent      string // ChainID of the image's top layer
}

// dockerImage is one image of imagedb.
type dockerImage struct {
	ID      string // sha256:…
	Names   []string
	DiffIDs []string
	Chain   []string // ChainIDs, base first
}

// dockerContainer is the part of containers/<id>/config.v2.json layers
// needs: names, image, log file and volumes.
type dockerContainer struct {
	ID      string
	Name    string
	Image   string // image ID
	LogPath string
	Running bool
	Pid     int
	Mounts  []dockerMountPoint
}

type dockerMountPoint struct {
	Destination string
	Source      string
	Name        string
	Driver      string
	Type        string
}

// dockerStore is what Docker's data root says about layers.
type dockerStore struct {
	root      hostfs.Root
	dataRoot  string
	driverDir string // <data-root>/overlay2
	// noDriver: there is no overlay2 dir (the containerd image store);
	// only containers, logs and volumes are docker's own.
	noDriver   bool
	layers     map[string]*dockerLayer
	byCache    map[string]*dockerLayer
	mounts     map[string]*dockerMount
	mountByDir map[string]*dockerMount // by mount-id and init-id
	images     []*dockerImage
	containers map[string]*dockerContainer
	warnings   []string
}

// chainIDs computes ChainIDs from DiffIDs, base first: ChainID(1) =
// DiffID(1), ChainID(n) = sha256(ChainID(n-1) + " " + DiffID(n))
// (OCI image-spec config.md).
func chainIDs(diffIDs []string) []string {
	out := make([]string, 0, len(diffIDs))
	for i, d := range diffIDs {
		if i == 0 {
			out = append(out, d)
			continue
		}
		sum := sha256.Sum256([]byte(out[i-1] + " " + d))
		out = append(out, "sha256:"+hex.EncodeToString(sum[:]))
	}
	return out
}

// parseImageConfig reads rootfs.diff_ids of an image config.
func parseImageConfig(data []byte) ([]string, error) {
	var c struct {
		RootFS struct {
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, err
	}
	for _, d := range c.RootFS.DiffIDs {
		if !isDigest(d) {
			return nil, fmt.Errorf("bad diff_id %q", d)
		}
	}
	return c.RootFS.DiffIDs, nil
}

// parseRepositories maps image IDs to their names from repositories.json.
func parseRepositories(data []byte) (map[string][]string, error) {
	var r struct {
		Repositories map[string]map[string]string
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, tags := range r.Repositories {
		for name, id := range tags {
			if strings.Contains(name, "@sha256:") {
				continue // digest references repeat a tag
			}
			out[id] = append(out[id], name)
		}
	}
	for id := range out {
		sort.Strings(out[id])
	}
	return out, nil
}

// parseDockerContainer parses config.v2.json.
func parseDockerContainer(data []byte) (*dockerContainer, error) {
	var c struct {
		ID      string
		Name    string
		Image   string
		LogPath string
		State   struct {
			Running bool
			Pid     int
		}
		MountPoints map[string]struct {
			Source      string
			Destination string
			Name        string
			Driver      string
			Type        string
		}
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, err
	}
	if !isHexID(c.ID) {
		return nil, fmt.Errorf("bad container ID %q", c.ID)
	}
	dc := &dockerContainer{ID: c.ID, Name: strings.TrimPrefix(c.Name, "/"), Image: c.Image,
		LogPath: c.LogPath, Running: c.State.Running, Pid: c.State.Pid}
	for _, m := range c.MountPoints {
		dc.Mounts = append(dc.Mounts, dockerMountPoint{Destination: m.Destination, Source: m.Source,
			Name: m.Name, Driver: m.Driver, Type: m.Type})
	}
	sort.Slice(dc.Mounts, func(i, j int) bool { return dc.Mounts[i].Destination < dc.Mounts[j].Destination })
	return dc, nil
}

// trimLine is a one-line state file's value.
func trimLine(b []byte) string { return strings.TrimSpace(string(b)) }

// loadDocker reads Docker's layer metadata. It returns (nil, nil) when
// there is no overlay2 store, and a PrivilegeError when the data root is
// unreadable for lack of privilege.
func loadDocker(root hostfs.Root) (*dockerStore, error) {
	dataRoot, err := inspect.DockerDataRoot(root)
	s := &dockerStore{root: root, dataRoot: dataRoot, driverDir: path.Join(dataRoot, "overlay2"),
		layers: map[string]*dockerLayer{}, byCache: map[string]*dockerLayer{}, mounts: map[string]*dockerMount{},
		mountByDir: map[string]*dockerMount{}, containers: map[string]*dockerContainer{}}
	if err != nil {
		s.warnings = append(s.warnings, "docker: "+err.Error())
	}
	if _, err := inspect.ReadStateDir(root, s.driverDir); err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			return nil, storeError(s.driverDir, err)
		}
		// No overlay2 graph driver: with the containerd image store
		// (the default of new Docker 29 installs) the layers are
		// containerd snapshots, while containers, logs and volumes stay
		// in the data root.
		cdir := path.Join(dataRoot, "containers")
		if _, err := inspect.ReadStateDir(root, cdir); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, nil
			}
			return nil, storeError(cdir, err)
		}
		s.noDriver = true
		s.loadContainers(cdir)
		return s, nil
	}
	meta := path.Join(dataRoot, "image", "overlay2")
	s.loadLayerDB(path.Join(meta, "layerdb"))
	s.loadImages(meta)
	s.loadContainers(path.Join(dataRoot, "containers"))
	return s, nil
}

// storeError is the error for a docker store dir that cannot be listed.
func storeError(dir string, err error) error {
	if hostfs.IsPermission(err) {
		return &PrivilegeError{Path: dir, Missing: "root (CAP_DAC_READ_SEARCH)", Err: err}
	}
	return fmt.Errorf("layers: docker storage %q: %w", dir, err)
}

func (s *dockerStore) warn(format string, args ...any) {
	s.warnings = append(s.warnings, "docker: "+fmt.Sprintf(format, args...))
}

func (s *dockerStore) read(p string) ([]byte, bool) {
	data, err := inspect.ReadStateFile(s.root, p)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			s.warn("reading %q: %v", p, err)
		}
		return nil, false
	}
	return data, true
}

func (s *dockerStore) list(p string) []string {
	names, err := inspect.ReadStateDir(s.root, p)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			s.warn("listing %q: %v", p, err)
		}
		return nil
	}
	sort.Strings(names)
	return names
}

func (s *dockerStore) loadLayerDB(db string) {
	for _, name := range s.list(path.Join(db, "sha256")) {
		if !isHexID(name) {
			continue
		}
		dir := path.Join(db, "sha256", name)
		l := &dockerLayer{ChainID: "sha256:" + name}
		b, ok := s.read(path.Join(dir, "cache-id"))
		if !ok || !isCacheID(trimLine(b)) {
			continue // being written, or not an overlay2 layer
		}
		l.CacheID = trimLine(b)
		if b, ok := s.read(path.Join(dir, "diff")); ok && isDigest(trimLine(b)) {
			l.DiffID = trimLine(b)
		}
		if b, ok := s.read(path.Join(dir, "parent")); ok && isDigest(trimLine(b)) {
			l.Parent = trimLine(b)
		}
		if b, ok := s.read(path.Join(dir, "size")); ok {
			if n, err := strconv.ParseInt(trimLine(b), 10, 64); err == nil {
				l.Size = &n
			}
		}
		s.layers[l.ChainID] = l
		s.byCache[l.CacheID] = l
	}
	for _, cid := range s.list(path.Join(db, "mounts")) {
		if !isHexID(cid) {
			continue
		}
		dir := path.Join(db, "mounts", cid)
		m := &dockerMount{ContainerID: cid}
		if b, ok := s.read(path.Join(dir, "mount-id")); ok && isCacheID(trimLine(b)) {
			m.MountID = trimLine(b)
		}
		if m.MountID == "" {
			continue
		}
		if b, ok := s.read(path.Join(dir, "init-id")); ok && isCacheID(trimLine(b)) {
			m.InitID = trimLine(b)
		}
		if b, ok := s.read(path.Join(dir, "parent")); ok && isDigest(trimLine(b)) {
			m.Parent = trimLine(b)
		}
		s.mounts[cid] = m
		s.mountByDir[m.MountID] = m
		if m.InitID != "" {
			s.mountByDir[m.InitID] = m
		}
	}
}

func (s *dockerStore) loadImages(meta string) {
	names := map[string][]string{}
	if b, ok := s.read(path.Join(meta, "repositories.json")); ok {
		if n, err := parseRepositories(b); err == nil {
			names = n
		} else {
			s.warn("repositories.json: %v", err)
		}
	}
	dir := path.Join(meta, "imagedb", "content", "sha256")
	for _, name := range s.list(dir) {
		if !isHexID(name) {
			continue
		}
		b, ok := s.read(path.Join(dir, name))
		if !ok {
			continue
		}
		diffs, err := parseImageConfig(b)
		if err != nil {
			s.warn("image %s: %v", name[:12], err)
			continue
		}
		id := "sha256:" + name
		s.images = append(s.images, &dockerImage{ID: id, Names: names[id], DiffIDs: diffs, Chain: chainIDs(diffs)})
	}
}

func (s *dockerStore) loadContainers(dir string) {
	for _, id := range s.list(dir) {
		if !isHexID(id) {
			continue
		}
		b, ok := s.read(path.Join(dir, id, "config.v2.json"))
		if !ok {
			continue
		}
		c, err := parseDockerContainer(b)
		if err != nil {
			s.warn("container %s: %v", id[:12], err)
			continue
		}
		s.containers[id] = c
	}
}

// layerDir is the host path of an overlay2 dir's contents.
func (s *dockerStore) layerDir(cacheID string) string {
	return path.Join(s.driverDir, cacheID, "diff")
}

// imageChain returns the image layers of chain top (a ChainID), top first.
func (s *dockerStore) imageChain(top string) ([]*dockerLayer, error) {
	return parentChain(top, "layerdb", s.layers, func(l *dockerLayer) string { return l.Parent })
}

// maxChain bounds a parent chain: the metadata is data, and a loop in it
// must end the walk (no image has anywhere near this many layers).
const maxChain = 1000

// parentChain follows the parent links of a store's layers from top: the
// layers top first, and with what was found, an error for a layer source
// does not hold or a chain that loops.
func parentChain[L any](top, source string, layers map[string]L, parent func(L) string) ([]L, error) {
	var out []L
	for id := top; id != ""; {
		l, ok := layers[id]
		if !ok {
			return out, fmt.Errorf("layer %s is missing from %s", shortDigest(id), source)
		}
		out = append(out, l)
		if len(out) > maxChain {
			return out, fmt.Errorf("%s parent chain loops", source)
		}
		id = parent(l)
	}
	return out, nil
}

// image finds an image by ID, ID prefix or name.
func (s *dockerStore) image(ref string) (*dockerImage, error) {
	var hits []*dockerImage
	want := strings.TrimPrefix(ref, "sha256:")
	for _, im := range s.images {
		id := strings.TrimPrefix(im.ID, "sha256:")
		if id == want {
			return im, nil
		}
		for _, n := range im.Names {
			if n == ref || n == ref+":latest" {
				return im, nil
			}
		}
		if len(want) >= 4 && strings.HasPrefix(id, want) {
			hits = append(hits, im)
		}
	}
	if len(hits) == 1 {
		return hits[0], nil
	}
	if len(hits) > 1 {
		return nil, fmt.Errorf("image %q is ambiguous", ref)
	}
	return nil, nil
}

// imageByID returns the image with this ID.
func (s *dockerStore) imageByID(id string) *dockerImage {
	for _, im := range s.images {
		if im.ID == id {
			return im
		}
	}
	return nil
}

// resolveShortLink maps an overlay2 l/<link> name to its overlay2 dir id
// by reading the link, which must point at ../<id>/diff.
func resolveShortLink(target string) (string, bool) {
	rest, ok := strings.CutPrefix(target, "../")
	id, ok2 := strings.CutSuffix(rest, "/diff")
	if !ok || !ok2 || !isCacheID(id) {
		return "", false
	}
	return id, true
}

func shortDigest(d string) string {
	h := strings.TrimPrefix(d, "sha256:")
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
