package enter

import (
	"bytes"
	"strings"
	"testing"
)

func TestRequestEncode(t *testing.T) {
	r := request{
		pidFD: 5, selfPID: 11, nsFD: map[Type]int{Net: 7, User: 6, Mnt: 9}, optUser: true, fork: true, keepTools: true, rootPID: 1,
		rootFD: -1, wdFD: 10, wdNS: "/srv", uid: 0, gid: -1, keepCaps: true, closeFrom: 4,
		argv: []string{"sh", "-c", "echo a=b"}, env: []string{"PATH=/bin", "X="},
	}
	got := strings.Split(strings.TrimSuffix(string(r.encode()), "\x00"), "\x00")
	want := []string{requestMagic, "pidfd=5", "selfpid=11", "ns.user=6", "ns.net=7", "ns.mnt=9", "optuser=1", "fork=1",
		"keeptools=1", "rootpid=1", "wd=10", "wdns=/srv", "uid=0", "keepcaps=1", "closefrom=4",
		"arg=sh", "arg=-c", "arg=echo a=b", "env=PATH=/bin", "env=X="}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("encode:\n got %q\nwant %q", got, want)
	}
	if !bytes.HasSuffix(r.encode(), []byte{0}) {
		t.Error("encode: last string not NUL-terminated")
	}
}

func TestRequestEncodeMinimal(t *testing.T) {
	r := request{pidFD: -1, selfPID: -1, rootFD: -1, wdFD: -1, uid: -1, gid: -1, closeFrom: 3, argv: []string{"true"}}
	got := strings.Split(strings.TrimSuffix(string(r.encode()), "\x00"), "\x00")
	want := []string{requestMagic, "pidfd=-1", "closefrom=3", "arg=true"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("encode: got %q; want %q", got, want)
	}
}
