package tmpl

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

func write(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

// symlinkJoinLike builds a root the way Nix's symlinkJoin does: real
// directories whose entries are symlinks into other trees.
func symlinkJoinLike(t *testing.T) (root string) {
	dir := t.TempDir()
	a := filepath.Join(dir, "store-a")
	write(t, filepath.Join(a, "claude/settings.json"), `{"key": "{{secrets.mcp.key}}"}`, 0o444)
	write(t, filepath.Join(a, "claude/CLAUDE.md"), "no placeholders here {{ .Go }}\n", 0o444)
	write(t, filepath.Join(a, "bin/hook.sh"), "#!/bin/sh\nTOKEN={{secrets.mcp.key|shell}}\n", 0o555)
	write(t, filepath.Join(a, "blob.bin"), "\x00{{secrets.mcp.key}}", 0o444)
	b := filepath.Join(dir, "store-b")
	write(t, filepath.Join(b, "git/config"), "[user]\n\tname = x\n", 0o444)
	write(t, filepath.Join(b, "git/escaped"), `\{{secrets.x}}`, 0o444)
	root = filepath.Join(dir, "root")
	os.MkdirAll(filepath.Join(root, "claude"), 0o755)
	must(t, os.Symlink(filepath.Join(a, "claude/settings.json"), filepath.Join(root, "claude/settings.json")))
	must(t, os.Symlink(filepath.Join(a, "claude/CLAUDE.md"), filepath.Join(root, "claude/CLAUDE.md")))
	must(t, os.Symlink(filepath.Join(a, "bin"), filepath.Join(root, "bin")))
	must(t, os.Symlink(filepath.Join(a, "blob.bin"), filepath.Join(root, "blob.bin")))
	must(t, os.Symlink(filepath.Join(b, "git"), filepath.Join(root, "git")))
	must(t, os.Symlink("/nonexistent/target", filepath.Join(root, "dangling")))
	// The root itself is reached through a symlink too.
	link := filepath.Join(dir, "root-link")
	must(t, os.Symlink(root, link))
	return link
}

// filled returns what f.Fill writes.
func filled(f Rendered) string {
	b := make([]byte, f.Size)
	f.Fill(b)
	return string(b)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestLoadAndRenderTree(t *testing.T) {
	root := symlinkJoinLike(t)
	tree, err := Load(root, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"bin", "claude", "git"}; !reflect.DeepEqual(tree.Dirs, want) {
		t.Errorf("Dirs = %v, want %v", tree.Dirs, want)
	}
	var names []string
	for _, f := range tree.Templates {
		names = append(names, f.Name)
	}
	if want := []string{"bin/hook.sh", "claude/settings.json", "git/escaped"}; !reflect.DeepEqual(names, want) {
		t.Errorf("Templates = %v, want %v", names, want)
	}
	var plain []string
	for _, p := range tree.Plain {
		plain = append(plain, p.Name+"="+strings.TrimPrefix(p.Source, root+"/"))
	}
	if want := []string{"blob.bin=blob.bin", "claude/CLAUDE.md=claude/CLAUDE.md", "dangling=dangling", "git/config=git/config"}; !reflect.DeepEqual(plain, want) {
		t.Errorf("Plain = %v, want %v", plain, want)
	}
	if !tree.NeedsSecrets() {
		t.Error("NeedsSecrets = false")
	}
	res, err := tree.Render(mustSecrets(t, "[mcp]\nkey = \"it's\"\nunused = 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range res.Files {
		got[f.Name] = f.Mode.String() + " " + filled(f)
	}
	want := map[string]string{
		"bin/hook.sh":          "-r-xr-xr-x #!/bin/sh\nTOKEN='it'\\''s'\n",
		"claude/settings.json": `-r--r--r-- {"key": "it's"}`,
		"git/escaped":          `-r--r--r-- {{secrets.x}}`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rendered %q\nwant %q", got, want)
	}
	if res.Placeholders != 2 || len(res.Unused(mustSecrets(t, "[mcp]\nkey = \"\"\nunused = 1\n"))) != 1 {
		t.Errorf("Placeholders = %d, Used = %v", res.Placeholders, res.Used)
	}
}

func TestTreeWithoutPlaceholdersNeedsNoSecrets(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.json"), `{"a": "{{ not.secrets }}"}`, 0o644)
	write(t, filepath.Join(dir, "b/c.txt"), `\{{secrets.literal}}`, 0o644)
	tree, err := Load(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tree.NeedsSecrets() {
		t.Fatal("NeedsSecrets = true")
	}
	res, err := tree.Render(nil)
	if err != nil || len(res.Files) != 1 || filled(res.Files[0]) != "{{secrets.literal}}" {
		t.Errorf("Render(nil) = %+v, %v", res, err)
	}
}

func TestTreeProblemsFromAllFiles(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.json"), "{\n \"a\": \"{{secrets.nope}}\"}", 0o644)
	write(t, filepath.Join(dir, "b/c.toml"), "x = \"{{secrets.k|bad}}\"\n", 0o644)
	write(t, filepath.Join(dir, "d.json"), `{"d": "{{secrets.k|raw}}"}`, 0o644)
	write(t, filepath.Join(dir, "e.toml"), "e = \"{{secrets.k|raw}}\"\n", 0o644)
	tree, err := Load(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tree.Render(mustSecrets(t, "k = 'sk-SECRET\" broken'\n"))
	want := "a.json:2:8: secrets.nope: not found\nb/c.toml:1:6: unknown filter \"bad\" (filters: json, toml, yaml, shell, base64, raw)\n" +
		"d.json: not valid JSON after rendering (a value was inserted without json escaping)\n" +
		"e.toml: not valid TOML after rendering, at line 1 (a value was inserted without toml escaping)"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	loop := filepath.Join(dir, "loop")
	os.MkdirAll(filepath.Join(loop, "sub"), 0o755)
	must(t, os.Symlink("..", filepath.Join(loop, "sub", "up")))
	if _, err := Load(loop, nil); err == nil || !strings.Contains(err.Error(), "symlink loop at sub/up") {
		t.Errorf("loop: %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing"), nil); err == nil || !strings.Contains(err.Error(), "no such file or directory") {
		t.Errorf("missing root: %v", err)
	}
	file := filepath.Join(dir, "file")
	write(t, file, "x", 0o644)
	if _, err := Load(file, nil); err == nil || !strings.Contains(err.Error(), "is not a directory") {
		t.Errorf("file root: %v", err)
	}
}

// TestLargeFiles checks files over maxTemplateSize: one that would be a
// template is a problem, reported with the others, that says where its
// first placeholder starts; any other is a plain file. (FuzzScanLarge
// compares the scan with Parse on small inputs.)
func TestLargeFiles(t *testing.T) {
	dir := t.TempDir()
	// Lines of 64 bytes with foreign tags and braces, none a placeholder.
	line := "x = \"{{ .Go }} {{ secret.x }} {{secrets}} { {{{ {{ {secrets.\""
	line += strings.Repeat("-", 63-len(line)) + "\n"
	filler := strings.Repeat(line, maxTemplateSize/64)
	write(t, filepath.Join(dir, "plain.txt"), filler+"x", 0o644)
	write(t, filepath.Join(dir, "tail.json"), filler+"end \\{{ secrets.k }}\n", 0o644)
	write(t, filepath.Join(dir, "nul.txt"), "{{secrets.k}}\n"+filler+"\x00", 0o644)
	// At the cap, a file is a template as any other.
	write(t, filepath.Join(dir, "cap.txt"), "{{secrets.k}}"+filler[len("{{secrets.k}}"):], 0o644)
	write(t, filepath.Join(dir, "small.txt"), "{{secrets.nope}}", 0o644)

	tree, err := Load(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	var plain []string
	for _, p := range tree.Plain {
		plain = append(plain, p.Name)
	}
	if want := []string{"nul.txt", "plain.txt"}; !reflect.DeepEqual(plain, want) {
		t.Errorf("plain files %v, want %v", plain, want)
	}
	res, err := tree.Render(mustSecrets(t, "k = \"sk-SECRET\"\n"))
	want := "small.txt:1:1: secrets.nope: not found\n" +
		"tail.json: a placeholder at line 262145, column 6, in a file of 16.1 MiB: a template may be at most 16 MiB"
	if res != nil || err == nil || err.Error() != want {
		t.Errorf("Render: %v\nwant:\n%s", err, want)
	}
	if err != nil {
		assertNoSecret(t, err.Error())
	}
	delete := func(name string) { must(t, os.Remove(filepath.Join(dir, name))) }
	delete("tail.json")
	delete("small.txt")
	if tree, err = Load(dir, nil); err != nil {
		t.Fatal(err)
	}
	if res, err = tree.Render(mustSecrets(t, "k = \"sk-SECRET\"\n")); err != nil || len(res.Files) != 1 || res.Files[0].Size != maxTemplateSize-4 {
		t.Errorf("the file at the cap: %+v, %v", res, err)
	}
}

// TestScanLargeReads checks a placeholder whose blanks cross the boundary
// of two of the scan's reads.
func TestScanLargeReads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	write(t, path, "a\n"+strings.Repeat("y", 65536-12)+"{{\t \t \t \t \t \t secrets.k }}\n", 0o644)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := scanLarge(int(f.Fd()))
	if want := (largeFile{size: 65536 + 17, placeholder: true, line: 2, col: 65536 - 11}); err != nil || *got != want {
		t.Errorf("scanLarge = %+v, %v; want %+v", got, err, want)
	}
}

// TestRenderHoldsNoCopy checks that loading and rendering a large template
// allocate about its size once, for its source: the rendering is written
// by Fill straight into its destination, and the check that a .json is
// still JSON renders into scratch memory outside the heap. Allocation, not
// time or RSS, is what a test can count exactly.
func TestRenderHoldsNoCopy(t *testing.T) {
	const size = 8 << 20
	dir := t.TempDir()
	item := `{"name": "server", "args": ["--flag", "value"]},` + "\n"
	src := `{"key": "{{secrets.k}}", "items": [` + "\n" + strings.Repeat(item, size/len(item)) + "{}]}\n"
	write(t, filepath.Join(dir, "big.json"), src, 0o644)
	write(t, filepath.Join(dir, "big.txt"), src, 0o644)
	secrets := mustSecrets(t, "k = \"sk-SECRET\"\n")
	dst := make([]byte, len(src)+16)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	tree, err := Load(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := tree.Render(secrets)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Files {
		f.Fill(dst[:f.Size])
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > uint64(2*len(src))+1<<20 {
		t.Errorf("loading and rendering two templates of %d MiB allocated %.1f MiB, want about %d", len(src)>>20, float64(n)/(1<<20), 2*len(src)>>20)
	}
	if len(res.Files) != 2 || !strings.HasPrefix(string(dst), `{"key": "sk-SECRET", "items": [`) {
		t.Errorf("rendered %d files, %.40q", len(res.Files), dst)
	}
}

func TestLoadChecksEveryEntry(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a/b.json"), `{"k": "{{secrets.k}}"}`, 0o644)
	write(t, filepath.Join(dir, "a/plain"), "plain", 0o644)
	os.Symlink("a/plain", filepath.Join(dir, "link"))
	os.Symlink("missing", filepath.Join(dir, "dangling"))
	var seen []string
	if _, err := Load(dir, func(name string, info fs.FileInfo) error {
		seen = append(seen, fmt.Sprintf("%s %v", name, info.IsDir()))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := []string{"a true", "a/b.json false", "a/plain false", "link false"}
	if !reflect.DeepEqual(seen, want) {
		t.Errorf("checked %q, want %q", seen, want)
	}
	refused := errors.New("refused")
	_, err := Load(dir, func(name string, info fs.FileInfo) error {
		if name == "a/plain" {
			return refused
		}
		return nil
	})
	if err != refused {
		t.Errorf("Load = %v, want the check's error as it is", err)
	}
}
