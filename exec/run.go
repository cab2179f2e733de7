package exec

import (
	"fmt"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Cmd is the child to run.
type Cmd struct {
	Path string   // the program, as found by [LookPath]
	Args []string // its argv, Args[0] included
	Env  []string

	// Stdin, Stdout and Stderr are passed as they are: the child gets the
	// caller's terminal, not pipes. A nil or closed one is closed in the
	// child too.
	Stdin, Stdout, Stderr *os.File

	// Inherit are descriptors the child keeps, at their own numbers, besides
	// its stdio. Every other descriptor of the wrapper is close-on-exec.
	Inherit []*os.File
}

// Status is how the child ended.
type Status struct {
	Code   int            // its exit status, when Signal is 0
	Signal syscall.Signal // the signal that killed it, or 0
}

// Run starts the child, forwards the signals sigs catches to it, keeps job
// control working, and returns when the child has exited. A child that
// cannot be started gives a *CannotRunError.
func Run(c *Cmd, sigs *Signals) (Status, error) {
	s := &supervisor{sigs: sigs, pgrp: unix.Getpgrp()}
	s.tty = openTerminal()
	defer s.tty.close()
	s.init = os.Getpid() == 1 || isSessionLeader()
	s.fg = s.tty != nil && s.tty.foreground() == s.pgrp

	attr := &syscall.SysProcAttr{}
	if s.init {
		// No foreign process shares the group of a session leader, so
		// the child can have its own, and the terminal when we have it.
		attr.Setpgid = true
		if s.fg {
			attr.Foreground = true
			attr.Ctty = s.tty.fd
		}
	}
	for _, f := range c.Inherit {
		if err := setCloseOnExec(f, false); err != nil {
			return Status{}, fmt.Errorf("passing a descriptor to the child: %w", err)
		}
	}
	p, err := os.StartProcess(c.Path, c.Args, &os.ProcAttr{
		Env:   c.Env,
		Files: []*os.File{open(c.Stdin), open(c.Stdout), open(c.Stderr)},
		Sys:   attr,
	})
	for _, f := range c.Inherit {
		setCloseOnExec(f, true)
	}
	if err != nil {
		if pe, ok := err.(*os.PathError); ok {
			err = pe.Err
		}
		return Status{}, &CannotRunError{Path: c.Path, Err: err}
	}
	defer p.Release()
	s.child = p
	return s.supervise()
}

type supervisor struct {
	sigs  *Signals
	child *os.Process
	tty   *terminal
	pgrp  int  // the wrapper's process group
	init  bool // init mode: PID 1 or a session leader
	fg    bool // the wrapper was in the terminal's foreground at start
}

type waited struct {
	ws  syscall.WaitStatus
	err error
}

func (s *supervisor) supervise() (Status, error) {
	waits := make(chan waited)
	go s.wait(waits)
	var tick <-chan time.Time
	if s.init && s.tty != nil {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-tick:
			s.continueGroup()
		case sig := <-s.sigs.ch:
			s.forward(sig.(syscall.Signal))
		case w := <-waits:
			switch {
			case w.err != nil:
				return Status{}, fmt.Errorf("waiting for the child: %w", w.err)
			case w.ws.Stopped():
				s.stopped(w.ws.StopSignal())
			case w.ws.Signaled():
				s.restoreTerminal()
				return Status{Signal: w.ws.Signal()}, nil
			case w.ws.Exited():
				s.restoreTerminal()
				return Status{Code: w.ws.ExitStatus()}, nil
			}
		}
	}
}

// wait reports each stop and the end of the child. As PID 1 it waits for
// any process, so that orphans reparented to it are reaped too.
func (s *supervisor) wait(waits chan<- waited) {
	target := s.child.Pid
	if os.Getpid() == 1 {
		target = -1
	}
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(target, &ws, syscall.WUNTRACED, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			waits <- waited{err: err}
			return
		}
		if pid != s.child.Pid {
			continue // a reaped orphan
		}
		waits <- waited{ws: ws}
		if ws.Exited() || ws.Signaled() {
			return
		}
	}
}

// forward passes sig on to the child, unless the terminal already gave it
// the same signal: Ctrl-C, Ctrl-\ and a resize reach every process of the
// foreground group, and in transparent mode the child shares ours.
func (s *supervisor) forward(sig syscall.Signal) {
	if sig == syscall.SIGPIPE {
		return // about our own writes
	}
	if !s.init && s.tty != nil && (sig == syscall.SIGINT || sig == syscall.SIGQUIT || sig == syscall.SIGWINCH) {
		if s.tty.foreground() == s.pgrp && s.childGroup() == s.pgrp {
			return
		}
	}
	s.child.Signal(sig)
}

func (s *supervisor) childGroup() int {
	pgrp, err := unix.Getpgid(s.child.Pid)
	if err != nil {
		return -1
	}
	return pgrp
}

// stopped handles a child that stopped. In init mode nobody above us does
// job control, so stop signals are undone, as the kernel does for orphaned
// groups. In transparent mode, if the child stopped alone (kill -STOP, or an
// inner shell's suspend), we stop too, so that our shell regains the
// terminal; once continued, we give the terminal back and continue it.
func (s *supervisor) stopped(sig syscall.Signal) {
	group := s.childGroup()
	if s.init {
		if sig != syscall.SIGSTOP {
			syscall.Kill(-group, syscall.SIGCONT)
		}
		return
	}
	if !stillStopped(s.child.Pid) {
		return // it stopped with us, and was continued with us
	}
	ours := s.tty != nil && s.tty.foreground() == s.pgrp
	if (sig == syscall.SIGTTIN || sig == syscall.SIGTTOU) && ours && group != s.pgrp {
		// It is in a group of its own and wants the terminal we hold.
		s.tty.setForeground(group)
		syscall.Kill(-group, syscall.SIGCONT)
		return
	}
	if s.fg && s.tty.foreground() == group && group != s.pgrp {
		s.tty.setForeground(s.pgrp)
	}
	self := syscall.SIGTSTP
	if sig == syscall.SIGSTOP {
		self = syscall.SIGSTOP
	}
	stopSelf(self)
	// We were continued.
	if group != s.pgrp {
		if s.fg && s.tty.foreground() == s.pgrp {
			s.tty.setForeground(group)
		}
		syscall.Kill(-group, syscall.SIGCONT)
	} else {
		s.child.Signal(syscall.SIGCONT)
	}
}

// continueGroup continues the child's process group if a process of it
// other than the child is stopped. In init mode the group is not orphaned,
// as it would be without us (we are its parent, in the same session), so
// Ctrl-Z stops its members, and nobody above us would continue those we do
// not see stop: a grandchild, or the child of a shell caught between vfork
// and exec.
func (s *supervisor) continueGroup() {
	group := s.childGroup()
	if group > 0 && !stillStopped(s.child.Pid) && othersStopped(group, s.child.Pid) {
		syscall.Kill(-group, syscall.SIGCONT)
	}
}

// restoreTerminal takes the terminal back after the child exited, if we had
// it at start and the child's group kept it: in init mode we gave it away,
// and an interactive child killed by SIGKILL cannot give it back.
func (s *supervisor) restoreTerminal() {
	if !s.fg {
		return
	}
	fg := s.tty.foreground()
	if fg == s.pgrp || fg <= 0 {
		return
	}
	if s.init || syscall.Kill(-fg, 0) == syscall.ESRCH {
		s.tty.setForeground(s.pgrp)
	}
}

// terminal is the controlling terminal, opened close-on-exec.
type terminal struct {
	f  *os.File
	fd int
}

func openTerminal() *terminal {
	f, err := os.OpenFile("/dev/tty", os.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil // no controlling terminal
	}
	return &terminal{f: f, fd: int(f.Fd())}
}

func (t *terminal) close() {
	if t != nil {
		t.f.Close()
	}
}

// foreground returns the terminal's foreground process group, or -1.
func (t *terminal) foreground() int {
	if t == nil {
		return -1
	}
	pgrp, err := unix.IoctlGetInt(t.fd, unix.TIOCGPGRP)
	if err != nil {
		return -1
	}
	return pgrp
}

func isSessionLeader() bool {
	sid, err := unix.Getsid(0)
	return err == nil && sid == os.Getpid()
}

// open returns f, or nil when it is not an open descriptor, so that a
// stdio the caller closed is closed in the child too.
func open(f *os.File) *os.File {
	if f == nil {
		return nil
	}
	if _, err := unix.FcntlInt(f.Fd(), unix.F_GETFD, 0); err != nil {
		return nil
	}
	return f
}

func setCloseOnExec(f *os.File, on bool) error {
	flags, err := unix.FcntlInt(f.Fd(), unix.F_GETFD, 0)
	if err != nil {
		return err
	}
	if on {
		flags |= unix.FD_CLOEXEC
	} else {
		flags &^= unix.FD_CLOEXEC
	}
	_, err = unix.FcntlInt(f.Fd(), unix.F_SETFD, flags)
	return err
}
