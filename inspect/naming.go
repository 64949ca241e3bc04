package inspect

// NameProcess gives p its container's name, image and pod from the
// runtimes' state. It is nil-safe on both sides.
func (r *Runtimes) NameProcess(p *Process) {
	if r == nil || p == nil {
		return
	}
	if p.Container == nil {
		p.Container = r.FromCgroup(p.Cgroup) // IDs that are not 64 hex, such as ctr's
		return
	}
	r.Enrich(p.Container)
}
