package layers

import (
	"strings"
	"unicode/utf8"
)

// Stores a layer can come from.
const (
	StoreDocker     = "docker"
	StoreContainerd = "containerd"
	StoreCStorage   = "containers-storage"
	StoreMount      = "mount" // an overlay mount ctx knows no store for
)

// Roles of a layer in a stack.
const (
	RoleUpper = "upper" // the container's writable layer
	RoleInit  = "init"  // docker's per-container init layer
	RoleImage = "image" // a committed image layer
	RoleLower = "lower" // a lower dir of a mount ctx cannot name
	RoleData  = "data"  // a data-only lower (lowerdir "::"), never looked up by name
)

// Layer is one layer directory: one overlay branch.
type Layer struct {
	// ID names the layer in its store: the overlay2 dir (cache-id), the
	// containerd snapshot number, the containers/storage layer ID; for a
	// mount of unknown origin, the directory itself.
	ID    string `json:"id"`
	Store string `json:"store"`
	// Dir is the host path of the layer's contents (…/diff, …/fs).
	Dir    string `json:"dir"`
	DirRaw []byte `json:"dirRaw,omitempty"`
	// ChainID and DiffID name an image layer in OCI terms, when known.
	ChainID string `json:"chainId,omitempty"`
	DiffID  string `json:"diffId,omitempty"`
	// SnapshotKey is containerd's key of a snapshot without a ChainID,
	// "<namespace>/<key>": a container's snapshot is usually keyed by its
	// container ID, an unpack in progress by "extract-…".
	SnapshotKey string `json:"snapshotKey,omitempty"`
	// StoredSize is the size the runtime recorded (docker's layerdb size:
	// the tar's apparent bytes, as extracted), for comparison.
	StoredSize *int64 `json:"storedSize,omitempty"`
	// Usage is what ctx counted; nil when the layer was not walked.
	Usage *Usage `json:"usage,omitempty"`
}

// StackLayer is a layer in one stack.
type StackLayer struct {
	Layer
	Role string `json:"role"`
	// Hides is what this layer masks in the layers below it: lower files
	// it overwrites or deletes, lower trees under its opaque dirs.
	Hides Sizes `json:"hides"`
	// Hidden is what the layers above this one mask of it in this stack:
	// bytes on disk no process in the container can see.
	Hidden        Sizes `json:"hidden"`
	HiddenEntries int64 `json:"hiddenEntries"`
	// TopFiles are the largest files of the writable layer.
	TopFiles []File `json:"topFiles,omitempty"`
}

// Stack is the ordered layers of one container or image, top first.
type Stack struct {
	Layers []StackLayer `json:"layers"`
	// Source says where the stack came from: "layerdb", "mountinfo of
	// PID 4242", "layers.json".
	Source string `json:"source"`
	// XattrNamespace is the overlay xattr prefix in use, from the mount's
	// options or the store's default; "user.fuseoverlayfs." for a store
	// fuse-overlayfs mounts, read by its rules (fusewh_linux.go).
	XattrNamespace string `json:"xattrNamespace"`
	// Hidden is the stack's hidden bytes: the sum of its layers' Hidden.
	Hidden Sizes `json:"hidden"`
	// Degraded is set when overlay xattrs could not be read, so opaque
	// dirs and redirects are missing from the numbers.
	Degraded bool `json:"degraded,omitempty"`
}

// layerSpec is a layer of a stack before the walk.
type layerSpec struct {
	Layer
	Role string
}

// stackSpec is a stack to walk.
type stackSpec struct {
	layers   []layerSpec // top first
	source   string
	ns       string
	metacopy bool
	topN     int // top files of the upper
}

func setRaw(s string) []byte {
	if utf8.ValidString(s) {
		return nil
	}
	return []byte(s)
}

// key identifies a layer with everything below it: a layer's hidden bytes
// depend on its lowers.
func (st *stackSpec) key(i int) string {
	var b strings.Builder
	b.WriteString(st.ns)
	for _, l := range st.layers[i:] {
		b.WriteByte(0)
		b.WriteString(l.Dir)
	}
	return b.String()
}
