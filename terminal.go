package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// The terminal: rigup-exec asks its questions and passphrases on the
// controlling terminal, /dev/tty, never on standard input, which belongs to
// the command (or to the editor).

// openTTY opens the controlling terminal, or returns nil when the process
// has none.
func openTTY() *os.File {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil
	}
	return tty
}

// interactive reports whether there is a user at a terminal to answer a
// question: standard input is a terminal (a scripted $EDITOR, a pipe or
// a CI job has none) and there is a controlling terminal to ask on. A
// passphrase needs only the latter, as ssh's does: `... | rigup-exec -- cmd`
// still asks for it.
func interactive() bool {
	if !term.IsTerminal(int(os.Stdin.Fd())) {
		return false
	}
	tty := openTTY()
	if tty == nil {
		return false
	}
	tty.Close()
	return true
}

// prompting is true while a passphrase is read from the terminal, which
// handles fatal signals itself so as to restore the terminal's modes.
var prompting atomic.Bool

// confirm asks question on the terminal and returns the answer, def for an
// empty one; asked is false when there is nobody to ask (see interactive).
// Ctrl-C is errInterrupted.
func (u *ui) confirm(question string, def bool) (yes, asked bool, err error) {
	if !interactive() {
		return false, false, nil
	}
	tty := openTTY()
	if tty == nil {
		return false, false, nil
	}
	defer tty.Close()
	line, err := askLine(tty, question, true)
	if err != nil {
		return false, true, err
	}
	defer clear(line)
	switch strings.ToLower(strings.TrimSpace(string(line))) {
	case "":
		return def, true, nil
	case "y", "yes":
		return true, true, nil
	}
	return false, true, nil
}

// readPassphrase reads a passphrase from the terminal with echo off, and
// erases the prompt afterwards.
func readPassphrase(tty *os.File, prompt string) ([]byte, error) {
	prompting.Store(true)
	defer prompting.Store(false)
	return askLine(tty, prompt, false)
}

// askLine shows prompt on the terminal and reads one line. Without echo,
// echo goes off before the prompt shows, so that what is typed ahead of it
// is not echoed either, and the prompt is erased after. Ctrl-C (and TERM,
// HUP, QUIT) restores the terminal and returns errInterrupted.
func askLine(tty *os.File, prompt string, echo bool) ([]byte, error) {
	fd := int(tty.Fd())
	state, err := term.GetState(fd)
	if err != nil {
		return nil, err
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	defer signal.Stop(sigs)
	if !echo {
		if t, err := unix.IoctlGetTermios(fd, ioctlGetTermios); err == nil {
			t.Lflag &^= unix.ECHO
			unix.IoctlSetTermios(fd, ioctlSetTermios, t)
		}
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
	restore := func() {
		term.Restore(fd, state)
		if echo {
			fmt.Fprintln(tty)
		} else {
			fmt.Fprint(tty, "\r\x1b[K")
		}
	}
	select {
	case l := <-done:
		if echo {
			term.Restore(fd, state)
		} else {
			restore()
		}
		return l.b, l.err
	case <-sigs:
		restore()
		return nil, errInterrupted
	}
}

// readLine reads one line from the terminal, in canonical mode, without the
// line break. Only askLine changes the terminal's modes, so that a signal
// cannot race a restore.
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
	return nil, errors.New("line too long")
}
