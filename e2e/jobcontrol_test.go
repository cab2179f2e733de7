//go:build linux

package e2e

// Job control end to end: rigup-exec is typed into an interactive bash that
// runs in a pseudo-terminal, so that it is a job of a job-control shell and
// not a session leader, as when a user runs it (the "transparent mode" of
// package exec). The last tests start rigup-exec itself as the session
// leader of a terminal ("init mode": docker run -t, a tmux pane).
//
// The tests synchronise only on what the programs print, and on the state
// of processes in /proc; the deadlines only stop a broken build from
// hanging the suite. Strings the tests wait for are written so that the
// terminal's echo of the typed command line cannot match them: the shell
// prints RC=130 for echo "R""C=$?".

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

const (
	jcDeadline = 30 * time.Second // guards against hangs only
	outerPS1   = "OUTERPS1$ "     // the outer shell's prompt
	innerPS1   = "INNERPS1$ "     // an inner shell's prompt, passed as $IPS1
)

// jcFixture is a working directory with a template root "tpl" holding one
// plain file, and a private base directory in RAM for the run directories,
// passed as XDG_RUNTIME_DIR so that the tests can see what is left in it.
type jcFixture struct {
	dir     string // the working directory
	runtime string // $XDG_RUNTIME_DIR
	env     []string
}

func newJCFixture(t *testing.T) *jcFixture {
	t.Helper()
	require(t, "bash", "sh", "sleep", "head", "stty", "cat", "tr")
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "tpl", "app"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tpl", "app", "config.txt"), []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(dir, "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	// Not named rigup-*: a sweeper working in /dev/shm must not take it
	// for a stale run directory.
	runtime, err := os.MkdirTemp("/dev/shm", "jc-e2e-")
	if err != nil {
		t.Skipf("no /dev/shm for the run directories: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(runtime) })
	if err := os.Chmod(runtime, 0o700); err != nil {
		t.Fatal(err)
	}
	return &jcFixture{
		dir:     dir,
		runtime: runtime,
		env: []string{
			"PATH=" + binDir + string(os.PathListSeparator) + os.Getenv("PATH"),
			"HOME=" + home,
			"TERM=dumb",
			"LC_ALL=C",
			"PS1=" + outerPS1,
			"IPS1=" + innerPS1,
			"HISTFILE=/dev/null",
			"XDG_RUNTIME_DIR=" + runtime,
		},
	}
}

// runDirs lists the run directories rigup-exec left in the base.
func (fx *jcFixture) runDirs(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(fx.runtime)
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "rigup-") {
			dirs = append(dirs, e.Name())
		}
	}
	return dirs
}

// oneRunDir checks that a run is going on in the base: it shows that the
// base is the one rigup-exec uses, so that noRunDir proves something.
func (fx *jcFixture) oneRunDir(t *testing.T) {
	t.Helper()
	if dirs := fx.runDirs(t); len(dirs) != 1 {
		t.Fatalf("run directories in %s while rigup-exec runs: %q, want one", fx.runtime, dirs)
	}
}

// noRunDir checks that no run directory is left in the base.
func (fx *jcFixture) noRunDir(t *testing.T) {
	t.Helper()
	if dirs := fx.runDirs(t); len(dirs) != 0 {
		t.Errorf("run directories left in %s: %q", fx.runtime, dirs)
	}
}

// jcTerm is a program running in a pseudo-terminal of its own, as the
// session leader with the terminal as its controlling terminal. Its output
// is read like expect(1) does: each wait looks past what the previous
// waits consumed.
type jcTerm struct {
	t       *testing.T
	ptmx    *os.File
	cmd     *exec.Cmd
	sid     int // the session: the pid of the program started
	mu      sync.Mutex
	out     []byte
	pos     int // what the waits consumed
	changed chan struct{}
	eof     chan struct{}

	waitOnce sync.Once
	waited   chan struct{} // closed when cmd.Wait returned
}

// startJC starts argv in a new terminal, in fx.dir with fx.env.
func startJC(t *testing.T, fx *jcFixture, argv ...string) *jcTerm {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir, cmd.Env = fx.dir, fx.env
	// Wide enough that readline never redraws a long command line.
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 50, Cols: 1000})
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	// pty put the master in blocking mode (it called Fd), so that Close
	// would wait for the reader to return from read(2), and closing it
	// would not hang the terminal up. A non-blocking copy is pollable:
	// its Close wakes the reader and really closes the master.
	fd, err := unix.FcntlInt(ptmx.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err == nil {
		err = unix.SetNonblock(fd, true)
	}
	if err != nil {
		t.Fatal(err)
	}
	ptmx.Close()
	ptmx = os.NewFile(uintptr(fd), "/dev/ptmx")
	term := &jcTerm{t: t, ptmx: ptmx, cmd: cmd, sid: cmd.Process.Pid,
		changed: make(chan struct{}, 1), eof: make(chan struct{})}
	go term.read()
	t.Cleanup(func() {
		killSession(term.sid)
		ptmx.Close()
		select {
		case <-term.reap():
		case <-time.After(5 * time.Second):
		}
		select {
		case <-term.eof:
		case <-time.After(5 * time.Second):
		}
		if t.Failed() {
			t.Logf("terminal output:\n%s", term.screen())
		}
	})
	return term
}

// startOuterShell starts the outer interactive shell and waits for its
// prompt.
func startOuterShell(t *testing.T, fx *jcFixture) *jcTerm {
	t.Helper()
	term := startJC(t, fx, "bash", "--norc", "--noprofile", "-i")
	term.prompt()
	return term
}

func (term *jcTerm) read() {
	defer close(term.eof)
	buf := make([]byte, 4096)
	for {
		n, err := term.ptmx.Read(buf) // EIO once no one has the terminal open
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

func (term *jcTerm) screen() string {
	term.mu.Lock()
	defer term.mu.Unlock()
	return string(term.out)
}

// mark returns the current end of the output, for since.
func (term *jcTerm) mark() int {
	term.mu.Lock()
	defer term.mu.Unlock()
	return len(term.out)
}

// since returns the output from mark on.
func (term *jcTerm) since(mark int) string {
	term.mu.Lock()
	defer term.mu.Unlock()
	return string(term.out[mark:])
}

// expectRe waits until the output not consumed yet matches re, consumes it
// up to the end of the match and returns the submatches.
func (term *jcTerm) expectRe(re *regexp.Regexp) []string {
	term.t.Helper()
	deadline := time.After(jcDeadline)
	closed := false
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
		if closed {
			term.t.Fatalf("the terminal closed before showing %q; it shows:\n%s%s", re, term.screen(), term.diag())
		}
		select {
		case <-term.changed:
		case <-term.eof:
			closed = true // all output is in: one more look
		case <-deadline:
			term.t.Fatalf("the terminal never showed %q; it shows:\n%s%s", re, term.screen(), term.diag())
		}
	}
}

// expect waits for one of texts and returns which came first.
func (term *jcTerm) expect(texts ...string) string {
	term.t.Helper()
	quoted := make([]string, len(texts))
	for i, s := range texts {
		quoted[i] = regexp.QuoteMeta(s)
	}
	return term.expectRe(regexp.MustCompile(strings.Join(quoted, "|")))[0]
}

func (term *jcTerm) prompt()      { term.t.Helper(); term.expect(outerPS1) }
func (term *jcTerm) innerPrompt() { term.t.Helper(); term.expect(innerPS1) }

func (term *jcTerm) send(s string) {
	term.t.Helper()
	if _, err := term.ptmx.Write([]byte(s)); err != nil {
		term.t.Fatal(err)
	}
}

// run types a command line.
func (term *jcTerm) run(line string) {
	term.t.Helper()
	term.send(line + "\r")
}

// status types a command that prints $?, waits for it and for the prompt
// that follows, and returns the status. Getting it also shows that the
// shell reads the terminal again.
func (term *jcTerm) status(prompt string) int {
	term.t.Helper()
	term.run(`echo "R""C=$?"`)
	m := term.expectRe(regexp.MustCompile(`RC=(\d+)`))
	term.expect(prompt)
	n, _ := strconv.Atoi(m[1])
	return n
}

// reap waits for the program started in the terminal, once, in the
// background; the channel is closed when it has ended.
func (term *jcTerm) reap() <-chan struct{} {
	term.waitOnce.Do(func() {
		term.waited = make(chan struct{})
		go func() {
			term.cmd.Wait()
			close(term.waited)
		}()
	})
	return term.waited
}

// wait waits for the program started in the terminal to end.
func (term *jcTerm) wait() syscall.WaitStatus {
	term.t.Helper()
	select {
	case <-term.reap():
		if term.cmd.ProcessState == nil {
			term.t.Fatalf("%s: could not wait for it", term.cmd.Path)
		}
		return term.cmd.ProcessState.Sys().(syscall.WaitStatus)
	case <-time.After(jcDeadline):
		term.t.Fatalf("%s did not end; the terminal shows:\n%s", term.cmd.Path, term.screen())
	}
	panic("unreachable")
}

// noScreenNoise fails on what a broken supervisor shows in the terminal.
func (term *jcTerm) noScreenNoise() {
	term.t.Helper()
	screen := term.screen()
	for _, bad := range []string{"no job control", "cannot set terminal process group", "goroutine ", "panic:", "rigup-exec: error"} {
		if strings.Contains(screen, bad) {
			term.t.Errorf("the terminal shows %q:\n%s", bad, screen)
		}
	}
}

// proc is a process as /proc/PID/stat describes it.
type proc struct {
	pid, ppid, pgrp, sid int
	state                byte
	comm                 string
}

func readProc(pid int) (proc, bool) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return proc{}, false
	}
	lp, rp := bytes.IndexByte(stat, '('), bytes.LastIndexByte(stat, ')')
	if lp < 0 || rp < lp {
		return proc{}, false
	}
	fields := strings.Fields(string(stat[rp+1:]))
	if len(fields) < 4 {
		return proc{}, false
	}
	p := proc{pid: pid, comm: string(stat[lp+1 : rp]), state: fields[0][0]}
	p.ppid, _ = strconv.Atoi(fields[1])
	p.pgrp, _ = strconv.Atoi(fields[2])
	p.sid, _ = strconv.Atoi(fields[3])
	return p, true
}

// procSignals returns the state and signal masks of pid, for diagnostics.
func procSignals(pid int) string {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return " gone"
	}
	var b strings.Builder
	for _, line := range strings.Split(string(status), "\n") {
		for _, key := range []string{"State:", "PPid:", "SigPnd:", "ShdPnd:", "SigBlk:", "SigIgn:", "SigCgt:"} {
			if strings.HasPrefix(line, key) {
				b.WriteString(" " + strings.Join(strings.Fields(line), " "))
			}
		}
	}
	return b.String()
}

// diag describes the session's processes, for failure messages.
func (term *jcTerm) diag() string {
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

// alive reports whether pid is a process that has not ended.
func alive(pid int) bool {
	p, ok := readProc(pid)
	return ok && p.state != 'Z' && p.state != 'X'
}

// sessionProcs returns the live processes of session sid, by pid.
func sessionProcs(sid int) map[int]proc {
	procs := map[int]proc{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if p, ok := readProc(pid); ok && p.sid == sid && p.state != 'Z' && p.state != 'X' {
			procs[pid] = p
		}
	}
	return procs
}

// killSession kills every process of the session the test started, and
// the groups they lead, by their ids.
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

// waitProc polls the session's processes until one named comm whose
// parent is named parent satisfies ok (nil: any), and returns it.
func (term *jcTerm) waitProc(comm, parent string, ok func(proc) bool) proc {
	term.t.Helper()
	deadline := time.Now().Add(jcDeadline)
	for {
		procs := sessionProcs(term.sid)
		for _, p := range procs {
			if p.comm == comm && procs[p.ppid].comm == parent && (ok == nil || ok(p)) {
				return p
			}
		}
		if time.Now().After(deadline) {
			term.t.Fatalf("no process %s with parent %s in the session: %v; the terminal shows:\n%s",
				comm, parent, procs, term.screen())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitState polls until each pid is in a state that ok accepts.
func (term *jcTerm) waitState(what string, ok func(state byte) bool, pids ...int) {
	term.t.Helper()
	deadline := time.Now().Add(jcDeadline)
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
			term.t.Fatalf("not %s: %s; the terminal shows:\n%s", what, strings.Join(bad, ", "), term.screen())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitReading waits until the interactive shell pid waits for input in
// select(2). bash 5.2 loses a Ctrl-C that comes between the display of its
// prompt and that wait (the same without rigup-exec): it echoes ^C and
// prints no new prompt. Where the kernel hides wchan, it gives up after a
// few seconds and goes on.
func (term *jcTerm) waitReading(pid int) {
	term.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		wchan, _ := os.ReadFile(fmt.Sprintf("/proc/%d/wchan", pid))
		if bytes.HasPrefix(wchan, []byte("poll_schedule_timeout")) || bytes.HasPrefix(wchan, []byte("do_select")) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	term.t.Logf("could not see shell %d wait for input; going on", pid)
}

func stopped(state byte) bool { return state == 'T' }
func running(state byte) bool { return state != 'T' && state != 't' }

// noRigupLeft checks that no rigup-exec is left in the session.
func (term *jcTerm) noRigupLeft() {
	term.t.Helper()
	for _, p := range sessionProcs(term.sid) {
		if p.comm == "rigup-exec" {
			term.t.Errorf("rigup-exec %d is still there (state %c)", p.pid, p.state)
		}
	}
}

// intRounds is how many times the tests press Ctrl-C for intCounter: a
// second SIGINT that arrives while the first is still pending is merged
// with it by the kernel, so one round could miss a double delivery.
const intRounds = 3

// intCounter returns a command line for a child that, intRounds times,
// prints READY, counts the SIGINTs it gets until half a second after the
// last one, and prints INTS=<count>. With python3 it takes them with
// sigwaitinfo from a blocked mask, so that one that comes while it counts
// the first stays pending and is counted; a bash trap runs once for two.
func intCounter(t *testing.T, fx *jcFixture) string {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Log("no python3: counting with a bash trap, which may miss a second SIGINT")
		return `bash -c 'trap "n=\$((n+1))" INT; r=0; while [ $r -lt ` + strconv.Itoa(intRounds) + ` ]; do r=$((r+1)); n=0; echo RE""ADY; while [ $n -lt 1 ]; do sleep 0.05; done; sleep 0.5; echo "IN""TS=$n"; done'`
	}
	script := `import signal
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGINT])
for round in range(` + strconv.Itoa(intRounds) + `):
    print("READY", flush=True)
    codes = [signal.sigwaitinfo([signal.SIGINT]).si_code]
    while True:
        info = signal.sigtimedwait([signal.SIGINT], 0.5)
        if info is None:
            break
        codes.append(info.si_code)
    print("INTS=%d si_codes %s" % (len(codes), codes), flush=True)
`
	if err := os.WriteFile(filepath.Join(fx.dir, "count_ints.py"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	return "python3 count_ints.py"
}

// countInts presses Ctrl-C once in each round of intCounter and checks
// that the child got it once.
func (term *jcTerm) countInts() {
	term.t.Helper()
	for range intRounds {
		term.expect("READY")
		term.send("\x03")
		if m := term.expectRe(regexp.MustCompile(`INTS=(\d+).*`)); m[1] != "1" {
			term.t.Errorf("the child got %s SIGINTs for one Ctrl-C, want 1: %s", m[1], m[0])
		}
	}
}

// A Ctrl-C reaches the child once: the terminal delivers it to the whole
// foreground group, and rigup-exec must not forward it a second time.
func TestJobControlCtrlCOnce(t *testing.T) {
	fx := newJCFixture(t)
	counter := intCounter(t, fx)
	term := startOuterShell(t, fx)
	term.run("rigup-exec -t tpl -- " + counter)
	term.countInts()
	term.endsWith(fx, 0, "the child took SIGINT and exited 0")
}

// Ctrl-C on rigup-exec -- sleep 30: rigup-exec dies by SIGINT as sleep did.
func TestJobControlCtrlCSleep(t *testing.T) {
	fx := newJCFixture(t)
	term := startOuterShell(t, fx)
	term.run("rigup-exec -t tpl -- sleep 30")
	term.waitProc("sleep", "rigup-exec", nil)
	fx.oneRunDir(t)
	term.send("\x03")
	term.prompt()
	if rc := term.status(outerPS1); rc != 130 {
		t.Errorf("status %d after Ctrl-C, want 130", rc)
	}
	term.run("echo AL''IVE")
	term.expect("ALIVE")
	term.prompt()
	fx.noRunDir(t)
	term.noRigupLeft()
	term.noScreenNoise()
}

// Wait and cooperative exit: a shell running a loop stops it on Ctrl-C
// only if its child died of SIGINT. With rigup-exec in the loop it must
// behave exactly as without, both in the interactive shell (with job
// control) and in a script (without).
func TestJobControlCtrlCStopsLoop(t *testing.T) {
	fx := newJCFixture(t)
	term := startOuterShell(t, fx)
	type result struct {
		iter, end bool
		rc        int
	}
	try := func(line, parent string) result {
		t.Helper()
		term.run(line)
		term.waitProc("sleep", parent, nil)
		m := term.mark()
		term.send("\x03")
		term.prompt()
		out := term.since(m)
		rc := term.status(outerPS1)
		term.noRigupLeft()
		return result{iter: strings.Contains(out, "ITER"), end: strings.Contains(out, "END"), rc: rc}
	}
	for _, tc := range []struct {
		name, wrapped, baseline string
		parent                  string // of sleep in the baseline
	}{
		{"interactive loop",
			`for i in 1 2 3; do rigup-exec -t tpl -- sleep 5; echo IT""ER$i; done; echo E""ND`,
			`for i in 1 2 3; do sleep 5; echo IT""ER$i; done; echo E""ND`,
			"bash"},
		{"script",
			`bash -c 'for i in 1 2 3; do rigup-exec -t tpl -- sleep 5; echo IT""ER$i; done; echo E""ND'`,
			`bash -c 'for i in 1 2 3; do sleep 5; echo IT""ER$i; done; echo E""ND'`,
			"bash"},
	} {
		base := try(tc.baseline, tc.parent)
		if base.iter || base.end || base.rc != 130 {
			t.Errorf("%s without rigup-exec: %+v; this shell does not stop loops on Ctrl-C", tc.name, base)
		}
		wrapped := try(tc.wrapped, "rigup-exec")
		if wrapped != base {
			t.Errorf("%s: Ctrl-C with rigup-exec gives %+v (ITER printed, END printed, status), without %+v",
				tc.name, wrapped, base)
		}
		fx.noRunDir(t)
	}
	term.noScreenNoise()
}

// Ctrl-Z stops rigup-exec with its job; fg continues both.
func TestJobControlCtrlZ(t *testing.T) {
	fx := newJCFixture(t)
	term := startOuterShell(t, fx)
	term.run(`rigup-exec -t tpl -- sh -c 'echo RE""ADY; sleep 3; echo WO""KE'`)
	term.expect("READY")
	sleep := term.waitProc("sleep", "sh", nil)
	sh, _ := readProc(sleep.ppid)
	rigup, _ := readProc(sh.ppid)
	term.send("\x1a")
	term.expect("Stopped")
	term.prompt()
	term.waitState("stopped", stopped, rigup.pid, sh.pid, sleep.pid)
	if strings.Contains(term.since(0), "WOKE") {
		t.Fatal("the child went on while stopped")
	}
	fx.oneRunDir(t)
	term.run("fg")
	term.expect("WOKE")
	term.endsWith(fx, 0, "after fg")
}

// An interactive shell under rigup-exec has job control and owns the
// terminal; its own jobs stop and resume; its suspend stops rigup-exec too,
// so that the outer shell gets the terminal back; its exit status is
// passed on.
func TestJobControlInnerShell(t *testing.T) {
	fx, term, rigup, inner := startInnerShell(t, "bash", "bash --norc --noprofile -i")
	term.run(`echo "T""TY=$(tty)"`)
	if tty := term.expectRe(regexp.MustCompile(`TTY=(\S+)`))[1]; !strings.HasPrefix(tty, "/dev/pts/") {
		t.Errorf("inner tty is %q", tty)
	}
	term.innerPrompt()
	term.run(`cat "$XDG_CONFIG_HOME/app/config.txt" | tr a-z A-Z`)
	term.expect("HELLO")
	term.innerPrompt()

	// The inner shell's own job: ^Z, fg, ^C.
	sleep := term.innerJob("bash", "Stopped", rigup, inner)
	m := term.mark()
	term.run("jobs; echo JO''BS_END")
	term.expect("JOBS_END")
	if out := term.since(m); strings.Contains(out, "[1]") {
		t.Errorf("inner jobs after fg and Ctrl-C: %q", out)
	}
	term.innerPrompt()
	if alive(sleep.pid) {
		t.Errorf("the inner sleep survived Ctrl-C")
	}
	if !alive(rigup.pid) || !alive(inner.pid) {
		t.Fatalf("Ctrl-C of the inner job ended rigup-exec or the inner shell")
	}

	term.suspendFgExit(rigup.pid, inner.pid)
	term.backAndClean(fx)
}

// endsWith checks that the command typed last ended with status want
// (when is what happened), and that nothing of rigup-exec is left.
func (term *jcTerm) endsWith(fx *jcFixture, want int, when string) {
	term.t.Helper()
	term.prompt()
	if rc := term.status(outerPS1); rc != want {
		term.t.Errorf("status %d (%s), want %d", rc, when, want)
	}
	fx.noRunDir(term.t)
	term.noRigupLeft()
	term.noScreenNoise()
}

// innerJob runs sleep 30 as a job of the inner shell called shell, stops it
// with Ctrl-Z (the shell reports it with word), continues it with fg and
// ends it with Ctrl-C. rigup-exec and the inner shell run on meanwhile.
func (term *jcTerm) innerJob(shell, word string, rigup, inner proc) proc {
	term.t.Helper()
	term.run("sleep 30")
	sleep := term.waitProc("sleep", shell, func(p proc) bool { return p.ppid == inner.pid })
	term.send("\x1a")
	term.expect(word)
	term.innerPrompt()
	term.waitState("stopped", stopped, sleep.pid)
	term.waitState("running", running, rigup.pid, inner.pid)
	term.run("fg")
	term.waitState("running", running, sleep.pid)
	term.send("\x03")
	term.innerPrompt()
	return sleep
}

// backAndClean checks that the outer shell reads commands again, and that
// nothing of rigup-exec is left: no run directory, no process, no noise.
func (term *jcTerm) backAndClean(fx *jcFixture) {
	term.t.Helper()
	term.run("echo BA''CK")
	term.expect("BACK")
	term.prompt()
	fx.noRunDir(term.t)
	term.noRigupLeft()
	term.noScreenNoise()
}

// startInnerShell types rigup-exec -- cmdline into an outer shell, where
// cmdline starts the interactive shell called name, and checks that the
// inner shell has job control. It returns the processes of rigup-exec and
// of the inner shell.
func startInnerShell(t *testing.T, name, cmdline string) (*jcFixture, *jcTerm, proc, proc) {
	t.Helper()
	fx := newJCFixture(t)
	term := startOuterShell(t, fx)
	term.run("PS1=$IPS1 rigup-exec -t tpl -- " + cmdline)
	term.innerPrompt()
	inner := term.waitProc(name, "rigup-exec", nil)
	rigup, _ := readProc(inner.ppid)
	fx.oneRunDir(t)
	term.run(`echo "F""LAGS=$-"`)
	if flags := term.expectRe(regexp.MustCompile(`FLAGS=(\w*)`))[1]; !strings.Contains(flags, "m") {
		t.Errorf("inner $- is %q: no job control", flags)
	}
	term.innerPrompt()
	return fx, term, rigup, inner
}

// suspendFgExit has the inner shell at the prompt suspend itself: the
// outer shell gets the terminal back, with rigup-exec and the inner shell
// stopped; fg gives it back; the inner shell's exit 7 is the outer $?.
func (term *jcTerm) suspendFgExit(rigup, inner int) {
	term.t.Helper()
	term.run("suspend")
	term.expect("Stopped")
	term.prompt()
	term.waitState("stopped", stopped, rigup, inner)
	term.run("fg")
	term.innerPrompt()
	term.run("echo AL''IVE")
	term.expect("ALIVE")
	term.innerPrompt()
	term.run("exit 7")
	term.prompt()
	if rc := term.status(outerPS1); rc != 7 {
		term.t.Errorf("status %d after inner exit 7, want 7", rc)
	}
}

// In a pipeline, a later member that reads the terminal must not be
// stopped: rigup-exec must not move its child into a foreground group of
// its own. The reader starts once the child is running.
func TestJobControlPipelineTTYReader(t *testing.T) {
	fx := newJCFixture(t)
	term := startOuterShell(t, fx)
	term.run(`rigup-exec -t tpl -- sh -c ': >child.ready; sleep 1' | (until [ -e child.ready ]; do sleep 0.02; done; head -c1 /dev/tty >/dev/null; echo G""OT)`)
	term.waitProc("head", "bash", nil)
	term.send("x\x04") // ^D ends the line without a newline
	if got := term.expect("GOT", "Stopped"); got != "GOT" {
		t.Fatalf("the pipeline stopped instead of reading the terminal")
	}
	term.prompt()
	if rc := term.status(outerPS1); rc != 0 {
		t.Errorf("pipeline status %d, want 0", rc)
	}
	if strings.Contains(term.screen(), "Stopped") {
		t.Errorf("a job stopped")
	}
	fx.noRunDir(t)
	term.noRigupLeft()
	term.noScreenNoise()
}

// The child reads the terminal (an ssh or gpg prompt does so).
func TestJobControlChildReadsTTY(t *testing.T) {
	fx := newJCFixture(t)
	term := startOuterShell(t, fx)
	term.run(`rigup-exec -t tpl -- sh -c 'echo RE""ADY; head -c1 /dev/tty >/dev/null; echo O""K'`)
	term.expect("READY")
	term.send("x\x04")
	if got := term.expect("OK", "Stopped"); got != "OK" {
		t.Fatalf("the child could not read the terminal")
	}
	term.endsWith(fx, 0, "the child read the terminal")
}

// Ctrl-\ on rigup-exec -- sleep 30: rigup-exec dies by SIGQUIT, without a
// Go goroutine dump and without a core of its own. Core dumps are on, and
// the child runs elsewhere, so that its core does not count.
func TestJobControlCtrlBackslash(t *testing.T) {
	fx := newJCFixture(t)
	if err := os.Mkdir(filepath.Join(fx.dir, "elsewhere"), 0o755); err != nil {
		t.Fatal(err)
	}
	term := startOuterShell(t, fx)
	term.run("ulimit -c unlimited 2>/dev/null; echo UL''IMIT")
	term.expect("ULIMIT")
	term.prompt()
	term.run(`rigup-exec -t tpl -- sh -c 'cd elsewhere && exec sleep 30'`)
	term.waitProc("sleep", "rigup-exec", nil)
	fx.oneRunDir(t)
	term.send("\x1c")
	term.prompt()
	if rc := term.status(outerPS1); rc != 131 {
		t.Errorf("status %d after Ctrl-\\, want 131", rc)
	}
	screen := term.screen()
	for _, bad := range []string{"goroutine", "SIGQUIT: quit", "core dumped"} {
		if strings.Contains(screen, bad) {
			t.Errorf("the terminal shows %q:\n%s", bad, screen)
		}
	}
	entries, err := os.ReadDir(fx.dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "core") {
			t.Errorf("rigup-exec left a core file: %s", e.Name())
		}
	}
	if _, err := os.Stat(filepath.Join(fx.dir, "elsewhere", "core")); err != nil {
		t.Logf("the child left no core either (core_pattern or limits): the core check proves little here")
	}
	fx.noRunDir(t)
	term.noRigupLeft()
	term.noScreenNoise()
}

// Closing the terminal ends rigup-exec and its child, and the run
// directory goes.
func TestJobControlHangup(t *testing.T) {
	fx := newJCFixture(t)
	term := startOuterShell(t, fx)
	term.run(`rigup-exec -t tpl -- sh -c 'echo RE""ADY; sleep 60'`)
	term.expect("READY")
	sleep := term.waitProc("sleep", "sh", nil)
	sh, _ := readProc(sleep.ppid)
	rigup, _ := readProc(sh.ppid)
	if rigup.comm != "rigup-exec" {
		t.Fatalf("the parent of sh is %s", rigup.comm)
	}
	fx.oneRunDir(t)
	term.ptmx.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		left := []string{}
		for _, p := range []proc{rigup, sh, sleep} {
			if alive(p.pid) {
				left = append(left, fmt.Sprintf("%s %d", p.comm, p.pid))
			}
		}
		dirs := fx.runDirs(t)
		if len(left) == 0 && len(dirs) == 0 {
			break
		}
		if time.Now().After(deadline) {
			var diag strings.Builder
			for _, p := range []proc{rigup, sh, sleep} {
				fmt.Fprintf(&diag, "%s %d:%s\n", p.comm, p.pid, procSignals(p.pid))
			}
			t.Fatalf("10 s after the hangup: still running %v, run directories %q\n%s\nthe terminal showed:\n%s",
				left, dirs, diag.String(), term.screen())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A background job leaves the terminal to the shell. A background job
// whose child reads the terminal stops, as a whole, until fg.
func TestJobControlBackground(t *testing.T) {
	fx := newJCFixture(t)
	term := startOuterShell(t, fx)
	term.run("rigup-exec -t tpl -- sleep 3 &")
	term.prompt()
	sleep := term.waitProc("sleep", "rigup-exec", nil)
	term.run("echo N''OW")
	term.expect("NOW")
	term.prompt()
	if !alive(sleep.pid) || !alive(sleep.ppid) {
		t.Fatal("the shell answered only after the background job had ended")
	}
	term.run(`wait $!; echo "R""C=$?"`)
	if rc := term.expectRe(regexp.MustCompile(`RC=(\d+)`))[1]; rc != "0" {
		t.Errorf("background job status %s, want 0", rc)
	}
	term.prompt()
	fx.noRunDir(t)

	term.run("rigup-exec -t tpl -- cat &")
	term.prompt()
	cat := term.waitProc("cat", "rigup-exec", nil)
	term.waitState("stopped by SIGTTIN", stopped, cat.pid, cat.ppid)
	term.run("jobs")
	term.expect("Stopped")
	term.prompt()
	term.run("fg")
	term.waitState("running", running, cat.pid, cat.ppid)
	term.send("abc\r\x04")
	term.endsWith(fx, 0, "after fg and ^D")
}

// An inner shell killed by SIGKILL cannot give the terminal back; the
// outer shell must still work, even with tostop set.
func TestJobControlInnerShellKilled(t *testing.T) {
	fx := newJCFixture(t)
	term := startOuterShell(t, fx)
	term.run("stty tostop; echo TO''STOP")
	term.expect("TOSTOP")
	term.prompt()
	term.run("PS1=$IPS1 rigup-exec -t tpl -- bash --norc --noprofile -i")
	term.innerPrompt()
	inner := term.waitProc("bash", "rigup-exec", nil)
	fx.oneRunDir(t)
	if err := syscall.Kill(inner.pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	term.prompt()
	if rc := term.status(outerPS1); rc != 137 {
		t.Errorf("status %d after kill -9 of the inner shell, want 137", rc)
	}
	term.backAndClean(fx)
}

// Init mode: rigup-exec leads the terminal's session, as in docker run -t.
func TestJobControlInitMode(t *testing.T) {
	bin := filepath.Join(binDir, "rigup-exec")

	t.Run("inner shell", func(t *testing.T) {
		fx := newJCFixture(t)
		fx.env = append(fx.env, "PS1="+innerPS1)
		term := startJC(t, fx, bin, "-t", "tpl", "--", "bash", "--norc", "--noprofile", "-i")
		term.innerPrompt()
		fx.oneRunDir(t)
		term.run(`echo "F""LAGS=$-"`)
		if flags := term.expectRe(regexp.MustCompile(`FLAGS=(\w*)`))[1]; !strings.Contains(flags, "m") {
			t.Errorf("inner $- is %q: no job control", flags)
		}
		term.innerPrompt()
		inner := term.waitProc("bash", "rigup-exec", nil)
		term.waitReading(inner.pid)
		term.send("\x03")
		term.innerPrompt()
		term.run("echo AL''IVE")
		term.expect("ALIVE")
		term.innerPrompt()
		term.run("sleep 30")
		sleep := term.waitProc("sleep", "bash", nil)
		term.send("\x1a")
		term.expect("Stopped")
		term.innerPrompt()
		term.waitState("stopped", stopped, sleep.pid)
		term.run("fg")
		term.waitState("running", running, sleep.pid)
		term.send("\x03")
		term.innerPrompt()
		term.run("exit 3")
		if ws := term.wait(); !ws.Exited() || ws.ExitStatus() != 3 {
			t.Errorf("rigup-exec ended with %v, want exit status 3", describe(ws))
		}
		fx.noRunDir(t)
		term.noScreenNoise()
	})

	t.Run("Ctrl-C once", func(t *testing.T) {
		fx := newJCFixture(t)
		term := startJC(t, fx, bin, "-t", "tpl", "--", "sh", "-c", "exec "+intCounter(t, fx))
		term.countInts()
		if ws := term.wait(); !ws.Exited() || ws.ExitStatus() != 0 {
			t.Errorf("rigup-exec ended with %v, want exit status 0", describe(ws))
		}
		fx.noRunDir(t)
	})

	t.Run("Ctrl-Z does not freeze", func(t *testing.T) {
		fx := newJCFixture(t)
		term := startJC(t, fx, bin, "-t", "tpl", "--", "sh", "-c", "echo READY; sleep 2; echo WOKE")
		term.expect("READY")
		// Once sleep has replaced the copy of sh that started it, so
		// that sh itself stops (the vfork window is the next test's).
		sleep := term.waitProc("sleep", "sh", nil)
		term.send("\x1a")
		// The kernel stops the child's group, which is not orphaned
		// since rigup-exec is its parent; rigup-exec must continue it.
		term.expect("WOKE")
		if alive(sleep.pid) {
			t.Errorf("sleep %d is still there", sleep.pid)
		}
		if ws := term.wait(); !ws.Exited() || ws.ExitStatus() != 0 {
			t.Errorf("rigup-exec ended with %v, want exit status 0", describe(ws))
		}
		fx.noRunDir(t)
		term.noScreenNoise()
	})

	// A process of the child's group can stop alone: its parent, the
	// child, catches SIGTSTP here (or is a shell waiting in vfork for it
	// to exec). Alone, as the session leader, the child's group would be
	// orphaned and the kernel would stop nobody on Ctrl-Z; rigup-exec,
	// which does not see that stop, finds and continues it.
	t.Run("Ctrl-Z does not freeze a grandchild", func(t *testing.T) {
		fx := newJCFixture(t)
		term := startJC(t, fx, bin, "-t", "tpl", "--", "sh", "-c", `trap "echo CAUGHT" TSTP; echo READY; sleep 2; echo WOKE`)
		term.expect("READY")
		term.waitProc("sleep", "sh", nil)
		term.send("\x1a")
		term.expect("WOKE")
		if ws := term.wait(); !ws.Exited() || ws.ExitStatus() != 0 {
			t.Errorf("rigup-exec ended with %v, want exit status 0", describe(ws))
		}
		fx.noRunDir(t)
	})

	t.Run("kill -INT is forwarded", func(t *testing.T) {
		fx := newJCFixture(t)
		term := startJC(t, fx, bin, "-t", "tpl", "--", "sleep", "30")
		term.waitProc("sleep", "rigup-exec", nil)
		if err := term.cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		if ws := term.wait(); !ws.Signaled() || ws.Signal() != syscall.SIGINT {
			t.Errorf("rigup-exec ended with %v, want killed by SIGINT", describe(ws))
		}
		fx.noRunDir(t)
		term.noScreenNoise()
	})
}

func describe(ws syscall.WaitStatus) string {
	switch {
	case ws.Exited():
		return fmt.Sprintf("exit status %d", ws.ExitStatus())
	case ws.Signaled():
		return fmt.Sprintf("signal %v", ws.Signal())
	}
	return fmt.Sprintf("wait status %#x", uint32(ws))
}
