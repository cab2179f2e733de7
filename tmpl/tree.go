package tmpl

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// maxTemplateSize is the largest template. A larger file that would be a
// template (it holds "{{" and "secrets." with only blanks between, and no
// NUL byte) is a problem that Render reports; any other larger file is a
// plain file, linked unchanged.
const maxTemplateSize = 16 << 20

// Tree is a scanned template root.
type Tree struct {
	Root      string
	Dirs      []string    // relative paths of all directories, parents first
	Templates []*File     // files with placeholders (or escapes, or problems)
	Plain     []PlainFile // every other file
	// Layout is what a run writes. A tree read from an index (see
	// LoadCached) has only Templates and Layout, and PlainCount.
	Layout     Layout
	PlainCount int // len(Plain) of the scan

	check func(name string, info fs.FileInfo) error
}

// Layout is how a rendered directory is built from a tree: the templates
// are written, and so are these directories, and the rest is linked. Each
// top-level directory is made, so that the tool it belongs to can write
// its own files there, and so is each directory that holds a template at
// some depth. Below the top level, a directory that holds no template is
// one link to its source, however many files it has: a run costs what its
// templates cost, not what the rig's plain files count.
type Layout struct {
	Dirs  []string    // to make, parents first
	Links []PlainFile // plain files in those directories, and whole directories
}

// layout works out t.Layout from the scan.
func (t *Tree) layout() {
	above := map[string]bool{} // directories that hold a template
	for _, f := range t.Templates {
		for d := filepath.Dir(f.Name); d != "."; d = filepath.Dir(d) {
			above[d] = true
		}
	}
	made := map[string]bool{".": true}
	var l Layout
	for _, d := range t.Dirs {
		parent := filepath.Dir(d)
		switch {
		case private(d):
			// rendered in memory only
		case !made[parent]:
			// inside a directory that is linked whole
		case parent == "." || above[d]:
			made[d] = true
			l.Dirs = append(l.Dirs, d)
		default:
			l.Links = append(l.Links, PlainFile{Name: d, Source: filepath.Join(t.Root, d)})
		}
	}
	for _, p := range t.Plain {
		if made[filepath.Dir(p.Name)] && !private(p.Name) {
			l.Links = append(l.Links, p)
		}
	}
	t.Layout = l
	t.PlainCount = len(t.Plain)
}

// File is a template in a Tree.
type File struct {
	*Template             // Name is the path relative to the root
	Mode      fs.FileMode // permission bits of the source file
	Private   bool        // under PrivateDir: rendered in memory only
}

// PrivateDir is the directory of a template root whose files are rendered
// into memory only, never into the rendered directory: MCP server
// definitions whose secrets the command itself must not be able to read.
// Every file in it is a template, placeholders or not.
const PrivateDir = ".rigup-private"

// private reports whether name, relative to the root, is under PrivateDir.
func private(name string) bool {
	return name == PrivateDir || strings.HasPrefix(name, PrivateDir+string(filepath.Separator))
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
//
// check, if not nil, is called with the relative name and the information
// (symlinks followed) of every directory and file under the root before it
// is read; an error it returns ends the walk and is returned as it is.
func Load(root string, check func(name string, info fs.FileInfo) error) (*Tree, error) {
	info, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("template root: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("template root %s is not a directory", root)
	}
	t := &Tree{Root: root, check: check}
	if err := t.walk(".", root, []fs.FileInfo{info}); err != nil {
		return nil, err
	}
	t.layout()
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
		if t.check != nil {
			if err := t.check(name, info); err != nil {
				return err
			}
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
	src, large, err := readTemplate(full, info.Size())
	if err != nil {
		return fmt.Errorf("template root: %s: %w", name, err)
	}
	if private(name) {
		var tp *Template
		if large == nil {
			tp = parseTemplate(name, src)
		} else {
			tp = &Template{Name: name}
			tp.problem(0, 0, fmt.Sprintf("a private file of %.1f MiB: it may be at most %d MiB",
				math.Ceil(float64(large.size)*10/(1<<20))/10, maxTemplateSize>>20))
		}
		t.Templates = append(t.Templates, &File{Template: tp, Mode: info.Mode().Perm(), Private: true})
		return nil
	}
	switch {
	case large != nil:
		if large.placeholder {
			t.Templates = append(t.Templates, &File{Template: tooLarge(name, large), Mode: info.Mode().Perm()})
			return nil
		}
	case bytes.IndexByte(src, 0) < 0:
		if tp := parseTemplate(name, src); tp.IsTemplate() {
			t.Templates = append(t.Templates, &File{Template: tp, Mode: info.Mode().Perm()})
			return nil
		}
	}
	t.Plain = append(t.Plain, PlainFile{Name: name, Source: full})
	return nil
}

// errChanged is returned for a file whose size changed while it was read.
var errChanged = errors.New("changed while it was read")

// readTemplate reads the file at path, of size bytes as stat said, into a
// buffer of exactly that size: one open, two reads (the second to see the
// end) and a close, so that a root of many templates costs few system
// calls, and a large one no copies. A file over maxTemplateSize is scanned
// instead, in bounded memory, and not kept.
func readTemplate(path string, size int64) ([]byte, *largeFile, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	defer syscall.Close(fd)
	if size > maxTemplateSize {
		large, err := scanLarge(fd)
		return nil, large, err
	}
	src := make([]byte, size)
	for n := 0; n < len(src); {
		m, err := syscall.Read(fd, src[n:])
		if err != nil {
			return nil, nil, err
		}
		if m == 0 {
			return nil, nil, errChanged
		}
		n += m
	}
	var more [1]byte
	if m, err := syscall.Read(fd, more[:]); err != nil {
		return nil, nil, err
	} else if m > 0 {
		return nil, nil, errChanged
	}
	return src, nil, nil
}

// largeFile is what scanLarge found in a file over maxTemplateSize.
type largeFile struct {
	size        int64
	placeholder bool // it holds the start of a placeholder, and no NUL byte
	line, col   int  // where the first placeholder starts
}

// scanLarge reads the file open at fd to its end, 64 KiB at a time, and
// tells whether it would be a template if it were small enough: whether it
// holds "{{", blanks, "secrets." (what Parse takes for a placeholder or an
// escaped one) and no NUL byte.
func scanLarge(fd int) (*largeFile, error) {
	var (
		f         largeFile
		buf       = make([]byte, 64<<10)
		state     int // bytes of "{{" and then of "secrets." matched; blanks between keep it at 2
		line      = 1
		lineStart int64 // offset of the current line, while no placeholder is found
		tagStart  int64 // offset of the "{{" being matched
	)
	for off := int64(0); ; {
		n, err := syscall.Read(fd, buf)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			f.size = off
			return &f, nil
		}
		chunk := buf[:n]
		if bytes.IndexByte(chunk, 0) >= 0 {
			f.placeholder = false
			f.size = off + int64(n)
			return &f, nil // never a template, whatever its size
		}
		if f.placeholder {
			off += int64(n)
			continue // only a NUL byte could change the verdict
		}
		for i := 0; i < n; i++ {
			c := chunk[i]
			switch {
			case state == 0:
				// Skip to the next brace, counting lines on the way.
				j := bytes.IndexByte(chunk[i:], '{')
				if j < 0 {
					j = n - i
				}
				if k := bytes.LastIndexByte(chunk[i:i+j], '\n'); k >= 0 {
					line += bytes.Count(chunk[i:i+j], []byte{'\n'})
					lineStart = off + int64(i+k+1)
				}
				i += j
				if i < n {
					state, tagStart = 1, off+int64(i)
				}
			case state == 1:
				state = 0
				if c == '{' {
					state = 2
				} else if c == '\n' {
					line, lineStart = line+1, off+int64(i+1)
				}
			case state == 2 && (c == ' ' || c == '\t'):
			case state == 2 && c == '{':
				if off+int64(i) == tagStart+2 {
					tagStart++ // "{{{": the last two braces open the tag
				} else {
					state, tagStart = 1, off+int64(i) // "{{ {"
				}
			case c == namespace[state-2]:
				state++
				if state == 2+len(namespace) {
					f.placeholder = true
					f.line, f.col = line, int(tagStart-lineStart)+1
					i = n // on to the NUL check of the rest
				}
			default:
				state = 0
				switch c {
				case '{':
					state, tagStart = 1, off+int64(i)
				case '\n':
					line, lineStart = line+1, off+int64(i+1)
				}
			}
		}
		off += int64(n)
	}
}

// tooLarge is the template of a file over maxTemplateSize that holds a
// placeholder: nothing to render, one problem to report.
func tooLarge(name string, f *largeFile) *Template {
	t := &Template{Name: name}
	t.problem(0, 0, fmt.Sprintf("a placeholder at line %d, column %d, in a file of %.1f MiB: a template may be at most %d MiB",
		f.line, f.col, math.Ceil(float64(f.size)*10/(1<<20))/10, maxTemplateSize>>20))
	return t
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

// Rendered is a rendered template, ready to be written out: Fill writes
// it, straight into where it goes, so that the whole file is never held in
// memory by the rendering itself.
type Rendered struct {
	Name    string
	Mode    fs.FileMode
	Size    int  // bytes Fill writes
	Private bool // under PrivateDir: for memory only
	r       *rendering
}

// Fill writes the rendered file into dst, which must be Size bytes long.
func (f Rendered) Fill(dst []byte) { f.r.fill(dst) }

// Values returns the values the file's placeholders resolved to, before
// escaping: what a private file's reader must keep where it belongs.
func (f Rendered) Values() []string { return f.r.raw }

// Result is the outcome of rendering a whole tree.
type Result struct {
	Files        []Rendered
	Placeholders int             // placeholders resolved
	Used         map[string]bool // paths referred to, as Path.String gives them
}

// Render resolves every placeholder of every template and checks that each
// .json or .toml template that was valid before is still valid after. It
// reports the problems of all files at once, as a Problems error, and then
// returns no file at all. It writes nothing anywhere but scratch memory for
// that check: the files are written afterwards by [Rendered.Fill].
func (t *Tree) Render(secrets *Secrets) (*Result, error) {
	res := &Result{Used: map[string]bool{}}
	var problems Problems
	var sc scratch
	defer sc.release()
	for _, f := range t.Templates {
		r, ps := f.resolve(secrets, res.Used)
		if len(ps) == 0 && f.needsFormatCheck() {
			buf := sc.get(r.size)
			r.fill(buf)
			if msg := f.checkFormat(buf); msg != "" {
				ps = Problems{{File: f.Name, Msg: msg}}
				r.wipe()
			}
			wipe(buf)
		}
		if len(ps) > 0 {
			problems = append(problems, ps...)
			continue
		}
		for _, s := range f.spans {
			if s.path != nil {
				res.Placeholders++
			}
		}
		res.Files = append(res.Files, Rendered{Name: f.Name, Mode: f.Mode, Size: r.size, Private: f.Private, r: r})
	}
	if len(problems) > 0 {
		res.Wipe()
		return nil, problems
	}
	return res, nil
}

// Wipe overwrites the values r holds. Fill must not be called after.
func (r *Result) Wipe() {
	for _, f := range r.Files {
		f.r.wipe()
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
