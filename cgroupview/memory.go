package cgroupview

// Memory is the memory controller of one cgroup. Sizes are bytes; the
// breakdown is hierarchical (v2 memory.stat, v1 total_* keys).
type Memory struct {
	// Version is the cgroup version the values were read from.
	Version int `json:"version"`
	// Path is the cgroup path of the memory controller.
	Path string `json:"path"`
	// Current is memory.current (v1 memory.usage_in_bytes): it includes
	// page cache.
	Current *uint64 `json:"currentBytes,omitempty"`
	// Limit is memory.max (v1 memory.limit_in_bytes) of this group only;
	// see EffectiveLimits for ancestors.
	Limit *Limit `json:"limit,omitempty"`
	// WorkingSet is Current − inactive_file, as docker stats, cAdvisor
	// and the kubelet compute it.
	WorkingSet   *uint64 `json:"workingSetBytes,omitempty"`
	File         *uint64 `json:"fileBytes,omitempty"` // v2 file, v1 total_cache
	Anon         *uint64 `json:"anonBytes,omitempty"` // v2 anon, v1 total_rss
	InactiveFile *uint64 `json:"inactiveFileBytes,omitempty"`
	// Shmem is tmpfs and shared memory: charged, and not reclaimable
	// without swap.
	Shmem *uint64 `json:"shmemBytes,omitempty"`
	Peak  *uint64 `json:"peakBytes,omitempty"` // memory.peak, v1 max_usage_in_bytes
	Swap  *uint64 `json:"swapBytes,omitempty"` // memory.swap.current, v1 total_swap
	// OOMKills counts processes of this group killed by the OOM killer:
	// memory.events.local oom_kill, v1 memory.oom_control oom_kill.
	OOMKills *uint64 `json:"oomKills,omitempty"`
	// UnderOOM is v1 oom_control under_oom: tasks hang at the limit.
	UnderOOM *bool `json:"underOOM,omitempty"`
	// Events is v2 memory.events (hierarchical unless the mount has
	// memory_localevents); LocalEvents is memory.events.local.
	Events      *MemoryEvents `json:"events,omitempty"`
	LocalEvents *MemoryEvents `json:"localEvents,omitempty"`
}

// MemoryEvents are the counters of v2 memory.events; a nil field is a key
// the kernel does not report.
type MemoryEvents struct {
	Low          *uint64 `json:"low,omitempty"`
	High         *uint64 `json:"high,omitempty"`
	Max          *uint64 `json:"max,omitempty"`
	OOM          *uint64 `json:"oom,omitempty"`
	OOMKill      *uint64 `json:"oomKill,omitempty"`
	OOMGroupKill *uint64 `json:"oomGroupKill,omitempty"`
}

func memoryEvents(kv map[string]uint64) *MemoryEvents {
	if kv == nil {
		return nil
	}
	return &MemoryEvents{
		Low: key(kv, "low"), High: key(kv, "high"), Max: key(kv, "max"),
		OOM: key(kv, "oom"), OOMKill: key(kv, "oom_kill"), OOMGroupKill: key(kv, "oom_group_kill"),
	}
}

// memory reads memory.* (cgroup-v2.rst "Memory"; cgroup-v1/memory.rst).
func (s *statReader) memory(d *dir, version int, p *Placement) *Memory {
	isRoot := p.Path == "/"
	mem := &Memory{Version: version, Path: p.Path}
	var stat map[string]uint64
	if version == 2 {
		mem.Current = s.uint(d, "memory.current", isRoot) // absent at the root
		mem.Limit = s.limit(d, "memory.max", isRoot, parseMax)
		stat = s.keyed(d, "memory.stat", isRoot)
		mem.File, mem.Anon, mem.Shmem = key(stat, "file"), key(stat, "anon"), key(stat, "shmem")
		mem.InactiveFile = key(stat, "inactive_file")
		mem.Peak = s.uint(d, "memory.peak", true)         // ≥5.19
		mem.Swap = s.uint(d, "memory.swap.current", true) // needs swap accounting
		mem.Events = memoryEvents(s.keyed(d, "memory.events", isRoot))
		mem.LocalEvents = memoryEvents(s.keyed(d, "memory.events.local", true)) // ≥5.2
		if mem.LocalEvents != nil {
			mem.OOMKills = mem.LocalEvents.OOMKill
		}
	} else {
		mem.Current = s.uint(d, "memory.usage_in_bytes", false)
		mem.Limit = s.limit(d, "memory.limit_in_bytes", isRoot, parseV1Limit)
		stat = s.keyed(d, "memory.stat", false)
		mem.File, mem.Anon, mem.Shmem = key(stat, "total_cache"), key(stat, "total_rss"), key(stat, "total_shmem")
		mem.InactiveFile = key(stat, "total_inactive_file")
		mem.Swap = key(stat, "total_swap") // only with swap accounting
		mem.Peak = s.uint(d, "memory.max_usage_in_bytes", true)
		if oc := s.keyed(d, "memory.oom_control", false); oc != nil {
			mem.OOMKills = key(oc, "oom_kill") // ≥4.13
			if u, ok := oc["under_oom"]; ok {
				b := u != 0
				mem.UnderOOM = &b
			}
		}
	}
	if mem.Current != nil && mem.InactiveFile != nil {
		ws := uint64(0)
		if *mem.Current > *mem.InactiveFile {
			ws = *mem.Current - *mem.InactiveFile
		}
		mem.WorkingSet = &ws
	}
	return mem
}
