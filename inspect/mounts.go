package inspect

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// Mount is one line of /proc/PID/mountinfo (proc(5)), with path fields
// unescaped.
type Mount struct {
	ID       int `json:"id"`
	ParentID int `json:"parentId"`
	Major    int `json:"major"`
	Minor    int `json:"minor"`
	// Root is the path within the source filesystem that is mounted.
	Root string `json:"root"`
	// MountPoint is the path as the process sees it, relative to its root.
	MountPoint string   `json:"mountPoint"`
	Options    []string `json:"options"`
	// Optional holds the propagation tags: "shared:1", "master:3".
	Optional     []string `json:"optional,omitempty"`
	FSType       string   `json:"fsType"`
	Source       string   `json:"source"`
	SuperOptions []string `json:"superOptions"`
}

// Dev is the "major:minor" of the mounted filesystem.
func (m Mount) Dev() string { return fmt.Sprintf("%d:%d", m.Major, m.Minor) }

// Option returns the value of a mount or super option ("lowerdir" ->
// "/a:/b"); flag options like "ro" return "" and true.
func (m Mount) Option(key string) (string, bool) {
	for _, list := range [][]string{m.Options, m.SuperOptions} {
		for _, o := range list {
			k, v, _ := strings.Cut(o, "=")
			if k == key {
				return v, true
			}
		}
	}
	return "", false
}

// Writable reports whether writes through this mount reach the
// filesystem: neither the mount nor the superblock is read-only.
func (m Mount) Writable() bool {
	for _, list := range [][]string{m.Options, m.SuperOptions} {
		for _, o := range list {
			if o == "ro" {
				return false
			}
		}
	}
	return true
}

// ParseMountInfo parses a whole /proc/PID/mountinfo. Each line is
//
//	36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//
// with zero or more optional fields before the "-" separator. A malformed
// line is an error naming it.
func ParseMountInfo(data []byte) ([]Mount, error) {
	var out []Mount
	for n, line := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		m, err := parseMountInfoLine(line)
		if err != nil {
			return nil, fmt.Errorf("inspect: mountinfo line %d: %w", n+1, err)
		}
		out = append(out, m)
	}
	return out, nil
}

func parseMountInfoLine(line string) (Mount, error) {
	f := strings.Fields(line)
	sep := -1
	for i := 6; i < len(f); i++ {
		if f[i] == "-" {
			sep = i
			break
		}
	}
	if len(f) < 10 || sep < 0 || len(f) < sep+4 {
		return Mount{}, fmt.Errorf("malformed line %q", line)
	}
	var m Mount
	var err error
	if m.ID, err = strconv.Atoi(f[0]); err != nil {
		return Mount{}, fmt.Errorf("mount ID in %q: %w", line, err)
	}
	if m.ParentID, err = strconv.Atoi(f[1]); err != nil {
		return Mount{}, fmt.Errorf("parent ID in %q: %w", line, err)
	}
	maj, min, ok := strings.Cut(f[2], ":")
	if !ok {
		return Mount{}, fmt.Errorf("device %q is not major:minor", f[2])
	}
	if m.Major, err = strconv.Atoi(maj); err != nil {
		return Mount{}, fmt.Errorf("device %q: %w", f[2], err)
	}
	if m.Minor, err = strconv.Atoi(min); err != nil {
		return Mount{}, fmt.Errorf("device %q: %w", f[2], err)
	}
	m.Root = unescapeMountinfo(f[3])
	m.MountPoint = unescapeMountinfo(f[4])
	m.Options = strings.Split(f[5], ",")
	if sep > 6 {
		m.Optional = f[6:sep]
	}
	m.FSType = unescapeMountinfo(f[sep+1])
	m.Source = unescapeMountinfo(f[sep+2])
	// Option values are escaped by the kernel (a comma in a path is \054),
	// so splitting at raw commas is exact.
	for _, o := range strings.Split(f[sep+3], ",") {
		m.SuperOptions = append(m.SuperOptions, unescapeMountinfo(o))
	}
	return m, nil
}

// ReadMounts reads the mount table of process pid's mount namespace from
// /proc/PID/mountinfo. Equivalent to: `findmnt -N PID` or
// `cat /proc/PID/mountinfo`.
func ReadMounts(root hostfs.Root, pid int) ([]Mount, error) {
	data, err := hostfs.ReadFile(root.PID(pid, "mountinfo"))
	if err != nil {
		return nil, err
	}
	return ParseMountInfo(data)
}

// Overlay is the layer layout of an overlayfs mount, host paths as the
// kernel shows them.
type Overlay struct {
	// LowerDirs are top first, as in lowerdir=; data-only layers
	// (lowerdir "::" or datadir+) follow the regular ones.
	LowerDirs []string `json:"lowerDirs"`
	UpperDir  string   `json:"upperDir,omitempty"`
	WorkDir   string   `json:"workDir,omitempty"`
}

// Rootfs is the mount at a process's "/".
type Rootfs struct {
	FSType   string   `json:"fsType"`
	Source   string   `json:"source"`
	Dev      string   `json:"dev"`
	Writable bool     `json:"writable"`
	Overlay  *Overlay `json:"overlay,omitempty"`
	// HostRoot is true when the process's / is the host's /: it is not in
	// a container's filesystem.
	HostRoot bool `json:"hostRoot,omitempty"`
}

// parseOverlay reads the layer options of an overlay mount: lowerdir=
// (colon separated, "\:" escaping a colon, "::" before data-only layers),
// the lowerdir+= and datadir+= forms of kernel 6.5+, upperdir= and workdir=.
func parseOverlay(m Mount) *Overlay {
	o := &Overlay{LowerDirs: []string{}}
	var data []string
	for _, opt := range m.SuperOptions {
		k, v, _ := strings.Cut(opt, "=")
		switch k {
		case "lowerdir":
			regular, dataOnly, _ := strings.Cut(v, "::")
			o.LowerDirs = append(o.LowerDirs, splitOverlayDirs(regular)...)
			data = append(data, splitOverlayDirs(dataOnly)...)
		case "lowerdir+":
			o.LowerDirs = append(o.LowerDirs, v)
		case "datadir+":
			data = append(data, v)
		case "upperdir":
			o.UpperDir = v
		case "workdir":
			o.WorkDir = v
		}
	}
	o.LowerDirs = append(o.LowerDirs, data...)
	return o
}

// splitOverlayDirs splits a lowerdir value at colons not escaped by "\".
func splitOverlayDirs(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
		case s[i] == ':':
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(s[i])
		}
	}
	return append(out, cur.String())
}

// Exposure kinds: mounts through which a container reaches the host.
const (
	// ExposureRuntimeSocket is a bind of a container engine's API socket
	// (docker.sock, containerd.sock, crio.sock, podman.sock) or of a
	// directory holding one.
	ExposureRuntimeSocket = "runtime-socket"
	// ExposureHostRoot is the host's / bound into the container.
	ExposureHostRoot = "host-root"
	// ExposureHostPath is any other bind of a host filesystem (hostPath
	// volumes, docker -v /path:...).
	ExposureHostPath = "host-path"
	// ExposureProc is a procfs whose /sys is writable (not masked
	// read-only as runtimes do).
	ExposureProc = "writable-proc"
	// ExposureSys is a read-write sysfs.
	ExposureSys = "writable-sys"
	// ExposureDevice is the host's devtmpfs, or a device node from it,
	// bound in.
	ExposureDevice = "device"
)

// Exposure is one mount that exposes the host to a container.
type Exposure struct {
	Kind       string `json:"kind"`
	MountPoint string `json:"mountPoint"`
	// HostPath is the path on the host: from the host's mount table when
	// the filesystem is mounted there, else the mount's root field.
	HostPath string `json:"hostPath,omitempty"`
	FSType   string `json:"fsType"`
	Writable bool   `json:"writable"`
}

// runtimeSockets are the API socket names of container engines.
var runtimeSockets = []string{"docker.sock", "containerd.sock", "crio.sock", "podman.sock", "dockershim.sock", "cri-dockerd.sock"}

// runtimeSocketPaths are where engines put their sockets; a bind of any of
// their parent directories exposes the socket too.
var runtimeSocketPaths = []string{
	"/run/docker.sock",
	"/var/run/docker.sock",
	"/run/containerd/containerd.sock",
	"/run/k3s/containerd/containerd.sock",
	"/run/crio/crio.sock",
	"/run/podman/podman.sock",
}

// runtimeManaged are host directories whose binds the runtime makes for
// every container (resolv.conf, hosts, named volumes, kubelet volumes):
// they are not the user's host paths.
var runtimeManaged = []string{
	"/var/lib/docker/containers",
	"/var/lib/docker/volumes",
	"/var/lib/containerd",
	"/var/lib/containers/storage",
	"/var/lib/kubelet/pods",
	"/run/containerd",
	"/run/containers/storage",
	"/var/run/containers/storage",
	"/run/k3s/containerd",
}

// isUnder reports whether p is dir or below it.
func isUnder(p, dir string) bool {
	if dir == "/" {
		return strings.HasPrefix(p, "/")
	}
	return p == dir || strings.HasPrefix(p, dir+"/")
}

// pseudoFS are filesystems that are never a host path exposure on their own
// (their risks are judged separately or not at all).
var pseudoFS = map[string]bool{
	"proc": true, "sysfs": true, "cgroup": true, "cgroup2": true, "devpts": true,
	"mqueue": true, "nsfs": true, "securityfs": true, "debugfs": true, "tracefs": true,
	"bpf": true, "fusectl": true, "configfs": true, "pstore": true, "binfmt_misc": true,
	"autofs": true, "hugetlbfs": true,
}

// hostFS are disk filesystems: a bind of one is a host path even when the
// host's mount table is unknown.
var hostFS = map[string]bool{
	"ext2": true, "ext3": true, "ext4": true, "xfs": true, "btrfs": true, "zfs": true,
	"f2fs": true, "vfat": true, "exfat": true, "ntfs": true, "ntfs3": true, "jfs": true,
	"reiserfs": true, "nfs": true, "nfs4": true, "cifs": true, "9p": true, "virtiofs": true,
}

// hostPathOf maps a mount to its path on the host through the host's mount
// table: the host mount of the same device whose root is the longest
// prefix of m.Root. ok is false when the device is not mounted on the host.
func hostPathOf(m Mount, host []Mount) (string, bool) {
	best := -1
	for i, h := range host {
		if h.Major != m.Major || h.Minor != m.Minor || !isUnder(m.Root, h.Root) {
			continue
		}
		if best < 0 || len(h.Root) > len(host[best].Root) ||
			(len(h.Root) == len(host[best].Root) && len(h.MountPoint) < len(host[best].MountPoint)) {
			best = i
		}
	}
	if best < 0 {
		return "", false
	}
	h := host[best]
	rel := strings.TrimPrefix(m.Root, h.Root)
	if h.Root == "/" {
		rel = m.Root
	}
	return path.Join(h.MountPoint, rel), true
}

// hostRootMount is the host's "/" mount in its own table (the last one
// mounted at "/", as stacked mounts appear later).
func hostRootMount(host []Mount) (Mount, bool) {
	var r Mount
	found := false
	for _, h := range host {
		if h.MountPoint == "/" {
			r, found = h, true
		}
	}
	return r, found
}

// coveringMount returns the mount that serves path p: the last mount whose
// mount point is p or an ancestor of it.
func coveringMount(mounts []Mount, p string) (Mount, bool) {
	var best Mount
	bestLen, found := -1, false
	for _, m := range mounts {
		if isUnder(p, m.MountPoint) && len(m.MountPoint) >= bestLen {
			best, bestLen, found = m, len(m.MountPoint), true
		}
	}
	return best, found
}

// analyzeMounts finds the rootfs of a mount table and the mounts that
// expose the host, given the host's own table (nil when unknown).
func analyzeMounts(mounts, host []Mount) (*Rootfs, []Exposure) {
	var rootfs *Rootfs
	hostRoot, haveHostRoot := hostRootMount(host)
	if r, ok := coveringMount(mounts, "/"); ok && r.MountPoint == "/" {
		rootfs = &Rootfs{FSType: r.FSType, Source: r.Source, Dev: r.Dev(), Writable: r.Writable()}
		if r.FSType == "overlay" {
			rootfs.Overlay = parseOverlay(r)
		}
		if haveHostRoot && r.Major == hostRoot.Major && r.Minor == hostRoot.Minor && r.Root == hostRoot.Root {
			// A host process, or one chrooted nowhere: every mount is the
			// host's own, none is an exposure.
			rootfs.HostRoot = true
			return rootfs, []Exposure{}
		}
	}

	exposures := []Exposure{}
	add := func(kind string, m Mount, hostPath string) {
		exposures = append(exposures, Exposure{Kind: kind, MountPoint: m.MountPoint, HostPath: hostPath, FSType: m.FSType, Writable: m.Writable()})
	}
	for _, m := range mounts {
		if m.MountPoint == "/" {
			continue
		}
		switch m.FSType {
		case "sysfs":
			if m.Writable() {
				add(ExposureSys, m, "")
			}
			continue
		case "proc":
			sys := path.Join(m.MountPoint, "sys")
			if m.Root != "/" {
				if m.Root != "/sys" {
					continue
				}
				sys = m.MountPoint
			}
			if c, ok := coveringMount(mounts, sys); ok && c.FSType == "proc" && c.Writable() && c.ID == m.ID {
				add(ExposureProc, m, "")
			}
			continue
		case "devtmpfs":
			add(ExposureDevice, m, path.Join("/dev", m.Root))
			continue
		}
		if pseudoFS[m.FSType] {
			continue
		}
		hp, onHost := hostPathOf(m, host)
		if !onHost {
			hp = m.Root
		}
		// A socket is recognized by name even when its filesystem is
		// missing from the host table (a fallback table, a sidecar).
		if isSocketPath(hp) || isSocketPath(m.MountPoint) {
			add(ExposureRuntimeSocket, m, hp)
			continue
		}
		if !onHost && (host != nil || !hostFS[m.FSType]) {
			continue // the container's own tmpfs, shm and the like
		}
		managed := false
		for _, d := range runtimeManaged {
			if isUnder(hp, d) {
				managed = true
				break
			}
		}
		if managed {
			continue
		}
		if haveHostRoot && m.Major == hostRoot.Major && m.Minor == hostRoot.Minor && m.Root == hostRoot.Root {
			add(ExposureHostRoot, m, "/")
			continue
		}
		add(ExposureHostPath, m, hp)
		for _, s := range runtimeSocketPaths {
			if hp != "/" && isUnder(s, hp) {
				add(ExposureRuntimeSocket, m, hp)
				break
			}
		}
	}
	return rootfs, exposures
}

// isSocketPath reports whether p names an engine's API socket.
func isSocketPath(p string) bool {
	base := path.Base(p)
	for _, s := range runtimeSockets {
		if base == s {
			return true
		}
	}
	return false
}

// readHostMounts reads the host's mount table: PID 1's, else ctx's own
// (PID 1 may refuse even root). In a sidecar, ctx's own table holds the
// host under the root's prefix; those mounts are rebased to host paths.
func readHostMounts(root hostfs.Root) ([]Mount, error) {
	m, err := ReadMounts(root, 1)
	if err == nil {
		return m, nil
	}
	data, err2 := hostfs.ReadFile(root.Proc("self", "mountinfo"))
	if err2 != nil {
		return nil, err
	}
	self, err2 := ParseMountInfo(data)
	if err2 != nil {
		return nil, err2
	}
	if !root.Live() {
		return self, nil // a fixture's self/mountinfo is written in host paths
	}
	return rebaseMounts(self, root.Prefix()), nil
}

// rebaseMounts keeps the mounts at or below prefix, with mount points made
// relative to it: the host's table as seen from a sidecar.
func rebaseMounts(mounts []Mount, prefix string) []Mount {
	prefix = path.Clean("/" + prefix)
	if prefix == "/" {
		return mounts
	}
	var out []Mount
	for _, m := range mounts {
		if !isUnder(m.MountPoint, prefix) {
			continue
		}
		m.MountPoint = path.Join("/", strings.TrimPrefix(m.MountPoint, prefix))
		out = append(out, m)
	}
	return out
}
