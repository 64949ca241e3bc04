//go:build linux

package layers

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/inspect"
	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// rootlessStore is where rootless Podman keeps a user's store:
// containers/storage's default without XDG_DATA_HOME, unless the system
// storage.conf sets rootless_storage_path. A user's own storage.conf
// (~/.config/containers) is not read: its graphroot is the user's to
// point anywhere.
const rootlessStore = "$HOME/.local/share/containers/storage"

// maxUsers bounds the /etc/passwd entries looked at for rootless stores.
const maxUsers = 10_000

// loadCStorages reads every containers/storage store of the host: one
// per graphroot that storage.conf or CRI-O's config names and that has an
// overlay dir, then the users' rootless stores.
func loadCStorages(root hostfs.Root, mounts func() []inspect.Mount) ([]*cStorage, []string, error) {
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
		cs, err := loadCStorage(root, conf, nil)
		if err != nil {
			return nil, nil, err
		}
		if cs != nil {
			out = append(out, cs)
		}
	}
	rootless, ws := loadRootless(root, confs[0].RootlessPath, seen, mounts)
	return append(out, rootless...), append(warnings, ws...), nil
}

// loadRootless finds the rootless stores of /etc/passwd's users (uid 0
// aside: root's Podman is rootful) where tmpl (rootless_storage_path, or
// the default in the home dir) puts them. A store counts only when no
// symlink leads to it below the dir the administrator controls and it is
// owned by the user, and none on a mount where looking is risky
// (riskyFS, by hostMounts, the host's mount table). One user's store that
// cannot be read is a warning, not an error.
func loadRootless(root hostfs.Root, tmpl string, seen map[string]bool, hostMounts func() []inspect.Mount) ([]*cStorage, []string) {
	if tmpl == "" {
		tmpl = rootlessStore
	}
	data, err := inspect.ReadStateFile(root, "/etc/passwd")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, []string{fmt.Sprintf("rootless stores: reading /etc/passwd: %v", err)}
	}
	// Without the mount table every store is read, as on a host without
	// network homes.
	mounts := hostMounts()
	var out []*cStorage
	var warnings []string
	denied := 0
	risky := map[string]int{} // why → users
	for i, line := range strings.Split(string(data), "\n") {
		if i == maxUsers {
			warnings = append(warnings, fmt.Sprintf("rootless stores: looked at the first %d users of /etc/passwd only", maxUsers))
			break
		}
		o := passwdOwner(line)
		if o == nil {
			continue
		}
		graph, err := o.storePath(tmpl)
		if err != nil {
			return out, append(warnings, fmt.Sprintf("rootless stores: rootless_storage_path %q: %v", tmpl, err))
		}
		if seen[graph] {
			continue
		}
		seen[graph] = true
		if why := riskyFS(mounts, graph); why != "" {
			risky[why]++
			continue
		}
		cs, err := loadRootlessStore(root, o, graph)
		switch {
		case hostfs.IsPermission(err):
			denied++
		case err != nil:
			warnings = append(warnings, fmt.Sprintf("rootless store of %s skipped: %v", o.user, err))
		case cs != nil:
			out = append(out, cs)
		}
	}
	for _, why := range slices.Sorted(maps.Keys(risky)) {
		warnings = append(warnings, fmt.Sprintf("rootless stores: %d users' stores not read: %s", risky[why], why))
	}
	if denied > 0 {
		// One line, not one per user: without privilege every home is
		// closed.
		warnings = append(warnings, fmt.Sprintf("rootless stores: %d users' homes could not be read (needs root: CAP_DAC_READ_SEARCH)", denied))
	}
	return out, warnings
}

// riskyFS says why a rootless store at graph is not read, from the mount
// that holds it; "" on a local filesystem. ctx looks for every user's store
// unasked: a home an automounter has not mounted would be mounted by the
// lookup (perhaps from a server that is down), and a stat on a network or
// FUSE filesystem can hang the whole run.
func riskyFS(mounts []inspect.Mount, graph string) string {
	var m *inspect.Mount
	for i := range mounts {
		mp := mounts[i].MountPoint
		under := graph == mp || mp == "/" || strings.HasPrefix(graph, mp+"/")
		// The longest mount point wins; of equal ones, the later (on top).
		if under && (m == nil || len(mp) >= len(m.MountPoint)) {
			m = &mounts[i]
		}
	}
	switch {
	case m == nil:
		return ""
	case m.FSType == "autofs":
		return "their homes are automount points not mounted now (ctx mounts nothing)"
	case remoteFS[m.FSType] || m.FSType == "fuse" || strings.HasPrefix(m.FSType, "fuse."):
		return fmt.Sprintf("they are on %s, a network or FUSE filesystem, where a lookup can hang", m.FSType)
	}
	return ""
}

// remoteFS are network filesystems.
var remoteFS = map[string]bool{
	"nfs": true, "nfs4": true, "cifs": true, "smb3": true, "smbfs": true, "ceph": true, "glusterfs": true,
	"9p": true, "afs": true, "lustre": true, "gpfs": true, "beegfs": true,
}

// passwdOwner reads one /etc/passwd line: nil for uid 0, a malformed
// line, or a home dir that is not an absolute path below /.
func passwdOwner(line string) *storeOwner {
	f := strings.Split(line, ":")
	if len(f) < 7 {
		return nil
	}
	uid, err := strconv.ParseUint(f[2], 10, 32)
	home := path.Clean(f[5])
	if err != nil || uid == 0 || f[0] == "" || !path.IsAbs(f[5]) || home == "/" {
		return nil
	}
	return &storeOwner{user: f[0], uid: uint32(uid), home: home}
}

// loadRootlessStore reads o's store at graph, nil when there is none.
func loadRootlessStore(root hostfs.Root, o *storeOwner, graph string) (*cStorage, error) {
	f, err := openBeneath(root, o.base, graph, unix.O_PATH|unix.O_DIRECTORY)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, nil
	case errors.Is(err, unix.ELOOP), errors.Is(err, unix.ENOTDIR):
		return nil, fmt.Errorf("a symlink on the way to %q", graph)
	case err != nil:
		return nil, err
	}
	var st unix.Stat_t
	err = unix.Fstat(int(f.Fd()), &st)
	f.Close()
	if err != nil {
		return nil, err
	}
	if st.Uid != o.uid {
		return nil, fmt.Errorf("%q is owned by uid %d, not by %s (uid %d)", graph, st.Uid, o.user, o.uid)
	}
	return loadCStorage(root, inspect.StorageConf{Driver: "overlay", GraphRoot: graph}, o)
}

// mountProgramFlag reports the flag containers/storage leaves in a store
// its driver has used with a mount_program (".has-mount-program" holding
// "true", in the overlay dir or the graphroot): rootless Podman picks
// fuse-overlayfs by itself where the kernel cannot mount the overlay, and
// the user's own storage.conf, which may name it, is not read.
func mountProgramFlag(read func(string) []byte, graphRoot string) bool {
	for _, p := range []string{path.Join(graphRoot, "overlay", ".has-mount-program"), path.Join(graphRoot, ".has-mount-program")} {
		if strings.TrimSpace(string(read(p))) == "true" {
			return true
		}
	}
	return false
}

// loadCStorage reads the store at conf's graphroot; nil when it has no
// overlay dir. owner is the user of a rootless store, nil for a rootful
// one: then its mounts use user.* xattrs, and every file is opened
// beneath the store's confining dir (storeOwner.base).
func loadCStorage(root hostfs.Root, conf inspect.StorageConf, owner *storeOwner) (*cStorage, error) {
	s := &cStorage{graphRoot: conf.GraphRoot, metacopy: conf.Metacopy(), layers: map[string]*csLayer{}, containers: map[string]*csContainer{},
		ns: trustedNS, owner: owner}
	if owner != nil {
		s.ns = userNS
	}
	confine := s.confine()
	if f, err := confine.open(root, path.Join(s.graphRoot, "overlay"), unix.O_RDONLY|unix.O_DIRECTORY); err == nil {
		f.Close()
	} else {
		switch {
		case errors.Is(err, os.ErrNotExist):
			return nil, nil
		case hostfs.IsPermission(err):
			return nil, &PrivilegeError{Path: path.Join(s.graphRoot, "overlay"), Missing: "root (CAP_DAC_READ_SEARCH)", Err: err}
		}
		return nil, fmt.Errorf("layers: containers/storage %q: %w", s.graphRoot, err)
	}
	read := func(p string) []byte {
		b, err := confine.readFile(root, p)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			s.warnings = append(s.warnings, fmt.Sprintf("containers/storage: reading %q: %v", p, err))
			s.partial = true
		}
		return b
	}
	if conf.MountProgram != "" || mountProgramFlag(read, s.graphRoot) {
		// Its layers were unpacked with ".wh." whiteout files for a FUSE
		// overlay: read them by fuse-overlayfs's rules.
		s.ns = fuseNS
		if prog := path.Base(conf.MountProgram); conf.MountProgram != "" && prog != "fuse-overlayfs" {
			s.warnings = append(s.warnings, fmt.Sprintf("containers/storage mounts %q with %s (%s): ctx reads its layers by fuse-overlayfs's rules, which that program may not share",
				s.graphRoot, conf.MountProgram, conf.File))
		}
	}
	for _, f := range []string{"layers.json", "volatile-layers.json"} {
		p := path.Join(s.graphRoot, "overlay-layers", f)
		if b := read(p); b != nil {
			list, err := parseCSLayers(b)
			if err != nil {
				s.warnings = append(s.warnings, fmt.Sprintf("containers/storage: %q: %v", p, err))
				s.partial = true
			}
			for _, l := range list {
				s.layers[l.ID] = l
			}
		}
	}
	if b := read(path.Join(s.graphRoot, "overlay-images", "images.json")); b != nil {
		if err := json.Unmarshal(b, &s.images); err != nil {
			s.warnings = append(s.warnings, fmt.Sprintf("containers/storage: images.json: %v", err))
			s.partial = true
		}
	}
	for _, f := range []string{"containers.json", "volatile-containers.json"} {
		if b := read(path.Join(s.graphRoot, "overlay-containers", f)); b != nil {
			var list []*csContainer
			if err := json.Unmarshal(b, &list); err != nil {
				s.warnings = append(s.warnings, fmt.Sprintf("containers/storage: %s: %v", f, err))
				s.partial = true
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

// confine is the dir below which the store's paths are opened without
// following symlinks (see storePath), none for a rootful store.
func (s *cStorage) confine() confined {
	if s.owner == nil {
		return nil
	}
	return confined{s.owner.base}
}

// storePath expands the rootless store template tmpl for o ($HOME,
// $USER and $UID, as containers/storage does) and sets o.base, the dir
// that confines it: the part of tmpl before its first variable, which
// the administrator wrote (the home dir itself for $HOME/...). Below it,
// in the user's dirs, nothing is followed.
func (o *storeOwner) storePath(tmpl string) (string, error) {
	i := strings.IndexByte(tmpl, '$')
	if i < 0 {
		return "", errors.New("it names no $HOME, $USER or $UID: one store for every user")
	}
	bad := ""
	graph := path.Clean(os.Expand(tmpl, func(v string) string {
		switch v {
		case "HOME":
			return o.home
		case "USER":
			return o.user
		case "UID":
			return strconv.FormatUint(uint64(o.uid), 10)
		}
		bad = v
		return ""
	}))
	base := path.Dir(tmpl[:i] + "x")
	if strings.HasPrefix(tmpl, "$HOME/") || strings.HasPrefix(tmpl, "${HOME}/") {
		base = o.home
	}
	switch {
	case bad != "":
		return "", fmt.Errorf("$%s is not one containers/storage expands", bad)
	case !path.IsAbs(graph) || base == "/" || !strings.HasPrefix(graph, base+"/"):
		return "", errors.New("not a path below a fixed dir other than /")
	}
	o.base = base
	return graph, nil
}
