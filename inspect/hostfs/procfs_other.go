//go:build !linux

package hostfs

// isProcfs is false off Linux: there is no procfs to read live.
func isProcfs(dir string) bool { return false }
