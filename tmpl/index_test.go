package tmpl

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// storeRoot makes a root as Nix leaves one in its store: every entry
// read-only, the root's modification time 1 s. It returns the store and
// the root.
func storeRoot(t *testing.T) (store, root string) {
	store = filepath.Join(t.TempDir(), "store")
	root = filepath.Join(store, "0123456789abcdfghijklmnpqrsvwxyz-rig")
	write(t, filepath.Join(root, "claude/settings.json"), `{"k": "{{secrets.k}}"}`, 0o444)
	write(t, filepath.Join(root, "claude/agents/a.md"), "plain agent text\n", 0o444)
	write(t, filepath.Join(root, "git/hooks/pre-commit"), "T={{secrets.k | shell}}\n", 0o555)
	write(t, filepath.Join(root, "git/config"), "plain\n", 0o444)
	write(t, filepath.Join(root, "nvim/lua/x.lua"), "plain\n", 0o444)
	freeze(t, root)
	return store, root
}

// freeze makes root's directories read-only and sets its modification time
// to 1 s; thaw undoes the first, for the test to change the root.
func freeze(t *testing.T, root string) {
	t.Helper()
	must(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			err = os.Chmod(p, 0o555)
		}
		return err
	}))
	must(t, os.Chtimes(root, time.Unix(1, 0), time.Unix(1, 0)))
	t.Cleanup(func() { thaw(t, root) })
}

func thaw(t *testing.T, root string) {
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(p, 0o755)
		}
		return nil
	})
}

// shape is what a run uses of a tree.
func shape(t *Tree) string {
	var b strings.Builder
	for _, d := range t.Layout.Dirs {
		b.WriteString("d " + d + "\n")
	}
	for _, f := range t.Templates {
		b.WriteString("t " + f.Mode.String() + " " + f.Name + " " + string(f.src) + "\n")
	}
	for _, l := range t.Layout.Links {
		b.WriteString("l " + l.Name + " " + l.Source + "\n")
	}
	return b.String()
}

func TestIndex(t *testing.T) {
	store, root := storeRoot(t)
	x := Index{Dir: filepath.Join(t.TempDir(), "cache", "index"), Store: store}
	checked := 0
	check := func(string, fs.FileInfo) error { checked++; return nil }

	first, cached, err := x.Load(root, check)
	if err != nil || cached {
		t.Fatalf("first Load: cached %v, %v", cached, err)
	}
	if checked == 0 {
		t.Error("a full scan checked no entry")
	}
	file := filepath.Join(x.Dir, indexName(root))
	info, err := os.Stat(file)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("index file: %v, %v", info, err)
	}
	if dir, _ := os.Stat(x.Dir); dir.Mode().Perm() != 0o700 {
		t.Errorf("index directory mode %v, want 0700", dir.Mode().Perm())
	}
	data, _ := os.ReadFile(file)
	for _, content := range []string{"secrets.k", "plain agent text"} {
		if strings.Contains(string(data), content) {
			t.Errorf("the index holds file content %q:\n%s", content, data)
		}
	}

	checked = 0
	second, cached, err := x.Load(root, check)
	if err != nil || !cached {
		t.Fatalf("second Load: cached %v, %v", cached, err)
	}
	if checked != 0 {
		t.Errorf("a load from the index checked %d entries", checked)
	}
	if shape(second) != shape(first) || second.PlainCount != first.PlainCount {
		t.Errorf("from the index:\n%s%d plain\nfrom the scan:\n%s%d plain", shape(second), second.PlainCount, shape(first), first.PlainCount)
	}
	if !reflect.DeepEqual(second.Layout.Links, first.Layout.Links) {
		t.Errorf("links %v, want %v", second.Layout.Links, first.Layout.Links)
	}
}

// Roots that can change are scanned on every run, and no index is kept.
func TestIndexCoversOnlyStorePaths(t *testing.T) {
	store, root := storeRoot(t)
	for name, setup := range map[string]func(x *Index){
		"outside the store": func(x *Index) { x.Store = filepath.Join(filepath.Dir(store), "other") },
		"no store":          func(x *Index) { x.Store = "" },
		"writable root": func(*Index) {
			must(t, os.Chmod(root, 0o755))
			must(t, os.Chtimes(root, time.Unix(1, 0), time.Unix(1, 0)))
		},
		"modified root": func(*Index) {
			must(t, os.Chmod(root, 0o555))
			must(t, os.Chtimes(root, time.Now(), time.Now()))
		},
	} {
		x := Index{Dir: filepath.Join(t.TempDir(), "index"), Store: store}
		setup(&x)
		for range 2 {
			if _, cached, err := x.Load(root, nil); err != nil || cached {
				t.Errorf("%s: cached %v, %v", name, cached, err)
			}
		}
		if _, err := os.Stat(x.Dir); err == nil {
			t.Errorf("%s: an index directory was made", name)
		}
	}
}

// An index that does not match the root, or that someone else could have
// written, is not used; a full scan replaces it.
func TestIndexRefused(t *testing.T) {
	store, root := storeRoot(t)
	x := Index{Dir: filepath.Join(t.TempDir(), "index"), Store: store}
	file := filepath.Join(x.Dir, indexName(root))
	load := func(want bool, when string) {
		t.Helper()
		tree, cached, err := x.Load(root, nil)
		if err != nil || cached != want {
			t.Fatalf("%s: cached %v, %v; want cached %v", when, cached, err, want)
		}
		if n := len(tree.Templates); n != 2 {
			t.Errorf("%s: %d templates, want 2", when, n)
		}
	}
	load(false, "first")
	load(true, "second")
	good, _ := os.ReadFile(file)

	for name, data := range map[string]string{
		"a path out of the root":            strings.Replace(string(good), `t 444 "claude/settings.json"`, `t 444 "../../../etc/passwd"`, 1),
		"an absolute link":                  string(good) + "l \"/etc\"\n",
		"an unknown line":                   string(good) + "x \"y\"\n",
		"another format":                    strings.Replace(string(good), indexMagic, indexMagic+"0", 1),
		"another root":                      strings.Replace(string(good), "-rig", "-gir", 1),
		"a bad mode":                        strings.Replace(string(good), "t 444 ", "t 1444 ", 1),
		"a plain file listed as a template": strings.Replace(string(good), `l "git/config"`, `t 444 "git/config"`, 1),
	} {
		must(t, os.WriteFile(file, []byte(data), 0o600))
		load(false, name)
		if now, _ := os.ReadFile(file); string(now) != string(good) {
			t.Errorf("%s: the index was not rewritten:\n%s", name, now)
		}
	}

	must(t, os.Chmod(file, 0o620))
	load(false, "a group-writable index")
	must(t, os.Remove(file))
	must(t, os.Symlink(filepath.Join(t.TempDir(), "elsewhere"), file))
	load(false, "a symlink")

	// A change of the root (here made writable and back, as a rebuild
	// or a chmod would) changes its change time: the index is stale.
	load(true, "rewritten")
	thaw(t, root)
	write(t, filepath.Join(root, "new.json"), `{"k": "{{secrets.k}}"}`, 0o444)
	freeze(t, root)
	tree, cached, err := x.Load(root, nil)
	if err != nil || cached || len(tree.Templates) != 3 {
		t.Fatalf("after a change of the root: cached %v, %d templates, %v", cached, len(tree.Templates), err)
	}
}
