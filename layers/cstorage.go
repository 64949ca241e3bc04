package layers

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"

	"github.com/ctx-tools/ctx/inspect"
	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// containers/storage (Podman, CRI-O, Buildah), in the rootful graphroots
// that storage.conf and CRI-O's config name (inspect.ContainersStorages);
// see
// ../shared/notes/layers.md §4.3:
//
//	overlay/<id>/{diff,link,lower,work,merged}, overlay/l/
//	overlay-layers/layers.json, volatile-layers.json
//	overlay-images/images.json
//	overlay-containers/containers.json, volatile-containers.json

type csLayer struct {
	ID         string   `json:"id"`
	Parent     string   `json:"parent"`
	Names      []string `json:"names"`
	DiffDigest string   `json:"diff-digest"`
	DiffSize   *int64   `json:"diff-size"`
}

type csImage struct {
	ID    string   `json:"id"`
	Names []string `json:"names"`
	Layer string   `json:"layer"`
}

type csContainer struct {
	ID    string   `json:"id"`
	Names []string `json:"names"`
	Image string   `json:"image"`
	Layer string   `json:"layer"`
}

// cStorage is what containers/storage's JSON files say about layers.
type cStorage struct {
	graphRoot string
	// metacopy: the overlay driver mounts with metacopy=on, so stopped
	// containers' stacks are read as such too.
	metacopy   bool
	layers     map[string]*csLayer
	images     []*csImage
	containers map[string]*csContainer
	warnings   []string
}

// parseCSLayers parses layers.json or volatile-layers.json.
func parseCSLayers(data []byte) ([]*csLayer, error) {
	var list []*csLayer
	if err := json.Unmarshal(data, &list); err != nil {
		return nil, err
	}
	out := list[:0]
	for _, l := range list {
		if l != nil && isHexID(l.ID) {
			out = append(out, l)
		}
	}
	return out, nil
}

// loadCStorages reads every containers/storage store of the host: one
// per graphroot that storage.conf or CRI-O's config names and that has an
// overlay dir.
func loadCStorages(root hostfs.Root) ([]*cStorage, []string, error) {
	confs, errs := inspect.ContainersStorages(root)
	var warnings []string
	for _, err := range errs {
		warnings = append(warnings, err.Error())
	}
	var out []*cStorage
	seen := map[string]bool{}
	for _, conf := range confs {
		if seen[conf.GraphRoot] {
			continue
		}
		seen[conf.GraphRoot] = true
		cs, err := loadCStorage(root, conf)
		if err != nil {
			return nil, nil, err
		}
		if cs != nil {
			out = append(out, cs)
		}
	}
	return out, warnings, nil
}

// loadCStorage reads the store at conf's graphroot; nil when it has no
// overlay dir.
func loadCStorage(root hostfs.Root, conf inspect.StorageConf) (*cStorage, error) {
	s := &cStorage{graphRoot: conf.GraphRoot, metacopy: conf.Metacopy(), layers: map[string]*csLayer{}, containers: map[string]*csContainer{}}
	if _, err := inspect.ReadStateDir(root, path.Join(s.graphRoot, "overlay")); err != nil {
		switch {
		case errors.Is(err, os.ErrNotExist):
			return nil, nil
		case hostfs.IsPermission(err):
			return nil, &PrivilegeError{Path: path.Join(s.graphRoot, "overlay"), Missing: "root (CAP_DAC_READ_SEARCH)", Err: err}
		}
		return nil, fmt.Errorf("layers: containers/storage %q: %w", s.graphRoot, err)
	}
	if conf.MountProgram != "" {
		s.warnings = append(s.warnings, fmt.Sprintf("containers/storage mounts its layers with %s (%s), not the kernel's overlay: ctx reads them as the kernel's, so hidden bytes and diffs may be off",
			conf.MountProgram, conf.File))
	}
	read := func(p string) []byte {
		b, err := inspect.ReadStateFile(root, p)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			s.warnings = append(s.warnings, fmt.Sprintf("containers/storage: reading %q: %v", p, err))
		}
		return b
	}
	for _, f := range []string{"layers.json", "volatile-layers.json"} {
		p := path.Join(s.graphRoot, "overlay-layers", f)
		if b := read(p); b != nil {
			list, err := parseCSLayers(b)
			if err != nil {
				s.warnings = append(s.warnings, fmt.Sprintf("containers/storage: %q: %v", p, err))
			}
			for _, l := range list {
				s.layers[l.ID] = l
			}
		}
	}
	if b := read(path.Join(s.graphRoot, "overlay-images", "images.json")); b != nil {
		if err := json.Unmarshal(b, &s.images); err != nil {
			s.warnings = append(s.warnings, fmt.Sprintf("containers/storage: images.json: %v", err))
		}
	}
	for _, f := range []string{"containers.json", "volatile-containers.json"} {
		if b := read(path.Join(s.graphRoot, "overlay-containers", f)); b != nil {
			var list []*csContainer
			if err := json.Unmarshal(b, &list); err != nil {
				s.warnings = append(s.warnings, fmt.Sprintf("containers/storage: %s: %v", f, err))
			}
			for _, c := range list {
				if c != nil && c.ID != "" {
					s.containers[c.ID] = c
				}
			}
		}
	}
	return s, nil
}

// layerDir is the host path of a layer's contents.
func (s *cStorage) layerDir(id string) string { return path.Join(s.graphRoot, "overlay", id, "diff") }

// chain returns layer id and its parents, top first.
func (s *cStorage) chain(id string) ([]*csLayer, error) {
	var out []*csLayer
	for id != "" {
		l := s.layers[id]
		if l == nil {
			return out, fmt.Errorf("layer %s is missing from layers.json", shortDigest(id))
		}
		out = append(out, l)
		if len(out) > 1000 {
			return out, errors.New("layers.json parent chain loops")
		}
		id = l.Parent
	}
	return out, nil
}
