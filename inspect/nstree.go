package inspect

// Tree orders the namespaces depth-first under their parents, for
// `ns ls --tree`. rel is "parent" (the user and pid hierarchy), "owner"
// (namespaces under the user namespace that owns them) or "process"
// (namespaces under the namespace of the nearest ancestor process). It
// returns the order and each namespace's depth.
func (s *NamespaceSet) Tree(rel string) ([]*Namespace, []int) {
	byIno := map[uint64][]*Namespace{}
	for _, ns := range s.Namespaces {
		byIno[ns.Ino] = append(byIno[ns.Ino], ns)
	}
	find := func(ino uint64, typ string) *Namespace {
		for _, ns := range byIno[ino] {
			if typ == "" || ns.Type == typ {
				return ns
			}
		}
		return nil
	}
	parentOf := func(ns *Namespace) *Namespace {
		switch rel {
		case "parent":
			return find(ns.Parent, ns.Type)
		case "owner":
			return find(ns.Owner, "user")
		case "process":
			return s.processParent(ns)
		}
		return nil
	}
	children := map[*Namespace][]*Namespace{}
	var roots []*Namespace
	for _, ns := range s.Namespaces {
		if p := parentOf(ns); p != nil && p != ns {
			children[p] = append(children[p], ns)
		} else {
			roots = append(roots, ns)
		}
	}
	var order []*Namespace
	var depth []int
	seen := map[*Namespace]bool{}
	var walk func(ns *Namespace, d int)
	walk = func(ns *Namespace, d int) {
		if seen[ns] {
			return
		}
		seen[ns] = true
		order = append(order, ns)
		depth = append(depth, d)
		for _, c := range children[ns] {
			walk(c, d+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
	// A cycle (a kernel that lies) must not drop namespaces.
	for _, ns := range s.Namespaces {
		walk(ns, 0)
	}
	return order, depth
}

// processParent finds the namespace of the same type whose representative
// process is the nearest ancestor of ns's representative.
func (s *NamespaceSet) processParent(ns *Namespace) *Namespace {
	if ns.Process == nil {
		return nil
	}
	rep := map[int]*Namespace{}
	for _, o := range s.Namespaces {
		if o.Type == ns.Type && o.Process != nil {
			rep[o.Process.PID] = o
		}
	}
	ppid := ns.Process.PPID
	for steps := 0; ppid > 0 && steps < 64; steps++ {
		if o := rep[ppid]; o != nil && o != ns {
			return o
		}
		ppid = s.ppid(ppid)
	}
	return nil
}

// ppid reads a process's parent, caching; 0 when unknown.
func (s *NamespaceSet) ppid(pid int) int {
	if v, ok := s.ppids[pid]; ok {
		return v
	}
	v := 0
	if s.root != nil {
		if p, err := ReadProcess(*s.root, pid); err == nil {
			v = p.PPID
		}
	}
	if s.ppids == nil {
		s.ppids = map[int]int{}
	}
	s.ppids[pid] = v
	return v
}
