package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// editorCommand returns the editor to run on file: $VISUAL, else $EDITOR
// (split into words as a shell would, without expansions), else vi. vim and
// neovim get arguments that keep copies of the file off the disk: no swap
// file, no backup, no undo file, no viminfo or shada.
func editorCommand(getenv func(string) string, file string) ([]string, error) {
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
	if isVim(words[0], getenv("PATH")) {
		// Right after the program, so that these come before any -c of
		// the user's: vim runs -c commands in order, and one may be :wq.
		hardening := []string{"-n", "-i", "NONE", "-c", "set nobackup nowritebackup noundofile"}
		words = append(append([]string{words[0]}, hardening...), words[1:]...)
	}
	return append(words, file), nil
}

// isVim reports whether program is vim or neovim, also behind a vi link.
func isVim(program, path string) bool {
	if !strings.Contains(program, "/") {
		for _, dir := range filepath.SplitList(path) {
			if p := filepath.Join(dir, program); fileExists(p) {
				program = p
				break
			}
		}
	}
	if real, err := filepath.EvalSymlinks(program); err == nil {
		program = real
	}
	base := filepath.Base(program)
	return strings.HasPrefix(base, "vim") || strings.HasPrefix(base, "nvim")
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
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
