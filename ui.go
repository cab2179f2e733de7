package main

import (
	"errors"
	"fmt"
	"io"

	"rigup-exec/tmpl"
)

// ui writes rigup-exec's messages. Every line on stderr has one grammar:
// "rigup-exec: error: ...", "rigup-exec: warning: ..." or "rigup-exec: hint:
// ...", lower case, without a final period. No message holds a secret.
type ui struct {
	stdout, stderr io.Writer
}

func (u *ui) errorf(format string, a ...any) {
	fmt.Fprintf(u.stderr, "rigup-exec: error: "+format+"\n", a...)
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
	var h *hintedError
	if errors.As(err, &h) {
		for _, line := range h.hints {
			u.hintf("%s", line)
		}
	}
	return exitFailure
}
