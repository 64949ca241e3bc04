package main_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

// End-to-end tests of ctx run and ctx gc with the built binary.

// runRootfs returns a busybox rootfs dir (Debian's busybox-static and a
// link per applet) in the test's temporary directory.
func runRootfs(t *testing.T) string {
	t.Helper()
	hostfstest.RequirePrivileged(t)
	dir := filepath.Join(t.TempDir(), "rootfs")
	if err := makeRootfs(dir); err != nil {
		hostfstest.Gate(t, "privileged: building a busybox rootfs needs /bin/busybox (busybox-static): "+err.Error())
	}
	return dir
}

func makeRootfs(dir string) error {
	bin, err := os.ReadFile("/bin/busybox")
	if err != nil {
		return err
	}
	list, err := exec.Command("/bin/busybox", "--list").Output()
	if err != nil {
		return err
	}
	for _, d := range []string{"bin", "etc", "tmp", "proc", "sys", "dev"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "bin", "busybox"), bin, 0o755); err != nil {
		return err
	}
	for _, a := range strings.Fields(string(list)) {
		if a != "busybox" && !strings.Contains(a, "/") {
			if err := os.Symlink("busybox", filepath.Join(dir, "bin", a)); err != nil {
				return err
			}
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "etc", "passwd"), []byte("root:x:0:0:root:/root:/bin/sh\n"), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "bin", "noexec"), []byte("#!/bin/sh\n"), 0o644)
}

// ctxRun runs the ctx binary with args; it returns the exit code and both
// streams.
func ctxRunCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(hostfstest.Binary(t), args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errOut.String()
}

// runReport is the part of ctx run's JSON report the tests read.
type runReport struct {
	Item struct {
		ID            string  `json:"id"`
		ExitCode      int     `json:"exitCode"`
		Signal        string  `json:"signal"`
		OOMKilled     bool    `json:"oomKilled"`
		MemoryPeak    *uint64 `json:"memoryPeakBytes"`
		PIDsLimit     *uint64 `json:"pidsLimit"`
		PIDsEventsMax *uint64 `json:"pidsEventsMax"`
		Root          string  `json:"root"`
		Kept          bool    `json:"kept"`
	} `json:"item"`
}

func readReport(t *testing.T, path string) runReport {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r runReport
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	return r
}

var runName = regexp.MustCompile(`^ctx-[0-9a-f]{10}$`)

// leftovers lists what ctx run makes that exists now: ctx-<id> cgroups
// in every hierarchy, state dirs under stateDir, ctx-<id> links in the
// network namespace at netnsPath ("" for the host's) plus ctx0 there,
// ctx-<id> named netns, and mounts mentioning stateDir or ctx-<id>.
func leftovers(t *testing.T, stateDir, netnsPath string) []string {
	t.Helper()
	var out []string
	hier, _ := os.ReadDir("/sys/fs/cgroup")
	for _, h := range hier {
		kids, _ := os.ReadDir(filepath.Join("/sys/fs/cgroup", h.Name()))
		for _, k := range kids {
			if k.IsDir() && runName.MatchString(k.Name()) {
				out = append(out, "cgroup "+h.Name()+"/"+k.Name())
			}
		}
	}
	ents, _ := os.ReadDir(stateDir)
	for _, e := range ents {
		if runName.MatchString(e.Name()) {
			out = append(out, "scratch "+e.Name())
		}
	}
	nss, _ := os.ReadDir("/run/netns")
	for _, e := range nss {
		if runName.MatchString(e.Name()) {
			out = append(out, "netns "+e.Name())
		}
	}
	args := []string{"-o", "link", "show"}
	if netnsPath != "" {
		args = append([]string{"--net=" + netnsPath, "ip"}, args...)
	}
	name := "ip"
	if netnsPath != "" {
		name = "nsenter"
	}
	if b, err := exec.Command(name, args...).Output(); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			f := strings.Fields(l)
			if len(f) < 2 {
				continue
			}
			n := strings.TrimSuffix(strings.Split(f[1], "@")[0], ":")
			if runName.MatchString(n) || n == "ctx0" {
				out = append(out, "link "+n)
			}
		}
	}
	mi, _ := os.ReadFile("/proc/self/mountinfo")
	for _, l := range strings.Split(string(mi), "\n") {
		f := strings.Fields(l)
		if len(f) > 4 && (strings.HasPrefix(f[4], stateDir+"/") || runName.MatchString(filepath.Base(f[4]))) {
			out = append(out, "mount "+f[4])
		}
	}
	sort.Strings(out)
	return out
}

// newer returns the entries of after not in before.
func newer(before, after []string) []string {
	seen := map[string]bool{}
	for _, b := range before {
		seen[b] = true
	}
	var out []string
	for _, a := range after {
		if !seen[a] {
			out = append(out, a)
		}
	}
	return out
}

// TestRunE2EBadInput: a missing rootfs, a bad limit, an image that does
// not exist and no permission each get a clear message, exit 125, and
// leave nothing behind.
func TestRunE2EBadInput(t *testing.T) {
	rootfs := runRootfs(t)
	state := t.TempDir()
	os.Chmod(state, 0o755)
	before := leftovers(t, state, "")
	cases := []struct {
		name string
		args []string
		cred *syscall.Credential
		want string
	}{
		{"missing rootfs", []string{"--rootfs", "/nonexistent/rootfs", "--", "true"}, nil, `no rootfs: "/nonexistent/rootfs" is not a directory`},
		{"bad limit", []string{"--rootfs", rootfs, "--memory", "64q", "--", "true"}, nil, `invalid size "64q"`},
		{"no such image", []string{"--image", "ctx-test/does-not-exist:1", "--", "true"}, nil, `no such image: "ctx-test/does-not-exist:1"`},
		{"no permission", []string{"--rootfs", rootfs, "--", "true"}, &syscall.Credential{Uid: 65534, Gid: 65534}, "needs root (euid 0)"},
	}
	for _, c := range cases {
		cmd := exec.Command(hostfstest.Binary(t), append([]string{"run", "--state-dir", state}, c.args...)...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
		var errOut bytes.Buffer
		cmd.Stderr = &errOut
		err := cmd.Run()
		code := -1
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		if code != 125 || !strings.Contains(errOut.String(), c.want) {
			t.Errorf("%s: exit %d, stderr %q; want 125 and %q", c.name, code, errOut.String(), c.want)
		}
		if c.cred != nil && !strings.Contains(errOut.String(), "hint:") {
			t.Errorf("%s: no hint in %q", c.name, errOut.String())
		}
	}
	if left := newer(before, leftovers(t, state, "")); len(left) > 0 {
		t.Errorf("left behind: %q", left)
	}
}

// TestRunE2EStatus: exit codes pass through as docker run's, and the
// JSON report tells an OOM kill from a plain 137.
func TestRunE2EStatus(t *testing.T) {
	rootfs := runRootfs(t)
	state := t.TempDir()
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"true"}, 0},
		{[]string{"sh", "-c", "exit 3"}, 3},
		{[]string{"no-such-command"}, 127},
		{[]string{"/bin/noexec"}, 126},
		{[]string{"sh", "-c", "kill -9 $$"}, 137},
	} {
		code, _, errOut := ctxRunCmd(t, append([]string{"run", "--state-dir", state, "--rootfs", rootfs, "--no-report", "--"}, c.args...)...)
		if code != c.code {
			t.Errorf("%q: exit %d; want %d (stderr %q)", c.args, code, c.code, errOut)
		}
	}
	rep := filepath.Join(t.TempDir(), "rep.json")
	code, _, _ := ctxRunCmd(t, "run", "--state-dir", state, "--rootfs", rootfs, "--memory", "32m", "-o", "json", "--report-file", rep,
		"--", "sh", "-c", "head -c 64m /dev/zero | tail")
	r := readReport(t, rep)
	if code != 137 || !r.Item.OOMKilled || r.Item.ExitCode != 137 {
		t.Errorf("OOM run: exit %d, report %+v; want 137 and oomKilled", code, r.Item)
	}
	code, _, errOut := ctxRunCmd(t, "run", "--state-dir", state, "--rootfs", rootfs, "--pids", "20", "--", "sh", "-c",
		"i=0; while [ $i -lt 40 ]; do sleep 1 & i=$((i+1)); done; kill $(jobs -p) 2>/dev/null; exit 0")
	if !regexp.MustCompile(`PIDS PEAK +\d+ of \d+ \(incl\. \d+ of the init\), forks rejected [1-9]`).MatchString(errOut) {
		t.Errorf("fork bomb: exit %d, report %q; want rejected forks", code, errOut)
	}
}

// layerDigest hashes the layer dirs of a docker image, so that a write
// into one shows.
func layerDigest(t *testing.T, dirs []string) string {
	t.Helper()
	h := sha256.New()
	for _, d := range dirs {
		filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			fi, _ := e.Info()
			fmt.Fprintf(h, "%s %v %d %v\n", p, fi.Mode(), fi.Size(), fi.ModTime().UnixNano())
			if fi.Mode().IsRegular() {
				b, _ := os.ReadFile(p)
				h.Write(b)
			}
			return nil
		})
	}
	return hex.EncodeToString(h.Sum(nil))
}

const writeScript = "echo changed > /etc/passwd; rm -f /bin/ls; mkdir /newdir; touch /tmp/f; ls /newdir >/dev/null && echo wrote"

// TestRunE2EImage: --image runs a Docker image built offline, leaves its
// layers untouched, and so does a containerd image (imported into a
// namespace of its own, in dockerd's containerd or the system's).
func TestRunE2EImage(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	img := hostfstest.TestImage(t)
	state := t.TempDir()
	left := leftovers(t, state, "")
	t.Cleanup(func() {
		if l := newer(left, leftovers(t, state, "")); len(l) > 0 {
			t.Errorf("left behind: %q", l)
		}
	})
	data := hostfstest.Docker(t, "image", "inspect", "-f", "{{.GraphDriver.Data.UpperDir}}:{{.GraphDriver.Data.LowerDir}}", img)
	var dirs []string
	for _, d := range strings.Split(data, ":") {
		if d != "" && d != "<no value>" {
			dirs = append(dirs, d)
		}
	}
	if len(dirs) == 0 {
		t.Fatalf("no layer dirs for %s: %q", img, data)
	}
	before := layerDigest(t, dirs)
	id := hostfstest.Docker(t, "image", "inspect", "-f", "{{.Id}}", img)
	for _, ref := range []string{img, strings.TrimPrefix(id, "sha256:")[:12]} {
		rep := filepath.Join(t.TempDir(), "rep.json")
		code, out, errOut := ctxRunCmd(t, "run", "--state-dir", state, "--image", ref, "-o", "json", "--report-file", rep, "--", "sh", "-c", writeScript)
		if code != 0 || !strings.Contains(out, "wrote") {
			t.Fatalf("--image %s: exit %d, stdout %q, stderr %q", ref, code, out, errOut)
		}
		if r := readReport(t, rep); r.Item.Root != "image "+ref {
			t.Errorf("report root %q", r.Item.Root)
		}
	}
	if after := layerDigest(t, dirs); after != before {
		t.Error("the image layers changed")
	}

	t.Run("containerd", func(t *testing.T) {
		hostfstest.RequireTool(t, "e2e", "ctr")
		sock := ""
		for _, s := range []string{"/run/containerd/containerd.sock", "/run/docker/containerd/containerd.sock"} {
			if _, err := os.Stat(s); err == nil {
				sock = s
				break
			}
		}
		if sock == "" {
			hostfstest.Gate(t, "e2e: no containerd socket (system or dockerd's)")
		}
		b := make([]byte, 3)
		rand.Read(b)
		ns := "ctx-test-" + hex.EncodeToString(b)
		hostfstest.RemoveContainerdNamespaceAtCleanup(t, ns)
		ctr := func(args ...string) (string, error) {
			out, err := exec.Command("ctr", append([]string{"-a", sock, "-n", ns}, args...)...).CombinedOutput()
			return string(out), err
		}
		tarball := filepath.Join(t.TempDir(), "img.tar")
		hostfstest.Docker(t, "save", "-o", tarball, img)
		if out, err := ctr("images", "import", tarball); err != nil {
			t.Fatalf("ctr images import: %v\n%s", err, out)
		}
		t.Cleanup(func() {
			ctr("images", "rm", "docker.io/"+img)
			for i := 0; i < 50; i++ { // containerd collects the snapshots in the background
				if out, _ := ctr("snapshots", "ls"); strings.Count(out, "\n") <= 1 {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			exec.Command("ctr", "-a", sock, "namespaces", "rm", ns).Run()
		})
		rep := filepath.Join(t.TempDir(), "rep.json")
		code, out, errOut := ctxRunCmd(t, "run", "--state-dir", state, "--image", "containerd://"+ns+"/"+img, "-o", "json", "--report-file", rep,
			"--", "sh", "-c", "cat /etc/passwd | head -1; "+writeScript)
		if code != 0 || !strings.HasPrefix(out, "root:x:0:0") || !strings.Contains(out, "wrote") {
			t.Fatalf("containerd image: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		// The snapshot is untouched: the image still starts clean.
		code, out, errOut = ctxRunCmd(t, "run", "--state-dir", state, "--image", "containerd://"+ns+"/"+img, "--no-report", "--", "sh", "-c", "head -1 /etc/passwd; ls /newdir")
		if code == 0 || !strings.HasPrefix(out, "root:x:0:0") {
			t.Errorf("second run saw the first's writes: exit %d, stdout %q, stderr %q", code, out, errOut)
		}
	})
}

// TestRunE2EBundle: an OCI bundle's process, hostname, namespaces and
// limits are honoured.
func TestRunE2EBundle(t *testing.T) {
	rootfs := runRootfs(t)
	dir := t.TempDir()
	config := fmt.Sprintf(`{"ociVersion":"1.0.2","root":{"path":%q,"readonly":true},
"process":{"terminal":false,"user":{"uid":0,"gid":0},"args":["sh","-c","hostname; echo $FOO; touch /x || echo ro"],
 "env":["PATH=/bin","FOO=bar"],"cwd":"/","capabilities":{"bounding":["CAP_KILL"]}},
"hostname":"bundlehost",
"linux":{"namespaces":[{"type":"pid"},{"type":"mount"},{"type":"network"},{"type":"uts"},{"type":"ipc"}],
 "resources":{"pids":{"limit":30},"memory":{"limit":67108864}}}}`, rootfs)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	rep := filepath.Join(t.TempDir(), "rep.json")
	code, out, errOut := ctxRunCmd(t, "run", "--state-dir", t.TempDir(), "--bundle", dir, "--init=false", "-o", "json", "--report-file", rep)
	if code != 0 || out != "bundlehost\nbar\nro\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if r := readReport(t, rep); r.Item.PIDsLimit == nil || *r.Item.PIDsLimit != 30 {
		t.Errorf("pids limit %v; want the bundle's 30", r.Item.PIDsLimit)
	}
}

// TestRunE2ELeak: 50 runs, every fifth networked through ctx0 (in a
// throwaway netns), one in five SIGKILLed mid-run with its container,
// then ctx gc: no ctx cgroup, mount, veth, netns or scratch dir remains,
// and no container process survived its ctx.
func TestRunE2ELeak(t *testing.T) {
	rootfs := runRootfs(t)
	hostfstest.RequireTool(t, "privileged", "ip")
	hostfstest.RequireTool(t, "privileged", "nsenter")
	hostfstest.NoMountLeak(t)
	hostfstest.NoNetNSLeak(t)
	hostfstest.NoLinkLeak(t)
	b := make([]byte, 3)
	rand.Read(b)
	netns := "ctxtest-" + hex.EncodeToString(b)
	if out, err := exec.Command("ip", "netns", "add", netns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", netns).Run() })
	nsPath := "/run/netns/" + netns
	state := t.TempDir()
	before := leftovers(t, state, nsPath)
	bin := hostfstest.Binary(t)
	const marker = "91.7" // sleep's argument, to find survivors
	start := time.Now()
	killed := 0
	for i := 0; i < 50; i++ {
		args := []string{"run", "--state-dir", state, "--rootfs", rootfs, "--no-report"}
		name := bin
		if i%5 == 0 {
			args = append(args, "--net", "bridge")
			name, args = "nsenter", append([]string{"--net=" + nsPath, bin}, args...)
		}
		if i%10 == 3 || i%10 == 5 { // 5: a bridged run
			args = append(args, "--", "sleep", marker)
			cmd := exec.Command(name, args...)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Kill ctx once its container is up: its cgroup has the sleep.
			deadline := time.Now().Add(5 * time.Second)
			for time.Now().Before(deadline) && !sleeping(marker) {
				time.Sleep(10 * time.Millisecond)
			}
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			killed++
			continue
		}
		args = append(args, "--", "sh", "-c", "echo $$ > /dev/null")
		if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
			t.Fatalf("run %d: %v\n%s", i, err, out)
		}
	}
	t.Logf("50 runs (%d killed) in %v", killed, time.Since(start))
	time.Sleep(200 * time.Millisecond)
	if sleeping(marker) {
		t.Error("a container outlived its killed ctx")
	}
	mid := newer(before, leftovers(t, state, nsPath))
	if len(mid) == 0 {
		t.Error("the killed runs left nothing for gc: the test does not test gc")
	}
	t.Logf("before gc: %q", mid)

	out, err := exec.Command("nsenter", "--net="+nsPath, bin, "gc", "--state-dir", state, "-o", "json").CombinedOutput()
	if err != nil {
		t.Fatalf("ctx gc: %v\n%s", err, out)
	}
	var rep struct {
		Item struct {
			Items []struct{ Kind, Name, Action string } `json:"items"`
		} `json:"item"`
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, it := range rep.Item.Items {
		if it.Action != "removed" {
			t.Errorf("gc: %+v", it)
		}
	}
	if left := newer(before, leftovers(t, state, nsPath)); len(left) > 0 {
		t.Errorf("after ctx gc: %q", left)
	}
	if took := time.Since(start); took > 60*time.Second {
		t.Errorf("the leak test took %v; want under 60 s", took)
	}
}

// sleeping reports whether a process runs `sleep ARG`.
func sleeping(arg string) bool {
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		if b, err := os.ReadFile(p); err == nil && string(b) == "sleep\x00"+arg+"\x00" {
			return true
		}
	}
	return false
}

// TestGcE2ENoPermission: ctx gc as an ordinary user says what it needs.
func TestGcE2ENoPermission(t *testing.T) {
	hostfstest.RequirePrivileged(t)
	cmd := exec.Command(hostfstest.Binary(t), "gc", "--dry-run")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	err := cmd.Run()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 4 || !strings.Contains(errOut.String(), "needs root") {
		t.Errorf("ctx gc as nobody: %v, stderr %q; want exit 4 and what it needs", err, errOut.String())
	}
}
