package tmpfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Wipe zeroes the written files through their mappings, then wipes and
// removes the whole run directory, including what the child added, and
// releases the lock last. It is best effort: it goes on past errors and
// returns the first. A second call returns nil.
func (d *Dir) Wipe() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.wiped {
		return nil
	}
	d.wiped = true
	var errs []error
	// The files zeroed whole through their mappings, with the length
	// zeroed: the walk need not write them again. They stay mapped until
	// after the walk, so that no other file can take their identity.
	zeroed := make(map[fileID]int64, len(d.maps))
	for _, m := range d.maps {
		if !m.readOnly && zeroMapping(m.b) {
			zeroed[m.id] = int64(len(m.b))
		}
	}
	if d.name != "" {
		errs = append(errs, d.removeTree(zeroed))
	}
	errs = append(errs, unmapAll(d.maps)) // which unlocks them too
	d.maps = nil
	if d.lock != nil {
		d.lock.Close()
		d.lock = nil
	}
	if d.base >= 0 {
		unix.Close(d.base)
		d.base = -1
	}
	if err := firstError(errs...); err != nil {
		return fmt.Errorf("wipe %s: %w", filepath.Join(d.Base, d.name), err)
	}
	return nil
}

// removeTree wipes and removes the run directory, found again by name if
// its lock descriptor was already closed. zeroed is as for wipeTree.
func (d *Dir) removeTree(zeroed map[fileID]int64) error {
	if d.lock != nil {
		return removeDir(d.base, d.name, int(d.lock.Fd()), d.id, zeroed)
	}
	fd, st, err := openDir(d.base, d.name)
	if err != nil {
		return ignoreGone(err)
	}
	defer unix.Close(fd)
	if idOf(&st) != d.id {
		return nil // the name is someone else's now
	}
	return removeDir(d.base, d.name, fd, d.id, zeroed)
}

// zeroMapping zeroes a written file through its mapping at b, which
// reaches the file's pages even after the child renamed or unlinked it, and
// reports whether all of b was zeroed. If the child truncated the file, the
// pages past its new end fault (SIGBUS): then it zeroes page by page and
// stops at the first page that faults, since every page after it lies past
// the end too. No descriptor is needed to learn the file's size.
func zeroMapping(b []byte) bool {
	if noFault(func() { clear(b) }) == nil {
		return true
	}
	page := os.Getpagesize()
	for off := 0; off < len(b); off += page {
		if noFault(func() { clear(b[off:min(off+page, len(b))]) }) != nil {
			return false
		}
	}
	return true
}

// removeDir empties the directory open at fd, then removes it from parent
// if name there is still that directory. zeroed is as for wipeTree.
func removeDir(parent int, name string, fd int, id fileID, zeroed map[fileID]int64) error {
	err := wipeTree(fd, zeroed)
	var st unix.Stat_t
	if e := unix.Fstatat(parent, name, &st, unix.AT_SYMLINK_NOFOLLOW); e != nil || idOf(&st) != id {
		return firstError(err, ignoreGone(e))
	}
	return firstError(err, ignoreGone(unix.Unlinkat(parent, name, unix.AT_REMOVEDIR)))
}

// wipeTree empties the directory open at fd. Regular files are overwritten
// with zeros, truncated and unlinked, except files with other hard links,
// which are only unlinked: they may be the user's own files, and files
// already zeroed: zeroed maps their identity to the length that was, and
// only a file no longer than that is taken as done. Other entries are
// unlinked, subdirectories emptied and removed. It follows no symlink,
// enters no mount point, and goes on past errors.
func wipeTree(fd int, zeroed map[fileID]int64) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Nlink == 0 {
		return err // a removed directory was empty
	}
	// The child may have made the directory 0500 or 000.
	errs := []error{unix.Fchmod(fd, 0o700)}
	names, err := readNames(fd)
	errs = append(errs, err)
	for _, name := range names {
		if err := wipeEntry(fd, uint64(st.Dev), name, zeroed); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	return firstError(errs...)
}

func wipeEntry(parent int, dev uint64, name string, zeroed map[fileID]int64) error {
	var st unix.Stat_t
	if err := unix.Fstatat(parent, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return ignoreGone(err)
	}
	switch uint32(st.Mode) & unix.S_IFMT {
	case unix.S_IFDIR:
		if uint64(st.Dev) != dev {
			return errors.New("mount point left alone")
		}
		fd, now, err := openDir(parent, name)
		if err != nil {
			return ignoreGone(err)
		}
		defer unix.Close(fd)
		return removeDir(parent, name, fd, idOf(&now), zeroed)
	case unix.S_IFREG:
		var err error
		if n, ok := zeroed[idOf(&st)]; st.Nlink == 1 && (!ok || st.Size > n) {
			err = zeroFile(parent, name)
		}
		return firstError(err, ignoreGone(unix.Unlinkat(parent, name, 0)))
	default:
		return ignoreGone(unix.Unlinkat(parent, name, 0))
	}
}

// zeroFile overwrites the regular file name in parent with zeros and
// truncates it, if it still has a single link.
func zeroFile(parent int, name string) error {
	const flags = unix.O_WRONLY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_CLOEXEC
	fd, err := unix.Openat(parent, name, flags, 0)
	if err == unix.EACCES { // the child made it read-only
		if err = chmodNoFollow(parent, name, 0o600); err == nil {
			fd, err = unix.Openat(parent, name, flags, 0)
		}
	}
	if err != nil {
		return ignoreGone(err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	if uint32(st.Mode)&unix.S_IFMT != unix.S_IFREG || st.Nlink != 1 {
		return nil
	}
	if err := zeroData(fd, st.Size); err != nil {
		return err
	}
	return unix.Ftruncate(fd, 0)
}

// zeros is what zeroData writes; it is only ever read.
var zeros [64 << 10]byte

// zeroData overwrites the first size bytes of the file open at fd with
// zeros, skipping holes: writing zeros there would only allocate pages (a
// child's sparse terabyte file would fill RAM or disk).
func zeroData(fd int, size int64) error {
	for off := int64(0); off < size; {
		start, err := unix.Seek(fd, off, unix.SEEK_DATA)
		if err == unix.ENXIO {
			return nil // only a hole is left
		} else if err != nil {
			start = off
		}
		end, err := unix.Seek(fd, start, unix.SEEK_HOLE)
		if err != nil || end <= start || end > size {
			end = size
		}
		for off = start; off < end; {
			n, err := unix.Pwrite(fd, zeros[:min(int64(len(zeros)), end-off)], off)
			if err != nil {
				return err
			}
			off += int64(n)
		}
	}
	return nil
}

// openDir opens the directory name in parent without following a symlink,
// first giving it mode 0700 if the child left it unreadable.
func openDir(parent int, name string) (int, unix.Stat_t, error) {
	var st unix.Stat_t
	fd, err := unix.Openat(parent, name, dirFlags, 0)
	if err == unix.EACCES {
		if err = chmodNoFollow(parent, name, 0o700); err == nil {
			fd, err = unix.Openat(parent, name, dirFlags, 0)
		}
	}
	if err != nil {
		return -1, st, err
	}
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, st, err
	}
	return fd, st, nil
}

// readNames lists the directory open at fd through a fresh descriptor, so
// that fd's own offset is left alone.
func readNames(fd int) ([]string, error) {
	dup, err := unix.Openat(fd, ".", dirFlags, 0)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(dup), ".")
	defer f.Close()
	return f.Readdirnames(-1)
}

// fileID identifies a file, to notice that a name was replaced.
type fileID struct{ dev, ino uint64 }

func idOf(st *unix.Stat_t) fileID { return fileID{uint64(st.Dev), st.Ino} }

func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
