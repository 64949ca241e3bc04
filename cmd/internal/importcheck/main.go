// Command importcheck enforces the import rules of STYLE.md §3 over
// `go list`: domain packages stay free of the CLI, siblings do not import
// siblings, and netlink and tablewriter each have one home.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

const mod = "github.com/ctx-tools/ctx/"

// domains are the packages that return data and never print.
var domains = []string{"inspect", "cgroupview", "layers", "netdebug", "enter", "sandbox"}

// siblings may import only inspect; sandbox may also use cgroupview and netdebug.
var siblingAllowed = map[string][]string{
	"sandbox": {"cgroupview", "netdebug"},
}

func main() {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "./...").Output()
	if err != nil {
		fmt.Fprintln(os.Stderr, "importcheck: go list:", err)
		os.Exit(1)
	}
	var bad []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		bad = append(bad, check(f[0], f[1:])...)
	}
	for _, b := range bad {
		fmt.Println("import rule:", b)
	}
	if len(bad) > 0 {
		os.Exit(1)
	}
}

// check returns the rule violations of one package.
func check(pkg string, imports []string) []string {
	var bad []string
	top := topDomain(pkg)
	for _, imp := range imports {
		switch {
		case strings.HasPrefix(imp, "github.com/olekukonko/tablewriter") && pkg != mod+"cmd/internal/printers":
			bad = append(bad, pkg+" imports tablewriter: only cmd/internal/printers may")
		case strings.HasPrefix(imp, "github.com/vishvananda/netlink") && top != "netdebug":
			bad = append(bad, pkg+" imports netlink: only netdebug may")
		case top == "":
			continue
		case strings.HasPrefix(imp, "github.com/spf13/cobra"), strings.HasPrefix(imp, mod+"cmd/"):
			bad = append(bad, pkg+" is a domain package and imports "+imp)
		case strings.HasPrefix(imp, "github.com/vishvananda/netns") && top != "netdebug" && top != "enter" && !strings.HasSuffix(pkg, "hostfstest"):
			bad = append(bad, pkg+" imports netns: only netdebug, enter and hostfstest may")
		default:
			if it := topDomain(imp); it != "" && it != top && it != "inspect" && !allowed(top, it) {
				bad = append(bad, pkg+" imports its sibling "+imp)
			}
		}
	}
	return bad
}

func topDomain(pkg string) string {
	rest, ok := strings.CutPrefix(pkg, mod)
	if !ok {
		return ""
	}
	first, _, _ := strings.Cut(rest, "/")
	for _, d := range domains {
		if first == d {
			return d
		}
	}
	return ""
}

func allowed(from, to string) bool {
	for _, a := range siblingAllowed[from] {
		if a == to {
			return true
		}
	}
	return false
}
