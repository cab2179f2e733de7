package tmpfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// errNotOurs marks an entry that is not a real directory owned by the
// effective uid.
var errNotOurs = errors.New("not a directory owned by this user")

// sweep wipes and removes every directory in base named "rigup-*" that
// belongs to the effective uid and whose lock no process holds, and returns
// how many it removed. It never follows a symlink and skips other users'
// entries. Errors on single entries do not stop it; the first is returned.
func sweep(base string) (int, error) {
	fd, err := unix.Open(base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, fmt.Errorf("sweep %s: %w", base, err)
	}
	defer unix.Close(fd)
	n, err := sweepAt(fd)
	if err != nil {
		return n, fmt.Errorf("sweep %s: %w", base, err)
	}
	return n, nil
}

func sweepAt(base int) (int, error) {
	names, err := readNames(base)
	if err != nil {
		return 0, err
	}
	n := 0
	var first error
	for _, name := range names {
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		removed, err := sweepOne(base, name)
		if removed {
			n++
		}
		if err != nil && first == nil {
			first = fmt.Errorf("%s: %w", name, err)
		}
	}
	return n, first
}

// sweepOne wipes base/name, holding its lock, if it is a directory of ours
// whose lock was free.
func sweepOne(base int, name string) (bool, error) {
	fd, st, err := openOurs(base, name)
	if err == errNotOurs {
		return false, nil
	} else if err != nil {
		return false, ignoreGone(err)
	}
	defer unix.Close(fd) // releases the lock
	if err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); err == unix.EWOULDBLOCK {
		return false, nil // in use
	} else if err != nil {
		return false, err
	}
	if err := removeDir(base, name, fd, idOf(&st), nil); err != nil {
		return false, err
	}
	return true, nil
}

// Remove wipes and removes the run directory at path without asking for its
// lock: it is for a watchdog whose rigup-exec died. It refuses unless the
// last element starts with "rigup-" and names a real directory (not a
// symlink) owned by the effective uid. A missing path is not an error.
func Remove(path string) error {
	dir, name := filepath.Split(filepath.Clean(path))
	if !strings.HasPrefix(name, prefix) {
		return fmt.Errorf("remove %s: not a run directory (name must start with %q)", path, prefix)
	}
	if dir == "" {
		dir = "."
	}
	parent, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return ignoreGone(fmt.Errorf("remove %s: %w", path, err))
	}
	defer unix.Close(parent)
	fd, st, err := openOurs(parent, name)
	if err != nil {
		return ignoreGone(fmt.Errorf("remove %s: %w", path, err))
	}
	defer unix.Close(fd)
	if err := removeDir(parent, name, fd, idOf(&st), nil); err != nil {
		return fmt.Errorf("remove %s: %w", path, err)
	}
	return nil
}

// Live says path is a run directory of ours (named "rigup-*", a real
// directory owned by the effective uid with no group or other bits) whose
// lock some process holds. Any doubt gives false.
func Live(path string) bool {
	if !strings.HasPrefix(filepath.Base(path), prefix) {
		return false
	}
	fd, err := unix.Open(path, dirFlags, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd) // releases the lock if we got it
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || !ours(&st) || uint32(st.Mode)&0o077 != 0 {
		return false
	}
	return unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB) == unix.EWOULDBLOCK
}

// openOurs opens the directory name in parent if it is a real directory
// owned by the effective uid (errNotOurs otherwise), checking that the name
// did not change while it was opened.
func openOurs(parent int, name string) (int, unix.Stat_t, error) {
	var st unix.Stat_t
	if err := unix.Fstatat(parent, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return -1, st, err
	}
	if !ours(&st) {
		return -1, st, errNotOurs
	}
	fd, now, err := openDir(parent, name)
	if err != nil {
		return -1, st, err
	}
	if idOf(&now) != idOf(&st) || !ours(&now) {
		unix.Close(fd)
		return -1, st, errNotOurs
	}
	return fd, now, nil
}

// ours says st is a directory owned by the effective uid.
func ours(st *unix.Stat_t) bool {
	return uint32(st.Mode)&unix.S_IFMT == unix.S_IFDIR && st.Uid == uint32(os.Geteuid())
}

// ignoreGone treats ENOENT, a race with another remover, as success.
func ignoreGone(err error) error {
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	return err
}
