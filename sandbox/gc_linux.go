//go:build linux

package sandbox

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/cgroupview"
	"github.com/ctx-tools/ctx/inspect"
	"github.com/ctx-tools/ctx/inspect/hostfs"
	"github.com/ctx-tools/ctx/netdebug"
)

// netnsDir is where `ip netns` keeps named network namespaces.
const netnsDir = "/run/netns"

// GC finds what killed runs left behind and removes it: cgroups, veths,
// named network namespaces, mounts and state (scratch) dirs named
// ctx-<id>, and the ctx0 bridge once no run uses it. A run whose ctx still
// runs is never touched, nor one left with --keep unless opts.Kept; every
// object is checked again just before it is removed, so GC is safe beside
// runs starting meanwhile.
//
// Equivalent to: rmdir /sys/fs/cgroup/*/ctx-*; ip link del ctx-*;
// umount + rm /run/netns/ctx-*; rm -r /run/ctx/ctx-*; for each of them
// whose owner is gone.
func GC(root hostfs.Root, opts GCOptions) (*GCReport, error) {
	if euid := os.Geteuid(); euid != 0 {
		return nil, &PrivilegeError{Op: "ctx gc", Need: "root (euid 0)", Err: fmt.Errorf("running as uid %d", euid)}
	}
	base := opts.StateDir
	if base == "" {
		base = DefaultStateDir
	}
	g := &gc{root: root, opts: opts, base: base, rep: &GCReport{Items: []GCItem{}}}
	entries, err := os.ReadDir(base)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	var dead []string
	for _, e := range entries {
		id := idOf(e.Name())
		if id == "" || !e.IsDir() {
			continue
		}
		switch g.status(id) {
		case statusLive:
			g.rep.Live++
		case statusKept:
			g.rep.Kept++
		default:
			dead = append(dead, id)
		}
	}
	g.mounts()
	g.cgroups()
	g.veths()
	g.netns()
	for _, id := range dead {
		dir := filepath.Join(base, runName(id))
		g.act("scratch", runName(id), dir, id, func() error { return removeState(dir) })
	}
	g.bridge()
	return g.rep, nil
}

type gc struct {
	root hostfs.Root
	opts GCOptions
	base string
	rep  *GCReport
}

const (
	statusDead = iota
	statusLive
	statusKept
)

// status tells whether run id is running (its ctx is alive), kept, or
// dead: a run with no state dir at all is dead.
func (g *gc) status(id string) int {
	dir := filepath.Join(g.base, runName(id))
	if _, err := os.Stat(dir); err != nil {
		return statusDead
	}
	// A kept run is finished: its ctx may still be alive (a test, a
	// script running on), but it wrote the kept mark at its very end.
	if _, err := os.Stat(filepath.Join(dir, keptFile)); err == nil {
		if g.opts.Kept {
			return statusDead
		}
		return statusKept
	}
	if ownerAlive(g.root, dir) {
		return statusLive
	}
	return statusDead
}

// act removes one object of run id unless the run turned out to be alive
// or kept, or this is a dry run, and records it.
func (g *gc) act(kind, name, where, id string, remove func() error) {
	if id != "" && g.status(id) != statusDead {
		return
	}
	it := GCItem{Kind: kind, Name: name, Path: where, Action: "would remove"}
	if !g.opts.DryRun {
		it.Action = "removed"
		if err := remove(); err != nil {
			it.Action, it.Error = "failed", err.Error()
		}
	}
	g.rep.Items = append(g.rep.Items, it)
}

// mounts unmounts what sits under a dead run's state dir or a ctx-* named
// netns in ctx's own mount namespace. Runs mount only in their container's
// namespace, so this finds something only after a crash mid-setup of an
// older ctx or a manual mount.
func (g *gc) mounts() {
	ms, err := inspect.ReadMounts(g.root, os.Getpid())
	if err != nil {
		g.rep.Warnings = append(g.rep.Warnings, "mounts not checked: "+err.Error())
		return
	}
	var points []string
	for _, m := range ms {
		mp := m.MountPoint
		for _, dir := range []string{g.base, netnsDir} {
			rel, ok := strings.CutPrefix(mp, dir+"/")
			if !ok {
				continue
			}
			first, _, _ := strings.Cut(rel, "/")
			if idOf(first) != "" {
				points = append(points, mp)
			}
		}
	}
	// Deepest first, so that a mount on top goes before the one below.
	sort.Slice(points, func(i, j int) bool { return len(points[i]) > len(points[j]) })
	for _, mp := range points {
		first, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(mp, g.base+"/"), netnsDir+"/"), "/")
		g.act("mount", first, mp, idOf(first), func() error { return unix.Unmount(mp, unix.MNT_DETACH) })
	}
}

func (g *gc) cgroups() {
	l, err := cgroupview.Detect(g.root)
	if err != nil {
		g.rep.Warnings = append(g.rep.Warnings, "cgroups not checked: "+err.Error())
		return
	}
	parent := path.Join("/", g.opts.CgroupParent)
	paths, err := cgroupview.Children(g.root, l, parent, func(n string) bool { return idOf(n) != "" })
	if err != nil {
		g.rep.Warnings = append(g.rep.Warnings, "cgroups not checked: "+err.Error())
		return
	}
	for _, p := range paths {
		id := idOf(path.Base(p))
		grp, err := cgroupview.Open(g.root, l, p)
		if err != nil {
			continue
		}
		g.act("cgroup", path.Base(p), p, id, func() error { return grp.Remove(5 * time.Second) })
	}
}

func (g *gc) veths() {
	names, err := netdebug.LinkNames(g.opts.BridgeNetNS, func(n string) bool { return idOf(n) != "" })
	if err != nil {
		g.rep.Warnings = append(g.rep.Warnings, "veths not checked: "+err.Error())
		return
	}
	for _, n := range names {
		g.act("veth", n, "", idOf(n), func() error {
			err := netdebug.DeleteLink(g.opts.BridgeNetNS, n)
			if errors.Is(err, netdebug.ErrNoLink) {
				return nil // its peer's namespace took it meanwhile
			}
			return err
		})
	}
}

func (g *gc) netns() {
	entries, err := os.ReadDir(netnsDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		id := idOf(e.Name())
		if id == "" {
			continue
		}
		p := filepath.Join(netnsDir, e.Name())
		g.act("netns", e.Name(), p, id, func() error {
			if err := unix.Unmount(p, unix.MNT_DETACH); err != nil && err != unix.EINVAL {
				return err
			}
			return os.Remove(p)
		})
	}
}

// bridge removes ctx0 when no run (live or kept) holds an address on it
// and no port is left.
func (g *gc) bridge() {
	names, err := netdebug.LinkNames(g.opts.BridgeNetNS, func(n string) bool { return n == BridgeName })
	if err != nil || len(names) == 0 {
		return
	}
	inUse := func() bool {
		entries, _ := os.ReadDir(g.base)
		for _, e := range entries {
			if id := idOf(e.Name()); id != "" && g.status(id) != statusDead {
				if _, err := os.Stat(filepath.Join(g.base, e.Name(), ipFile)); err == nil {
					return true
				}
			}
		}
		return false
	}
	if g.opts.DryRun {
		if !inUse() {
			g.rep.Items = append(g.rep.Items, GCItem{Kind: "bridge", Name: BridgeName, Action: "would remove"})
		}
		return
	}
	// Under the runs' lock: a run takes an address before its veth exists.
	lock, err := os.OpenFile(filepath.Join(g.base, "net.lock"), os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return
	}
	defer lock.Close()
	if unix.Flock(int(lock.Fd()), unix.LOCK_EX) != nil || inUse() {
		return
	}
	deleted, err := netdebug.DeleteBridgeIfUnused(g.opts.BridgeNetNS, BridgeName)
	switch {
	case err != nil:
		g.rep.Items = append(g.rep.Items, GCItem{Kind: "bridge", Name: BridgeName, Action: "failed", Error: err.Error()})
	case deleted:
		g.rep.Items = append(g.rep.Items, GCItem{Kind: "bridge", Name: BridgeName, Action: "removed"})
	}
}
