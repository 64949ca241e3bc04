//go:build linux

package layers

import (
	"context"

	"github.com/ctx-tools/ctx/inspect/hostfs"
)

// WalkDirs walks the layer dirs of one overlay stack, given top first as
// host paths, and returns the stack with each layer's usage and hidden
// bytes. ns is the overlay xattr prefix ("" means trusted.overlay.). It is
// what ctx layers does for an overlay whose store it cannot name.
func WalkDirs(ctx context.Context, root hostfs.Root, dirs []string, ns string, opts Options) (*Stack, []string, error) {
	if ns == "" {
		ns = trustedNS
	}
	spec := &stackSpec{source: "dirs", ns: ns, topN: opts.TopN}
	for i, d := range dirs {
		role := RoleLower
		if i == 0 {
			role = RoleUpper // the top gets top files
		}
		spec.layers = append(spec.layers, layerSpec{Layer: Layer{ID: d, Store: StoreMount, Dir: d}, Role: role})
	}
	s := newScanner(root, opts)
	nodes := s.add(spec)
	if err := s.walk(ctx); err != nil {
		return nil, s.warnings, err
	}
	return s.stack(spec, nodes), s.warnings, nil
}
