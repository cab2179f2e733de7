package tmpl

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// A template root in the Nix store never changes, so which of its files
// are templates, and the layout a run makes of it, need to be found once.
// Index keeps that in a small file per root in the user's cache directory,
// and a later run reads only the templates: a rig of thousands of plain
// files costs what its templates cost. The index holds relative paths and
// modes, never a value: the templates are read on every run.

// Index is where layouts of immutable template roots are kept.
type Index struct {
	Dir   string // the index files' directory, made 0700 if missing; "" keeps none
	Store string // the Nix store, as /nix/store; only roots in it are indexed
}

// indexMagic starts an index file; a change of format changes it.
const indexMagic = "rigup-exec template index 1"

// Load is the package's Load for a root that the index may cover, and
// tells whether the tree came from the index. A root is covered when it
// lies in the store and looks as Nix leaves a store path, read-only with a
// modification time of 1 s; its index is used only if it was made from a
// root of the same device, inode and change time, which a chmod or a
// rebuild of the path changes. An index that is missing, not the user's
// own, writable by others, stale or malformed is ignored, and rewritten
// after a full scan; failing to write it only costs the next run a scan.
//
// check is called on each entry by a full scan only: a root that Nix keeps
// read-only was checked, entry by entry, when its index was made.
func (x Index) Load(root string, check func(name string, info fs.FileInfo) error) (*Tree, bool, error) {
	id, ok := x.covers(root)
	if !ok {
		t, err := Load(root, check)
		return t, false, err
	}
	file := filepath.Join(x.Dir, indexName(root))
	if data, err := readPrivate(file); err == nil {
		if t, err := fromIndex(root, id, data); err == nil {
			return t, true, nil
		}
	}
	t, err := Load(root, check)
	if err != nil {
		return nil, false, err
	}
	_ = writePrivate(x.Dir, file, t.index(id))
	return t, false, nil
}

// covers tells whether root is one the index keeps, and returns what
// identifies its version.
func (x Index) covers(root string) (string, bool) {
	if x.Dir == "" || x.Store == "" || !strings.HasPrefix(root, strings.TrimSuffix(x.Store, "/")+"/") {
		return "", false
	}
	var st unix.Stat_t
	if unix.Stat(root, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR ||
		st.Mode&0o222 != 0 || st.Mtim.Sec != 1 {
		return "", false
	}
	return fmt.Sprintf("%d %d %d.%09d", st.Dev, st.Ino, st.Ctim.Sec, st.Ctim.Nsec), true
}

// indexName names root's index file: a hash of its path.
func indexName(root string) string {
	sum := sha256.Sum256([]byte(root))
	return hex.EncodeToString(sum[:16])
}

// index writes t's layout: after a header naming the root and its version,
// one line per entry, a letter and a quoted relative path: d a directory
// to make, l an entry to link, t MODE a template. p COUNT keeps the number
// of plain files for check's summary.
func (t *Tree) index(id string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\nroot %s %s\np %d\n", indexMagic, strconv.Quote(t.Root), id, t.PlainCount)
	for _, d := range t.Layout.Dirs {
		fmt.Fprintf(&b, "d %s\n", strconv.Quote(d))
	}
	for _, f := range t.Templates {
		fmt.Fprintf(&b, "t %o %s\n", f.Mode, strconv.Quote(f.Name))
	}
	for _, l := range t.Layout.Links {
		fmt.Fprintf(&b, "l %s\n", strconv.Quote(l.Name))
	}
	return b.Bytes()
}

var errStale = errors.New("stale or malformed index")

// fromIndex builds root's tree from an index: it reads the templates, and
// only them. Every path must be local to the root, and every template must
// still be a template; else the index is not used.
func fromIndex(root, id string, data []byte) (*Tree, error) {
	t := &Tree{Root: root}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	line := func() (string, bool) {
		if !sc.Scan() {
			return "", false
		}
		return sc.Text(), true
	}
	if l, _ := line(); l != indexMagic {
		return nil, errStale
	}
	if l, _ := line(); l != "root "+strconv.Quote(root)+" "+id {
		return nil, errStale
	}
	l, _ := line()
	n, err := strconv.Atoi(strings.TrimPrefix(l, "p "))
	if err != nil || !strings.HasPrefix(l, "p ") || n < 0 {
		return nil, errStale
	}
	t.PlainCount = n
	for sc.Scan() {
		kind, rest, _ := strings.Cut(sc.Text(), " ")
		var mode uint64
		if kind == "t" {
			m, r, _ := strings.Cut(rest, " ")
			if mode, err = strconv.ParseUint(m, 8, 32); err != nil || mode&^0o777 != 0 {
				return nil, errStale
			}
			rest = r
		}
		name, err := strconv.Unquote(rest)
		if err != nil || !filepath.IsLocal(name) || filepath.Clean(name) != name {
			return nil, errStale
		}
		full := filepath.Join(root, name)
		switch kind {
		case "d":
			t.Layout.Dirs = append(t.Layout.Dirs, name)
		case "l":
			t.Layout.Links = append(t.Layout.Links, PlainFile{Name: name, Source: full})
		case "t":
			info, err := os.Stat(full)
			if err != nil || !info.Mode().IsRegular() {
				return nil, errStale
			}
			if err := t.addFile(name, full, info); err != nil || len(t.Plain) > 0 {
				return nil, errStale
			}
		default:
			return nil, errStale
		}
	}
	if sc.Err() != nil {
		return nil, errStale
	}
	return t, nil
}

// readPrivate reads file if it is a regular file of the user's that no one
// else can write, without following a symlink.
func readPrivate(file string) ([]byte, error) {
	f, err := os.OpenFile(file, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		return nil, err
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG || int(st.Uid) != os.Geteuid() || st.Mode&0o022 != 0 || st.Size > 16<<20 {
		return nil, errStale
	}
	data := make([]byte, st.Size)
	if _, err := f.ReadAt(data, 0); err != nil {
		return nil, err
	}
	return data, nil
}

// writePrivate replaces file with data: written to a new file of an
// unpredictable name beside it, created exclusively, then renamed over it,
// so that a reader sees the old index or the new one, never half of one.
// dir is made 0700 if missing, and must be the user's and private.
func writePrivate(dir, file string, data []byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	var st syscall.Stat_t
	if err := syscall.Lstat(dir, &st); err != nil {
		return err
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFDIR || int(st.Uid) != os.Geteuid() || st.Mode&0o077 != 0 {
		return fmt.Errorf("%s is not a private directory of yours", dir)
	}
	tmp := filepath.Join(dir, "."+rand.Text())
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, file)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
