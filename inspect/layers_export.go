package inspect

import (
	"fmt"
	"os"

	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// Exports for package layers, which reads the same runtime state through
// the same safe helpers.

// OpenInRoot opens the host path hostPath under root with flags, resolving
// every symlink as if the host root were / (openat2 RESOLVE_IN_ROOT where
// the kernel has it). Pass O_NOFOLLOW to refuse a symlink as the last
// component.
func OpenInRoot(root hostfs.Root, hostPath string, flags int) (*os.File, error) {
	return openInRoot(root, hostPath, flags)
}

// ReadStateFile reads a runtime state file under root: at most 4 MiB, a
// regular file only, symlinks resolved inside the host root and refused
// as the last component.
func ReadStateFile(root hostfs.Root, hostPath string) ([]byte, error) {
	return readStateFile(root, hostPath)
}

// ReadStateOpened reads a state file opened some other way (O_NONBLOCK)
// with ReadStateFile's checks: a regular file of at most 4 MiB.
func ReadStateOpened(f *os.File, hostPath string) ([]byte, error) {
	return readStateOpened(f, hostPath)
}

// ReadStateDir lists a runtime state directory under root.
func ReadStateDir(root hostfs.Root, hostPath string) ([]string, error) {
	return readStateDir(root, hostPath)
}

// DockerDataRoot is Docker's data root on the host: data-root (or graph)
// of /etc/docker/daemon.json, else /var/lib/docker. A daemon.json that
// cannot be parsed is reported with the default.
func DockerDataRoot(root hostfs.Root) (string, error) {
	data, err := readStateFile(root, dockerDaemonJSON)
	if err != nil {
		return dockerDefaultRoot, nil
	}
	dr, err := parseDaemonDataRoot(data)
	if err != nil {
		return dockerDefaultRoot, fmt.Errorf("%q: %w", dockerDaemonJSON, err)
	}
	if dr == "" {
		return dockerDefaultRoot, nil
	}
	return dr, nil
}

// HostMounts reads the host's mount table: PID 1's, else ctx's own
// rebased to host paths (see readHostMounts).
func HostMounts(root hostfs.Root) ([]Mount, error) { return readHostMounts(root) }

// OverlayOf returns the layer layout of an overlay mount's options
// (lowerdir=, upperdir=, workdir=, and the lowerdir+/datadir+ forms).
func OverlayOf(m Mount) *Overlay { return parseOverlay(m) }
