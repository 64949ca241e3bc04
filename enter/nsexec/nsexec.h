// Shared between the C constructor (nsexec_linux.c) and its Go half
// (nsexec_cgo.go): what a re-executed ctx left behind when its entry failed.
#ifndef CTX_NSEXEC_H
#define CTX_NSEXEC_H

struct ctx_nsexec_state {
	int active;       // this process was started with the marker
	int failed;       // the entry failed; the Go runtime reports it
	int err;          // errno of the failed step
	int child;        // the failure happened in the forked child
	char stage[32];   // request, setns, fork, mount-proc, exec, ...
	char ns[16];      // namespace type of a failed setns, if any
	char detail[256]; // e.g. the command that could not be run
};

const struct ctx_nsexec_state *ctx_nsexec_state(void);

#endif
