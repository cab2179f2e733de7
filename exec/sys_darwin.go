package exec

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// setForeground makes pgrp the terminal's foreground group, with SIGTTOU
// ignored meanwhile so that it works from the background too.
func (t *terminal) setForeground(pgrp int) {
	if t == nil {
		return
	}
	signal.Ignore(syscall.SIGTTOU)
	defer signal.Reset(syscall.SIGTTOU)
	unix.IoctlSetPointerInt(t.fd, unix.TIOCSPGRP, pgrp)
}

func stopSelf(sig syscall.Signal) {
	syscall.Kill(os.Getpid(), sig)
}

// stillStopped cannot look without /proc; the stop is taken as current.
func stillStopped(pid int) bool { return true }

// othersStopped cannot look without /proc.
func othersStopped(pgrp, pid int) bool { return false }

// Reraise makes the process die by sig where the Go runtime lets it (INT,
// TERM, HUP, KILL); it returns when it could not.
func Reraise(sig syscall.Signal) error {
	signal.Reset(sig)
	if err := syscall.Kill(os.Getpid(), sig); err != nil {
		return err
	}
	time.Sleep(10 * time.Millisecond)
	return fmt.Errorf("still alive after raising %v", sig)
}
