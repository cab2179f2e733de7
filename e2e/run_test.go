//go:build linux

package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// runWorld is a world with a template root without placeholders: what
// the run path needs when no secret is involved.
func runWorld(t testing.TB) (*world, string) {
	w := newWorld(t)
	return w, w.templates()
}

// TestRunExitStatus: the command's exit status is rigup-exec's, with
// nothing on stderr, for the statuses that mean something to a caller:
// success, failure and usage, 125 to 128 (rigup-exec's own failures, the
// shell's cannot-execute and not-found, the first of 128+N), the 128+N
// of a shell's child killed by signal N (HUP, INT, KILL, TERM), and 255.
func TestRunExitStatus(t *testing.T) {
	t.Parallel()
	w, tpl := runWorld(t)
	for _, code := range []int{0, 1, 2, 125, 126, 127, 128, 129, 130, 137, 143, 255} {
		r := runToEnd(t, w.job("-t", tpl, "--", "sh", "-c", fmt.Sprintf("exit %d", code)))
		if !exited(r.ws, code) {
			t.Errorf("exit %d: rigup-exec ended with %s", code, describe(r.ws))
		}
		if r.stderr != "" {
			t.Errorf("exit %d: stderr %q", code, r.stderr)
		}
	}
	w.expectRunDirs(0)
}

// A child killed by a signal makes rigup-exec die by the same signal, with
// no word on stderr (no Go goroutine dump) and no core file.
func TestRunChildKilled(t *testing.T) {
	t.Parallel()
	w, tpl := runWorld(t)
	sigs := []syscall.Signal{syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM,
		syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGPIPE, syscall.SIGALRM, syscall.SIGABRT,
		syscall.SIGSEGV, syscall.SIGKILL}
	if testing.Short() {
		// A signal that ends quietly, one that dumps core, and KILL.
		sigs = []syscall.Signal{syscall.SIGINT, syscall.SIGSEGV, syscall.SIGKILL}
	}
	for _, sig := range sigs {
		r := runToEnd(t, w.job("-t", tpl, "--", "sh", "-c", fmt.Sprintf("ulimit -c 0; kill -%d $$", sig)))
		if !r.ws.Signaled() || r.ws.Signal() != sig {
			t.Errorf("child killed by %v: rigup-exec ended with %s", sig, describe(r.ws))
		}
		if r.ws.CoreDump() {
			t.Errorf("%v: rigup-exec dumped core", sig)
		}
		if r.stderr != "" {
			t.Errorf("%v: stderr %q", sig, r.stderr)
		}
	}
	if entries, _ := os.ReadDir(w.dir); len(entries) != 1 {
		t.Errorf("working directory holds more than the templates: %v", entries)
	}
	w.expectRunDirs(0)
}

// signalChild is a child that reports each signal it receives on stdout,
// one name per line, after "READY"; it exits 0 on SIGTERM.
// It writes with os.write: a signal that arrives while a buffered print
// is flushing would make print fail as a reentrant call.
const signalChild = `
import os, signal, sys
def on(n, _):
    os.write(1, (signal.Signals(n).name + "\n").encode())
    if n == signal.SIGTERM:
        sys.exit(0)
for name in sys.argv[1:]:
    signal.signal(getattr(signal, name), on)
os.write(1, b"READY\n")
while True:
    signal.pause()
`

var watched = []string{"SIGHUP", "SIGINT", "SIGQUIT", "SIGTERM", "SIGUSR1", "SIGUSR2", "SIGALRM",
	"SIGWINCH", "SIGURG", "SIGCHLD", "SIGPIPE", "SIGCONT", "SIGABRT", "SIGBUS", "SIGFPE", "SIGSEGV",
	"SIGSYS", "SIGTRAP", "SIGXCPU", "SIGXFSZ", "SIGVTALRM"}

// Each forwarded signal sent to rigup-exec reaches the child exactly once;
// URG (the Go runtime's own), CHLD and PIPE are not forwarded. TERM comes
// last and ends the child, so everything it received is then on record.
func TestRunForwardsSignals(t *testing.T) {
	t.Parallel()
	require(t, "python3")
	w, tpl := runWorld(t)
	cmd := w.job(append([]string{"-t", tpl, "--", "python3", "-c", signalChild}, watched...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	lines := bufio.NewReader(out)
	if line, err := lines.ReadString('\n'); line != "READY\n" {
		t.Fatalf("child said %q, %v; stderr:\n%s", line, err, &stderr)
	}
	pid := cmd.Process.Pid
	var got []string
	expect := func(sig syscall.Signal) {
		t.Helper()
		for {
			line, err := lines.ReadString('\n')
			if err != nil {
				t.Fatalf("child gone while waiting for %v (got %v)", sig, got)
			}
			got = append(got, strings.TrimSpace(line))
			if strings.TrimSpace(line) == signalName(sig) {
				return
			}
		}
	}
	for _, sig := range []syscall.Signal{syscall.SIGURG, syscall.SIGCHLD, syscall.SIGPIPE,
		syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2,
		syscall.SIGALRM, syscall.SIGWINCH, syscall.SIGABRT, syscall.SIGBUS, syscall.SIGFPE,
		syscall.SIGSEGV, syscall.SIGSYS, syscall.SIGTRAP, syscall.SIGXCPU, syscall.SIGXFSZ,
		syscall.SIGVTALRM} {
		syscall.Kill(pid, sig)
		if sig == syscall.SIGURG || sig == syscall.SIGCHLD || sig == syscall.SIGPIPE {
			continue // checked below: nothing may show up for them
		}
		expect(sig)
	}
	syscall.Kill(pid, syscall.SIGTERM)
	expect(syscall.SIGTERM)
	rest, _ := io.ReadAll(lines)
	got = append(got, strings.Fields(string(rest))...)
	if ws := waitStatus(t, cmd); !exited(ws, 0) {
		t.Errorf("rigup-exec ended with %s, want exit 0 as the child", describe(ws))
	}
	want := []string{"SIGHUP", "SIGINT", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGWINCH",
		"SIGABRT", "SIGBUS", "SIGFPE", "SIGSEGV", "SIGSYS", "SIGTRAP", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGTERM"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("the child received %v, want each of %v once", got, want)
	}
	w.expectRunDirs(0)
}

// A signal that arrives while the directory is being prepared wipes it and
// the child never starts; rigup-exec dies by that signal. The binary built
// for these tests holds at that moment when RIGUP_E2E_HOLD=1.
func TestRunSignalWhilePreparing(t *testing.T) {
	t.Parallel()
	if os.Getenv("RIGUP_EXEC_BIN") != "" {
		t.Skip("needs the binary built with -tags rigup_e2e")
	}
	w, tpl := runWorld(t)
	marker := filepath.Join(w.dir, "started")
	cmd := w.job("-t", tpl, "--", "touch", marker)
	cmd.Env = append(cmd.Env, "RIGUP_E2E_HOLD=1")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stderr).ReadString('\n')
	dir, ok := strings.CutPrefix(strings.TrimSpace(line), "e2e: prepared ")
	if !ok {
		cmd.Process.Kill()
		t.Fatalf("rigup-exec said %q, %v", line, err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("the directory is not there while preparing: %v", err)
	}
	syscall.Kill(cmd.Process.Pid, syscall.SIGTERM)
	if ws := waitStatus(t, cmd); !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("rigup-exec ended with %s, want death by SIGTERM", describe(ws))
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the child was started")
	}
	if _, err := os.Lstat(dir); err == nil {
		t.Errorf("%s was not wiped", dir)
	}
	w.expectRunDirs(0)
}

// A command that is not found or cannot be executed gives 127 or 126, one
// error line, and no directory left behind.
func TestRunCannotStart(t *testing.T) {
	t.Parallel()
	w, tpl := runWorld(t)
	notExec := w.write("notes.txt", "x", 0o644)
	junk := w.write("junk", "\x00\x01\x02\x03", 0o755)
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"no-such-program-here"}, 127, "rigup-exec: error: no-such-program-here: command not found\n"},
		{[]string{"./missing"}, 127, "rigup-exec: error: ./missing: no such file\n"},
		{[]string{notExec}, 126, "rigup-exec: error: " + notExec + ": permission denied: not an executable file\n"},
		{[]string{w.dir}, 126, "rigup-exec: error: " + w.dir + ": is a directory\n"},
		{[]string{junk}, 126, "rigup-exec: error: " + junk + ": exec format error\n"},
	} {
		r := runToEnd(t, w.job(append([]string{"-t", tpl, "--"}, tc.args...)...))
		if !exited(r.ws, tc.code) {
			t.Errorf("%v: ended with %s, want exit %d", tc.args, describe(r.ws), tc.code)
		}
		if r.stderr != tc.msg {
			t.Errorf("%v: stderr %q, want %q", tc.args, r.stderr, tc.msg)
		}
	}
	w.expectRunDirs(0)
}

// startHolding starts rigup-exec args, whose command prints its
// $XDG_CONFIG_HOME and then reads its stdin to the end, and returns the
// directory once the command is there. Closing release ends the command.
func startHolding(t *testing.T, w *world, args ...string) (cmd *exec.Cmd, dir string, release *os.File) {
	t.Helper()
	cmd = w.job(append(args, "sh", "-c", `echo "$XDG_CONFIG_HOME"; exec cat >/dev/null`)...)
	stdin, release, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdin = stdin
	out, _ := cmd.StdoutPipe()
	err = cmd.Start()
	stdin.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		release.Close()
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	})
	line, _ := bufio.NewReader(out).ReadString('\n')
	dir = strings.TrimSpace(line)
	if !strings.HasPrefix(dir, w.runtime+"/rigup-") {
		t.Fatalf("the command said %q", line)
	}
	return cmd, dir, release
}

// rigup-exec killed by SIGKILL cannot wipe. The child inherits the lock, so
// while it lives the directory is kept; once it is gone, the next start
// sweeps the directory. With --janitor it goes as soon as rigup-exec dies.
func TestRunKilledWrapper(t *testing.T) {
	t.Parallel()
	w, tpl := runWorld(t)
	cmd, dir, release := startHolding(t, w, "-t", tpl, "--")
	child := childOf(t, cmd.Process.Pid)
	syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
	waitStatus(t, cmd)

	// The child still runs and holds the lock: a new run must not sweep.
	if r := runToEnd(t, w.job("-t", tpl, "--", "true")); !exited(r.ws, 0) {
		t.Fatalf("%s\n%s", describe(r.ws), r.stderr)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("a live child's directory was swept: %v", err)
	}
	release.Close() // the orphaned child ends
	poll(t, "the orphaned child still runs", func() bool { return !alive(child) })
	if r := runToEnd(t, w.job("-t", tpl, "--", "true")); !exited(r.ws, 0) {
		t.Fatalf("%s\n%s", describe(r.ws), r.stderr)
	}
	if _, err := os.Lstat(dir); err == nil {
		t.Errorf("%s was not swept by the next start", dir)
	}
	w.expectRunDirs(0)
}

func TestRunJanitor(t *testing.T) {
	t.Parallel()
	w, tpl := runWorld(t)
	cmd, dir, _ := startHolding(t, w, "--janitor", "-t", tpl, "--")
	syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
	waitStatus(t, cmd)
	waitGone(t, dir)
	w.expectRunDirs(0)
}

// Signals ignored when rigup-exec starts (nohup, a script's background job)
// stay ignored for the child, and a clean start leaves the child nothing
// ignored or blocked.
func TestRunSignalDispositions(t *testing.T) {
	t.Parallel()
	require(t, "bash")
	w, tpl := runWorld(t)
	status := func(wrap string) (ign, blk string) {
		t.Helper()
		cmd := w.program("bash", "-c", wrap+`exec rigup-exec -t "$1" -- grep -E '^Sig(Ign|Blk)' /proc/self/status`, "bash", tpl)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // as a shell's job
		r := runToEnd(t, cmd)
		if !exited(r.ws, 0) {
			t.Fatalf("%s: %s\n%s", wrap, describe(r.ws), r.stderr)
		}
		for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
			k, v, _ := strings.Cut(l, ":\t")
			if k == "SigIgn" {
				ign = v
			} else {
				blk = v
			}
		}
		return
	}
	var mask uint64
	ign, blk := status("")
	fmt.Sscanf(ign, "%x", &mask)
	if mask&(1<<(syscall.SIGINT-1)|1<<(syscall.SIGHUP-1)|1<<(syscall.SIGPIPE-1)|1<<(syscall.SIGTTOU-1)|1<<(syscall.SIGTTIN-1)) != 0 {
		t.Errorf("clean start: the child ignores %s", ign)
	}
	if strings.Trim(blk, "0") != "" {
		t.Errorf("clean start: the child blocks %s", blk)
	}
	ign, _ = status("trap '' INT HUP; ")
	fmt.Sscanf(ign, "%x", &mask)
	if want := uint64(1<<(syscall.SIGINT-1) | 1<<(syscall.SIGHUP-1)); mask&want != want {
		t.Errorf("started with INT and HUP ignored: the child ignores %s", ign)
	}
	w.expectRunDirs(0)
}

// As PID 1 (a container's init), rigup-exec reaps the orphans the kernel
// hands it, and a child's death by a signal becomes 128+N: the kernel does
// not let init die by a signal it sends itself.
func TestRunAsPID1(t *testing.T) {
	t.Parallel()
	requireRoot(t, "a PID namespace", "unshare", "ps")
	w, tpl := runWorld(t)
	pid1 := func(args ...string) *exec.Cmd {
		return w.program("unshare", append([]string{"--pid", "--fork", "--mount-proc", rigupExec(), "-t", tpl, "--"}, args...)...)
	}
	// The orphan exits after its parent, while the child still runs:
	// the child waits for the orphan's end (it holds the FIFO open until
	// then), and then for its zombie (state Z) to go, a second at most.
	mkfifo(t, filepath.Join(w.dir, "orphan"))
	out := runToEnd(t, pid1("sh", "-c", `echo $PPID; (sh -c 'exec 3>orphan' &); cat orphan
n=0; while z=$(ps -A -o stat= | grep -c '^Z'); [ "$z" != 0 ] && [ $n -lt 100 ]; do n=$((n+1)); sleep 0.01; done; echo $z`))
	if lines := strings.Fields(out.stdout); !exited(out.ws, 0) || len(lines) != 2 || lines[0] != "1" || lines[1] != "0" {
		t.Errorf("child's parent and zombies: %q (%s), want 1 (rigup-exec) and 0\n%s", out.stdout, describe(out.ws), out.stderr)
	}
	if r := runToEnd(t, pid1("sh", "-c", "kill -TERM $$")); !exited(r.ws, 128+int(syscall.SIGTERM)) {
		t.Errorf("child killed by TERM under PID 1: %s, want exit 143", describe(r.ws))
	}
	w.expectRunDirs(0)
}

// With no directory in RAM to use, rigup-exec refuses and says why, unless
// --allow-disk, which warns. /dev/shm is replaced by a disk directory in a
// private mount namespace, which needs root.
func TestRunNoRAM(t *testing.T) {
	t.Parallel()
	requireRoot(t, "a private mount namespace", "unshare", "mount")
	w, tpl := runWorld(t)
	disk := filepath.Join(w.root, "disk")
	os.Mkdir(disk, 0o755)
	run := func(flags string, env ...string) result {
		script := fmt.Sprintf(`mount --bind "$1" /dev/shm && exec rigup-exec %s -t "$2" -- sh -c 'echo "$XDG_CONFIG_HOME"'`, flags)
		cmd := w.program("unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", disk, tpl)
		cmd.Env = append(append(cmd.Env, "XDG_CACHE_HOME=", "XDG_RUNTIME_DIR="), env...)
		return runToEnd(t, cmd)
	}
	r := run("")
	if !exited(r.ws, 125) {
		t.Errorf("without RAM: %s, want exit 125", describe(r.ws))
	}
	want := "rigup-exec: error: no private directory in RAM for the configs: " +
		"$XDG_RUNTIME_DIR is not set; /dev/shm is not tmpfs or ramfs"
	if !strings.HasPrefix(r.stderr, want) || !strings.Contains(r.stderr, "\nrigup-exec: hint: ") {
		t.Errorf("without RAM, stderr:\n%s", r.stderr)
	}
	// The flag, and the variable for entrypoints and wrapped tools (macOS).
	for _, tc := range []struct{ flags, env string }{{"--allow-disk", ""}, {"", "RIGUP_ALLOW_DISK=1"}} {
		r := run(tc.flags, tc.env)
		if !exited(r.ws, 0) {
			t.Fatalf("%s: %s\n%s", tc, describe(r.ws), r.stderr)
		}
		dir := strings.TrimSpace(r.stdout)
		if !strings.HasPrefix(dir, w.home+"/.cache/rigup-exec/rigup-tpl-") {
			t.Errorf("%s used %q", tc, dir)
		}
		if !strings.HasPrefix(r.stderr, "rigup-exec: warning: "+dir+" is on disk (--allow-disk): wiping it afterwards is not reliable there") {
			t.Errorf("%s, stderr:\n%s", tc, r.stderr)
		}
		if _, err := os.Lstat(dir); err == nil {
			t.Errorf("%s left behind", dir)
		}
	}
}

// A closed stderr does not kill rigup-exec by SIGPIPE before it has run the
// command and wiped: its message is lost, the status is the command's.
func TestRunClosedStderr(t *testing.T) {
	t.Parallel()
	w, tpl := runWorld(t)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	pr.Close()
	cmd := w.job("-v", "-t", tpl, "--", "sh", "-c", "exit 3")
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	if ws := waitStatus(t, cmd); !exited(ws, 3) {
		t.Errorf("rigup-exec ended with %s, want exit 3", describe(ws))
	}
	w.expectRunDirs(0)
}

// 10,000 templates under a limit of 64 open descriptors, hard as well as
// soft so that Go cannot raise it: a rendered file keeps a mapping but no
// descriptor. The command sees every file rendered; one it moves out of
// the directory (on the same filesystem) is zeroed at the end through its
// mapping, and the directory is gone.
func TestRunManyTemplates(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("10,000 templates: not with -short")
	}
	const secret = "sk-MANY-4242"
	w := newWorld(t).withSecrets("[a]\nk = \""+secret+"\"\n", "")
	// In RAM: 10,000 files on a disk would take seconds to make.
	tpl, err := os.MkdirTemp("/dev/shm", "e2e-templates-")
	if err != nil {
		t.Skipf("no /dev/shm: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(tpl) })
	for d := range 100 {
		dir := filepath.Join(tpl, fmt.Sprintf("d%02d", d))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for f := range 100 {
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%02d.txt", f)), []byte("k={{secrets.a.k}}\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	moved := filepath.Join(w.runtime, "moved")
	child := `cat "$XDG_CONFIG_HOME"/d*/f*.txt | grep -c "^k=$1\$"; mv "$XDG_CONFIG_HOME/d00/f00.txt" "$2"`
	out := w.output("sh", "-c", `ulimit -n 64 && exec rigup-exec -t "$1" -- sh -c "$2" sh "$3" "$4"`,
		"sh", tpl, child, secret, moved)
	if out != "10000\n" {
		t.Errorf("the command saw %q files rendered, want 10000", out)
	}
	b, err := os.ReadFile(moved)
	if err != nil || len(b) != len("k=\n"+secret) || bytes.Count(b, []byte{0}) != len(b) {
		t.Errorf("the moved file after the run: %q, %v; want %d zero bytes", b, err, len("k=\n"+secret))
	}
	w.expectRunDirs(0)
}
