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
	// SwapMax is v2 memory.swap.max and SwapEvents memory.swap.events
	// (hierarchical unless the mount has memory_localevents). A scan
	// reads them, and Swap, only with ScanOptions.Swap.
	SwapMax    *Limit      `json:"swapMax,omitempty"`
	SwapEvents *SwapEvents `json:"swapEvents,omitempty"`
	// OOMKills counts processes of this group killed by the OOM killer:
	// memory.events.local oom_kill, v1 memory.oom_control oom_kill.
	OOMKills *uint64 `json:"oomKills,omitempty"`
	// UnderOOM is v1 oom_control under_oom: tasks hang at the limit.
	UnderOOM *bool `json:"underOOM,omitempty"`
	// Events is v2 memory.events (hierarchical unless the mount has
	// memory_localevents); LocalEvents is memory.events.local.
	Events      *MemoryEvents `json:"events,omitempty"`
	LocalEvents *MemoryEvents `json:"localEvents,omitempty"`
	// Detail is set by ReadCgroup (ctx cgroup show) only.
	Detail *MemoryDetail `json:"detail,omitempty"`
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

// SwapEvents are the counters of v2 memory.swap.events: Max counts swap
// allocations refused at a memory.swap.max, Fail every failed one (at a
// limit or with the system's swap full).
type SwapEvents struct {
	High *uint64 `json:"high,omitempty"`
	Max  *uint64 `json:"max,omitempty"`
	Fail *uint64 `json:"fail,omitempty"`
}

func swapEvents(kv map[string]uint64) *SwapEvents {
	if kv == nil {
		return nil
	}
	return &SwapEvents{High: key(kv, "high"), Max: key(kv, "max"), Fail: key(kv, "fail")}
}

// MemoryDetail is what `ctx cgroup show` adds to Memory: the other limits
// and the rest of the breakdown. Sizes are bytes; nil is unknown or not
// reported by this kernel or version.
type MemoryDetail struct {
	// High throttles and reclaims above it (v2 memory.high); Low and Min
	// protect (memory.low, memory.min). v1 has none of them.
	High *Limit `json:"high,omitempty"`
	Low  *Limit `json:"low,omitempty"`
	Min  *Limit `json:"min,omitempty"`
	// SoftLimit is v1 memory.soft_limit_in_bytes (other semantics than
	// memory.high: reclaim target under global pressure).
	SoftLimit *Limit `json:"softLimit,omitempty"`
	// SwapMax is v2 memory.swap.max (swap alone), as Memory.SwapMax;
	// MemSwLimit and
	// MemSwUsage are v1 memory.memsw.* (memory plus swap).
	SwapMax    *Limit  `json:"swapMax,omitempty"`
	MemSwLimit *Limit  `json:"memswLimit,omitempty"`
	MemSwUsage *uint64 `json:"memswUsageBytes,omitempty"`
	// OOMGroup is v2 memory.oom.group: the OOM killer kills the whole
	// group. OOMKillDisable is v1 oom_control oom_kill_disable: tasks hang
	// at the limit instead.
	OOMGroup       *bool `json:"oomGroup,omitempty"`
	OOMKillDisable *bool `json:"oomKillDisable,omitempty"`
	// FailCnt is v1 memory.failcnt (unreliable: it stayed 0 after an OOM
	// kill on 6.18).
	FailCnt *uint64 `json:"failcnt,omitempty"`
	// Breakdown from memory.stat (v1: total_* keys).
	Kernel            *uint64 `json:"kernelBytes,omitempty"`
	Slab              *uint64 `json:"slabBytes,omitempty"`
	Sock              *uint64 `json:"sockBytes,omitempty"`
	FileMapped        *uint64 `json:"fileMappedBytes,omitempty"`
	FileDirty         *uint64 `json:"fileDirtyBytes,omitempty"`
	FileWriteback     *uint64 `json:"fileWritebackBytes,omitempty"`
	ActiveFile        *uint64 `json:"activeFileBytes,omitempty"`
	WorkingsetRefault *uint64 `json:"workingsetRefaultFile,omitempty"` // pages
	PgMajFault        *uint64 `json:"pgmajfault,omitempty"`
}

// Keys of memory.stat, in the order of the values pickKeyed returns.
var (
	memStatV2 = []string{"file", "anon", "shmem", "inactive_file",
		"kernel", "slab", "sock", "file_mapped", "file_dirty", "file_writeback", "active_file", "workingset_refault_file", "pgmajfault"}
	memStatV1 = []string{"total_cache", "total_rss", "total_shmem", "total_inactive_file",
		"total_swap", "total_mapped_file", "total_dirty", "total_writeback", "total_active_file", "total_workingset_refault_file", "total_pgmajfault"}
	oomControlKeys = []string{"oom_kill_disable", "under_oom", "oom_kill"}
)

// memory reads memory.* (cgroup-v2.rst "Memory"; cgroup-v1/memory.rst).
// A scan (s.summary) skips the peak, and the swap unless s.swap; s.full
// adds MemoryDetail.
func (s *statReader) memory(d *dir, version int, p *Placement) *Memory {
	isRoot := p.Path == "/"
	mem := &Memory{Version: version, Path: p.Path}
	var det *MemoryDetail
	if s.full {
		det = &MemoryDetail{}
		mem.Detail = det
	}
	if version == 2 {
		mem.Current = s.uint(d, "memory.current", isRoot) // absent at the root
		mem.Limit = s.limit(d, "memory.max", isRoot, parseMax)
		if b := s.file(d, "memory.stat", isRoot); b != nil {
			v := pickKeyed(b, memStatV2)
			mem.File, mem.Anon, mem.Shmem, mem.InactiveFile = v[0], v[1], v[2], v[3]
			if det != nil {
				det.Kernel, det.Slab, det.Sock, det.FileMapped, det.FileDirty, det.FileWriteback = v[4], v[5], v[6], v[7], v[8], v[9]
				det.ActiveFile, det.WorkingsetRefault, det.PgMajFault = v[10], v[11], v[12]
			}
		}
		mem.Events = memoryEvents(s.keyed(d, "memory.events", isRoot))
		mem.LocalEvents = memoryEvents(s.keyed(d, "memory.events.local", true)) // ≥5.2
		if mem.LocalEvents != nil {
			mem.OOMKills = mem.LocalEvents.OOMKill
		}
		if !s.summary {
			mem.Peak = s.uint(d, "memory.peak", true) // ≥5.19
		}
		if !s.summary || s.swap { // absent without swap accounting
			mem.Swap = s.uint(d, "memory.swap.current", true)
			mem.SwapMax = s.optLimit(d, "memory.swap.max", parseMax)
			mem.SwapEvents = swapEvents(s.keyed(d, "memory.swap.events", true))
		}
		if s.full {
			det.High = s.optLimit(d, "memory.high", parseMax)
			det.Low = s.optLimit(d, "memory.low", parseMax)
			det.Min = s.optLimit(d, "memory.min", parseMax)
			det.SwapMax = mem.SwapMax
			if v := s.uint(d, "memory.oom.group", true); v != nil {
				b := *v != 0
				det.OOMGroup = &b
			}
		}
	} else {
		mem.Current = s.uint(d, "memory.usage_in_bytes", false)
		mem.Limit = s.limit(d, "memory.limit_in_bytes", isRoot, parseV1Limit)
		if b := s.file(d, "memory.stat", false); b != nil {
			v := pickKeyed(b, memStatV1)
			mem.File, mem.Anon, mem.Shmem, mem.InactiveFile, mem.Swap = v[0], v[1], v[2], v[3], v[4]
			if det != nil {
				det.FileMapped, det.FileDirty, det.FileWriteback, det.ActiveFile = v[5], v[6], v[7], v[8]
				det.WorkingsetRefault, det.PgMajFault = v[9], v[10]
			}
		}
		if b := s.file(d, "memory.oom_control", false); b != nil {
			v := pickKeyed(b, oomControlKeys)
			mem.OOMKills = v[2] // ≥4.13
			if v[1] != nil {
				u := *v[1] != 0
				mem.UnderOOM = &u
			}
			if det != nil && v[0] != nil {
				b := *v[0] != 0
				det.OOMKillDisable = &b
			}
		}
		if !s.summary {
			mem.Peak = s.uint(d, "memory.max_usage_in_bytes", true)
		}
		if s.full {
			det.SoftLimit = s.optLimit(d, "memory.soft_limit_in_bytes", parseV1Limit)
			det.MemSwLimit = s.optLimit(d, "memory.memsw.limit_in_bytes", parseV1Limit) // needs swap accounting
			det.MemSwUsage = s.uint(d, "memory.memsw.usage_in_bytes", true)
			det.FailCnt = s.uint(d, "memory.failcnt", true)
			if kmem := s.uint(d, "memory.kmem.usage_in_bytes", true); kmem != nil {
				det.Kernel = kmem
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
