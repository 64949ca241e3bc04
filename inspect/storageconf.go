package inspect

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// containers/storage's configuration (Podman, CRI-O, Buildah): the system
// file, else the distribution's defaults, as containers/storage reads them
// for rootful use. CRI-O's own crio.conf can override root and runroot;
// ctx does not read it.
var storageConfFiles = []string{"/etc/containers/storage.conf", "/usr/share/containers/storage.conf"}

// StorageConf is what ctx reads of storage.conf.
type StorageConf struct {
	// File is the file read; empty when there is none (the defaults).
	File      string
	Driver    string
	GraphRoot string
	RunRoot   string
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
		"storage.options.overlay.mount_program": &c.MountProgram,
		"storage.options.overlay.mountopt":      &c.MountOpt,
		"storage.options.mount_program":         &generic.MountProgram,
		"storage.options.mountopt":              &generic.MountOpt,
	}
	err := scanTOML(data, func(table, key, val string) {
		if p := fields[table+"."+key]; p != nil {
			*p = val
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
	err = scanTOML(data, func(table, key, val string) {
		if table == "" && key == "root" {
			dir = val
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
