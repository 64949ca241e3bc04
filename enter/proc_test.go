package enter

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/inspect"
)

func TestParseStatus(t *testing.T) {
	data := "Name:\tsleep\nUid:\t1000\t1001\t1002\t1003\nGid:\t20\t21\t22\t23\nNSpid:\t4242\t7\t1\n"
	got, err := parseStatus([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	want := procStatus{UID: 1001, GID: 21, NSpid: []int{4242, 7, 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v; want %+v", got, want)
	}
	for _, bad := range []string{"Name:\tx\n", "Uid:\t1\nGid:\tx y\n", "Uid:\t1 1 1 1\nGid:\t1 1 1 1\nNSpid:\t1 x\n"} {
		if _, err := parseStatus([]byte(bad)); err == nil {
			t.Errorf("parseStatus(%q): no error", bad)
		}
	}
}

func TestMapID(t *testing.T) {
	m := []byte("         0     100000      65536\n     65536       1000          1\n")
	tests := []struct {
		id, want int
		ok       bool
	}{{100000, 0, true}, {101000, 1000, true}, {165535, 65535, true}, {1000, 65536, true}, {165536, 0, false}, {0, 0, false}}
	for _, tt := range tests {
		got, ok := mapID(tt.id, m)
		if got != tt.want || ok != tt.ok {
			t.Errorf("mapID(%d) = %d, %v; want %d, %v", tt.id, got, ok, tt.want, tt.ok)
		}
	}
}

func TestEnviron(t *testing.T) {
	env := parseEnviron([]byte("A=1\x00PATH=/bin\x00_CTX_NSEXEC=9\x00"))
	if want := []string{"A=1", "PATH=/bin", "_CTX_NSEXEC=9"}; !reflect.DeepEqual(env, want) {
		t.Errorf("parseEnviron = %q; want %q", env, want)
	}
	if got := parseEnviron(nil); got == nil || len(got) != 0 {
		t.Errorf("parseEnviron(nil) = %#v; want empty, non-nil", got)
	}
	got := withoutEnv(env, markerEnv)
	if want := []string{"A=1", "PATH=/bin"}; !reflect.DeepEqual(got, want) {
		t.Errorf("withoutEnv = %q; want %q", got, want)
	}
}

func TestCgroupDirs(t *testing.T) {
	mounts := []inspect.Mount{
		{MountPoint: "/sys/fs/cgroup/cpu,cpuacct", Root: "/", FSType: "cgroup", SuperOptions: []string{"rw", "cpu", "cpuacct"}},
		{MountPoint: "/sys/fs/cgroup/memory", Root: "/", FSType: "cgroup", SuperOptions: []string{"rw", "memory"}},
		{MountPoint: "/sys/fs/cgroup/systemd", Root: "/", FSType: "cgroup", SuperOptions: []string{"rw", "xattr", "name=systemd"}},
		{MountPoint: "/sys/fs/cgroup/unified", Root: "/", FSType: "cgroup2", SuperOptions: []string{"rw"}},
		{MountPoint: "/mnt/sub", Root: "/other", FSType: "cgroup", SuperOptions: []string{"rw", "pids"}},
	}
	file := "12:pids:/docker/abc\n4:cpu,cpuacct:/docker/abc\n3:memory:/docker/abc\n1:name=systemd:/docker/abc\n0::/\n"
	got, err := cgroupDirs([]byte(file), mounts, func(p string) string { return "/host" + p })
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/host/sys/fs/cgroup/cpu,cpuacct/docker/abc", "/host/sys/fs/cgroup/memory/docker/abc",
		"/host/sys/fs/cgroup/systemd/docker/abc", "/host/sys/fs/cgroup/unified"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("v1/hybrid: got %q; want %q", got, want)
	}

	v2 := []inspect.Mount{{MountPoint: "/sys/fs/cgroup", Root: "/", FSType: "cgroup2"}}
	got, err = cgroupDirs([]byte("0::/system.slice/docker-abc.scope\n"), v2, func(p string) string { return p })
	if err != nil || !reflect.DeepEqual(got, []string{"/sys/fs/cgroup/system.slice/docker-abc.scope"}) {
		t.Errorf("v2: got %q, %v", got, err)
	}
	// A namespaced mount whose root is the container's own cgroup.
	sub := []inspect.Mount{{MountPoint: "/sys/fs/cgroup", Root: "/kubepods/pod1", FSType: "cgroup2"}}
	got, err = cgroupDirs([]byte("0::/kubepods/pod1/c1\n"), sub, func(p string) string { return p })
	if err != nil || !reflect.DeepEqual(got, []string{"/sys/fs/cgroup/c1"}) {
		t.Errorf("sub-root: got %q, %v", got, err)
	}
	if _, err := cgroupDirs([]byte("0::/x\n"), nil, func(p string) string { return p }); err == nil {
		t.Error("no mounts: no error")
	}
}

func TestExplain(t *testing.T) {
	tests := []struct {
		e       StageError
		is      error
		contain string
		code    int
	}{
		{StageError{Stage: "setns", NS: Net, Err: unix.EPERM}, unix.EPERM, "CAP_SYS_ADMIN", 0},
		{StageError{Stage: "setns", NS: Mnt, Err: unix.EPERM}, unix.EPERM, "CAP_SYS_CHROOT", 0},
		{StageError{Stage: "setns", Err: unix.ESRCH}, ErrGone, "gone", 0},
		{StageError{Stage: "setns", NS: PID, Err: unix.EINVAL}, unix.EINVAL, "pid: host", 0},
		{StageError{Stage: "fork", Err: unix.ENOMEM, Child: false}, ErrPIDNSDead, "PID 1 exited", 0},
		{StageError{Stage: "mount-proc", Err: unix.EPERM}, unix.EPERM, "CAP_SYS_ADMIN", 0},
		{StageError{Stage: "setuid", Err: unix.EINVAL}, unix.EINVAL, "not mapped", 0},
		{StageError{Stage: "exec", Detail: "nosuch", Err: unix.ENOENT}, unix.ENOENT, `cannot run "nosuch"`, 127},
		{StageError{Stage: "exec", Detail: "/etc", Err: unix.EACCES}, unix.EACCES, "permission denied", 126},
		{StageError{Stage: "request", Detail: "bad magic", Err: unix.EINVAL}, unix.EINVAL, "bad magic", 0},
	}
	for _, tt := range tests {
		err := tt.e.Explain()
		if !errors.Is(err, tt.is) {
			t.Errorf("%+v: %v is not %v", tt.e, err, tt.is)
		}
		if !strings.Contains(err.Error(), tt.contain) {
			t.Errorf("%+v: %q does not say %q", tt.e, err, tt.contain)
		}
		var ee *ExitError
		if errors.As(err, &ee) != (tt.code != 0) || (ee != nil && ee.Code != tt.code) {
			t.Errorf("%+v: exit error %+v; want code %d", tt.e, ee, tt.code)
		}
	}
}

func TestReexecError(t *testing.T) {
	saved := constructor
	defer Register(saved)
	Register(Constructor{Linked: true})
	if err := ReexecError(); err != nil {
		t.Errorf("no failure: ReexecError() = %v", err)
	}
	Register(Constructor{Linked: true, Failure: &StageError{Stage: "setns", Err: unix.ESRCH}})
	if err := ReexecError(); !errors.Is(err, ErrGone) {
		t.Errorf("ReexecError() = %v; want ErrGone", err)
	}
}
