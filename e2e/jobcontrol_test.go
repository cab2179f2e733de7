//go:build linux

package e2e

// Job control end to end: rigup-exec is typed into an interactive bash that
// runs on a pseudo-terminal, so that it is a job of a job-control shell and
// not a session leader, as when a user runs it (the "transparent mode" of
// package exec). The last tests start rigup-exec itself as the session
// leader of a terminal ("init mode": docker run -t, a tmux pane).
//
// The tests synchronise only on what the programs print, on the state of
// processes in /proc, and on FIFOs the programs wait on. Strings the tests
// wait for are written so that the terminal's echo of the typed command
// line cannot match them: the shell prints RC=130 for echo "R""C=$?".

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	outerPS1 = "OUTERPS1$ " // the outer shell's prompt
	innerPS1 = "INNERPS1$ " // an inner shell's prompt, passed as $IPS1
)

// jcWorld is a world with the template root tpl, and the environment of
// an interactive shell: a dumb terminal, the C locale, the prompts the
// tests wait for, no history file.
func jcWorld(t *testing.T) *world {
	t.Helper()
	require(t, "bash", "sh", "sleep", "head", "stty", "cat", "tr")
	w := newWorld(t)
	w.templates()
	w.setenv("TERM=dumb", "LC_ALL=C", "PS1="+outerPS1, "IPS1="+innerPS1, "HISTFILE=/dev/null")
	return w
}

// fifo makes a FIFO in the world's working directory, where the commands
// typed find it by its name.
func (w *world) fifo(name string) string {
	p := filepath.Join(w.dir, name)
	mkfifo(w.t, p)
	return p
}

// startOuterShell starts the outer interactive shell and waits for its
// prompt.
func startOuterShell(t *testing.T, w *world) *terminal {
	t.Helper()
	term := startTerminal(t, w.dir, w.env(), "bash", "--norc", "--noprofile", "-i")
	term.prompt()
	return term
}

func (term *terminal) prompt()      { term.t.Helper(); term.expect(outerPS1) }
func (term *terminal) innerPrompt() { term.t.Helper(); term.expect(innerPS1) }

// status types a command that prints $?, waits for it and for the prompt
// that follows, and returns the status. Getting it also shows that the
// shell reads the terminal again.
func (term *terminal) status(prompt string) int {
	term.t.Helper()
	term.run(`echo "R""C=$?"`)
	m := term.expectRe(regexp.MustCompile(`RC=(\d+)`))
	term.expect(prompt)
	n, _ := strconv.Atoi(m[1])
	return n
}

// waitReading waits until the interactive shell pid waits for input in
// select(2). bash 5.2 loses a Ctrl-C that comes between the display of its
// prompt and that wait (the same without rigup-exec): it echoes ^C and
// prints no new prompt. Where the kernel hides wchan, it gives up after a
// few seconds and goes on.
func (term *terminal) waitReading(pid int) {
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

// intRounds is how many times the tests press Ctrl-C for intCounter: a
// second SIGINT that arrives while the first is still pending is merged
// with it by the kernel, so one round could miss a double delivery.
const intRounds = 3

// intCounter returns a command line for a child that, intRounds times,
// prints READY, then counts the SIGINTs it gets until a SIGUSR1 comes, and
// prints INTS=<count>. It takes them with sigwaitinfo from a blocked mask,
// lowest number first, so that a SIGINT that comes before the SIGUSR1 is
// counted.
func intCounter(t *testing.T, w *world) string {
	t.Helper()
	require(t, "python3")
	w.write("count_ints.py", `import signal
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGINT, signal.SIGUSR1])
for round in range(`+strconv.Itoa(intRounds)+`):
    print("READY", flush=True)
    codes = []
    while True:
        info = signal.sigwaitinfo([signal.SIGINT, signal.SIGUSR1])
        if info.si_signo == signal.SIGUSR1:
            break
        codes.append(info.si_code)
    print("INTS=%d si_codes %s" % (len(codes), codes), flush=True)
`, 0o644)
	return "python3 count_ints.py"
}

// countInts presses Ctrl-C once in each round of intCounter and checks
// that the child got it once. Once the terminal echoes ^C, it has sent
// SIGINT to its foreground group; rigup-exec, sent SIGUSR1 after that,
// forwards the SIGUSR1 after any SIGINT it would forward.
func (term *terminal) countInts(rigup int) {
	term.t.Helper()
	for range intRounds {
		term.expect("READY")
		term.send("\x03")
		term.expect("^C")
		syscall.Kill(rigup, syscall.SIGUSR1)
		if m := term.expectRe(regexp.MustCompile(`INTS=(\d+).*`)); m[1] != "1" {
			term.t.Errorf("the child got %s SIGINTs for one Ctrl-C, want 1: %s", m[1], m[0])
		}
	}
}

// A Ctrl-C reaches the child once: the terminal delivers it to the whole
// foreground group, and rigup-exec must not forward it a second time.
func TestJobControlCtrlCOnce(t *testing.T) {
	t.Parallel()
	w := jcWorld(t)
	counter := intCounter(t, w)
	term := startOuterShell(t, w)
	term.run("rigup-exec -t tpl -- " + counter)
	child := term.waitProc("python3", "rigup-exec", nil)
	term.countInts(child.ppid)
	term.endsWith(w, 0, "the child took SIGINT and exited 0")
}

// Ctrl-C on rigup-exec -- sleep 30: rigup-exec dies by SIGINT as sleep did.
func TestJobControlCtrlCSleep(t *testing.T) {
	t.Parallel()
	w := jcWorld(t)
	term := startOuterShell(t, w)
	term.run("rigup-exec -t tpl -- sleep 30")
	term.waitProc("sleep", "rigup-exec", nil)
	w.expectRunDirs(1)
	term.send("\x03")
	term.prompt()
	if rc := term.status(outerPS1); rc != 130 {
		t.Errorf("status %d after Ctrl-C, want 130", rc)
	}
	term.run("echo AL''IVE")
	term.expect("ALIVE")
	term.prompt()
	w.expectRunDirs(0)
	term.noRigupLeft()
	term.noScreenNoise()
}

// Wait and cooperative exit: a shell running a loop stops it on Ctrl-C
// only if its child died of SIGINT. With rigup-exec in the loop it must
// behave exactly as without, both in the interactive shell (with job
// control) and in a script (without).
func TestJobControlCtrlCStopsLoop(t *testing.T) {
	t.Parallel()
	w := jcWorld(t)
	term := startOuterShell(t, w)
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
		w.expectRunDirs(0)
	}
	term.noScreenNoise()
}

// Ctrl-Z stops rigup-exec with its job, its child and grandchild; fg
// continues them all.
func TestJobControlCtrlZ(t *testing.T) {
	t.Parallel()
	w := jcWorld(t)
	fifo := w.fifo("go")
	term := startOuterShell(t, w)
	term.run(`rigup-exec -t tpl -- sh -c 'echo RE""ADY; cat go; echo WO""KE'`)
	term.expect("READY")
	cat := term.waitProc("cat", "sh", nil)
	sh, _ := readProc(cat.ppid)
	rigup, _ := readProc(sh.ppid)
	term.send("\x1a")
	term.expect("Stopped")
	term.prompt()
	term.waitState("stopped", stopped, rigup.pid, sh.pid, cat.pid)
	w.expectRunDirs(1)
	term.run("fg")
	term.waitState("running", running, rigup.pid, sh.pid, cat.pid)
	writeFIFO(t, fifo, "on")
	term.expect("WOKE")
	term.endsWith(w, 0, "after fg")
}

// An interactive shell under rigup-exec has job control and owns the
// terminal; its own jobs stop and resume; its suspend stops rigup-exec too,
// so that the outer shell gets the terminal back; its exit status is
// passed on.
func TestJobControlInnerShell(t *testing.T) {
	t.Parallel()
	w, term, rigup, inner := startInnerShell(t, "bash", "bash --norc --noprofile -i")
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
	term.backAndClean(w)
}

// rigup-exec -- $SHELL with zsh, the default shell on macOS: job control,
// the inner shell's own jobs, suspend and the exit status, as for bash.
func TestJobControlInnerZsh(t *testing.T) {
	t.Parallel()
	require(t, "zsh")
	w, term, rigup, inner := startInnerShell(t, "zsh", "zsh -f -i")

	sleep := term.innerJob("zsh", "suspended", rigup, inner)
	if alive(sleep.pid) {
		t.Errorf("the inner sleep survived Ctrl-C")
	}

	term.suspendFgExit(rigup.pid, inner.pid)
	w.expectRunDirs(0)
	term.noRigupLeft()
}

// endsWith checks that the command typed last ended with status want
// (when is what happened), and that nothing of rigup-exec is left.
func (term *terminal) endsWith(w *world, want int, when string) {
	term.t.Helper()
	term.prompt()
	if rc := term.status(outerPS1); rc != want {
		term.t.Errorf("status %d (%s), want %d", rc, when, want)
	}
	w.expectRunDirs(0)
	term.noRigupLeft()
	term.noScreenNoise()
}

// innerJob runs sleep 30 as a job of the inner shell called shell, stops it
// with Ctrl-Z (the shell reports it with word), continues it with fg and
// ends it with Ctrl-C. rigup-exec and the inner shell run on meanwhile.
func (term *terminal) innerJob(shell, word string, rigup, inner proc) proc {
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
func (term *terminal) backAndClean(w *world) {
	term.t.Helper()
	term.run("echo BA''CK")
	term.expect("BACK")
	term.prompt()
	w.expectRunDirs(0)
	term.noRigupLeft()
	term.noScreenNoise()
}

// startInnerShell types rigup-exec -- cmdline into an outer shell, where
// cmdline starts the interactive shell called name, and checks that the
// inner shell has job control. It returns the processes of rigup-exec and
// of the inner shell.
func startInnerShell(t *testing.T, name, cmdline string) (*world, *terminal, proc, proc) {
	t.Helper()
	w := jcWorld(t)
	term := startOuterShell(t, w)
	term.run("PS1=$IPS1 rigup-exec -t tpl -- " + cmdline)
	term.innerPrompt()
	inner := term.waitProc(name, "rigup-exec", nil)
	rigup, _ := readProc(inner.ppid)
	w.expectRunDirs(1)
	term.run(`echo "F""LAGS=$-"`)
	if flags := term.expectRe(regexp.MustCompile(`FLAGS=(\w*)`))[1]; !strings.Contains(flags, "m") {
		t.Errorf("inner $- is %q: no job control", flags)
	}
	term.innerPrompt()
	return w, term, rigup, inner
}

// suspendFgExit has the inner shell at the prompt suspend itself: the
// outer shell gets the terminal back, with rigup-exec and the inner shell
// stopped; fg gives it back; the inner shell's exit 7 is the outer $?.
func (term *terminal) suspendFgExit(rigup, inner int) {
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
// its own. The reader starts once the child is running, and the child
// ends once the reader is done.
func TestJobControlPipelineTTYReader(t *testing.T) {
	t.Parallel()
	w := jcWorld(t)
	w.fifo("ready")
	w.fifo("done")
	term := startOuterShell(t, w)
	term.run(`rigup-exec -t tpl -- sh -c 'echo > ready; cat done' | (read x < ready; head -c1 /dev/tty >/dev/null; echo G""OT; echo > done)`)
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
	w.expectRunDirs(0)
	term.noRigupLeft()
	term.noScreenNoise()
}

// The child reads the terminal (an ssh or gpg prompt does so).
func TestJobControlChildReadsTTY(t *testing.T) {
	t.Parallel()
	w := jcWorld(t)
	term := startOuterShell(t, w)
	term.run(`rigup-exec -t tpl -- sh -c 'echo RE""ADY; head -c1 /dev/tty >/dev/null; echo O""K'`)
	term.expect("READY")
	term.send("x\x04")
	if got := term.expect("OK", "Stopped"); got != "OK" {
		t.Fatalf("the child could not read the terminal")
	}
	term.endsWith(w, 0, "the child read the terminal")
}

// Ctrl-\ on rigup-exec -- sleep 30: rigup-exec dies by SIGQUIT, without a
// Go goroutine dump and without a core of its own. Core dumps are on, and
// the child runs elsewhere, so that its core does not count.
func TestJobControlCtrlBackslash(t *testing.T) {
	t.Parallel()
	w := jcWorld(t)
	if err := os.Mkdir(filepath.Join(w.dir, "elsewhere"), 0o755); err != nil {
		t.Fatal(err)
	}
	term := startOuterShell(t, w)
	term.run("ulimit -c unlimited 2>/dev/null; echo UL''IMIT")
	term.expect("ULIMIT")
	term.prompt()
	term.run(`rigup-exec -t tpl -- sh -c 'cd elsewhere && exec sleep 30'`)
	term.waitProc("sleep", "rigup-exec", nil)
	w.expectRunDirs(1)
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
	entries, err := os.ReadDir(w.dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "core") {
			t.Errorf("rigup-exec left a core file: %s", e.Name())
		}
	}
	if _, err := os.Stat(filepath.Join(w.dir, "elsewhere", "core")); err != nil {
		t.Logf("the child left no core either (core_pattern or limits): the core check proves little here")
	}
	w.expectRunDirs(0)
	term.noRigupLeft()
	term.noScreenNoise()
}

// Closing the terminal ends rigup-exec and its child, and the run
// directory goes.
func TestJobControlHangup(t *testing.T) {
	t.Parallel()
	w := jcWorld(t)
	term := startOuterShell(t, w)
	term.run(`rigup-exec -t tpl -- sh -c 'echo RE""ADY; sleep 60'`)
	term.expect("READY")
	sleep := term.waitProc("sleep", "sh", nil)
	sh, _ := readProc(sleep.ppid)
	rigup, _ := readProc(sh.ppid)
	if rigup.comm != "rigup-exec" {
		t.Fatalf("the parent of sh is %s", rigup.comm)
	}
	w.expectRunDirs(1)
	term.ptmx.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		left := []string{}
		for _, p := range []proc{rigup, sh, sleep} {
			if alive(p.pid) {
				left = append(left, fmt.Sprintf("%s %d", p.comm, p.pid))
			}
		}
		dirs := runDirs(w.runtime)
		if len(left) == 0 && len(dirs) == 0 {
			break
		}
		if time.Now().After(deadline) {
			var diag strings.Builder
			for _, p := range []proc{rigup, sh, sleep} {
				fmt.Fprintf(&diag, "%s %d:%s\n", p.comm, p.pid, procSignals(p.pid))
			}
			t.Fatalf("10 s after the hangup: still running %v, run directories %q\n%s\nthe terminal showed:\n%s",
				left, dirs, diag.String(), term)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// jobStopped runs jobs until the shell lists its job as stopped. The
// kernel shows the processes stopped a moment before the shell has taken in
// the SIGCHLD that tells it so; until then jobs still says Running.
func (term *terminal) jobStopped() {
	term.t.Helper()
	deadline := time.Now().Add(termDeadline)
	for {
		term.run("jobs")
		got := term.expect("Stopped", "Running")
		term.prompt()
		if got == "Stopped" {
			return
		}
		if time.Now().After(deadline) {
			term.t.Fatalf("the shell still lists the job as running; the terminal shows:\n%s%s", term, term.diag())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A background job leaves the terminal to the shell. A background job
// whose child reads the terminal stops, as a whole, until fg.
func TestJobControlBackground(t *testing.T) {
	t.Parallel()
	w := jcWorld(t)
	fifo := w.fifo("go")
	term := startOuterShell(t, w)
	term.run("rigup-exec -t tpl -- sh -c 'read line < go' &")
	term.prompt()
	child := term.waitProc("sh", "rigup-exec", nil)
	term.run("echo N''OW")
	term.expect("NOW")
	term.prompt()
	if !alive(child.pid) || !alive(child.ppid) {
		t.Fatal("the shell answered only after the background job had ended")
	}
	writeFIFO(t, fifo, "on")
	term.run(`wait $!; echo "R""C=$?"`)
	if rc := term.expectRe(regexp.MustCompile(`RC=(\d+)`))[1]; rc != "0" {
		t.Errorf("background job status %s, want 0", rc)
	}
	term.prompt()
	w.expectRunDirs(0)

	term.run("rigup-exec -t tpl -- cat &")
	term.prompt()
	cat := term.waitProc("cat", "rigup-exec", nil)
	term.waitState("stopped by SIGTTIN", stopped, cat.pid, cat.ppid)
	term.jobStopped()
	term.run("fg")
	term.waitState("running", running, cat.pid, cat.ppid)
	term.send("abc\r\x04")
	term.endsWith(w, 0, "after fg and ^D")
}

// An inner shell killed by SIGKILL cannot give the terminal back; the
// outer shell must still work, even with tostop set.
func TestJobControlInnerShellKilled(t *testing.T) {
	t.Parallel()
	w := jcWorld(t)
	term := startOuterShell(t, w)
	term.run("stty tostop; echo TO''STOP")
	term.expect("TOSTOP")
	term.prompt()
	term.run("PS1=$IPS1 rigup-exec -t tpl -- bash --norc --noprofile -i")
	term.innerPrompt()
	inner := term.waitProc("bash", "rigup-exec", nil)
	w.expectRunDirs(1)
	if err := syscall.Kill(inner.pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	term.prompt()
	if rc := term.status(outerPS1); rc != 137 {
		t.Errorf("status %d after kill -9 of the inner shell, want 137", rc)
	}
	term.backAndClean(w)
}

// Init mode: rigup-exec leads the terminal's session, as in docker run -t.
func TestJobControlInitMode(t *testing.T) {
	t.Parallel()
	start := func(t *testing.T, w *world, args ...string) *terminal {
		return startTerminal(t, w.dir, w.env(), append([]string{rigupExec(), "-t", "tpl", "--"}, args...)...)
	}
	exits := func(term *terminal, code int) {
		term.t.Helper()
		if ws := term.wait(); !exited(ws, code) {
			term.t.Errorf("rigup-exec ended with %s, want exit status %d", describe(ws), code)
		}
	}

	t.Run("inner shell", func(t *testing.T) {
		t.Parallel()
		w := jcWorld(t)
		w.setenv("PS1=" + innerPS1)
		term := start(t, w, "bash", "--norc", "--noprofile", "-i")
		term.innerPrompt()
		w.expectRunDirs(1)
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
		exits(term, 3)
		w.expectRunDirs(0)
		term.noScreenNoise()
	})

	t.Run("Ctrl-C once", func(t *testing.T) {
		t.Parallel()
		if testing.Short() {
			t.Skip("as TestJobControlCtrlCOnce, in init mode: not with -short")
		}
		w := jcWorld(t)
		term := start(t, w, "sh", "-c", "exec "+intCounter(t, w))
		term.countInts(term.cmd.Process.Pid)
		exits(term, 0)
		w.expectRunDirs(0)
	})

	// Once ^C or ^Z is echoed, the terminal has sent its signal: the
	// FIFO is then written, and the command ends only if it was not
	// left stopped.
	t.Run("Ctrl-Z does not freeze", func(t *testing.T) {
		t.Parallel()
		w := jcWorld(t)
		fifo := w.fifo("go")
		term := start(t, w, "sh", "-c", "echo READY; cat go; echo WOKE")
		term.expect("READY")
		// Once cat has replaced the copy of sh that started it, so
		// that sh itself stops (the vfork window is the next test's).
		cat := term.waitProc("cat", "sh", nil)
		term.send("\x1a")
		term.expect("^Z")
		// The kernel stops the child's group, which is not orphaned
		// since rigup-exec is its parent; rigup-exec must continue it.
		writeFIFO(t, fifo, "on")
		term.expect("WOKE")
		if alive(cat.pid) {
			t.Errorf("cat %d is still there", cat.pid)
		}
		exits(term, 0)
		w.expectRunDirs(0)
		term.noScreenNoise()
	})

	// A process of the child's group can stop alone: its parent, the
	// child, catches SIGTSTP here (or is a shell waiting in vfork for it
	// to exec). Alone, as the session leader, the child's group would be
	// orphaned and the kernel would stop nobody on Ctrl-Z; rigup-exec,
	// which does not see that stop, finds and continues it.
	t.Run("Ctrl-Z does not freeze a grandchild", func(t *testing.T) {
		t.Parallel()
		if testing.Short() {
			t.Skip("a grandchild stopped alone: not with -short")
		}
		w := jcWorld(t)
		fifo := w.fifo("go")
		term := start(t, w, "sh", "-c", `trap "echo CAUGHT" TSTP; echo READY; cat go; echo WOKE`)
		term.expect("READY")
		term.waitProc("cat", "sh", nil)
		term.send("\x1a")
		term.expect("^Z")
		writeFIFO(t, fifo, "on")
		term.expect("WOKE")
		exits(term, 0)
		w.expectRunDirs(0)
	})

	t.Run("kill -INT is forwarded", func(t *testing.T) {
		t.Parallel()
		w := jcWorld(t)
		term := start(t, w, "sleep", "30")
		term.waitProc("sleep", "rigup-exec", nil)
		if err := term.cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		if ws := term.wait(); !ws.Signaled() || ws.Signal() != syscall.SIGINT {
			t.Errorf("rigup-exec ended with %s, want killed by SIGINT", describe(ws))
		}
		w.expectRunDirs(0)
		term.noScreenNoise()
	})
}
