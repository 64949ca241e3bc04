// Package layers attributes container and image disk usage to overlay
// layers and files, reading the storage dirs directly: Docker's overlay2
// store with its layerdb (ChainIDs, cache-ids, mount-ids, l/ short links,
// the relative lowerdir fallback), containerd's overlayfs snapshotter
// (snapshots/N/fs, found through the root mounts of running containers
// and named from its metadata.db: ChainIDs, kinds, orphans; images and
// idle containers from containerd's meta.db), containers/storage
// (layers.json, containers.json), and any overlay mounted at a process's
// root. No engine API is needed; nothing is mounted and nothing is
// written. containerd flocks its databases while it runs: ctx never takes
// that lock, but reads them through a read-only mapping and checks that no
// commit happened meanwhile (boltfile.ReadMapped); one that keeps changing
// or does not parse is set aside with a warning, and its snapshots are not
// checked for orphans. See ../shared/notes/layers.md.
//
// Sizes come two ways: disk bytes (st_blocks×512, each inode once by
// (st_dev, st_ino)) and apparent bytes (st_size of non-directories, what
// docker's SizeRw counts). Hidden bytes are per stack: every lower entry a
// higher layer masks (with a whiteout, a non-directory or an opaque
// directory) is counted once, by the nearest layer above that masks it.
//
// The walker is the security boundary, since every name, link and tree
// shape in a layer is the container's to choose:
//
//   - it walks fd-relative: openat(O_DIRECTORY|O_NOFOLLOW), getdents64 into
//     a fixed buffer, fstatat(AT_SYMLINK_NOFOLLOW) on the name in place;
//     paths are built only for messages and top files, so trees deeper than
//     PATH_MAX are counted whole;
//   - it never follows a symlink, never opens anything but a directory (a
//     FIFO or device node is only stat'ed), never enters another device
//     (mount points are listed as skipped) and never walks merged/;
//   - it runs directories depth first on a pool of workers over one stack,
//     so open fds stay near workers × depth; the inode map holds only
//     inodes with more than one link;
//   - overlay xattrs are read in the namespace the mount's options select
//     (trusted.overlay., or user.overlay. with userxattr), never per file;
//     without CAP_SYS_ADMIN trusted.* reads return nothing, and the walk
//     says so in a DEGRADED warning.
//
// Example (equivalent to `docker ps -s` and `du -s` of each layer, plus
// hidden bytes, logs, volumes and deleted-but-open files):
//
//	s, err := layers.Open(root, layers.Options{TopN: 5})
//	if err != nil {
//		return err // a *PrivilegeError names what is missing
//	}
//	t, err := s.Resolve("web-1")
//	if err != nil {
//		return err
//	}
//	rep, err := s.Du(ctx, []*layers.Target{t})
//	if err != nil {
//		return err
//	}
//	c := rep.Containers[0]
//	fmt.Printf("%s: writable %d bytes on disk (%d apparent), %d hidden\n",
//		c.Label, c.Writable.Disk, c.Writable.Apparent, c.Hidden.Disk)
//	warnings := append(rep.Warnings, s.Warnings()...) // print these too
package layers
