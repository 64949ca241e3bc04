package iostreams

import "golang.org/x/sys/unix"

// isTerminal reports whether fd is a terminal: like isatty(3), it asks for
// the terminal attributes with the TCGETS ioctl (see ioctl_tty(2)).
func isTerminal(fd uintptr) bool {
	_, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
	return err == nil
}
