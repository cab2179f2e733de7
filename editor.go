package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"rigup-exec/exec"
)

// editor is the user's editor as secrets edit runs it.
type editor struct {
	argv []string // the program, its arguments, the file last
	env  []string // NAME=value, set over rigup-exec's environment
	kind editorKind
	// plusLine: the editor opens the file at line N given +N before it,
	// as vi, vim, neovim, nano, emacs and others do.
	plusLine bool
}

// editorsWithPlusLine are the editors, besides those of a known kind, that
// take +N for the line to open a file at.
var editorsWithPlusLine = []string{"vi", "nvi", "elvis", "ex", "emacs", "emacsclient", "mg", "jove", "joe", "jed", "micro", "kak", "mcedit", "ne"}

// atLine makes the editor open the file at line n, when it knows how.
func (ed *editor) atLine(n int) {
	if !ed.plusLine || n < 1 {
		return
	}
	last := len(ed.argv) - 1
	ed.argv = append(ed.argv[:last:last], "+"+strconv.Itoa(n), ed.argv[last])
}

// editorKind is what rigup-exec knows of an editor, and so how far it can
// keep the editor's copies of the secrets off the disk.
type editorKind int

const (
	otherEditor  editorKind = iota // unknown, or behind a wrapper that cannot be seen through
	vimEditor                      // vim, gvim, and vim under any name a symlink gives it
	neovimEditor                   // nvim
	nanoEditor                     // nano, rnano
)

func (k editorKind) String() string {
	return [...]string{"other", "vim", "neovim", "nano"}[k]
}

// editorStateDirs are the directories of the private RAM directory that an
// editor gets for its state, and the variables that name them. Which of
// them a kind of editor gets is editorEnv's business.
var editorStateDirs = []struct{ name, env string }{
	{"state", "XDG_STATE_HOME"},
	{"data", "XDG_DATA_HOME"},
	{"cache", "XDG_CACHE_HOME"},
	{"tmp", "TMPDIR"},
}

// editorEnv returns the variables that point an editor of kind k into the
// private RAM directory root (wiped afterwards).
//
//   - XDG_STATE_HOME and XDG_CACHE_HOME: every editor. Neither holds
//     anything an editor needs to start: history, swap, undo, logs, caches.
//   - XDG_DATA_HOME: every editor but neovim, whose plugins and packages
//     live there (lazy.nvim would clone them all again into RAM); neovim's
//     state files there are turned off by its arguments instead. nano keeps
//     its search history there.
//   - TMPDIR: only for the editors rigup-exec knows (vim's filter commands,
//     :%!sort, write the buffer there), not for others: client editors
//     (emacsclient, code) find their server through it.
func editorEnv(k editorKind, root string) []string {
	var env []string
	for _, d := range editorStateDirs {
		if d.env == "XDG_DATA_HOME" && k == neovimEditor || d.env == "TMPDIR" && k == otherEditor {
			continue
		}
		env = append(env, d.env+"="+filepath.Join(root, d.name))
	}
	return env
}

// editorCommand returns how to run the editor on file: $VISUAL, else
// $EDITOR (split into words as a shell would, without expansions), else vi,
// seen through symlinks (Debian's alternatives) and through Debian's
// sensible-editor. root is the private RAM directory, where the
// subdirectories of editorStateDirs exist. selectEditor runs select-editor
// when sensible-editor would (it asks on a terminal which editor to use),
// and says whether it succeeded; nil when there is no terminal.
//
// vim and neovim get arguments that keep copies of the file off the disk
// whatever their configuration says, and nano runs in restricted mode,
// which writes no history; see vimHardening and editorEnv.
func editorCommand(getenv func(string) string, selectEditor func() bool, file, root string) (*editor, error) {
	spec, from := getenv("VISUAL"), "VISUAL"
	if spec == "" {
		spec, from = getenv("EDITOR"), "EDITOR"
	}
	if spec == "" {
		spec, from = "vi", ""
	}
	words, err := shellWords(spec)
	if err != nil {
		return nil, fmt.Errorf("$%s: %w", from, err)
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("$%s names no program", from)
	}
	path := getenv("PATH")
	real := realProgram(words[0], path)
	if isSensibleEditor(real) {
		if chosen, ok := sensibleChoice(real, getenv, selectEditor); ok {
			words = append(chosen, words[1:]...)
			real = realProgram(words[0], path)
		}
	}
	ed := &editor{kind: kindOf(real)}
	ed.plusLine = ed.kind != otherEditor || slices.Contains(editorsWithPlusLine, filepath.Base(real))
	var hardening []string
	switch ed.kind {
	case vimEditor:
		// -f: gvim stays in the foreground instead of forking, so that the
		// file is read back once it is closed; terminal vim ignores it.
		hardening = append([]string{"-f"}, vimHardening(filepath.Join(root, "state"))...)
	case neovimEditor:
		hardening = vimHardening(filepath.Join(root, "state"))
	case nanoEditor:
		// Restricted mode reads the nanorc files but writes no search or
		// position history and no backup, whatever they say.
		hardening = []string{"-R"}
	}
	// Right after the program, so that these come before any -c of the
	// user's: vim runs -c commands in order, and one may be :wq.
	ed.argv = append(append(append([]string{words[0]}, hardening...), words[1:]...), file)
	ed.env = editorEnv(ed.kind, root)
	return ed, nil
}

// vimHardening returns the arguments that keep vim and neovim from writing
// a swap file, a backup, an undo file or viminfo/shada. -n and -i NONE act
// before the user's vimrc or init.vim is read, which may undo them; the -c
// commands run after it: the first sets the options again, the second
// registers autocommands, after the configuration's own, that set them
// again on the events where they are read: when a buffer is read or
// entered, before each write, at VimEnter (after -c), at VimLeavePre, right
// before viminfo or shada is written, and whenever an option is set. The
// directories for swap, backup, undo and view files point into dir (in
// RAM), in case something turns them on in between. Each option is set on
// its own, silently: a build without one (vim.tiny has no viminfo) must
// not keep the others from being set. Nothing needs +eval, which vim.tiny
// lacks.
func vimHardening(dir string) []string {
	sets := []string{"viminfo=", "viminfofile=NONE", "noswapfile", "updatecount=0",
		"nobackup", "nowritebackup", "noundofile", "patchmode="}
	if plainPath(dir) {
		for _, opt := range []string{"directory", "backupdir", "undodir", "viewdir"} {
			sets = append(sets, opt+"="+dir)
		}
	}
	var cmds []string
	for _, s := range sets {
		cmds = append(cmds, "silent! set "+s)
	}
	force := strings.Join(cmds, " | ")
	// :autocmd takes the rest of the line as its command: it comes last.
	register := "autocmd rigup_exec BufReadPost,BufEnter,BufWinEnter,InsertEnter,BufWritePre,FileWritePre,FileAppendPre,VimEnter,VimLeavePre,OptionSet * " + force
	return []string{"-n", "-i", "NONE", "-c", "augroup rigup_exec | augroup END | " + force, "-c", register}
}

// plainPath reports whether :set takes the absolute path p as it is: no
// space, backslash, comma or bar, which would need escaping. (By hand, as
// the other checks here: a regexp compiled at start costs every run.)
func plainPath(p string) bool {
	if len(p) < 2 || p[0] != '/' {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("/._+:@-", c) >= 0) {
			return false
		}
	}
	return true
}

// realProgram returns the file program runs, found on path and with every
// symlink resolved, or "" when there is none.
func realProgram(program, path string) string {
	p, err := exec.LookPath(program, path)
	if err != nil {
		return ""
	}
	if real, err := filepath.EvalSymlinks(p); err == nil {
		return real
	}
	return p
}

// kindOf tells the editor from the name of the file it runs.
func kindOf(real string) editorKind {
	base := filepath.Base(real)
	switch {
	case base == "nvim" || strings.HasPrefix(base, "nvim."):
		return neovimEditor
	case strings.HasPrefix(base, "vim") || strings.HasPrefix(base, "gvim"):
		return vimEditor
	case base == "nano" || base == "rnano":
		return nanoEditor
	}
	return otherEditor
}

// isSensibleEditor reports whether real is Debian's sensible-editor (of
// sensible-utils), whose choice of editor sensibleChoice repeats.
func isSensibleEditor(real string) bool {
	if filepath.Base(real) != "sensible-editor" {
		return false
	}
	f, err := os.Open(real)
	if err != nil {
		return false
	}
	defer f.Close()
	script, _ := io.ReadAll(io.LimitReader(f, 64<<10))
	return bytes.HasPrefix(script, []byte("#!")) && bytes.Contains(script, []byte(".selected_editor"))
}

// sensibleChoice returns the words of the editor that Debian's
// sensible-editor at self would run, as its script chooses it: $VISUAL (one
// word), else $EDITOR, else SELECTED_EDITOR as ~/.selected_editor sets it
// (select-editor writes that file, and is run first when there is none, no
// $EDITOR or $SELECTED_EDITOR, and a terminal), else editor, each split
// into words; the first of these that can be run, else nano (when $TERM is
// set), nano-tiny or vi. A variable that names sensible-editor itself is
// passed over, as the script does. ok is false when the choice cannot be
// known: ~/.selected_editor holds more than an assignment, or nothing can
// be run.
func sensibleChoice(self string, getenv func(string) string, selectEditor func() bool) (words []string, ok bool) {
	path := getenv("PATH")
	notSelf := func(v string) string {
		if v != "" && realProgram(v, path) == self {
			return ""
		}
		return v
	}
	visual, editorVar, selected := notSelf(getenv("VISUAL")), notSelf(getenv("EDITOR")), notSelf(getenv("SELECTED_EDITOR"))
	if home := getenv("HOME"); home != "" {
		file := filepath.Join(home, ".selected_editor")
		data, err := readSmall(file)
		if errors.Is(err, errTooLarge) {
			return nil, false
		}
		if err != nil && editorVar == "" && selected == "" && selectEditor != nil {
			if !selectEditor() {
				err = errors.New("select-editor failed")
			} else {
				data, err = readSmall(file)
			}
		}
		if err == nil {
			v, set, parsed := parseSelectedEditor(data)
			if !parsed {
				return nil, false
			}
			if set {
				selected = notSelf(v)
			}
		}
	}
	var candidates [][]string
	if visual != "" {
		candidates = append(candidates, []string{visual})
	}
	chosen := editorVar
	if chosen == "" {
		chosen = selected
	}
	if chosen == "" {
		chosen = "editor"
	}
	candidates = append(candidates, strings.Fields(chosen))
	if getenv("TERM") != "" {
		candidates = append(candidates, []string{"nano"})
	}
	candidates = append(candidates, []string{"nano-tiny"}, []string{"vi"})
	for _, c := range candidates {
		if len(c) == 0 {
			continue
		}
		if real := realProgram(c[0], path); real != "" && real != self {
			return c, true
		}
	}
	return nil, false
}

var errTooLarge = errors.New("larger than 64 KiB")

// readSmall reads a file of a few lines, refusing a large one.
func readSmall(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 64<<10+1))
	if err == nil && len(data) > 64<<10 {
		return nil, errTooLarge
	}
	return data, err
}

// parseSelectedEditor reads ~/.selected_editor as select-editor writes it:
// comments, blank lines, and SELECTED_EDITOR="..." (the last one counts, as
// when the shell sources it). parsed is false for anything else, which only
// a shell could tell the meaning of.
func parseSelectedEditor(data []byte) (value string, set, parsed bool) {
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		v, ok := strings.CutPrefix(line, "SELECTED_EDITOR=")
		if !ok {
			return "", false, false
		}
		switch {
		case len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' && !strings.ContainsAny(v[1:len(v)-1], "\"\\$`"),
			len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' && !strings.Contains(v[1:len(v)-1], "'"):
			v = v[1 : len(v)-1]
		case strings.ContainsAny(v, " \t\"'\\$`;&|<>(){}*?[]~"):
			return "", false, false
		}
		value, set = v, true
	}
	return value, set, true
}

// shellWords splits s into words as a POSIX shell does, with single and
// double quotes and backslashes, but without any expansion.
func shellWords(s string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		case c == '\\':
			inWord = true
			if i+1 < len(s) {
				i++
				if s[i] != '\n' {
					w.WriteByte(s[i])
				}
			}
		case c == '\'':
			inWord = true
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("unterminated single quote")
			}
			w.WriteString(s[i+1 : i+1+j])
			i += j + 1
		case c == '"':
			inWord = true
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`\n", s[i+1]) >= 0 {
					i++
					if s[i] == '\n' {
						continue
					}
				}
				w.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, errors.New("unterminated double quote")
			}
		default:
			inWord = true
			w.WriteByte(c)
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}
