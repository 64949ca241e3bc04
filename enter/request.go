package enter

import (
	"bytes"
	"strconv"
)

// markerEnv names the variable that tells the C constructor of a
// re-executed ctx which fd holds its request. Only enter/nsexec reads it.
const markerEnv = "_CTX_NSEXEC"

// requestMagic opens every request; the constructor refuses others, so a
// binary and a request of different versions never mix.
const requestMagic = "ctx-nsexec/1"

// request is what the constructor needs, every file already open: it runs
// after the re-exec, when paths may resolve in another mount namespace.
type request struct {
	pidFD     int          // -1: join through NSFD only
	selfPID   int          // ctx's own pid namespace (-1 for none): the way back after a failure
	nsFD      map[Type]int // the namespaces to join
	optUser   bool
	fork      bool
	keepTools bool
	rootPID   int // keep-tools: the target's PID in the fresh /proc; the constructor sets CTX_ROOT
	rootFD    int // -1 for none
	wdFD      int // -1 for none
	wdNS      string
	uid, gid  int // -1 for unchanged
	preserve  bool
	keepCaps  bool
	closeFrom int
	argv      []string
	env       []string
}

// encode writes the request as the constructor parses it: the magic, then
// NUL-terminated key=value strings; arg and env repeat in order.
func (r *request) encode() []byte {
	var b bytes.Buffer
	put := func(k, v string) {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(v)
		b.WriteByte(0)
	}
	num := func(k string, v int) { put(k, strconv.Itoa(v)) }
	flag := func(k string, v bool) {
		if v {
			num(k, 1)
		}
	}
	b.WriteString(requestMagic)
	b.WriteByte(0)
	num("pidfd", r.pidFD)
	if r.selfPID >= 0 {
		num("selfpid", r.selfPID)
	}
	for _, t := range Types {
		if fd, ok := r.nsFD[t]; ok {
			num("ns."+string(t), fd)
		}
	}
	flag("optuser", r.optUser)
	flag("fork", r.fork)
	flag("keeptools", r.keepTools)
	if r.rootPID > 0 {
		num("rootpid", r.rootPID)
	}
	if r.rootFD >= 0 {
		num("root", r.rootFD)
	}
	if r.wdFD >= 0 {
		num("wd", r.wdFD)
	}
	if r.wdNS != "" {
		put("wdns", r.wdNS)
	}
	if r.uid >= 0 {
		num("uid", r.uid)
	}
	if r.gid >= 0 {
		num("gid", r.gid)
	}
	flag("preservecred", r.preserve)
	flag("keepcaps", r.keepCaps)
	num("closefrom", r.closeFrom)
	for _, a := range r.argv {
		put("arg", a)
	}
	for _, e := range r.env {
		put("env", e)
	}
	return b.Bytes()
}
