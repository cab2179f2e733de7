package project

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// writeAtomic replaces path with data so that, whatever happens, path holds
// either its old or its new content: the data goes to a new file of an
// unpredictable name next to it (created with O_EXCL), which is synced,
// renamed over path, and the directory synced. The file keeps the mode of
// the one it replaces, else gets mode.
func (p *Project) writeAtomic(path string, data []byte, mode fs.FileMode) (err error) {
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
	p.step(path, "temp-created")
	if _, err := f.Write(data); err != nil {
		return err
	}
	p.step(path, "temp-written")
	if err := f.Chmod(mode); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	p.step(path, "temp-synced")
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	p.step(path, "renamed")
	return syncDir(dir)
}

func (p *Project) step(path, step string) {
	if p.Hook != nil {
		p.Hook(filepath.Base(path), step)
	}
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
