package layers

import (
	"strings"

	"github.com/ctx-tools/ctx/inspect/boltfile"
)

// containerd's images and containers, from its metadata store
// (io.containerd.metadata.v1.bolt/meta.db). v1/<namespace>/images/<ref>/
// target/digest names a manifest or index, and the garbage collector's
// labels on the content blobs (v1/<namespace>/content/blob/<digest>/labels)
// link an index to its manifests, a manifest to its config, and a config
// to the top snapshot the overlayfs snapshotter unpacked it into; no blob
// is read. v1/<namespace>/containers/<id> names its snapshotter and
// snapshotKey. v1/<namespace>/snapshots/overlayfs/<name>/name is the key
// the snapshotter's own metadata.db knows that snapshot by.
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

// ctrdContainer is one container of a containerd namespace whose rootfs
// is an overlayfs snapshot: kubelet's and ctr's, running or not.
type ctrdContainer struct {
	Namespace string
	ID        string
	Image     string
	Labels    map[string]string
	TopKey    string // the snapshotter key of its writable snapshot
}

// ctrdMeta is what ctx reads of a containerd's meta.db.
type ctrdMeta struct {
	images     []*ctrdImage
	containers []*ctrdContainer
}

// ctrdMetaOf lists the unpacked images and the overlayfs containers of
// every namespace of meta.db, sorted by namespace, then ref or ID. Images
// not unpacked for the overlayfs snapshotter (pulled for another
// platform, say) and containers of other snapshotters are left out.
func ctrdMetaOf(db *boltfile.DB) (*ctrdMeta, error) {
	out := &ctrdMeta{}
	v1, err := db.Root().Bucket("v1")
	if err != nil || v1 == nil {
		return out, err
	}
	namespaces, err := v1.Buckets() // sorted: bbolt keeps keys in order
	if err != nil {
		return nil, err
	}
	for _, name := range namespaces {
		ns, err := v1.Bucket(name)
		if err != nil {
			return nil, err
		}
		if err := out.addImages(name, ns); err != nil {
			return nil, err
		}
		if err := out.addContainers(name, ns); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (m *ctrdMeta) addImages(name string, ns *boltfile.Bucket) error {
	refs, err := bucketNames(ns, "images")
	if err != nil {
		return err
	}
	for _, ref := range refs {
		digest, _, err := getIn(ns, "digest", "images", ref, "target")
		if err != nil {
			return err
		}
		config, chain := unpacked(ns, string(digest), 0)
		if key := snapshotKeyOf(ns, chain); key != "" {
			m.images = append(m.images, &ctrdImage{Namespace: name, Ref: ref, Config: config, TopKey: key})
		}
	}
	return nil
}

func (m *ctrdMeta) addContainers(name string, ns *boltfile.Bucket) error {
	ids, err := bucketNames(ns, "containers")
	if err != nil {
		return err
	}
	for _, id := range ids {
		c, err := ns.Bucket("containers", id)
		if err != nil {
			return err
		}
		if sn, _, _ := c.Get("snapshotter"); string(sn) != "overlayfs" {
			continue
		}
		sk, _, _ := c.Get("snapshotKey")
		key := snapshotKeyOf(ns, string(sk))
		if key == "" {
			continue
		}
		ct := &ctrdContainer{Namespace: name, ID: id, TopKey: key, Labels: map[string]string{}}
		if v, _, _ := c.Get("image"); v != nil {
			ct.Image = string(v)
		}
		if labels, _ := c.Bucket("labels"); labels != nil {
			labels.ForEach(func(k, v []byte, nested *boltfile.Bucket) error {
				if nested == nil {
					ct.Labels[string(k)] = string(v)
				}
				return nil
			})
		}
		m.containers = append(m.containers, ct)
	}
	return nil
}

// bucketNames lists the nested buckets of ns at path, in key order; none
// when it is missing.
func bucketNames(ns *boltfile.Bucket, path ...string) ([]string, error) {
	b, err := ns.Bucket(path...)
	if err != nil || b == nil {
		return nil, err
	}
	return b.Buckets()
}

// snapshotKeyOf is the overlayfs snapshotter's key ("<ns>/<n>/<name>") of
// the namespace's snapshot name, "" when there is none.
func snapshotKeyOf(ns *boltfile.Bucket, name string) string {
	if name == "" {
		return ""
	}
	key, _, _ := getIn(ns, "name", "snapshots", "overlayfs", name)
	return string(key)
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
