// Package nsexec is the C half of `ctx enter`: a constructor that runs in a
// re-executed ctx before the Go runtime starts, while the process is
// single-threaded, so it can join user and time namespaces (which the
// kernel refuses to a multithreaded caller) and all namespaces of a target
// at once. Only cmd/ctx imports it, for its side effect:
//
//	import _ "github.com/ctx-tools/ctx/enter/nsexec"
//
// Protocol. enter.Exec opens a pidfd of the target and one fd per
// namespace, writes a request (NUL-separated key=value strings: fds, modes,
// credentials, argv, environment) into a sealed memfd and re-executes
// ctx in place with _CTX_NSEXEC=<memfd>. The constructor, and nothing else
// in ctx, reads that variable. Without it, it returns at once (but for the
// fast path below). With it:
//
//  1. prctl(PR_SET_DUMPABLE, 0) before anything else;
//  2. unshare(CLONE_FS) before any mount namespace join;
//  3. setns(pidfd, flags) atomically; on failure one fd per namespace in
//     two passes (all but user tolerating errors, then user, then the
//     rest), as util-linux nsenter does;
//  4. fork when a pid or time namespace was joined; the parent stays as a
//     relay: signals in, stop/continue mirrored, exit status out;
//  5. --keep-tools: a private slave copy of ctx's mount namespace with a
//     fresh /proc of the target's pid namespace;
//  6. -r/-w/-W, then credentials (-S/-G, user namespace root,
//     --keep-caps), every fd but 0, 1, 2 (and --preserve-fds) marked
//     close-on-exec, and execvp of the command.
//
// Fast path. Without the marker, the constructor also serves the one
// shape `ctx enter PID -a -- CMD [ARG...]` itself, nsenter -t PID -a's
// twin, because a Go start-up alone costs more than nsenter's whole run
// (the target is 1.3x nsenter). It builds the request the Go side
// would build for that shape from /proc/PID/ns (every namespace of the
// target that differs from ctx's own, mnt always, a fork for pid and time,
// ctx's environment, fds 0-2) and runs the same steps 1-6. Any other
// argv, a host-root setting (CTX_HOST_ROOT, HOST_PROC, CTX_AUTO_HOST_ROOT:
// the Go side reads /proc under them), or a failure before the first
// setns returns without a trace, and the Go path enters and reports. Past
// the first setns a failure is recorded as on the marker path.
// TestEnterFastPath holds it to the Go path.
//
// A failing step is recorded, the constructor returns, the Go runtime
// starts, and the init function here hands the failure to enter, which
// the CLI reports with the usual exit codes. This is the only domain code
// that reads the environment; it exits only through exec or by relaying
// the command's status.
//
// Built with CGO_ENABLED=0, the package registers no constructor and enter
// falls back to joining from a locked Go thread: net, uts, ipc, cgroup,
// pid and mnt work; user, time and --keep-tools are refused by name.
package nsexec
