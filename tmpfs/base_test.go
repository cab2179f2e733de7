//go:build linux

package tmpfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func TestRuntimeDirChoice(t *testing.T) {
	shm := shmBase(t)
	disk := diskDir(t)
	good := mkdirMode(t, shm, "good", 0o700)
	open := mkdirMode(t, shm, "open", 0o755)
	file := filepath.Join(shm, "file")
	writeFile(t, file, nil, 0o600)
	links := t.TempDir()
	linkGood, linkDisk := filepath.Join(links, "good"), filepath.Join(links, "disk")
	if err := os.Symlink(good, linkGood); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(disk, linkDisk); err != nil {
		t.Fatal(err)
	}
	foreign, owner := foreignDir(t, shm, "foreign")

	tests := []struct {
		name, runtime string
		reason        string // "" when RuntimeDir must be chosen
	}{
		{"unset", "", "$XDG_RUNTIME_DIR is not set"},
		{"tmpfs 0700", good, ""},
		{"on disk", disk, fmt.Sprintf("$XDG_RUNTIME_DIR (%s) is not tmpfs or ramfs (", disk)},
		{"mode 0755", open, fmt.Sprintf("$XDG_RUNTIME_DIR (%s) has mode 0755, not 0700", open)},
		// Decision: a symlink is followed once and its target must qualify.
		{"symlink to tmpfs 0700", linkGood, ""},
		{"symlink to disk", linkDisk, fmt.Sprintf("(%s -> %s) is not tmpfs or ramfs", linkDisk, disk)},
		{"other owner", foreign, fmt.Sprintf("is owned by uid %d, not %d", owner, os.Geteuid())},
		{"relative", "run/user/1000", "$XDG_RUNTIME_DIR (run/user/1000) is not an absolute path"},
		{"missing", filepath.Join(shm, "missing"), "does not exist"},
		{"not a directory", file, "is not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, rejected, err := chooseBase(Options{RuntimeDir: tt.runtime, ShmDir: shm})
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(b.fd)
			want := shm
			if tt.reason == "" {
				want = good
			}
			if b.path != want || b.fstype != "tmpfs" {
				t.Errorf("chose %s (%s), want %s (tmpfs)", b.path, b.fstype, want)
			}
			switch {
			case tt.reason == "" && len(rejected) != 0:
				t.Errorf("rejected: %q", rejected)
			case tt.reason != "" && (len(rejected) != 1 || !strings.Contains(rejected[0], tt.reason)):
				t.Errorf("rejected %q, want one reason containing %q", rejected, tt.reason)
			}
		})
	}
}

func TestShmDirChoice(t *testing.T) {
	shm := shmBase(t)
	disk := diskDir(t)
	sticky := mkdirMode(t, shm, "sticky", 0o777|os.ModeSticky)
	open := mkdirMode(t, shm, "open", 0o777)
	tests := []struct {
		name, shm, reason string
	}{
		{"default /dev/shm", "", ""},
		{"private tmpfs dir", shm, ""},
		{"world-writable sticky", sticky, ""},
		{"world-writable, not sticky", open, "has mode 0777: writable by others without the sticky bit"},
		{"on disk", disk, disk + " is not tmpfs or ramfs ("},
	}
	if os.Geteuid() == 0 {
		foreign, _ := foreignDir(t, shm, "foreign")
		tests = append(tests, struct{ name, shm, reason string }{"other owner", foreign, "is owned by uid 65534, neither root nor 0"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, rejected, err := chooseBase(Options{ShmDir: tt.shm})
			if tt.reason == "" {
				if err != nil {
					t.Fatal(err)
				}
				unix.Close(b.fd)
				want, _ := filepath.EvalSymlinks(cmp(tt.shm, "/dev/shm"))
				if b.path != want || b.fstype != "tmpfs" {
					t.Errorf("chose %s (%s), want %s (tmpfs)", b.path, b.fstype, want)
				}
				return
			}
			if !errors.As(err, new(*NoRAMError)) || len(rejected) != 2 || !strings.Contains(rejected[1], tt.reason) {
				t.Errorf("got %v, want a NoRAMError with reason %q", err, tt.reason)
			}
		})
	}
}

func cmp(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

func TestNoRAM(t *testing.T) {
	disk := diskDir(t)
	d, err := Create(Options{ShmDir: disk})
	if err == nil {
		d.Wipe()
		t.Fatal("Create made a directory on disk without AllowDisk")
	}
	var e *NoRAMError
	if !errors.As(err, &e) {
		t.Fatalf("got %v, want a *NoRAMError", err)
	}
	want := []string{"$XDG_RUNTIME_DIR is not set", disk + " is not tmpfs or ramfs ("}
	if len(e.Rejected) != 2 || e.Rejected[0] != want[0] || !strings.HasPrefix(e.Rejected[1], want[1]) {
		t.Errorf("rejected %q, want %q", e.Rejected, want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%q does not say %q", err, w)
		}
	}
}

func TestAllowDisk(t *testing.T) {
	disk := diskDir(t)
	cache := filepath.Join(disk, "cache", "rigup-exec")
	d := newDir(t, Options{ShmDir: disk, AllowDisk: true, DiskDir: cache})
	if d.FSType != "disk" || d.Base != cache || filepath.Dir(d.Path) != cache {
		t.Errorf("got %s in %s (%s), want a directory in %s (disk)", d.Path, d.Base, d.FSType, cache)
	}
	if fi, err := os.Stat(cache); err != nil || fi.Mode() != os.ModeDir|0o700 {
		t.Errorf("disk base: %v, %v; want mode 0700", fi.Mode(), err)
	}
	var st unix.Statfs_t
	if err := unix.Statfs(d.Path, &st); err != nil {
		t.Fatal(err)
	}
	if m := uint32(st.Type); m == uint32(unix.TMPFS_MAGIC) || m == uint32(unix.RAMFS_MAGIC) {
		t.Errorf("statfs says RAM (0x%x) for a disk directory", m)
	}

	open := mkdirMode(t, disk, "open", 0o755)
	for _, tt := range []struct{ dir, want string }{
		{"", `disk base "" is not an absolute path`},
		{open, open + " has mode 0755, not 0700"},
	} {
		d, err := Create(Options{ShmDir: disk, AllowDisk: true, DiskDir: tt.dir})
		if err == nil {
			d.Wipe()
			t.Errorf("DiskDir %q accepted", tt.dir)
		} else if errors.As(err, new(*NoRAMError)) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("DiskDir %q: got %v, want %q", tt.dir, err, tt.want)
		}
	}
}

func TestFSType(t *testing.T) {
	shm := shmBase(t)
	runtime := mkdirMode(t, shm, "runtime", 0o700)
	for _, opt := range []Options{{RuntimeDir: runtime, ShmDir: "/nonexistent"}, {ShmDir: shm}, {}} {
		d := newDir(t, opt)
		var st unix.Statfs_t
		if err := unix.Statfs(d.Path, &st); err != nil {
			t.Fatal(err)
		}
		if d.FSType != "tmpfs" || uint32(st.Type) != uint32(unix.TMPFS_MAGIC) {
			t.Errorf("%s: FSType %s, statfs magic 0x%x", d.Path, d.FSType, uint32(st.Type))
		}
	}
}

func TestSanitizeRig(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", "rig"},
		{"gh", "gh"},
		{"My Rig/../x", "my-rig-..-x"},
		{"UPPER_case.1-2", "upper_case.1-2"},
		{"ü", "--"},
		{"a\x00b\nc", "a-b-c"},
		{strings.Repeat("x", 50), strings.Repeat("x", 40)},
	} {
		if got := sanitizeRig(tt.in); got != tt.want {
			t.Errorf("sanitizeRig(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestUmask(t *testing.T) {
	shm := shmBase(t)
	disk := diskDir(t)
	old := syscall.Umask(0o777)
	restored := false
	restore := func() {
		if !restored {
			syscall.Umask(old)
			restored = true
		}
	}
	defer restore()
	ram := newDir(t, Options{ShmDir: shm})
	ondisk := newDir(t, Options{ShmDir: disk, AllowDisk: true, DiskDir: filepath.Join(disk, "new", "base")})
	for _, d := range []*Dir{ram, ondisk} {
		for _, err := range []error{
			d.Mkdir("gh"),
			d.Mkdir("gh/sub"),
			d.WriteFile("gh/hosts.yml", []byte("token: x"), false),
			d.WriteFile("run.sh", []byte("#!/bin/sh\n"), true),
			d.WriteFile("empty", nil, false),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	restore()

	want := map[string]os.FileMode{
		ondisk.Base:                                os.ModeDir | 0o700,
		ram.Path:                                   os.ModeDir | 0o700,
		filepath.Join(ram.Path, "gh"):              os.ModeDir | 0o700,
		filepath.Join(ram.Path, "gh/sub"):          os.ModeDir | 0o700,
		filepath.Join(ram.Path, "gh/hosts.yml"):    0o600,
		filepath.Join(ram.Path, "run.sh"):          0o700,
		filepath.Join(ram.Path, "empty"):           0o600,
		ondisk.Path:                                os.ModeDir | 0o700,
		filepath.Join(ondisk.Path, "gh/sub"):       os.ModeDir | 0o700,
		filepath.Join(ondisk.Path, "run.sh"):       0o700,
		filepath.Join(ondisk.Path, "gh/hosts.yml"): 0o600,
	}
	for p, mode := range want {
		fi, err := os.Lstat(p)
		if err != nil {
			t.Error(err)
			continue
		}
		if fi.Mode() != mode {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode(), mode)
		}
		if uid := fi.Sys().(*syscall.Stat_t).Uid; int(uid) != os.Geteuid() {
			t.Errorf("%s: owned by uid %d", p, uid)
		}
	}
	if b, err := os.ReadFile(filepath.Join(ram.Path, "gh/hosts.yml")); err != nil || string(b) != "token: x" {
		t.Errorf("read back %q, %v", b, err)
	}
}
