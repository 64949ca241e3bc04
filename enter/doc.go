// Package enter runs a command inside the namespaces of a process: all
// eight types, user and time included, with util-linux nsenter's options,
// and a keep-tools mode that gives host binaries the target's view without
// writing anything into the target. It is the domain half of `ctx enter`.
//
// Example (equivalent to `nsenter -t 4242 -n ip addr`):
//
//	root, _ := hostfs.New("/")
//	err := enter.Exec(root, enter.Options{
//		PID:   4242,
//		Types: map[enter.Type]string{enter.Net: ""},
//		Argv:  []string{"ip", "addr"},
//		Env:   env, // the caller's environment
//		Self:  args, // ctx's own command line
//	})
//	// Only reached on failure: on success ctx has become the command.
//
// # Mechanism
//
// A Go process is multithreaded, and the kernel refuses setns into a user
// namespace (EINVAL) or a time namespace (EUSERS) to a multithreaded
// caller, so Exec prepares everything in Go and re-executes ctx in place
// (same PID, /proc/self/exe) with a request; the C constructor in
// enter/nsexec joins before the Go runtime starts. Exec opens, before
// anything is joined (paths resolve in ctx's mount namespace): a pidfd of
// the target, one fd per namespace (for the fallback and for explicit
// --TYPE=FILE paths), the -r/-w directories, and reads the target's IDs,
// environment and cgroups. Namespaces equal to ctx's own are skipped
// (user must be: re-joining it is EINVAL), except mnt. The constructor
// joins atomically with setns(pidfd, flags), falls back to the fds in two
// passes, forks for pid and time namespaces and stays as a relay (signals
// in, stop/continue, exit status out), sets up keep-tools, directories and
// credentials, marks every fd but 0, 1, 2 close-on-exec and execs. When a
// step fails, the Go runtime starts in the re-executed process and the CLI
// reports ReexecError.
//
// # Keeping the target away from ctx
//
// CVE-2019-5736 let a container overwrite the runtime binary that entered
// it through /proc/<pid>/exe. ctx does not copy itself into a sealed memfd
// per entry (measured at about 2.8 ms for the 7 MB binary, more than a
// whole nsenter run); instead:
//
//   - the constructor calls prctl(PR_SET_DUMPABLE, 0) before it reads its
//     request or joins anything, so only a process with CAP_SYS_PTRACE in
//     ctx's (the host's) user namespace can ptrace it or open its exe and
//     fds; the flag survives the fork into the target's pid namespace;
//   - no process whose exe is ctx ever runs inside a joined pid namespace
//     past exec: the child forked into it execs the command at once, and
//     the relay stays in ctx's own pid namespace, invisible to the target;
//   - a running binary cannot be opened for writing (ETXTBSY), and the
//     relay lives until the command ends;
//   - every fd is close-on-exec except 0, 1, 2 and --preserve-fds, the cwd
//     is set explicitly after joining a mount namespace (never inherited
//     from ctx's, CVE-2024-21626), and -r without -w goes to the new /.
//
// A target process able to reach the relay anyway already shares the host
// pid namespace and holds CAP_SYS_PTRACE there: it owns the host.
//
// Without the constructor (CGO_ENABLED=0), Exec joins from a locked,
// throw-away OS thread after unshare(CLONE_FS) and forks the command from
// it; user, time, --keep-tools and --keep-caps are refused with
// ErrNoConstructor.
//
// # Not applied
//
// Like nsenter, the command does not get the target's seccomp filter,
// LSM profile, capability bounding set or cgroup limits (JoinCgroup moves
// it into the target's cgroups). In full mode with mnt joined, the
// command and its libraries come from the target's filesystem.
package enter
