package hostfstest

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// RemoveCgroupAtCleanup removes the cgroup rel (relative to each
// hierarchy's root, e.g. a containerd namespace "ctx-test-1a2b", which
// containerd makes the parent of its tasks' cgroups and never removes) from
// every mounted cgroup hierarchy when the test ends. Call it before the
// cleanups that stop the cgroup's processes: cleanups run last-in-first-out.
func RemoveCgroupAtCleanup(t testing.TB, rel string) {
	t.Helper()
	if !filepath.IsLocal(rel) {
		t.Fatalf("RemoveCgroupAtCleanup: %q is not a relative cgroup path", rel)
	}
	t.Cleanup(func() {
		for _, mnt := range cgroupMounts(t) {
			if err := removeCgroupTree(filepath.Join(mnt, rel)); err != nil {
				t.Errorf("leaked cgroup: %v", err)
			}
		}
	})
}

// cgroupMounts lists the mount points of cgroup and cgroup2 filesystems.
func cgroupMounts(t testing.TB) []string {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Errorf("reading mountinfo: %v", err)
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		pre, post, ok := strings.Cut(line, " - ")
		if f := strings.Fields(pre); ok && len(f) >= 5 && (strings.HasPrefix(post, "cgroup ") || strings.HasPrefix(post, "cgroup2 ")) {
			out = append(out, f[4])
		}
	}
	return out
}

// removeCgroupTree rmdirs dir's child cgroups, then dir, retrying briefly
// while the kernel lets go of exiting tasks. A missing dir is fine.
func removeCgroupTree(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	for _, e := range entries {
		if e.IsDir() {
			if err := removeCgroupTree(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	for i := 0; ; i++ {
		err := os.Remove(dir)
		if err == nil || errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if i == 50 {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}
