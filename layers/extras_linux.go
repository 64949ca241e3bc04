//go:build linux

package layers

import (
	"context"
	"fmt"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/inspect"
	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// area registers a plain directory walk (volumes, storage areas) with the
// scanner; skip names top-level entries to leave out.
func (s *scanner) area(dir string, skip map[devIno]bool) *layerNode {
	key := "area\x00" + dir
	if n := s.nodes[key]; n != nil {
		return n
	}
	n := &layerNode{key: key, layer: &Layer{ID: dir, Store: StoreMount, Dir: dir, DirRaw: setRaw(dir)}, ns: trustedNS, skipIno: skip}
	s.nodes[key] = n
	return n
}

// extras gathers what the targets' containers use besides their layers.
// Volumes are registered as walks for the scan now; logs and
// deleted-but-open files are read meanwhile, in the background, as they
// change nothing the walk needs (the walk keeps both CPUs busy, but the
// /proc reads wait on the process scan). finish waits for them.
func (s *Storage) extras(_ context.Context, targets []*Target) *extras {
	x := &extras{byContainer: map[string]*containerExtras{}, volumeNodes: map[string]*layerNode{}, done: make(chan struct{})}
	var todo []*Target
	for _, t := range targets {
		if t.Image != nil {
			continue
		}
		e := &containerExtras{}
		x.byContainer[t.key()] = e
		todo = append(todo, t)
		if t.dockerC == nil || s.docker == nil {
			continue
		}
		for _, m := range t.dockerC.Mounts {
			v := Volume{Name: m.Name, Source: m.Source, Destination: m.Destination}
			if m.Type == "volume" && (m.Driver == "local" || m.Driver == "") && strings.HasPrefix(m.Source, s.docker.dataRoot+"/volumes/") {
				v.Anonymous = isAnonymousVolume(m.Name)
				x.volumeNodes[m.Source] = s.scan.area(m.Source, nil)
			}
			e.volumes = append(e.volumes, v)
		}
	}
	go func() {
		defer close(x.done)
		running := s.runningPIDs()
		for _, t := range todo {
			e := x.byContainer[t.key()]
			if t.dockerC != nil && s.docker != nil {
				e.logs, e.logBytes = s.dockerLogs(t.dockerC, &x.warnings)
			}
			pids := t.PIDs
			if len(pids) == 0 {
				pids = running[t.key()]
			}
			mountID := 0
			if t.rootMount != nil {
				mountID = t.rootMount.ID
			}
			e.open, e.openBytes = s.deletedOpen(pids, mountID, &x.warnings)
		}
	}()
	return x
}

// finish waits for the logs and open files, and fills volume usage from
// the walk.
func (x *extras) finish() {
	<-x.done
	for _, e := range x.byContainer {
		for i := range e.volumes {
			n := x.volumeNodes[e.volumes[i].Source]
			if n == nil || n.layer.Usage == nil {
				continue
			}
			u := *n.layer.Usage
			e.volumes[i].Usage = &u
			e.volumeBytes.Add(u.Sizes)
		}
	}
}

// dockerLogs stats a container's log files: <id>-json.log and its rotated
// copies (json-file), local-logs/container.log* (local).
func (s *Storage) dockerLogs(c *dockerContainer, warnings *[]string) ([]File, Sizes) {
	files := []File{}
	var tot Sizes
	dir := path.Join(s.docker.dataRoot, "containers", c.ID)
	statDir := func(d string, keep func(string) bool) {
		f, err := inspect.OpenInRoot(s.root, d, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW)
		if err != nil {
			if !os.IsNotExist(err) {
				*warnings = append(*warnings, fmt.Sprintf("logs of %s: %v", c.ID[:12], err))
			}
			return
		}
		defer f.Close()
		names, err := f.Readdirnames(-1)
		if err != nil {
			return
		}
		sort.Strings(names)
		for _, n := range names {
			if !keep(n) {
				continue
			}
			var st unix.Stat_t
			if unix.Fstatat(int(f.Fd()), n, &st, unix.AT_SYMLINK_NOFOLLOW) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
				continue
			}
			sz := sizesOf(&st)
			files = append(files, newFile(path.Join(d, n), "file", sz, uint64(st.Nlink)))
			tot.Add(sz)
		}
	}
	statDir(dir, func(n string) bool { return strings.HasPrefix(n, c.ID+"-json.log") })
	statDir(path.Join(dir, "local-logs"), func(n string) bool { return strings.HasPrefix(n, "container.log") })
	return files, tot
}

// deletedOpen finds the deleted files the processes hold open, through
// /proc/PID/fd (stat follows the link to the inode, nothing is opened) and
// fdinfo's mnt_id, which names the mount the file was opened through. Only
// disk-backed mounts count; tmpfs and memfd files are memory.
func (s *Storage) deletedOpen(pids []int, rootMountID int, warnings *[]string) ([]OpenFile, Sizes) {
	out := []OpenFile{}
	var tot Sizes
	seen := map[devIno]bool{}
	for _, pid := range pids {
		// The mount table is read at the first deleted file: most
		// processes hold none, and it is the costliest read here.
		var byID map[int]inspect.Mount
		mountsByID := func() map[int]inspect.Mount {
			if byID == nil {
				byID = map[int]inspect.Mount{}
				mounts, _ := inspect.ReadMounts(s.root, pid)
				for _, m := range mounts {
					byID[m.ID] = m
				}
			}
			return byID
		}
		fdDir := s.root.PID(pid, "fd")
		d, err := os.Open(fdDir)
		if err != nil {
			if hostfs.IsPermission(err) {
				*warnings = append(*warnings, fmt.Sprintf("cannot read the open files of PID %d: needs CAP_SYS_PTRACE", pid))
			}
			continue
		}
		names, _ := d.Readdirnames(-1)
		d.Close()
		sort.Slice(names, func(i, j int) bool { return atoi(names[i]) < atoi(names[j]) })
		for _, n := range names {
			link, err := os.Readlink(path.Join(fdDir, n))
			if err != nil || !strings.HasSuffix(link, deletedSuffix) || !strings.HasPrefix(link, "/") {
				continue
			}
			var st unix.Stat_t
			if unix.Stat(path.Join(fdDir, n), &st) != nil || st.Nlink != 0 || st.Mode&unix.S_IFMT != unix.S_IFREG {
				continue
			}
			info, err := hostfs.ReadFile(s.root.PID(pid, "fdinfo", n))
			if err != nil {
				continue
			}
			mid, ok := parseFDInfoMntID(info)
			if !ok {
				continue
			}
			m, ok := mountsByID()[mid]
			if !ok || memoryFS[m.FSType] {
				continue
			}
			k := devIno{st.Dev, st.Ino}
			if seen[k] {
				continue
			}
			seen[k] = true
			p := strings.TrimSuffix(link, deletedSuffix)
			of := OpenFile{PID: pid, FD: atoi(n), Path: p, Sizes: sizesOf(&st), MountID: mid, MountPoint: m.MountPoint}
			if !utf8.ValidString(p) {
				of.PathRaw = []byte(p)
			}
			if mid == rootMountID {
				of.MountPoint = "/"
			}
			out = append(out, of)
			tot.Add(of.Sizes)
		}
	}
	return out, tot
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
