package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/ctx-tools/ctx/cmd/internal/printers"
	"github.com/ctx-tools/ctx/inspect/hostfs"
	"github.com/ctx-tools/ctx/layers"
	"github.com/ctx-tools/ctx/sandbox"
)

// layersSource is what the layers commands need of package layers; tests
// give them a fake with fixed numbers.
type layersSource interface {
	Resolve(target string) (*layers.Target, error)
	Du(ctx context.Context, targets []*layers.Target) (*layers.Report, error)
	DuAll(ctx context.Context) (*layers.Report, []layers.StorageRoot, error)
	Stack(ctx context.Context, t *layers.Target) (*layers.Stack, error)
	Diff(ctx context.Context, t *layers.Target) (*layers.DiffReport, error)
	Which(ctx context.Context, t *layers.Target, path string) (*layers.WhichReport, error)
	Orphans(ctx context.Context, now time.Time) (*layers.OrphanReport, error)
	Warnings() []string
}

type layersOptions struct {
	f       *Factory
	Targets []string
	All     bool
	By      string
	Top     int
	Path    string
	Timeout time.Duration
	Workers int
	Cache   bool
	// MaxHidden and MaxWritable are du's CI gates as the flags give them
	// ("" is no gate); validateDu parses them into maxHidden, maxWritable.
	MaxHidden, MaxWritable string
	maxHidden, maxWritable *int64
	// open reads the host's storage; tests replace it.
	open func(root hostfs.Root, o layers.Options) (layersSource, error)
	now  func() time.Time
}

const layersPrivileges = `Needs root: the storage dirs (/var/lib/docker, /var/lib/containerd,
/var/lib/containers/storage) are root's (CAP_DAC_READ_SEARCH), trusted.overlay.*
xattrs need CAP_SYS_ADMIN (without it opaque dirs are invisible and ctx warns
that numbers are degraded), and other users' /proc/PID/fd and mountinfo need
CAP_SYS_PTRACE.`

func newCmdLayers(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "layers",
		Short: "Overlay layers: du, ls, diff, which, orphans",
		Long: `Attribute container and image disk usage to overlay layers and files, from the
storage dirs themselves: Docker overlay2 (with layerdb; data-root from
/etc/docker/daemon.json), containerd's overlayfs snapshotter (root from
/etc/containerd/config.toml; k3s's and RKE2's too), containers/storage (Podman, CRI-O; graphroot and
mount options from /etc/containers/storage.conf, and CRI-O's own store where
/etc/crio/crio.conf or crio.conf.d moves it; with --all also each user's
rootless store, ~/.local/share/containers/storage of /etc/passwd's users
or where storage.conf's rootless_storage_path puts it, read without
following any symlink below the home or that path's fixed part, and not
read at all on an automount point not mounted now or on a network or FUSE
filesystem, where a lookup could mount a home or hang; a store
fuse-overlayfs mounts, named by storage.conf's mount_program or by the flag
Podman leaves in it, is read by fuse-overlayfs's rules: ".wh." whiteout files
and ".wh..wh..opq" opaque markers), or any overlay mounted at a process's
root. No engine API is needed and nothing is mounted. With Docker's
containerd image store (no overlay2 dir) a container's layers are the system
containerd's snapshots: the one keyed by its ID and its parents, found in a
copy of containerd's metadata.db (or from its root mount while it runs).

Sizes are disk bytes (st_blocks×512, each inode once) beside apparent bytes
(st_size, what docker counts). Walks never follow a symlink, never cross a
mount, never open anything but directories, and handle paths beyond PATH_MAX.

` + layersPrivileges,
		Example: `  # what fills /var/lib/docker? every container, image and area
  ctx layers du --all

  # one container: writable layer, image layers, hidden bytes, logs, top files
  ctx layers du web-1

  # its stack, top first
  ctx layers ls web-1

  # docker diff with sizes
  ctx layers diff web-1`,
		Args: noArgs,
	}
	cmd.AddCommand(
		newCmdLayersDu(f, nil),
		newCmdLayersLs(f, nil),
		newCmdLayersDiff(f, nil),
		newCmdLayersWhich(f, nil),
		newCmdLayersOrphans(f, nil),
	)
	return cmd
}

func newLayersOptions(f *Factory) *layersOptions {
	return &layersOptions{f: f, now: time.Now, open: func(root hostfs.Root, o layers.Options) (layersSource, error) {
		return layers.Open(root, o)
	}}
}

func addWalkFlags(cmd *cobra.Command, o *layersOptions) {
	fl := cmd.Flags()
	fl.DurationVar(&o.Timeout, "timeout", 0, "stop walking after this long and report what was counted, marked incomplete (0: no limit)")
	fl.IntVar(&o.Workers, "workers", 0, "directories read in parallel (0: 4 per CPU, at least 8)")
}

// addCacheFlag adds --cache to the commands that walk image layers whole.
func addCacheFlag(cmd *cobra.Command, o *layersOptions) {
	cmd.Flags().BoolVar(&o.Cache, "cache", false, "reuse the sizes of unchanged committed image layers from earlier runs, and keep new ones (writes $CTX_CACHE_DIR, default ~/.cache/ctx)")
}

// cacheDir is where --cache keeps the layer cache: $CTX_CACHE_DIR, or ctx
// under the user's cache dir ($XDG_CACHE_HOME, else ~/.cache).
func (o *layersOptions) cacheDir() (string, error) {
	getenv := o.f.getenv
	switch {
	case getenv("CTX_CACHE_DIR") != "":
		return getenv("CTX_CACHE_DIR"), nil
	case getenv("XDG_CACHE_HOME") != "":
		return filepath.Join(getenv("XDG_CACHE_HOME"), "ctx"), nil
	case getenv("HOME") != "":
		return filepath.Join(getenv("HOME"), ".cache", "ctx"), nil
	}
	return "", &usageError{errors.New("--cache: no cache dir: set CTX_CACHE_DIR")}
}

func newCmdLayersDu(f *Factory, runF func(context.Context, *layersOptions) error) *cobra.Command {
	o := newLayersOptions(f)
	cmd := &cobra.Command{
		Use:   "du [<target>...] [--all] [--by container|image|layer] [--top N]",
		Short: "Disk usage of containers, images and layers, in disk and apparent bytes",
		Long: `Show the disk usage of containers and images, attributed to layers.

For each container: its writable layer (and docker's init layer), its image's
layers split into unique (used by no other image or container) and shared,
hidden bytes (lower files its layers overwrite or delete, still on disk),
whiteouts and opaque dirs, the largest files of the writable layer, its log
files, volumes, and deleted files its processes still hold open. TOTAL is all
of it; FREED is what removing the container would free.

With --all, every container and image of every store, and each storage dir
broken into areas (image layers, container layers, build cache, orphan
layers, overlay internal, logs, volumes, metadata, ...) that add up to what
du -sx reports for that dir.

With --cache, the sizes of committed image layers are kept between runs and
reused while the layer dir and its lowers keep their inode, ctime and mtime:
a run then walks only what changes (writable and init layers, logs, volumes,
the rest of the storage dirs). Engines never write a committed layer, so a
file edited in place deep inside one by hand is the one change not noticed.
Layers from the cache are marked "cached" in JSON. Without --cache ctx
writes nothing and walks everything.

--max-hidden and --max-writable make du a gate for CI or alerting: after
the report, each container or image over a limit is named on stderr and
ctx exits 3 (0 when all are within; 1 on error).

TARGET is a container name, ID or ID prefix of any runtime (stopped Docker
and Podman containers too; a user's rootless Podman container as NAME or
USER/NAME), a PID, or an image name or ID (Docker's, or containerd's: a ref
such as registry.k8s.io/pause:3.9, in any namespace).

` + layersPrivileges,
		Example: `  # the whole host: containers, then the areas of each storage dir
  ctx layers du --all

  # two containers, with their 10 largest files
  ctx layers du web-1 db --top 10

  # images by unique size
  ctx layers du --all --by image

  # every layer dir with who uses it, as JSON
  ctx layers du --all --by layer -o json

  # a host checked every few minutes: walk image layers once, then reuse
  ctx layers du --all --cache

  # a CI gate: fail when the image hides more than 50 MB of overwritten files
  ctx layers du app:ci --max-hidden 50m`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Targets = args
			if err := o.validateDu(); err != nil {
				return err
			}
			if runF == nil {
				runF = runLayersDu
			}
			return runF(cmd.Context(), o)
		},
	}
	cmd.Flags().BoolVar(&o.All, "all", false, "every container and image, and the storage dirs' areas")
	cmd.Flags().StringVar(&o.By, "by", "", "rows per container, image or layer (default: container, or image for image targets)")
	cmd.Flags().IntVar(&o.Top, "top", 5, "largest files of each writable layer to show")
	cmd.Flags().StringVar(&o.MaxHidden, "max-hidden", "", "exit 3 when a container or image hides more than SIZE on disk (e.g. 50m): files overwritten or deleted in a later layer")
	cmd.Flags().StringVar(&o.MaxWritable, "max-writable", "", "exit 3 when a container's writable layer holds more than SIZE on disk (e.g. 1g)")
	addWalkFlags(cmd, o)
	addCacheFlag(cmd, o)
	return cmd
}

func (o *layersOptions) validateDu() error {
	if err := o.f.Printer.Validate(); err != nil {
		return err
	}
	if (len(o.Targets) > 0) == o.All {
		return &usageError{errors.New("give one or more TARGETs, or --all")}
	}
	switch o.By {
	case "", "container", "image", "layer":
	default:
		return &usageError{fmt.Errorf("invalid --by %q: use container, image or layer", o.By)}
	}
	if o.Top < 0 || o.Workers < 0 || o.Timeout < 0 {
		return &usageError{errors.New("--top, --workers and --timeout must not be negative")}
	}
	for _, v := range []struct {
		flag, val string
		dst       **int64
	}{{"--max-hidden", o.MaxHidden, &o.maxHidden}, {"--max-writable", o.MaxWritable, &o.maxWritable}} {
		if v.val == "" {
			continue
		}
		n, err := sandbox.ParseSize(v.val)
		if err != nil {
			return &usageError{fmt.Errorf("invalid %s %q: use bytes or a number with a unit k, m, g or t (e.g. 50m)", v.flag, v.val)}
		}
		*v.dst = &n
	}
	return nil
}

// overLimits lists the containers and images over du's --max-hidden and
// --max-writable limits, one line each with the bytes and the limit.
func (o *layersOptions) overLimits(rep *layers.Report) []string {
	var out []string
	gate := func(flag string, limit *int64, what, label string, disk int64) {
		if limit != nil && disk > *limit {
			out = append(out, fmt.Sprintf("%s: %s %s on disk, over %s %s", label, what, sizeCell(disk, true), flag, sizeCell(*limit, true)))
		}
	}
	for _, c := range rep.Containers {
		gate("--max-hidden", o.maxHidden, "hides", c.Label, c.Hidden.Disk)
		gate("--max-writable", o.maxWritable, "writable layer", c.Label, c.Writable.Disk)
	}
	for _, im := range rep.Images {
		label := short(im.Image.ID)
		if len(im.Image.Names) > 0 {
			label = im.Image.Names[0]
		}
		gate("--max-hidden", o.maxHidden, "hides", label, im.Hidden.Disk)
	}
	return out
}

// source opens the host's storage, with progress on a terminal's stderr,
// and resolves o.Targets in it.
func (o *layersOptions) source(ctx context.Context) (layersSource, []*layers.Target, context.Context, func(), error) {
	root, err := o.f.Host()
	if err != nil {
		return nil, nil, nil, nil, err
	}
	lo := layers.Options{Workers: o.Workers, Progress: &layers.Progress{}, TopN: o.Top}
	if o.Cache {
		if lo.CacheDir, err = o.cacheDir(); err != nil {
			return nil, nil, nil, nil, err
		}
	}
	cancel := func() {}
	if o.Timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
	}
	// A walk is a stat per entry: its threads spend their time entering
	// and leaving the kernel, and twice as many Ps as CPUs keeps the CPUs
	// busy meanwhile (measured: 0.15 s instead of 0.17 s for 200k entries
	// on 2 CPUs). GOMAXPROCS already honours a cgroup CPU limit.
	procs := runtime.GOMAXPROCS(2 * runtime.GOMAXPROCS(0))
	// A walk allocates little (a getdents buffer per worker, the stores'
	// metadata, the report), but enough to pass Go's first heap goal of
	// 4 MB: that GC cycle stops each worker, mid-walk, for its stack scan
	// (about 2% of du --all on 200k files). GOGC 400 makes the first goal
	// 16 MB, which a walk's heap stays under.
	gc := debug.SetGCPercent(400)
	stop := startProgress(o.f.IO.ErrOut, lo.Progress)
	src, err := o.open(root, lo)
	done := func() { stop(); cancel(); runtime.GOMAXPROCS(procs); debug.SetGCPercent(gc) }
	if err != nil {
		done()
		return nil, nil, nil, nil, err
	}
	var targets []*layers.Target
	for _, spec := range o.Targets {
		t, err := src.Resolve(spec)
		if err != nil {
			done()
			return nil, nil, nil, nil, err
		}
		targets = append(targets, t)
	}
	return src, targets, ctx, done, nil
}

// startProgress prints a running count to w while a walk runs, when w is a
// terminal; the returned func stops it and clears the line.
func startProgress(w io.Writer, p *layers.Progress) func() {
	f, ok := w.(*os.File)
	if !ok {
		return func() {}
	}
	if st, err := f.Stat(); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return func() {}
	}
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		shown := false
		for {
			select {
			case <-quit:
				if shown {
					fmt.Fprint(f, "\r\x1b[K")
				}
				return
			case <-t.C:
				if p.Entries.Load() == 0 {
					continue
				}
				shown = true
				fmt.Fprintf(f, "\r\x1b[Kwalking layers: %d entries, %d dirs, %s on disk…",
					p.Entries.Load(), p.Dirs.Load(), humanBytes(uint64(p.Bytes.Load())))
			}
		}
	}()
	return func() { close(quit); wg.Wait() }
}

func runLayersDu(ctx context.Context, o *layersOptions) error {
	src, targets, ctx, done, err := o.source(ctx)
	if err != nil {
		return err
	}
	var rep *layers.Report
	var roots []layers.StorageRoot
	if o.All {
		rep, roots, err = src.DuAll(ctx)
	} else {
		rep, err = src.Du(ctx, targets)
	}
	done()
	if err != nil && rep == nil {
		return err
	}
	by := o.By
	if by == "" {
		by = "container"
		if len(rep.Containers) == 0 && len(rep.Images) > 0 {
			by = "image"
		}
	}
	warnings := mergeWarnings(rep.Warnings, src.Warnings(), incompleteWarnings(rep))
	item := duItem{Report: rep, Roots: roots}
	if item.Roots == nil {
		item.Roots = []layers.StorageRoot{}
	}
	human := o.f.IO.IsStdoutTTY()
	if err := o.f.Emit(printers.Doc{Kind: "LayerUsage", Item: item, Warnings: warnings,
		Text: func(w io.Writer) error { return writeDu(w, *o.f.Printer, rep, roots, by, o.Top, human) }}); err != nil {
		return err
	}
	over := o.overLimits(rep)
	for _, line := range over {
		fmt.Fprintln(o.f.IO.ErrOut, printers.Escape(line))
	}
	if len(over) > 0 {
		return &FindingsError{N: len(over)}
	}
	return nil
}

// duItem is the JSON item of ctx layers du.
type duItem struct {
	*layers.Report
	// Roots are the storage dirs with their totals (--all).
	Roots []layers.StorageRoot `json:"roots"`
}

func mergeWarnings(lists ...[]string) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, l := range lists {
		for _, w := range l {
			if !seen[w] {
				seen[w] = true
				out = append(out, w)
			}
		}
	}
	return out
}

// incompleteWarnings names each walk that could not count everything.
func incompleteWarnings(rep *layers.Report) []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range rep.Containers {
		for _, l := range c.Stack.Layers {
			if l.Usage != nil && l.Usage.Incomplete && !seen[l.Dir] {
				seen[l.Dir] = true
				out = append(out, fmt.Sprintf("incomplete: %s: %s", l.Dir, strings.Join(l.Usage.Errors, "; ")))
			}
		}
	}
	for _, a := range rep.Areas {
		if a.Incomplete {
			out = append(out, fmt.Sprintf("incomplete: %s %s", a.Root, a.Name))
		}
	}
	return out
}

// sizeCell renders a byte count: humanized on a terminal, exact otherwise.
func sizeCell(n int64, human bool) string {
	if human {
		return humanBytes(uint64(max(n, 0)))
	}
	return strconv.FormatInt(n, 10)
}

// layerName names a layer the way its image or runtime does: its DiffID,
// with the ChainID when that differs; else its ChainID; else containerd's
// snapshot key.
func layerName(l layers.Layer) string {
	switch {
	case l.DiffID != "" && l.ChainID != "" && l.ChainID != l.DiffID:
		return short(l.DiffID) + " (chain " + short(l.ChainID) + ")"
	case l.DiffID != "":
		return short(l.DiffID)
	case l.ChainID != "":
		return "chain " + short(l.ChainID)
	case l.SnapshotKey != "":
		return "key " + l.SnapshotKey
	}
	return ""
}

func short(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// section prints one table of a multi-table text output, with a blank line
// between tables.
type sectionPrinter struct {
	w     io.Writer
	flags printers.Flags
	n     int
}

func (s *sectionPrinter) table(t *printers.Table) error {
	if len(t.Rows) == 0 {
		return nil
	}
	if s.n > 0 {
		fmt.Fprintln(s.w)
	}
	s.n++
	return printers.Print(s.w, s.flags, printers.Doc{Table: t})
}

func writeDu(w io.Writer, flags printers.Flags, rep *layers.Report, roots []layers.StorageRoot, by string, top int, human bool) error {
	sp := &sectionPrinter{w: w, flags: flags}
	sz := func(n int64) string { return sizeCell(n, human) }
	switch by {
	case "container":
		t := &printers.Table{Columns: []printers.Column{{Header: "CONTAINER"}, {Header: "WRITABLE"}, {Header: "APPARENT"},
			{Header: "IMAGE-UNIQUE"}, {Header: "IMAGE-SHARED"}, {Header: "HIDDEN"}, {Header: "LOGS"}, {Header: "VOLUMES"},
			{Header: "DELETED-OPEN"}, {Header: "TOTAL"}, {Header: "FREED"},
			{Header: "ID", Wide: true}, {Header: "IMAGE", Wide: true}, {Header: "INIT", Wide: true},
			{Header: "WHITEOUTS", Wide: true}, {Header: "OPAQUE", Wide: true}, {Header: "SOURCE", Wide: true}}}
		for _, c := range rep.Containers {
			t.Rows = append(t.Rows, []string{c.Label, sz(c.Writable.Disk), sz(c.Writable.Apparent),
				sz(c.ImageUnique.Disk), sz(c.ImageShared.Disk), sz(c.Hidden.Disk), sz(c.LogBytes.Disk), sz(c.VolumeBytes.Disk),
				sz(c.DeletedOpenBytes.Disk), sz(c.Total.Disk), sz(c.FreedIfRemoved.Disk),
				containerID(c), containerImage(c), sz(c.Init.Disk),
				strconv.FormatInt(c.Whiteouts, 10), strconv.FormatInt(c.OpaqueDirs, 10), c.Stack.Source})
		}
		if err := sp.table(t); err != nil {
			return err
		}
		if top > 0 {
			ft := &printers.Table{Columns: []printers.Column{{Header: "CONTAINER"}, {Header: "TOP FILE"}, {Header: "DISK"},
				{Header: "APPARENT"}, {Header: "NOTE"}}}
			for _, c := range rep.Containers {
				for i, f := range c.TopFiles {
					if i >= top {
						break
					}
					ft.Rows = append(ft.Rows, []string{c.Label, f.Path, sz(f.Disk), sz(f.Apparent), fileNote(f)})
				}
			}
			if err := sp.table(ft); err != nil {
				return err
			}
		}
		ot := &printers.Table{Columns: []printers.Column{{Header: "CONTAINER"}, {Header: "DELETED, STILL OPEN"}, {Header: "PID"},
			{Header: "FD"}, {Header: "DISK"}, {Header: "APPARENT"}, {Header: "MOUNT"}}}
		for _, c := range rep.Containers {
			for _, f := range c.DeletedOpen {
				ot.Rows = append(ot.Rows, []string{c.Label, f.Path, strconv.Itoa(f.PID), strconv.Itoa(f.FD),
					sz(f.Disk), sz(f.Apparent), f.MountPoint})
			}
		}
		if err := sp.table(ot); err != nil {
			return err
		}
	case "image":
		t := &printers.Table{Columns: []printers.Column{{Header: "IMAGE"}, {Header: "SIZE"}, {Header: "APPARENT"},
			{Header: "UNIQUE"}, {Header: "SHARED"}, {Header: "HIDDEN"}, {Header: "LAYERS"}, {Header: "CONTAINERS"},
			{Header: "ID", Wide: true}, {Header: "STORE", Wide: true}}}
		for _, im := range rep.Images {
			name := short(im.Image.ID)
			if len(im.Image.Names) > 0 {
				name = strings.Join(im.Image.Names, ",")
			}
			t.Rows = append(t.Rows, []string{name, sz(im.Size.Disk), sz(im.Size.Apparent), sz(im.Unique.Disk),
				sz(im.Shared.Disk), sz(im.Hidden.Disk), strconv.Itoa(len(im.Stack.Layers)), strconv.Itoa(im.Containers),
				short(im.Image.ID), im.Image.Store})
		}
		if err := sp.table(t); err != nil {
			return err
		}
	case "layer":
		t := &printers.Table{Columns: []printers.Column{{Header: "LAYER"}, {Header: "KIND"}, {Header: "DISK"}, {Header: "APPARENT"},
			{Header: "INODES"}, {Header: "WHITEOUTS"}, {Header: "OPAQUE"}, {Header: "HIDES"}, {Header: "USED BY"},
			{Header: "STORE", Wide: true}, {Header: "DIGEST", Wide: true}, {Header: "DIR", Wide: true}}}
		for _, l := range rep.Layers {
			u := usage(l.Usage)
			users := append(append([]string{}, l.Containers...), l.Images...)
			t.Rows = append(t.Rows, []string{short(l.ID), l.Kind, sz(u.Disk), sz(u.Apparent), strconv.FormatInt(u.Inodes, 10),
				strconv.FormatInt(u.Whiteouts, 10), strconv.FormatInt(u.OpaqueDirs, 10), sz(l.Hides.Disk),
				orDash(strings.Join(users, ",")), l.Store, orDash(layerName(l.Layer)), l.Dir})
		}
		if err := sp.table(t); err != nil {
			return err
		}
	}
	if len(rep.Areas) > 0 {
		t := &printers.Table{Columns: []printers.Column{{Header: "STORAGE"}, {Header: "AREA"}, {Header: "DISK"}, {Header: "APPARENT"},
			{Header: "INODES"}, {Header: "DIRS", Wide: true}}}
		byRoot := map[string][]*layers.Area{}
		var order []string
		for _, a := range rep.Areas {
			if byRoot[a.Root] == nil {
				order = append(order, a.Root)
			}
			byRoot[a.Root] = append(byRoot[a.Root], a)
		}
		for _, root := range order {
			if root == "-" {
				// Deleted-but-open files are in no storage dir: no total.
				a := byRoot[root][0]
				t.Rows = append(t.Rows, []string{"-", a.Name, sz(a.Sizes.Disk), sz(a.Sizes.Apparent), strconv.FormatInt(a.Inodes, 10), ""})
				continue
			}
			var tot layers.Sizes
			var inodes int64
			for _, a := range byRoot[root] {
				t.Rows = append(t.Rows, []string{a.Root, a.Name, sz(a.Sizes.Disk), sz(a.Sizes.Apparent),
					strconv.FormatInt(a.Inodes, 10), strconv.Itoa(a.Dirs)})
				tot.Add(a.Sizes)
				inodes += a.Inodes
			}
			for _, r := range roots {
				if r.Dir == root {
					tot = r.Total
				}
			}
			t.Rows = append(t.Rows, []string{root, "TOTAL", sz(tot.Disk), sz(tot.Apparent), strconv.FormatInt(inodes, 10), ""})
		}
		if err := sp.table(t); err != nil {
			return err
		}
	}
	if len(rep.Containers)+len(rep.Images) > 1 || len(rep.Areas) > 0 {
		fmt.Fprintf(w, "\ntotal: %s on disk, %s apparent (each inode once)\n", sz(rep.Total.Disk), sz(rep.Total.Apparent))
	}
	if n := cachedLayers(rep); n > 0 {
		fmt.Fprintf(w, "%d image layers sized from the layer cache (--cache), not walked\n", n)
	} else if img, all := imageInodes(rep); img >= cacheHintInodes && 2*img >= all {
		fmt.Fprintf(w, "%d of the %d inodes walked are in image layers, which engines never change: --cache keeps their sizes between runs\n", img, all)
	}
	return nil
}

// cacheHintInodes is how many image-layer inodes a walk must have spent
// most of its time on before du suggests --cache.
const cacheHintInodes = 50_000

// imageInodes counts the inodes of the report's image layers and of all
// its layers.
func imageInodes(rep *layers.Report) (img, all int64) {
	for _, l := range rep.Layers {
		if l.Usage == nil {
			continue
		}
		all += l.Usage.Inodes
		if l.Kind == "image" {
			img += l.Usage.Inodes
		}
	}
	return img, all
}

// cachedLayers counts the layers whose usage came from the layer cache.
func cachedLayers(rep *layers.Report) int {
	n := 0
	for _, l := range rep.Layers {
		if l.Usage != nil && l.Usage.Cached {
			n++
		}
	}
	return n
}

func containerID(c *layers.ContainerUsage) string {
	if c.Container == nil {
		return "-"
	}
	return c.Container.ShortID()
}

func containerImage(c *layers.ContainerUsage) string {
	if c.Container == nil {
		return "-"
	}
	return orDash(c.Container.Image)
}

// fileNote explains a file's sizes: holes, hard links.
func fileNote(f layers.File) string {
	var notes []string
	if f.Disk+4096 <= f.Apparent {
		pct := 0.0
		if f.Apparent > 0 {
			pct = 100 * float64(f.Disk) / float64(f.Apparent)
		}
		notes = append(notes, fmt.Sprintf("sparse: %.1f%% allocated", pct))
	}
	if f.Links > 1 {
		notes = append(notes, fmt.Sprintf("%d links", f.Links))
	}
	return orDash(strings.Join(notes, ", "))
}

func newCmdLayersLs(f *Factory, runF func(context.Context, *layersOptions) error) *cobra.Command {
	o := newLayersOptions(f)
	cmd := &cobra.Command{
		Use:   "ls <target>",
		Short: "A container's or image's layer stack, top first, with sizes",
		Long: `List the layers of a container or image from top to bottom: each layer's
dir, role (upper, init, image, lower), disk and apparent bytes, inodes,
whiteouts and opaque dirs, what it hides in the layers below (HIDES) and what
the layers above hide of it (HIDDEN), and its image layer chain ID or digest
where the store records one (for a containerd snapshot that has none, its
key: usually the container ID).

` + layersPrivileges,
		Example: `  # the stack of a container
  ctx layers ls web-1

  # with dirs and chain IDs
  ctx layers ls web-1 -o wide`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Targets = args
			return runCommand(cmd, f, o, runF, runLayersLs)
		},
	}
	cmd.Flags().IntVar(&o.Top, "top", 5, "largest files of the writable layer to show")
	addWalkFlags(cmd, o)
	addCacheFlag(cmd, o)
	return cmd
}

// lsItem is the JSON item of ctx layers ls.
type lsItem struct {
	Target *layers.Target `json:"target"`
	Stack  *layers.Stack  `json:"stack"`
}

func runLayersLs(ctx context.Context, o *layersOptions) error {
	src, targets, ctx, done, err := o.source(ctx)
	if err != nil {
		return err
	}
	t := targets[0]
	st, err := src.Stack(ctx, t)
	done()
	if err != nil && st == nil {
		return err
	}
	var warnings []string
	for _, l := range st.Layers {
		if l.Usage != nil && l.Usage.Incomplete {
			warnings = append(warnings, fmt.Sprintf("incomplete: %s: %s", l.Dir, strings.Join(l.Usage.Errors, "; ")))
		}
	}
	human := o.f.IO.IsStdoutTTY()
	return o.f.Emit(printers.Doc{Kind: "LayerStack", Item: lsItem{Target: t, Stack: st},
		Warnings: mergeWarnings(src.Warnings(), warnings),
		Text:     func(w io.Writer) error { return writeLs(w, *o.f.Printer, t, st, o.Top, human) }})
}

func writeLs(w io.Writer, flags printers.Flags, t *layers.Target, st *layers.Stack, top int, human bool) error {
	sz := func(n int64) string { return sizeCell(n, human) }
	sp := &sectionPrinter{w: w, flags: flags}
	tb := &printers.Table{Columns: []printers.Column{{Header: "#"}, {Header: "ROLE"}, {Header: "LAYER"}, {Header: "DISK"},
		{Header: "APPARENT"}, {Header: "INODES"}, {Header: "WHITEOUTS"}, {Header: "OPAQUE"}, {Header: "HIDES"}, {Header: "HIDDEN"},
		{Header: "DIGEST"}, {Header: "STORE", Wide: true}, {Header: "STORED", Wide: true}, {Header: "DIR", Wide: true}}}
	var tot layers.Sizes
	for i, l := range st.Layers {
		u := usage(l.Usage)
		tot.Add(u.Sizes)
		stored := "-"
		if l.StoredSize != nil {
			stored = sz(*l.StoredSize)
		}
		tb.Rows = append(tb.Rows, []string{strconv.Itoa(i), l.Role, short(l.ID), sz(u.Disk), sz(u.Apparent),
			strconv.FormatInt(u.Inodes, 10), strconv.FormatInt(u.Whiteouts, 10), strconv.FormatInt(u.OpaqueDirs, 10),
			sz(l.Hides.Disk), sz(l.Hidden.Disk), orDash(layerName(l.Layer)), l.Store, stored, l.Dir})
	}
	if err := sp.table(tb); err != nil {
		return err
	}
	if top > 0 {
		ft := &printers.Table{Columns: []printers.Column{{Header: "TOP FILE"}, {Header: "DISK"}, {Header: "APPARENT"}, {Header: "NOTE"}}}
		for _, l := range st.Layers {
			for i, f := range l.TopFiles {
				if i < top {
					ft.Rows = append(ft.Rows, []string{f.Path, sz(f.Disk), sz(f.Apparent), fileNote(f)})
				}
			}
		}
		if err := sp.table(ft); err != nil {
			return err
		}
	}
	note := ""
	if st.Degraded {
		note = " (degraded: overlay xattrs unreadable)"
	}
	fmt.Fprintf(w, "\n%s: %d layers from %s, %s on disk, %s apparent, %s hidden%s\n", printers.Escape(t.Label()),
		len(st.Layers), st.Source, sz(tot.Disk), sz(tot.Apparent), sz(st.Hidden.Disk), note)
	return nil
}

func newCmdLayersDiff(f *Factory, runF func(context.Context, *layersOptions) error) *cobra.Command {
	o := newLayersOptions(f)
	cmd := &cobra.Command{
		Use:   "diff <target>",
		Short: "A container's added, changed and deleted paths, with sizes (docker diff, no mount)",
		Long: `List the paths a container added (A), changed (C) and deleted (D) in its
writable layer, as docker diff does, with each entry's disk and apparent bytes
and the bytes of the lower version it hides (HIDDEN: the old copy of a
changed file, the tree under a deleted path). It reads the writable layer and
looks the same paths up in the lower layers; it mounts nothing. On a
redirect_dir mount (metacopy=on turns it on; Docker and containerd leave it
off), a directory renamed in the container is listed as podman diff lists it:
added at its new path with all it shows, an entry that still lives in a lower
layer marked "(from OLD-PATH)", and its old path deleted. The totals count
the writable layer's own bytes.

` + layersPrivileges,
		Example: `  # what did the container change?
  ctx layers diff web-1

  # the biggest additions
  ctx layers diff web-1 -o json | jq '.item.changes | sort_by(-.disk) | .[:10]'`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Targets = args
			return runCommand(cmd, f, o, runF, runLayersDiff)
		},
	}
	addWalkFlags(cmd, o)
	return cmd
}

func runLayersDiff(ctx context.Context, o *layersOptions) error {
	src, targets, ctx, done, err := o.source(ctx)
	if err != nil {
		return err
	}
	t := targets[0]
	rep, err := src.Diff(ctx, t)
	done()
	if err != nil && rep == nil {
		return err
	}
	var warnings []string
	if rep.Incomplete {
		warnings = append(warnings, "incomplete: "+strings.Join(rep.Errors, "; "))
	}
	human := o.f.IO.IsStdoutTTY()
	sz := func(n int64) string { return sizeCell(n, human) }
	tb := &printers.Table{Columns: []printers.Column{{Header: "KIND"}, {Header: "PATH"}, {Header: "TYPE"}, {Header: "DISK"},
		{Header: "APPARENT"}, {Header: "HIDDEN"}, {Header: "HIDDEN-APPARENT", Wide: true}, {Header: "LINKS", Wide: true}}}
	for _, c := range rep.Changes {
		links := ""
		if c.Links > 1 {
			links = strconv.FormatUint(c.Links, 10)
		}
		p := c.Path
		if c.From != "" {
			p += " (from " + c.From + ")"
		}
		tb.Rows = append(tb.Rows, []string{c.Kind, p, c.Type, sz(c.Disk), sz(c.Apparent), sz(c.Hidden.Disk),
			sz(c.Hidden.Apparent), orDash(links)})
	}
	return o.f.Emit(printers.Doc{Kind: "LayerDiff", Item: rep, Warnings: mergeWarnings(src.Warnings(), warnings),
		Text: func(w io.Writer) error {
			if err := printers.Print(w, *o.f.Printer, printers.Doc{Table: tb}); err != nil {
				return err
			}
			n := map[string]int{}
			for _, c := range rep.Changes {
				n[c.Kind]++
			}
			fmt.Fprintf(w, "\n%d added (%s), %d changed (%s, replacing %s), %d deleted (%s hidden)\n",
				n[layers.ChangeAdd], sz(rep.Added.Disk), n[layers.ChangeModify], sz(rep.Changed.Disk), sz(rep.Replaced.Disk),
				n[layers.ChangeDelete], sz(rep.Deleted.Disk))
			return nil
		}})
}

func newCmdLayersWhich(f *Factory, runF func(context.Context, *layersOptions) error) *cobra.Command {
	o := newLayersOptions(f)
	cmd := &cobra.Command{
		Use:   "which <target> <path>",
		Short: "The layer that provides a path, and the copies it hides",
		Long: `Find the layer whose entry a container (or image) sees at PATH, top-down as
overlayfs does (whiteouts and opaque dirs honoured), and list every other
layer's copy of the path with its size and what hides it. Symlinks are shown,
never followed: ask for the target path instead. On a redirect_dir mount (off
in Docker and containerd), a directory renamed in the container is followed
to its origin in the lower layers, and a copy found there says where it is.
On a metacopy=on mount, a file copied up for its metadata only (by a chmod,
or a rename) is marked "metadata only", and the lower copy holding its data,
in use through it, has the state "data".

` + layersPrivileges,
		Example: `  # which layer serves /etc/passwd, and which copies does it hide?
  ctx layers which web-1 /etc/passwd`,
		Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Targets, o.Path = args[:1], args[1]
			return runCommand(cmd, f, o, runF, runLayersWhich)
		},
	}
	addWalkFlags(cmd, o)
	return cmd
}

func runLayersWhich(ctx context.Context, o *layersOptions) error {
	src, targets, ctx, done, err := o.source(ctx)
	if err != nil {
		return err
	}
	t := targets[0]
	rep, err := src.Which(ctx, t, o.Path)
	done()
	if err != nil && rep == nil {
		return err
	}
	human := o.f.IO.IsStdoutTTY()
	sz := func(n int64) string { return sizeCell(n, human) }
	tb := &printers.Table{Columns: []printers.Column{{Header: "LAYER"}, {Header: "ROLE"}, {Header: "ID"}, {Header: "STATE"},
		{Header: "TYPE"}, {Header: "DISK"}, {Header: "APPARENT"}, {Header: "HIDDEN BY"}, {Header: "DIR", Wide: true}}}
	for _, c := range rep.Copies {
		disk, app := c.Disk, c.Apparent
		if c.Tree != nil {
			disk, app = c.Tree.Disk, c.Tree.Apparent
		}
		by := "-"
		if c.HiddenBy >= 0 {
			by = strconv.Itoa(c.HiddenBy)
		}
		typ := c.Type
		if c.Target != "" {
			typ += " -> " + c.Target
		}
		if c.Metacopy {
			typ += " (metadata only)"
		}
		if c.Path != "" {
			typ += " at " + c.Path // a redirect above moved it
		}
		tb.Rows = append(tb.Rows, []string{strconv.Itoa(c.Layer), c.Role, short(c.ID), c.State, typ, sz(disk), sz(app), by, c.Dir})
	}
	return o.f.Emit(printers.Doc{Kind: "LayerWhich", Item: rep, Warnings: src.Warnings(),
		Text: func(w io.Writer) error {
			if rep.Provider >= 0 {
				c := rep.Copies[0]
				for _, x := range rep.Copies {
					if x.Layer == rep.Provider {
						c = x
					}
				}
				fmt.Fprintf(w, "%s: layer %d (%s %s)", printers.Escape(rep.Path), c.Layer, c.Role, short(c.ID))
				if c.Path != "" {
					fmt.Fprintf(w, " at %s", printers.Escape(c.Path))
				}
			} else {
				fmt.Fprintf(w, "%s: not visible: %s", printers.Escape(rep.Path), printers.Escape(rep.Reason))
			}
			fmt.Fprintf(w, "; %s hidden in other layers\n\n", sz(rep.Hidden.Disk))
			return printers.Print(w, *o.f.Printer, printers.Doc{Table: tb})
		}})
}

func newCmdLayersOrphans(f *Factory, runF func(context.Context, *layersOptions) error) *cobra.Command {
	o := newLayersOptions(f)
	cmd := &cobra.Command{
		Use:   "orphans",
		Short: "Layer dirs no image, container, build cache or mount references",
		Long: `List the layer dirs of Docker's overlay2, containerd's overlayfs snapshotter
and containers/storage that nothing references (no layerdb cache-id, mount-id
or init-id, no snapshot id in containerd's metadata.db, no layers.json entry,
no overlay mount in the host's mount table), with their sizes. Dirs named by
a snapshot of BuildKit's snapshots.db are build cache, listed apart: docker
builder prune frees them (if that database cannot be read, every unreferenced
dir is called build cache, with a warning, rather than an orphan). Dirs
younger than an hour are marked recent: a pull or build in progress creates
its dir before its metadata. Dangling l/ short links are listed too.
containerd's metadata.db is read without its lock, through a read-only
mapping; if it keeps changing during the read or cannot be parsed, that root
is not checked and a warning says so.

` + layersPrivileges,
		Example: `  # what could be reclaimed?
  ctx layers orphans`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCommand(cmd, f, o, runF, runLayersOrphans)
		},
	}
	addWalkFlags(cmd, o)
	return cmd
}

func runLayersOrphans(ctx context.Context, o *layersOptions) error {
	src, _, ctx, done, err := o.source(ctx)
	if err != nil {
		return err
	}
	rep, err := src.Orphans(ctx, o.now())
	done()
	if err != nil && rep == nil {
		return err
	}
	human := o.f.IO.IsStdoutTTY()
	sz := func(n int64) string { return sizeCell(n, human) }
	tb := &printers.Table{Columns: []printers.Column{{Header: "STORE"}, {Header: "ID"}, {Header: "KIND"}, {Header: "DISK"},
		{Header: "APPARENT"}, {Header: "MODIFIED"}, {Header: "NOTE"}, {Header: "DIR", Wide: true}}}
	add := func(kind string, list []*layers.Orphan) {
		sort.SliceStable(list, func(i, j int) bool { return usage(list[i].Usage).Disk > usage(list[j].Usage).Disk })
		for _, x := range list {
			note := "-"
			if x.Recent {
				note = "recent: maybe a pull or build in progress"
			}
			u := usage(x.Usage)
			tb.Rows = append(tb.Rows, []string{x.Store, short(x.ID), kind, sz(u.Disk), sz(u.Apparent),
				x.Modified.Format(time.RFC3339), note, x.Dir})
		}
	}
	add("orphan", rep.Orphans)
	add("build cache", rep.BuildCache)
	return o.f.Emit(printers.Doc{Kind: "LayerOrphans", Item: rep, Warnings: mergeWarnings(rep.Warnings, src.Warnings()),
		Text: func(w io.Writer) error {
			if err := printers.Print(w, *o.f.Printer, printers.Doc{Table: tb}); err != nil {
				return err
			}
			for _, l := range rep.DanglingLinks {
				fmt.Fprintf(w, "dangling link: %s\n", printers.Escape(l))
			}
			fmt.Fprintf(w, "\n%d orphans, %s on disk; %d build cache dirs; checked %s\n", len(rep.Orphans), sz(rep.Total.Disk),
				len(rep.BuildCache), printers.Escape(orDash(strings.Join(rep.Checked, ", "))))
			return nil
		}})
}

// usage is u, or zero sizes for a dir that was not walked.
func usage(u *layers.Usage) layers.Usage {
	if u == nil {
		return layers.Usage{}
	}
	return *u
}
