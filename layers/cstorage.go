package layers

import (
	"encoding/json"
	"path"
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
	// partial: a metadata file could not be read or parsed, so a layer
	// dir none names may still be in use (orphans skips the store).
	partial bool
	// ns is the overlay xattr namespace of its mounts: trusted.overlay.,
	// user.overlay. in a rootless store, or fuseNS where fuse-overlayfs
	// mounts them (a mount_program).
	ns string
	// owner is the user of a rootless store (nil for a rootful one),
	// whose home confines every open in it.
	owner *storeOwner
}

// storeOwner is the user of a rootless store.
type storeOwner struct {
	user string
	uid  uint32
	home string
	// base confines the store: the dir below which the user controls
	// the path (the home dir, by default).
	base string
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

// layerDir is the host path of a layer's contents.
func (s *cStorage) layerDir(id string) string { return path.Join(s.graphRoot, "overlay", id, "diff") }

// chain returns layer id and its parents, top first.
func (s *cStorage) chain(id string) ([]*csLayer, error) {
	return parentChain(id, "layers.json", s.layers, func(l *csLayer) string { return l.Parent })
}
