package cgroupview

import "errors"

// ErrNoCgroups means the mount table holds no cgroup or cgroup2 mount.
var ErrNoCgroups = errors.New("cgroupview: no cgroup mounts")

// ErrNoCgroup means a cgroup path exists in no mounted hierarchy.
var ErrNoCgroup = errors.New("cgroupview: no such cgroup")
