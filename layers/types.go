package layers

import (
	"math"
	"unicode/utf8"
)

// Sizes is a byte count two ways. Disk is st_blocks×512, what the
// filesystem allocated (holes are free, every small file takes a block);
// Apparent is st_size, what docker, tar and ls -l count. Directories count
// their own blocks in Disk but nothing in Apparent, as docker's SizeRw does.
type Sizes struct {
	Disk     int64 `json:"disk"`
	Apparent int64 `json:"apparent"`
}

// Add adds o to s, saturating at math.MaxInt64 rather than wrapping: XFS
// allows 8 EiB apparent sizes.
func (s *Sizes) Add(o Sizes) {
	s.Disk = satAdd(s.Disk, o.Disk)
	s.Apparent = satAdd(s.Apparent, o.Apparent)
}

// Sub subtracts o from s, never going below zero.
func (s *Sizes) Sub(o Sizes) {
	s.Disk = max(0, s.Disk-o.Disk)
	s.Apparent = max(0, s.Apparent-o.Apparent)
}

func satAdd(a, b int64) int64 {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// Usage is what one walk of a directory tree counted. Each inode is
// counted once by (st_dev, st_ino); a walk never follows a symlink, never
// enters another filesystem and never opens anything but directories.
type Usage struct {
	Sizes
	// Inodes is the number of distinct inodes counted, directories
	// included, whiteouts excluded.
	Inodes int64 `json:"inodes"`
	// Dirs, Files, Symlinks and Specials count directory entries by type;
	// Specials are FIFOs, sockets and device nodes other than whiteouts.
	Dirs     int64 `json:"dirs"`
	Files    int64 `json:"files"`
	Symlinks int64 `json:"symlinks"`
	Specials int64 `json:"specials"`
	// Whiteouts are overlay whiteouts: 0/0 character devices, and the
	// xattr whiteouts of kernel 6.7+. They take no bytes.
	Whiteouts int64 `json:"whiteouts"`
	// OpaqueDirs are directories with overlay.opaque "y": they hide
	// everything below them in lower layers.
	OpaqueDirs int64 `json:"opaqueDirs"`
	// Redirects and Metacopy count overlay.redirect and overlay.metacopy
	// entries (redirect_dir and metacopy mounts only).
	Redirects int64 `json:"redirects,omitempty"`
	Metacopy  int64 `json:"metacopy,omitempty"`
	// HardLinks counts directory entries of an inode already counted;
	// HardLinked is the bytes of the inodes that have such entries.
	HardLinks  int64 `json:"hardLinks"`
	HardLinked Sizes `json:"hardLinked"`
	// Sparse counts regular files whose disk bytes are less than their
	// apparent size rounded up to a block: holes.
	Sparse int64 `json:"sparse"`
	// Incomplete is set when a subtree could not be read; Errors says why
	// (at most a few, with a count of the rest).
	Incomplete bool     `json:"incomplete,omitempty"`
	Errors     []string `json:"errors,omitempty"`
	// Skipped are directories on another filesystem (mount points) that
	// the walk did not enter.
	Skipped []string `json:"skipped,omitempty"`
	// Vanished counts entries removed while the walk ran: normal for a
	// live container's writable layer.
	Vanished int64 `json:"vanished,omitempty"`
	// Cached is set when the usage was read from the layer cache
	// (Options.CacheDir) instead of walked.
	Cached bool `json:"cached,omitempty"`
}

// add merges o into u.
func (u *Usage) add(o *Usage) {
	u.Sizes.Add(o.Sizes)
	u.Inodes += o.Inodes
	u.Dirs += o.Dirs
	u.Files += o.Files
	u.Symlinks += o.Symlinks
	u.Specials += o.Specials
	u.Whiteouts += o.Whiteouts
	u.OpaqueDirs += o.OpaqueDirs
	u.Redirects += o.Redirects
	u.Metacopy += o.Metacopy
	u.HardLinks += o.HardLinks
	u.HardLinked.Add(o.HardLinked)
	u.Sparse += o.Sparse
	u.Vanished += o.Vanished
	u.Incomplete = u.Incomplete || o.Incomplete
	u.Errors = appendCapped(u.Errors, o.Errors...)
	u.Skipped = appendCapped(u.Skipped, o.Skipped...)
}

// maxMessages caps the errors and skipped paths one Usage keeps: a walk of
// a hostile tree must not grow without bound.
const maxMessages = 10

func appendCapped(list []string, more ...string) []string {
	for _, m := range more {
		if len(list) >= maxMessages {
			break
		}
		list = append(list, m)
	}
	return list
}

// File is one entry found by a walk: a top file, a diff entry, a hidden
// copy. Path is relative to the layer root (or the container's /), always
// starting with "/"; PathRaw holds the exact bytes when they are not valid
// UTF-8, which JSON would otherwise turn into U+FFFD.
type File struct {
	Path    string `json:"path"`
	PathRaw []byte `json:"pathRaw,omitempty"`
	// Type is file, dir, symlink, whiteout, fifo, socket, char or block.
	Type string `json:"type"`
	Sizes
	// Links is st_nlink when above 1: the bytes are shared with other
	// paths.
	Links uint64 `json:"links,omitempty"`
}

// newFile fills PathRaw when path is not valid UTF-8.
func newFile(path, typ string, s Sizes, links uint64) File {
	f := File{Path: path, Type: typ, Sizes: s}
	if links > 1 && typ != "dir" && typ != "whiteout" {
		f.Links = links
	}
	if !utf8.ValidString(path) {
		f.PathRaw = []byte(path)
	}
	return f
}
