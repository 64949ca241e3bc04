//go:build linux && cgo

// The C half of `ctx enter`: a constructor that runs in a re-executed ctx
// before the Go runtime starts, while the process is still single-threaded,
// so it can join every namespace type, user and time included (setns(2):
// the kernel refuses user with EINVAL and time with EUSERS to a
// multithreaded caller). See doc.go for the protocol and the Go half in
// github.com/ctx-tools/ctx/enter for how the request is built.
//
// It does nothing unless the marker variable _CTX_NSEXEC names a sealed
// memfd holding a request, or argv is exactly `ctx enter PID -a -- CMD...`
// (fast_enter: see doc.go). On success it never returns: it execs the
// command (and, when it had to fork for a pid or time namespace, stays
// behind as the relay that passes signals in and the exit status out). On
// failure it records what failed in ctx_nsexec_status and returns, so the
// Go runtime starts and the CLI reports the error like any other.
//
// The code runs before main: no Go, no threads, and nothing but
// async-signal-safe libc calls after fork. /proc is spelled here (and only
// here) because no hostfs.Root exists yet; the Go side passes everything
// else as fds opened before any namespace was joined (notes P14).

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>

#include "nsexec.h"

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef F_GET_SEALS
#define F_GET_SEALS 1034
#endif
#ifndef F_SEAL_WRITE
#define F_SEAL_WRITE 0x0008
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#endif

#define MARKER "_CTX_NSEXEC"
#define MAGIC "ctx-nsexec/1"
#define MAX_REQUEST (16 << 20)

extern char **environ;

// The join order of util-linux nsenter: user first, so that its second
// pass can enter the user namespace before what it failed to join.
enum { T_USER, T_CGROUP, T_IPC, T_UTS, T_NET, T_PID, T_MNT, T_TIME, NTYPES };

static const struct {
	const char *name;
	int flag;
} types[NTYPES] = {
	{"user", CLONE_NEWUSER}, {"cgroup", CLONE_NEWCGROUP}, {"ipc", CLONE_NEWIPC},
	{"uts", CLONE_NEWUTS},   {"net", CLONE_NEWNET},       {"pid", CLONE_NEWPID},
	{"mnt", CLONE_NEWNS},    {"time", CLONE_NEWTIME},
};

struct request {
	int pidfd;          // the target, for the atomic setns; -1 for none
	int selfpid;        // ctx's own pid namespace, to step back on failure
	int nsfd[NTYPES];   // one fd per namespace to join; -1 for none
	int optuser;        // join user only when a join fails without it
	int fork;           // fork after joining: pid or time namespace
	int keeptools;      // private mount ns with a fresh /proc in the child
	long rootpid;       // keep-tools: the target's PID in that /proc, for CTX_ROOT
	int rootfd, wdfd;   // -r and -w, opened in ctx's mount namespace
	const char *wdns;   // -W: a path inside the entered mount namespace
	long uid, gid;      // -S, -G; -1 for unset
	int preservecred;   // --preserve-credentials
	int keepcaps;       // --keep-caps
	int closefrom;      // fds from here on do not reach the command
	char **argv, **envp;
	int joined_user;
};

static struct ctx_nsexec_state status;

const struct ctx_nsexec_state *ctx_nsexec_state(void) { return &status; }

static void copy(char *dst, size_t n, const char *src)
{
	if (!src)
		src = "";
	strncpy(dst, src, n - 1);
	dst[n - 1] = '\0';
}

// fail records the first failure; the Go runtime reports it.
static void fail(const char *stage, const char *ns, const char *detail, int err)
{
	if (status.failed)
		return;
	status.failed = 1;
	status.err = err;
	copy(status.stage, sizeof status.stage, stage);
	copy(status.ns, sizeof status.ns, ns);
	copy(status.detail, sizeof status.detail, detail);
}

static int setns_raw(int fd, int flags) { return (int)syscall(SYS_setns, fd, flags); }

static long number(const char *s)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end)
		return -2;
	return v;
}

// read_request reads and parses the request: NUL-terminated "key=value"
// strings after the magic, "arg" and "env" repeated in order.
static int read_request(int fd, struct request *r)
{
	struct stat st;
	int seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || !(seals & F_SEAL_WRITE) || fstat(fd, &st) < 0 || st.st_size <= 0 ||
	    st.st_size > MAX_REQUEST) {
		fail("request", NULL, "the marker does not name a sealed request", errno ? errno : EINVAL);
		return -1;
	}
	size_t size = (size_t)st.st_size;
	char *buf = malloc(size + 1);
	if (!buf) {
		fail("request", NULL, NULL, ENOMEM);
		return -1;
	}
	size_t got = 0;
	while (got < size) {
		ssize_t n = pread(fd, buf + got, size - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fail("request", NULL, "short read", n < 0 ? errno : EIO);
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	buf[size] = '\0';
	if (size == 0 || buf[size - 1] != '\0' || strcmp(buf, MAGIC) != 0) {
		fail("request", NULL, "bad magic: ctx binary and request differ", EINVAL);
		return -1;
	}

	memset(r, 0, sizeof *r);
	r->pidfd = r->selfpid = r->rootfd = r->wdfd = -1;
	r->uid = r->gid = -1;
	r->closefrom = 3;
	for (int t = 0; t < NTYPES; t++)
		r->nsfd[t] = -1;

	size_t nargs = 0, nenv = 0;
	for (char *p = buf; p < buf + size; p += strlen(p) + 1) {
		if (!strncmp(p, "arg=", 4))
			nargs++;
		else if (!strncmp(p, "env=", 4))
			nenv++;
	}
	r->argv = calloc(nargs + 1, sizeof(char *));
	r->envp = calloc(nenv + 2, sizeof(char *)); // + CTX_ROOT
	if (!r->argv || !r->envp) {
		fail("request", NULL, NULL, ENOMEM);
		return -1;
	}
	nargs = nenv = 0;
	for (char *p = buf + strlen(buf) + 1, *next; p < buf + size; p = next) {
		next = p + strlen(p) + 1;
		char *eq = strchr(p, '=');
		if (!eq) {
			fail("request", NULL, p, EINVAL);
			return -1;
		}
		*eq = '\0';
		const char *k = p, *v = eq + 1;
		long n = number(v);
		if (!strcmp(k, "arg"))
			r->argv[nargs++] = (char *)v;
		else if (!strcmp(k, "env"))
			r->envp[nenv++] = (char *)v;
		else if (!strcmp(k, "wdns"))
			r->wdns = v;
		else if (n < -1) {
			fail("request", NULL, k, EINVAL);
			return -1;
		} else if (!strcmp(k, "pidfd"))
			r->pidfd = (int)n;
		else if (!strcmp(k, "selfpid"))
			r->selfpid = (int)n;
		else if (!strcmp(k, "optuser"))
			r->optuser = (int)n;
		else if (!strcmp(k, "fork"))
			r->fork = (int)n;
		else if (!strcmp(k, "keeptools"))
			r->keeptools = (int)n;
		else if (!strcmp(k, "rootpid"))
			r->rootpid = n;
		else if (!strcmp(k, "root"))
			r->rootfd = (int)n;
		else if (!strcmp(k, "wd"))
			r->wdfd = (int)n;
		else if (!strcmp(k, "uid"))
			r->uid = n;
		else if (!strcmp(k, "gid"))
			r->gid = n;
		else if (!strcmp(k, "preservecred"))
			r->preservecred = (int)n;
		else if (!strcmp(k, "keepcaps"))
			r->keepcaps = (int)n;
		else if (!strcmp(k, "closefrom"))
			r->closefrom = (int)n;
		else if (!strncmp(k, "ns.", 3)) {
			int t;
			for (t = 0; t < NTYPES; t++)
				if (!strcmp(k + 3, types[t].name))
					break;
			if (t == NTYPES) {
				fail("request", NULL, k, EINVAL);
				return -1;
			}
			r->nsfd[t] = (int)n;
		} else {
			fail("request", NULL, k, EINVAL);
			return -1;
		}
	}
	if (nargs == 0 || r->closefrom < 3) {
		fail("request", NULL, "no command", EINVAL);
		return -1;
	}
	if (r->rootpid > 0) {
		// The target's root through the fresh /proc of keep-tools.
		static char root[64];
		snprintf(root, sizeof root, "CTX_ROOT=/proc/%ld/root", r->rootpid);
		size_t j = 0;
		for (size_t i = 0; i < nenv; i++)
			if (strncmp(r->envp[i], "CTX_ROOT=", 9))
				r->envp[j++] = r->envp[i];
		r->envp[j++] = root;
		r->envp[j] = NULL;
	}
	return 0;
}

// join enters the namespaces: atomically through the pidfd when there is
// one (Linux 5.8+), else, or when that fails, one fd at a time in two
// passes like nsenter: first everything but user, tolerating failures,
// then user, then what is left, reporting the first failure by type.
static int join(struct request *r)
{
	int flags = 0;
	for (int t = 0; t < NTYPES; t++)
		if (r->nsfd[t] >= 0 && !(t == T_USER && r->optuser))
			flags |= types[t].flag;
	if (flags == 0 && !(r->optuser && r->nsfd[T_USER] >= 0))
		return 0;

	// Never join a mount namespace while sharing fs_struct: with a pidfd
	// and other flags the kernel would re-root every sharer (notes §5).
	// A constructor is single-threaded, but the rule holds on every path.
	if ((flags & CLONE_NEWNS) && unshare(CLONE_FS) < 0) {
		fail("unshare-fs", NULL, NULL, errno);
		return -1;
	}

	if (r->pidfd >= 0 && flags) {
		if (setns_raw(r->pidfd, flags) == 0) {
			r->joined_user = (flags & CLONE_NEWUSER) != 0;
			goto joined;
		}
		if (errno == EPERM && r->optuser && r->nsfd[T_USER] >= 0 &&
		    setns_raw(r->pidfd, flags | CLONE_NEWUSER) == 0) {
			r->joined_user = 1;
			goto joined;
		}
		if (errno == ESRCH) {
			fail("setns", NULL, NULL, ESRCH);
			return -1;
		}
		// Fall back to the fds: they also name the namespace that fails.
	}

	int pending = 0;
	for (int t = T_USER + 1; t < NTYPES; t++) {
		if (r->nsfd[t] < 0)
			continue;
		if (setns_raw(r->nsfd[t], types[t].flag) == 0) {
			close(r->nsfd[t]);
			r->nsfd[t] = -1;
		} else {
			pending++;
		}
	}
	if (r->nsfd[T_USER] >= 0 && (!r->optuser || pending)) {
		if (setns_raw(r->nsfd[T_USER], CLONE_NEWUSER) < 0) {
			fail("setns", "user", NULL, errno);
			return -1;
		}
		r->joined_user = 1;
	}
	for (int t = T_USER + 1; t < NTYPES; t++) {
		if (r->nsfd[t] < 0)
			continue;
		if (setns_raw(r->nsfd[t], types[t].flag) < 0) {
			fail("setns", types[t].name, NULL, errno);
			return -1;
		}
		close(r->nsfd[t]);
		r->nsfd[t] = -1;
	}

joined:
	for (int t = 0; t < NTYPES; t++)
		if (r->nsfd[t] >= 0) {
			close(r->nsfd[t]);
			r->nsfd[t] = -1;
		}
	return 0;
}

static void die_like(int sig) __attribute__((noreturn));
static void die_like(int sig)
{
	sigset_t s;
	signal(sig, SIG_DFL);
	sigemptyset(&s);
	sigaddset(&s, sig);
	sigprocmask(SIG_UNBLOCK, &s, NULL);
	kill(getpid(), sig);
	_exit(128 + sig);
}

// relay stays behind as the child's parent, outside the pid namespace it
// joined: it passes on every signal a process sent it (signals from the
// terminal already reached the child through the process group), stops
// when the child stops and continues it after, and exits with the child's
// status or dies of its signal, like nsenter's continue_as_child.
static void relay(pid_t child) __attribute__((noreturn));
static void relay(pid_t child)
{
	sigset_t all;
	sigfillset(&all);
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si);
		if (sig < 0)
			continue;
		if (sig == SIGCHLD) {
			int st;
			pid_t w;
			while ((w = waitpid(child, &st, WNOHANG | WUNTRACED)) > 0) {
				if (WIFSTOPPED(st)) {
					kill(getpid(), SIGSTOP);
					kill(child, SIGCONT);
				} else if (WIFEXITED(st)) {
					_exit(WEXITSTATUS(st));
				} else if (WIFSIGNALED(st)) {
					die_like(WTERMSIG(st));
				}
			}
			if (w < 0 && errno == ECHILD)
				_exit(1);
			continue;
		}
		if (si.si_code <= 0) // SI_USER, SI_QUEUE, SI_TKILL: sent by a process
			kill(child, sig);
	}
}

// keep_tools gives the command a private copy of ctx's own mount namespace,
// slave so nothing propagates back, with a fresh procfs of the pid
// namespace the child now lives in. Nothing of the target's is touched.
static int keep_tools(void)
{
	if (unshare(CLONE_NEWNS) < 0) {
		fail("unshare-mnt", NULL, NULL, errno);
		return -1;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) {
		fail("mount-slave", NULL, NULL, errno);
		return -1;
	}
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		fail("mount-proc", NULL, NULL, errno);
		return -1;
	}
	return 0;
}

// set_dirs applies -r, -w and -W as nsenter does, except that with -r and
// no -w the cwd is the new root, never a directory of ctx's (CVE-2024-21626).
static int set_dirs(struct request *r)
{
	if (r->rootfd >= 0) {
		if (fchdir(r->rootfd) < 0 || chroot(".") < 0 || chdir("/") < 0) {
			fail("root", NULL, NULL, errno);
			return -1;
		}
		close(r->rootfd);
		r->rootfd = -1;
	}
	if (r->wdns) {
		if (chdir(r->wdns) < 0) {
			fail("wdns", NULL, r->wdns, errno);
			return -1;
		}
	} else if (r->wdfd >= 0) {
		if (fchdir(r->wdfd) < 0) {
			fail("wd", NULL, NULL, errno);
			return -1;
		}
	}
	if (r->wdfd >= 0) {
		close(r->wdfd);
		r->wdfd = -1;
	}
	return 0;
}

// ambient_caps raises every permitted capability into the inheritable and
// ambient sets, so they survive exec as a non-root user (--keep-caps).
static int ambient_caps(void)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0) {
		fail("keep-caps", NULL, NULL, errno);
		return -1;
	}
	d[0].inheritable = d[0].permitted;
	d[1].inheritable = d[1].permitted;
	if (syscall(SYS_capset, &h, d) < 0) {
		fail("keep-caps", NULL, NULL, errno);
		return -1;
	}
	for (int c = 0; c < 64; c++) {
		if (!(d[c / 32].permitted & (1U << (c % 32))))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0 && errno != EINVAL) {
			fail("keep-caps", NULL, NULL, errno);
			return -1;
		}
	}
	return 0;
}

// set_creds switches uid and gid as nsenter does: to -S/-G when given,
// and to 0:0 without supplementary groups after joining a user namespace
// unless --preserve-credentials.
static int set_creds(struct request *r)
{
	int force_uid = r->uid >= 0, force_gid = r->gid >= 0;
	uid_t uid = r->uid >= 0 ? (uid_t)r->uid : 0;
	gid_t gid = r->gid >= 0 ? (gid_t)r->gid : 0;
	if (r->joined_user && !r->preservecred)
		force_uid = force_gid = 1;
	if (r->keepcaps && force_uid && uid != 0 && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) {
		fail("keep-caps", NULL, NULL, errno);
		return -1;
	}
	if (force_gid) {
		// A user namespace may deny setgroups (/proc/PID/setgroups "deny").
		if (setgroups(0, NULL) < 0 && !(errno == EPERM && r->joined_user)) {
			fail("setgroups", NULL, NULL, errno);
			return -1;
		}
		if (setresgid(gid, gid, gid) < 0) {
			fail("setgid", NULL, NULL, errno);
			return -1;
		}
	}
	if (force_uid && setresuid(uid, uid, uid) < 0) {
		fail("setuid", NULL, NULL, errno);
		return -1;
	}
	if (r->keepcaps && ambient_caps() < 0)
		return -1;
	return 0;
}

// close_fds keeps 0, 1, 2 and any fds asked for (--preserve-fds) from the
// command: every other fd is marked close-on-exec.
static void close_fds(int from)
{
	if (syscall(SYS_close_range, (unsigned)from, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	struct rlimit rl;
	long max = 65536;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && (long)rl.rlim_cur < max)
		max = (long)rl.rlim_cur;
	for (long fd = from; fd < max; fd++)
		fcntl((int)fd, F_SETFD, FD_CLOEXEC);
}

static void run(struct request *r)
{
	if (join(r) < 0)
		return;
	if (r->pidfd >= 0) {
		close(r->pidfd);
		r->pidfd = -1;
	}
	if (r->fork) {
		// An inherited SIG_IGN would have the kernel reap the child and
		// lose its status (nsenter resets it too).
		signal(SIGCHLD, SIG_DFL);
		sigset_t all, old;
		sigfillset(&all);
		sigprocmask(SIG_BLOCK, &all, &old);
		pid_t c = fork();
		if (c < 0) {
			int e = errno;
			sigprocmask(SIG_SETMASK, &old, NULL);
			fail("fork", NULL, NULL, e);
			return;
		}
		if (c > 0) {
			if (r->rootfd >= 0)
				close(r->rootfd);
			if (r->wdfd >= 0)
				close(r->wdfd);
			relay(c);
		}
		status.child = 1;
		sigprocmask(SIG_SETMASK, &old, NULL);
		// The command dies with its relay: ctx killed means command killed.
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	}
	if (r->keeptools && keep_tools() < 0)
		return;
	if (set_dirs(r) < 0 || set_creds(r) < 0)
		return;
	// Kept for go_back until exec succeeds, never passed on.
	if (r->selfpid >= 0)
		fcntl(r->selfpid, F_SETFD, FD_CLOEXEC);
	close_fds(r->closefrom);
	environ = r->envp;
	execvp(r->argv[0], r->argv);
	fail("exec", NULL, r->argv[0], errno);
}

// go_back makes a failed process fit for the Go runtime again. A process
// whose pid namespace for children differs from its own cannot create
// threads (clone(CLONE_THREAD) is EINVAL), so the Go runtime would abort:
// step back into ctx's own pid namespace, or, when that is refused (a
// joined user namespace took the right away), report here and exit.
static void go_back(struct request *r)
{
	if (status.child || r->selfpid < 0)
		return;
	struct stat self, children;
	if (stat("/proc/self/ns/pid", &self) == 0 && stat("/proc/self/ns/pid_for_children", &children) == 0 &&
	    self.st_ino == children.st_ino && self.st_dev == children.st_dev)
		return;
	if (setns_raw(r->selfpid, CLONE_NEWPID) == 0)
		return;
	char msg[512];
	int code = status.err == EPERM || status.err == EACCES ? 4 : 1, n;
	if (!strcmp(status.stage, "exec")) {
		code = status.err == ENOENT ? 127 : 126;
		n = snprintf(msg, sizeof msg, "error: cannot run \"%s\": %s\n", status.detail, strerror(status.err));
	} else {
		const char *what = status.stage;
		if (!strcmp(what, "fork") && status.err == ENOMEM)
			what = "fork: the target's pid namespace has no init (its PID 1 exited)";
		n = snprintf(msg, sizeof msg, "error: enter: %s%s%s%s%s: %s\n", what, status.ns[0] ? " " : "",
			     status.ns, status.detail[0] ? " " : "", status.detail, strerror(status.err));
	}
	if (n > 0 && write(2, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1) < 0)
		_exit(code);
	_exit(code);
}

// harden marks this process as an entry and, before anything else, makes
// it non-dumpable: no process of the target may ptrace it or open
// /proc/<ctx>/exe or /proc/<ctx>/fd (CVE-2019-5736 class).
static int harden(void)
{
	status.active = 1;
	prctl(PR_SET_NAME, "ctx", 0, 0, 0); // not "exe": the relay shows as ctx
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		fail("dumpable", NULL, NULL, errno);
		return -1;
	}
	return 0;
}

// enter runs the request: it never returns when the command runs; when a
// step fails it steps back (go_back) so the Go runtime can start and
// report.
static void enter(struct request *r)
{
	run(r);
	go_back(r);
	if (r->selfpid >= 0)
		close(r->selfpid);
}

static void init_request(struct request *r)
{
	memset(r, 0, sizeof *r);
	r->pidfd = r->selfpid = r->rootfd = r->wdfd = -1;
	r->uid = r->gid = -1;
	r->closefrom = 3;
	for (int t = 0; t < NTYPES; t++)
		r->nsfd[t] = -1;
}

static void close_request(struct request *r)
{
	for (int t = 0; t < NTYPES; t++)
		if (r->nsfd[t] >= 0)
			close(r->nsfd[t]);
	if (r->pidfd >= 0)
		close(r->pidfd);
	if (r->selfpid >= 0)
		close(r->selfpid);
}

// fast_enter serves the one shape `ctx enter PID -a -- CMD [ARG...]`, the
// nsenter -t PID -a of ctx, without starting the Go runtime: a Go start-up
// costs more than nsenter's whole run. It builds the request the Go side
// would (every namespace of the target that differs from ctx's own, mnt
// always; fork for pid and time; ctx's environment; fds 0-2 only) from the
// target's /proc/PID/ns files. Anything else, a host-root setting (the Go
// side reads /proc under it), or a failure before the first setns returns
// without a trace, and the Go path does the entry and reports.
static void fast_enter(int argc, char **argv, char **envp)
{
	if (argc < 6 || !argv || strcmp(argv[1], "enter") || strcmp(argv[3], "-a") || strcmp(argv[4], "--") ||
	    !argv[5][0] || getenv("CTX_HOST_ROOT") || getenv("HOST_PROC") || getenv("CTX_AUTO_HOST_ROOT"))
		return;
	long pid = number(argv[2]);
	if (pid <= 0 || pid > 0x3fffffff)
		return;
	struct request r;
	init_request(&r);
	r.pidfd = (int)syscall(SYS_pidfd_open, (int)pid, 0);
	if (r.pidfd < 0)
		return;
	fcntl(r.pidfd, F_SETFD, FD_CLOEXEC);
	for (int t = 0; t < NTYPES; t++) {
		char own[64], target[64];
		struct stat os, ts;
		snprintf(own, sizeof own, "/proc/self/ns/%s", types[t].name);
		snprintf(target, sizeof target, "/proc/%ld/ns/%s", pid, types[t].name);
		if (stat(own, &os) < 0)
			continue; // a type this kernel lacks
		int fd = open(target, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &ts) < 0) {
			if (fd >= 0)
				close(fd);
			close_request(&r);
			return;
		}
		if (t != T_MNT && os.st_dev == ts.st_dev && os.st_ino == ts.st_ino) {
			close(fd); // already there: joining one's own user ns is EINVAL
			continue;
		}
		r.nsfd[t] = fd;
		if (t == T_PID || t == T_TIME)
			r.fork = 1;
	}
	if (r.nsfd[T_PID] >= 0 && (r.selfpid = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC)) < 0) {
		close_request(&r);
		return;
	}
	// The target may have exited while its files were opened.
	if (syscall(SYS_pidfd_send_signal, r.pidfd, 0, NULL, 0) < 0) {
		close_request(&r);
		return;
	}
	r.argv = argv + 5;
	r.envp = envp;
	if (harden() < 0) {
		close_request(&r);
		return;
	}
	enter(&r);
}

// glibc passes argc, argv and envp to constructors, static or dynamic.
__attribute__((constructor)) static void ctx_nsexec(int argc, char **argv, char **envp)
{
	const char *m = getenv(MARKER);
	if (!m) {
		fast_enter(argc, argv, envp);
		return;
	}
	if (harden() < 0)
		return;
	long fd = number(m);
	unsetenv(MARKER);
	if (fd < 3) {
		fail("request", NULL, "bad marker", EINVAL);
		return;
	}
	struct request r;
	if (read_request((int)fd, &r) < 0)
		return;
	enter(&r);
}
