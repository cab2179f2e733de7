package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

const recipientsFileName = "rigup.secrets.recipients"

// testHookWrite, when set (by a build for the end-to-end tests), is called
// at each step of writeAtomic, so that a test can kill rigup-exec there.
var testHookWrite func(file, step string)

func writeStep(path, step string) {
	if testHookWrite != nil {
		testHookWrite(filepath.Base(path), step)
	}
}

// writeAtomic replaces path with data so that, whatever happens (a crash, a
// full disk, a signal), path holds either its old or its new content: the
// data goes to a new file next to it, which is synced, renamed over path,
// and the directory synced. The file keeps the mode of the one it replaces,
// else gets mode.
func writeAtomic(path string, data []byte, mode fs.FileMode) (err error) {
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, tempPrefix(path)+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	writeStep(path, "temp-created")
	if _, err := f.Write(data); err != nil {
		return err
	}
	writeStep(path, "temp-written")
	if err := f.Chmod(mode); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	writeStep(path, "temp-synced")
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	writeStep(path, "renamed")
	return syncDir(dir)
}

// tempPrefix names the temporary files of writeAtomic for path: hidden,
// and recognisable as leftovers of a crash.
func tempPrefix(path string) string {
	return "." + filepath.Base(path) + ".tmp-"
}

// removeLeftovers removes the temporary files a crash in writeAtomic left
// next to path. They hold only ciphertext, or a recipients list.
func removeLeftovers(path string) {
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		return
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tempPrefix(path)) && e.Type().IsRegular() {
			os.Remove(filepath.Join(filepath.Dir(path), e.Name()))
		}
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, unix.EINVAL) {
		return err
	}
	return nil
}

// lockDir takes the lock that serialises changes to the secrets files in
// dir. The lock goes with the returned file.
func lockDir(dir, name string) (*os.File, error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(d.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		d.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, hint(fmt.Errorf("%s is being changed by another rigup-exec", name),
				"wait for it to finish, then try again")
		}
		return nil, fmt.Errorf("locking %s: %w", dir, err)
	}
	return d, nil
}
