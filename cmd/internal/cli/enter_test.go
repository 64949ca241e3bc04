package cli

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/cmd/internal/iostreams"
	"github.com/ctx-tools/ctx/enter"
)

func TestNewCmdEnter(t *testing.T) {
	str := func(s string) *string { return &s }
	tests := []struct {
		args   []string
		shell  string
		target string
		want   enter.Options // only the fields the flags set
		usage  bool
	}{
		{args: []string{"web-1"}, target: "web-1", want: enter.Options{Argv: []string{"/bin/sh"}}},
		{args: []string{"web-1"}, shell: "/bin/zsh", target: "web-1", want: enter.Options{Argv: []string{"/bin/zsh"}}},
		{args: []string{"4242", "-n", "--", "ip", "-br", "addr"}, target: "4242",
			want: enter.Options{Types: map[enter.Type]string{enter.Net: ""}, Argv: []string{"ip", "-br", "addr"}}},
		{args: []string{"4242", "-muinpCUT", "--", "true"}, target: "4242",
			want: enter.Options{Types: map[enter.Type]string{enter.Mnt: "", enter.UTS: "", enter.IPC: "", enter.Net: "", enter.PID: "", enter.Cgroup: "", enter.User: "", enter.Time: ""}, Argv: []string{"true"}}},
		{args: []string{"--net=/run/netns/x", "--", "ip", "a"},
			want: enter.Options{Types: map[enter.Type]string{enter.Net: "/run/netns/x"}, Argv: []string{"ip", "a"}}},
		{args: []string{"4242", "-a", "-S", "follow", "-G", "7", "--preserve-credentials", "--keep-caps", "-r", "-w=/tmp", "-W", "/srv", "-F", "-e", "-c", "--preserve-fds", "2", "--", "id"}, target: "4242",
			want: enter.Options{All: true, UID: &enter.ID{Follow: true}, GID: &enter.ID{Value: 7}, PreserveCredentials: true, KeepCaps: true,
				Root: str(""), WD: str("/tmp"), WDNS: "/srv", NoFork: true, TargetEnv: true, JoinCgroup: true, PreserveFDs: 2, Argv: []string{"id"}}},
		{args: []string{"web-1", "--keep-tools", "--", "ps"}, target: "web-1", want: enter.Options{KeepTools: true, Argv: []string{"ps"}}},
		{args: []string{"web-1", "--root=/srv/root", "-m", "--", "ls"}, target: "web-1",
			want: enter.Options{Types: map[enter.Type]string{enter.Mnt: ""}, Root: str("/srv/root"), Argv: []string{"ls"}}},
		{args: []string{"4242", "ls", "-l"}, usage: true}, // -l is not a ctx flag: commands with flags need --
		{args: []string{"4242", "ls"}, target: "4242", want: enter.Options{Argv: []string{"ls"}}},
		{args: []string{"--", "true"}, usage: true},                        // nothing to enter
		{args: []string{"-n", "--", "true"}, usage: true},                  // -n without TARGET
		{args: []string{"a", "b", "--", "true"}, usage: true},              // two targets
		{args: []string{"web-1", "--keep-tools", "-m"}, usage: true},       // keep-tools never joins mnt
		{args: []string{"web-1", "-r"}, usage: true},                       // -r needs full mode
		{args: []string{"web-1", "-S", "nobody"}, usage: true},             // not a number
		{args: []string{"web-1", "-n", "-F", "--keep-tools"}, usage: true}, // no fork, no fresh /proc
		{args: []string{"netns/x", "-e", "--net=/run/netns/x"}, usage: false, // -e needs a process; known after resolution
			target: "netns/x", want: enter.Options{Types: map[enter.Type]string{enter.Net: "/run/netns/x"}, TargetEnv: true, Argv: []string{"/bin/sh"}}},
	}
	for _, tt := range tests {
		ios, _, _, _ := iostreams.Test()
		f := NewFactory(ios, func(k string) string {
			if k == "SHELL" {
				return tt.shell
			}
			return ""
		})
		var got *enterOptions
		cmd := newCmdEnterF(f, func(_ context.Context, o *enterOptions) error { got = o; return nil })
		cmd.SetArgs(tt.args)
		cmd.SetOut(ios.Out)
		cmd.SetErr(ios.ErrOut)
		cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
		err := cmd.Execute()
		if tt.usage {
			var u *usageError
			if !errors.As(err, &u) {
				t.Errorf("%q: err = %v; want a usage error", tt.args, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.args, err)
			continue
		}
		if got.Target != tt.target {
			t.Errorf("%q: target %q; want %q", tt.args, got.Target, tt.target)
		}
		if !reflect.DeepEqual(got.Enter, tt.want) {
			t.Errorf("%q: options\n got %+v\nwant %+v", tt.args, got.Enter, tt.want)
		}
	}
}

func TestEnterErrorLadder(t *testing.T) {
	tests := []struct {
		err  error
		code ExitCode
		msg  string
	}{
		{&enter.ExitError{Code: 42}, 42, ""},
		{&enter.ExitError{Code: 127, Err: errors.New(`cannot run "x": no such file or directory`)}, 127, `cannot run "x": no such file or directory`},
		{&enter.CapabilityError{Action: "joining the net namespace", Caps: []string{"CAP_SYS_ADMIN"}, Err: unix.EPERM}, ExitPermission, "joining the net namespace: operation not permitted: needs CAP_SYS_ADMIN"},
		{enter.ErrGone, ExitError, "enter: target process is gone"},
		{&enter.OptionError{Msg: "bad"}, ExitUsage, "bad"},
	}
	for _, tt := range tests {
		code, msg, _ := exitCode(enterError(tt.err), false, false)
		if code != tt.code || (tt.msg == "" && msg != "") || (tt.msg != "" && !strings.HasPrefix(msg, tt.msg)) {
			t.Errorf("%v: got %d %q; want %d %q", tt.err, code, msg, tt.code, tt.msg)
		}
	}
}

func TestRunEnterReexecFailure(t *testing.T) {
	// A re-executed ctx whose constructor failed reports that failure
	// before it resolves anything.
	enter.Register(enter.Constructor{Linked: true, Failure: &enter.StageError{Stage: "fork", Err: unix.ENOMEM}})
	defer enter.Register(enter.Constructor{})
	code, _, errOut := runCLI(t, fixture(t), "enter", "no-such-container", "-p", "--", "true")
	if code != ExitError || !strings.Contains(errOut, "PID 1 exited") {
		t.Errorf("got %d %q; want %d and the dead pid namespace explained", code, errOut, ExitError)
	}
}
