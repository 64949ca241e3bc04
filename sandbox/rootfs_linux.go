//go:build linux

package sandbox

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// The container's file system, built by its init in its own mount
// namespace (nothing here is visible on the host, and all of it dies with
// the namespace):
//
//	/ (rprivate)                 before the first mount, so none propagates
//	SCRATCH                      tmpfs on the run's state dir
//	SCRATCH/root                 overlay: lowerdir=rootfs or image layers,
//	                             upperdir=SCRATCH/upper (or the rootfs bound
//	                             in place with --rw)
//	  proc dev dev/pts dev/shm dev/mqueue sys [sys/fs/cgroup]
//	pivot_root, never chroot; the old root detached
//
// Paths in the container are built from the new root's directory, never
// from the host's /proc or /sys.

// Names of the special directories in the container's root.
const (
	ctrProc = "proc"
	ctrDev  = "dev"
	ctrSys  = "sys"
)

// dev nodes a container gets, as runc's default devices.
var devNodes = []struct {
	name         string
	major, minor uint32
}{{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}}

func mount(src, dst, fstype string, flags uintptr, data string) error {
	if err := unix.Mount(src, dst, fstype, flags, data); err != nil {
		what := fstype
		if what == "" {
			what = src
		}
		return fmt.Errorf("mounting %s on %q: %w", what, dst, err)
	}
	return nil
}

// ensureDir makes dir (one component under a parent that is safe) a real
// directory: a symlink or file the image put there is removed first (in an
// overlay, that only writes a whiteout), so that a mount can never be
// redirected out of the root.
func ensureDir(dir string, mode os.FileMode) error {
	fi, err := os.Lstat(dir)
	switch {
	case err == nil && fi.IsDir():
		return nil
	case err == nil:
		if err := os.Remove(dir); err != nil {
			return err
		}
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	return os.Mkdir(dir, mode)
}

// escapeLower escapes a path for overlay's lowerdir list.
func escapeLower(p string) string {
	return strings.NewReplacer(`\`, `\\`, `:`, `\:`, `,`, `\,`).Replace(p)
}

// prepareRoot does everything that does not depend on the namespaces and
// cgroups joined after the parent's release: the scratch tmpfs, the root,
// /proc and /dev. It returns the new root's directory.
func prepareRoot(c *initConfig) (string, error) {
	if err := mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return "", err
	}
	if err := mount("tmpfs", c.Scratch, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=0755"); err != nil {
		return "", err
	}
	newroot := filepath.Join(c.Scratch, "root")
	if err := os.Mkdir(newroot, 0o755); err != nil {
		return "", err
	}
	if c.RW {
		if err := mount(c.Rootfs, newroot, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return "", err
		}
	} else {
		// upper and work are given relative to the scratch dir (the
		// kernel resolves them from the cwd), so that no option carries
		// the state dir's path.
		for _, d := range []string{"upper", "work"} {
			if err := os.Mkdir(filepath.Join(c.Scratch, d), 0o755); err != nil {
				return "", err
			}
		}
		if err := unix.Chdir(c.Scratch); err != nil {
			return "", err
		}
		lower := c.Lower
		if len(lower) == 0 {
			lower = []string{c.Rootfs}
		}
		esc := make([]string, len(lower))
		for i, l := range lower {
			esc[i] = escapeLower(l)
		}
		opts := "lowerdir=" + strings.Join(esc, ":") + ",upperdir=upper,workdir=work"
		if c.UserNS {
			opts += ",userxattr"
		}
		if err := mount("overlay", newroot, "overlay", 0, opts); err != nil {
			return "", err
		}
	}
	for _, d := range []string{ctrProc, ctrDev, ctrSys} {
		if err := ensureDir(filepath.Join(newroot, d), 0o755); err != nil {
			return "", fmt.Errorf("mount point /%s: %w", d, err)
		}
	}
	if err := mount("proc", filepath.Join(newroot, ctrProc), "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return "", err
	}
	if err := setupDev(c, filepath.Join(newroot, ctrDev)); err != nil {
		return "", err
	}
	return newroot, nil
}

// setupDev mounts a minimal /dev: a tmpfs with the six standard nodes
// (bound from the host's in a user namespace, where mknod is refused),
// devpts with its own ptmx, shm, mqueue and the std* links.
func setupDev(c *initConfig, dev string) error {
	if err := mount("tmpfs", dev, "tmpfs", unix.MS_NOSUID|unix.MS_STRICTATIME, "mode=755,size=65536k"); err != nil {
		return err
	}
	for _, n := range devNodes {
		p := filepath.Join(dev, n.name)
		if !c.UserNS {
			if err := unix.Mknod(p, unix.S_IFCHR|0o666, int(unix.Mkdev(n.major, n.minor))); err != nil {
				return fmt.Errorf("mknod %q: %w", p, err)
			}
			continue
		}
		f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o666)
		if err != nil {
			return err
		}
		f.Close()
		if err := mount(filepath.Join("/", ctrDev, n.name), p, "", unix.MS_BIND, ""); err != nil {
			return err
		}
	}
	for _, d := range []string{"pts", "shm", "mqueue"} {
		if err := os.Mkdir(filepath.Join(dev, d), 0o755); err != nil {
			return err
		}
	}
	if err := mount("devpts", filepath.Join(dev, "pts"), "devpts", unix.MS_NOSUID|unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620"); err != nil {
		return err
	}
	if err := mount("shm", filepath.Join(dev, "shm"), "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=1777,size=65536k"); err != nil {
		return err
	}
	if err := mount("mqueue", filepath.Join(dev, "mqueue"), "mqueue", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return err
	}
	// Links into the container's own /proc.
	self := "/" + ctrProc + "/self/fd"
	for name, target := range map[string]string{"ptmx": "pts/ptmx", "fd": self, "stdin": self + "/0", "stdout": self + "/1", "stderr": self + "/2"} {
		if err := os.Symlink(target, filepath.Join(dev, name)); err != nil {
			return err
		}
	}
	return nil
}

// finishRoot runs after the parent's release, once the network and cgroup
// namespaces are final: /sys (which shows the mounter's network
// namespace), the cgroup2 view, bind mounts, masks, pivot_root and the
// read-only remount.
func finishRoot(c *initConfig, newroot string) error {
	sys := filepath.Join(newroot, ctrSys)
	const roFlags = unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
	if err := mount("sysfs", sys, "sysfs", roFlags, ""); err != nil {
		// A user namespace without a network namespace of its own may
		// not mount sysfs: bind the host's, read-only.
		if err := mount(c.HostSys, sys, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return err
		}
		if err := mount("", sys, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
			return err
		}
	}
	if c.Cgroup2 {
		if err := mount("cgroup2", filepath.Join(sys, "fs", "cgroup"), "cgroup2", roFlags, ""); err != nil {
			return err
		}
	}
	nullDev := filepath.Join(newroot, ctrDev, "null")
	for _, p := range c.Masked {
		p = filepath.Join(newroot, strings.TrimPrefix(filepath.Clean("/"+p), "/"))
		fi, err := os.Lstat(p)
		switch {
		case err != nil:
			continue // nothing to hide
		case fi.IsDir():
			err = mount("tmpfs", p, "tmpfs", unix.MS_RDONLY, "size=0")
		default:
			err = mount(nullDev, p, "", unix.MS_BIND, "")
		}
		if err != nil {
			return err
		}
	}
	for _, p := range c.Readonly {
		p = filepath.Join(newroot, strings.TrimPrefix(filepath.Clean("/"+p), "/"))
		if _, err := os.Lstat(p); err != nil {
			continue
		}
		if err := mount(p, p, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return err
		}
		if err := mount("", p, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
			return err
		}
	}

	// pivot_root into the new root, keeping the old one at a random name
	// until the bind mounts from it are made: their targets then resolve
	// inside the container (a symlink in the image cannot point them out).
	oldName := ".ctx-old-" + c.ID
	old := filepath.Join(newroot, oldName)
	if err := os.Mkdir(old, 0o700); err != nil {
		return err
	}
	if err := unix.PivotRoot(newroot, old); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return err
	}
	old = "/" + oldName
	for _, v := range c.Volumes {
		if err := bindVolume(old, v); err != nil {
			return fmt.Errorf("volume %s: %w", v, err)
		}
	}
	for _, t := range c.Tmpfs {
		if err := os.MkdirAll(t, 0o755); err != nil {
			return err
		}
		if err := mount("tmpfs", t, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=1777"); err != nil {
			return err
		}
	}
	if err := unix.Unmount(old, unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detaching the old root: %w", err)
	}
	if err := os.Remove(old); err != nil {
		return err
	}
	if c.ReadOnly {
		if err := mount("", "/", "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_RDONLY, ""); err != nil {
			return err
		}
	}
	return nil
}

// bindVolume binds v.Source (under the old root at old) onto v.Target in
// the container, creating the target like the source (dir or file).
func bindVolume(old string, v Volume) error {
	src := filepath.Join(old, v.Source)
	fi, err := os.Stat(src)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		if err := os.MkdirAll(v.Target, 0o755); err != nil {
			return err
		}
	} else {
		if err := os.MkdirAll(filepath.Dir(v.Target), 0o755); err != nil {
			return err
		}
		f, err := os.OpenFile(v.Target, os.O_CREATE|os.O_RDONLY, 0o644)
		if err != nil {
			return err
		}
		f.Close()
	}
	if err := mount(src, v.Target, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return err
	}
	if v.ReadOnly {
		return mount("", v.Target, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, "")
	}
	return nil
}
