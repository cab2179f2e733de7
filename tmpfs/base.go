package tmpfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Options say where a run directory may be made.
type Options struct {
	Rig        string // short label for the directory name; sanitized to [a-z0-9._-], at most 40 bytes, "rig" if empty
	RuntimeDir string // the caller's $XDG_RUNTIME_DIR, "" when unset
	ShmDir     string // "" means "/dev/shm"; tests point it elsewhere
	AllowDisk  bool   // permit a disk-backed base when no RAM base qualifies
	DiskDir    string // the base to use with AllowDisk (the caller passes e.g. os.UserCacheDir()+"/rigup-exec"); created 0700 if missing
}

// NoRAMError is the error of [Create] when no RAM-backed base qualifies
// and disk was not allowed. It lists why each candidate base was rejected, one short
// lower-case reason per candidate, in the order they were tried.
type NoRAMError struct {
	Rejected []string
}

func (e *NoRAMError) Error() string {
	return "no ram-backed directory qualifies: " + strings.Join(e.Rejected, "; ")
}

// base is an opened and verified base directory.
type base struct {
	fd     int
	path   string // symlinks resolved
	fstype string
}

// chooseBase opens the first base that qualifies: RuntimeDir, then ShmDir,
// then DiskDir if AllowDisk. It also returns why the RAM candidates before
// it were rejected.
func chooseBase(opt Options) (base, []string, error) {
	var rejected []string
	if opt.RuntimeDir == "" {
		rejected = append(rejected, "$XDG_RUNTIME_DIR is not set")
	} else {
		b, why := openBase("$XDG_RUNTIME_DIR", opt.RuntimeDir, true, true)
		if why == "" {
			return b, rejected, nil
		}
		rejected = append(rejected, why)
	}
	shm := opt.ShmDir
	if shm == "" {
		shm = "/dev/shm"
	}
	b, why := openBase("", shm, false, true)
	if why == "" {
		return b, rejected, nil
	}
	rejected = append(rejected, why)
	if !opt.AllowDisk {
		return base{}, rejected, &NoRAMError{Rejected: rejected}
	}

	if !filepath.IsAbs(opt.DiskDir) {
		return base{}, rejected, fmt.Errorf("disk base %q is not an absolute path", opt.DiskDir)
	}
	if err := mkdirAll(opt.DiskDir); err != nil {
		return base{}, rejected, fmt.Errorf("create disk base: %w", err)
	}
	b, why = openBase("", opt.DiskDir, true, false)
	if why != "" {
		return base{}, rejected, fmt.Errorf("disk base rejected: %s", why)
	}
	// An existing base with mode 0000 or 0500 passed the checks: give the
	// owner its bits.
	if err := unix.Fchmod(b.fd, 0o700); err != nil {
		unix.Close(b.fd)
		return base{}, rejected, fmt.Errorf("chmod disk base %s: %w", b.path, err)
	}
	b.fstype = "disk"
	return b, rejected, nil
}

// mkdirAll is os.MkdirAll with mode 0700 whatever the umask: each
// directory it makes gets its owner bits back before the next is made in it.
func mkdirAll(path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil // openBase judges what it is
	}
	if parent := filepath.Dir(path); parent != path {
		if err := mkdirAll(parent); err != nil {
			return err
		}
	}
	err := os.Mkdir(path, 0o700)
	if errors.Is(err, fs.ErrExist) {
		return nil
	} else if err != nil {
		return err
	}
	return chmodNoFollow(unix.AT_FDCWD, path, 0o700)
}

// openBase resolves symlinks in path once, opens the directory it names and
// checks the open descriptor. A private base must belong to us with no
// group or other bits; a shared one (/dev/shm) must belong to root or us
// and, if others may write to it, have the sticky bit so that they cannot
// rename our entries. It returns the reason for a rejection, or "".
func openBase(what, path string, private, ram bool) (base, string) {
	label := func(shown string) string {
		if what == "" {
			return shown
		}
		return what + " (" + shown + ")"
	}
	if !filepath.IsAbs(path) {
		return base{}, label(path) + " is not an absolute path"
	}
	real, err := filepath.EvalSymlinks(path)
	if errors.Is(err, fs.ErrNotExist) {
		return base{}, label(path) + " does not exist"
	} else if err != nil {
		return base{}, label(path) + " cannot be resolved: " + reason(err)
	}
	shown := path
	if real != path {
		shown = path + " -> " + real
	}
	fd, err := unix.Open(real, dirFlags, 0)
	if err == unix.ENOTDIR {
		return base{}, label(shown) + " is not a directory"
	} else if err != nil {
		return base{}, label(shown) + " cannot be opened: " + reason(err)
	}
	why := checkBase(fd, private, ram)
	if why != "" {
		unix.Close(fd)
		return base{}, label(shown) + " " + why
	}
	name, _, _ := fsKind(fd)
	return base{fd: fd, path: real, fstype: name}, ""
}

// checkBase checks the opened base directory fd and returns why it does not
// qualify, or "".
func checkBase(fd int, private, ram bool) string {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return "cannot be checked: " + reason(err)
	}
	uid, mode := uint32(os.Geteuid()), uint32(st.Mode)
	switch {
	case private && st.Uid != uid:
		return fmt.Sprintf("is owned by uid %d, not %d", st.Uid, uid)
	case private && mode&0o077 != 0:
		return fmt.Sprintf("has mode %04o, not 0700", mode&0o7777)
	case !private && st.Uid != 0 && st.Uid != uid:
		return fmt.Sprintf("is owned by uid %d, neither root nor %d", st.Uid, uid)
	case !private && mode&0o022 != 0 && mode&unix.S_ISVTX == 0:
		return fmt.Sprintf("has mode %04o: writable by others without the sticky bit", mode&0o7777)
	}
	name, isRAM, err := fsKind(fd)
	switch {
	case err != nil:
		return "cannot be checked: " + reason(err)
	case ram && !isRAM:
		return "is not tmpfs or ramfs (" + name + ")"
	}
	return ""
}

// reason is the system's word for err, without the path a *PathError repeats.
func reason(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	return err.Error()
}

// sanitizeRig maps rig to at most 40 bytes of [a-z0-9._-], "rig" if empty.
func sanitizeRig(rig string) string {
	const max = 40
	b := make([]byte, 0, max)
	for i := 0; i < len(rig) && len(b) < max; i++ {
		c := rig[i]
		switch {
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '.', c == '_', c == '-':
		default:
			c = '-'
		}
		b = append(b, c)
	}
	if len(b) == 0 {
		return "rig"
	}
	return string(b)
}
