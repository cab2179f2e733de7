package tmpl

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// MaxTemplateSize is the largest file that is read to look for placeholders;
// a larger file is a plain file, linked unchanged.
const MaxTemplateSize = 16 << 20

// Tree is a scanned template root.
type Tree struct {
	Root      string
	Dirs      []string    // relative paths of all directories, parents first
	Templates []*File     // files with placeholders (or escapes, or problems)
	Plain     []PlainFile // everything else, to be linked rather than copied
}

// File is a template in a Tree.
type File struct {
	*Template             // Name is the path relative to the root
	Mode      fs.FileMode // permission bits of the source file
}

// PlainFile is a file without placeholders. Source is its path under the
// root, symlinks not resolved, so that a link to it sees what the root sees.
type PlainFile struct {
	Name   string
	Source string
}

// Load walks the template root and parses every file that may be a
// template. The root and any entry under it may be a symlink, as the
// symlink forests of Nix's symlinkJoin are; a symlink that leads back to a
// directory being walked is an error. A dangling symlink is a plain file.
func Load(root string) (*Tree, error) {
	info, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("template root: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("template root %s is not a directory", root)
	}
	t := &Tree{Root: root}
	if err := t.walk(".", root, []fs.FileInfo{info}); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *Tree) walk(rel, dir string, ancestors []fs.FileInfo) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("template root: %w", err)
	}
	for _, e := range entries {
		name := filepath.Join(rel, e.Name())
		full := filepath.Join(dir, e.Name())
		info, err := os.Stat(full)
		if errors.Is(err, fs.ErrNotExist) && e.Type()&fs.ModeSymlink != 0 {
			t.Plain = append(t.Plain, PlainFile{Name: name, Source: full})
			continue
		}
		if err != nil {
			return fmt.Errorf("template root: %w", err)
		}
		switch {
		case info.IsDir():
			for _, a := range ancestors {
				if os.SameFile(a, info) {
					return fmt.Errorf("template root: symlink loop at %s", name)
				}
			}
			t.Dirs = append(t.Dirs, name)
			if err := t.walk(name, full, append(ancestors, info)); err != nil {
				return err
			}
		case info.Mode().IsRegular():
			if err := t.addFile(name, full, info); err != nil {
				return err
			}
		default:
			return fmt.Errorf("template root: %s is neither a regular file nor a directory", name)
		}
	}
	return nil
}

func (t *Tree) addFile(name, full string, info fs.FileInfo) error {
	if info.Size() > MaxTemplateSize {
		t.Plain = append(t.Plain, PlainFile{Name: name, Source: full})
		return nil
	}
	f, err := os.Open(full)
	if err != nil {
		return fmt.Errorf("template root: %w", err)
	}
	defer f.Close()
	src, err := io.ReadAll(io.LimitReader(f, MaxTemplateSize))
	if err != nil {
		return fmt.Errorf("template root: %w", err)
	}
	if bytes.IndexByte(src, 0) < 0 {
		if tp := Parse(name, src); tp.IsTemplate() {
			t.Templates = append(t.Templates, &File{Template: tp, Mode: info.Mode().Perm()})
			return nil
		}
	}
	t.Plain = append(t.Plain, PlainFile{Name: name, Source: full})
	return nil
}

// NeedsSecrets reports whether any template has a placeholder. A tree that
// has none renders without a secrets file and without a key.
func (t *Tree) NeedsSecrets() bool {
	for _, f := range t.Templates {
		if f.NeedsSecrets() {
			return true
		}
	}
	return false
}

// Rendered is a rendered template, ready to be written out.
type Rendered struct {
	Name string
	Mode fs.FileMode
	Data []byte
}

// Result is the outcome of rendering a whole tree.
type Result struct {
	Files        []Rendered
	Placeholders int             // placeholders resolved
	Used         map[string]bool // paths referred to, as Path.String gives them
}

// Render renders every template of the tree. It reports the problems of all
// files at once, as a Problems error, and then returns no file at all.
func (t *Tree) Render(secrets *Secrets) (*Result, error) {
	res := &Result{Used: map[string]bool{}}
	var problems Problems
	for _, f := range t.Templates {
		data, ps := f.Render(secrets, res.Used)
		if len(ps) > 0 {
			problems = append(problems, ps...)
			continue
		}
		for _, s := range f.spans {
			if s.path != nil {
				res.Placeholders++
			}
		}
		res.Files = append(res.Files, Rendered{Name: f.Name, Mode: f.Mode, Data: data})
	}
	if len(problems) > 0 {
		res.Wipe()
		return nil, problems
	}
	return res, nil
}

// Wipe overwrites the rendered bytes held by r.
func (r *Result) Wipe() {
	for _, f := range r.Files {
		clear(f.Data)
	}
}

// Unused returns the leaves of secrets that no placeholder in the rendering
// referred to.
func (r *Result) Unused(secrets *Secrets) []Path {
	var out []Path
	if secrets == nil {
		return nil
	}
	for _, p := range secrets.Leaves() {
		if !r.Used[p.String()] {
			out = append(out, p)
		}
	}
	return out
}
