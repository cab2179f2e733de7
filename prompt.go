package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"

	"golang.org/x/term"

	"rigup-exec/crypto"
)

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
	allowAskpass := os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != ""
	useAskpass := false
	switch strings.ToLower(os.Getenv("SSH_ASKPASS_REQUIRE")) {
	case "force":
		useAskpass, allowAskpass = true, true
	case "prefer":
		useAskpass = allowAskpass
	case "never":
		allowAskpass = false
	}
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

// readPassphrase reads a line from the terminal with echo off and erases the
// prompt afterwards. Ctrl-C restores the terminal before rigup-exec exits.
func readPassphrase(tty *os.File, prompt string) ([]byte, error) {
	fd := int(tty.Fd())
	state, err := term.GetState(fd)
	if err != nil {
		return nil, err
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	defer signal.Stop(sigs)
	fmt.Fprint(tty, prompt)
	type line struct {
		b   []byte
		err error
	}
	done := make(chan line, 1)
	go func() {
		b, err := term.ReadPassword(fd)
		done <- line{b, err}
	}()
	select {
	case l := <-done:
		fmt.Fprint(tty, "\r\x1b[K")
		return l.b, l.err
	case <-sigs:
		term.Restore(fd, state)
		fmt.Fprint(tty, "\r\x1b[K")
		return nil, errInterrupted
	}
}

// runAskpass runs the SSH_ASKPASS program with the prompt as its argument
// and takes the passphrase from its output.
func runAskpass(program, prompt string) ([]byte, error) {
	cmd := exec.Command(program, prompt)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		clear(out)
		return nil, fmt.Errorf("SSH_ASKPASS program %s: %v", program, err)
	}
	out = bytes.TrimSuffix(out, []byte("\n"))
	return bytes.TrimSuffix(out, []byte("\r")), nil
}
