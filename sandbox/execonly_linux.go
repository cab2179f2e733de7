package sandbox

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// ExecOnlyCopy copies the program at path into dir, under the same base
// name, with mode 0111, and returns the copy's path: a process started from
// it is non-dumpable (see Execute-only copies in the package doc). dir
// should be a directory only the caller may write to. The copy never
// replaces anything already there, a symlink included. path must be a
// binary, not a script.
func ExecOnlyCopy(dir, path string) (string, error) {
	src, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("execute-only copy: %w", err)
	}
	defer src.Close()
	if fi, err := src.Stat(); err != nil {
		return "", fmt.Errorf("execute-only copy: %w", err)
	} else if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("execute-only copy: %s is not a regular file", path)
	}
	dst := filepath.Join(dir, filepath.Base(path))
	// No fork may happen while the copy is open for writing: a child
	// would hold it open until its exec, and running the copy meanwhile
	// would fail with ETXTBSY.
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o111)
	if err != nil {
		return "", fmt.Errorf("execute-only copy: %w", err)
	}
	_, err = io.Copy(f, src)
	if err == nil {
		err = f.Chmod(0o111) // the umask may have taken bits away
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst)
		return "", fmt.Errorf("execute-only copy of %s: %w", path, err)
	}
	return dst, nil
}
