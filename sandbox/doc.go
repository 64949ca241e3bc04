// Package sandbox runs throw-away isolated containers to reproduce a
// problem on purpose (an OOM kill, PID exhaustion, CPU throttling, a
// broken network) and reports what the kernel recorded: `ctx run` and
// `ctx gc`. See ../shared/notes/sandbox-and-sidecar.md.
//
// Run, in the parent (ctx):
//
//  1. resolves the root: a rootfs directory, a local image's layer
//     directories (Docker overlay2, containerd's overlayfs snapshotter,
//     containers/storage; ResolveImage) or an OCI bundle's config.json;
//  2. makes a state dir StateDir/ctx-<id> recording its owner (PID and
//     start time), then the cgroup ctx-<id> with the limits, through
//     cgroupview's write API, on v1, v2 and hybrid hosts;
//  3. re-executes ctx (os.Executable) with new mount, pid, uts, ipc and,
//     unless --net host or container:, net namespaces set at clone time,
//     a parent-death signal bound to the locked OS thread that waits for
//     it, and the cgroup2 directory as CLONE_INTO_CGROUP
//     (SysProcAttr.UseCgroupFD): the child is born in its cgroup;
//  4. makes the v1 cgroup dirs and writes the limits while the child
//     starts, sets the network up through netdebug (lo, or a veth from
//     the ctx0 bridge with an address no run holds), and only then
//     releases it through a sync pipe. The child's main thread joins the
//     v1 hierarchies itself, first thing (cgroupview.JoinThread: moving
//     oneself skips the kernel's global threadgroup lock, whose RCU grace
//     period made the parent's cgroup.procs writes take up to 11 ms); in
//     a user namespace, which may not write the host's cgroupfs, the
//     parent moves it before the release;
//  5. forwards signals, stops the container after StopTimeout, and reads
//     the counters (memory.events oom_kill or v1 memory.oom_control,
//     peaks, pids.events max, cpu.stat) after the last process exited and
//     before the cgroup is removed.
//
// The child is ctx itself: this package's init function takes over a
// process started with the marker variable _CTX_SANDBOX_INIT (a different
// one from enter/nsexec's C constructor, which ignores it) before main
// runs, on its locked main thread. It joins its v1 cgroups, mounts a tmpfs scratch on the state
// dir in its private mount namespace, the root (an overlay of read-only
// lowerdirs, or the rootfs bound in place with --rw), /proc and a minimal
// /dev; after the release it enters a new cgroup namespace, joins a
// container's network namespace for --net container:, mounts /sys
// read-only, masks runc's list of paths, pivot_roots (never chroot),
// sets the hostname, sets no_new_privs, drops capabilities to Docker's
// default set and loads a seccomp deny-list (per thread, so on the
// locked thread that then execs the command, or with --init forks it and
// stays as PID 1 to forward signals and reap). All of this runs after the
// Go runtime started, which is fine for a single-purpose process: mount
// namespaces are per process, and the per-thread state is set on the one
// thread that execs or forks. Nothing is mounted in the host's namespace,
// so nothing can leak there; a killed ctx leaves at most empty cgroups, a
// state dir and the ctx0 bridge, which GC removes.
//
// Example (equivalent to: docker run --rm --memory 32m --network none
// IMAGE sh -c 'head -c 64m /dev/zero | tail', plus reading memory.events
// before the cgroup goes):
//
//	root, _ := hostfs.New("/")
//	rep, err := sandbox.Run(ctx, root, &sandbox.Spec{
//		Rootfs: "/srv/busybox",
//		Args:   []string{"sh", "-c", "head -c 64m /dev/zero | tail"},
//		Limits: sandbox.Limits{Memory: 32 << 20},
//		Init:   true,
//		Stdout: os.Stdout, Stderr: os.Stderr,
//	})
//	if err != nil {
//		return err // nothing was left behind
//	}
//	fmt.Printf("exit %d, OOM-killed %v, peak %d bytes\n",
//		rep.ExitCode, rep.OOMKilled, *rep.MemoryPeakBytes)
//
// Like every domain package, sandbox never prints; the caller renders the
// Report.
package sandbox
