package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"rigup-exec/tmpfs"
	"rigup-exec/tmpl"
)

// createDir makes a private directory, in RAM unless --allow-disk, and
// warns when it is on disk.
func (c *CLI) createDir(ui *ui, rig string) (*tmpfs.Dir, error) {
	opt := tmpfs.Options{
		Rig:        rig,
		RuntimeDir: c.env.get("XDG_RUNTIME_DIR"),
		AllowDisk:  c.AllowDisk,
	}
	if c.AllowDisk {
		base := c.env.cacheDir()
		if base == "" {
			return nil, errors.New("no directory for --allow-disk: neither XDG_CACHE_HOME nor HOME is set")
		}
		opt.DiskDir = filepath.Join(base, "rigup-exec")
	}
	dir, err := tmpfs.Create(opt)
	var noRAM *tmpfs.NoRAMError
	if errors.As(err, &noRAM) {
		return nil, hint(fmt.Errorf("no private directory in RAM for the configs: %s", strings.Join(noRAM.Rejected, "; ")),
			"set XDG_RUNTIME_DIR to a 0700 tmpfs directory of yours, or pass --allow-disk to accept a directory on disk")
	}
	if err == nil && dir.FSType == "disk" {
		ui.warnf("%s is on disk (--allow-disk): wiping it afterwards is not reliable there", dir.Path)
	}
	return dir, err
}

// materialize writes the tree into dir as its layout says: directories as
// directories, templates rendered, the rest as links to its source.
func materialize(dir *tmpfs.Dir, tree *tmpl.Tree, res *tmpl.Result) error {
	for _, d := range tree.Layout.Dirs {
		if err := dir.Mkdir(d); err != nil {
			return err
		}
	}
	for _, f := range res.Files {
		if f.Private {
			continue // for the supervisor's memory only
		}
		// Rendered straight into the file's locked pages.
		if err := dir.WriteFileFunc(f.Name, f.Size, f.Mode&0o111 != 0, f.Fill); err != nil {
			return err
		}
	}
	for _, p := range tree.Layout.Links {
		if err := dir.Symlink(p.Source, p.Name); err != nil {
			return err
		}
	}
	return nil
}

// rigName labels the directory after the template root, with the hash
// that starts the name of a Nix store path (32 of [0-9a-z], then -) cut.
func rigName(root string) string {
	name := filepath.Base(root)
	if len(name) <= 32 || name[32] != '-' {
		return name
	}
	for i := 0; i < 32; i++ {
		if c := name[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'z') {
			return name
		}
	}
	return name[33:]
}

// startJanitor starts the watchdog for dir in a session of its own, where
// no terminal signal reaches it. It lives until rigup-exec exits; the pipe
// end that keeps it waiting is close-on-exec, so the child cannot hold it.
func startJanitor(dir string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	p, err := os.StartProcess(exe, []string{"rigup-exec", "janitor", dir}, &os.ProcAttr{
		Dir:   "/", // holds no directory of the user's busy
		Files: []*os.File{r},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	})
	if err != nil {
		w.Close()
		return err
	}
	p.Release()
	lifeline = w
	return nil
}

// lifeline is the write end of the janitor's pipe, open until exit.
var lifeline *os.File

// lockedSize is the memory that locking the rendered files takes: whole
// pages.
func lockedSize(res *tmpl.Result) int {
	page := os.Getpagesize()
	n := 0
	for _, f := range res.Files {
		n += (f.Size + page - 1) / page * page
	}
	return n
}

// linkUserConfig links each entry of the user's config directory from that
// the tree does not provide at its top level into dir: tools find the
// user's own settings, and what they save there persists. What the rig
// provides wins. The wipe unlinks the links; it never follows them.
func linkUserConfig(dir *tmpfs.Dir, tree *tmpl.Tree, from string) error {
	entries, err := os.ReadDir(from)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("your config directory: %w", err)
	}
	provided := map[string]bool{}
	for _, d := range tree.Layout.Dirs {
		provided[topLevel(d)] = true
	}
	for _, f := range tree.Templates {
		name := f.Name
		if f.Private { // the agent's configuration goes there
			name = strings.TrimPrefix(name, tmpl.PrivateDir+string(filepath.Separator))
		}
		provided[topLevel(name)] = true
	}
	for _, p := range tree.Layout.Links {
		provided[topLevel(p.Name)] = true
	}
	for _, e := range entries {
		if provided[e.Name()] {
			continue
		}
		if err := dir.Symlink(filepath.Join(from, e.Name()), e.Name()); err != nil {
			return err
		}
	}
	return nil
}

func topLevel(name string) string {
	first, _, _ := strings.Cut(filepath.ToSlash(name), "/")
	return first
}
