//go:build linux

package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// askpassScript writes an SSH_ASKPASS program that answers passphrase and
// appends each prompt it is given to the file calls.
func askpassScript(t *testing.T, dir, passphrase string) (program, calls string) {
	program = filepath.Join(dir, "askpass")
	calls = filepath.Join(dir, "askpass-calls")
	script := "#!/bin/sh\necho \"$1\" >> '" + calls + "'\necho '" + passphrase + "'\n"
	if err := os.WriteFile(program, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return program, calls
}

// TestAskpassWithoutTerminal runs rigup-exec in a session of its own, so
// that it has no controlling terminal whatever terminal the tests run in,
// and checks OpenSSH's rules for when SSH_ASKPASS may stand in for it.
func TestAskpassWithoutTerminal(t *testing.T) {
	dir, env := passphraseProject(t)
	askpass, calls := askpassScript(t, dir, "open sesame")
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
		cmd := exec.Command(filepath.Join(binDir, "rigup-exec"), "-t", "templates", "check")
		cmd.Dir = dir
		cmd.Env = append(append(append([]string{}, env...), "SSH_ASKPASS="+askpass), tc.env...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		_, statErr := os.Stat(calls)
		if asked := statErr == nil; asked != tc.asked {
			t.Errorf("%s: SSH_ASKPASS run: %v, want %v", tc.name, asked, tc.asked)
		}
		if tc.asked && err != nil {
			t.Errorf("%s: %v\n%s", tc.name, err, &stderr)
		}
		if !tc.asked && (err == nil || !strings.HasPrefix(stderr.String(), tc.stderr)) {
			t.Errorf("%s: err %v, stderr %q", tc.name, err, &stderr)
		}
	}
}
