//go:build unix

package boltfile

import (
	"fmt"
	"os"
	"runtime/debug"
	"time"

	"golang.org/x/sys/unix"
)

// readAttempts bounds the reads of a file that keeps changing.
const readAttempts = 3

// ReadMapped parses the bbolt file f through a read-only shared mapping
// and calls use with it, then unmaps it. Only the pages use visits are read,
// and only they count toward ctx's memory: a
// metadata store of hundreds of MiB (containerd's meta.db never shrinks)
// costs what its buckets of interest hold. The owner may commit
// meanwhile; use's work counts only if the transaction ID of the meta
// pages is the same before the mapping and after use, else it is done
// again a moment later, up to readAttempts times. use must copy out what
// it keeps (the bytes go with the mapping) and start afresh on each call.
// A fault on the mapping (the file truncated under it) is an error.
func ReadMapped(f *os.File, max int64, use func(*DB) error) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	switch {
	case !st.Mode().IsRegular():
		return fmt.Errorf("%q is not a regular file", f.Name())
	case st.Size() > max:
		return fmt.Errorf("%q is larger than %d MiB", f.Name(), max>>20)
	case st.Size() < 2*pageHeader+2*metaSize:
		return fmt.Errorf("%q: %w: too short", f.Name(), ErrFormat)
	}
	for attempt := 1; ; attempt++ {
		changed, err := mapped(f, int(st.Size()), use)
		if !changed {
			// No commit meanwhile (or damage that stays put).
			if err != nil {
				return fmt.Errorf("%q: %w", f.Name(), err)
			}
			return nil
		}
		if attempt == readAttempts {
			return fmt.Errorf("%q changed while it was read, %d times (commits meanwhile)", f.Name(), readAttempts)
		}
		time.Sleep(time.Duration(attempt) * 20 * time.Millisecond)
	}
}

// mapped maps size bytes of f, parses them and runs use. changed reports
// a commit meanwhile: the meta pages named another transaction after use
// than before it. They are read through the mapping, which being shared
// shows the file as it is now, not as it was mapped.
func mapped(f *os.File, size int, use func(*DB) error) (changed bool, err error) {
	data, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return false, err
	}
	defer unix.Munmap(data)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if _, fault := r.(interface{ Addr() uintptr }); !fault {
			panic(r)
		}
		err = fmt.Errorf("%w: the file changed under its mapping (%v)", ErrFormat, r)
	}()
	before, errBefore := Parse(data)
	if errBefore == nil {
		err = use(before)
	} else {
		err = errBefore
	}
	after, errAfter := Parse(data)
	switch {
	case errBefore != nil || errAfter != nil:
		changed = (errBefore == nil) != (errAfter == nil)
	default:
		changed = before.TxID() != after.TxID()
	}
	return changed, err
}
