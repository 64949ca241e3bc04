package hostfs

import "golang.org/x/sys/unix"

// isProcfs is a statfs magic check: a fixture tree is not procfs.
func isProcfs(dir string) bool {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return false
	}
	return st.Type == unix.PROC_SUPER_MAGIC
}
