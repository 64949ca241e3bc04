package layers

import (
	"sort"
	"strings"

	"github.com/ctx-tools/ctx/inspect/boltfile"
)

// containerd's images, from its metadata store (io.containerd.metadata.v1.
// bolt/meta.db): v1/<namespace>/images/<ref>/target/digest names a
// manifest or index, and the garbage collector's labels on the content
// blobs (v1/<namespace>/content/blob/<digest>/labels) link an index to its
// manifests, a manifest to its config, and a config to the top snapshot
// the overlayfs snapshotter unpacked it into. No blob is read.
const (
	labelSnapshot = "containerd.io/gc.ref.snapshot.overlayfs"
	labelConfig   = "containerd.io/gc.ref.content.config"
	labelManifest = "containerd.io/gc.ref.content.m."
)

// ctrdImage is one image of a containerd namespace, unpacked.
type ctrdImage struct {
	Namespace string
	Ref       string
	Config    string // the config's digest: the image ID crictl shows
	// TopKey is the snapshotter key ("<ns>/<n>/<chainID>") of the image's
	// top layer.
	TopKey string
}

// ctrdImagesOf lists the unpacked images of every namespace of meta.db,
// sorted by namespace and ref. Images not unpacked for the overlayfs
// snapshotter (pulled for another platform, say) are left out.
func ctrdImagesOf(db *boltfile.DB) ([]*ctrdImage, error) {
	v1, err := db.Root().Bucket("v1")
	if err != nil || v1 == nil {
		return nil, err
	}
	namespaces, err := v1.Buckets()
	if err != nil {
		return nil, err
	}
	var out []*ctrdImage
	for _, name := range namespaces {
		ns, err := v1.Bucket(name)
		if err != nil {
			return nil, err
		}
		imgs, err := ns.Bucket("images")
		if err != nil {
			return nil, err
		}
		if imgs == nil {
			continue
		}
		refs, err := imgs.Buckets()
		if err != nil {
			return nil, err
		}
		for _, ref := range refs {
			digest, _, err := getIn(imgs, "digest", ref, "target")
			if err != nil {
				return nil, err
			}
			config, chain := unpacked(ns, string(digest), 0)
			if chain == "" {
				continue
			}
			key, _, _ := getIn(ns, "name", "snapshots", "overlayfs", chain)
			if key == nil {
				continue
			}
			out = append(out, &ctrdImage{Namespace: name, Ref: ref, Config: config, TopKey: string(key)})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Namespace != out[j].Namespace {
			return out[i].Namespace < out[j].Namespace
		}
		return out[i].Ref < out[j].Ref
	})
	return out, nil
}

// unpacked follows the content labels from digest (an index, a manifest
// or a config) to the config and its unpacked top snapshot's ChainID; ""
// when there is none. An index's first unpacked manifest wins: the one
// for this host's platform, as only that one is unpacked.
func unpacked(ns *boltfile.Bucket, digest string, depth int) (config, chain string) {
	if depth > 3 || digest == "" {
		return "", ""
	}
	labels, err := ns.Bucket("content", "blob", digest, "labels")
	if err != nil || labels == nil {
		return "", ""
	}
	if v, _, _ := labels.Get(labelSnapshot); v != nil {
		return digest, string(v)
	}
	if v, _, _ := labels.Get(labelConfig); v != nil {
		return unpacked(ns, string(v), depth+1)
	}
	var manifests []string
	labels.ForEach(func(k, v []byte, nested *boltfile.Bucket) error {
		if nested == nil && strings.HasPrefix(string(k), labelManifest) {
			manifests = append(manifests, string(v))
		}
		return nil
	})
	for _, m := range manifests {
		if config, chain := unpacked(ns, m, depth+1); chain != "" {
			return config, chain
		}
	}
	return "", ""
}

// getIn is the value of key in the bucket at path below b.
func getIn(b *boltfile.Bucket, key string, path ...string) ([]byte, *boltfile.Bucket, error) {
	nb, err := b.Bucket(path...)
	if err != nil || nb == nil {
		return nil, nil, err
	}
	return nb.Get(key)
}

// matchesRef reports whether spec names containerd image ref: the whole
// ref, or without docker.io/ (and library/), with :latest implied.
func matchesRef(ref, spec string) bool {
	for _, r := range []string{ref, strings.TrimPrefix(ref, "docker.io/"), strings.TrimPrefix(ref, "docker.io/library/")} {
		if r == spec || r == spec+":latest" {
			return true
		}
	}
	return false
}
