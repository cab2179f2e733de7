package sandbox

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// execDir makes a directory that other users may enter, so that nobody can
// run what is in it when the test runs as root.
func execDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "rigup-sandbox-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o711); err != nil {
		t.Fatal(err)
	}
	return dir
}

// dumpable runs the test binary at path and returns what PR_GET_DUMPABLE
// says there. Root may read any file, so as root the program runs as
// nobody.
func dumpable(t *testing.T, path string) string {
	t.Helper()
	cmd := exec.Command(path)
	cmd.Env = append(os.Environ(), roleVar+"=dumpable")
	if os.Geteuid() == 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", path, err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestExecOnlyCopy(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := execDir(t)
	cp, err := ExecOnlyCopy(dir, self)
	if err != nil {
		t.Fatal(err)
	}
	if cp != filepath.Join(dir, filepath.Base(self)) {
		t.Errorf("copy at %s", cp)
	}
	src, _ := os.Stat(self)
	fi, err := os.Lstat(cp)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != 0o111 || fi.Size() != src.Size() {
		t.Errorf("copy: mode %v, %d bytes; expected ---x--x--x, %d bytes", fi.Mode(), fi.Size(), src.Size())
	}

	// Control: the same program, readable, leaves the process dumpable.
	readable := filepath.Join(execDir(t), "readable")
	copyFile(t, self, readable, 0o755)
	if got := dumpable(t, readable); got != "1 <nil>" {
		t.Fatalf("readable copy: PR_GET_DUMPABLE gives %q, expected 1", got)
	}
	if got := dumpable(t, cp); got != "0 <nil>" {
		t.Errorf("execute-only copy: PR_GET_DUMPABLE gives %q, expected 0", got)
	}

	if _, err := ExecOnlyCopy(dir, self); !errors.Is(err, fs.ErrExist) {
		t.Errorf("second copy: %v, expected it to exist", err)
	}

	// A symlink where the copy goes is not followed.
	trap := execDir(t)
	target := filepath.Join(t.TempDir(), "target")
	if err := os.WriteFile(target, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(trap, filepath.Base(self))); err != nil {
		t.Fatal(err)
	}
	if _, err := ExecOnlyCopy(trap, self); err == nil {
		t.Error("copied through a symlink")
	}
	if data, _ := os.ReadFile(target); string(data) != "mine" {
		t.Errorf("symlink target now holds %d bytes", len(data))
	}

	if _, err := ExecOnlyCopy(dir, t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("copy of a directory: %v", err)
	}
	if _, err := ExecOnlyCopy(dir, filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("copy of a missing file: %v", err)
	}
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}
