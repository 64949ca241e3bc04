package enter

import (
	"errors"
	"reflect"
	"testing"
)

func strp(s string) *string { return &s }

func TestValidate(t *testing.T) {
	sh := []string{"/bin/sh"}
	tests := []struct {
		name string
		o    Options
		ok   bool
	}{
		{"keep-tools default", Options{PID: 1, Argv: sh}, true},
		{"types", Options{PID: 1, Types: map[Type]string{Net: ""}, Argv: sh}, true},
		{"all", Options{PID: 1, All: true, Argv: sh}, true},
		{"file only", Options{Types: map[Type]string{Net: "/run/netns/x"}, Argv: sh}, true},
		{"ns path target", Options{NSPath: "/run/netns/x", Argv: sh}, true},
		{"ns path with keep-tools", Options{NSPath: "/run/netns/x", KeepTools: true, Argv: sh}, false},
		{"no target", Options{Types: map[Type]string{Net: ""}, Argv: sh}, false},
		{"nothing", Options{Argv: sh}, false},
		{"keep-tools with -m", Options{PID: 1, KeepTools: true, Types: map[Type]string{Mnt: ""}, Argv: sh}, false},
		{"keep-tools with -r", Options{PID: 1, Root: strp(""), Argv: sh}, false},
		{"keep-tools with -W", Options{PID: 1, WDNS: "/", Argv: sh}, false},
		{"keep-tools with -F", Options{PID: 1, NoFork: true, Argv: sh}, false},
		{"full with -r -w -W -F", Options{PID: 1, All: true, Root: strp(""), WD: strp("/tmp"), WDNS: "/", NoFork: true, Argv: sh}, true},
		{"follow without pid", Options{Types: map[Type]string{Net: "/x"}, UID: &ID{Follow: true}, Argv: sh}, false},
		{"env without pid", Options{Types: map[Type]string{Net: "/x"}, TargetEnv: true, Argv: sh}, false},
		{"no command", Options{PID: 1}, false},
		{"NUL in argv", Options{PID: 1, Argv: []string{"a\x00b"}}, false},
		{"bad type", Options{PID: 1, Types: map[Type]string{"foo": ""}, Argv: sh}, false},
		{"negative fds", Options{PID: 1, PreserveFDs: -1, Argv: sh}, false},
	}
	for _, tt := range tests {
		err := tt.o.Validate()
		if (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v; want ok=%v", tt.name, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrOption) {
			t.Errorf("%s: %v does not unwrap to ErrOption", tt.name, err)
		}
	}
}

func TestSelectTypes(t *testing.T) {
	all := func(Type) bool { return true }
	noTime := func(t Type) bool { return t != Time }
	sameAs := func(same ...Type) func(Type) bool {
		return func(t Type) bool {
			for _, s := range same {
				if s == t {
					return true
				}
			}
			return false
		}
	}
	tests := []struct {
		name      string
		o         Options
		available func(Type) bool
		same      func(Type) bool
		want      selection
	}{
		{"all, all differ", Options{All: true}, all, sameAs(),
			selection{types: []Type{User, Cgroup, IPC, UTS, Net, PID, Mnt, Time}, fork: true}},
		{"all, docker-like (user, time, cgroup shared)", Options{All: true}, all, sameAs(User, Time, Cgroup),
			selection{types: []Type{IPC, UTS, Net, PID, Mnt}, fork: true}},
		{"all, kernel without time", Options{All: true}, noTime, sameAs(),
			selection{types: []Type{User, Cgroup, IPC, UTS, Net, PID, Mnt}, fork: true}},
		{"mnt joined even when equal", Options{All: true}, all, sameAs(Types...),
			selection{types: []Type{Mnt}}},
		{"net only: no fork", Options{Types: map[Type]string{Net: ""}}, all, sameAs(),
			selection{types: []Type{Net}}},
		{"time forks", Options{Types: map[Type]string{Time: ""}}, all, sameAs(),
			selection{types: []Type{Time}, fork: true}},
		{"pid with -F", Options{Types: map[Type]string{PID: ""}, NoFork: true}, all, sameAs(),
			selection{types: []Type{PID}}},
		{"own user is never joined", Options{Types: map[Type]string{User: "", Net: ""}}, all, sameAs(User),
			selection{types: []Type{Net}}},
		{"keep-tools: user optional", Options{}, all, sameAs(),
			selection{types: []Type{User, Cgroup, IPC, UTS, Net, PID}, optUser: true, fork: true}},
		{"keep-tools: same user left out", Options{}, all, sameAs(User, Cgroup),
			selection{types: []Type{IPC, UTS, Net, PID}, fork: true}},
		{"keep-tools with -a: all but mnt", Options{All: true, KeepTools: true}, all, sameAs(),
			selection{types: []Type{User, Cgroup, IPC, UTS, Net, PID, Time}, fork: true}},
		{"keep-tools with -n", Options{KeepTools: true, Types: map[Type]string{Net: ""}}, all, sameAs(),
			selection{types: []Type{Net}}},
	}
	for _, tt := range tests {
		got := selectTypes(&tt.o, tt.available, tt.same)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %+v; want %+v", tt.name, got, tt.want)
		}
	}
}
