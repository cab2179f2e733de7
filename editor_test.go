package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
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

func TestEditorCommand(t *testing.T) {
	dir := t.TempDir()
	vim := filepath.Join(dir, "vim")
	os.WriteFile(vim, []byte("#!/bin/sh\n"), 0o755)
	os.Symlink(vim, filepath.Join(dir, "vi"))
	env := func(m map[string]string) func(string) string {
		return func(k string) string {
			if k == "PATH" {
				return dir
			}
			return m[k]
		}
	}
	hardening := []string{"-n", "-i", "NONE", "-c", "set nobackup nowritebackup noundofile"}
	for _, tc := range []struct {
		env  map[string]string
		want []string
	}{
		{map[string]string{"VISUAL": "code --wait", "EDITOR": "vim"}, []string{"code", "--wait", "F"}},
		{map[string]string{"EDITOR": "nano -w"}, []string{"nano", "-w", "F"}},
		{map[string]string{"EDITOR": "vim"}, append(append([]string{"vim"}, hardening...), "F")},
		{map[string]string{}, append(append([]string{"vi"}, hardening...), "F")}, // vi is vim here
		{map[string]string{"EDITOR": "vim -c wq"}, append(append([]string{"vim"}, hardening...), "-c", "wq", "F")},
	} {
		got, err := editorCommand(env(tc.env), "F")
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%v: %q, %v; want %q", tc.env, got, err, tc.want)
		}
	}
	if _, err := editorCommand(env(map[string]string{"EDITOR": "'"}), "F"); err == nil {
		t.Error("a broken $EDITOR was accepted")
	}
}
