package cgroupview_test

import (
	"fmt"

	"github.com/ctx-tools/ctx/cgroupview"
	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// Reads a Docker container on a hybrid host (the cgroup-hybrid fixture).
func Example() {
	root, err := hostfs.New("../inspect/hostfs/testdata/hosts/cgroup-hybrid")
	if err != nil {
		panic(err)
	}
	l, err := cgroupview.Detect(root)
	if err != nil {
		panic(err)
	}
	m, err := cgroupview.ForPID(root, l, 667)
	if err != nil {
		panic(err)
	}
	st, _ := cgroupview.ReadStats(root, l, m)
	lim, _ := cgroupview.EffectiveLimits(root, l, m)
	fmt.Println("mode:", l.Mode)
	fmt.Printf("memory: %d bytes, working set %d, limit %d (cgroup v%d)\n",
		*st.Memory.Current, *st.Memory.WorkingSet, *lim.Memory.Max, st.Memory.Version)
	fmt.Printf("cpu: %.1f CPUs, throttled %d of %d periods\n",
		*lim.CPU.Cores, *st.CPU.NrThrottled, *st.CPU.NrPeriods)
	fmt.Printf("pids: %d of %d\n", *st.PIDs.Current, *lim.PIDs.Max)
	fmt.Printf("cpu pressure: some avg10 %.2f%%\n", st.PSI.CPU.Some.Avg10)
	// Output:
	// mode: hybrid
	// memory: 4157440 bytes, working set 1011712, limit 67108864 (cgroup v1)
	// cpu: 0.5 CPUs, throttled 18 of 24 periods
	// pids: 2 of 50
	// cpu pressure: some avg10 4.52%
}

// Checks a Kubernetes node (the cgroup-v2 fixture) for trouble.
func ExampleCheck() {
	root, err := hostfs.New("../inspect/hostfs/testdata/hosts/cgroup-v2")
	if err != nil {
		panic(err)
	}
	l, err := cgroupview.Detect(root)
	if err != nil {
		panic(err)
	}
	tree, err := cgroupview.Scan(root, l, cgroupview.ScanOptions{Top: "/kubepods.slice", Depth: -1})
	if err != nil {
		panic(err)
	}
	for _, f := range cgroupview.Check(tree, nil) {
		fmt.Println(f.Level, f.Code, f.Value, f.SetBy != "")
	}
	// Output:
	// critical OOM_AT_ANCESTOR 1 true
	// warning LIMIT_HITS 14 false
	// warning INHERITED_THROTTLE 1.234567 true
	// warning HIGH_THROTTLED 23 false
	// warning NEAR_LIMIT 93.8 false
	// warning MEM_PRESSURE 15 false
	// warning NEAR_LIMIT 93.8 false
}
