package sandbox

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// Every object a run creates is named ctx-<id>, with id idLen lowercase
// hex digits: the cgroup, the state dir under StateDir, the host end of
// the veth (ctx- + 10 digits = 14 bytes, within IFNAMSIZ). ctx gc matches
// exactly this shape, so nothing else named ctx-… is touched.
const (
	namePrefix = "ctx-"
	idLen      = 10
)

func newID() (string, error) {
	b := make([]byte, idLen/2)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("sandbox: random run ID: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// runName is the name of everything run id creates.
func runName(id string) string { return namePrefix + id }

// idOf returns the run ID of a name made by runName, or "".
func idOf(name string) string {
	id, ok := strings.CutPrefix(name, namePrefix)
	if !ok || len(id) != idLen {
		return ""
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return ""
		}
	}
	return id
}

// Files of a state dir.
const (
	ownerFile = "owner" // "PID STARTTIME" of the ctx that runs it
	ipFile    = "ip"    // the container's bridge address
	keptFile  = "kept"  // --keep: the cgroup stays until ctx gc --kept
)

// state is the directory of one run, StateDir/ctx-<id>. It exists from
// before the cgroup is made until everything else is gone, so a run killed
// at any point is found by ctx gc. In the container's mount namespace a
// tmpfs is mounted on it for the overlay's upper and work dirs; the host
// never sees that mount, which dies with the container.
type state struct {
	dir string
}

// createState makes the state dir and records the owner: this process.
func createState(root hostfs.Root, base, id string) (*state, error) {
	if err := os.MkdirAll(base, 0o700); err != nil {
		return nil, fmt.Errorf("sandbox: state dir: %w", err)
	}
	dir := filepath.Join(base, runName(id))
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sandbox: state dir: %w", err)
	}
	st := &state{dir: dir}
	pid := os.Getpid()
	start, err := startTime(root, pid)
	if err != nil {
		os.Remove(dir)
		return nil, fmt.Errorf("sandbox: reading own start time: %w", err)
	}
	if err := st.write(ownerFile, fmt.Sprintf("%d %d\n", pid, start)); err != nil {
		os.Remove(dir)
		return nil, err
	}
	return st, nil
}

func (s *state) write(name, content string) error {
	if err := os.WriteFile(filepath.Join(s.dir, name), []byte(content), 0o600); err != nil {
		return fmt.Errorf("sandbox: state: %w", err)
	}
	return nil
}

// remove deletes the state dir: the files ctx wrote, then the dir. It
// never recurses into what it did not write, so a leaked mount on it is
// an error rather than a wiped file system.
func removeState(dir string) error {
	for _, f := range []string{ownerFile, ipFile, keptFile} {
		if err := os.Remove(filepath.Join(dir, f)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if err := os.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// startTime is field 22 of /proc/PID/stat: the start time in clock ticks
// since boot, which tells a live owner from a reused PID.
func startTime(root hostfs.Root, pid int) (uint64, error) {
	b, err := hostfs.ReadFile(root.PID(pid, "stat"))
	if err != nil {
		return 0, err
	}
	return parseStartTime(b)
}

// parseStartTime reads field 22 of a /proc/PID/stat line; the comm field
// (2) may hold spaces and parentheses, so fields count from the last ")".
func parseStartTime(b []byte) (uint64, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("malformed stat")
	}
	f := strings.Fields(string(b[i+1:]))
	const idx = 22 - 3 // fields after comm start at 3 (state)
	if len(f) <= idx {
		return 0, errors.New("malformed stat")
	}
	return strconv.ParseUint(f[idx], 10, 64)
}

// ownerAlive reports whether the ctx recorded in a state dir still runs.
// An unreadable owner file counts as alive if the dir is younger than a
// minute: the run may be writing it right now.
func ownerAlive(root hostfs.Root, dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, ownerFile))
	if err != nil {
		if fi, serr := os.Stat(dir); serr == nil {
			return fi.ModTime().After(nowFunc().Add(-ownerGrace))
		}
		return false
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return false
	}
	pid, err1 := strconv.Atoi(f[0])
	want, err2 := strconv.ParseUint(f[1], 10, 64)
	if err1 != nil || err2 != nil {
		return false
	}
	got, err := startTime(root, pid)
	return err == nil && got == want
}
