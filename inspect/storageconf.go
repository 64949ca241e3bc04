package inspect

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strconv"
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

// parseStorageConf reads the keys ctx needs from storage.conf's TOML:
// single-line string values of [storage] and [storage.options(.overlay)],
// the overlay table winning over the generic one. Other keys and value
// types are skipped, not parsed.
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
	table := ""
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		if line[0] == '[' {
			end := strings.IndexByte(line, ']')
			if end < 0 {
				return c, fmt.Errorf("line %d: unterminated table header", n+1)
			}
			table = strings.ReplaceAll(strings.Trim(line[:end], "[ \t"), " ", "")
			continue
		}
		key, rest, ok := strings.Cut(line, "=")
		if !ok {
			continue // the rest of a multi-line array
		}
		val, ok := tomlString(strings.TrimSpace(rest))
		if !ok {
			continue
		}
		key = strings.Trim(strings.TrimSpace(key), `"'`)
		if p := fields[table+"."+key]; p != nil {
			*p = val
		}
	}
	orDefault(&c.MountProgram, generic.MountProgram)
	orDefault(&c.MountOpt, generic.MountOpt)
	for _, p := range []*string{&c.GraphRoot, &c.RunRoot} {
		if *p != "" && !path.IsAbs(*p) {
			return StorageConf{}, fmt.Errorf("%q is not an absolute path", *p)
		}
		if *p != "" {
			*p = path.Clean(*p)
		}
	}
	return c, nil
}

func orDefault(v *string, def string) {
	if *v == "" {
		*v = def
	}
}

// tomlString reads a one-line TOML string: "basic" (with escapes) or
// 'literal', followed by nothing or a comment. ok is false for any other
// value.
func tomlString(v string) (string, bool) {
	if len(v) < 2 || strings.HasPrefix(v, `"""`) || strings.HasPrefix(v, `'''`) {
		return "", false
	}
	var s, rest string
	switch v[0] {
	case '\'':
		end := strings.IndexByte(v[1:], '\'')
		if end < 0 {
			return "", false
		}
		s, rest = v[1:1+end], v[2+end:]
	case '"':
		end := 1
		for ; end < len(v) && v[end] != '"'; end++ {
			if v[end] == '\\' {
				end++
			}
		}
		if end >= len(v) {
			return "", false
		}
		u, err := strconv.Unquote(v[:end+1])
		if err != nil {
			return "", false
		}
		s, rest = u, v[end+1:]
	default:
		return "", false
	}
	if rest = strings.TrimSpace(rest); rest != "" && rest[0] != '#' {
		return "", false
	}
	return s, true
}
