package exec

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// NotFoundError reports a command that is not on PATH or does not exist.
// Shells give status 127 for it.
type NotFoundError struct {
	Name string
}

func (e *NotFoundError) Error() string {
	if strings.Contains(e.Name, "/") {
		return fmt.Sprintf("%s: no such file", e.Name)
	}
	return fmt.Sprintf("%s: command not found", e.Name)
}

// CannotRunError reports a command that exists but cannot be executed: not
// executable, a directory, or a file the kernel refuses. Shells give status
// 126 for it.
type CannotRunError struct {
	Path string
	Err  error
}

func (e *CannotRunError) Error() string { return fmt.Sprintf("%s: %v", e.Path, e.Err) }
func (e *CannotRunError) Unwrap() error { return e.Err }

var errNotExecutable = errors.New("permission denied: not an executable file")

// LookPath finds name the way execvp does, in the directories of path (the
// value of PATH), without a shell. A name with a slash is used as it is. An
// empty element of path means the working directory. When every match is
// unusable it returns a *CannotRunError, and a *NotFoundError when there is
// none.
func LookPath(name, path string) (string, error) {
	if name == "" {
		return "", &NotFoundError{Name: name}
	}
	if strings.Contains(name, "/") {
		if err := executable(name); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return "", &NotFoundError{Name: name}
			}
			return "", &CannotRunError{Path: name, Err: err}
		}
		return name, nil
	}
	var unusable *CannotRunError
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		if dir == "." {
			p = "./" + name
		}
		err := executable(p)
		if err == nil {
			return p, nil
		}
		// A directory of PATH that cannot be searched hides nothing
		// that could be run: go on, as shells do.
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrPermission) && unusable == nil {
			unusable = &CannotRunError{Path: p, Err: err}
		}
	}
	if unusable != nil {
		return "", unusable
	}
	return "", &NotFoundError{Name: name}
}

// executable reports why p cannot be executed, if it cannot.
func executable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ENOTDIR) {
			return fs.ErrNotExist
		}
		return err
	}
	if fi.IsDir() {
		return errors.New("is a directory")
	}
	if err := unix.Faccessat(unix.AT_FDCWD, p, unix.X_OK, unix.AT_EACCESS); err != nil {
		return errNotExecutable
	}
	return nil
}
