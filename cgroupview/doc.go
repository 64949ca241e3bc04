// Package cgroupview reads cgroups the way an SRE asks about them: where a
// process sits in each hierarchy, what it uses, what limits it, and which
// ancestor sets the limit that binds. It handles v1, v2 and hybrid hosts
// (v1 controllers beside a cgroup2 mount that may bind few or none, yet
// serves cpu.stat and PSI) and maps both versions onto one model with
// explicit units.
//
// Everything is read under a hostfs.Root, so the same code runs on the
// host, in a sidecar and on fixture trees:
//
//   - Detect finds the hierarchies from mountinfo (controllers from the
//     superblock options, never from directory names) and warns when ctx
//     sees them through a private cgroup namespace.
//   - ForPID maps each line of /proc/PID/cgroup to a directory: mount
//     point + path relative to the mount root, since the paths are
//     relative to the reader's cgroup namespace.
//   - ReadStats reads memory, CPU, pids and PSI of those directories.
//   - EffectiveLimits takes the minimum of each limit over ancestors.
//   - Scan walks every hierarchy from a cgroup down and merges them by path
//     into one Tree of Nodes with usage, limits, effective limits, OOM
//     kills, throttling, PIDs and PSI (ctx cgroup tree, ls, top).
//   - ReadCgroup reads one cgroup in depth: every controller including
//     cpuset, io/blkio, hugetlb, freezer and devices, its ancestors' limits
//     and its members (ctx cgroup show).
//   - Check finds trouble with the thresholds of the cgroups field note,
//     and Rates turns two scans into CPU %, throttling and IO rates.
//
// Unknown is never 0: a value that could not be read is a nil pointer and
// a warning; "unlimited" is a state (Limit.Unlimited), not a number.
// Readers never fail on a missing file; they return partial results and
// warnings, which the CLI prints to stderr or embeds in JSON.
//
// Example (equivalent to `cat /proc/PID/cgroup` plus the controller files
// of each group):
//
//	l, err := cgroupview.Detect(root)
//	if err != nil {
//		return err
//	}
//	m, err := cgroupview.ForPID(root, l, pid)
//	if err != nil {
//		return err // the process is gone, or its cgroup file unreadable
//	}
//	st, warnings := cgroupview.ReadStats(root, l, m) // print warnings too
//	lim, more := cgroupview.EffectiveLimits(root, l, m)
//	warnings = append(warnings, more...)
//	if mem := st.Memory; mem != nil && mem.Current != nil &&
//		lim.Memory != nil && !lim.Memory.Unlimited {
//		fmt.Printf("memory %d of %d bytes (limit set by %s)\n",
//			*mem.Current, *lim.Memory.Max, lim.Memory.SetBy)
//	}
//
// And for the whole host (equivalent to systemd-cgls plus every cgroup's
// controller files):
//
//	tree, err := cgroupview.Scan(root, l, cgroupview.ScanOptions{Depth: -1})
//	if err != nil {
//		return err // the top cgroup exists in no hierarchy
//	}
//	for _, f := range cgroupview.Check(tree, nil) {
//		fmt.Println(f.Level, f.Code, f.Path, f.Message)
//	}
//
// Files are read with openat on a directory fd into one reused buffer:
// kernfs files are pollable, and os.Open would register each with the
// netpoller at twice the syscalls.
package cgroupview
