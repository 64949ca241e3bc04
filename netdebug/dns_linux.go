package netdebug

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// maxResolvConf bounds what is read of a container's resolv.conf.
const maxResolvConf = 1 << 16

// ReadDNS reads the resolver configuration process pid sees: its
// /etc/resolv.conf, opened with openat2(RESOLVE_IN_ROOT |
// RESOLVE_NO_MAGICLINKS) below /proc/PID/root. Symlinks, absolute ones
// included, resolve inside the process's root and never reach the host's
// (or ctx's) files; a file that cannot be read is reported in Error, not
// as an error. It needs CAP_SYS_PTRACE over the process and returns
// hostfs.ErrNotLive on a fixture root.
//
// Equivalent to: nsenter -t PID -m cat /etc/resolv.conf.
func ReadDNS(root hostfs.Root, pid int) (*DNSConfig, error) {
	if !root.Live() {
		return nil, hostfs.ErrNotLive
	}
	cfg := &DNSConfig{PID: pid, Path: "/" + resolvConf, Nameservers: []string{}}
	b, err := readInRoot(root.PID(pid, "root"), resolvConf)
	if err != nil {
		cfg.Error = err.Error()
		return cfg, nil
	}
	cfg.Nameservers, cfg.Search, cfg.Options = parseResolvConf(b)
	return cfg, nil
}

// readInRoot reads rel below the directory rootPath as if rootPath were /.
func readInRoot(rootPath, rel string) ([]byte, error) {
	dir, err := unix.Open(rootPath, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("opening the process root %q: %w", rootPath, err)
	}
	defer unix.Close(dir)
	var fd int
	for {
		fd, err = unix.Openat2(dir, rel, &unix.OpenHow{
			Flags:   unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NOCTTY | unix.O_NONBLOCK,
			Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
		})
		if !errors.Is(err, unix.EAGAIN) && !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if errors.Is(err, unix.ENOSYS) {
		return nil, fmt.Errorf("openat2 is not available (Linux < 5.6): not read, as a plain open could follow a symlink out of the container")
	}
	if err != nil {
		return nil, fmt.Errorf("/%s: %w", rel, err)
	}
	f := os.NewFile(uintptr(fd), rel)
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("/%s is not a regular file (%s)", rel, st.Mode().Type())
	}
	return io.ReadAll(io.LimitReader(f, maxResolvConf))
}
