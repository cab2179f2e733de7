package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// shellWords splits as sh does: checked against sh itself.
func TestShellWords(t *testing.T) {
	for _, s := range []string{
		`vim`,
		`code --wait`,
		`  emacsclient   -t  `,
		`'my editor' -x`,
		`"/opt/My Apps/ed" --flag="a b"`,
		`ed a\ b 'it'\''s' "q\"x\\y\$z"`,
		`a"b"'c'd`,
		`""`,
	} {
		got, err := shellWords(s)
		if err != nil {
			t.Errorf("%s: %v", s, err)
			continue
		}
		cmd := exec.Command("sh", "-c", "set -- "+s+`; for w in "$@"; do printf '%s\n' "$w"; done`)
		raw, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		want := splitLines(string(raw))
		if !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("shellWords(%s) = %q, sh says %q", s, got, want)
		}
	}
	for _, bad := range []string{`vim 'x`, `vim "x`} {
		if _, err := shellWords(bad); err == nil {
			t.Errorf("shellWords(%s) accepted", bad)
		}
	}
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

// editorFixture is a PATH directory of stand-in programs with the names of
// real editors (what they do does not matter here: only their names and
// links are looked at), a private directory and a home.
type editorFixture struct {
	bin, root, home string
	vars            map[string]string
}

func newEditorFixture(t *testing.T) *editorFixture {
	t.Helper()
	dir := t.TempDir()
	f := &editorFixture{bin: filepath.Join(dir, "bin"), root: filepath.Join(dir, "ram"), home: filepath.Join(dir, "home"),
		vars: map[string]string{}}
	alt := filepath.Join(dir, "alternatives")
	for _, d := range []string{f.bin, f.root, f.home, alt} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range map[string]string{
		"vim": "", "vim.gtk3": "", "nvim": "", "nano": "", "code": "", "nvim-qt": "", "emacs": "",
		"sensible-editor": "[ -r ~/.selected_editor ] && . ~/.selected_editor\n",
	} {
		if err := os.WriteFile(filepath.Join(f.bin, name), []byte("#!/bin/sh\n"+body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// As update-alternatives links them: bin/NAME -> alternatives/NAME -> the program.
	for name, target := range map[string]string{"vi": "vim", "gvim": "vim.gtk3", "editor": "nano"} {
		if err := os.Symlink(filepath.Join(f.bin, target), filepath.Join(alt, name)); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(alt, name), filepath.Join(f.bin, name)); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f *editorFixture) getenv(k string) string {
	switch k {
	case "PATH":
		return f.bin
	case "HOME":
		return f.home
	}
	return f.vars[k]
}

func (f *editorFixture) command(t *testing.T, vars map[string]string, selectEditor func() bool) *editor {
	t.Helper()
	f.vars = vars
	ed, err := editorCommand(f.getenv, selectEditor, "F", f.root)
	if err != nil {
		t.Fatalf("%v: %v", vars, err)
	}
	return ed
}

// want is the argv expected for an editor of kind k started as program
// with args.
func (f *editorFixture) want(k editorKind, program string, args ...string) []string {
	argv := []string{program}
	switch k {
	case vimEditor:
		argv = append(append(argv, "-f"), vimHardening(filepath.Join(f.root, "state"))...)
	case neovimEditor:
		argv = append(argv, vimHardening(filepath.Join(f.root, "state"))...)
	case nanoEditor:
		argv = append(argv, "-R")
	}
	return append(append(argv, args...), "F")
}

// short shortens vim's long -c argument for messages.
func short(argv []string) []string {
	var out []string
	for _, a := range argv {
		if len(a) > 40 {
			a = a[:40] + "..."
		}
		out = append(out, a)
	}
	return out
}

func TestEditorCommand(t *testing.T) {
	f := newEditorFixture(t)
	for _, tc := range []struct {
		vars    map[string]string
		kind    editorKind
		program string
		args    []string
	}{
		{map[string]string{"VISUAL": "code --wait", "EDITOR": "vim"}, otherEditor, "code", []string{"--wait"}},
		{map[string]string{"EDITOR": "nano -w"}, nanoEditor, "nano", []string{"-w"}},
		{map[string]string{"EDITOR": "vim"}, vimEditor, "vim", nil},
		{map[string]string{}, vimEditor, "vi", nil}, // vi is vim here, through alternatives
		{map[string]string{"EDITOR": "vim -c wq"}, vimEditor, "vim", []string{"-c", "wq"}},
		{map[string]string{"EDITOR": "gvim"}, vimEditor, "gvim", nil},
		{map[string]string{"EDITOR": "nvim"}, neovimEditor, "nvim", nil},
		{map[string]string{"EDITOR": "nvim-qt"}, otherEditor, "nvim-qt", nil}, // a GUI with arguments of its own
		{map[string]string{"EDITOR": "editor"}, nanoEditor, "editor", nil},
		{map[string]string{"EDITOR": filepath.Join(f.bin, "nvim")}, neovimEditor, filepath.Join(f.bin, "nvim"), nil},
		{map[string]string{"EDITOR": "missing-editor"}, otherEditor, "missing-editor", nil},
	} {
		ed := f.command(t, tc.vars, nil)
		if want := f.want(tc.kind, tc.program, tc.args...); ed.kind != tc.kind || !reflect.DeepEqual(ed.argv, want) {
			t.Errorf("%v: %v %q; want %v %q", tc.vars, ed.kind, short(ed.argv), tc.kind, short(want))
		}
	}
	for _, bad := range []string{"'", " "} {
		f.vars = map[string]string{"EDITOR": bad}
		if _, err := editorCommand(f.getenv, nil, "F", f.root); err == nil {
			t.Errorf("$EDITOR %q was accepted", bad)
		}
	}
}

// Every editor gets its state directories in the private directory; neovim
// keeps its data directory (its plugins), and only known editors get
// TMPDIR.
func TestEditorEnv(t *testing.T) {
	f := newEditorFixture(t)
	in := func(name string) string { return filepath.Join(f.root, name) }
	for _, tc := range []struct {
		editor string
		want   []string
	}{
		{"vim", []string{"XDG_STATE_HOME=" + in("state"), "XDG_DATA_HOME=" + in("data"), "XDG_CACHE_HOME=" + in("cache"), "TMPDIR=" + in("tmp")}},
		{"nano", []string{"XDG_STATE_HOME=" + in("state"), "XDG_DATA_HOME=" + in("data"), "XDG_CACHE_HOME=" + in("cache"), "TMPDIR=" + in("tmp")}},
		{"nvim", []string{"XDG_STATE_HOME=" + in("state"), "XDG_CACHE_HOME=" + in("cache"), "TMPDIR=" + in("tmp")}},
		{"code --wait", []string{"XDG_STATE_HOME=" + in("state"), "XDG_DATA_HOME=" + in("data"), "XDG_CACHE_HOME=" + in("cache")}},
	} {
		if ed := f.command(t, map[string]string{"EDITOR": tc.editor}, nil); !reflect.DeepEqual(ed.env, tc.want) {
			t.Errorf("%s: environment %q, want %q", tc.editor, ed.env, tc.want)
		}
	}
}

// sensible-editor is replaced by the editor it would run, found as its
// script finds it.
func TestEditorCommandSensibleEditor(t *testing.T) {
	f := newEditorFixture(t)
	selected := filepath.Join(f.home, ".selected_editor")
	writeSelected := func(text string) {
		t.Helper()
		if err := os.WriteFile(selected, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name     string
		vars     map[string]string
		selected string // ~/.selected_editor, if not empty
		kind     editorKind
		program  string
		args     []string
	}{
		{"editor, the default", map[string]string{"EDITOR": "sensible-editor"}, "", nanoEditor, "editor", nil},
		{"$EDITOR under $VISUAL", map[string]string{"VISUAL": "sensible-editor", "EDITOR": "nvim"}, "", neovimEditor, "nvim", nil},
		{"$EDITOR before ~/.selected_editor", map[string]string{"VISUAL": "sensible-editor", "EDITOR": "nvim"},
			"SELECTED_EDITOR=\"vim\"\n", neovimEditor, "nvim", nil},
		{"~/.selected_editor", map[string]string{"EDITOR": "sensible-editor"},
			"# Generated by /usr/bin/select-editor\nSELECTED_EDITOR=\"" + filepath.Join(f.bin, "vim") + "\"\n", vimEditor, filepath.Join(f.bin, "vim"), nil},
		{"$SELECTED_EDITOR", map[string]string{"EDITOR": "sensible-editor", "SELECTED_EDITOR": "gvim"}, "", vimEditor, "gvim", nil},
		{"its arguments passed on", map[string]string{"VISUAL": "sensible-editor +3"}, "SELECTED_EDITOR='nvim'\n", neovimEditor, "nvim", []string{"+3"}},
		{"$EDITOR split into words", map[string]string{"VISUAL": "sensible-editor", "EDITOR": "code --wait"}, "", otherEditor, "code", []string{"--wait"}},
		{"itself passed over", map[string]string{"EDITOR": "sensible-editor", "SELECTED_EDITOR": "sensible-editor"}, "", nanoEditor, "editor", nil},
		{"a missing editor passed over for vi", map[string]string{"EDITOR": "sensible-editor"}, "SELECTED_EDITOR=missing\n", vimEditor, "vi", nil},
		{"for nano with a $TERM", map[string]string{"EDITOR": "sensible-editor", "TERM": "xterm"}, "SELECTED_EDITOR=missing\n", nanoEditor, "nano", nil},
		{"a ~/.selected_editor only a shell can read", map[string]string{"EDITOR": "sensible-editor"},
			"SELECTED_EDITOR=$(which vim)\n", otherEditor, "sensible-editor", nil},
	} {
		os.Remove(selected)
		if tc.selected != "" {
			writeSelected(tc.selected)
		}
		ed := f.command(t, tc.vars, nil)
		if want := f.want(tc.kind, tc.program, tc.args...); ed.kind != tc.kind || !reflect.DeepEqual(ed.argv, want) {
			t.Errorf("%s: %v %q; want %v %q", tc.name, ed.kind, short(ed.argv), tc.kind, short(want))
		}
	}

	// Without ~/.selected_editor, $EDITOR or $SELECTED_EDITOR, on a
	// terminal, select-editor is run first, once, and its choice read.
	os.Remove(selected)
	asked := 0
	ed := f.command(t, map[string]string{"EDITOR": "sensible-editor"}, func() bool {
		asked++
		writeSelected("SELECTED_EDITOR=\"" + filepath.Join(f.bin, "nvim") + "\"\n")
		return true
	})
	if want := f.want(neovimEditor, filepath.Join(f.bin, "nvim")); asked != 1 || !reflect.DeepEqual(ed.argv, want) {
		t.Errorf("after select-editor (run %d times): %q, want %q", asked, short(ed.argv), short(want))
	}
	// It is not asked when $EDITOR already says.
	os.Remove(selected)
	asked = 0
	f.command(t, map[string]string{"VISUAL": "sensible-editor", "EDITOR": "vim"}, func() bool { asked++; return true })
	if asked != 0 {
		t.Error("select-editor was run although $EDITOR names an editor")
	}
}

func TestParseSelectedEditor(t *testing.T) {
	for _, tc := range []struct {
		text        string
		value       string
		set, parsed bool
	}{
		{"# Generated by /usr/bin/select-editor\nSELECTED_EDITOR=\"/usr/bin/vim.basic\"\n", "/usr/bin/vim.basic", true, true},
		{"SELECTED_EDITOR='/bin/nano'", "/bin/nano", true, true},
		{"SELECTED_EDITOR=/bin/nano\n\n", "/bin/nano", true, true},
		{"SELECTED_EDITOR=\"code --wait\"", "code --wait", true, true},
		{"SELECTED_EDITOR=a\nSELECTED_EDITOR=b\n", "b", true, true},
		{"", "", false, true},
		{"# nothing\n", "", false, true},
		{"EDITOR=vim\n", "", false, false},
		{"SELECTED_EDITOR=\"$HOME/bin/ed\"", "", false, false},
		{"SELECTED_EDITOR=code --wait", "", false, false},
		{"SELECTED_EDITOR=vim; rm -rf ~", "", false, false},
	} {
		value, set, parsed := parseSelectedEditor([]byte(tc.text))
		if value != tc.value || set != tc.set || parsed != tc.parsed {
			t.Errorf("%q: %q, %v, %v; want %q, %v, %v", tc.text, value, set, parsed, tc.value, tc.set, tc.parsed)
		}
	}
}

// The directories for vim's files are given only when :set takes their
// path as it is; the rest of the hardening does not depend on it.
func TestVimHardeningPaths(t *testing.T) {
	plain := strings.Join(vimHardening("/run/user/1000/rigup-secrets-x/state"), " ")
	if !strings.Contains(plain, "silent! set directory=/run/user/1000/rigup-secrets-x/state |") {
		t.Errorf("no directory for a plain path: %s", plain)
	}
	odd := strings.Join(vimHardening("/home/a b/.cache/rigup-exec/rigup-secrets-x/state"), " ")
	if strings.Contains(odd, "directory=") || !strings.Contains(odd, "silent! set noswapfile") {
		t.Errorf("a path with a space: %s", odd)
	}
}

func TestEditorAtLine(t *testing.T) {
	f := newEditorFixture(t)
	for _, tc := range []struct {
		editor string
		plus   bool
	}{
		{"vim", true}, {"nvim", true}, {"nano", true}, {"vi", true}, {"emacs", true}, {"code --wait", false}, {"sh -c true", false},
	} {
		ed := f.command(t, map[string]string{"EDITOR": tc.editor}, nil)
		before := append([]string(nil), ed.argv...)
		ed.atLine(7)
		file := before[len(before)-1]
		want := before
		if tc.plus {
			want = append(append(before[:len(before)-1:len(before)-1], "+7"), file)
		}
		if !reflect.DeepEqual(ed.argv, want) {
			t.Errorf("%s at line 7: %q, want %q", tc.editor, ed.argv, want)
		}
	}
}

func TestPlainPath(t *testing.T) {
	for p, want := range map[string]bool{
		"/run/user/1000/rigup-exec.x1/edit": true,
		"/tmp/a+b:c@d-e_f.g":                true,
		"relative":                          false,
		"/":                                 false,
		"":                                  false,
		"/with space":                       false,
		"/with,comma":                       false,
		"/with|bar":                         false,
		`/with\backslash`:                   false,
		"/été":                              false,
	} {
		if got := plainPath(p); got != want {
			t.Errorf("plainPath(%q) = %v, want %v", p, got, want)
		}
	}
}
