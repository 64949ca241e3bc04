//go:build !linux

package cgroupview

import "errors"

// errNotLinux is what walks return off Linux: cgroups are a Linux thing,
// and other systems only build the code to vet it.
var errNotLinux = errors.New("cgroupview: cgroups need Linux")

type dirent struct {
	name string
	ino  uint64
}

func (d *dir) list(func(name []byte)) ([]dirent, error) { return nil, errNotLinux }

func (d *dir) openChild(string) (*dir, error) { return nil, errNotLinux }

func (d *dir) inode() uint64 { return 0 }

func deviceProgram(int) (bool, error) { return false, errNotLinux }
