//go:build linux

package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// secrets edit with the real editors: vim, neovim, gvim and nano, started
// directly and through wrappers, under a configuration that asks for every
// file an editor can keep (viminfo or shada, swap, backup and undo files,
// nano's search and position history), and killed while they edit. What vim
// and neovim do is read from inside them; afterwards no new file may be in
// $HOME, in the XDG directories or $TMPDIR of the caller, or beside the
// secrets file, and the secret values in no file at all.

// hostileVimrc asks vim, from the vimrc and from autocommands, for every
// file it can write: it comes after -n and -i NONE, and its autocommands
// run after the -c commands.
const hostileVimrc = `set viminfofile=~/.viminfo_x viminfo='100,<50,s10,h
set updatecount=50 swapfile directory=~/.vim/swap
set undofile undodir=~/.vim/undo backup writebackup backupdir=~/.vim/backup
autocmd VimEnter * set viminfofile=~/.viminfo_y updatecount=10 swapfile
autocmd BufEnter * setlocal swapfile undofile
autocmd BufWritePre * setlocal undofile backup
autocmd VimLeavePre * set viminfofile=~/.viminfo_z viminfo='100,<50,s10,h
`

// hostileInitVim is hostileVimrc in neovim's words: shada instead of viminfo.
var hostileInitVim = strings.NewReplacer("viminfofile", "shadafile", "viminfo=", "shada=").Replace(hostileVimrc)

// editorWorld is a world whose runs have XDG directories and a $TMPDIR
// of their own, whose files the tests compare before and after.
type editorWorld struct {
	*world
	xdg      string // holds state, data, cache and tmp
	old, new string // the secret value before and after the edit
	before   []byte // the secrets file before
	seen     string // where vim writes what it sees, one JSON line at a time
}

func newEditorWorld(t *testing.T) *editorWorld {
	t.Helper()
	s := newSecretsWorld(t)
	w := &editorWorld{world: s, xdg: filepath.Join(s.root, "xdg"), seen: s.marker("vim-saw")}
	w.old, w.before = s.existingFile("old")
	w.new = secretValue(t, "new")
	for _, d := range []string{"state", "data", "cache", "tmp"} {
		if err := os.MkdirAll(filepath.Join(w.xdg, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	s.setenv(
		"XDG_STATE_HOME="+filepath.Join(w.xdg, "state"),
		"XDG_DATA_HOME="+filepath.Join(w.xdg, "data"),
		"XDG_CACHE_HOME="+filepath.Join(w.xdg, "cache"),
		"TMPDIR="+filepath.Join(w.xdg, "tmp"),
	)
	return w
}

// writeHome writes a file of the test's home.
func (w *editorWorld) writeHome(name, text string) {
	w.t.Helper()
	p := filepath.Join(w.home, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		w.t.Fatal(err)
	}
}

// hostileVimConfig gives vim and neovim the hostile configuration, and the
// directories it names.
func (w *editorWorld) hostileVimConfig() {
	w.t.Helper()
	w.writeHome(".vimrc", hostileVimrc)
	w.writeHome(".config/nvim/init.vim", hostileInitVim)
	for _, d := range []string{"swap", "undo", "backup"} {
		if err := os.MkdirAll(filepath.Join(w.home, ".vim", d), 0o700); err != nil {
			w.t.Fatal(err)
		}
	}
}

// files lists the files (not directories) under the home and the XDG
// directories.
func (w *editorWorld) files() []string {
	var out []string
	for _, dir := range []string{w.home, w.xdg} {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				out = append(out, p)
			}
			return nil
		})
	}
	return out
}

// expectNoNewFiles checks that no file appeared since before, and that the
// secret values are in no file.
func (w *editorWorld) expectNoNewFiles(before []string) {
	w.t.Helper()
	for _, p := range w.files() {
		if !slices.Contains(before, p) {
			w.t.Errorf("the editor left %s", p)
		}
	}
	w.afterEdit(w.old, w.new)
}

// vimString quotes s as a vim string literal.
func vimString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// vimCheck is a vim command that appends to seen, as a line of JSON, what
// vim says of its options, its swap file, the directory of the file it
// edits, and its environment.
func vimCheck(seen string) string {
	return "call writefile([json_encode({" +
		"'updatecount': &updatecount, 'swapfile': &swapfile, 'backup': &backup, 'writebackup': &writebackup, " +
		"'undofile': &undofile, 'viminfofile': &viminfofile, 'viminfo': &viminfo, 'swapname': swapname('%'), " +
		"'beside': readdir(expand('%:p:h')), 'file': expand('%:p'), 'gui': has('gui_running'), " +
		"'state': $XDG_STATE_HOME, 'data': $XDG_DATA_HOME, 'cache': $XDG_CACHE_HOME, 'tmp': $TMPDIR})], " +
		vimString(seen) + ", 'a')"
}

// vimEdit is vim commands that yank the whole file into register a
// (viminfo and shada keep the registers), put value in place of the old
// MCP key, and yank the file into register b. Neither value is in the
// commands in one piece.
func vimEdit(value string) string {
	a, b := split(value)
	return `silent %yank a | silent %s/\(context7_api_key = "\)[^"]*/\=submatch(1) . ` +
		vimString(a) + ` . ` + vimString(b) + `/ | silent %yank b`
}

// vimEditor is $EDITOR for program (vim, nvim, a wrapper): once vim has
// started (at VimEnter, after the configuration's autocommands and
// rigup-exec's), it notes what it sees, edits, and writes and quits, which
// runs the write and VimLeavePre autocommands (nested); at VimLeavePre,
// after the configuration's and rigup-exec's autocommands, it notes again
// what it sees: what it will write viminfo or shada with.
func (w *editorWorld) vimEditor(program string) string {
	enter := "autocmd VimEnter * nested " + vimCheck(w.seen) + " | " + vimEdit(w.new) + " | wq"
	leave := "autocmd VimLeavePre * " + vimCheck(w.seen)
	return program + " -c " + shellQuote(enter) + " -c " + shellQuote(leave)
}

// vimSaw is what vimCheck wrote.
type vimSaw struct {
	UpdateCount int      `json:"updatecount"`
	SwapFile    int      `json:"swapfile"`
	Backup      int      `json:"backup"`
	WriteBackup int      `json:"writebackup"`
	UndoFile    int      `json:"undofile"`
	ViminfoFile string   `json:"viminfofile"`
	Viminfo     string   `json:"viminfo"`
	SwapName    string   `json:"swapname"`
	Beside      []string `json:"beside"`
	File        string   `json:"file"`
	GUI         int      `json:"gui"`
	State       string   `json:"state"`
	Data        string   `json:"data"`
	Cache       string   `json:"cache"`
	Tmp         string   `json:"tmp"`
}

// readVimSaw reads the lines vimCheck wrote.
func (w *editorWorld) readVimSaw() []vimSaw {
	w.t.Helper()
	data, err := os.ReadFile(w.seen)
	if err != nil {
		w.t.Fatalf("vim wrote nothing of what it saw: %v", err)
	}
	var out []vimSaw
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var saw vimSaw
		if err := json.Unmarshal([]byte(line), &saw); err != nil {
			w.t.Fatalf("%v: %s", err, line)
		}
		out = append(out, saw)
	}
	return out
}

// private is the private directory of the edit: the file is in its edit/.
func (saw vimSaw) private() string { return filepath.Dir(filepath.Dir(saw.File)) }

// expectPrivateDirs checks that the editor had the directories of names
// in the private directory, and the caller's others.
func (w *editorWorld) expectPrivateDirs(when string, saw vimSaw, names ...string) {
	w.t.Helper()
	for _, d := range []struct{ name, got, theirs string }{
		{"XDG_STATE_HOME", saw.State, "state"},
		{"XDG_DATA_HOME", saw.Data, "data"},
		{"XDG_CACHE_HOME", saw.Cache, "cache"},
		{"TMPDIR", saw.Tmp, "tmp"},
	} {
		theirs := filepath.Join(w.xdg, d.theirs)
		switch {
		case slices.Contains(names, d.name) && !strings.HasPrefix(d.got, saw.private()+"/"):
			w.t.Errorf("%s the editor has %s=%s, want a directory in %s", when, d.name, d.got, saw.private())
		case !slices.Contains(names, d.name) && d.got != theirs:
			w.t.Errorf("%s the editor has %s=%s, want the caller's %s", when, d.name, d.got, theirs)
		}
	}
}

// expectVimSaw checks what vim saw at VimEnter and at VimLeavePre: no
// swap file, backup, undo file, viminfo or shada, nothing beside the file,
// the XDG directories (all but neovim's data directory, where its plugins
// are) and $TMPDIR in rigup-exec's private directory. It notes the file vim
// was given for the scan.
func (w *editorWorld) expectVimSaw(neovim, gui bool) {
	w.t.Helper()
	seen := w.readVimSaw()
	if len(seen) != 2 {
		w.t.Errorf("vim wrote %d lines of what it saw, want 2 (at VimEnter and VimLeavePre)", len(seen))
	}
	for i, saw := range seen {
		when := [...]string{"at VimEnter", "at VimLeavePre", "later"}[min(i, 2)]
		if saw.UpdateCount != 0 || saw.SwapFile != 0 || saw.Backup != 0 || saw.WriteBackup != 0 || saw.UndoFile != 0 ||
			saw.ViminfoFile != "NONE" || saw.Viminfo != "" || saw.SwapName != "" {
			w.t.Errorf("%s vim has updatecount=%d swapfile=%d backup=%d writebackup=%d undofile=%d viminfofile=%q viminfo=%q and swap file %q; want none of them",
				when, saw.UpdateCount, saw.SwapFile, saw.Backup, saw.WriteBackup, saw.UndoFile, saw.ViminfoFile, saw.Viminfo, saw.SwapName)
		}
		if !slices.Equal(saw.Beside, []string{"rigup.secrets.toml"}) {
			w.t.Errorf("%s the file's directory holds %q, want the file alone", when, saw.Beside)
		}
		if (saw.GUI == 1) != gui {
			w.t.Errorf("%s has('gui_running') is %d", when, saw.GUI)
		}
		if neovim {
			w.expectPrivateDirs(when, saw, "XDG_STATE_HOME", "XDG_CACHE_HOME", "TMPDIR")
		} else {
			w.expectPrivateDirs(when, saw, "XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "TMPDIR")
		}
	}
	if len(seen) > 0 {
		w.notePath(seen[0].File)
	}
}

// notePath adds the path of the file the editor edited to the ones
// afterEdit checks.
func (w *editorWorld) notePath(p string) {
	f, err := os.OpenFile(w.marker("editor-paths"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		w.t.Fatal(err)
	}
	fmt.Fprintln(f, p)
	f.Close()
}

// editWithVim runs secrets edit with $EDITOR, a vim that edits as
// vimEditor says, and checks everything.
func (w *editorWorld) editWithVim(editor string, neovim, gui bool) {
	w.t.Helper()
	before := w.files()
	w.editor = editor
	r := w.run("secrets", "edit")
	if !r.ws.Exited() || r.ws.ExitStatus() != 0 || !strings.Contains(r.stderr, "saved") {
		// vim's own warnings (no terminal) are on stderr too.
		w.t.Errorf("secrets edit: %v, want exit 0 and saved; stderr:\n%s", describe(r.ws), redactValues(r.stderr, w.old, w.new))
	}
	w.expectPlaintext(w.key, tomlWith(w.new, "x"))
	w.expectVimSaw(neovim, gui)
	w.expectNoNewFiles(before)
}

// realPath is the file program runs, links resolved.
func realPath(t *testing.T, program string) string {
	t.Helper()
	p, err := exec.LookPath(program)
	if err != nil {
		t.Fatal(err)
	}
	if p, err = filepath.EvalSymlinks(p); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSecretsVim: vim and neovim write no viminfo or shada, swap, backup
// or undo file, whatever their configuration asks for and when, and vim
// none with no configuration of the user's either.
func TestSecretsVim(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, program   string
		neovim, hostile bool
	}{
		{"vim", "vim", false, true},
		{"vim without a configuration", "vim", false, false},
		{"nvim", "nvim", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if testing.Short() && !tc.hostile {
				t.Skip("vim without a configuration: not with -short")
			}
			require(t, tc.program)
			w := newEditorWorld(t)
			if tc.hostile {
				w.hostileVimConfig()
			}
			w.editWithVim(w.vimEditor(tc.program), tc.neovim, false)
		})
	}
}

// TestSecretsGvim: gvim, on a real X server (Xvfb), is kept in the
// foreground (it forks otherwise, and the file would be read back before it
// is edited) and hardened as vim is.
func TestSecretsGvim(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("gvim on Xvfb: not with -short")
	}
	require(t, "gvim", "Xvfb")
	w := newEditorWorld(t)
	w.hostileVimConfig()
	w.setenv("DISPLAY=" + startXvfb(t))
	w.editWithVim(w.vimEditor("gvim"), false, true)
}

// startXvfb starts an X server for the test and returns its display, once
// it is ready to take clients (-displayfd writes the display number then).
func startXvfb(t *testing.T) string {
	t.Helper()
	r, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-nolisten", "tcp", "-screen", "0", "800x600x24")
	cmd.ExtraFiles = []*os.File{wr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	wr.Close()
	t.Cleanup(func() {
		// TERM, not KILL: Xvfb then removes its socket and lock file.
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	line, err := bufio.NewReader(r).ReadString('\n')
	if _, convErr := strconv.Atoi(strings.TrimSpace(line)); err != nil || convErr != nil {
		t.Fatalf("Xvfb did not start: %q, %v", line, err)
	}
	return ":" + strings.TrimSpace(line)
}

// TestSecretsEditorThroughWrappers: vim and neovim started through Debian's
// alternatives (a chain of symlinks), through the real sensible-editor with
// a choice in ~/.selected_editor or made with the real select-editor, are
// seen through and hardened; through an opaque script, neovim still keeps
// its state (shada, by default) in the private directory, through the XDG
// variables. -short leaves them to TestSecretsVim.
func TestSecretsEditorThroughWrappers(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("editors through wrappers: not with -short")
	}
	t.Run("alternatives", func(t *testing.T) {
		t.Parallel()
		require(t, "nvim")
		w := newEditorWorld(t)
		w.hostileVimConfig()
		// As update-alternatives makes them: bin/editor -> alternatives/editor -> nvim.
		bin, alt := filepath.Join(w.root, "bin"), filepath.Join(w.root, "alternatives")
		for _, d := range []string{bin, alt} {
			os.Mkdir(d, 0o755)
		}
		os.Symlink(realPath(t, "nvim"), filepath.Join(alt, "editor"))
		os.Symlink(filepath.Join(alt, "editor"), filepath.Join(bin, "editor"))
		w.editWithVim(w.vimEditor(filepath.Join(bin, "editor")), true, false)
	})
	t.Run("sensible-editor", func(t *testing.T) {
		t.Parallel()
		require(t, "sensible-editor", "nvim")
		w := newEditorWorld(t)
		w.hostileVimConfig()
		w.writeHome(".selected_editor", "# Generated by /usr/bin/select-editor\nSELECTED_EDITOR=\""+realPath(t, "nvim")+"\"\n")
		// $EDITOR names sensible-editor, which passes it over as itself;
		// $VISUAL, which rigup-exec runs, too, since sensible-editor
		// takes all of it as the name of a program: the choice is
		// ~/.selected_editor's.
		w.setenv("VISUAL=" + w.vimEditor("sensible-editor"))
		w.editWithVim("sensible-editor", true, false)
	})
	t.Run("select-editor", func(t *testing.T) {
		t.Parallel()
		require(t, "sensible-editor", "select-editor", "nvim")
		w := newEditorWorld(t)
		w.hostileVimConfig()
		before := w.files()
		w.editor = "sensible-editor"
		w.setenv("VISUAL="+w.vimEditor("sensible-editor"), "TERM=xterm")
		term := w.terminal("secrets", "edit")
		term.hide(w.old, w.new)
		term.expect("Choose 1-")
		m := regexp.MustCompile(`(\d+)\. (/\S*/nvim)\s`).FindStringSubmatch(term.screen())
		if m == nil {
			t.Fatalf("select-editor does not offer nvim: %q", term)
		}
		nvim := m[2]
		term.send(m[1] + "\r")
		term.expect("saved")
		term.expectExit(0, "nvim chosen with select-editor")
		data, err := os.ReadFile(filepath.Join(w.home, ".selected_editor"))
		if err != nil || !strings.Contains(string(data), nvim) {
			t.Errorf("select-editor's choice was not saved in ~/.selected_editor: %q, %v", data, err)
		}
		before = append(before, filepath.Join(w.home, ".selected_editor"))
		w.expectPlaintext(w.key, tomlWith(w.new, "x"))
		w.expectVimSaw(true, false)
		w.expectNoNewFiles(before)
	})
	t.Run("opaque script", func(t *testing.T) {
		t.Parallel()
		require(t, "nvim")
		w := newEditorWorld(t)
		// No configuration: neovim writes its shada, with the registers,
		// where XDG_DATA_HOME (0.7) or XDG_STATE_HOME (0.8 on) says.
		wrapper := filepath.Join(w.root, "my-editor")
		if err := os.WriteFile(wrapper, []byte("#!/bin/sh\nexec nvim \"$@\"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		before := w.files()
		w.editor = w.vimEditor(wrapper)
		r := w.run("secrets", "edit")
		if !r.ws.Exited() || r.ws.ExitStatus() != 0 || !strings.Contains(r.stderr, "saved") {
			t.Errorf("secrets edit: %v, want exit 0 and saved; stderr:\n%s", describe(r.ws), redactValues(r.stderr, w.old, w.new))
		}
		w.expectPlaintext(w.key, tomlWith(w.new, "x"))
		saw := w.readVimSaw()[0]
		w.expectPrivateDirs("behind a script", saw, "XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME")
		w.notePath(saw.File)
		w.expectNoNewFiles(before)
	})
}

// nanoStateFiles are where nano keeps its history, under a home.
var nanoStateFiles = []string{
	".local/share/nano/search_history", ".local/share/nano/filepos_history",
	".nano/search_history", ".nano/filepos_history",
}

// TestSecretsNano: nano, with Debian's /etc/nanorc (historylog) and a
// user's nanorc asking for search and position history, saves no history:
// not in $XDG_DATA_HOME or $HOME, nor in the home of the password database,
// where nano looks as root whatever $HOME says.
func TestSecretsNano(t *testing.T) {
	t.Parallel()
	require(t, "nano")
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	// One at a time: they use the same files of the real home.
	for _, xdg := range []bool{true, false} {
		t.Run(map[bool]string{true: "XDG directories", false: "home only"}[xdg], func(t *testing.T) {
			if testing.Short() && !xdg {
				t.Skip("nano without XDG directories: not with -short")
			}
			w := newEditorWorld(t)
			if !xdg {
				w.vars = nil
			}
			w.writeHome(".config/nano/nanorc", "set historylog\nset positionlog\n")
			// The real home is searched for the values, not the rest of
			// it; should this fail, nano's history files there lose the
			// test's lines.
			for _, name := range nanoStateFiles {
				p := filepath.Join(u.HomeDir, name)
				data, err := os.ReadFile(p)
				existed := err == nil
				t.Cleanup(func() { restoreHistory(p, existed, data, w.old, w.new) })
			}
			before := w.files()
			w.editor = "nano"
			w.setenv("TERM=xterm")
			term := w.terminal("secrets", "edit")
			term.hide(w.old, w.new)
			term.expect("rigup.secrets.toml")
			// Search for the old value, replace it (all) by the new one,
			// save, exit.
			term.send("\x17" + w.old + "\r" + "\x1br" + w.old + "\r" + w.new + "\r" + "a" + "\x13" + "\x18")
			term.expect("saved")
			term.expectExit(0, "nano saved")
			w.expectPlaintext(w.key, tomlWith(w.new, "x"))
			w.expectNoNewFiles(before)
			for _, name := range nanoStateFiles {
				p := filepath.Join(u.HomeDir, name)
				if found := fileContains(p, [][]byte{[]byte(w.old), []byte(w.new)}); len(found) > 0 {
					t.Errorf("plaintext: %s holds %d of the secret values", p, len(found))
				}
			}
		})
	}
}

// restoreHistory undoes what a failing test did to a history file of the
// real home: removes it if it did not exist, else drops the lines that
// hold the test's values.
func restoreHistory(p string, existed bool, before []byte, values ...string) {
	data, err := os.ReadFile(p)
	if err != nil {
		return
	}
	if !existed {
		os.Remove(p)
		os.Remove(filepath.Dir(p)) // if it is empty
		return
	}
	if string(data) == string(before) {
		return
	}
	var keep []string
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if !slices.ContainsFunc(values, func(v string) bool { return strings.Contains(line, v) }) {
			keep = append(keep, line)
		}
	}
	os.WriteFile(p, []byte(strings.Join(keep, "")), 0o600)
}

// TestSecretsEditorKilled: the real vim, killed by a signal after it wrote
// a new value into the file, saves nothing: secrets edit says how it ended
// and exits 125, and the plaintext is wiped.
func TestSecretsEditorKilled(t *testing.T) {
	t.Parallel()
	require(t, "vim")
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGTERM} {
		t.Run(unix.SignalName(sig), func(t *testing.T) {
			t.Parallel()
			if testing.Short() && sig != syscall.SIGKILL {
				t.Skip("vim killed by another signal than KILL: not with -short")
			}
			w := newEditorWorld(t)
			started := w.marker("vim-started")
			// vim edits, writes the file, notes its pid and path (in a
			// file renamed into place once written), and waits on the
			// terminal.
			w.editor = "vim -c " + shellQuote("autocmd VimEnter * nested "+vimEdit(w.new)+
				" | write | call writefile([getpid(), expand('%:p')], "+vimString(started+".new")+") | call rename("+
				vimString(started+".new")+", "+vimString(started)+")")
			w.setenv("TERM=xterm")
			term := w.terminal("secrets", "edit")
			term.hide(w.old, w.new)
			waitForFile(t, started, term.reap(), term)
			data, _ := os.ReadFile(started)
			fields := strings.Fields(string(data))
			pid, err := strconv.Atoi(fields[0])
			if err != nil || len(fields) != 2 {
				t.Fatalf("vim noted %q", data)
			}
			w.notePath(fields[1])
			if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); !strings.HasPrefix(string(comm), "vim") {
				t.Fatalf("process %d, to be killed as vim, is %q", pid, comm)
			}
			if err := syscall.Kill(pid, sig); err != nil {
				t.Fatal(err)
			}
			term.expectExit(125, "vim killed by "+unix.SignalName(sig))
			term.expect("rigup-exec: error: the editor was killed by " + unix.SignalName(sig) + ": nothing saved")
			expectFile(t, "vim killed", w.secretsFile(), w.before)
			w.afterEdit(w.old, w.new)
		})
	}
}

// TestSecretsVimReopensAtTheLine: on a terminal, after invalid TOML, the
// real vim is opened again at the line the error names (+N). The first
// time vim breaks line 3; the second, at VimEnter (after +N), it notes the
// cursor's line, mends the file and quits.
func TestSecretsVimReopensAtTheLine(t *testing.T) {
	t.Parallel()
	require(t, "vim")
	w := newEditorWorld(t)
	count, line := filepath.Join(w.root, "count"), filepath.Join(w.root, "line")
	script := filepath.Join(w.root, "reopen.vim")
	writeErr := os.WriteFile(script, []byte(`let s:n = filereadable(`+vimString(count)+`) ? str2nr(readfile(`+vimString(count)+`)[0]) + 1 : 1
call writefile([s:n], `+vimString(count)+`)
function! s:Act()
  if s:n == 1
    call append(2, 'broken =')
  else
    call writefile([line('.')], `+vimString(line)+`)
    3delete
  endif
  wq
endfunction
autocmd VimEnter * nested call s:Act()
`), 0o644)
	if writeErr != nil {
		t.Fatal(writeErr)
	}
	w.editor = "vim -S " + shellQuote(script)
	term := w.terminal("secrets", "edit")
	m := term.expectRe(regexp.MustCompile(`not valid TOML at line (\d+), column \d+: ([a-z ,]+)`))
	term.expect("[Y/n]")
	term.send("y\r")
	term.expectExit(0, "mended")
	got, err := os.ReadFile(line)
	if err != nil {
		t.Fatalf("vim was not opened again: %v", err)
	}
	if strings.TrimSpace(string(got)) != m[1] {
		t.Errorf("vim opened again at line %s, want %s, where the error is (%s)", strings.TrimSpace(string(got)), m[1], m[2])
	}
	w.expectPlaintext(w.key, tomlWith(w.old, "x"))
}
