package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
	"golang.org/x/term"

	"rigup-exec/crypto"
)

// prompting is true while a passphrase is read from the terminal, which
// handles fatal signals itself so as to restore the terminal's modes.
var prompting atomic.Bool

// askpassProcess is the SSH_ASKPASS program while it runs.
var askpassProcess atomic.Pointer[os.Process]

// cancelAskpass kills the SSH_ASKPASS program, if one runs: rigup-exec is
// about to die of a signal and must not leave it behind.
func cancelAskpass() {
	if p := askpassProcess.Load(); p != nil {
		p.Kill()
	}
}

// errNoPrompt is returned when a passphrase is needed and there is no way to
// ask for it.
var errNoPrompt = errors.New("cannot ask for the passphrase: no terminal and no SSH_ASKPASS")

// askPassphrase asks for the passphrase of a key the way ssh does: on the
// terminal (/dev/tty, never stdin, which belongs to the command), or through
// the SSH_ASKPASS program when SSH_ASKPASS_REQUIRE says so or there is no
// terminal but a display.
func (u *ui) askPassphrase(name string, attempt int) ([]byte, error) {
	prompt := fmt.Sprintf("Enter passphrase for %s: ", name)
	if attempt > 1 {
		prompt = fmt.Sprintf("Wrong passphrase, try %d of %d, for %s: ", attempt, crypto.Tries, name)
	}
	useAskpass, allowAskpass := askpassPolicy(os.Getenv)
	if !useAskpass {
		tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
		if err == nil {
			defer tty.Close()
			return readPassphrase(tty, prompt)
		}
		useAskpass = true
	}
	askpass := os.Getenv("SSH_ASKPASS")
	if useAskpass && allowAskpass && askpass != "" {
		return runAskpass(askpass, prompt)
	}
	return nil, errNoPrompt
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

// readPassphrase reads a line from the terminal with echo off and erases the
// prompt afterwards. Ctrl-C restores the terminal before rigup-exec exits.
func readPassphrase(tty *os.File, prompt string) ([]byte, error) {
	fd := int(tty.Fd())
	state, err := term.GetState(fd)
	if err != nil {
		return nil, err
	}
	prompting.Store(true)
	defer prompting.Store(false)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	defer signal.Stop(sigs)
	// Echo goes off before the prompt shows, so that a passphrase typed
	// ahead of it is not echoed either.
	if t, err := unix.IoctlGetTermios(fd, ioctlGetTermios); err == nil {
		t.Lflag &^= unix.ECHO
		unix.IoctlSetTermios(fd, ioctlSetTermios, t)
	}
	fmt.Fprint(tty, prompt)
	type line struct {
		b   []byte
		err error
	}
	done := make(chan line, 1)
	go func() {
		b, err := readLine(tty)
		done <- line{b, err}
	}()
	select {
	case l := <-done:
		term.Restore(fd, state)
		fmt.Fprint(tty, "\r\x1b[K")
		return l.b, l.err
	case <-sigs:
		term.Restore(fd, state)
		fmt.Fprint(tty, "\r\x1b[K")
		return nil, errInterrupted
	}
}

// readLine reads one line from the terminal, in canonical mode, without the
// line break. Only readPassphrase changes the terminal's modes, so that a
// signal cannot race a restore.
func readLine(tty *os.File) ([]byte, error) {
	buf := make([]byte, 0, 1024)
	chunk := make([]byte, 256)
	defer clear(chunk)
	for len(buf) < 64<<10 {
		n, err := tty.Read(chunk)
		if i := bytes.IndexByte(chunk[:n], '\n'); i >= 0 {
			return append(buf, bytes.TrimSuffix(chunk[:i], []byte("\r"))...), nil
		}
		buf = append(buf, chunk[:n]...)
		if err != nil {
			clear(buf)
			return nil, err
		}
	}
	clear(buf)
	return nil, errors.New("passphrase too long")
}

// runAskpass runs the SSH_ASKPASS program with the prompt as its argument
// and takes the passphrase from its output.
func runAskpass(program, prompt string) ([]byte, error) {
	cmd := exec.Command(program, prompt)
	cmd.Stderr = os.Stderr
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	err := cmd.Start()
	if err == nil {
		askpassProcess.Store(cmd.Process)
		err = cmd.Wait()
		askpassProcess.Store(nil)
	}
	out := stdout.Bytes()
	if err != nil {
		clear(out)
		return nil, fmt.Errorf("SSH_ASKPASS program %s: %v", program, err)
	}
	out = bytes.TrimSuffix(out, []byte("\n"))
	return bytes.TrimSuffix(out, []byte("\r")), nil
}
