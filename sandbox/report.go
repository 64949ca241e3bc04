package sandbox

import (
	"time"

	"github.com/ctx-tools/ctx/cgroupview"
)

// Report is what happened to one run, read from the kernel's counters
// after the last process exited and before the cgroup was removed. A nil
// pointer is a value the kernel did not report (a controller not mounted,
// a file older kernels lack): unknown, never 0.
type Report struct {
	// ID names the run: its cgroup is ctx-<ID>, its veth ctx-<ID>.
	ID      string   `json:"id"`
	Command []string `json:"command"`
	// Root says what the root was made of: "rootfs DIR", "image REF",
	// "bundle DIR".
	Root string `json:"root"`

	// ExitCode is the command's status the way docker run reports it:
	// its exit code, or 128+n when signal n killed it.
	ExitCode int `json:"exitCode"`
	// Signal names the signal that killed the command ("SIGKILL").
	Signal       string `json:"signal,omitempty"`
	SignalNumber int    `json:"signalNumber,omitempty"`
	// Stopped says ctx stopped the container: "SIGTERM" when the command
	// ended after a forwarded SIGTERM or SIGINT, "killed after the stop
	// timeout" when ctx had to kill it.
	Stopped string `json:"stopped,omitempty"`

	// OOMKilled is true when the kernel's OOM killer killed a process of
	// the container (memory.events oom_kill, v1 memory.oom_control
	// oom_kill), whatever the exit code says.
	OOMKilled bool    `json:"oomKilled"`
	OOMKills  *uint64 `json:"oomKills,omitempty"`
	// MemoryMaxEvents is v2 memory.events max: times usage hit the limit.
	MemoryMaxEvents  *uint64 `json:"memoryMaxEvents,omitempty"`
	MemoryPeakBytes  *uint64 `json:"memoryPeakBytes,omitempty"`
	MemoryLimitBytes *uint64 `json:"memoryLimitBytes,omitempty"`

	PIDsPeak  *uint64 `json:"pidsPeak,omitempty"`
	PIDsLimit *uint64 `json:"pidsLimit,omitempty"`
	// PIDsEventsMax is pids.events max: forks the pids limit rejected.
	PIDsEventsMax *uint64 `json:"pidsEventsMax,omitempty"`
	// PIDsInitTasks are the tasks (threads) of ctx's --init reaper, added
	// to pids.max so that the command gets the limit asked for; the peak
	// and limit above include them.
	PIDsInitTasks *uint64 `json:"pidsInitTasks,omitempty"`

	CPUUsageUsec     *uint64  `json:"cpuUsageUsec,omitempty"`
	CPUThrottledUsec *uint64  `json:"cpuThrottledUsec,omitempty"`
	CPUNrThrottled   *uint64  `json:"cpuNrThrottled,omitempty"`
	CPUNrPeriods     *uint64  `json:"cpuNrPeriods,omitempty"`
	CPULimit         *float64 `json:"cpuLimit,omitempty"`

	// StartedAt is when the container process was cloned, FinishedAt when
	// it was reaped; WallUsec is the difference.
	StartedAt  time.Time `json:"startedAt"`
	FinishedAt time.Time `json:"finishedAt"`
	WallUsec   uint64    `json:"wallUsec"`

	CgroupMode cgroupview.Mode `json:"cgroupMode"`
	// Cgroup is the run's cgroup path; CgroupDirs its directories, set
	// when Kept.
	Cgroup     string   `json:"cgroup"`
	Kept       bool     `json:"kept"`
	CgroupDirs []string `json:"cgroupDirs,omitempty"`

	Network NetReport `json:"network"`

	// Warnings are limits not applied, counters not read, cleanup that
	// failed: the run itself went ahead.
	Warnings []string `json:"-"`
}

// NetReport is the container's network.
type NetReport struct {
	Mode NetMode `json:"mode"`
	// Address and Gateway are set for bridge mode; HostVeth is the host
	// end of the pair.
	Address  string `json:"address,omitempty"`
	Gateway  string `json:"gateway,omitempty"`
	HostVeth string `json:"hostVeth,omitempty"`
	// NetNS names the joined namespace in container mode.
	NetNS string `json:"netns,omitempty"`
}

// fill copies the counters of st into the report.
func (r *Report) fill(st *cgroupview.Stats) {
	if st == nil {
		return
	}
	if m := st.Memory; m != nil {
		r.OOMKills = m.OOMKills
		if r.OOMKills == nil && m.Events != nil {
			r.OOMKills = m.Events.OOMKill
		}
		r.OOMKilled = r.OOMKills != nil && *r.OOMKills > 0
		r.MemoryPeakBytes = m.Peak
		if m.Limit != nil && !m.Limit.Unlimited {
			r.MemoryLimitBytes = m.Limit.Max
		}
		if m.Events != nil {
			r.MemoryMaxEvents = m.Events.Max
		}
	}
	if p := st.PIDs; p != nil {
		r.PIDsPeak, r.PIDsEventsMax = p.Peak, p.EventsMax
		if p.Limit != nil && !p.Limit.Unlimited {
			r.PIDsLimit = p.Limit.Max
		}
	}
	if c := st.CPU; c != nil {
		r.CPUUsageUsec, r.CPUThrottledUsec = c.UsageUsec, c.ThrottledUsec
		r.CPUNrThrottled, r.CPUNrPeriods = c.NrThrottled, c.NrPeriods
		if c.Max != nil {
			if v, ok := c.Max.CPUs(); ok {
				r.CPULimit = &v
			}
		}
	}
}
