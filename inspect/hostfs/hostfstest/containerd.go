package hostfstest

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// containerdNamespaceDirs are where containerd (the system's or dockerd's)
// and its runc shim make a dir per namespace when a task first runs there,
// and leave it after the namespace is removed.
var containerdNamespaceDirs = []string{
	"/run/containerd/io.containerd.runtime.v2.task",
	"/run/containerd/runc",
	"/var/lib/containerd/io.containerd.runtime.v2.task",
	"/run/docker/containerd/daemon/io.containerd.runtime.v2.task",
	"/var/lib/docker/containerd/daemon/io.containerd.runtime.v2.task",
}

// RemoveContainerdNamespaceAtCleanup removes what a containerd namespace
// ns leaves on the host after `ctr namespaces remove`: its parent cgroup in
// every hierarchy and its empty per-namespace state dirs. A dir that is not
// empty is reported as a leak, not removed. Call it before registering the
// cleanups that remove the namespace: cleanups run last-in-first-out.
func RemoveContainerdNamespaceAtCleanup(t testing.TB, ns string) {
	t.Helper()
	RemoveCgroupAtCleanup(t, ns)
	t.Cleanup(func() {
		for _, dir := range containerdNamespaceDirs {
			if err := os.Remove(filepath.Join(dir, ns)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("leaked containerd namespace dir: %v", err)
			}
		}
	})
}
