package layers

import (
	"runtime"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/ctx-tools/ctx/inspect"
)

// ContainerUsage is one container's disk usage, attributed.
type ContainerUsage struct {
	// Label names the container (runtime:name) or the process ("pid N")
	// whose root mount gave the stack; Container is nil for the latter.
	Label     string             `json:"label"`
	Container *inspect.Container `json:"container,omitempty"`
	// ImageID is the container's image, when the store records it.
	ImageID string `json:"imageId,omitempty"`
	PIDs    []int  `json:"pids,omitempty"`
	Stack   *Stack `json:"stack"`
	// Writable is the writable layer; Init docker's init layer.
	Writable Sizes `json:"writable"`
	Init     Sizes `json:"init"`
	// ImageUnique are the image layers no other image or container uses;
	// ImageShared the ones others use too.
	ImageUnique Sizes `json:"imageUnique"`
	ImageShared Sizes `json:"imageShared"`
	// Hidden is the stack's hidden bytes: lower files its upper layers
	// overwrite or delete, still on disk.
	Hidden Sizes `json:"hidden"`
	// Whiteouts and OpaqueDirs are counted in the writable layer.
	Whiteouts  int64 `json:"whiteouts"`
	OpaqueDirs int64 `json:"opaqueDirs"`
	// TopFiles are the largest files of the writable layer.
	TopFiles []File `json:"topFiles"`
	// Logs are the json-file or local driver's log files.
	Logs     []File `json:"logs"`
	LogBytes Sizes  `json:"logBytes"`
	// Volumes are the container's named and anonymous volumes.
	Volumes     []Volume `json:"volumes"`
	VolumeBytes Sizes    `json:"volumeBytes"`
	// DeletedOpen are files its processes hold open after they were
	// deleted: on disk, in no directory.
	DeletedOpen      []OpenFile `json:"deletedOpen"`
	DeletedOpenBytes Sizes      `json:"deletedOpenBytes"`
	// Total is everything above; FreedIfRemoved what removing the
	// container (and its anonymous volumes) would free: writable, init,
	// logs, anonymous volumes, deleted-but-open files.
	Total          Sizes `json:"total"`
	FreedIfRemoved Sizes `json:"freedIfRemoved"`
	Incomplete     bool  `json:"incomplete,omitempty"`
}

// Volume is a volume a container mounts.
type Volume struct {
	Name        string `json:"name,omitempty"`
	Source      string `json:"source"`
	Destination string `json:"destination"`
	Anonymous   bool   `json:"anonymous,omitempty"`
	// Usage is nil for bind mounts, which are not walked.
	Usage *Usage `json:"usage,omitempty"`
}

// ImageUsage is one image's disk usage.
type ImageUsage struct {
	Image *Image `json:"image"`
	Stack *Stack `json:"stack"`
	Size  Sizes  `json:"size"`
	// Unique are layers no other image uses (containers don't count, as
	// in docker's SHARED SIZE); Shared the rest.
	Unique     Sizes `json:"unique"`
	Shared     Sizes `json:"shared"`
	Hidden     Sizes `json:"hidden"`
	Containers int   `json:"containers"`
}

// LayerUsage is one layer dir with who uses it.
type LayerUsage struct {
	Layer
	// Kind is image, container (an upper or init layer), buildcache or
	// orphan.
	Kind string `json:"kind"`
	// Hides is what the layer masks in the layers below it.
	Hides Sizes `json:"hides"`
	// Images and Containers name the users of the layer.
	Images     []string `json:"images"`
	Containers []string `json:"containers"`
}

// Report is ctx layers du's result.
type Report struct {
	Containers []*ContainerUsage `json:"containers"`
	Images     []*ImageUsage     `json:"images"`
	Layers     []*LayerUsage     `json:"layers"`
	// Areas break a storage dir down (--all); they add up to its Total.
	Areas []*Area `json:"areas,omitempty"`
	// Total counts every inode of the report once.
	Total    Sizes    `json:"total"`
	Warnings []string `json:"-"`
}

// Target is what a TARGET of ctx layers named: a container (running or
// not), an image, or a process.
type Target struct {
	// Kind is container, image or pid.
	Kind      string             `json:"kind"`
	Container *inspect.Container `json:"container,omitempty"`
	Image     *Image             `json:"image,omitempty"`
	// PID is the process whose root mount gave the stack, if any; PIDs are
	// all of the container's processes.
	PID  int   `json:"pid,omitempty"`
	PIDs []int `json:"pids,omitempty"`

	spec    *stackSpec
	dockerC *dockerContainer
	// imageID is the container's image as its store records it
	// (docker's config.v2.json, containers.json), if it does.
	imageID string
	// rootMount is the overlay mount at the PID's / (for deleted-open
	// files, matched by mount ID).
	rootMount *inspect.Mount
}

// key identifies a target among containers: its ID, or pid:N.
func (t *Target) key() string {
	if t.Container != nil {
		return t.Container.ID
	}
	return "pid:" + strconv.Itoa(t.PID)
}

// Image names an image.
type Image struct {
	ID    string   `json:"id"`
	Names []string `json:"names,omitempty"`
	// Namespace is a containerd image's namespace (k8s.io, moby, ...).
	Namespace string `json:"namespace,omitempty"`
	Store     string `json:"store"`
	// User is the user whose rootless store holds the image.
	User string `json:"user,omitempty"`
}

// Label is how tables name the target: runtime:name, an image name, or
// "pid N".
func (t *Target) Label() string {
	switch {
	case t.Container != nil:
		return t.Container.Label()
	case t.Image != nil:
		name := shortDigest(t.Image.ID)
		if len(t.Image.Names) > 0 {
			name = t.Image.Names[0]
		}
		if t.Image.User != "" {
			name += " (" + t.Image.User + ")"
		}
		return name
	}
	return "pid " + strconv.Itoa(t.PID)
}

// Area is one part of a storage dir in ctx layers du --all. The areas of
// one Root add up to what `du -sx --block-size=1 ROOT` reports.
type Area struct {
	Root string `json:"root"`
	// Name is the category: image layers, container layers, build cache,
	// orphan layers, overlay internal, container logs, containers,
	// volumes, image metadata, buildkit, snapshots, content store, other;
	// and "deleted, still open" (Root "-"), which no directory shows.
	Name   string `json:"name"`
	Sizes  Sizes  `json:"sizes"`
	Inodes int64  `json:"inodes"`
	// Dirs is how many layer dirs (or volumes) the area holds.
	Dirs       int  `json:"dirs,omitempty"`
	Incomplete bool `json:"incomplete,omitempty"`
}

// StorageRoot is a storage dir with its total: what du -sx says of it,
// storage dirs nested in it included.
type StorageRoot struct {
	Dir   string `json:"dir"`
	Store string `json:"store"`
	Total Sizes  `json:"total"`
	// User owns a rootless store (in the user's home).
	User string `json:"user,omitempty"`
}

// Orphan is a layer dir no image, container, build cache record or mount
// references.
type Orphan struct {
	Store string `json:"store"`
	ID    string `json:"id"`
	// Dir is the whole layer dir (docker's overlay2/<id>): removing it
	// frees Usage.
	Dir      string    `json:"dir"`
	Modified time.Time `json:"modified"`
	// Recent marks a dir younger than an hour: maybe a pull or build in
	// progress, not an orphan yet.
	Recent bool   `json:"recent,omitempty"`
	Usage  *Usage `json:"usage"`
}

// OrphanReport is ctx layers orphans's result.
type OrphanReport struct {
	Orphans []*Orphan `json:"orphans"`
	// BuildCache are dirs only BuildKit's snapshots.db names: build
	// cache, which docker builder prune frees, not orphans.
	BuildCache []*Orphan `json:"buildCache"`
	// DanglingLinks are overlay2 l/ short links whose target is gone.
	DanglingLinks []string `json:"danglingLinks"`
	// Total is the orphans' size, recent ones included.
	Total Sizes `json:"total"`
	// Checked lists the driver dirs searched.
	Checked  []string `json:"checked"`
	Warnings []string `json:"-"`
}

// DiffReport is ctx layers diff's result: docker diff with sizes.
type DiffReport struct {
	// Upper is the writable layer dir that was read.
	Upper   string    `json:"upper"`
	Changes []*Change `json:"changes"`
	// Added and Changed sum the entries' own bytes; Deleted and Replaced
	// the lower bytes that deletions and changes hide.
	Added      Sizes    `json:"added"`
	Changed    Sizes    `json:"changed"`
	Replaced   Sizes    `json:"replaced"`
	Deleted    Sizes    `json:"deleted"`
	Incomplete bool     `json:"incomplete,omitempty"`
	Errors     []string `json:"errors,omitempty"`
}

// Copy states in ctx layers which.
const (
	CopyVisible  = "visible"  // what the container sees at the path
	CopyMerged   = "merged"   // a directory merged into the visible one
	CopyHidden   = "hidden"   // shadowed by a layer above
	CopyWhiteout = "whiteout" // a whiteout deleting the path
	// CopyData is the data of a visible metacopy file (metacopy=on:
	// a copy-up of the metadata only), in use through it.
	CopyData = "data"
)

// Copy is one layer's entry at a path.
type Copy struct {
	// Layer is the layer's index in the stack (0 is the top) and its
	// identity.
	Layer int    `json:"layer"`
	ID    string `json:"id"`
	Role  string `json:"role"`
	Dir   string `json:"dir"`
	// Path is where in the layer the copy is, when a redirected directory
	// above (redirect_dir mounts) moved the lookup; empty otherwise.
	Path string `json:"path,omitempty"`
	Type string `json:"type"`
	Sizes
	Links uint64 `json:"links,omitempty"`
	// Tree is the usage of a directory copy's whole subtree.
	Tree  *Usage `json:"tree,omitempty"`
	State string `json:"state"`
	// HiddenBy is the index of the layer that hides this copy (or whose
	// whiteout or opaque directory hides an ancestor of it); -1 if none.
	HiddenBy int `json:"hiddenBy"`
	// Target is a symlink's target, shown, never followed.
	Target string `json:"target,omitempty"`
	// Metacopy marks a file copied up for its metadata only: its data is
	// the copy whose state is "data".
	Metacopy bool `json:"metacopy,omitempty"`
}

// WhichReport is ctx layers which's result.
type WhichReport struct {
	Path    string `json:"path"`
	PathRaw []byte `json:"pathRaw,omitempty"`
	// Provider is the index of the layer whose entry the container sees;
	// -1 when the path does not exist in the merged view.
	Provider int `json:"provider"`
	// Reason says why there is no provider: deleted by a whiteout, not a
	// directory, a symlink ctx does not follow.
	Reason string `json:"reason,omitempty"`
	Copies []Copy `json:"copies"`
	// Hidden sums the copies hidden by layers above them.
	Hidden Sizes `json:"hidden"`
}

// Options tune a scan.
type Options struct {
	// Workers is the number of directories read in parallel; 0 picks
	// 4 per CPU, at least 8 (cold caches want I/O in flight).
	Workers int
	// Progress, when set, is updated while the walk runs.
	Progress *Progress
	// TopN is how many of the largest files of each writable layer to
	// keep; 0 keeps none.
	TopN int
	// CacheDir, when set, is where the walks of committed image layers
	// are kept between runs (see cache_linux.go); empty walks everything
	// and writes nothing.
	CacheDir string
}

func (o Options) workers() int {
	if o.Workers > 0 {
		return o.Workers
	}
	return max(8, 4*runtime.GOMAXPROCS(0))
}

// Progress counts what a scan has done so far; a caller may read it from
// another goroutine while the scan runs.
type Progress struct {
	Entries atomic.Int64
	Dirs    atomic.Int64
	Bytes   atomic.Int64
}
