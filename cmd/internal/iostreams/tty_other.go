//go:build !linux

package iostreams

// isTerminal reports false: ctx runs only on Linux, and other systems are
// built only to vet the code.
func isTerminal(fd uintptr) bool { return false }
