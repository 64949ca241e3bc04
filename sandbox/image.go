package sandbox

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/inspect"
	"github.com/ctx-tools/ctx/inspect/boltfile"
	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// This file finds the layer directories of a local image: what --image
// needs. Package layers reads the same stores to attribute disk usage, but
// exports no cheap "lowerdirs of an image" call (its Stack walks every
// file for sizes), and sandbox may not import it (STYLE.md §3), so the few
// metadata reads are here, through inspect's symlink-safe state readers.
// If layers grows such an API, this file should call it through the CLI.

// Image is a local image resolved to its layer directories.
type Image struct {
	Ref string `json:"ref"`
	// ID is the image (config) digest.
	ID string `json:"id"`
	// Store is docker, containerd or podman.
	Store string `json:"store"`
	// Layers are the layer directories, top first, openable from here:
	// the overlay lowerdirs.
	Layers []string `json:"layers"`

	// From the image config (empty when the store has none).
	Entrypoint []string `json:"entrypoint,omitempty"`
	Cmd        []string `json:"cmd,omitempty"`
	Env        []string `json:"env,omitempty"`
	WorkingDir string   `json:"workingDir,omitempty"`
	User       string   `json:"user,omitempty"`
}

// imageConfig is the part of an OCI / Docker image config ctx uses.
type imageConfig struct {
	Config struct {
		Entrypoint []string `json:"Entrypoint"`
		Cmd        []string `json:"Cmd"`
		Env        []string `json:"Env"`
		WorkingDir string   `json:"WorkingDir"`
		User       string   `json:"User"`
	} `json:"config"`
	RootFS struct {
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
}

func (c *imageConfig) apply(im *Image) {
	im.Entrypoint, im.Cmd, im.Env = c.Config.Entrypoint, c.Config.Cmd, c.Config.Env
	im.WorkingDir, im.User = c.Config.WorkingDir, c.Config.User
}

// chainIDs computes the OCI ChainIDs of a diff_id list: ChainID(1) =
// DiffID(1), ChainID(n) = sha256(ChainID(n-1) + " " + DiffID(n)).
func chainIDs(diffIDs []string) []string {
	out := make([]string, len(diffIDs))
	for i, d := range diffIDs {
		if i == 0 {
			out[i] = d
			continue
		}
		sum := sha256.Sum256([]byte(out[i-1] + " " + d))
		out[i] = "sha256:" + hex.EncodeToString(sum[:])
	}
	return out
}

// ResolveImage finds image ref in the local stores: Docker's overlay2
// store by default, containerd with containerd://[NAMESPACE/]NAME (the
// system containerd's, dockerd's own and k3s's), containers/storage
// (podman, CRI-O) with podman://NAME. A bare ref is also looked up in
// containerd and podman when Docker has no such image.
func ResolveImage(root hostfs.Root, ref string) (*Image, error) {
	switch {
	case strings.HasPrefix(ref, "containerd://"):
		return containerdImage(root, strings.TrimPrefix(ref, "containerd://"))
	case strings.HasPrefix(ref, "podman://"):
		return podmanImage(root, strings.TrimPrefix(ref, "podman://"))
	case strings.HasPrefix(ref, "docker://"):
		return dockerImage(root, strings.TrimPrefix(ref, "docker://"))
	}
	im, err := dockerImage(root, ref)
	if err == nil || !errors.Is(err, ErrNoImage) {
		return im, err
	}
	for _, f := range []func(hostfs.Root, string) (*Image, error){containerdImage, podmanImage} {
		if im, err2 := f(root, ref); err2 == nil {
			return im, nil
		} else if !errors.Is(err2, ErrNoImage) {
			return nil, err2
		}
	}
	return nil, fmt.Errorf("%w: %q in the docker, containerd and podman stores", ErrNoImage, ref)
}

// refCandidates are the spellings a store may use for a user's ref:
// as given, with :latest, and with or without docker.io/(library/).
func refCandidates(ref string) []string {
	name, tag := ref, ""
	if i := strings.LastIndexByte(ref, ':'); i > strings.LastIndexByte(ref, '/') {
		name, tag = ref[:i], ref[i:]
	}
	if strings.Contains(ref, "@") {
		name, tag = ref, ""
	} else if tag == "" {
		tag = ":latest"
	}
	short := strings.TrimPrefix(strings.TrimPrefix(name, "docker.io/"), "library/")
	full := short
	if !strings.Contains(short, "/") {
		full = "library/" + short
	}
	first, _, _ := strings.Cut(short, "/")
	if !strings.ContainsAny(first, ".:") && first != "localhost" {
		full = "docker.io/" + full
	}
	seen := map[string]bool{}
	var out []string
	for _, c := range []string{ref, name + tag, short + tag, full + tag} {
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

func isHexID(s string) bool {
	s = strings.TrimPrefix(s, "sha256:")
	if len(s) < 12 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// dockerImage reads Docker's overlay2 image store: repositories.json
// (name -> image ID), imagedb (the config with its diff_ids), layerdb
// (ChainID -> cache-id) and overlay2/<cache-id>/diff.
//
// Equivalent to: docker image inspect -f '{{json .GraphDriver.Data}}' REF.
func dockerImage(root hostfs.Root, ref string) (*Image, error) {
	dr, _ := inspect.DockerDataRoot(root)
	base := path.Join(dr, "image", "overlay2")
	var id string
	if isHexID(ref) {
		want := strings.TrimPrefix(ref, "sha256:")
		names, err := inspect.ReadStateDir(root, path.Join(base, "imagedb", "content", "sha256"))
		if err != nil && !os.IsNotExist(err) {
			return nil, fmt.Errorf("sandbox: docker image store: %w", err)
		}
		var match []string
		for _, n := range names {
			if strings.HasPrefix(n, want) {
				match = append(match, n)
			}
		}
		switch len(match) {
		case 1:
			id = "sha256:" + match[0]
		case 0:
		default:
			return nil, fmt.Errorf("%w: image ID prefix %q is ambiguous (%d images)", ErrInvalid, ref, len(match))
		}
	}
	if id == "" {
		b, err := inspect.ReadStateFile(root, path.Join(base, "repositories.json"))
		if err != nil {
			if os.IsNotExist(err) {
				return nil, fmt.Errorf("%w: %q (no docker image store)", ErrNoImage, ref)
			}
			return nil, fmt.Errorf("sandbox: docker image store: %w", err)
		}
		var repos struct {
			Repositories map[string]map[string]string `json:"Repositories"`
		}
		if err := json.Unmarshal(b, &repos); err != nil {
			return nil, fmt.Errorf("sandbox: docker repositories.json: %w", err)
		}
	find:
		for _, c := range refCandidates(ref) {
			for _, tags := range repos.Repositories {
				if v, ok := tags[c]; ok {
					id = v
					break find
				}
			}
		}
	}
	if id == "" {
		return nil, fmt.Errorf("%w: %q in docker", ErrNoImage, ref)
	}
	hexID := strings.TrimPrefix(id, "sha256:")
	b, err := inspect.ReadStateFile(root, path.Join(base, "imagedb", "content", "sha256", hexID))
	if err != nil {
		return nil, fmt.Errorf("sandbox: docker image %s config: %w", hexID[:12], err)
	}
	var cfg imageConfig
	if err := json.Unmarshal(b, &cfg); err != nil {
		return nil, fmt.Errorf("sandbox: docker image %s config: %w", hexID[:12], err)
	}
	im := &Image{Ref: ref, ID: id, Store: "docker"}
	cfg.apply(im)
	chain := chainIDs(cfg.RootFS.DiffIDs)
	for i := len(chain) - 1; i >= 0; i-- {
		c := strings.TrimPrefix(chain[i], "sha256:")
		cid, err := inspect.ReadStateFile(root, path.Join(base, "layerdb", "sha256", c, "cache-id"))
		if err != nil {
			return nil, fmt.Errorf("sandbox: docker layer %s of %q: %w", c[:12], ref, err)
		}
		cacheID := strings.TrimSpace(string(cid))
		if cacheID == "" || strings.ContainsAny(cacheID, "/.") {
			return nil, fmt.Errorf("sandbox: docker layer %s of %q: bad cache-id %q", c[:12], ref, cacheID)
		}
		im.Layers = append(im.Layers, root.Host(path.Join(dr, "overlay2", cacheID, "diff")))
	}
	return im, nil
}

// containerdRoots are the containerd roots searched: the host's (the
// system containerd's, k3s's, RKE2's), and the one dockerd runs under its
// data root.
func containerdRoots(root hostfs.Root) []string {
	roots, _ := inspect.ContainerdRoots(root)
	dr, _ := inspect.DockerDataRoot(root)
	return append(roots, path.Join(dr, "containerd", "daemon"))
}

// maxBolt bounds a containerd database ctx maps; only the pages read count
// toward its memory.
const maxBolt = 1 << 30

// readBolt runs use on one of containerd's bbolt files through a mapping
// (see boltfile.ReadMapped: containerd's lock is never taken; use may run
// twice when containerd commits meanwhile, and must copy out what it keeps).
func readBolt(root hostfs.Root, p string, use func(*boltfile.DB) error) error {
	f, err := inspect.OpenInRoot(root, p, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK)
	if err != nil {
		return err
	}
	defer f.Close()
	return boltfile.ReadMapped(f, maxBolt, use)
}

// containerdImage resolves [NAMESPACE/]NAME in containerd's metadata
// (meta.db: v1/NS/images/NAME/target, v1/NS/snapshots/overlayfs/CHAINID)
// and its overlayfs snapshotter (metadata.db: v1/snapshots/KEY/id ->
// snapshots/ID/fs), reading manifests and the config from the content
// store.
//
// Equivalent to: ctr -n NS image inspect; ctr -n NS snapshots mounts.
func containerdImage(root hostfs.Root, ref string) (*Image, error) {
	var errs []error
	found := false
	for _, cr := range containerdRoots(root) {
		var im *Image
		var final, rootErr error
		err := readBolt(root, path.Join(cr, "io.containerd.metadata.v1.bolt", "meta.db"), func(db *boltfile.DB) error {
			im, final, rootErr = containerdFind(root, cr, db, ref)
			return nil
		})
		if err == nil {
			err = rootErr
		}
		if err != nil {
			if !os.IsNotExist(err) {
				errs = append(errs, fmt.Errorf("containerd at %q: %w", cr, err))
			}
			continue
		}
		found = true
		if im != nil || final != nil {
			return im, final
		}
	}
	if err := errors.Join(errs...); err != nil && !found {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	return nil, fmt.Errorf("%w: %q in containerd", ErrNoImage, ref)
}

// containerdFind looks ref up in the meta.db of the containerd at cr: the
// image and the error to return (nil, nil when it is not there), or an
// error that makes this containerd unusable.
func containerdFind(root hostfs.Root, cr string, db *boltfile.DB, ref string) (*Image, error, error) {
	v1, err := db.Root().Bucket("v1")
	if err != nil || v1 == nil {
		return nil, nil, err
	}
	nss, err := v1.Buckets()
	if err != nil {
		return nil, nil, err
	}
	name := ref
	if ns, rest, ok := strings.Cut(ref, "/"); ok && rest != "" && contains(nss, ns) {
		nss, name = []string{ns}, rest
	}
	type hit struct{ ns, name string }
	var hits []hit
	for _, ns := range nss {
		imgs, err := v1.Bucket(ns, "images")
		if err != nil || imgs == nil {
			continue
		}
		for _, c := range refCandidates(name) {
			if b, err := imgs.Bucket(c); err == nil && b != nil {
				hits = append(hits, hit{ns, c})
				break
			}
		}
	}
	switch len(hits) {
	case 0:
		return nil, nil, nil
	case 1:
		im, err := containerdLayers(root, cr, v1, hits[0].ns, hits[0].name, ref)
		return im, err, nil
	}
	var where []string
	for _, h := range hits {
		where = append(where, h.ns+"/"+h.name)
	}
	return nil, fmt.Errorf("%w: containerd image %q is in several namespaces: %s; name one as containerd://NAMESPACE/NAME", ErrInvalid, ref, strings.Join(where, ", ")), nil
}

// ociDescriptor is an OCI content descriptor.
type ociDescriptor struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Platform  *struct {
		OS           string `json:"os"`
		Architecture string `json:"architecture"`
	} `json:"platform,omitempty"`
}

func containerdLayers(root hostfs.Root, cr string, v1 *boltfile.Bucket, ns, name, ref string) (*Image, error) {
	target, err := v1.Bucket(ns, "images", name, "target")
	if err != nil {
		return nil, fmt.Errorf("sandbox: containerd image %s/%s: %w", ns, name, err)
	}
	if target == nil {
		return nil, fmt.Errorf("sandbox: containerd image %s/%s has no target", ns, name)
	}
	dg, _, err := target.Get("digest")
	if err != nil {
		return nil, fmt.Errorf("sandbox: containerd image %s/%s: %w", ns, name, err)
	}
	blob := func(digest string) ([]byte, error) {
		alg, h, ok := strings.Cut(digest, ":")
		if !ok || alg != "sha256" || !isHexID(h) {
			return nil, fmt.Errorf("sandbox: bad digest %q", digest)
		}
		return inspect.ReadStateFile(root, path.Join(cr, "io.containerd.content.v1.content", "blobs", "sha256", h))
	}
	digest := string(dg)
	var manifest struct {
		MediaType string          `json:"mediaType"`
		Config    ociDescriptor   `json:"config"`
		Manifests []ociDescriptor `json:"manifests"`
	}
	for depth := 0; ; depth++ {
		b, err := blob(digest)
		if err != nil {
			return nil, fmt.Errorf("sandbox: containerd image %s/%s: manifest %s: %w", ns, name, digest, err)
		}
		manifest.Manifests, manifest.Config = nil, ociDescriptor{}
		if err := json.Unmarshal(b, &manifest); err != nil {
			return nil, fmt.Errorf("sandbox: containerd image %s/%s: manifest: %w", ns, name, err)
		}
		if len(manifest.Manifests) == 0 || depth > 2 {
			break
		}
		next := ""
		for _, m := range manifest.Manifests {
			if m.Platform != nil && m.Platform.OS == "linux" && m.Platform.Architecture == runtime.GOARCH {
				next = m.Digest
				break
			}
		}
		if next == "" {
			return nil, fmt.Errorf("sandbox: containerd image %s/%s has no linux/%s manifest", ns, name, runtime.GOARCH)
		}
		digest = next
	}
	cb, err := blob(manifest.Config.Digest)
	if err != nil {
		return nil, fmt.Errorf("sandbox: containerd image %s/%s: config: %w", ns, name, err)
	}
	var cfg imageConfig
	if err := json.Unmarshal(cb, &cfg); err != nil {
		return nil, fmt.Errorf("sandbox: containerd image %s/%s: config: %w", ns, name, err)
	}
	im := &Image{Ref: ref, ID: manifest.Config.Digest, Store: "containerd"}
	cfg.apply(im)
	snapDir := path.Join(cr, "io.containerd.snapshotter.v1.overlayfs")
	var layersErr error
	err = readBolt(root, path.Join(snapDir, "metadata.db"), func(sdb *boltfile.DB) error {
		im.Layers, layersErr = snapshotLayers(root, snapDir, v1, sdb, ns, name, chainIDs(cfg.RootFS.DiffIDs))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sandbox: containerd overlayfs snapshotter: %w", err)
	}
	if layersErr != nil {
		return nil, layersErr
	}
	return im, nil
}

// snapshotLayers are the snapshot dirs of chain (base first) in the
// overlayfs snapshotter at snapDir, top first: meta.db's v1 names each
// ChainID's snapshot key, the snapshotter's database (sdb) its id.
func snapshotLayers(root hostfs.Root, snapDir string, v1 *boltfile.Bucket, sdb *boltfile.DB, ns, name string, chain []string) ([]string, error) {
	snaps, err1 := v1.Bucket(ns, "snapshots", "overlayfs")
	backend, err2 := sdb.Root().Bucket("v1", "snapshots")
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("sandbox: containerd image %s/%s: %w", ns, name, err)
	}
	if snaps == nil || backend == nil {
		return nil, fmt.Errorf("sandbox: containerd image %s/%s is not unpacked for the overlayfs snapshotter (ctr image unpack)", ns, name)
	}
	var layers []string
	for i := len(chain) - 1; i >= 0; i-- {
		s, err := snaps.Bucket(chain[i])
		if err != nil {
			return nil, fmt.Errorf("sandbox: containerd image %s/%s: layer %s: %w", ns, name, chain[i], err)
		}
		if s == nil {
			return nil, fmt.Errorf("sandbox: containerd image %s/%s: layer %s is not unpacked (ctr image unpack)", ns, name, chain[i])
		}
		key, _, err := s.Get("name")
		if err != nil {
			return nil, fmt.Errorf("sandbox: containerd image %s/%s: layer %s: %w", ns, name, chain[i], err)
		}
		kb, err := backend.Bucket(string(key))
		if err != nil {
			return nil, fmt.Errorf("sandbox: containerd snapshot %q: %w", key, err)
		}
		if kb == nil {
			return nil, fmt.Errorf("sandbox: containerd snapshot %q not in the snapshotter", key)
		}
		idv, _, err := kb.Get("id")
		if err != nil {
			return nil, fmt.Errorf("sandbox: containerd snapshot %q: %w", key, err)
		}
		n, sz := binary.Uvarint(idv)
		if sz <= 0 {
			return nil, fmt.Errorf("sandbox: containerd snapshot %q: bad id", key)
		}
		layers = append(layers, root.Host(path.Join(snapDir, "snapshots", fmt.Sprint(n), "fs")))
	}
	return layers, nil
}

// podmanImage reads containers/storage (podman, CRI-O, buildah):
// overlay-images/images.json (names -> top layer) and
// overlay-layers/layers.json (the parent chain), the layers in
// overlay/<id>/diff. The image config is not read: give the command.
func podmanImage(root hostfs.Root, ref string) (*Image, error) {
	base := "/var/lib/containers/storage"
	b, err := inspect.ReadStateFile(root, path.Join(base, "overlay-images", "images.json"))
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("%w: %q (no containers/storage)", ErrNoImage, ref)
		}
		return nil, fmt.Errorf("sandbox: containers/storage: %w", err)
	}
	var images []struct {
		ID    string   `json:"id"`
		Names []string `json:"names"`
		Layer string   `json:"layer"`
	}
	if err := json.Unmarshal(b, &images); err != nil {
		return nil, fmt.Errorf("sandbox: containers/storage images.json: %w", err)
	}
	cands := refCandidates(ref)
	top, id := "", ""
	for _, im := range images {
		if strings.HasPrefix(im.ID, strings.TrimPrefix(ref, "sha256:")) && isHexID(ref) {
			top, id = im.Layer, im.ID
		}
		for _, n := range im.Names {
			if contains(cands, n) {
				top, id = im.Layer, im.ID
			}
		}
	}
	if id == "" {
		return nil, fmt.Errorf("%w: %q in containers/storage", ErrNoImage, ref)
	}
	lb, err := inspect.ReadStateFile(root, path.Join(base, "overlay-layers", "layers.json"))
	if err != nil {
		return nil, fmt.Errorf("sandbox: containers/storage layers.json: %w", err)
	}
	var layers []struct {
		ID     string `json:"id"`
		Parent string `json:"parent"`
	}
	if err := json.Unmarshal(lb, &layers); err != nil {
		return nil, fmt.Errorf("sandbox: containers/storage layers.json: %w", err)
	}
	parent := map[string]string{}
	for _, l := range layers {
		parent[l.ID] = l.Parent
	}
	im := &Image{Ref: ref, ID: id, Store: "podman"}
	for l, n := top, 0; l != "" && n < 512; l, n = parent[l], n+1 {
		if strings.ContainsAny(l, "/.") {
			return nil, fmt.Errorf("sandbox: containers/storage: bad layer ID %q", l)
		}
		im.Layers = append(im.Layers, root.Host(path.Join(base, "overlay", l, "diff")))
	}
	return im, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
