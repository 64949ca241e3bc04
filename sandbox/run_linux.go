//go:build linux

package sandbox

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/cgroupview"
	"github.com/ctx-tools/ctx/inspect"
	"github.com/ctx-tools/ctx/inspect/hostfs"
	"github.com/ctx-tools/ctx/netdebug"
)

// initConfig is what the parent hands the container's init over fd 3.
type initConfig struct {
	ID string `json:"id"`
	// Scratch is the run's state dir: the init mounts a tmpfs on it in
	// its own mount namespace for the overlay's upper and work dirs.
	Scratch  string   `json:"scratch"`
	Rootfs   string   `json:"rootfs,omitempty"`
	Lower    []string `json:"lower,omitempty"` // image layers, top first
	RW       bool     `json:"rw,omitempty"`
	ReadOnly bool     `json:"readOnly,omitempty"`
	Hostname string   `json:"hostname"`
	Args     []string `json:"args"`
	Env      []string `json:"env"`
	Cwd      string   `json:"cwd,omitempty"`
	User     string   `json:"user,omitempty"`
	Volumes  []Volume `json:"volumes,omitempty"`
	Tmpfs    []string `json:"tmpfs,omitempty"`
	Masked   []string `json:"masked"`
	Readonly []string `json:"readonly"`
	Init     bool     `json:"init,omitempty"`
	Caps     uint64   `json:"caps"`
	Seccomp  bool     `json:"seccomp,omitempty"`
	// ReportTasks: before forking the command, the init says "tasks" and
	// waits for a second byte on the sync pipe while the parent raises
	// pids.max by the init's own tasks in the pids cgroup.
	ReportTasks bool `json:"reportTasks,omitempty"`
	// JoinV1 are the run's v1 cgroup dirs, which the init's main thread
	// joins itself (cgroupview.JoinThread) before anything else.
	JoinV1 []string `json:"joinV1,omitempty"`
	// JoinNet: fd 6 is a network namespace to join.
	JoinNet bool `json:"joinNet,omitempty"`
	// Cgroup2 mounts the container's cgroup2 view read-only at
	// /sys/fs/cgroup (v2 hosts).
	Cgroup2 bool `json:"cgroup2,omitempty"`
	UserNS  bool `json:"userns,omitempty"`
	// HostSys is bound read-only at /sys where sysfs cannot be mounted
	// (a user namespace sharing the host's network namespace).
	HostSys string `json:"hostSys"`
}

// Child fds: what ExtraFiles become in the container's init.
const (
	fdConfig = 3 // initConfig as JSON, then EOF
	fdSync   = 4 // one byte from the parent: the cgroups are joined, the network is set up
	fdStatus = 5 // lines from the init: "exec PID", "exit WAITSTATUS", "error CODE MESSAGE"
	fdNetNS  = 6 // --net container: the namespace to join
)

// defaultMasked and defaultReadonly are runc's (specconv/example.go):
// kernel interfaces a container must not read or write. They are paths in
// the container, relative to its root.
var (
	defaultMasked = []string{"proc/acpi", "proc/asound", "proc/kcore", "proc/keys", "proc/latency_stats",
		"proc/timer_list", "proc/timer_stats", "proc/sched_debug", "proc/scsi", "sys/firmware",
		"sys/devices/virtual/powercap"}
	defaultReadonly = []string{"proc/bus", "proc/fs", "proc/irq", "proc/sys", "proc/sysrq-trigger"}
)

// bridgeCandidates are the private ranges tried for ctx0, in order.
func bridgeCandidates() []netip.Prefix {
	var out []netip.Prefix
	for _, second := range []byte{213, 199} {
		for third := 0; third < 256; third++ {
			out = append(out, netip.PrefixFrom(netip.AddrFrom4([4]byte{10, second, byte(third), 0}), 24))
		}
	}
	return out
}

// run is one Run in progress: what has been created, for teardown.
type run struct {
	root   hostfs.Root
	spec   Spec
	id     string
	state  *state
	layout *cgroupview.Layout
	group  *cgroupview.Group
	rep    *Report

	bridgeNS string // netns of the bridge, "" for ctx's
	hostVeth string // set once the veth exists
	usesIP   bool   // holds an address on ctx0
}

// Run starts a container as spec says, waits for it, and reports what
// happened to it. The error is nil whenever the command ran, whatever its
// status: the report carries that. Errors wrap ErrInvalid, ErrNoRootfs,
// ErrNoImage, a *PrivilegeError or a *StartError (126, 127), or describe
// a setup failure; in every case nothing is left behind (ctx gc removes
// what a killed ctx could not).
//
// Cancelling ctx stops the container like a SIGTERM: the init forwards it,
// and after StopTimeout the container is killed.
//
// Equivalent to: docker run --rm (or runc run) plus reading
// memory.events, pids.events and cpu.stat before the cgroup goes.
func Run(ctx context.Context, root hostfs.Root, spec *Spec) (*Report, error) {
	s := *spec
	if err := s.validate(); err != nil {
		return nil, err
	}
	if euid := os.Geteuid(); euid != 0 {
		return nil, &PrivilegeError{Op: "ctx run", Need: "root (euid 0)",
			Err: fmt.Errorf("running as uid %d; it creates cgroups, namespaces and mounts", euid)}
	}
	r := &run{root: root, spec: s}
	cfg, err := r.prepare()
	if err != nil {
		return nil, err
	}
	rep, err := r.start(ctx, cfg)
	terr := r.teardown()
	if err != nil {
		return nil, err
	}
	if terr != nil {
		rep.Warnings = append(rep.Warnings, "cleanup: "+terr.Error()+" (ctx gc removes it)")
	}
	return rep, nil
}

// prepare resolves the root, checks everything the host must provide and
// builds the init's config. It creates nothing.
func (r *run) prepare() (*initConfig, error) {
	s := &r.spec
	var extras *bundleExtras
	var lower []string
	var err error
	if s.Bundle != "" {
		if fi, err := os.Stat(s.Bundle); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("%w: bundle %q is not a directory", ErrNoRootfs, s.Bundle)
		}
		if extras, err = applyBundle(s, s.Bundle); err != nil {
			return nil, err
		}
	}
	if s.Image != "" {
		im, err := ResolveImage(r.root, s.Image)
		if err != nil {
			return nil, err
		}
		lower = im.Layers
		args := s.Args
		if len(args) == 0 {
			args = im.Cmd
		}
		s.Args = append(append([]string(nil), im.Entrypoint...), args...)
		s.Env = append(append([]string(nil), im.Env...), s.Env...)
		if s.Cwd == "" {
			s.Cwd = im.WorkingDir
		}
		if s.User == "" {
			s.User = im.User
		}
		for _, l := range lower {
			if fi, err := os.Stat(l); err != nil || !fi.IsDir() {
				return nil, fmt.Errorf("%w: layer %q of image %q is missing", ErrNoRootfs, l, s.Image)
			}
		}
	}
	if len(s.Args) == 0 {
		return nil, invalidf("no command: give one after --, or use an image with a CMD")
	}
	if s.Image == "" {
		abs, err := filepath.Abs(s.Rootfs)
		if err != nil {
			return nil, fmt.Errorf("%w: %q: %v", ErrNoRootfs, s.Rootfs, err)
		}
		s.Rootfs = abs
		fi, err := os.Stat(abs)
		if err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("%w: %q is not a directory", ErrNoRootfs, s.Rootfs)
		}
		if strings.ContainsAny(abs, ",:\\") && !s.RW {
			return nil, invalidf("rootfs path %q contains ',', ':' or '\\', which overlay options cannot carry", abs)
		}
	}
	for _, v := range s.Volumes {
		if _, err := os.Stat(v.Source); err != nil {
			return nil, invalidf("volume source %q: %v", v.Source, err)
		}
	}
	caps, err := capSet(s.CapAdd, s.CapDrop, s.Privileged)
	if err != nil {
		return nil, err
	}
	if s.StateDir == "" {
		s.StateDir = DefaultStateDir
	}
	if s.StopTimeout == 0 {
		s.StopTimeout = DefaultStopTimeout
	}
	if s.Net.Mode == "" {
		s.Net.Mode = NetNone
	}
	if s.Self == "" {
		if s.Self, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("sandbox: finding the ctx binary to re-execute: %w", err)
		}
	}
	r.layout, err = cgroupview.Detect(r.root)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	cfg := &initConfig{
		Rootfs: s.Rootfs, Lower: lower, RW: s.RW, ReadOnly: s.ReadOnly,
		Args: s.Args, Env: s.Env, Cwd: s.Cwd, User: s.User, Volumes: s.Volumes,
		Masked: defaultMasked, Readonly: defaultReadonly, Init: s.Init, ReportTasks: s.Init && s.Limits.PIDs > 0,
		Caps: uint64(caps), Seccomp: !s.SeccompUnconfined && !s.Privileged,
		JoinNet: s.Net.Mode == NetContainer, UserNS: s.UserNS, HostSys: r.root.Sys(),
		Cgroup2: r.layout.Mode == cgroupview.ModeV2,
	}
	if s.Image != "" {
		cfg.Rootfs = ""
	}
	if extras != nil {
		cfg.Tmpfs = extras.tmpfs
		if extras.masked != nil {
			cfg.Masked = extras.masked
		}
		if extras.readonly != nil {
			cfg.Readonly = extras.readonly
		}
	}
	for _, l := range cfg.Lower {
		if strings.ContainsAny(l, ",:\\") {
			return nil, invalidf("layer path %q contains ',', ':' or '\\', which overlay options cannot carry", l)
		}
	}
	return cfg, nil
}

// resources maps the spec's limits onto cgroupview's.
func (r *run) resources() (cgroupview.Resources, error) {
	l := r.spec.Limits
	res := cgroupview.Resources{
		MemoryMax: l.Memory, MemorySwapMax: l.MemorySwap, CPUQuota: cpuQuota(l.CPUs),
		CPUShares: l.CPUShares, CPUWeight: l.CPUWeight, PIDsMax: l.PIDs, IOWeight: l.IOWeight,
	}
	for _, io := range l.IO {
		maj, min, err := deviceNumbers(io.Device)
		if err != nil {
			return res, err
		}
		res.IODevices = append(res.IODevices, cgroupview.IODeviceLimit{Major: maj, Minor: min,
			ReadBPS: io.ReadBPS, WriteBPS: io.WriteBPS, ReadIOPS: io.ReadIOPS, WriteIOPS: io.WriteIOPS})
	}
	return res, nil
}

// deviceNumbers resolves a block device path or MAJ:MIN.
func deviceNumbers(dev string) (uint32, uint32, error) {
	if a, b, ok := strings.Cut(dev, ":"); ok && !strings.HasPrefix(dev, "/") {
		maj, err1 := strconv.ParseUint(a, 10, 32)
		min, err2 := strconv.ParseUint(b, 10, 32)
		if err1 != nil || err2 != nil {
			return 0, 0, invalidf("invalid device %q: use a block device path or MAJ:MIN", dev)
		}
		return uint32(maj), uint32(min), nil
	}
	var st unix.Stat_t
	if err := unix.Stat(dev, &st); err != nil {
		return 0, 0, invalidf("device %q: %v", dev, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFBLK {
		return 0, 0, invalidf("%q is not a block device", dev)
	}
	return unix.Major(st.Rdev), unix.Minor(st.Rdev), nil
}

// start creates the run's state, cgroup and network, starts the init,
// releases it, and waits.
func (r *run) start(ctx context.Context, cfg *initConfig) (*Report, error) {
	s := &r.spec
	res, err := r.resources()
	if err != nil {
		return nil, err
	}
	// A container network namespace to join is opened before anything is
	// created: a bad TARGET fails cleanly.
	var netnsFile *os.File
	var netnsPath string
	if s.Net.Mode == NetContainer {
		netnsPath, err = r.targetNetNS(s.Net.Target)
		if err != nil {
			return nil, err
		}
		if netnsFile, err = os.Open(netnsPath); err != nil {
			return nil, fmt.Errorf("sandbox: --net container:%s: %w", s.Net.Target, err)
		}
		defer netnsFile.Close()
	}
	if r.id, err = newID(); err != nil {
		return nil, err
	}
	if r.state, err = createState(r.root, s.StateDir, r.id); err != nil {
		if hostfs.IsPermission(err) {
			return nil, &PrivilegeError{Op: "creating the state dir", Need: "write access to " + s.StateDir, Err: err}
		}
		return nil, err
	}
	if s.UserNS {
		// The init is root only in its user namespace: the scratch dir
		// must be its own to mount on, and the state dir's parent
		// traversable.
		base := int(userNSBase(s))
		if err := os.Chown(r.state.dir, base, base); err != nil {
			return nil, fmt.Errorf("sandbox: %w", err)
		}
		if fi, err := os.Stat(s.StateDir); err == nil && fi.Mode().Perm()&0o001 == 0 {
			os.Chmod(s.StateDir, fi.Mode().Perm()|0o011)
		}
	}
	cfg.ID, cfg.Scratch = r.id, r.state.dir
	if cfg.Hostname = s.Hostname; cfg.Hostname == "" {
		cfg.Hostname = runName(r.id)
	}
	rep := &Report{ID: r.id, Command: s.Args, Root: s.describe(), CgroupMode: r.layout.Mode,
		Network: NetReport{Mode: s.Net.Mode}}
	r.rep = rep
	if netnsPath != "" {
		rep.Network.NetNS = netnsPath
	}
	cgPath := path.Join("/", s.CgroupParent, runName(r.id))
	rep.Cgroup = cgPath
	cgErr := func(err error) error {
		if hostfs.IsPermission(err) {
			return &PrivilegeError{Op: "creating the cgroup", Need: "write access to the cgroup hierarchies", Err: err}
		}
		return fmt.Errorf("sandbox: %w", err)
	}
	// Only the cgroup2 dir now, to clone the child into; the v1 dirs and
	// the limits are made while it starts, before it reads its config.
	if r.group, err = cgroupview.CreateStaged(r.root, r.layout, cgPath); err != nil {
		return nil, cgErr(err)
	}

	var addr, gw netip.Prefix
	if s.Net.Mode == NetBridge {
		if addr, gw, err = r.allocateAddress(); err != nil {
			return nil, err
		}
		rep.Network.Address, rep.Network.Gateway = addr.String(), gw.Addr().String()
	}

	cfgR, cfgW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	syncR, syncW, err := os.Pipe()
	if err != nil {
		cfgR.Close()
		cfgW.Close()
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	statR, statW, err := os.Pipe()
	if err != nil {
		cfgR.Close()
		cfgW.Close()
		syncR.Close()
		syncW.Close()
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	defer syncW.Close()
	defer statR.Close()
	defer cfgW.Close()

	cmd := &exec.Cmd{
		Path: s.Self,
		Args: []string{"ctx-init"},
		// Two Ps: one for the locked main thread, one for the runtime's
		// signal thread; more would only add threads, which count against
		// pids.max where the init is cloned into the cgroup (v2).
		Env:    []string{initEnv + "=1", "GOMAXPROCS=2"},
		Stdin:  s.Stdin,
		Stdout: s.Stdout,
		Stderr: s.Stderr,
		// A command that forks a daemon holding its output would keep Wait
		// from returning; it dies with the pid namespace anyway.
		WaitDelay:  time.Second,
		ExtraFiles: []*os.File{cfgR, syncR, statW},
	}
	if netnsFile != nil {
		cmd.ExtraFiles = append(cmd.ExtraFiles, netnsFile)
	}
	flags := uintptr(unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC)
	if s.Net.Mode == NetNone || s.Net.Mode == NetBridge {
		flags |= unix.CLONE_NEWNET
	}
	attr := &syscall.SysProcAttr{Cloneflags: flags, Pdeathsig: syscall.SIGKILL}
	if s.UserNS {
		base := userNSBase(s)
		attr.Cloneflags |= unix.CLONE_NEWUSER
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: int(base), Size: 65536}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: int(base), Size: 65536}}
		attr.GidMappingsEnableSetgroups = true
		// Become the namespace's root (host ID base): the child starts
		// with ctx's IDs, which the map leaves unmapped.
		attr.Credential = &syscall.Credential{Uid: 0, Gid: 0}
	}
	// The cgroup2 dir (on hybrid hosts: the unified tree's) takes the
	// child at clone time: CLONE_INTO_CGROUP, before it runs any code.
	cgFile, err := r.group.OpenUnified()
	if err != nil {
		return nil, err
	}
	if cgFile != nil {
		defer cgFile.Close()
		attr.UseCgroupFD, attr.CgroupFD = true, int(cgFile.Fd())
	}
	cmd.SysProcAttr = attr

	w := &waiter{cmd: cmd, started: make(chan error, 1), done: make(chan struct{})}
	go w.run()
	err = <-w.started
	if err != nil && attr.UseCgroupFD && (errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EINVAL)) {
		// A kernel before 5.7 has no CLONE_INTO_CGROUP: join after clone.
		attr.UseCgroupFD = false
		w = &waiter{cmd: cloneCmd(cmd), started: make(chan error, 1), done: make(chan struct{})}
		go w.run()
		err = <-w.started
	}
	cfgR.Close()
	syncR.Close()
	statW.Close()
	if err != nil {
		if errors.Is(err, unix.EPERM) {
			return nil, &PrivilegeError{Op: "creating namespaces", Need: "CAP_SYS_ADMIN", Err: err}
		}
		if s.UserNS && errors.Is(err, unix.EACCES) {
			return nil, fmt.Errorf("sandbox: --userns: the init runs as host uid %d and cannot execute %q: install ctx where every user may run it: %w", userNSBase(s), s.Self, err)
		}
		return nil, fmt.Errorf("sandbox: starting the container init: %w", err)
	}
	rep.StartedAt = time.Now()
	pid := w.cmd.Process.Pid
	var st *status
	abort := func(err error) (*Report, error) {
		unix.Kill(pid, unix.SIGKILL)
		<-w.done
		if st == nil {
			st = newStatus(statR)
		}
		<-st.done
		for _, l := range st.lines {
			if l[0] == "error" && len(l) > 2 {
				err = fmt.Errorf("%w (the container init: %s)", err, strings.Join(l[2:], " "))
			}
		}
		return nil, err
	}

	if err := r.group.Finish(res); err != nil {
		return abort(cgErr(err))
	}
	rep.Warnings = append(rep.Warnings, r.group.Warnings...)
	// Place the child in the v1 hierarchies (and the unified one if it
	// was not cloned into it) before it runs anything of the payload. In
	// a user namespace, where the child may not write the host's
	// cgroupfs, the parent moves it; otherwise its main thread joins them
	// itself (JoinV1), which avoids the kernel's global lock.
	if !s.UserNS {
		cfg.JoinV1 = r.group.V1Dirs()
	}
	if err := r.group.AddPID(pid, s.UserNS, !attr.UseCgroupFD); err != nil {
		return abort(fmt.Errorf("sandbox: %w", err))
	}
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return abort(fmt.Errorf("sandbox: %w", err))
	}
	// Within the pipe's buffer, unless the command line is huge.
	go func() {
		cfgW.Write(cfgJSON)
		cfgW.Close()
	}()
	nsPath := r.root.PID(pid, "ns", "net")
	switch s.Net.Mode {
	case NetNone:
		if err := netdebug.LinkUp(nsPath, "lo"); err != nil {
			return abort(fmt.Errorf("sandbox: --net none: %w", err))
		}
	case NetBridge:
		r.hostVeth = runName(r.id)
		err := netdebug.AddVeth(netdebug.Veth{HostName: r.hostVeth, Bridge: BridgeName, HostNetNS: r.bridgeNS,
			PeerNetNS: nsPath, PeerName: "eth0", Addr: addr, Gateway: gw.Addr()})
		if err != nil {
			r.hostVeth = ""
			return abort(fmt.Errorf("sandbox: --net bridge: %w", err))
		}
		rep.Network.HostVeth = r.hostVeth
	}

	st = newStatus(statR)
	if _, err := syncW.Write([]byte{1}); err != nil {
		return abort(fmt.Errorf("sandbox: releasing the container init: %w", err))
	}
	if cfg.ReportTasks {
		// The init's own tasks (Go threads) count against pids.max: add
		// them to the limit, so that the command gets what was asked.
		select {
		case <-st.tasks:
			n, err := r.group.PIDsCurrent()
			if err == nil {
				err = r.group.SetPIDsMax(s.Limits.PIDs + int64(n))
			}
			if err != nil {
				return abort(fmt.Errorf("sandbox: %w", err))
			}
			rep.PIDsInitTasks = &n
			syncW.Write([]byte{1})
		case <-st.done:
		}
	}
	syncW.Close()

	stopped := r.wait(ctx, w, pid)
	rep.FinishedAt = time.Now()
	rep.WallUsec = uint64(rep.FinishedAt.Sub(rep.StartedAt).Microseconds())
	rep.Stopped = stopped

	// The init's account of the payload.
	var execd bool
	var wstatus *unix.WaitStatus
	var childErr []string
	<-st.done
	for _, l := range st.lines {
		switch l[0] {
		case "exec":
			execd = true
		case "exit":
			if v, err := strconv.ParseUint(l[1], 10, 32); err == nil {
				ws := unix.WaitStatus(v)
				wstatus = &ws
			}
		case "error":
			childErr = l
		}
	}
	if childErr != nil {
		code, _ := strconv.Atoi(childErr[1])
		msg := strings.Join(childErr[2:], " ")
		switch code {
		case 126, 127:
			return nil, &StartError{Code: code, Path: s.Args[0], Err: errors.New(msg)}
		}
		return nil, fmt.Errorf("sandbox: container setup: %s", msg)
	}
	if !execd && stopped == "" {
		return nil, fmt.Errorf("sandbox: the container init died during setup: %v", w.cmd.ProcessState)
	}
	if wstatus == nil {
		if ws, ok := w.cmd.ProcessState.Sys().(syscall.WaitStatus); ok {
			u := unix.WaitStatus(ws)
			wstatus = &u
		}
	}
	if wstatus != nil {
		switch {
		case wstatus.Signaled():
			sig := wstatus.Signal()
			rep.SignalNumber, rep.Signal = int(sig), unix.SignalName(sig)
			rep.ExitCode = 128 + int(sig)
		default:
			rep.ExitCode = wstatus.ExitStatus()
		}
	}
	stats, warns := r.group.Stats()
	rep.fill(stats)
	rep.Warnings = append(rep.Warnings, warns...)
	return rep, nil
}

// userNSBase is the first host ID of the user namespace's map.
func userNSBase(s *Spec) uint32 {
	if s.UserNSBase == 0 {
		return 100000
	}
	return s.UserNSBase
}

// cloneCmd copies an unstarted command (exec.Cmd may be started once).
func cloneCmd(c *exec.Cmd) *exec.Cmd {
	return &exec.Cmd{Path: c.Path, Args: c.Args, Env: c.Env, Stdin: c.Stdin, Stdout: c.Stdout, Stderr: c.Stderr,
		WaitDelay: c.WaitDelay, ExtraFiles: c.ExtraFiles, SysProcAttr: c.SysProcAttr}
}

// waiter starts and waits for the init on one locked OS thread:
// Pdeathsig fires when the thread that cloned the child exits, and Go
// retires idle threads, so the thread is held until Wait returns
// (golang/go#27505).
type waiter struct {
	cmd     *exec.Cmd
	started chan error
	done    chan struct{}
}

func (w *waiter) run() {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	err := w.cmd.Start()
	w.started <- err
	if err != nil {
		close(w.done)
		return
	}
	w.cmd.Wait()
	close(w.done)
}

// wait forwards signals until the init exits, and stops the container
// after a SIGTERM or SIGINT (or a cancelled ctx) once StopTimeout passes.
// It returns how ctx stopped it, if it did.
func (r *run) wait(ctx context.Context, w *waiter, pid int) string {
	var timer <-chan time.Time
	var stopped string
	done := ctx.Done()
	arm := func(sig string) {
		if timer == nil {
			timer = time.After(r.spec.StopTimeout)
			stopped = sig
		}
	}
	for {
		select {
		case <-w.done:
			return stopped
		case sig, ok := <-r.spec.Signals:
			if !ok {
				r.spec.Signals = nil
				continue
			}
			if ss, ok := sig.(syscall.Signal); ok {
				unix.Kill(pid, ss)
				if ss == unix.SIGTERM || ss == unix.SIGINT {
					arm(unix.SignalName(ss))
				}
			}
		case <-done:
			done = nil
			unix.Kill(pid, unix.SIGTERM)
			arm("SIGTERM")
		case <-timer:
			stopped = fmt.Sprintf("killed %s after %s", stopped, r.spec.StopTimeout)
			unix.Kill(pid, unix.SIGKILL)
			r.group.Kill(time.Second)
			timer = nil
		}
	}
}

// status collects the init's status lines; a "tasks" line is signalled
// on tasks at once.
type status struct {
	lines [][]string
	tasks chan struct{}
	done  chan struct{}
}

func newStatus(f *os.File) *status {
	st := &status{tasks: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(st.done)
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 2 {
				continue
			}
			if fields[0] == "tasks" {
				st.tasks <- struct{}{}
				continue
			}
			st.lines = append(st.lines, fields)
		}
	}()
	return st
}

// targetNetNS resolves --net container:TARGET to an nsfs path.
func (r *run) targetNetNS(target string) (string, error) {
	t, err := inspect.LoadRuntimes(r.root).Resolve(target)
	if err != nil {
		return "", fmt.Errorf("sandbox: --net container:%s: %w", target, err)
	}
	if t.PID > 0 {
		return r.root.PID(t.PID, "ns", "net"), nil
	}
	if t.Path != "" {
		return t.Path, nil
	}
	return "", invalidf("--net container:%s names no process or network namespace", target)
}

// netLock serializes bridge setup and teardown between concurrent runs.
func (r *run) netLock() (func(), error) {
	f, err := os.OpenFile(filepath.Join(r.spec.StateDir, "net.lock"), os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("sandbox: locking %q: %w", f.Name(), err)
	}
	return func() { f.Close() }, nil
}

// allocateAddress makes sure ctx0 exists and takes the lowest host address
// of its prefix no run's state dir holds.
func (r *run) allocateAddress() (addr, gw netip.Prefix, err error) {
	r.bridgeNS = r.spec.Net.BridgeNetNS
	unlock, err := r.netLock()
	if err != nil {
		return addr, gw, err
	}
	defer unlock()
	gw, err = netdebug.EnsureBridge(r.bridgeNS, BridgeName, bridgeCandidates())
	if err != nil {
		return addr, gw, fmt.Errorf("sandbox: --net bridge: %w", err)
	}
	used := map[netip.Addr]bool{gw.Addr(): true}
	entries, _ := os.ReadDir(r.spec.StateDir)
	for _, e := range entries {
		if b, err := os.ReadFile(filepath.Join(r.spec.StateDir, e.Name(), ipFile)); err == nil {
			if a, err := netip.ParseAddr(strings.TrimSpace(string(b))); err == nil {
				used[a] = true
			}
		}
	}
	p := gw.Masked()
	for a := p.Addr().Next(); p.Contains(a); a = a.Next() {
		if used[a] || !p.Contains(a.Next()) { // skip the broadcast address
			continue
		}
		if err := r.state.write(ipFile, a.String()+"\n"); err != nil {
			return addr, gw, err
		}
		r.usesIP = true
		return netip.PrefixFrom(a, p.Bits()), gw, nil
	}
	return addr, gw, fmt.Errorf("sandbox: --net bridge: no free address left in %s", p)
}

// teardown removes what the run created, in reverse: the veth, its
// address and maybe the bridge, the cgroup (unless kept), the state dir.
func (r *run) teardown() error {
	var errs []error
	if r.hostVeth != "" {
		// Usually gone already: the container's netns died with it.
		if err := netdebug.DeleteLink(r.bridgeNS, r.hostVeth); err != nil && !errors.Is(err, netdebug.ErrNoLink) {
			errs = append(errs, err)
		}
	}
	if r.usesIP {
		if unlock, err := r.netLock(); err == nil {
			os.Remove(filepath.Join(r.state.dir, ipFile))
			if !r.bridgeInUse() {
				if _, err := netdebug.DeleteBridgeIfUnused(r.bridgeNS, BridgeName); err != nil {
					errs = append(errs, err)
				}
			}
			unlock()
		} else {
			errs = append(errs, err)
		}
	}
	keep := r.spec.Keep && r.rep != nil && r.rep.FinishedAt != (time.Time{})
	if r.group != nil {
		if keep {
			r.rep.Kept, r.rep.CgroupDirs = true, r.group.Dirs()
		} else if err := r.group.Remove(5 * time.Second); err != nil {
			errs = append(errs, err)
		}
	}
	if r.state != nil {
		if keep {
			if err := r.state.write(keptFile, r.rep.Cgroup+"\n"); err != nil {
				errs = append(errs, err)
			}
		} else if err := removeState(r.state.dir); err != nil {
			errs = append(errs, fmt.Errorf("sandbox: removing %q: %w", r.state.dir, err))
		}
	}
	return errors.Join(errs...)
}

// bridgeInUse reports whether another run's state dir holds an address
// on the bridge.
func (r *run) bridgeInUse() bool {
	entries, _ := os.ReadDir(r.spec.StateDir)
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(r.spec.StateDir, e.Name(), ipFile)); err == nil {
			return true
		}
	}
	return false
}
