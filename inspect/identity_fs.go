package inspect

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// maxStateFile caps what one runtime state file may cost: config.v2.json
// and OCI bundles are a few KiB; containers.json grows by about 1 KiB per
// container.
const maxStateFile = 4 << 20

// maxSymlinks bounds symlink resolution, as the kernel's MAXSYMLINKS does.
const maxSymlinks = 40

// errTooLarge marks a state file above maxStateFile.
var errTooLarge = errors.New("larger than 4 MiB")

// readStateFile reads the host file hostPath under root, resolving symlinks
// inside the host root (an absolute link target means the host's /, never
// ours) and refusing a symlink as the last component: runtime state lives in
// directories a container's processes may be able to influence. It reads at
// most maxStateFile bytes and only regular files, so a FIFO cannot block it.
func readStateFile(root hostfs.Root, hostPath string) ([]byte, error) {
	f, err := openInRoot(root, hostPath, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readStateOpened(f, hostPath)
}

// readStateOpened reads a state file already opened (with O_NONBLOCK) as
// hostPath: a regular file of at most maxStateFile bytes.
func readStateOpened(f *os.File, hostPath string) ([]byte, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%q is not a regular file", hostPath)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxStateFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxStateFile {
		return nil, fmt.Errorf("%q: %w", hostPath, errTooLarge)
	}
	return data, nil
}

// readStateDir lists the host directory hostPath under root, resolving
// symlinks inside the host root.
func readStateDir(root hostfs.Root, hostPath string) ([]string, error) {
	f, err := openInRoot(root, hostPath, os.O_RDONLY|syscall.O_DIRECTORY)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
}

// resolveInRoot resolves the host path p component by component as if the
// host root were /: ".." stops at it and absolute symlink targets restart
// from it. It returns the resolved host-absolute path. The last component is
// resolved only when followLast is set. It is the portable fallback of
// openat2(RESOLVE_IN_ROOT); between this walk and the open a symlink may be
// swapped in, which the caller's O_NOFOLLOW catches only for the last
// component.
func resolveInRoot(prefix, p string, followLast bool) (string, error) {
	todo := strings.Split(strings.Trim(path.Clean("/"+p), "/"), "/")
	resolved := "/"
	links := 0
	for len(todo) > 0 {
		comp := todo[0]
		todo = todo[1:]
		switch comp {
		case "", ".":
			continue
		case "..":
			resolved = path.Dir(resolved)
			continue
		}
		next := path.Join(resolved, comp)
		if len(todo) == 0 && !followLast {
			return next, nil
		}
		st, err := os.Lstat(filepath.Join(prefix, next))
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				// Nothing to resolve below a missing component; the open fails.
				return path.Join(append([]string{next}, todo...)...), nil
			}
			return "", err
		}
		if st.Mode()&os.ModeSymlink == 0 {
			resolved = next
			continue
		}
		if links++; links > maxSymlinks {
			return "", &os.PathError{Op: "resolve", Path: p, Err: syscall.ELOOP}
		}
		target, err := os.Readlink(filepath.Join(prefix, next))
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(target, "/") {
			resolved = "/"
		}
		todo = append(strings.Split(target, "/"), todo...)
	}
	return resolved, nil
}

// openInRootWalk opens hostPath after resolveInRoot.
func openInRootWalk(root hostfs.Root, hostPath string, flags int) (*os.File, error) {
	p, err := resolveInRoot(root.Prefix(), hostPath, flags&syscall.O_NOFOLLOW == 0)
	if err != nil {
		return nil, err
	}
	return os.OpenFile(root.Host(p), flags|syscall.O_CLOEXEC, 0)
}
