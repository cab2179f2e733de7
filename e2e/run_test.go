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
	"time"

	"golang.org/x/sys/unix"
)

// runEnv is a private base directory for the runs of one test, standing in
// for $XDG_RUNTIME_DIR, so that a directory left behind can be seen.
type runEnv struct {
	t       *testing.T
	base    string // $XDG_RUNTIME_DIR of the runs
	tpl     string // a template root without placeholders
	workDir string
}

func newRunEnv(t *testing.T) *runEnv {
	t.Helper()
	base, err := os.MkdirTemp("/dev/shm", "e2e-runtime-")
	if err != nil {
		t.Skipf("no /dev/shm: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	work := t.TempDir()
	tpl := filepath.Join(work, "tpl")
	os.MkdirAll(filepath.Join(tpl, "app"), 0o755)
	os.WriteFile(filepath.Join(tpl, "app", "config.txt"), []byte("plain\n"), 0o644)
	return &runEnv{t: t, base: base, tpl: tpl, workDir: work}
}

// command returns rigup-exec -t TPL -- args, in a process group of its
// own so that signals sent to it do not reach go test.
func (r *runEnv) command(args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(binDir, "rigup-exec"), append([]string{"-t", r.tpl, "--"}, args...)...)
	cmd.Dir = r.workDir
	cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+r.base)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

// leftovers returns the run directories left in the base.
func (r *runEnv) leftovers() []string {
	entries, _ := os.ReadDir(r.base)
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "rigup-") {
			names = append(names, e.Name())
		}
	}
	return names
}

func (r *runEnv) assertClean() {
	r.t.Helper()
	if left := r.leftovers(); len(left) > 0 {
		r.t.Errorf("directories left behind: %v", left)
	}
}

// waitStatus runs cmd to its end and returns how it ended.
func waitStatus(t *testing.T, cmd *exec.Cmd) syscall.WaitStatus {
	t.Helper()
	err := cmd.Wait()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	return cmd.ProcessState.Sys().(syscall.WaitStatus)
}

func TestRunExitStatus(t *testing.T) {
	r := newRunEnv(t)
	for code := 0; code <= 255; code++ {
		cmd := r.command("sh", "-c", fmt.Sprintf("exit %d", code))
		var stderr strings.Builder
		cmd.Stderr = &stderr
		cmd.Start()
		ws := waitStatus(t, cmd)
		if !ws.Exited() || ws.ExitStatus() != code {
			t.Errorf("exit %d: rigup-exec ended with %v", code, ws)
		}
		if stderr.Len() > 0 {
			t.Errorf("exit %d: stderr %q", code, stderr.String())
		}
	}
	r.assertClean()
}

// A child killed by a signal makes rigup-exec die by the same signal, with
// no word on stderr (no Go goroutine dump) and no core file.
func TestRunChildKilled(t *testing.T) {
	r := newRunEnv(t)
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM,
		syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGPIPE, syscall.SIGALRM, syscall.SIGABRT,
		syscall.SIGSEGV, syscall.SIGKILL} {
		cmd := r.command("sh", "-c", fmt.Sprintf("ulimit -c 0; kill -%d $$", sig))
		var stderr strings.Builder
		cmd.Stderr = &stderr
		cmd.Start()
		ws := waitStatus(t, cmd)
		if !ws.Signaled() || ws.Signal() != sig {
			t.Errorf("child killed by %v: rigup-exec ended with %v", sig, ws)
		}
		if ws.CoreDump() {
			t.Errorf("%v: rigup-exec dumped core", sig)
		}
		if stderr.Len() > 0 {
			t.Errorf("%v: stderr %q", sig, stderr.String())
		}
	}
	if entries, _ := os.ReadDir(r.workDir); len(entries) != 1 {
		t.Errorf("working directory holds more than the templates: %v", entries)
	}
	r.assertClean()
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

// startSignalChild starts rigup-exec with the reporting child and waits
// until it is ready.
func startSignalChild(t *testing.T, r *runEnv) (*exec.Cmd, *bufio.Reader) {
	t.Helper()
	require(t, "python3")
	cmd := r.command(append([]string{"python3", "-c", signalChild}, watched...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	lines := bufio.NewReader(out)
	if line, err := lines.ReadString('\n'); line != "READY\n" {
		t.Fatalf("child said %q, %v", line, err)
	}
	return cmd, lines
}

// Each forwarded signal sent to rigup-exec reaches the child exactly once;
// URG (the Go runtime's own), CHLD and PIPE are not forwarded. TERM comes
// last and ends the child, so everything it received is then on record.
func TestRunForwardsSignals(t *testing.T) {
	r := newRunEnv(t)
	cmd, lines := startSignalChild(t, r)
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
			if strings.TrimSpace(line) == sigName(sig) {
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
	ws := waitStatus(t, cmd)
	if !ws.Exited() || ws.ExitStatus() != 0 {
		t.Errorf("rigup-exec ended with %v, want exit 0 as the child", ws)
	}
	want := []string{"SIGHUP", "SIGINT", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGWINCH",
		"SIGABRT", "SIGBUS", "SIGFPE", "SIGSEGV", "SIGSYS", "SIGTRAP", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGTERM"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("the child received %v, want each of %v once", got, want)
	}
	r.assertClean()
}

func sigName(sig syscall.Signal) string {
	return "SIG" + strings.ToUpper(unix.SignalName(sig)[3:])
}

// A signal that arrives while the directory is being prepared wipes it and
// the child never starts; rigup-exec dies by that signal. The binary built
// for these tests holds at that moment when RIGUP_E2E_HOLD=1.
func TestRunSignalWhilePreparing(t *testing.T) {
	if os.Getenv("RIGUP_EXEC_BIN") != "" {
		t.Skip("needs the binary built with -tags rigup_e2e")
	}
	r := newRunEnv(t)
	marker := filepath.Join(r.workDir, "started")
	cmd := r.command("touch", marker)
	cmd.Env = append(cmd.Env, "RIGUP_E2E_HOLD=1")
	stderr, _ := cmd.StderrPipe()
	cmd.Start()
	line, err := bufio.NewReader(stderr).ReadString('\n')
	dir, ok := strings.CutPrefix(strings.TrimSpace(line), "e2e: prepared ")
	if !ok {
		t.Fatalf("rigup-exec said %q, %v", line, err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("the directory is not there while preparing: %v", err)
	}
	syscall.Kill(cmd.Process.Pid, syscall.SIGTERM)
	ws := waitStatus(t, cmd)
	if !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("rigup-exec ended with %v, want death by SIGTERM", ws)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the child was started")
	}
	if _, err := os.Lstat(dir); err == nil {
		t.Errorf("%s was not wiped", dir)
	}
	r.assertClean()
}

// A command that is not found or cannot be executed gives 127 or 126, one
// error line, and no directory left behind.
func TestRunCannotStart(t *testing.T) {
	r := newRunEnv(t)
	notExec := filepath.Join(r.workDir, "notes.txt")
	os.WriteFile(notExec, []byte("x"), 0o644)
	junk := filepath.Join(r.workDir, "junk")
	os.WriteFile(junk, []byte{0, 1, 2, 3}, 0o755)
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"no-such-program-here"}, 127, "rigup-exec: error: no-such-program-here: command not found\n"},
		{[]string{"./missing"}, 127, "rigup-exec: error: ./missing: no such file\n"},
		{[]string{notExec}, 126, "rigup-exec: error: " + notExec + ": permission denied: not an executable file\n"},
		{[]string{r.workDir}, 126, "rigup-exec: error: " + r.workDir + ": is a directory\n"},
		{[]string{junk}, 126, "rigup-exec: error: " + junk + ": exec format error\n"},
	} {
		cmd := r.command(tc.args...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		cmd.Start()
		ws := waitStatus(t, cmd)
		if !ws.Exited() || ws.ExitStatus() != tc.code {
			t.Errorf("%v: ended with %v, want exit %d", tc.args, ws, tc.code)
		}
		if stderr.String() != tc.msg {
			t.Errorf("%v: stderr %q, want %q", tc.args, stderr.String(), tc.msg)
		}
	}
	r.assertClean()
}

// rigup-exec killed by SIGKILL cannot wipe. The child inherits the lock, so
// while it lives the directory is kept; once it is gone, the next start
// sweeps the directory. With --janitor it goes as soon as rigup-exec dies.
func TestRunKilledWrapper(t *testing.T) {
	r := newRunEnv(t)
	cmd := r.command("sh", "-c", `echo "$XDG_CONFIG_HOME"; exec sleep 60`)
	out, _ := cmd.StdoutPipe()
	cmd.Start()
	line, _ := bufio.NewReader(out).ReadString('\n')
	dir := strings.TrimSpace(line)
	if !strings.HasPrefix(dir, r.base+"/rigup-") {
		t.Fatalf("child said %q", line)
	}
	pgid := cmd.Process.Pid
	t.Cleanup(func() { syscall.Kill(-pgid, syscall.SIGKILL) })
	syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
	waitStatus(t, cmd)

	// The child still runs and holds the lock: a new run must not sweep.
	if err := r.command("true").Run(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("a live child's directory was swept: %v", err)
	}
	syscall.Kill(-pgid, syscall.SIGKILL) // the orphaned sleep
	waitGone(t, fmt.Sprintf("/proc/%d", findSleep(t, pgid)))
	if err := r.command("true").Run(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(dir); err == nil {
		t.Errorf("%s was not swept by the next start", dir)
	}
	r.assertClean()
}

func TestRunJanitor(t *testing.T) {
	r := newRunEnv(t)
	cmd := exec.Command(filepath.Join(binDir, "rigup-exec"), "--janitor", "-t", r.tpl, "--",
		"sh", "-c", `echo "$XDG_CONFIG_HOME"; exec sleep 60`)
	cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+r.base)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, _ := cmd.StdoutPipe()
	cmd.Start()
	pgid := cmd.Process.Pid
	t.Cleanup(func() { syscall.Kill(-pgid, syscall.SIGKILL) })
	line, _ := bufio.NewReader(out).ReadString('\n')
	dir := strings.TrimSpace(line)
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("child said %q: %v", line, err)
	}
	syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
	waitStatus(t, cmd)
	waitGone(t, dir)
	r.assertClean()
}

// findSleep returns the pid of the sleep in process group pgid, or 0.
func findSleep(t *testing.T, pgid int) int {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscan(e.Name(), &pid); err != nil {
			continue
		}
		if g, err := syscall.Getpgid(pid); err == nil && g == pgid {
			if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); strings.TrimSpace(string(comm)) == "sleep" {
				return pid
			}
		}
	}
	return 0
}

// waitGone polls until path no longer exists. Polling a condition, with a
// deadline that only catches a hang, is not a timed assertion.
func waitGone(t *testing.T, path string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, err := os.Lstat(path); err != nil {
			return
		}
	}
	t.Fatalf("%s still exists", path)
}

// Signals ignored when rigup-exec starts (nohup, a script's background job)
// stay ignored for the child, and a clean start leaves the child nothing
// ignored or blocked.
func TestRunSignalDispositions(t *testing.T) {
	r := newRunEnv(t)
	status := func(wrap string) (ign, blk string) {
		t.Helper()
		cmd := exec.Command("bash", "-c", wrap+`exec rigup-exec -t "$1" -- grep -E '^Sig(Ign|Blk)' /proc/self/status`, "bash", r.tpl)
		cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+r.base, "PATH="+binDir+":"+os.Getenv("PATH"))
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v", wrap, err)
		}
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			k, v, _ := strings.Cut(l, ":\t")
			if k == "SigIgn" {
				ign = v
			} else {
				blk = v
			}
		}
		return
	}
	require(t, "bash")
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
	r.assertClean()
}

// As PID 1 (a container's init), rigup-exec reaps the orphans the kernel
// hands it, and a child's death by a signal becomes 128+N: the kernel does
// not let init die by a signal it sends itself.
func TestRunAsPID1(t *testing.T) {
	requireRoot(t, "a PID namespace", "unshare", "ps")
	r := newRunEnv(t)
	pid1 := func(args ...string) *exec.Cmd {
		cmd := exec.Command("unshare", append([]string{"--pid", "--fork", "--mount-proc",
			filepath.Join(binDir, "rigup-exec"), "-t", r.tpl, "--"}, args...)...)
		cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+r.base)
		return cmd
	}
	// The orphan exits after its parent, while the child still runs; a
	// zombie would show as state Z.
	out, err := pid1("sh", "-c", `echo $PPID; (sh -c 'sleep 0.2' &); sleep 1; ps -A -o pid=,stat= | awk '$2 ~ /^Z/' | wc -l`).Output()
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Fields(string(out)); len(lines) != 2 || lines[0] != "1" || lines[1] != "0" {
		t.Errorf("child's parent and zombies: %q, want 1 (rigup-exec) and 0", out)
	}
	cmd := pid1("sh", "-c", "kill -TERM $$")
	cmd.Start()
	if ws := waitStatus(t, cmd); !ws.Exited() || ws.ExitStatus() != 128+int(syscall.SIGTERM) {
		t.Errorf("child killed by TERM under PID 1: %v, want exit 143", ws)
	}
	r.assertClean()
}

// With no directory in RAM to use, rigup-exec refuses and says why, unless
// --allow-disk, which warns. /dev/shm is replaced by a disk directory in a
// private mount namespace, which needs root.
func TestRunNoRAM(t *testing.T) {
	requireRoot(t, "a private mount namespace", "unshare", "mount")
	r := newRunEnv(t)
	home := t.TempDir()
	run := func(flags string, env ...string) (string, string, syscall.WaitStatus) {
		script := fmt.Sprintf(`mount --bind "$1" /dev/shm && exec rigup-exec %s -t "$2" -- sh -c 'echo "$XDG_CONFIG_HOME"'`, flags)
		cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", t.TempDir(), r.tpl)
		cmd.Env = append(append(os.Environ(), "PATH="+binDir+":"+os.Getenv("PATH"), "HOME="+home,
			"XDG_CACHE_HOME=", "XDG_RUNTIME_DIR="), env...)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		cmd.Start()
		ws := waitStatus(t, cmd)
		return stdout.String(), stderr.String(), ws
	}
	_, stderr, ws := run("")
	if ws.ExitStatus() != 125 {
		t.Errorf("without RAM: %v, want exit 125", ws)
	}
	want := "rigup-exec: error: no private directory in RAM for the configs: " +
		"$XDG_RUNTIME_DIR is not set; /dev/shm is not tmpfs or ramfs"
	if !strings.HasPrefix(stderr, want) || !strings.Contains(stderr, "\nrigup-exec: hint: ") {
		t.Errorf("without RAM, stderr:\n%s", stderr)
	}
	// The flag, and the variable for entrypoints and wrapped tools (macOS).
	for _, tc := range []struct{ flags, env string }{{"--allow-disk", ""}, {"", "RIGUP_ALLOW_DISK=1"}} {
		stdout, stderr, ws := run(tc.flags, tc.env)
		if ws.ExitStatus() != 0 {
			t.Fatalf("%s: %v\n%s", tc, ws, stderr)
		}
		dir := strings.TrimSpace(stdout)
		if !strings.HasPrefix(dir, home+"/.cache/rigup-exec/rigup-tpl-") {
			t.Errorf("%s used %q", tc, dir)
		}
		if !strings.HasPrefix(stderr, "rigup-exec: warning: "+dir+" is on disk (--allow-disk): wiping it afterwards is not reliable there") {
			t.Errorf("%s, stderr:\n%s", tc, stderr)
		}
		if _, err := os.Lstat(dir); err == nil {
			t.Errorf("%s left behind", dir)
		}
	}
}

// A closed stderr does not kill rigup-exec by SIGPIPE before it has run the
// command and wiped: its message is lost, the status is the command's.
func TestRunClosedStderr(t *testing.T) {
	r := newRunEnv(t)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	pr.Close()
	cmd := exec.Command(filepath.Join(binDir, "rigup-exec"), "-v", "-t", r.tpl, "--", "sh", "-c", "exit 3")
	cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+r.base)
	cmd.Stderr = pw
	cmd.Start()
	pw.Close()
	if ws := waitStatus(t, cmd); !ws.Exited() || ws.ExitStatus() != 3 {
		t.Errorf("rigup-exec ended with %v, want exit 3", ws)
	}
	r.assertClean()
}

// 10,000 templates under a limit of 64 open descriptors, hard as well as
// soft so that Go cannot raise it: a rendered file keeps a mapping but no
// descriptor. The command sees every file rendered; one it moves out of
// the directory (on the same filesystem) is zeroed at the end through its
// mapping, and the directory is gone.
func TestRunManyTemplates(t *testing.T) {
	const secret = "sk-MANY-4242"
	p := newRigupProject(t, "[a]\nk = \""+secret+"\"\n", "")
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
	moved := filepath.Join(p.base, "moved")
	child := `cat "$XDG_CONFIG_HOME"/d*/f*.txt | grep -c "^k=$1\$"; mv "$XDG_CONFIG_HOME/d00/f00.txt" "$2"`
	out := p.run(nil, "sh", "-c", `ulimit -n 64 && exec rigup-exec -t "$1" -- sh -c "$2" sh "$3" "$4"`,
		"sh", tpl, child, secret, moved)
	if out != "10000\n" {
		t.Errorf("the command saw %q files rendered, want 10000", out)
	}
	b, err := os.ReadFile(moved)
	if err != nil || len(b) != len("k=\n"+secret) || bytes.Count(b, []byte{0}) != len(b) {
		t.Errorf("the moved file after the run: %q, %v; want %d zero bytes", b, err, len("k=\n"+secret))
	}
}

// requireRoot skips a test that needs root for what, and needs programs.
// .ci/run runs the suite as root, then as a user.
func requireRoot(t *testing.T, what string, programs ...string) {
	t.Helper()
	require(t, programs...)
	if os.Getuid() != 0 {
		t.Skipf("%s needs root here", what)
	}
}
