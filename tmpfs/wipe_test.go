//go:build linux

package tmpfs

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestWipe renders files, lets a "child" make a mess of the directory, and
// checks that Wipe cleans all of it and nothing outside.
func TestWipe(t *testing.T) {
	shm := shmBase(t)
	d := newDir(t, Options{ShmDir: shm})
	secret := bytes.Repeat([]byte("s3cret!"), 1000)
	p := func(name string) string { return filepath.Join(d.Path, name) }

	if err := d.Mkdir("gh"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"gh/hosts.yml", "gh/config.yml", "cut.yml"} {
		if err := d.WriteFile(name, secret, false); err != nil {
			t.Fatal(err)
		}
	}
	// Descriptors a test keeps to look at the files' pages after Wipe.
	hosts, err := os.Open(p("gh/hosts.yml"))
	if err != nil {
		t.Fatal(err)
	}
	defer hosts.Close()
	replaced, err := os.Open(p("gh/config.yml"))
	if err != nil {
		t.Fatal(err)
	}
	defer replaced.Close()

	// What a child might do.
	writeFile(t, p("new.txt"), secret, 0o600)
	writeFile(t, p("readonly.txt"), secret, 0o400)
	writeFile(t, p("gh/config.yml.tmp"), secret, 0o600)
	if err := os.Rename(p("gh/config.yml.tmp"), p("gh/config.yml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(p("cut.yml"), 0); err != nil { // pages past EOF would fault
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o500, 0o000} {
		dir := mkdirMode(t, d.Path, "dir"+mode.String(), 0o700)
		writeFile(t, filepath.Join(dir, "f"), secret, 0o600)
		if err := os.Chmod(dir, mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := unix.Mkfifo(p("fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	userFile := filepath.Join(shm, "users-own-file") // same filesystem, outside the run dir
	writeFile(t, userFile, []byte("keep me"), 0o600)
	if err := os.Link(userFile, p("hardlink")); err != nil {
		t.Fatal(err)
	}
	userDir := t.TempDir()
	writeFile(t, filepath.Join(userDir, "keep"), []byte("keep me"), 0o600)
	if err := os.Symlink(userDir, p("dirlink")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(userFile, p("filelink")); err != nil {
		t.Fatal(err)
	}

	if err := d.Wipe(); err != nil {
		t.Fatal(err)
	}
	if exists(t, d.Path) {
		t.Errorf("%s survived", d.Path)
	}
	for f, want := range map[*os.File]int{hosts: -1, replaced: len(secret)} {
		b, err := io.ReadAll(f)
		if err != nil {
			t.Fatal(err)
		}
		if !allZero(b) || want >= 0 && len(b) != want {
			t.Errorf("%s after Wipe: %d bytes, %d of them zero", f.Name(), len(b), bytes.Count(b, []byte{0}))
		}
	}
	for _, f := range []string{userFile, filepath.Join(userDir, "keep")} {
		if b, err := os.ReadFile(f); err != nil || string(b) != "keep me" {
			t.Errorf("%s outside the run directory: %q, %v", f, b, err)
		}
	}
	if err := d.Wipe(); err != nil {
		t.Errorf("second Wipe: %v", err)
	}
}

// TestWalkSkipsZeroed checks that the walk leaves alone a file Wipe
// already zeroed through its mapping, and only if the file is no longer
// than what was zeroed: a file the child made longer is written again.
func TestWalkSkipsZeroed(t *testing.T) {
	dir := shmBase(t)
	fd, err := unix.Open(dir, dirFlags, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	zeroed := map[fileID]int64{}
	held := map[string]*os.File{}
	for name, n := range map[string]int64{"same": 6, "grown": 3} {
		writeFile(t, filepath.Join(dir, name), []byte("secret"), 0o600)
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var st unix.Stat_t
		if err := unix.Fstat(int(f.Fd()), &st); err != nil {
			t.Fatal(err)
		}
		zeroed[idOf(&st)] = n
		held[name] = f
	}
	if err := wipeTree(fd, zeroed); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"same": "secret", "grown": ""} {
		if b, _ := io.ReadAll(held[name]); string(b) != want {
			t.Errorf("%s after the walk: %q, want %q", name, b, want)
		}
		if exists(t, filepath.Join(dir, name)) {
			t.Errorf("%s not removed", name)
		}
	}
}

// TestUnmapAll checks that Wipe, which unmaps side-by-side mappings in one
// call, unmaps all of its own and nothing else: the test maps a file of its
// own while the files are written, which the kernel places among them.
func TestUnmapAll(t *testing.T) {
	shm := shmBase(t)
	d := newDir(t, Options{ShmDir: shm})
	mine := filepath.Join(shm, "mine")
	writeFile(t, mine, []byte("keep me"), 0o600)
	var kept []byte
	for i := range 20 {
		if i == 10 {
			f, err := os.Open(mine)
			if err != nil {
				t.Fatal(err)
			}
			kept, err = unix.Mmap(int(f.Fd()), 0, 7, unix.PROT_READ, unix.MAP_SHARED)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Munmap(kept)
		}
		if err := d.WriteFile(fmt.Sprintf("f%02d", i), bytes.Repeat([]byte("s"), 100*i+1), i%7 == 0); err != nil {
			t.Fatal(err)
		}
	}
	if n := mappedFiles(t, d.Path); n != 20 {
		t.Fatalf("%d files mapped, want 20", n)
	}
	if err := d.Wipe(); err != nil {
		t.Fatal(err)
	}
	if n := mappedFiles(t, d.Path); n != 0 {
		t.Errorf("%d files still mapped after Wipe", n)
	}
	if string(kept) != "keep me" {
		t.Errorf("a mapping not the Dir's holds %q after Wipe", kept)
	}
}

// TestZeroData checks the overwrite itself, which Wipe follows with a
// truncation that would hide it, and that holes stay holes.
func TestZeroData(t *testing.T) {
	f, err := os.OpenFile(filepath.Join(shmBase(t), "sparse"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const far = 256 << 20 // filling the hole would allocate 256 MiB
	for _, off := range []int64{0, 70000, far} {
		if _, err := f.WriteAt([]byte("secret"), off); err != nil {
			t.Fatal(err)
		}
	}
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if err := zeroData(int(f.Fd()), fi.Size()); err != nil {
		t.Fatal(err)
	}
	for _, off := range []int64{0, 70000, far} {
		b := make([]byte, 6)
		if _, err := f.ReadAt(b, off); err != nil || !allZero(b) {
			t.Errorf("at %d: %q, %v", off, b, err)
		}
	}
	if fi, err = f.Stat(); err != nil {
		t.Fatal(err)
	}
	if blocks := fi.Sys().(*syscall.Stat_t).Blocks; blocks > 1024 {
		t.Errorf("%d blocks allocated", blocks)
	}
}

func TestSweep(t *testing.T) {
	shm := shmBase(t)
	live := newDir(t, Options{ShmDir: shm})
	stale := newDir(t, Options{ShmDir: shm})
	if err := stale.WriteFile("hosts.yml", []byte("secret"), false); err != nil {
		t.Fatal(err)
	}
	dropLock(t, stale)

	// A symlink named like a run directory, to files that must survive.
	target := t.TempDir()
	writeFile(t, filepath.Join(target, "keep"), []byte("keep me"), 0o600)
	if err := os.Symlink(target, filepath.Join(shm, "rigup-evil")); err != nil {
		t.Fatal(err)
	}
	// A directory of ours that another process holds locked.
	other := mkdirMode(t, shm, "rigup-other", 0o700)
	writeFile(t, filepath.Join(other, "keep"), []byte("keep me"), 0o600)
	held, err := os.Open(other)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if err := unix.Flock(int(held.Fd()), unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(shm, "rigup-file"), []byte("keep me"), 0o600)
	mkdirMode(t, shm, "not-ours", 0o700)
	survivors := []string{live.Path, other, filepath.Join(other, "keep"), filepath.Join(shm, "rigup-evil"),
		filepath.Join(target, "keep"), filepath.Join(shm, "rigup-file"), filepath.Join(shm, "not-ours")}
	if os.Geteuid() == 0 {
		foreign, _ := foreignDir(t, shm, "rigup-foreign")
		survivors = append(survivors, foreign, filepath.Join(foreign, "theirs"))
	}

	n, err := sweep(shm)
	if err != nil || n != 1 {
		t.Errorf("sweep = %d, %v; want 1, nil", n, err)
	}
	if exists(t, stale.Path) {
		t.Errorf("stale %s survived", stale.Path)
	}
	for _, p := range survivors {
		if !exists(t, p) {
			t.Errorf("%s was removed", p)
		}
	}
	if !Live(live.Path) || Live(stale.Path) || !Live(other) {
		t.Errorf("Live: %v %v %v, want true false true", Live(live.Path), Live(stale.Path), Live(other))
	}

	// Released, the other directory is stale too; Create sweeps it.
	held.Close()
	d := newDir(t, Options{ShmDir: shm})
	if d.Swept != 1 || exists(t, other) {
		t.Errorf("Create swept %d; %s exists: %v", d.Swept, other, exists(t, other))
	}

	if err := live.Wipe(); err != nil {
		t.Fatal(err)
	}
	if Live(live.Path) || exists(t, live.Path) {
		t.Errorf("%s still there after Wipe", live.Path)
	}
}

// TestInheritedLock checks that a child given LockFile keeps the directory
// live after rigup-exec's own descriptor is gone.
func TestInheritedLock(t *testing.T) {
	shm := shmBase(t)
	d := newDir(t, Options{ShmDir: shm})
	cmd := exec.Command("sleep", "30")
	cmd.ExtraFiles = []*os.File{d.LockFile()}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := false
	stop := func() {
		if !waited {
			cmd.Process.Kill()
			cmd.Wait()
			waited = true
		}
	}
	defer stop()
	dropLock(t, d)

	if !Live(d.Path) {
		t.Error("not live while the child holds the lock")
	}
	if n, err := sweep(shm); n != 0 || err != nil || !exists(t, d.Path) {
		t.Errorf("sweep = %d, %v while the child holds the lock", n, err)
	}
	stop()
	if Live(d.Path) {
		t.Error("live after the child died")
	}
	if n, err := sweep(shm); n != 1 || err != nil || exists(t, d.Path) {
		t.Errorf("sweep = %d, %v after the child died", n, err)
	}
}

func TestLive(t *testing.T) {
	shm := shmBase(t)
	d := newDir(t, Options{ShmDir: shm})
	link := filepath.Join(shm, "rigup-link")
	if err := os.Symlink(d.Path, link); err != nil {
		t.Fatal(err)
	}
	// Open to others, and held locked: not a run directory of ours.
	open := mkdirMode(t, shm, "rigup-open", 0o755)
	held, err := os.Open(open)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if err := unix.Flock(int(held.Fd()), unix.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{
		d.Path: true, link: false, open: false, filepath.Join(shm, "rigup-missing"): false, shm: false,
	} {
		if got := Live(p); got != want {
			t.Errorf("Live(%s) = %v, want %v", p, got, want)
		}
	}
}

func TestRemove(t *testing.T) {
	shm := shmBase(t)
	d := newDir(t, Options{ShmDir: shm})
	if err := d.WriteFile("hosts.yml", []byte("secret"), false); err != nil {
		t.Fatal(err)
	}
	target := mkdirMode(t, shm, "target", 0o700)
	writeFile(t, filepath.Join(target, "keep"), []byte("keep me"), 0o600)
	link := filepath.Join(shm, "rigup-link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(shm, "rigup-file")
	writeFile(t, file, []byte("keep me"), 0o600)
	refused := []string{target, link, file}
	if os.Geteuid() == 0 {
		foreign, _ := foreignDir(t, shm, "rigup-foreign")
		refused = append(refused, foreign)
	}
	for _, p := range refused {
		if err := Remove(p); err == nil || !exists(t, p) {
			t.Errorf("Remove(%s) = %v", p, err)
		}
	}
	if !exists(t, filepath.Join(target, "keep")) {
		t.Error("Remove followed a symlink")
	}
	for _, p := range []string{filepath.Join(shm, "rigup-missing"), "/nonexistent/rigup-x"} {
		if err := Remove(p); err != nil {
			t.Errorf("Remove(%s) = %v, want nil", p, err)
		}
	}
	// A live run directory: Remove does not ask for the lock.
	if err := Remove(d.Path); err != nil || exists(t, d.Path) {
		t.Errorf("Remove(%s) = %v", d.Path, err)
	}
	if err := d.Wipe(); err != nil {
		t.Errorf("Wipe after Remove: %v", err)
	}
}
