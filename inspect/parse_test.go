package inspect

import (
	"reflect"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseNSLink(t *testing.T) {
	tests := []struct {
		in   string
		typ  string
		ino  uint64
		okay bool
	}{
		{"net:[4026531993]", "net", 4026531993, true},
		{"pid_for_children:[4026531836]", "pid_for_children", 4026531836, true},
		{"time:[1]", "time", 1, true},
		{"/run/netns/x", "", 0, false},
		{"/", "", 0, false},
		{"net:[]", "", 0, false},
		{"net:[12a]", "", 0, false},
		{":[12]", "", 0, false},
		{"socket:[12345]", "socket", 12345, true}, // shape only; callers never use socket links
	}
	for _, tt := range tests {
		typ, ino, ok := parseNSLink(tt.in)
		if typ != tt.typ || ino != tt.ino || ok != tt.okay {
			t.Errorf("parseNSLink(%q) = %q, %d, %v; want %q, %d, %v", tt.in, typ, ino, ok, tt.typ, tt.ino, tt.okay)
		}
	}
}

func TestParseNSFSMounts(t *testing.T) {
	data := []byte(`22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw
610 26 0:4 net:[4026532281] /run/netns/blue rw shared:258 - nsfs nsfs rw
611 26 0:4 net:[4026532345] /run/docker/netns/1a2b3c4d5e6f rw shared:259 - nsfs nsfs rw
612 26 0:4 mnt:[4026532400] /run/snapd/ns/lxd.mnt rw - nsfs nsfs rw
613 26 0:4 net:[4026532500] /run/netns/with\040space rw shared:260 - nsfs nsfs rw
614 26 0:25 / /proc rw,nosuid - proc proc rw
`)
	got, err := parseNSFSMounts(data)
	if err != nil {
		t.Fatal(err)
	}
	dev := unix.Mkdev(0, 4)
	want := []nsfsMount{
		{ID: NSID{dev, 4026532281}, Type: "net", MountPoint: "/run/netns/blue"},
		{ID: NSID{dev, 4026532345}, Type: "net", MountPoint: "/run/docker/netns/1a2b3c4d5e6f"},
		{ID: NSID{dev, 4026532400}, Type: "mnt", MountPoint: "/run/snapd/ns/lxd.mnt"},
		{ID: NSID{dev, 4026532500}, Type: "net", MountPoint: "/run/netns/with space"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseNSFSMounts = %+v; want %+v", got, want)
	}
}

func TestUnescapeMountinfo(t *testing.T) {
	for in, want := range map[string]string{
		`/a\040b`: "/a b", `/tab\011x`: "/tab\tx", `/nl\012`: "/nl\n", `/bs\134`: `/bs\`, `/trail\04`: `/trail\04`, `/plain`: "/plain",
	} {
		if got := unescapeMountinfo(in); got != want {
			t.Errorf("unescapeMountinfo(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestParseStatus(t *testing.T) {
	data := []byte("Name:\tsleep\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t4242\nNgid:\t0\nPid:\t4242\nPPid:\t4200\n" +
		"Uid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\nNSpid:\t4242\t7\t1\nKthread:\t0\n")
	got := parseStatus(data)
	want := status{PPID: 4200, UID: 1000, NSpid: []int{4242, 7, 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseStatus = %+v; want %+v", got, want)
	}
	if k := parseStatus([]byte("Name:\tkthreadd\nPPid:\t0\nKthread:\t1\n")); !k.Kthread {
		t.Errorf("Kthread line not recognised")
	}
}

func TestParseCmdline(t *testing.T) {
	if got := parseCmdline([]byte("sleep\x00100\x00")); !reflect.DeepEqual(got, []string{"sleep", "100"}) {
		t.Errorf("parseCmdline = %q", got)
	}
	if got := parseCmdline(nil); got != nil {
		t.Errorf("parseCmdline(nil) = %q; want nil", got)
	}
	if got := parseCmdline([]byte("a b\x00\x00c\x00")); !reflect.DeepEqual(got, []string{"a b", "", "c"}) {
		t.Errorf("empty argument lost: %q", got)
	}
}

func TestParseCgroupFile(t *testing.T) {
	hybrid := "12:memory:/docker/" + id2 + "\n11:cpu,cpuacct:/docker/" + id2 + "\n1:name=systemd:/docker/" + id2 + "\n0::/\n"
	tests := []struct{ in, want string }{
		{"0::/system.slice/docker-" + id2 + ".scope\n", "/system.slice/docker-" + id2 + ".scope"},
		{hybrid, "/docker/" + id2},
		{"12:memory:/\n0::/\n", "/"},
		{"0::/user.slice\n4:memory:/x\n", "/user.slice"},
	}
	for _, tt := range tests {
		if got := parseCgroupFile([]byte(tt.in)); got != tt.want {
			t.Errorf("parseCgroupFile(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
	if c := containerFromCgroupFile([]byte(hybrid)); c == nil || c.ID != id2 {
		t.Errorf("containerFromCgroupFile(hybrid) = %+v; want docker %s", c, id2)
	}
}

func TestParsePasswd(t *testing.T) {
	u := parsePasswd([]byte("root:x:0:0:root:/root:/bin/bash\n# comment:x:9\nnobody:x:65534:65534::/:/sbin/nologin\nroot2:x:0:0::/:/bin/sh\nbroken\n"))
	if u.Name(0) != "root" || u.Name(65534) != "nobody" || u.Name(1234) != "1234" {
		t.Errorf("parsePasswd = %v", u)
	}
}

func TestPIDSummary(t *testing.T) {
	if got, want := pidSummary([]int{1}), "(PID 1)"; got != want {
		t.Errorf("got %q; want %q", got, want)
	}
	if got, want := pidSummary([]int{9, 3, 7, 1, 5, 11}), "(6 processes: PIDs 1, 3, 5, 7, 9, …)"; got != want {
		t.Errorf("got %q; want %q", got, want)
	}
}

func TestHolderString(t *testing.T) {
	for h, want := range map[Holder]string{
		{Kind: "bind", Path: "/run/netns/a"}: "bind:/run/netns/a",
		{Kind: "fd", PID: 42, FD: 7}:         "fd:42/7",
		{Kind: "task", PID: 4, TID: 9}:       "task:9",
		{Kind: "pid_for_children", PID: 5}:   "pid_for_children:5",
		{Kind: "hidden"}:                     "hidden",
	} {
		if got := h.String(); got != want {
			t.Errorf("%+v.String() = %q; want %q", h, got, want)
		}
	}
}
