//go:build linux

package layers

import "context"

// Stack walks a target's layers and returns its stack, top first, with
// each layer's usage, what it hides and what is hidden of it, and the
// largest files of the writable layer. Equivalent to: `docker inspect -f
// '{{.GraphDriver.Data}}'` plus `du -s` of each dir, with hidden bytes.
func (s *Storage) Stack(ctx context.Context, t *Target) (*Stack, error) {
	nodes := s.scan.add(t.spec)
	if err := s.scan.walk(ctx); err != nil {
		return nil, err
	}
	return s.scan.stack(t.spec, nodes), nil
}

// Warnings are the problems met reading the stores' state and walking
// (privilege, degraded xattr reads), each once. What could be read is
// used; numbers a problem may have changed carry incomplete or degraded.
func (s *Storage) Warnings() []string {
	var out []string
	seen := map[string]bool{}
	for _, w := range append(append([]string(nil), s.warnings...), s.scan.warnings...) {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}
