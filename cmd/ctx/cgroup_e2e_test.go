package main_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/ctx-tools/ctx/inspect/hostfs/hostfstest"
)

// cgroupShown is the part of `ctx cgroup show -o json` these tests read.
type cgroupShown struct {
	Path      string `json:"path"`
	Container *struct {
		Runtime string `json:"runtime"`
		ID      string `json:"id"`
		Name    string `json:"name"`
	} `json:"container"`
	Memory *struct {
		Limit *struct {
			Unlimited bool    `json:"unlimited"`
			Max       *uint64 `json:"max"`
		} `json:"limit"`
		Current *uint64 `json:"currentBytes"`
	} `json:"memory"`
	CPU *struct {
		Max *struct {
			QuotaUsec  *uint64 `json:"quotaUsec"`
			PeriodUsec uint64  `json:"periodUsec"`
		} `json:"max"`
	} `json:"cpu"`
	PIDs *struct {
		Current *uint64 `json:"current"`
		Limit   *struct {
			Max *uint64 `json:"max"`
		} `json:"limit"`
	} `json:"pids"`
	Effective struct {
		Memory *struct {
			Max   *uint64 `json:"max"`
			SetBy string  `json:"setBy"`
		} `json:"memory"`
		CPU *struct {
			Cores *float64 `json:"cores"`
			SetBy string   `json:"setBy"`
		} `json:"cpu"`
		PIDs *struct {
			Max   *uint64 `json:"max"`
			SetBy string  `json:"setBy"`
		} `json:"pids"`
	} `json:"effective"`
	Processes []struct {
		PID       int `json:"pid"`
		Container *struct {
			ID string `json:"id"`
		} `json:"container"`
	} `json:"processes"`
}

// TestCgroupDockerLimits runs containers with --memory, --cpus and
// --pids-limit and checks that ctx cgroup show, ls and tree report those
// limits, matching docker inspect.
func TestCgroupDockerLimits(t *testing.T) {
	img := hostfstest.TestImage(t)
	for _, tc := range []struct {
		memory, cpus, pids string
	}{
		{"64m", "0.5", "50"},
		{"200m", "1.5", "123"},
	} {
		t.Run(tc.memory+"_"+tc.cpus+"_"+tc.pids, func(t *testing.T) {
			id := hostfstest.DockerRun(t, "--memory", tc.memory, "--cpus", tc.cpus, "--pids-limit", tc.pids, "--network", "none", img)
			hc := hostfstest.Docker(t, "inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}} {{.Name}}", id)
			var mem, nano, pids uint64
			var name string
			if _, err := fmt.Sscan(hc, &mem, &nano, &pids, &name); err != nil {
				t.Fatalf("docker inspect %q: %v", hc, err)
			}
			name = strings.TrimPrefix(name, "/")

			out, errOut, code := ctxRun(t, nil, "cgroup", "show", name, "-o", "json")
			if code != 0 {
				t.Fatalf("ctx cgroup show %s: exit %d: %s", name, code, errOut)
			}
			var doc struct {
				Item cgroupShown `json:"item"`
			}
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatalf("bad JSON: %v\n%s", err, out)
			}
			s := doc.Item
			if s.Container == nil || s.Container.ID != id || s.Container.Runtime != "docker" || s.Container.Name != name {
				t.Errorf("container = %+v; want docker %s (%s)", s.Container, name, id)
			}
			if s.Memory == nil || s.Memory.Limit == nil || s.Memory.Limit.Max == nil || *s.Memory.Limit.Max != mem {
				t.Errorf("memory limit = %+v; want %d (docker inspect)", s.Memory, mem)
			}
			if e := s.Effective.Memory; e == nil || e.Max == nil || *e.Max != mem || e.SetBy != s.Path {
				t.Errorf("effective memory = %+v; want %d set by %s", e, mem, s.Path)
			}
			if s.CPU == nil || s.CPU.Max == nil || s.CPU.Max.QuotaUsec == nil ||
				*s.CPU.Max.QuotaUsec*1e9 != nano*s.CPU.Max.PeriodUsec {
				t.Errorf("cpu max = %+v; want %d nano-CPUs", s.CPU, nano)
			}
			if e := s.Effective.CPU; e == nil || e.Cores == nil || *e.Cores != float64(nano)/1e9 {
				t.Errorf("effective cpu = %+v; want %v CPUs", e, float64(nano)/1e9)
			}
			if s.PIDs == nil || s.PIDs.Limit == nil || s.PIDs.Limit.Max == nil || *s.PIDs.Limit.Max != pids {
				t.Errorf("pids limit = %+v; want %d", s.PIDs, pids)
			}
			if len(s.Processes) == 0 || s.Processes[0].Container == nil || s.Processes[0].Container.ID != id {
				t.Errorf("processes = %+v; want the container's, named by it", s.Processes)
			}

			// ls lists the same cgroup with the same limits.
			out, errOut, code = ctxRun(t, nil, "cgroup", "ls", "-o", "json")
			if code != 0 {
				t.Fatalf("ctx cgroup ls: exit %d: %s", code, errOut)
			}
			var list struct {
				Items []cgroupShown `json:"items"`
			}
			if err := json.Unmarshal([]byte(out), &list); err != nil {
				t.Fatal(err)
			}
			found := false
			for _, it := range list.Items {
				if it.Path != s.Path {
					continue
				}
				found = true
				if it.Effective.Memory == nil || *it.Effective.Memory.Max != mem || it.Effective.PIDs == nil || *it.Effective.PIDs.Max != pids ||
					it.Effective.CPU == nil || it.Effective.CPU.Cores == nil || *it.Effective.CPU.Cores != float64(nano)/1e9 {
					t.Errorf("ls item = %+v; want the limits docker inspect reports", it)
				}
			}
			if !found {
				t.Errorf("ls lacks %s", s.Path)
			}

			// tree shows the container's cgroup, named, with its process.
			out, _, code = ctxRun(t, nil, "cgroup", "tree", s.Path)
			if code != 0 || !strings.Contains(out, "docker:"+name) || !strings.Contains(out, "sleep 3600") {
				t.Errorf("tree (exit %d) lacks docker:%s and its process:\n%s", code, name, out)
			}
			lim := strconv.FormatUint(mem, 10)
			if !strings.Contains(out, lim) {
				t.Errorf("tree lacks the limit %s:\n%s", lim, out)
			}
		})
	}
}

// TestCgroupUnprivileged runs the read-only commands as nobody: cgroupfs
// is world-readable, so they work, warning about what they cannot see.
func TestCgroupUnprivileged(t *testing.T) {
	var nobody *syscall.Credential // already unprivileged
	if os.Geteuid() == 0 {
		nobody = &syscall.Credential{Uid: 65534, Gid: 65534}
	}
	for _, args := range [][]string{
		{"cgroup", "ls", "-o", "json"},
		{"cgroup", "tree", "--procs=false"},
		{"cgroup", "show", "/"},
	} {
		_, errOut, code := ctxRun(t, nobody, args...)
		if code != 0 {
			t.Errorf("ctx %v as nobody: exit %d: %s", args, code, errOut)
		}
	}
	if _, errOut, code := ctxRun(t, nobody, "cgroup", "check"); code != 0 && code != 3 {
		t.Errorf("ctx cgroup check as nobody: exit %d: %s", code, errOut)
	}
}
