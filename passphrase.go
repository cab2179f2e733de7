package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"

	"rigup-exec/crypto"
)

// askpass is the SSH_ASKPASS program while it runs, and whether the
// run was cancelled: the lock closes the window between starting the
// program and recording it, in which a signal would otherwise miss it.
var askpass struct {
	sync.Mutex
	proc      *os.Process
	cancelled bool
}

// cancelAskpass kills the SSH_ASKPASS program, if one runs, and keeps one
// from starting: rigup-exec is about to die of a signal and must not leave
// it behind.
func cancelAskpass() {
	askpass.Lock()
	defer askpass.Unlock()
	askpass.cancelled = true
	if askpass.proc != nil {
		askpass.proc.Kill()
	}
}

// errNoPrompt is matched by the error when a passphrase is needed and
// there is no way to ask for it; the error says why SSH_ASKPASS could not
// stand in for the terminal.
var errNoPrompt = errors.New("cannot ask for the passphrase")

type noPromptError struct{ why string }

func (e noPromptError) Error() string        { return errNoPrompt.Error() + ": no terminal, and " + e.why }
func (e noPromptError) Is(target error) bool { return target == errNoPrompt }

// askPassphrase asks for the passphrase of a key the way ssh does: on the
// terminal (/dev/tty, never stdin, which belongs to the command), or through
// the SSH_ASKPASS program when SSH_ASKPASS_REQUIRE says so or there is no
// terminal but a display.
func (c *CLI) askPassphrase(name string, attempt int) ([]byte, error) {
	prompt := fmt.Sprintf("Enter passphrase for %s: ", name)
	if attempt > 1 {
		prompt = fmt.Sprintf("Wrong passphrase, try %d of %d, for %s: ", attempt, crypto.Tries, name)
	}
	useAskpass, allowAskpass := askpassPolicy(c.env.get)
	if !useAskpass {
		if tty := openTTY(); tty != nil {
			defer tty.Close()
			return readPassphrase(tty, prompt)
		}
		useAskpass = true
	}
	program := c.env.get("SSH_ASKPASS")
	switch {
	case program == "":
		return nil, noPromptError{"SSH_ASKPASS is not set"}
	case strings.EqualFold(c.env.get("SSH_ASKPASS_REQUIRE"), "never"):
		return nil, noPromptError{"SSH_ASKPASS_REQUIRE=never forbids SSH_ASKPASS"}
	case !allowAskpass:
		return nil, noPromptError{"SSH_ASKPASS is used only with a display (DISPLAY or WAYLAND_DISPLAY) or with SSH_ASKPASS_REQUIRE=force"}
	}
	return runAskpass(program, prompt)
}

// askpassPolicy decides, as OpenSSH's read_passphrase does, whether the
// SSH_ASKPASS program is used before the terminal is even tried, and whether
// it may be used at all (else only when there is no terminal). It may by
// default when there is a display, and SSH_ASKPASS_REQUIRE overrides.
func askpassPolicy(getenv func(string) string) (use, allowed bool) {
	allowed = getenv("DISPLAY") != "" || getenv("WAYLAND_DISPLAY") != ""
	switch strings.ToLower(getenv("SSH_ASKPASS_REQUIRE")) {
	case "force":
		return true, true
	case "prefer":
		return allowed, allowed
	case "never":
		return false, false
	}
	return false, allowed
}

// runAskpass runs the SSH_ASKPASS program with the prompt as its argument
// and takes the passphrase from its output.
func runAskpass(program, prompt string) ([]byte, error) {
	cmd := exec.Command(program, prompt)
	cmd.Stderr = os.Stderr
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	askpass.Lock()
	if askpass.cancelled {
		askpass.Unlock()
		return nil, errInterrupted
	}
	err := cmd.Start()
	if err == nil {
		askpass.proc = cmd.Process
		askpass.Unlock()
		err = cmd.Wait()
		askpass.Lock()
		askpass.proc = nil
	}
	askpass.Unlock()
	out := stdout.Bytes()
	if err != nil {
		clear(out)
		return nil, fmt.Errorf("SSH_ASKPASS program %s: %v", program, err)
	}
	out = bytes.TrimSuffix(out, []byte("\n"))
	return bytes.TrimSuffix(out, []byte("\r")), nil
}
