package tmpfs

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// prefix starts the name of every run directory; sweep, Remove and Live
// touch nothing else.
const prefix = "rigup-"

// dirFlags open a directory for reading without following a final symlink.
const dirFlags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC

// Dir is one run directory, locked for as long as it is open.
type Dir struct {
	Path   string // absolute path of the run directory
	Base   string // the base directory it was made in, symlinks resolved
	FSType string // "tmpfs", "ramfs" or "disk"
	Swept  int    // stale directories removed from Base while creating this one
	// PassedOver says why each base tried before Base was not used, as
	// NoRAMError.Rejected does.
	PassedOver []string

	mu     sync.Mutex
	base   int      // Base, open; -1 once closed
	name   string   // last element of Path, set once the directory is verified
	id     fileID   // identity of the run directory
	lock   *os.File // the run directory, flock'ed; nil once closed
	maps   []mapping
	locked int // bytes of written files mlocked
	total  int // bytes written
	wiped  bool
}

// mapping is the shared mapping of one written file, kept so that Wipe can
// zero the file even after the child renamed or unlinked it, and so that
// its pages stay locked. It holds the file without a descriptor: a mapping
// keeps its file alive by itself.
type mapping struct {
	b        []byte
	id       fileID
	locked   bool
	readOnly bool // an executable's: wiped through the tree walk only
}

// maxMapped is how many written files keep their mapping; the files
// written after that are unmapped at once, so they are neither locked nor
// reachable by Wipe once renamed away or unlinked, and the tree walk alone
// wipes them. Every mapping is an entry of the kernel's per-process table,
// which vm.max_map_count caps (65530 by default), and the Go runtime must
// still find room there: a failed mmap of its own is a crash that skips
// the wipe. A quarter of the default leaves that room. Locking gives out
// long before: RLIMIT_MEMLOCK locks at most one file per page (2048 files
// under the default 8 MiB).
var maxMapped = 16384

var lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Create chooses a base (see the package documentation), sweeps stale run
// directories from it and makes a new, locked run directory there.
func Create(opt Options) (*Dir, error) {
	b, passed, err := chooseBase(opt)
	if err != nil {
		return nil, err
	}
	// A stale directory that cannot be wiped must not stop this run.
	swept, _ := sweepAt(b.fd)
	d := &Dir{Base: b.path, FSType: b.fstype, Swept: swept, PassedOver: passed, base: b.fd}
	rig := sanitizeRig(opt.Rig)
	for range 8 {
		var r [10]byte // 80 bits
		rand.Read(r[:])
		ok, err := d.make(prefix + rig + "-" + lowerBase32.EncodeToString(r[:]))
		if err != nil {
			d.Wipe()
			return nil, fmt.Errorf("create run directory in %s: %w", d.Base, err)
		}
		if ok {
			return d, nil
		}
	}
	d.Wipe()
	return nil, fmt.Errorf("create run directory in %s: every name tried was taken or swept", d.Base)
}

// make tries to create, lock and verify the run directory name in the base.
// It reports false, nil when the name should be given up for another one:
// it exists already, or a concurrent sweeper has or had it.
func (d *Dir) make(name string) (bool, error) {
	err := unix.Mkdirat(d.base, name, 0o700)
	if err == unix.EEXIST {
		return false, nil
	} else if err != nil {
		return false, err
	}
	fd, st, err := openDir(d.base, name) // chmods first if a 0777 umask made it 0000
	if err != nil {
		unix.Unlinkat(d.base, name, unix.AT_REMOVEDIR)
		return false, ignoreGone(err)
	}
	if !ours(&st) {
		unix.Close(fd)
		return false, errNotOurs
	}
	d.lock = os.NewFile(uintptr(fd), filepath.Join(d.Base, name))
	d.name, d.id = name, idOf(&st)
	if err := unix.Fchmod(fd, 0o700); err != nil {
		return false, err // Wipe removes it
	}
	if err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); err == unix.EWOULDBLOCK {
		// A sweeper or Live holds it for a moment: give it up, empty.
		d.forget()
		unix.Unlinkat(d.base, name, unix.AT_REMOVEDIR)
		return false, nil
	} else if err != nil {
		return false, err // Wipe removes it
	}
	// A sweeper may have locked, wiped and removed the directory between
	// mkdir and flock; then the lock guards nothing.
	var now unix.Stat_t
	if unix.Fstatat(d.base, name, &now, unix.AT_SYMLINK_NOFOLLOW) != nil || idOf(&now) != d.id ||
		unix.Fstat(fd, &st) != nil || st.Nlink == 0 {
		d.forget()
		return false, nil
	}
	d.Path = filepath.Join(d.Base, name)
	return true, nil
}

// forget drops a run directory make gave up on, without removing it.
func (d *Dir) forget() {
	d.lock.Close()
	d.lock, d.name, d.id = nil, "", fileID{}
}

// Mkdir makes the directory name (slash-separated, relative to Path) with
// mode 0700. Its parent must exist; no symlink on the way is followed.
func (d *Dir) Mkdir(name string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	parent, last, err := d.openParent(name)
	if err != nil {
		return fmt.Errorf("mkdir %s: %w", name, err)
	}
	defer d.closeParent(parent)
	if err := unix.Mkdirat(parent, last, 0o700); err != nil {
		return fmt.Errorf("mkdir %s: %w", name, err)
	}
	fd, _, err := openDir(parent, last) // chmods first if a 0777 umask made it 0000
	if err == nil {
		err = unix.Fchmod(fd, 0o700) // defeat the umask
		unix.Close(fd)
	}
	if err != nil {
		return fmt.Errorf("mkdir %s: %w", name, err)
	}
	return nil
}

// WriteFile creates the new file name (slash-separated, relative to Path)
// with mode 0600, or 0700 if executable, and data as its content. See
// [Dir.WriteFileFunc].
func (d *Dir) WriteFile(name string, data []byte, executable bool) error {
	return d.WriteFileFunc(name, len(data), executable, func(b []byte) { copy(b, data) })
}

// WriteFileFunc creates the new file name (slash-separated, relative to
// Path) with mode 0600, or 0700 if executable, size bytes long, and has
// fill write its content straight into the file's pages, which are mlocked
// first when RLIMIT_MEMLOCK allows it; Locked tells whether they were.
// fill must write all of the slice it is given, and nothing else. An
// existing name, or a symlink on the way, is an error. No descriptor is
// kept open: the number of files is not bound by RLIMIT_NOFILE.
func (d *Dir) WriteFileFunc(name string, size int, executable bool, fill func([]byte)) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.writeFile(name, size, executable, fill); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

func (d *Dir) writeFile(name string, size int, executable bool, fill func([]byte)) error {
	mode := uint32(0o600)
	if executable {
		mode = 0o700
	}
	parent, last, err := d.openParent(name)
	if err != nil {
		return err
	}
	defer d.closeParent(parent)
	fd, err := unix.Openat(parent, last, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, mode)
	if err != nil {
		return err
	}
	// The mapping holds the file from here on: no descriptor is kept.
	defer unix.Close(fd)
	if err := unix.Fchmod(fd, mode); err != nil { // defeat the umask
		return err
	}
	if size == 0 {
		return nil
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	if err := allocate(fd, size); err != nil {
		return err
	}
	b, err := mmap(fd, size, unix.PROT_READ|unix.PROT_WRITE)
	if err != nil {
		return fmt.Errorf("mmap: %w", err)
	}
	keep := len(d.maps) < maxMapped
	m := mapping{b: b, id: idOf(&st)}
	if keep {
		if m.locked, err = lock(b); err != nil {
			munmap(b)
			return err
		}
		d.maps = append(d.maps, m)
	}
	err = noFault(func() { fill(b) })
	switch {
	case !keep:
		err = firstError(err, munmap(b))
	case executable && err == nil:
		// The kernel refuses to run a file mapped for writing
		// (ETXTBSY), so an executable keeps only a read-only mapping.
		d.maps = d.maps[:len(d.maps)-1]
		if err = munmap(b); err == nil {
			if m, err = mapReadOnly(parent, last, size); err == nil {
				d.maps = append(d.maps, m)
			}
		}
	}
	if err != nil {
		return err
	}
	d.total += size
	if m.locked {
		d.locked += size
	}
	return nil
}

// lock mlocks b, and reports false, nil when RLIMIT_MEMLOCK does not allow
// it: the file is then written unlocked.
func lock(b []byte) (bool, error) {
	switch err := unix.Mlock(b); err {
	case nil:
		return true, nil
	case unix.ENOMEM, unix.EPERM, unix.EAGAIN:
		return false, nil
	default:
		return false, fmt.Errorf("mlock: %w", err)
	}
}

// mapReadOnly maps the file name in dir read-only and locks it in memory
// when RLIMIT_MEMLOCK allows.
func mapReadOnly(dir int, name string, size int) (mapping, error) {
	fd, err := unix.Openat(dir, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return mapping{}, err
	}
	defer unix.Close(fd)
	b, err := mmap(fd, size, unix.PROT_READ)
	if err != nil {
		return mapping{}, fmt.Errorf("mmap: %w", err)
	}
	return mapping{b: b, locked: unix.Mlock(b) == nil, readOnly: true}, nil
}

// Symlink makes name (slash-separated, relative to Path) a symlink to the
// absolute path target. Nothing here ever follows it; the child may.
func (d *Dir) Symlink(target, name string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !filepath.IsAbs(target) {
		return fmt.Errorf("symlink %s: target %q is not absolute", name, target)
	}
	parent, last, err := d.openParent(name)
	if err != nil {
		return fmt.Errorf("symlink %s: %w", name, err)
	}
	defer d.closeParent(parent)
	if err := unix.Symlinkat(target, parent, last); err != nil {
		return fmt.Errorf("symlink %s: %w", name, err)
	}
	return nil
}

// Locked reports how many bytes of the written files are mlocked, and how
// many were written. locked < total means some file could swap.
func (d *Dir) Locked() (locked, total int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.locked, d.total
}

// LockFile returns the open directory whose flock marks the run directory
// as in use, or nil after Wipe. Pass it to the child (exec.Cmd.ExtraFiles)
// to keep the directory from being swept while an orphaned child lives.
func (d *Dir) LockFile() *os.File {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.lock
}

// openParent checks name and opens the directory that holds its last
// element, one element at a time from the run directory, following no
// symlink. The caller gives the descriptor back with closeParent: for a
// name at the top, it is the run directory's own.
func (d *Dir) openParent(name string) (int, string, error) {
	elems := strings.Split(name, "/")
	for _, e := range elems {
		if e == "" || e == "." || e == ".." {
			return -1, "", fmt.Errorf("invalid name %q: want a relative path without empty, \".\" or \"..\" elements", name)
		}
	}
	if d.lock == nil {
		return -1, "", errors.New("run directory already wiped")
	}
	fd := int(d.lock.Fd())
	for _, e := range elems[:len(elems)-1] {
		next, err := unix.Openat(fd, e, dirFlags, 0)
		d.closeParent(fd)
		if err != nil {
			return -1, "", err
		}
		fd = next
	}
	return fd, elems[len(elems)-1], nil
}

// closeParent closes a descriptor from openParent, unless it is the run
// directory's own.
func (d *Dir) closeParent(fd int) {
	if d.lock == nil || fd != int(d.lock.Fd()) {
		unix.Close(fd)
	}
}

// noFault runs f, which touches a file mapping, and turns a fault (SIGBUS
// when the file shrank under the mapping) into an error instead of a crash.
func noFault(f func()) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("fault on file mapping: %v", r)
		}
	}()
	f()
	return nil
}
