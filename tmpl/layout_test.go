package tmpl

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// layoutRoot is a root whose layout has every case: top-level directories
// with and without templates, deep templates, plain subtrees at several
// depths, an empty directory and a plain file at the top.
func layoutRoot(t *testing.T) string {
	root := t.TempDir()
	write(t, filepath.Join(root, "nvim/init.lua"), "plain\n", 0o444)
	write(t, filepath.Join(root, "nvim/lua/plugins/lsp.lua"), "plain\n", 0o444)
	write(t, filepath.Join(root, "claude/settings.json"), `{"k": "{{secrets.k}}"}`, 0o444)
	write(t, filepath.Join(root, "claude/agents/a.md"), "plain\n", 0o444)
	write(t, filepath.Join(root, "claude/agents/deep/b.md"), "plain\n", 0o444)
	write(t, filepath.Join(root, "git/hooks/pre-commit"), "T={{secrets.k}}\n", 0o555)
	write(t, filepath.Join(root, "git/hooks/lib/z.sh"), "plain\n", 0o444)
	write(t, filepath.Join(root, "git/config"), "plain\n", 0o444)
	write(t, filepath.Join(root, "starship.toml"), "plain = 1\n", 0o444)
	must(t, os.MkdirAll(filepath.Join(root, "empty"), 0o755))
	write(t, filepath.Join(root, PrivateDir, "claude/mcp.json"), `{"k": "{{secrets.k}}"}`, 0o444)
	write(t, filepath.Join(root, PrivateDir, "notes.txt"), "no placeholder, private all the same\n", 0o444)
	return root
}

func TestLayout(t *testing.T) {
	root := layoutRoot(t)
	tree, err := Load(root, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantDirs := []string{"claude", "empty", "git", "git/hooks", "nvim"}
	if !reflect.DeepEqual(tree.Layout.Dirs, wantDirs) {
		t.Errorf("Layout.Dirs = %q, want %q", tree.Layout.Dirs, wantDirs)
	}
	var links []string
	for _, l := range tree.Layout.Links {
		if l.Source != filepath.Join(root, l.Name) {
			t.Errorf("link %s to %s, want its path under the root", l.Name, l.Source)
		}
		links = append(links, l.Name)
	}
	// The directories first, as the scan found them, then the files.
	wantLinks := []string{"claude/agents", "git/hooks/lib", "nvim/lua", "git/config", "nvim/init.lua", "starship.toml"}
	if !reflect.DeepEqual(links, wantLinks) {
		t.Errorf("Layout.Links = %q, want %q", links, wantLinks)
	}
	var private []string
	for _, f := range tree.Templates {
		if f.Private {
			private = append(private, f.Name)
		}
	}
	if want := []string{PrivateDir + "/claude/mcp.json", PrivateDir + "/notes.txt"}; !reflect.DeepEqual(private, want) {
		t.Errorf("private files %q, want %q", private, want)
	}
	if tree.PlainCount != 7 || len(tree.Plain) != 7 {
		t.Errorf("PlainCount %d, %d plain files; want 7", tree.PlainCount, len(tree.Plain))
	}
	// Every plain file is reachable through the layout: linked itself, or
	// inside a linked directory.
	for _, p := range tree.Plain {
		found := false
		for _, l := range tree.Layout.Links {
			if p.Name == l.Name || strings.HasPrefix(p.Name, l.Name+"/") {
				found = true
			}
		}
		if !found {
			t.Errorf("plain file %s is not in the layout", p.Name)
		}
	}
}
