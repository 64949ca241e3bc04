package inspect

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// warnings aggregates per-process failures of one scan into a few lines:
// a thousand "permission denied" errors are one warning with a count, a few
// PIDs and the capability that would lift them.
type warnings struct {
	mu    sync.Mutex
	pids  map[string][]int
	order []string
}

// add records msg once, for process pid (0 when no process is concerned).
func (w *warnings) add(pid int, msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.pids == nil {
		w.pids = map[string][]int{}
	}
	list, seen := w.pids[msg]
	if !seen {
		w.order = append(w.order, msg)
	}
	if pid > 0 {
		list = append(list, pid)
	}
	w.pids[msg] = list
}

// permission records a refused read of a process's procfs entries. The
// advice differs for root: then the process holds capabilities ctx lacks,
// or an LSM refuses.
func (w *warnings) permission(pid int, what string) {
	if os.Geteuid() == 0 {
		w.add(pid, "cannot read the "+what+" of some processes even as root: they hold capabilities ctx lacks, or an LSM refuses")
		return
	}
	w.add(pid, "cannot read the "+what+" of processes of other users: needs CAP_SYS_PTRACE (run as root, or add --cap-add SYS_PTRACE to the sidecar)")
}

// list renders each distinct message once, with the processes it concerns.
func (w *warnings) list() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]string, 0, len(w.order))
	for _, m := range w.order {
		if pids := w.pids[m]; len(pids) > 0 {
			m += " " + pidSummary(pids)
		}
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// pidSummary renders "(PID 1)" or "(3 processes: PIDs 1, 7, 9)", naming at
// most five.
func pidSummary(pids []int) string {
	sort.Ints(pids)
	if len(pids) == 1 {
		return fmt.Sprintf("(PID %d)", pids[0])
	}
	shown := make([]string, 0, 5)
	for _, p := range pids[:min(5, len(pids))] {
		shown = append(shown, strconv.Itoa(p))
	}
	more := ""
	if len(pids) > 5 {
		more = ", …"
	}
	return fmt.Sprintf("(%d processes: PIDs %s%s)", len(pids), strings.Join(shown, ", "), more)
}
