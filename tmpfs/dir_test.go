//go:build linux

package tmpfs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestNames(t *testing.T) {
	shm := shmBase(t)
	a := newDir(t, Options{Rig: "gh", ShmDir: shm})
	b := newDir(t, Options{Rig: "gh", ShmDir: shm})
	if a.Path == b.Path {
		t.Fatalf("two runs share %s", a.Path)
	}
	name := regexp.MustCompile(`^rigup-gh-[a-z2-7]{13,}$`)
	for _, d := range []*Dir{a, b} {
		if !name.MatchString(filepath.Base(d.Path)) || filepath.Dir(d.Path) != shm || d.Base != shm {
			t.Errorf("run directory %s in %s", d.Path, d.Base)
		}
	}
	c := newDir(t, Options{Rig: "My Rig/../x", ShmDir: shm})
	if !regexp.MustCompile(`^rigup-my-rig-\.\.-x-[a-z2-7]{13,}$`).MatchString(filepath.Base(c.Path)) || filepath.Dir(c.Path) != shm {
		t.Errorf("run directory %s", c.Path)
	}
}

func TestBadNames(t *testing.T) {
	d := newDir(t, Options{ShmDir: shmBase(t)})
	for _, name := range []string{"", "/etc/passwd", "..", "../x", "a/../b", "a//b", "./a", "a/", "."} {
		for op, err := range map[string]error{
			"WriteFile": d.WriteFile(name, []byte("x"), false),
			"Mkdir":     d.Mkdir(name),
			"Symlink":   d.Symlink("/etc", name),
		} {
			if err == nil || !strings.Contains(err.Error(), "invalid name") {
				t.Errorf("%s(%q): %v", op, name, err)
			}
		}
	}
	if err := d.Symlink("relative/target", "link"); err == nil {
		t.Error("Symlink accepted a relative target")
	}
}

func TestSymlink(t *testing.T) {
	d := newDir(t, Options{ShmDir: shmBase(t)})
	if err := d.Mkdir("git"); err != nil {
		t.Fatal(err)
	}
	if err := d.Symlink("/etc/gitconfig", "git/config"); err != nil {
		t.Fatal(err)
	}
	if got, err := os.Readlink(filepath.Join(d.Path, "git/config")); err != nil || got != "/etc/gitconfig" {
		t.Errorf("readlink: %q, %v", got, err)
	}
}

// TestPlanted checks that nothing follows a symlink the child planted in
// the run directory, and that WriteFile never replaces a file.
func TestPlanted(t *testing.T) {
	d := newDir(t, Options{ShmDir: shmBase(t)})
	outside := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(d.Path, "gh")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "token"), filepath.Join(d.Path, "token")); err != nil {
		t.Fatal(err)
	}
	for what, err := range map[string]error{
		"write through a symlinked directory": d.WriteFile("gh/hosts.yml", []byte("secret"), false),
		"write onto a symlink":                d.WriteFile("token", []byte("secret"), false),
		"mkdir through a symlinked directory": d.Mkdir("gh/sub"),
		"symlink through a symlinked dir":     d.Symlink("/etc", "gh/link"),
	} {
		if err == nil {
			t.Errorf("%s: no error", what)
		}
	}
	for _, name := range []string{"hosts.yml", "token", "sub", "link"} {
		if exists(t, filepath.Join(outside, name)) {
			t.Errorf("%s was created outside the run directory", name)
		}
	}

	if err := d.WriteFile("a", []byte("first"), false); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteFile("a", []byte("second"), false); !errors.Is(err, fs.ErrExist) {
		t.Errorf("second WriteFile: %v, want ErrExist", err)
	}
	if err := d.Mkdir("a"); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Mkdir over a file: %v, want ErrExist", err)
	}
	if b, _ := os.ReadFile(filepath.Join(d.Path, "a")); string(b) != "first" {
		t.Errorf("file holds %q", b)
	}
}

func TestAfterWipe(t *testing.T) {
	d := newDir(t, Options{ShmDir: shmBase(t)})
	if err := d.Wipe(); err != nil {
		t.Fatal(err)
	}
	if d.WriteFile("a", []byte("x"), false) == nil || d.Mkdir("b") == nil || d.LockFile() != nil {
		t.Error("the Dir still works after Wipe")
	}
}

func TestMlock(t *testing.T) {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_MEMLOCK, &rl); err != nil {
		t.Fatal(err)
	}
	d := newDir(t, Options{ShmDir: shmBase(t)})
	data := bytes.Repeat([]byte("k"), 10000)
	for _, name := range []string{"a", "b"} {
		if err := d.WriteFile(name, data, false); err != nil {
			t.Fatal(err)
		}
	}
	locked, total := d.Locked()
	if total != 20000 {
		t.Errorf("total %d, want 20000", total)
	}
	if os.Geteuid() != 0 && rl.Cur < 1<<20 {
		t.Skipf("RLIMIT_MEMLOCK is %d", rl.Cur)
	}
	if locked != total {
		t.Errorf("locked %d of %d bytes", locked, total)
	}
	if got := vmLck(t); got < locked {
		t.Errorf("kernel says %d bytes locked, Locked says %d", got, locked)
	}
}

// TestNoDescriptorKept writes more files than a low RLIMIT_NOFILE would
// allow descriptors for: each keeps a mapping, and no descriptor.
func TestNoDescriptorKept(t *testing.T) {
	d := newDir(t, Options{ShmDir: shmBase(t)})
	before := openFDs(t)
	for i := range 300 {
		if err := d.WriteFile(fmt.Sprintf("f%03d", i), []byte("secret"), i%100 == 0); err != nil {
			t.Fatal(err)
		}
	}
	if after := openFDs(t); after != before {
		t.Errorf("%d descriptors open after writing 300 files, %d before", after, before)
	}
	if n := mappedFiles(t, d.Path); n != 300 {
		t.Errorf("%d of the 300 files are mapped", n)
	}
}

// TestMappingBudget writes more files than maxMapped: the files past it
// keep no mapping, and every file is still wiped.
func TestMappingBudget(t *testing.T) {
	defer func(n int) { maxMapped = n }(maxMapped)
	maxMapped = 4
	shm := shmBase(t)
	d := newDir(t, Options{ShmDir: shm})
	secret := bytes.Repeat([]byte("s3cret!"), 1000)
	for i := range 10 {
		if err := d.WriteFile(fmt.Sprintf("f%d", i), secret, false); err != nil {
			t.Fatal(err)
		}
	}
	if n := mappedFiles(t, d.Path); n != 4 {
		t.Errorf("%d files mapped, want 4", n)
	}
	if locked, total := d.Locked(); total != 10*len(secret) || locked > 4*len(secret) {
		t.Errorf("Locked() = %d, %d; want at most %d of %d", locked, total, 4*len(secret), 10*len(secret))
	}
	for i := range 10 {
		if b, err := os.ReadFile(filepath.Join(d.Path, fmt.Sprintf("f%d", i))); err != nil || !bytes.Equal(b, secret) {
			t.Errorf("f%d holds %d bytes, %v", i, len(b), err)
		}
	}
	// A mapped file the child moved out of the directory is zeroed
	// through its mapping; one renamed inside it by the walk.
	moved := filepath.Join(shm, "moved")
	if err := os.Rename(filepath.Join(d.Path, "f0"), moved); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(d.Path, "f9"), filepath.Join(d.Path, "renamed")); err != nil {
		t.Fatal(err)
	}
	if err := d.Wipe(); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(moved); err != nil || len(b) != len(secret) || !allZero(b) {
		t.Errorf("the moved file after Wipe: %d bytes, %d of them zero, %v", len(b), bytes.Count(b, []byte{0}), err)
	}
	if exists(t, d.Path) {
		t.Errorf("%s survived", d.Path)
	}
}

// TestMlockLimit writes a 64 KiB file under a 4 KiB RLIMIT_MEMLOCK: it must
// work, unlocked, and say so.
func TestMlockLimit(t *testing.T) {
	d := newDir(t, Options{ShmDir: shmBase(t)})
	var old unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_MEMLOCK, &old); err != nil {
		t.Fatal(err)
	}
	if err := unix.Setrlimit(unix.RLIMIT_MEMLOCK, &unix.Rlimit{Cur: 4096, Max: old.Max}); err != nil {
		t.Skipf("cannot lower RLIMIT_MEMLOCK: %v", err)
	}
	defer unix.Setrlimit(unix.RLIMIT_MEMLOCK, &old)

	data := bytes.Repeat([]byte("k"), 64<<10)
	errc := make(chan error)
	go func() {
		// CAP_IPC_LOCK ignores the limit. Capabilities belong to a thread:
		// drop it on one that dies with this goroutine (no UnlockOSThread).
		runtime.LockOSThread()
		hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
		var caps [2]unix.CapUserData
		if err := unix.Capget(&hdr, &caps[0]); err != nil {
			errc <- err
			return
		}
		caps[0].Effective &^= 1 << unix.CAP_IPC_LOCK
		if err := unix.Capset(&hdr, &caps[0]); err != nil {
			errc <- err
			return
		}
		errc <- d.WriteFile("big", data, false)
	}()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	locked, total := d.Locked()
	if total != len(data) || locked >= total {
		t.Errorf("Locked() = %d, %d; want less than %d locked", locked, total, len(data))
	}
	if got := vmLck(t); got >= total {
		t.Errorf("kernel says %d bytes locked", got)
	}
	if b, err := os.ReadFile(filepath.Join(d.Path, "big")); err != nil || !bytes.Equal(b, data) {
		t.Errorf("read back %d bytes, %v", len(b), err)
	}
}

// TestNoFault checks that touching a mapping past the end of a file the
// child truncated gives an error, not a crash.
func TestNoFault(t *testing.T) {
	f, err := os.Create(filepath.Join(shmBase(t), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(3 * 4096); err != nil {
		t.Fatal(err)
	}
	b, err := unix.Mmap(int(f.Fd()), 0, 3*4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(b)
	if err := f.Truncate(0); err != nil {
		t.Fatal(err)
	}
	if err := noFault(func() { clear(b) }); err == nil {
		t.Error("no error for a fault")
	}
}

// An executable file can be run while the Dir holds it (no writable handle
// is kept: the kernel would refuse with ETXTBSY), stays locked, and is
// still wiped.
func TestExecutable(t *testing.T) {
	d := newDir(t, Options{ShmDir: shmBase(t)})
	if err := d.WriteFile("tool", []byte("#!/bin/sh\necho ran\n"), true); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(filepath.Join(d.Path, "tool")).Output()
	if err != nil || string(out) != "ran\n" {
		t.Fatalf("running it: %q, %v", out, err)
	}
	if locked, total := d.Locked(); locked != total && os.Geteuid() == 0 {
		t.Errorf("locked %d of %d bytes", locked, total)
	}
	keep, err := os.Open(filepath.Join(d.Path, "tool"))
	if err != nil {
		t.Fatal(err)
	}
	defer keep.Close()
	if err := d.Wipe(); err != nil {
		t.Fatal(err)
	}
	left, _ := io.ReadAll(keep)
	if !allZero(left) {
		t.Errorf("after Wipe the file holds %q", left)
	}
}
