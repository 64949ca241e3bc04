package netdebug

import (
	"bufio"
	"bytes"
	"strings"
)

// resolvConf is where the resolver configuration is read, relative to the
// process's root.
const resolvConf = "etc/resolv.conf"

// DNSConfig is the resolver configuration one process sees, read from
// /etc/resolv.conf in its own mount namespace and root.
type DNSConfig struct {
	// PID is the process whose root was read.
	PID int `json:"pid"`
	// Path is the file as the process names it.
	Path        string   `json:"path"`
	Nameservers []string `json:"nameservers"`
	Search      []string `json:"search,omitempty"`
	Options     []string `json:"options,omitempty"`
	// Error says why the file could not be read: missing, a symlink that
	// dangles inside the container's root, no permission. The other
	// fields are then empty.
	Error string `json:"error,omitempty"`
}

// parseResolvConf reads the nameserver, search, domain and options lines of
// a resolv.conf(5). Later search/domain lines replace earlier ones, as in
// glibc.
func parseResolvConf(b []byte) (nameservers, search, options []string) {
	nameservers = []string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexAny(line, "#;"); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "nameserver":
			nameservers = append(nameservers, f[1])
		case "search", "domain":
			search = append([]string(nil), f[1:]...)
		case "options":
			options = append(options, f[1:]...)
		}
	}
	return nameservers, search, options
}
