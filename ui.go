package main

import (
	"errors"
	"fmt"
	"io"
	"syscall"

	"rigup-exec/tmpl"
)

// ui writes rigup-exec's messages. Every line on stderr has one grammar:
// "rigup-exec: error: ...", "rigup-exec: warning: ..." or "rigup-exec: hint:
// ...", lower case, without a final period. No message holds a secret.
type ui struct {
	stdout, stderr io.Writer
	dieBy          syscall.Signal // the signal rigup-exec should die by, if any
}

func (u *ui) errorf(format string, a ...any) {
	fmt.Fprintf(u.stderr, "rigup-exec: error: "+format+"\n", a...)
}

func (u *ui) warnf(format string, a ...any) {
	fmt.Fprintf(u.stderr, "rigup-exec: warning: "+format+"\n", a...)
}

// notef writes what --verbose asks for.
func (u *ui) notef(format string, a ...any) {
	fmt.Fprintf(u.stderr, "rigup-exec: note: "+format+"\n", a...)
}

func (u *ui) hintf(format string, a ...any) {
	fmt.Fprintf(u.stderr, "rigup-exec: hint: "+format+"\n", a...)
}

// hintedError is an error with advice on what to do about it.
type hintedError struct {
	err   error
	hints []string
}

func (e *hintedError) Error() string { return e.err.Error() }
func (e *hintedError) Unwrap() error { return e.err }

func hint(err error, hints ...string) error {
	return &hintedError{err: err, hints: hints}
}

// statusError ends rigup-exec with a status and no message.
type statusError int

func (e statusError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// codedError is an error reported with its own exit status.
type codedError struct {
	code int
	err  error
}

func (e codedError) Error() string { return e.err.Error() }
func (e codedError) Unwrap() error { return e.err }

// signalError ends rigup-exec by a signal, silently: the child died by it,
// or it arrived before the child started.
type signalError syscall.Signal

func (e signalError) Error() string { return syscall.Signal(e).String() }

func killedBy(sig syscall.Signal) error { return signalError(sig) }

// errInterrupted is returned when the user pressed Ctrl-C at a prompt.
var errInterrupted = errors.New("interrupted")

// report prints err, if any, and returns the exit status for it.
func (u *ui) report(err error) int {
	if err == nil {
		return 0
	}
	var status statusError
	if errors.As(err, &status) {
		return int(status)
	}
	var sig signalError
	if errors.As(err, &sig) {
		u.dieBy = syscall.Signal(sig)
		return 128 + int(sig)
	}
	if errors.Is(err, errInterrupted) {
		u.errorf("interrupted")
		return 130
	}
	var problems tmpl.Problems
	if errors.As(err, &problems) {
		for _, p := range problems {
			u.errorf("%s", p)
		}
	} else {
		u.errorf("%s", err)
	}
	code := exitFailure
	var coded codedError
	if errors.As(err, &coded) {
		code = coded.code
	}
	var h *hintedError
	if errors.As(err, &h) {
		for _, line := range h.hints {
			u.hintf("%s", line)
		}
	}
	return code
}
