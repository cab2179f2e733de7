//go:build linux

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// termDeadline only keeps a broken build from hanging the suite: the tests
// synchronise on what the programs print and on the state of processes.
const termDeadline = 30 * time.Second

// terminal is a program running on a pseudo-terminal of its own, as the
// leader of a new session with the terminal as its controlling terminal
// and as its stdio, as a terminal emulator starts a shell. Its output is
// read as expect(1) reads it: each expect looks past what the previous
// ones consumed. The test keeps the terminal's other end open, so that
// its modes (echo) can still be read after the program ended.
type terminal struct {
	t       testing.TB
	ptmx    *os.File
	tty     *os.File
	cmd     *exec.Cmd
	sid     int // the session: the pid of the program started
	mu      sync.Mutex
	out     []byte
	pos     int // what expect consumed
	changed chan struct{}
	eof     chan struct{}

	waitOnce sync.Once
	waited   chan struct{} // closed when cmd.Wait returned

	secrets []string // values never to be shown in a message

	echoAtStart bool // whether the terminal echoed when the program started
}

// startTerminal starts argv on a new terminal, in dir with env. The
// terminal is wide enough that readline never redraws a long command line.
func startTerminal(t testing.TB, dir string, env []string, argv ...string) *terminal {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 50, Cols: 1000}); err != nil {
		t.Fatal(err)
	}
	tios, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir, cmd.Env = dir, env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		ptmx.Close()
		tty.Close()
		t.Fatal(err)
	}
	// pty left the master in blocking mode (it called Fd), so that Close
	// would wait for the reader to return from read(2). A non-blocking
	// copy is pollable: its Close wakes the reader and really closes the
	// master, which hangs the terminal up.
	fd, err := unix.FcntlInt(ptmx.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err == nil {
		err = unix.SetNonblock(fd, true)
	}
	ptmx.Close()
	if err != nil {
		t.Fatal(err)
	}
	term := &terminal{t: t, ptmx: os.NewFile(uintptr(fd), "/dev/ptmx"), tty: tty, cmd: cmd, sid: cmd.Process.Pid,
		changed: make(chan struct{}, 1), eof: make(chan struct{}), echoAtStart: tios.Lflag&unix.ECHO != 0}
	go term.read()
	t.Cleanup(func() {
		killSession(term.sid)
		term.ptmx.Close()
		tty.Close()
		select {
		case <-term.reap():
		case <-time.After(5 * time.Second):
		}
		<-term.eof
		if t.Failed() {
			t.Logf("the terminal shows:\n%s", term)
		}
	})
	return term
}

// terminal starts rigup-exec args in the world on a new terminal, of type
// dumb unless the world's environment says otherwise.
func (w *world) terminal(args ...string) *terminal {
	w.t.Helper()
	return startTerminal(w.t, w.dir, append([]string{"TERM=dumb"}, w.env()...), append([]string{rigupExec()}, args...)...)
}

func (term *terminal) read() {
	defer close(term.eof)
	buf := make([]byte, 4096)
	for {
		n, err := term.ptmx.Read(buf)
		term.mu.Lock()
		term.out = append(term.out, buf[:n]...)
		term.mu.Unlock()
		select {
		case term.changed <- struct{}{}:
		default:
		}
		if err != nil {
			return
		}
	}
}

// screen is all the terminal showed so far.
func (term *terminal) screen() string {
	term.mu.Lock()
	defer term.mu.Unlock()
	return string(term.out)
}

// hide keeps secret values (made by secretValue) out of the failure
// messages that show the terminal: a program there may show them.
func (term *terminal) hide(values ...string) { term.secrets = append(term.secrets, values...) }

// String is what the terminal shows, for failure messages: without the
// values hide was given.
func (term *terminal) String() string { return redactValues(term.screen(), term.secrets...) }

// mark returns the current end of the output, for since.
func (term *terminal) mark() int {
	term.mu.Lock()
	defer term.mu.Unlock()
	return len(term.out)
}

// since returns the output from mark on.
func (term *terminal) since(mark int) string {
	term.mu.Lock()
	defer term.mu.Unlock()
	return string(term.out[mark:])
}

// expectRe waits until the output not consumed yet matches re, consumes it
// up to the end of the match and returns the submatches.
func (term *terminal) expectRe(re *regexp.Regexp) []string {
	term.t.Helper()
	deadline := time.After(termDeadline)
	for {
		term.mu.Lock()
		m := re.FindSubmatchIndex(term.out[term.pos:])
		var groups []string
		if m != nil {
			for i := 0; i < len(m); i += 2 {
				if m[i] >= 0 {
					groups = append(groups, string(term.out[term.pos+m[i]:term.pos+m[i+1]]))
				} else {
					groups = append(groups, "")
				}
			}
			term.pos += m[1]
		}
		term.mu.Unlock()
		if m != nil {
			return groups
		}
		select {
		case <-term.changed:
		case <-deadline:
			term.t.Fatalf("the terminal never showed %q; it shows:\n%s%s", re, term, term.diag())
		}
	}
}

// expect waits for one of texts and returns which came first.
func (term *terminal) expect(texts ...string) string {
	term.t.Helper()
	quoted := make([]string, len(texts))
	for i, s := range texts {
		quoted[i] = regexp.QuoteMeta(s)
	}
	return term.expectRe(regexp.MustCompile(strings.Join(quoted, "|")))[0]
}

// send types s.
func (term *terminal) send(s string) {
	term.t.Helper()
	if _, err := term.ptmx.Write([]byte(s)); err != nil {
		term.t.Fatal(err)
	}
}

// run types a command line.
func (term *terminal) run(line string) {
	term.t.Helper()
	term.send(line + "\r")
}

// echoOn reports whether the terminal echoes what is typed.
func (term *terminal) echoOn() bool {
	term.t.Helper()
	tios, err := unix.IoctlGetTermios(int(term.tty.Fd()), unix.TCGETS)
	if err != nil {
		term.t.Fatal(err)
	}
	return tios.Lflag&unix.ECHO != 0
}

// reap waits for the program started on the terminal, once, in the
// background; the channel is closed when it has ended.
func (term *terminal) reap() <-chan struct{} {
	term.waitOnce.Do(func() {
		term.waited = make(chan struct{})
		go func() {
			term.cmd.Wait()
			close(term.waited)
		}()
	})
	return term.waited
}

// wait waits for the program started on the terminal to end.
func (term *terminal) wait() syscall.WaitStatus {
	term.t.Helper()
	select {
	case <-term.reap():
		if term.cmd.ProcessState == nil {
			term.t.Fatalf("%s: could not wait for it", term.cmd.Path)
		}
		return term.cmd.ProcessState.Sys().(syscall.WaitStatus)
	case <-time.After(termDeadline):
		term.t.Fatalf("%s did not end; the terminal shows:\n%s%s", term.cmd.Path, term, term.diag())
	}
	panic("unreachable")
}

// drain waits until all the output of the session is read, once every
// process of it has closed the terminal, and returns it. Its modes are
// reset then: echoOn must come before.
func (term *terminal) drain() string {
	term.t.Helper()
	term.tty.Close()
	select {
	case <-term.eof:
	case <-time.After(termDeadline):
		term.t.Fatalf("the terminal is still open; it shows:\n%s%s", term, term.diag())
	}
	return term.screen()
}

// expectExit waits for the program to end with exit status code.
func (term *terminal) expectExit(code int, when string) {
	term.t.Helper()
	if ws := term.wait(); !exited(ws, code) {
		term.t.Errorf("%s: %s, want exit status %d; the terminal shows %q", when, describe(ws), code, term)
	}
}

// diag describes the session's processes, for failure messages.
func (term *terminal) diag() string {
	var b strings.Builder
	b.WriteString("\n--- processes of the session ---\n")
	for _, p := range sessionProcs(term.sid) {
		wchan, _ := os.ReadFile(fmt.Sprintf("/proc/%d/wchan", p.pid))
		fmt.Fprintf(&b, "%d %s pgrp %d wchan %s:%s\n", p.pid, p.comm, p.pgrp, wchan, procSignals(p.pid))
		if stack, err := os.ReadFile(fmt.Sprintf("/proc/%d/stack", p.pid)); err == nil {
			b.Write(stack)
		}
	}
	return b.String()
}

// waitProc polls the processes the program started on the terminal and
// theirs, until one named comm whose parent is named parent satisfies ok
// (nil: any), and returns it.
func (term *terminal) waitProc(comm, parent string, ok func(proc) bool) proc {
	term.t.Helper()
	deadline := time.Now().Add(termDeadline)
	for {
		ps := descendants(term.sid)
		for _, p := range ps {
			if p.comm == comm && ps[p.ppid].comm == parent && (ok == nil || ok(p)) {
				return p
			}
		}
		if time.Now().After(deadline) {
			term.t.Fatalf("no process %s with parent %s in the session: %v; the terminal shows:\n%s",
				comm, parent, ps, term)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitState polls until each pid is in a state that ok accepts.
func (term *terminal) waitState(what string, ok func(state byte) bool, pids ...int) {
	term.t.Helper()
	deadline := time.Now().Add(termDeadline)
	for {
		var bad []string
		for _, pid := range pids {
			p, found := readProc(pid)
			if !found || !ok(p.state) {
				bad = append(bad, fmt.Sprintf("%d %s %c", pid, p.comm, p.state))
			}
		}
		if len(bad) == 0 {
			return
		}
		if time.Now().After(deadline) {
			term.t.Fatalf("not %s: %s; the terminal shows:\n%s", what, strings.Join(bad, ", "), term)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// noRigupLeft checks that no rigup-exec is left in the session.
func (term *terminal) noRigupLeft() {
	term.t.Helper()
	for _, p := range sessionProcs(term.sid) {
		if p.comm == "rigup-exec" {
			term.t.Errorf("rigup-exec %d is still there (state %c)", p.pid, p.state)
		}
	}
}

// noScreenNoise fails on what a broken supervisor shows on the terminal.
func (term *terminal) noScreenNoise() {
	term.t.Helper()
	screen := term.screen()
	for _, bad := range []string{"no job control", "cannot set terminal process group", "goroutine ", "panic:", "rigup-exec: error"} {
		if strings.Contains(screen, bad) {
			term.t.Errorf("the terminal shows %q:\n%s", bad, term)
		}
	}
}

// killSession kills every process of the session a test started, and the
// groups they lead, by their ids.
func killSession(sid int) {
	syscall.Kill(-sid, syscall.SIGKILL)
	for range 3 {
		procs := sessionProcs(sid)
		if len(procs) == 0 {
			return
		}
		for _, p := range procs {
			syscall.Kill(-p.pgrp, syscall.SIGKILL)
			syscall.Kill(p.pid, syscall.SIGKILL)
		}
	}
}
