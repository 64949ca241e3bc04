package inspect

import (
	"strings"
	"testing"

	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

func TestParseMountInfoLine(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Mount
		wantErr bool
	}{
		{
			name: "proc(5) example",
			in:   `36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue`,
			want: Mount{ID: 36, ParentID: 35, Major: 98, Minor: 0, Root: "/mnt1", MountPoint: "/mnt2",
				Options: []string{"rw", "noatime"}, Optional: []string{"master:1"}, FSType: "ext3", Source: "/dev/root",
				SuperOptions: []string{"rw", "errors=continue"}},
		},
		{
			name: "no optional fields, escaped space",
			in:   `91 74 254:0 /my\040dir /host\040tmp ro,relatime - ext4 /dev/vda rw`,
			want: Mount{ID: 91, ParentID: 74, Major: 254, Minor: 0, Root: "/my dir", MountPoint: "/host tmp",
				Options: []string{"ro", "relatime"}, FSType: "ext4", Source: "/dev/vda", SuperOptions: []string{"rw"}},
		},
		{
			name: "two optional fields, escaped comma in option",
			in:   `74 49 0:39 / / rw,relatime shared:5 master:3 - overlay overlay rw,lowerdir=/a\054b:/c,upperdir=/u`,
			want: Mount{ID: 74, ParentID: 49, Major: 0, Minor: 39, Root: "/", MountPoint: "/",
				Options: []string{"rw", "relatime"}, Optional: []string{"shared:5", "master:3"}, FSType: "overlay", Source: "overlay",
				SuperOptions: []string{"rw", "lowerdir=/a,b:/c", "upperdir=/u"}},
		},
		{name: "no separator", in: `1 2 0:1 / / rw shared:1 proc proc rw`, wantErr: true},
		{name: "short", in: `1 2 0:1 / /`, wantErr: true},
		{name: "bad device", in: `1 2 zero / / rw - proc proc rw`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseMountInfoLine(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v; want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if g, w := mountString(got), mountString(tt.want); g != w {
				t.Errorf("got %s; want %s", g, w)
			}
		})
	}
}

// mountString renders every field, so Mounts compare with ==.
func mountString(m Mount) string {
	return strings.Join([]string{
		m.Dev(), m.Root, m.MountPoint, strings.Join(m.Options, ","), strings.Join(m.Optional, " "),
		m.FSType, m.Source, strings.Join(m.SuperOptions, ","),
	}, "|") + "|" + string(rune('0'+m.ID%10)) + string(rune('0'+m.ParentID%10))
}

func TestParseOverlay(t *testing.T) {
	tests := []struct {
		name  string
		opts  []string
		lower []string
		upper string
	}{
		{"docker", []string{"rw", "lowerdir=/l/A:/l/B", "upperdir=/d/diff", "workdir=/d/work"}, []string{"/l/A", "/l/B"}, "/d/diff"},
		{"escaped colon", []string{`lowerdir=/a\:b:/c`}, []string{"/a:b", "/c"}, ""},
		{"data-only layers", []string{"lowerdir=/a:/b::/data"}, []string{"/a", "/b", "/data"}, ""},
		{"lowerdir+ (6.5+)", []string{"lowerdir+=/a", "lowerdir+=/b", "datadir+=/d", "upperdir=/u"}, []string{"/a", "/b", "/d"}, "/u"},
	}
	for _, tt := range tests {
		o := parseOverlay(Mount{SuperOptions: tt.opts})
		if strings.Join(o.LowerDirs, "|") != strings.Join(tt.lower, "|") || o.UpperDir != tt.upper {
			t.Errorf("%s: got lower %q upper %q; want %q %q", tt.name, o.LowerDirs, o.UpperDir, tt.lower, tt.upper)
		}
	}
}

// hostMountinfo is a Debian 12 VM's own table (abridged).
const hostMountinfo = `22 27 0:21 / /proc rw,relatime - proc proc rw
23 27 0:22 / /sys rw,relatime - sysfs sysfs rw
24 27 0:6 / /dev rw,relatime - devtmpfs devtmpfs rw,size=12334432k,mode=755
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
44 27 0:50 / /run rw,nosuid,nodev - tmpfs tmpfs rw,mode=755
42 27 254:0 /var/lib/docker /var/lib/docker rw,relatime shared:1 - ext4 /dev/vda rw,discard
114 42 0:39 / /var/lib/docker/overlay2/e84e/merged rw,relatime master:3 - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/W:/var/lib/docker/overlay2/l/G,upperdir=/var/lib/docker/overlay2/e84e/diff,workdir=/var/lib/docker/overlay2/e84e/work
`

// containerMountinfo is a docker container started with
// -v /var/run/docker.sock:/var/run/docker.sock -v /tmp:/hosttmp:ro -v /:/hostroot
// -v /dev/null:/dev/xnull -v /run/foo:/foo (docker 20.10, abridged).
const containerMountinfo = `74 49 0:39 / / rw,relatime master:3 - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/W:/var/lib/docker/overlay2/l/G,upperdir=/var/lib/docker/overlay2/e84e/diff,workdir=/var/lib/docker/overlay2/e84e/work
75 74 0:42 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
76 74 0:43 / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755
77 76 0:44 / /dev/pts rw,nosuid,noexec,relatime - devpts devpts rw,gid=5,mode=620,ptmxmode=666
78 74 0:45 / /sys ro,nosuid,nodev,noexec,relatime - sysfs sysfs ro
79 78 0:46 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - tmpfs tmpfs rw,mode=755
80 79 0:29 /docker/052a /sys/fs/cgroup/cpu ro,nosuid,nodev,noexec,relatime - cgroup cgroup rw,cpu
90 76 0:47 / /dev/shm rw,nosuid,nodev,noexec,relatime - tmpfs shm rw,size=65536k
91 74 254:0 /tmp /hosttmp ro,relatime - ext4 /dev/vda rw,discard
92 74 254:0 / /hostroot rw,relatime - ext4 /dev/vda rw,discard
94 92 0:21 / /hostroot/proc rw,relatime - proc proc rw
95 92 0:22 / /hostroot/sys rw,relatime - sysfs sysfs rw
107 92 0:6 / /hostroot/dev rw,relatime - devtmpfs devtmpfs rw,mode=755
133 74 254:0 /var/lib/docker/containers/052a/resolv.conf /etc/resolv.conf rw,relatime - ext4 /dev/vda rw,discard
134 74 254:0 /var/lib/docker/containers/052a/hostname /etc/hostname rw,relatime - ext4 /dev/vda rw,discard
136 74 0:50 /docker.sock /var/run/docker.sock rw,relatime - tmpfs tmpfs rw,mode=755
137 74 0:6 /null /dev/xnull rw,relatime - devtmpfs devtmpfs rw,mode=755
138 74 0:50 /foo /foo rw,relatime - tmpfs tmpfs rw,mode=755
50 75 0:42 /sys /proc/sys ro,nosuid,nodev,noexec,relatime - proc proc rw
139 74 254:0 /var/lib/docker/volumes/data/_data /data rw,relatime - ext4 /dev/vda rw,discard
`

func exposureSet(es []Exposure) map[string]Exposure {
	m := map[string]Exposure{}
	for _, e := range es {
		m[e.Kind+" "+e.MountPoint] = e
	}
	return m
}

func TestAnalyzeMounts(t *testing.T) {
	host, err := ParseMountInfo([]byte(hostMountinfo))
	if err != nil {
		t.Fatal(err)
	}
	mounts, err := ParseMountInfo([]byte(containerMountinfo))
	if err != nil {
		t.Fatal(err)
	}
	rootfs, exp := analyzeMounts(mounts, host)
	if rootfs == nil || rootfs.FSType != "overlay" || rootfs.Overlay == nil || rootfs.HostRoot {
		t.Fatalf("rootfs = %+v; want a container overlay", rootfs)
	}
	if got := strings.Join(rootfs.Overlay.LowerDirs, ":"); got != "/var/lib/docker/overlay2/l/W:/var/lib/docker/overlay2/l/G" {
		t.Errorf("lower dirs = %q", got)
	}
	if rootfs.Overlay.UpperDir != "/var/lib/docker/overlay2/e84e/diff" {
		t.Errorf("upper dir = %q", rootfs.Overlay.UpperDir)
	}
	want := map[string]Exposure{
		"host-path /hosttmp":                  {HostPath: "/tmp", Writable: false},
		"host-root /hostroot":                 {HostPath: "/", Writable: true},
		"writable-proc /hostroot/proc":        {Writable: true},
		"writable-sys /hostroot/sys":          {Writable: true},
		"device /hostroot/dev":                {HostPath: "/dev", Writable: true},
		"runtime-socket /var/run/docker.sock": {HostPath: "/run/docker.sock", Writable: true},
		"device /dev/xnull":                   {HostPath: "/dev/null", Writable: true},
		"host-path /foo":                      {HostPath: "/run/foo", Writable: true},
	}
	got := exposureSet(exp)
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("missing exposure %q", k)
			continue
		}
		if g.HostPath != w.HostPath || g.Writable != w.Writable {
			t.Errorf("%s: host path %q writable %v; want %q %v", k, g.HostPath, g.Writable, w.HostPath, w.Writable)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected exposure %q: %+v", k, got[k])
		}
	}
}

func TestAnalyzeMountsWithoutHostTable(t *testing.T) {
	mounts, err := ParseMountInfo([]byte(containerMountinfo))
	if err != nil {
		t.Fatal(err)
	}
	_, exp := analyzeMounts(mounts, nil)
	got := exposureSet(exp)
	// Disk filesystems are still host paths; the tmpfs-backed socket is
	// still recognized by name.
	for _, k := range []string{"host-path /hosttmp", "runtime-socket /var/run/docker.sock", "device /dev/xnull"} {
		if _, ok := got[k]; !ok {
			t.Errorf("missing exposure %q in %v", k, exp)
		}
	}
	if _, ok := got["host-path /etc/resolv.conf"]; ok {
		t.Error("runtime-managed /etc/resolv.conf reported as a host path")
	}
}

func TestAnalyzeMountsHostProcess(t *testing.T) {
	host, _ := ParseMountInfo([]byte(hostMountinfo))
	rootfs, exp := analyzeMounts(host, host)
	if rootfs == nil || !rootfs.HostRoot || len(exp) != 0 {
		t.Errorf("rootfs = %+v, exposures %v; want the host root and none", rootfs, exp)
	}
}

func TestAnalyzeMountsRunBind(t *testing.T) {
	host, _ := ParseMountInfo([]byte(hostMountinfo))
	mounts, _ := ParseMountInfo([]byte(`1 0 0:39 / / rw - overlay overlay rw,lowerdir=/l
2 1 0:50 / /var/run rw - tmpfs tmpfs rw
`))
	got := exposureSet(func() []Exposure { _, e := analyzeMounts(mounts, host); return e }())
	if e, ok := got["runtime-socket /var/run"]; !ok || e.HostPath != "/run" {
		t.Errorf("exposures %v; want runtime-socket /var/run from host /run", got)
	}
	if _, ok := got["host-path /var/run"]; !ok {
		t.Errorf("exposures %v; want host-path /var/run too", got)
	}
}

func TestReadMountsFixture(t *testing.T) {
	root := hostfstest.New(t, map[string]string{
		"proc/42/mountinfo":             containerMountinfo,
		"proc/1/mountinfo":              hostMountinfo,
		"proc/42/status":                statusDockerDefault,
		"proc/1/status":                 "CapInh:\t0\nCapPrm:\t1ffffffffff\nCapEff:\t1ffffffffff\nCapBnd:\t1ffffffffff\n",
		"proc/sys/kernel/cap_last_cap":  "40\n",
		"proc/42/attr/apparmor/current": "docker-default (enforce)",
		"proc/42/uid_map":               "0 0 4294967295\n",
		"sys/kernel/security/lsm":       "capability,apparmor",
	})
	m, err := ReadMounts(root, 42)
	if err != nil || len(m) != strings.Count(containerMountinfo, "\n") {
		t.Fatalf("ReadMounts = %d mounts, %v", len(m), err)
	}
	s, err := ReadSecurity(root, 42)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Warnings) != 0 {
		t.Errorf("warnings = %q; want none", s.Warnings)
	}
	if s.Privileged || s.Capabilities == nil || s.Capabilities.Effective != 0xa80425fb {
		t.Errorf("capabilities = %+v, privileged %v", s.Capabilities, s.Privileged)
	}
	if s.Rootfs == nil || s.Rootfs.FSType != "overlay" {
		t.Errorf("rootfs = %+v", s.Rootfs)
	}
	if _, ok := exposureSet(s.Exposures)["runtime-socket /var/run/docker.sock"]; !ok {
		t.Errorf("exposures = %v; want the docker socket", s.Exposures)
	}
	ids := map[string]bool{}
	for _, f := range Check(s.Posture()) {
		ids[f.Check] = true
	}
	for _, id := range []string{"docker-sock", "host-root-mount", "writable-proc", "writable-sys", "host-device", "root-is-host-root", "host-mount", "writable-host-mount"} {
		if !ids[id] {
			t.Errorf("findings %v lack %q", ids, id)
		}
	}
	for _, id := range []string{"no-seccomp", "no-lsm", "privileged"} {
		if ids[id] {
			t.Errorf("findings %v include %q", ids, id)
		}
	}

	if _, err := ReadSecurity(root, 7); err == nil {
		t.Error("ReadSecurity(gone PID) err = nil; want an error")
	}
}
