package exec

import (
	"os"
	"os/signal"
	"syscall"
)

// forwarded are the signals passed on to the child. TSTP, TTIN, TTOU and
// CONT are missing on purpose: left alone, they stop and continue the
// wrapper with its job. URG, CHLD, PIPE and PROF concern the wrapper only.
// The signals of a crash (ABRT, BUS, FPE, SEGV, SYS, TRAP) are caught only
// when another process sends them: a real fault in the wrapper still
// crashes it, without a core dump (see harden in package main).
var forwarded = []os.Signal{
	syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM,
	syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGALRM, syscall.SIGWINCH,
	syscall.SIGABRT, syscall.SIGBUS, syscall.SIGFPE, syscall.SIGSEGV,
	syscall.SIGSYS, syscall.SIGTRAP, syscall.SIGXCPU, syscall.SIGXFSZ,
	syscall.SIGVTALRM,
}

// Signals are the signals received since [Watch].
type Signals struct {
	ch chan os.Signal
}

// Watch starts catching the forwarded signals, and SIGPIPE so that a closed
// stderr cannot kill the wrapper before it has cleaned up. HUP and INT stay
// ignored if they were ignored when the wrapper started: catching them
// would also un-ignore them for the child.
func Watch() *Signals {
	s := &Signals{ch: make(chan os.Signal, 2*len(forwarded))}
	for _, sig := range forwarded {
		if !signal.Ignored(sig) {
			signal.Notify(s.ch, sig)
		}
	}
	signal.Notify(s.ch, syscall.SIGPIPE)
	return s
}

// Fatal returns the first signal received so far whose default action ends
// a process (all forwarded ones but WINCH), or nil. Call it before starting
// the child: a user who pressed Ctrl-C while the wrapper was still preparing
// does not want the child to start.
func (s *Signals) Fatal() os.Signal {
	for {
		select {
		case sig := <-s.ch:
			if IsFatal(sig) {
				return sig
			}
		default:
			return nil
		}
	}
}

// C delivers the signals as they come, for a caller that must not wait for
// a step to end before it acts on one (see [IsFatal]). Before [Run], and
// only then, it is the caller's to read.
func (s *Signals) C() <-chan os.Signal { return s.ch }

// IsFatal reports whether a signal caught by [Watch] would end the process
// by its default action: all but WINCH, and PIPE, which concerns our own
// writes.
func IsFatal(sig os.Signal) bool {
	return sig != syscall.SIGWINCH && sig != syscall.SIGPIPE
}
