//go:build linux

package inspect

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ctx-tools/ctx/inspect/hostfs"
	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

// securityOf starts a test container with args and returns its security
// facts, its docker inspect document and its host PID.
func securityOf(t *testing.T, args ...string) (*Security, map[string]any, int) {
	t.Helper()
	hostfstest.RequireDocker(t)
	id := hostfstest.DockerRun(t, append(args, hostfstest.TestImage(t))...)
	pid, err := strconv.Atoi(hostfstest.Docker(t, "inspect", "-f", "{{.State.Pid}}", id))
	if err != nil || pid <= 0 {
		t.Fatalf("container PID: %v", err)
	}
	var docs []map[string]any
	if err := json.Unmarshal([]byte(hostfstest.Docker(t, "inspect", id)), &docs); err != nil || len(docs) != 1 {
		t.Fatalf("docker inspect: %v", err)
	}
	root, err := hostfs.New("/")
	if err != nil {
		t.Fatal(err)
	}
	s, err := ReadSecurity(root, pid)
	if err != nil {
		t.Fatalf("ReadSecurity(%d): %v", pid, err)
	}
	for _, w := range s.Warnings {
		t.Logf("warning: %s", w)
	}
	return s, docs[0], pid
}

// hostConfigList returns a list field of HostConfig (CapAdd, SecurityOpt).
func hostConfigList(doc map[string]any, key string) []string {
	hc, _ := doc["HostConfig"].(map[string]any)
	list, _ := hc[key].([]any)
	var out []string
	for _, v := range list {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// sharedWithSelf compares the container's namespaces with ctx's own (the
// test runs on the host): what the CLI fills from the namespace reader.
func sharedWithSelf(t *testing.T, pid int) map[string]bool {
	t.Helper()
	root, _ := hostfs.New("/")
	out := map[string]bool{}
	for _, typ := range []string{"pid", "net", "ipc", "uts", "mnt"} {
		a, err1 := os.Readlink(root.PID(pid, "ns", typ))
		b, err2 := os.Readlink(root.Proc("self", "ns", typ))
		if err1 != nil || err2 != nil {
			t.Fatalf("reading %s namespaces: %v %v", typ, err1, err2)
		}
		out[typ] = a == b
	}
	return out
}

func findingIDs(fs []Finding) map[string]bool {
	m := map[string]bool{}
	for _, f := range fs {
		m[f.Check] = true
	}
	return m
}

func TestSecurityE2EDefault(t *testing.T) {
	s, _, pid := securityOf(t)
	c := s.Confinement
	if c == nil || c.Seccomp != SeccompFilter || seccompIntOr(c.SeccompFilters) < 1 {
		t.Errorf("confinement = %+v; want a seccomp filter", c)
	}
	if c != nil && (c.RootIsHostRoot == nil || !*c.RootIsHostRoot) {
		t.Errorf("RootIsHostRoot = %v; want true (no userns remap)", c.RootIsHostRoot)
	}
	if s.Capabilities == nil || s.Capabilities.Usable().Dangerous() != 0 || s.Privileged {
		t.Errorf("capabilities = %+v; want docker's default set, none dangerous", s.Capabilities)
	}
	if s.Rootfs == nil || s.Rootfs.FSType != "overlay" || s.Rootfs.Overlay == nil || s.Rootfs.Overlay.UpperDir == "" {
		t.Errorf("rootfs = %+v; want overlay with an upper dir", s.Rootfs)
	}
	if len(s.Exposures) != 0 {
		t.Errorf("exposures = %+v; want none", s.Exposures)
	}
	p := s.Posture()
	p.SharedWithHost = sharedWithSelf(t, pid)
	ids := findingIDs(Check(p))
	for _, bad := range []string{"no-seccomp", "privileged", "cap-sys-admin", "host-pid-ns", "host-net-ns", "docker-sock", "writable-proc", "writable-sys"} {
		if ids[bad] {
			t.Errorf("default container has finding %q", bad)
		}
	}
}

func TestSecurityE2ECapAdd(t *testing.T) {
	s, doc, _ := securityOf(t, "--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN", "--cap-add", "SYS_PTRACE")
	added := hostConfigList(doc, "CapAdd")
	if len(added) != 3 {
		t.Fatalf("docker inspect CapAdd = %v; want 3", added)
	}
	for _, name := range added {
		bit, ok := CapByName(name)
		if !ok {
			t.Fatalf("unknown capability %q from docker inspect", name)
		}
		if !s.Capabilities.Effective.Has(bit) {
			t.Errorf("effective %s lacks %s", s.Capabilities.Effective, name)
		}
	}
	ids := findingIDs(Check(s.Posture()))
	for _, want := range []string{"cap-sys-admin", "cap-net-admin", "cap-sys-ptrace"} {
		if !ids[want] {
			t.Errorf("findings %v lack %q", ids, want)
		}
	}
	if s.Privileged || ids["privileged"] {
		t.Error("three added caps judged privileged")
	}
}

func TestSecurityE2ECapDropAll(t *testing.T) {
	s, _, _ := securityOf(t, "--cap-drop", "ALL")
	c := s.Capabilities
	if c == nil || c.Effective != 0 || c.Permitted != 0 || c.Bounding != 0 {
		t.Errorf("capabilities = %+v; want all empty", c)
	}
	for _, f := range Check(s.Posture()) {
		if strings.HasPrefix(f.Check, "cap-") || f.Check == "privileged" {
			t.Errorf("finding %+v with no capabilities", f)
		}
	}
}

func TestSecurityE2ESeccompUnconfined(t *testing.T) {
	s, doc, _ := securityOf(t, "--security-opt", "seccomp=unconfined")
	if opts := hostConfigList(doc, "SecurityOpt"); strings.Join(opts, ",") != "seccomp=unconfined" {
		t.Fatalf("docker inspect SecurityOpt = %v", opts)
	}
	if s.Confinement == nil || s.Confinement.Seccomp != SeccompDisabled {
		t.Errorf("confinement = %+v; want seccomp disabled", s.Confinement)
	}
	if !findingIDs(Check(s.Posture()))["no-seccomp"] {
		t.Error("no no-seccomp finding")
	}
}

func TestSecurityE2EHostNamespaces(t *testing.T) {
	for _, tc := range []struct{ flag, ns, check string }{
		{"--pid", "pid", "host-pid-ns"},
		{"--network", "net", "host-net-ns"},
	} {
		t.Run(tc.ns, func(t *testing.T) {
			s, _, pid := securityOf(t, tc.flag, "host")
			p := s.Posture()
			p.SharedWithHost = sharedWithSelf(t, pid)
			if !p.SharedWithHost[tc.ns] {
				t.Fatalf("%s namespace not shared with ctx's own after %s host", tc.ns, tc.flag)
			}
			if !findingIDs(Check(p))[tc.check] {
				t.Errorf("no %s finding", tc.check)
			}
		})
	}
}

func TestSecurityE2EDockerSocket(t *testing.T) {
	hostfstest.RequireDocker(t)
	if _, err := os.Stat("/var/run/docker.sock"); err != nil {
		t.Fatalf("docker answers but not on /var/run/docker.sock: %v", err)
	}
	s, _, _ := securityOf(t, "-v", "/var/run/docker.sock:/var/run/docker.sock")
	var found *Exposure
	for i, e := range s.Exposures {
		if e.Kind == ExposureRuntimeSocket && e.MountPoint == "/var/run/docker.sock" {
			found = &s.Exposures[i]
		}
	}
	if found == nil {
		t.Fatalf("exposures = %+v; want the docker socket", s.Exposures)
	}
	if !strings.HasSuffix(found.HostPath, "docker.sock") {
		t.Errorf("host path = %q; want .../docker.sock", found.HostPath)
	}
	if !findingIDs(Check(s.Posture()))["docker-sock"] {
		t.Error("no docker-sock finding")
	}
}

func TestSecurityE2ELimits(t *testing.T) {
	s, doc, _ := securityOf(t, "--memory", "64m", "--pids-limit", "50")
	hc, _ := doc["HostConfig"].(map[string]any)
	mem, _ := hc["Memory"].(float64)
	pids, _ := hc["PidsLimit"].(float64)
	if mem != 64<<20 || pids != 50 {
		t.Fatalf("docker inspect Memory=%v PidsLimit=%v; want 64 MiB, 50", mem, pids)
	}
	// The limits come from the cgroup reader; Check only judges them.
	p := s.Posture()
	m, n := uint64(mem), uint64(pids)
	p.MemoryLimit, p.PIDsLimit = &m, &n
	ids := findingIDs(Check(p))
	if ids["no-memory-limit"] || ids["no-pids-limit"] {
		t.Errorf("findings %v with limits set", ids)
	}
	p.MemoryLimit, p.PIDsLimit = secPtr(Unlimited), secPtr(Unlimited)
	ids = findingIDs(Check(p))
	if !ids["no-memory-limit"] || !ids["no-pids-limit"] {
		t.Errorf("findings %v without limits; want no-memory-limit, no-pids-limit", ids)
	}
}

// TestSecurityE2EPrivileged runs --privileged where dockerd holds every
// capability; elsewhere (a VM withholding CAP_SYS_RESOURCE makes
// --privileged fail) it adds every capability the host can grant, which
// IsPrivileged must judge the same.
func TestSecurityE2EPrivileged(t *testing.T) {
	hostfstest.RequireDocker(t)
	root, _ := hostfs.New("/")
	hb, err := ReadHostBounding(root)
	if err != nil {
		t.Fatal(err)
	}
	last, err := ReadCapLastCap(root)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"--privileged"}
	if grant := hb & FullSet(last); grant != FullSet(last) {
		t.Logf("--privileged fails here (the host lacks %s); adding every capability it can grant", (FullSet(last) &^ hb).String())
		args = nil
		// Docker 20.10 knows no capability after cap_audit_read.
		for _, name := range (grant & FullSet(unix.CAP_AUDIT_READ)).Names() {
			args = append(args, "--cap-add", strings.TrimPrefix(strings.ToUpper(name), "CAP_"))
		}
	}
	s, _, _ := securityOf(t, args...)
	if !s.Privileged {
		t.Errorf("Privileged = false for CapEff %s, host bounding %s; want true", s.Capabilities.Effective.Hex(), hb.Hex())
	}
	ids := findingIDs(Check(s.Posture()))
	if !ids["privileged"] || ids["cap-sys-admin"] {
		t.Errorf("findings %v; want privileged alone among capability findings", ids)
	}
}
