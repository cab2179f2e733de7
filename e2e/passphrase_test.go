//go:build linux

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Asking for the passphrase of a key: on the terminal when there is one,
// through SSH_ASKPASS by OpenSSH's rules when there is none.

// passphraseWorld is a world whose key has the passphrase "open sesame",
// with a secrets file encrypted to it and a template root, templates, with
// a placeholder.
func passphraseWorld(t testing.TB) *world {
	w := newWorld(t).withSecrets("k = \"sk-SECRET\"\n", "open sesame")
	w.write("templates/a.json", `{"k": "{{secrets.k}}"}`, 0o644)
	return w
}

// askpassScript writes an SSH_ASKPASS program that answers passphrase and
// appends each prompt it is given to the file calls.
func askpassScript(t testing.TB, dir, passphrase string) (program, calls string) {
	program = filepath.Join(dir, "askpass")
	calls = filepath.Join(dir, "askpass-calls")
	script := "#!/bin/sh\necho \"$1\" >> '" + calls + "'\necho '" + passphrase + "'\n"
	if err := os.WriteFile(program, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return program, calls
}

// blockingAskpass writes an SSH_ASKPASS program that says "asked" on the
// FIFO asked and then waits for a line on the FIFO answer before printing
// the passphrase: rigup-exec is held at a known point, with its key loaded.
func blockingAskpass(t testing.TB, dir, passphrase string) (program, asked, answer string) {
	t.Helper()
	program = filepath.Join(dir, "askpass-blocking")
	asked, answer = filepath.Join(dir, "asked"), filepath.Join(dir, "answer")
	mkfifo(t, asked, answer)
	script := "#!/bin/sh\necho asked > '" + asked + "'\nread line < '" + answer + "'\necho '" + passphrase + "'\n"
	if err := os.WriteFile(program, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return program, asked, answer
}

func TestPassphrasePromptOnTerminal(t *testing.T) {
	t.Parallel()
	w := passphraseWorld(t)
	term := w.terminal("-t", "templates", "check")
	term.expect("Enter passphrase for ~/.ssh/id_ed25519: ")
	term.send("wrong\r")
	term.expect("Wrong passphrase, try 2 of 3, for ~/.ssh/id_ed25519: ")
	term.send("open sesame\r")
	term.expectExit(0, "the right passphrase at the second try")
	term.expect("1 template, 0 plain files, 1 placeholder: all resolve")
	screen := term.drain()
	if strings.Contains(screen, "sesame") || strings.Contains(screen, "wrong\r") {
		t.Errorf("the passphrase was echoed: %q", screen)
	}
	if !strings.Contains(screen, "\r\x1b[K") {
		t.Errorf("the prompt was not erased: %q", screen)
	}
}

// With a terminal, the terminal is asked even when a display and an
// SSH_ASKPASS program are there, as ssh does.
func TestTerminalBeforeAskpass(t *testing.T) {
	t.Parallel()
	w := passphraseWorld(t)
	askpass, calls := askpassScript(t, w.root, "open sesame")
	w.setenv("DISPLAY=:0", "SSH_ASKPASS="+askpass)
	term := w.terminal("-t", "templates", "check")
	term.expect("Enter passphrase for ~/.ssh/id_ed25519: ")
	term.send("open sesame\r")
	term.expectExit(0, "the passphrase typed")
	if _, err := os.Stat(calls); err == nil {
		t.Error("SSH_ASKPASS was run although there is a terminal")
	}
}

func TestCtrlCAtPromptRestoresTerminal(t *testing.T) {
	t.Parallel()
	w := passphraseWorld(t)
	term := w.terminal("-t", "templates", "check")
	if !term.echoAtStart {
		t.Fatal("echo was off before rigup-exec started")
	}
	term.expect("Enter passphrase for ~/.ssh/id_ed25519: ")
	term.send("\x03")
	term.expectExit(130, "Ctrl-C at the prompt")
	if !term.echoOn() {
		t.Error("echo is still off after Ctrl-C at the prompt")
	}
	term.expect("rigup-exec: error: interrupted")
}

// TestAskpassWithoutTerminal runs rigup-exec in a session of its own, so
// that it has no controlling terminal whatever terminal the tests run in,
// and checks OpenSSH's rules for when SSH_ASKPASS may stand in for it.
func TestAskpassWithoutTerminal(t *testing.T) {
	t.Parallel()
	w := passphraseWorld(t)
	askpass, calls := askpassScript(t, w.root, "open sesame")
	for _, tc := range []struct {
		name   string
		env    []string
		asked  bool
		stderr string
	}{
		{"display", []string{"DISPLAY=:0"}, true, ""},
		{"wayland", []string{"WAYLAND_DISPLAY=wayland-0"}, true, ""},
		{"no display", nil, false, "rigup-exec: error: ~/.ssh/id_ed25519: cannot ask for the passphrase: no terminal, and SSH_ASKPASS is used only with a display (DISPLAY or WAYLAND_DISPLAY) or with SSH_ASKPASS_REQUIRE=force\n"},
		{"never", []string{"DISPLAY=:0", "SSH_ASKPASS_REQUIRE=never"}, false, "rigup-exec: error: ~/.ssh/id_ed25519: cannot ask for the passphrase: no terminal, and SSH_ASKPASS_REQUIRE=never forbids SSH_ASKPASS\n"},
		{"prefer without display", []string{"SSH_ASKPASS_REQUIRE=prefer"}, false, "rigup-exec: error: ~/.ssh/id_ed25519: cannot ask for the passphrase: no terminal, and SSH_ASKPASS is used only with a display"},
	} {
		os.Remove(calls)
		cmd := w.command("-t", "templates", "check")
		cmd.Env = append(append(cmd.Env, "SSH_ASKPASS="+askpass), tc.env...)
		r := runToEnd(t, cmd)
		_, statErr := os.Stat(calls)
		if asked := statErr == nil; asked != tc.asked {
			t.Errorf("%s: SSH_ASKPASS run: %v, want %v", tc.name, asked, tc.asked)
		}
		if tc.asked && !exited(r.ws, 0) {
			t.Errorf("%s: %s\n%s", tc.name, describe(r.ws), r.stderr)
		}
		if !tc.asked && (exited(r.ws, 0) || !strings.HasPrefix(r.stderr, tc.stderr)) {
			t.Errorf("%s: %s, stderr %q", tc.name, describe(r.ws), r.stderr)
		}
	}
}
