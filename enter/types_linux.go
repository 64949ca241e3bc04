//go:build linux

package enter

import "golang.org/x/sys/unix"

// Flag is the CLONE_NEW* constant of t, or 0 for an unknown type.
func (t Type) Flag() int {
	switch t {
	case Cgroup:
		return unix.CLONE_NEWCGROUP
	case IPC:
		return unix.CLONE_NEWIPC
	case Mnt:
		return unix.CLONE_NEWNS
	case Net:
		return unix.CLONE_NEWNET
	case PID:
		return unix.CLONE_NEWPID
	case Time:
		return unix.CLONE_NEWTIME
	case User:
		return unix.CLONE_NEWUSER
	case UTS:
		return unix.CLONE_NEWUTS
	}
	return 0
}

// typeOfFlag is the inverse of Flag, for NS_GET_NSTYPE answers.
func typeOfFlag(flag int) (Type, bool) {
	for _, t := range Types {
		if t.Flag() == flag {
			return t, true
		}
	}
	return "", false
}
