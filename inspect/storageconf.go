package inspect

import (
	"errors"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// containers/storage's configuration (Podman, CRI-O, Buildah): the system
// file, else the distribution's defaults, as containers/storage reads them
// for rootful use. CRI-O then applies its own config (crioConf).
var storageConfFiles = []string{"/etc/containers/storage.conf", "/usr/share/containers/storage.conf"}

// CRI-O's config: crio.conf, then the drop-ins (*.conf) of crio.conf.d in
// lexical order, each over the ones before. Their [crio] root, runroot,
// storage_driver and storage_option override storage.conf's for CRI-O.
const (
	crioConf    = "/etc/crio/crio.conf"
	crioConfDir = "/etc/crio/crio.conf.d"
)

// StorageConf is what ctx reads of storage.conf.
type StorageConf struct {
	// File is the file read; empty when there is none (the defaults).
	File      string
	Driver    string
	GraphRoot string
	RunRoot   string
	// RootlessPath is rootless_storage_path: where each user's rootless
	// store is, with $HOME, $USER and $UID for the user's; empty for
	// containers/storage's default, $HOME/.local/share/containers/storage.
	RootlessPath string
	// MountProgram (a FUSE overlay such as fuse-overlayfs) and MountOpt
	// are the overlay driver's options.
	MountProgram string
	MountOpt     string
}

// Metacopy reports whether the overlay driver mounts with metacopy=on.
func (c StorageConf) Metacopy() bool {
	for _, o := range strings.Split(c.MountOpt, ",") {
		if strings.TrimSpace(o) == "metacopy=on" {
			return true
		}
	}
	return false
}

// ContainersStorage reads the host's storage.conf. A missing file gives the
// defaults; one that cannot be read or parsed gives the defaults and an
// error to report as a warning.
func ContainersStorage(root hostfs.Root) (StorageConf, error) {
	def := StorageConf{Driver: "overlay", GraphRoot: storageGraphRoot, RunRoot: storageRunRoot}
	for _, f := range storageConfFiles {
		data, err := readStateFile(root, f)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return def, fmt.Errorf("containers/storage: reading %q: %w", f, unwrapPath(err))
		}
		c, err := parseStorageConf(data)
		if err != nil {
			return def, fmt.Errorf("containers/storage: %q: %w", f, err)
		}
		c.File = f
		orDefault(&c.Driver, def.Driver)
		orDefault(&c.GraphRoot, def.GraphRoot)
		orDefault(&c.RunRoot, def.RunRoot)
		return c, nil
	}
	return def, nil
}

// ContainersStorages lists the host's containers/storage configurations:
// storage.conf's (Podman's and Buildah's), then CRI-O's, which is the same
// store unless CRI-O's config moves it. Callers skip a root they already
// have. Files that cannot be read or parsed are returned as errors, to
// report as warnings, saying what is used instead.
func ContainersStorages(root hostfs.Root) ([]StorageConf, []error) {
	var errs []error
	base, err := ContainersStorage(root)
	if err != nil {
		errs = append(errs, fmt.Errorf("%w: using the default roots", err))
	}
	crio := base
	files := []string{crioConf}
	names, err := readStateDir(root, crioConfDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, fmt.Errorf("cri-o: listing %q: %w", crioConfDir, unwrapPath(err)))
	}
	sort.Strings(names)
	for _, n := range names {
		if strings.HasSuffix(n, ".conf") {
			files = append(files, path.Join(crioConfDir, n))
		}
	}
	for _, f := range files {
		data, err := readStateFile(root, f)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err == nil {
			err = parseCRIOConf(data, &crio)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("cri-o: %q: %w: its storage settings are not applied", f, unwrapPath(err)))
			continue
		}
		crio.File = f
	}
	return []StorageConf{base, crio}, errs
}

// parseCRIOConf applies the [crio] storage keys of one CRI-O config file
// to c. storage_option replaces the driver options when it lists any, as
// in CRI-O; ctx reads their mountopt and mount_program.
func parseCRIOConf(data []byte, c *StorageConf) error {
	next := *c
	var opts []string
	err := scanTOML(data, func(table, key string, v tomlValue) {
		if table != "crio" {
			return
		}
		switch {
		case key == "storage_option" && v.IsList:
			opts = v.List
		case v.IsList:
			// no other array is read
		case key == "root":
			next.GraphRoot = v.Str
		case key == "runroot":
			next.RunRoot = v.Str
		case key == "storage_driver":
			next.Driver = v.Str
		}
	})
	if err != nil {
		return err
	}
	for _, p := range []string{next.GraphRoot, next.RunRoot} {
		if !path.IsAbs(p) {
			return fmt.Errorf("%q is not an absolute path", p)
		}
	}
	next.GraphRoot, next.RunRoot = path.Clean(next.GraphRoot), path.Clean(next.RunRoot)
	if len(opts) > 0 {
		next.MountOpt, next.MountProgram = "", ""
		for _, o := range opts {
			k, v, _ := strings.Cut(o, "=")
			// containers/storage's form: [driver].key=value
			k = strings.ToLower(strings.TrimSpace(k))
			for _, p := range []string{"overlay.", "overlay2.", "."} {
				k = strings.TrimPrefix(k, p)
			}
			switch k {
			case "mountopt":
				next.MountOpt = v
			case "mount_program":
				next.MountProgram = v
			}
		}
	}
	*c = next
	return nil
}

// parseStorageConf reads the keys ctx needs from storage.conf:
// [storage] and [storage.options(.overlay)], the overlay table winning
// over the generic one.
func parseStorageConf(data []byte) (StorageConf, error) {
	var c StorageConf
	var generic StorageConf // [storage.options]
	fields := map[string]*string{
		"storage.driver":                        &c.Driver,
		"storage.graphroot":                     &c.GraphRoot,
		"storage.runroot":                       &c.RunRoot,
		"storage.rootless_storage_path":         &c.RootlessPath,
		"storage.options.overlay.mount_program": &c.MountProgram,
		"storage.options.overlay.mountopt":      &c.MountOpt,
		"storage.options.mount_program":         &generic.MountProgram,
		"storage.options.mountopt":              &generic.MountOpt,
	}
	err := scanTOML(data, func(table, key string, v tomlValue) {
		if p := fields[table+"."+key]; p != nil && !v.IsList {
			*p = v.Str
		}
	})
	if err != nil {
		return StorageConf{}, err
	}
	orDefault(&c.MountProgram, generic.MountProgram)
	orDefault(&c.MountOpt, generic.MountOpt)
	for _, p := range []*string{&c.GraphRoot, &c.RunRoot} {
		if *p == "" {
			continue
		}
		if !path.IsAbs(*p) {
			return StorageConf{}, fmt.Errorf("%q is not an absolute path", *p)
		}
		*p = path.Clean(*p)
	}
	return c, nil
}

func orDefault(v *string, def string) {
	if *v == "" {
		*v = def
	}
}

// containerd's config file. Its top-level root moves containerd's data,
// snapshotters included (a data disk on many Kubernetes nodes).
const (
	containerdConfig      = "/etc/containerd/config.toml"
	containerdDefaultRoot = "/var/lib/containerd"
)

// distroContainerdRoots are where Kubernetes distributions that run a
// containerd of their own keep its root: k3s, RKE2.
var distroContainerdRoots = []string{"/var/lib/rancher/k3s/agent/containerd", "/var/lib/rancher/rke2/agent/containerd"}

// ContainerdRoots lists the host's containerd roots: the system
// containerd's (ContainerdRoot), then k3s's and RKE2's. The error is
// ContainerdRoot's, to report as a warning.
func ContainerdRoots(root hostfs.Root) ([]string, error) {
	dir, err := ContainerdRoot(root)
	return append([]string{dir}, distroContainerdRoots...), err
}

// ContainerdRoot is the system containerd's root dir: root in
// /etc/containerd/config.toml, else /var/lib/containerd. A config that
// cannot be read or parsed gives the default and an error to report as a
// warning.
func ContainerdRoot(root hostfs.Root) (string, error) {
	data, err := readStateFile(root, containerdConfig)
	if errors.Is(err, os.ErrNotExist) {
		return containerdDefaultRoot, nil
	}
	if err != nil {
		return containerdDefaultRoot, fmt.Errorf("containerd: reading %q: %w", containerdConfig, unwrapPath(err))
	}
	dir := ""
	err = scanTOML(data, func(table, key string, v tomlValue) {
		if table == "" && key == "root" && !v.IsList {
			dir = v.Str
		}
	})
	switch {
	case err != nil:
		return containerdDefaultRoot, fmt.Errorf("containerd: %q: %w", containerdConfig, err)
	case dir == "":
		return containerdDefaultRoot, nil
	case !path.IsAbs(dir):
		return containerdDefaultRoot, fmt.Errorf("containerd: %q: root %q is not an absolute path", containerdConfig, dir)
	}
	return path.Clean(dir), nil
}
