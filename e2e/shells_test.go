//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The shells a user lives in: completion loaded by each real shell, and
// rigup-exec shell keeping the user's own config beside the rig's.

// completionShells are the interactive shells completion is tested in: how
// each starts without the user's files, and loads the script.
var completionShells = []struct {
	name string
	argv []string
	load string
}{
	{"bash", []string{"bash", "--norc", "--noprofile", "-i"}, `eval "$(rigup-exec completion bash)"`},
	{"zsh", []string{"zsh", "-f", "-i"}, `autoload -U compinit && compinit -u && source <(rigup-exec completion zsh)`},
	{"fish", []string{"fish", "--no-config", "-i"}, `rigup-exec completion fish | source`},
}

// TestCompletion types rigup-exec's command lines with TAB in each real
// shell: -t offers directories (not files), the word after -- a command,
// the word after secrets its subcommands. Each prefix has one match, which
// the shell then writes out.
func TestCompletion(t *testing.T) {
	t.Parallel()
	for _, sh := range completionShells {
		t.Run(sh.name, func(t *testing.T) {
			t.Parallel()
			if testing.Short() && sh.name != "bash" {
				t.Skip("completion in another shell than bash: not with -short")
			}
			require(t, sh.name)
			w := newWorld(t)
			os.MkdirAll(filepath.Join(w.dir, "tpl-dir"), 0o755)
			w.write("tpl-file", "", 0o644)
			bin := filepath.Join(w.root, "bin")
			os.MkdirAll(bin, 0o755)
			os.WriteFile(filepath.Join(bin, "zzrigupcmd"), []byte("#!/bin/sh\n"), 0o755)
			w.setenv("TERM=dumb", "LC_ALL=C", "HISTFILE=/dev/null", "PS1=RDY$ ", "PROMPT=RDY$ ", "fish_greeting=",
				"PATH="+binDir+":"+bin+":"+os.Getenv("PATH"))
			term := startTerminal(t, w.dir, w.env(), sh.argv...)
			term.run(sh.load + "; echo LOADED")
			term.expectRe(regexp.MustCompile(`(?m)^LOADED`))
			for _, tc := range []struct{ typed, want string }{
				{"rigup-exec -t tpl-", "rigup-exec -t tpl-dir/"},
				{"rigup-exec -- zzrig", "rigup-exec -- zzrigupcmd"},
				{"rigup-exec secrets rek", "rigup-exec secrets rekey"},
			} {
				mark := term.mark()
				term.send(tc.typed + "\t")
				term.expect(tc.want)
				if strings.Contains(term.since(mark), "tpl-file") {
					t.Errorf("%s: %q offered a file for -t", sh.name, tc.typed)
				}
				// Abandon the line: Ctrl-U erases it in all three.
				term.send("\x15")
			}
			term.run("echo DONE")
			term.expectRe(regexp.MustCompile(`(?m)^DONE`))
		})
	}
}

// TestShellKeepsUserConfig runs rigup-exec shell on a terminal, in bash
// and zsh, with a passphrase-protected key: the banner shows, the user's
// git alias works inside, the rig's own config wins over the user's, a
// wrapped tool run twice reuses the shell's directory with no second
// passphrase, the shell's exit status comes back, and the user's
// ~/.config is the same afterwards, byte for byte.
func TestShellKeepsUserConfig(t *testing.T) {
	t.Parallel()
	// bash through a script that starts it without ~/.bashrc or the
	// system's (Debian's sets PS1); zsh without its files (ZDOTDIR below).
	for _, sh := range []struct{ name, script string }{
		{"bash", "#!/bin/sh\nexec bash --norc --noprofile -i\n"},
		{"zsh", "#!/bin/sh\nexec zsh -f -i\n"},
	} {
		t.Run(sh.name, func(t *testing.T) {
			t.Parallel()
			if testing.Short() && sh.name != "bash" {
				t.Skip("rigup-exec shell in another shell than bash: not with -short")
			}
			require(t, sh.name, "git", "ssh-keygen", "age")
			w := newWorld(t).withSecrets("token = \"tok-shell-7\"\n", "open sesame")
			tpl := filepath.Join(w.dir, "tpl")
			w.write("tpl/app/settings.json", `{"token": "{{secrets.token}}"}`, 0o644)
			user := map[string]string{
				".config/git/config":        "[alias]\n\tco = checkout\n",
				".config/app/settings.json": "user's own\n",
			}
			for name, text := range user {
				p := filepath.Join(w.home, name)
				os.MkdirAll(filepath.Dir(p), 0o755)
				os.WriteFile(p, []byte(text), 0o644)
			}
			// A tool as wrapWithSecrets wraps it: through rigup-exec, for
			// the same template root.
			bin := filepath.Join(w.root, "bin")
			os.MkdirAll(bin, 0o755)
			os.WriteFile(filepath.Join(bin, "tool"), []byte("#!/bin/sh\nexec rigup-exec -t '"+tpl+"' -- sh -c 'echo \"tool in $XDG_CONFIG_HOME\"'\n"), 0o755)
			shell := filepath.Join(bin, sh.name+"-shell")
			os.WriteFile(shell, []byte(sh.script), 0o755)
			w.setenv("TERM=dumb", "LC_ALL=C", "HISTFILE=/dev/null", "SHELL="+shell, "PS1=SH$ ", "PROMPT=SH$ ",
				"PATH="+binDir+":"+bin+":"+os.Getenv("PATH"))
			if sh.name == "zsh" {
				w.setenv("RIGUP_NO_BANNER=1")
			}
			args := []string{"-t", tpl, "shell"}
			term := w.terminal(args...)
			term.hide("tok-shell-7")
			term.expect("Enter passphrase for ~/.ssh/id_ed25519: ")
			term.send("open sesame\r")
			// The banner, but in zsh's run RIGUP_NO_BANNER silences it.
			if sh.name == "bash" {
				term.expect("rigup-exec: rig tpl: its configs are in RAM, in ")
			}
			term.expect("SH$ ")
			if sh.name == "zsh" && strings.Contains(term.screen(), "its configs are in RAM") {
				t.Error("RIGUP_NO_BANNER=1 did not silence the banner")
			}
			term.run(`echo "alias=$(git config --get alias.co)"`)
			term.expect("alias=checkout")
			term.run(`case $(cat "$XDG_CONFIG_HOME/app/settings.json") in *tok-shell-7*) echo RIGS;; *) echo USERS;; esac`)
			term.expectRe(regexp.MustCompile(`(?m)^RIGS`))
			term.run(`echo "shell in $XDG_CONFIG_HOME"; tool; tool`)
			m := term.expectRe(regexp.MustCompile(`(?m)^shell in (\S+)`))
			dir := m[1]
			mark := term.mark()
			for i := 0; i < 2; i++ {
				term.expect("tool in " + dir)
			}
			term.expect("SH$ ")
			if strings.Contains(term.since(mark), "passphrase") {
				t.Error("the wrapped tool asked for the passphrase again")
			}
			term.run("exit 7")
			term.expectExit(7, "after exit 7 in the shell")
			for name, text := range user {
				expectFile(t, "~/"+name, filepath.Join(w.home, name), []byte(text))
			}
			w.expectRunDirs(0)
		})
	}
}
