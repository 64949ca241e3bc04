//go:build linux

package layers

import (
	"context"
	"slices"
	"sort"
	"strings"

	"github.com/ctx-tools/ctx/inspect"
)

// refs records which images and containers use each layer dir. Images
// are the image targets themselves: the same image ID in two stores (a
// docker image and its copy in containerd or Podman) is two images.
type refs struct {
	images     map[string][]*Image // dir -> images
	containers map[string][]string // dir -> container keys
	imageOf    map[string]*Image   // container key -> its image
}

func (s *Storage) refsOf(targets []*Target) *refs {
	r := &refs{images: map[string][]*Image{}, containers: map[string][]string{}, imageOf: map[string]*Image{}}
	for _, t := range targets {
		if t.spec == nil {
			continue
		}
		for _, l := range t.spec.layers {
			switch {
			case t.Image != nil:
				if !slices.Contains(r.images[l.Dir], t.Image) {
					r.images[l.Dir] = append(r.images[l.Dir], t.Image)
				}
			case !slices.Contains(r.containers[l.Dir], t.key()):
				r.containers[l.Dir] = append(r.containers[l.Dir], t.key())
			}
		}
		if t.Container != nil {
			if im := imageOf(targets, t); im != nil {
				r.imageOf[t.key()] = im
			}
		}
	}
	return r
}

// imageOf finds container target t's image: an image target whose top
// layer is the first image layer of t's stack (so of t's own store, even
// where two stores hold the same image ID), with the ID t's store records,
// else named by the ref t's runtime gives (containerd's, CRI's).
func imageOf(targets []*Target, t *Target) *Image {
	c, id := t.Container, t.imageID
	if id == "" && t.dockerC != nil {
		id = t.dockerC.Image
	}
	top := ""
	if t.spec != nil {
		for _, l := range t.spec.layers {
			if l.Role == RoleImage {
				top = l.Dir
				break
			}
		}
	}
	if top == "" || id == "" && c.Image == "" {
		return nil
	}
	for _, it := range targets {
		im := it.Image
		switch {
		case im == nil || it.spec == nil || len(it.spec.layers) == 0 || it.spec.layers[0].Dir != top:
		case id != "":
			if im.ID == id {
				return im
			}
		case slices.ContainsFunc(im.Names, func(n string) bool { return matchesRef(n, c.Image) }):
			return im
		}
	}
	return nil
}

// Du computes the disk usage of targets: each container's writable layer,
// its image layers split into unique and shared, hidden bytes, logs,
// volumes and deleted-but-open files; each image's size. Every layer dir
// is walked once however many targets share it.
func (s *Storage) Du(ctx context.Context, targets []*Target) (*Report, error) {
	all, warnings := s.allTargets()
	r := s.refsOf(all)
	rep, err := s.du(ctx, targets, r)
	if rep != nil {
		rep.Warnings = append(warnings, rep.Warnings...)
	}
	return rep, err
}

func (s *Storage) du(ctx context.Context, targets []*Target, r *refs) (*Report, error) {
	rep := &Report{Containers: []*ContainerUsage{}, Images: []*ImageUsage{}, Layers: []*LayerUsage{}}
	nodes := make([][]*layerNode, len(targets))
	for i, t := range targets {
		nodes[i] = s.scan.add(t.spec)
	}
	extra := s.extras(ctx, targets)
	err := s.scan.walk(ctx)
	extra.finish()
	if err != nil {
		return nil, err
	}
	running := s.runningPIDs()
	for i, t := range targets {
		st := s.scan.stack(t.spec, nodes[i])
		if t.Image != nil {
			rep.Images = append(rep.Images, s.imageUsage(t, st, r))
			continue
		}
		rep.Containers = append(rep.Containers, s.containerUsage(t, st, nodes[i], r, extra, running))
	}
	rep.Layers = s.layerUsages(targets, nodes, r)
	rep.Total = s.total(targets, extra)
	rep.Warnings = append(rep.Warnings, extra.warnings...)
	return rep, nil
}

func (s *Storage) containerUsage(t *Target, st *Stack, nodes []*layerNode, r *refs, x *extras, running map[string][]int) *ContainerUsage {
	cu := &ContainerUsage{Label: t.Label(), Container: t.Container, Stack: st, PIDs: t.PIDs, TopFiles: []File{},
		Logs: []File{}, Volumes: []Volume{}, DeletedOpen: []OpenFile{}}
	self := t.key()
	if len(cu.PIDs) == 0 {
		cu.PIDs = running[self]
	}
	image := r.imageOf[self]
	if image != nil {
		cu.ImageID = image.ID
	}
	for i, l := range st.Layers {
		u := l.Usage
		if u == nil {
			continue
		}
		cu.Incomplete = cu.Incomplete || u.Incomplete
		switch l.Role {
		case RoleUpper:
			cu.Writable.Add(u.Sizes)
			cu.Whiteouts += u.Whiteouts
			cu.OpaqueDirs += u.OpaqueDirs
			if nodes[i].top != nil {
				cu.TopFiles = nodes[i].top
			}
		case RoleInit:
			cu.Init.Add(u.Sizes)
		default:
			if s.onlyUsers(l.Dir, r, self, image) {
				cu.ImageUnique.Add(u.Sizes)
			} else {
				cu.ImageShared.Add(u.Sizes)
			}
		}
	}
	cu.Hidden = st.Hidden
	if e := x.byContainer[self]; e != nil {
		cu.Logs, cu.LogBytes = e.logs, e.logBytes
		cu.Volumes, cu.VolumeBytes = e.volumes, e.volumeBytes
		cu.DeletedOpen, cu.DeletedOpenBytes = e.open, e.openBytes
	}
	for _, c := range []Sizes{cu.Writable, cu.Init, cu.ImageUnique, cu.ImageShared, cu.LogBytes, cu.VolumeBytes, cu.DeletedOpenBytes} {
		cu.Total.Add(c)
	}
	for _, c := range []Sizes{cu.Writable, cu.Init, cu.LogBytes, cu.DeletedOpenBytes} {
		cu.FreedIfRemoved.Add(c)
	}
	for _, v := range cu.Volumes {
		if v.Anonymous && v.Usage != nil {
			cu.FreedIfRemoved.Add(v.Usage.Sizes)
		}
	}
	return cu
}

// onlyUsers reports whether a layer dir is used by nothing but container
// self and its image.
func (s *Storage) onlyUsers(dir string, r *refs, self string, image *Image) bool {
	for _, c := range r.containers[dir] {
		if c != self {
			return false
		}
	}
	for _, im := range r.images[dir] {
		if im != image {
			return false
		}
	}
	return true
}

func (s *Storage) imageUsage(t *Target, st *Stack, r *refs) *ImageUsage {
	iu := &ImageUsage{Image: t.Image, Stack: st, Hidden: st.Hidden}
	for _, l := range st.Layers {
		if l.Usage == nil {
			continue
		}
		iu.Size.Add(l.Usage.Sizes)
		if len(r.images[l.Dir]) <= 1 {
			iu.Unique.Add(l.Usage.Sizes)
		} else {
			iu.Shared.Add(l.Usage.Sizes)
		}
	}
	for _, im := range r.imageOf {
		if im == t.Image {
			iu.Containers++
		}
	}
	return iu
}

// layerUsages lists each layer dir of the targets once.
func (s *Storage) layerUsages(targets []*Target, nodes [][]*layerNode, r *refs) []*LayerUsage {
	seen := map[string]*LayerUsage{}
	var out []*LayerUsage
	for i, t := range targets {
		for k, n := range nodes[i] {
			dir := n.layer.Dir
			lu := seen[dir]
			if lu == nil {
				lu = &LayerUsage{Layer: *n.layer, Kind: "image", Images: []string{}, Containers: []string{}}
				for _, h := range n.hides {
					lu.Hides.Add(h.Sizes)
				}
				switch t.spec.layers[k].Role {
				case RoleUpper, RoleInit:
					lu.Kind = "container"
				}
				for _, im := range r.images[dir] {
					lu.Images = append(lu.Images, shortDigest(im.ID))
				}
				for _, c := range r.containers[dir] {
					lu.Containers = append(lu.Containers, s.containerLabel(c))
				}
				sort.Strings(lu.Images)
				sort.Strings(lu.Containers)
				seen[dir] = lu
				out = append(out, lu)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Dir < out[j].Dir })
	return out
}

func (s *Storage) containerLabel(id string) string {
	if c := s.known(id); c != nil {
		return c.Label()
	}
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// runningPIDs maps container IDs to their processes.
func (s *Storage) runningPIDs() map[string][]int {
	out := map[string][]int{}
	list, _ := s.running()
	for _, t := range list {
		out[t.Container.ID] = t.PIDs
	}
	return out
}

// running lists the containers with processes, once per Storage: it reads
// every process's cgroup file. Concurrent callers wait for the one read.
func (s *Storage) running() ([]*inspect.Target, error) {
	s.runningOnce.Do(func() {
		s.runningList, s.runningErr = s.rt.RunningContainers()
	})
	return s.runningList, s.runningErr
}

// total counts every layer dir, log, volume and open file of the report
// once, hard links across dirs included.
func (s *Storage) total(targets []*Target, x *extras) Sizes {
	var tot Sizes
	seen := map[string]bool{}
	global := map[devIno]bool{}
	count := func(n *layerNode) {
		if n.layer.Usage == nil || seen[n.layer.Dir] {
			return
		}
		n = s.scan.counted[n.layer.Dir]
		seen[n.layer.Dir] = true
		tot.Add(n.layer.Usage.Sizes)
		if n.links != nil {
			n.links.each(func(k devIno, sz Sizes) {
				if global[k] {
					tot.Sub(sz)
				}
				global[k] = true
			})
		}
	}
	for _, t := range targets {
		for i := range t.spec.layers {
			key := t.spec.key(i)
			if t.spec.layers[i].Role == RoleData {
				key = t.spec.ns + "\x00data\x00" + t.spec.layers[i].Dir
			}
			if n := s.scan.nodes[key]; n != nil {
				count(n)
			}
		}
	}
	for _, e := range x.byContainer {
		tot.Add(e.logBytes)
		tot.Add(e.openBytes)
		for _, v := range e.volumes {
			if v.Usage == nil || seen["volume\x00"+v.Source] {
				continue
			}
			seen["volume\x00"+v.Source] = true
			tot.Add(v.Usage.Sizes)
		}
	}
	return tot
}

// containerExtras is what a container uses besides its layers.
type containerExtras struct {
	logs        []File
	logBytes    Sizes
	volumes     []Volume
	volumeBytes Sizes
	open        []OpenFile
	openBytes   Sizes
}

type extras struct {
	byContainer map[string]*containerExtras
	warnings    []string // written by the background reads until done
	volumeNodes map[string]*layerNode
	done        chan struct{}
}

// isAnonymousVolume reports docker's anonymous volume names: 64 hex.
func isAnonymousVolume(name string) bool { return isHexID(name) }

func volumeLabel(v Volume) string {
	if v.Name != "" {
		return v.Name
	}
	return strings.TrimSpace(v.Source)
}
