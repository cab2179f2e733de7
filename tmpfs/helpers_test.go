//go:build linux

package tmpfs

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// requireShm skips unless /dev/shm is tmpfs, as it is on Linux CI runners.
func requireShm(t *testing.T) {
	t.Helper()
	var st unix.Statfs_t
	if err := unix.Statfs("/dev/shm", &st); err != nil || uint32(st.Type) != uint32(unix.TMPFS_MAGIC) {
		t.Skip("/dev/shm is not tmpfs here")
	}
}

// shmBase makes a private base on /dev/shm for one test, so that what sweep
// finds does not depend on other processes.
func shmBase(t *testing.T) string {
	t.Helper()
	requireShm(t)
	dir, err := os.MkdirTemp("/dev/shm", "tmpfs-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { forceRemove(dir) })
	return dir
}

// diskDir is a 0700 directory on disk (t.TempDir), skipping if it is on RAM.
func diskDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	if m := uint32(st.Type); m == uint32(unix.TMPFS_MAGIC) || m == uint32(unix.RAMFS_MAGIC) {
		t.Skip("the test's temporary directory is on RAM here")
	}
	return dir
}

// forceRemove removes dir even where a failed test left modes like 000.
func forceRemove(dir string) {
	filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if e != nil && e.IsDir() {
			os.Chmod(p, 0o700)
		}
		return nil
	})
	os.RemoveAll(dir)
}

// newDir creates a run directory wiped when the test ends.
func newDir(t *testing.T, opt Options) *Dir {
	t.Helper()
	d, err := Create(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Wipe(); err != nil {
			t.Error(err)
		}
	})
	return d
}

// dropLock closes the Dir's own lock descriptor without wiping, as if
// rigup-exec had died.
func dropLock(t *testing.T, d *Dir) {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.lock.Close(); err != nil {
		t.Fatal(err)
	}
	d.lock = nil
}

// mkdirMode makes dir/name with exactly mode and returns its path.
func mkdirMode(t *testing.T, dir, name string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.Mkdir(p, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeFile writes a test fixture.
func writeFile(t *testing.T, p string, data []byte, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(p, data, mode); err != nil {
		t.Fatal(err)
	}
}

// foreignDir makes dir/name owned by another user when root can; otherwise
// it returns a root-owned directory (/dev/shm itself). It returns the path
// and its owner.
func foreignDir(t *testing.T, dir, name string) (string, uint32) {
	t.Helper()
	if os.Geteuid() != 0 {
		return "/dev/shm", 0
	}
	p := mkdirMode(t, dir, name, 0o700)
	writeFile(t, filepath.Join(p, "theirs"), []byte("theirs"), 0o600)
	if err := os.Chown(filepath.Join(p, "theirs"), 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(p, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	return p, 65534
}

// exists says whether p exists, without following a final symlink.
func exists(t *testing.T, p string) bool {
	t.Helper()
	_, err := os.Lstat(p)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return err == nil
}

// vmLck returns this process's locked memory, from /proc/self/status.
func vmLck(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	s := bufio.NewScanner(bytes.NewReader(b))
	for s.Scan() {
		if f := strings.Fields(s.Text()); len(f) == 3 && f[0] == "VmLck:" {
			kb, err := strconv.Atoi(f[1])
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmLck in /proc/self/status")
	return 0
}

// allZero says b holds only zero bytes.
func allZero(b []byte) bool {
	return bytes.Count(b, []byte{0}) == len(b)
}

// openFDs counts this process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// mappedFiles counts the mappings of this process of files under dir.
func mappedFiles(t *testing.T, dir string) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), " "+dir+"/")
}
