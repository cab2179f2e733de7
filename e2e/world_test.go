//go:build linux

package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/sys/unix"
)

// A world is the private environment in which a test runs rigup-exec as a
// user would: a home with ~/.ssh, a working directory, a $TMPDIR, and a
// base in RAM standing in for $XDG_RUNTIME_DIR, so that what a run leaves
// behind can be seen. Nothing in it is shared with another test, and its
// environment is built from nothing but what it names, so that the tests
// run the same on a developer's machine and in CI. Every Go test and every
// testscript scenario (see TestScripts) runs in one.
type world struct {
	t       testing.TB // nil for a script's world
	root    string     // on disk: everything of the world but the runtime base
	home    string     // $HOME
	dir     string     // the working directory of the runs
	tmp     string     // $TMPDIR
	runtime string     // $XDG_RUNTIME_DIR, in /dev/shm
	key     string     // the user's own key, ~/.ssh/id_ed25519, once made
	editor  string     // $EDITOR
	vars    []string   // more environment for the next runs; a later value wins
}

// newWorld makes a world for t, removed when t ends. The working directory
// is empty; the root holds what the test makes besides (other people's
// keys, editor scripts, markers).
func newWorld(t testing.TB) *world {
	t.Helper()
	root := t.TempDir()
	w, err := makeWorld(root, filepath.Join(root, "home"), filepath.Join(root, "project"), filepath.Join(root, "tmp"), t.Cleanup)
	if err != nil {
		t.Fatal(err)
	}
	w.t = t
	return w
}

// makeWorld makes the directories of a world; cleanup registers their
// removal.
func makeWorld(root, home, dir, tmp string, cleanup func(func())) (*world, error) {
	for _, d := range []string{filepath.Join(home, ".ssh"), dir, tmp} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	// Named e2e-*, not rigup-*: a sweep in /dev/shm must not take it for
	// a stale run directory, and a scan of /dev/shm leaves it to its test.
	runtime, err := os.MkdirTemp("/dev/shm", "e2e-runtime-")
	if err != nil {
		return nil, fmt.Errorf("no directory in /dev/shm for the runs: %w", err)
	}
	cleanup(func() { os.RemoveAll(runtime) })
	return &world{root: root, home: home, dir: dir, tmp: tmp, runtime: runtime, editor: "false"}, nil
}

// scriptWorld is the world of a testscript scenario: $WORK is its root
// and working directory, and testscript's own $TMPDIR is its $TMPDIR.
func scriptWorld(env *testscript.Env) error {
	w, err := makeWorld(env.WorkDir, filepath.Join(env.WorkDir, "home"), env.WorkDir, env.Getenv("TMPDIR"), env.Defer)
	if err != nil {
		return err
	}
	for _, kv := range w.baseEnv() {
		k, v, _ := strings.Cut(kv, "=")
		env.Setenv(k, v)
	}
	env.Values[worldKey{}] = w
	return noteFixtures(env)
}

type worldKey struct{}

// baseEnv is the environment a world gives every run.
func (w *world) baseEnv() []string {
	return []string{
		"PATH=" + binDir + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + w.home,
		"USER=tester",
		"TMPDIR=" + w.tmp,
		"XDG_RUNTIME_DIR=" + w.runtime,
		"EDITOR=" + w.editor,
	}
}

// env is the environment of the next runs.
func (w *world) env() []string { return append(w.baseEnv(), w.vars...) }

// setenv adds variables to the environment of the next runs.
func (w *world) setenv(vars ...string) { w.vars = append(w.vars, vars...) }

// write writes a file of the world: a path relative to its working
// directory, or absolute.
func (w *world) write(name, text string, mode os.FileMode) string {
	w.t.Helper()
	p := name
	if !filepath.IsAbs(p) {
		p = filepath.Join(w.dir, name)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), mode); err != nil {
		w.t.Fatal(err)
	}
	return p
}

// shellQuote quotes s for sh (for a script, or $EDITOR), as the Nix
// side's shQuote does.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// symlink makes link point to target, and link's directory.
func (w *world) symlink(target, link string) {
	w.t.Helper()
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		w.t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		w.t.Fatal(err)
	}
}

// templates makes the template root "tpl" in the working directory, with
// one plain file (app/config.txt, "hello"), and returns its path.
func (w *world) templates() string {
	w.write("tpl/app/config.txt", "hello\n", 0o644)
	return filepath.Join(w.dir, "tpl")
}

// keygen makes a key with the real ssh-keygen and returns the path of its
// private half. A passphrase is stretched with one round (-a 1) rather
// than 16: the rounds cost CPU at every try, and mean nothing to rigup-exec.
func (w *world) keygen(path, typ, passphrase string) string {
	w.t.Helper()
	require(w.t, "ssh-keygen")
	args := []string{"-q", "-t", typ, "-N", passphrase, "-C", filepath.Base(path), "-f", path}
	if passphrase != "" {
		args = append(args, "-a", "1")
	}
	if typ == "rsa" {
		args = append(args, "-b", "2048")
	}
	if out, err := exec.Command("ssh-keygen", args...).CombinedOutput(); err != nil {
		w.t.Fatalf("ssh-keygen %v: %v\n%s", args, err, out)
	}
	return path
}

// withKey makes the user's own key, ~/.ssh/id_ed25519.
func (w *world) withKey(passphrase string) *world {
	w.key = w.keygen(filepath.Join(w.home, ".ssh", "id_ed25519"), "ed25519", passphrase)
	return w
}

// otherKey makes another person's key under root/keys.
func (w *world) otherKey(name, typ string) string {
	os.MkdirAll(filepath.Join(w.root, "keys"), 0o700)
	return w.keygen(filepath.Join(w.root, "keys", name), typ, "")
}

// secretsFile is the project's secrets file, in the working directory.
func (w *world) secretsFile() string { return filepath.Join(w.dir, "rigup.secrets.toml.age") }

// ageEncrypt makes the secrets file with the real age and the recipient
// flags given (-R FILE, -r age1...), from a plaintext file that is removed
// at once.
func (w *world) ageEncrypt(plaintext string, recipients ...string) {
	w.t.Helper()
	require(w.t, "age")
	plain := filepath.Join(w.root, "plain.toml")
	if err := os.WriteFile(plain, []byte(plaintext), 0o600); err != nil {
		w.t.Fatal(err)
	}
	out, err := exec.Command("age", append(recipients, "-o", w.secretsFile(), plain)...).CombinedOutput()
	os.Remove(plain)
	if err != nil {
		w.t.Fatalf("age %s: %v\n%s", strings.Join(recipients, " "), err, out)
	}
}

// withSecrets makes the user's key and a secrets file encrypted to it.
func (w *world) withSecrets(plaintext, passphrase string) *world {
	w.withKey(passphrase)
	w.ageEncrypt(plaintext, "-R", w.key+".pub")
	return w
}

// program is a program run in the world: in its working directory, with
// its environment, in a session of its own, so that it has no controlling
// terminal whatever terminal go test runs in, and a signal sent to its
// group reaches no other process.
func (w *world) program(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = w.dir, w.env()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	return cmd
}

// command is rigup-exec args, as program runs it.
func (w *world) command(args ...string) *exec.Cmd { return w.program(rigupExec(), args...) }

// job is rigup-exec args in a process group of its own, but in the
// session of go test: rigup-exec then leads neither, as when a shell runs
// it (package exec's transparent mode), and the signals the test sends
// to its group reach no other process.
func (w *world) job(args ...string) *exec.Cmd {
	cmd := w.command(args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

func rigupExec() string { return filepath.Join(binDir, "rigup-exec") }

// result is how a run ended, and what it wrote.
type result struct {
	stdout, stderr string
	ws             syscall.WaitStatus
}

// run runs rigup-exec args to its end, as command starts it.
func (w *world) run(args ...string) result {
	w.t.Helper()
	return runToEnd(w.t, w.command(args...))
}

// output runs a program in the world and returns its stdout; anything but
// exit 0 fails the test.
func (w *world) output(name string, args ...string) string {
	w.t.Helper()
	r := runToEnd(w.t, w.program(name, args...))
	if !exited(r.ws, 0) {
		w.t.Fatalf("%s %s: %s\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), describe(r.ws), r.stdout, r.stderr)
	}
	return r.stdout
}

// runToEnd runs cmd and collects its output. A run that hangs (a question
// asked where nobody answers, say) is killed after two minutes: that only
// keeps a broken build from hanging the suite.
func runToEnd(t testing.TB, cmd *exec.Cmd) result {
	t.Helper()
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	hang := time.AfterFunc(2*time.Minute, func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	ws := waitStatus(t, cmd)
	hang.Stop()
	return result{stdout.String(), stderr.String(), ws}
}

// waitStatus waits for cmd to end and returns how it ended.
func waitStatus(t testing.TB, cmd *exec.Cmd) syscall.WaitStatus {
	t.Helper()
	err := cmd.Wait()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return cmd.ProcessState.Sys().(syscall.WaitStatus)
}

// exited reports whether ws is an exit with status code.
func exited(ws syscall.WaitStatus, code int) bool { return ws.Exited() && ws.ExitStatus() == code }

// describe says how a process ended, for failure messages.
func describe(ws syscall.WaitStatus) string {
	switch {
	case ws.Exited():
		return fmt.Sprintf("exit status %d", ws.ExitStatus())
	case ws.Signaled():
		return fmt.Sprintf("signal %v", ws.Signal())
	}
	return fmt.Sprintf("wait status %#x", uint32(ws))
}

// statusCmd is the testscript command
//
//	status WANT PROGRAM [ARG...]
//
// which runs PROGRAM as exec does, keeping its stdout and stderr for the
// commands that follow, and checks how it ended: WANT is an exit status
// (125) or the name of the signal that killed it (SIGKILL).
func statusCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: status CODE|SIGNAL PROGRAM [ARG...]")
	}
	err := ts.Exec(args[1], args[2:]...)
	got := "0"
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		ws := exit.Sys().(syscall.WaitStatus)
		got = strconv.Itoa(ws.ExitStatus())
		if ws.Signaled() {
			got = signalName(ws.Signal())
		}
	case err != nil:
		ts.Fatalf("%s: %v", args[1], err)
	}
	if got != args[0] {
		ts.Fatalf("%s ended with %s, want %s", args[1], got, args[0])
	}
}

// messageLine is a line of rigup-exec's message grammar.
var messageLine = regexp.MustCompile(`^rigup-exec: (error|warning|hint|note): \S`)

// notMessages returns the lines of what rigup-exec wrote on stderr that
// are not among its messages (error:, warning:, hint:, note:).
func notMessages(stderr string) []string {
	var bad []string
	for _, line := range strings.Split(strings.TrimRight(stderr, "\n"), "\n") {
		if line != "" && !messageLine.MatchString(line) {
			bad = append(bad, line)
		}
	}
	return bad
}

// checkGrammar checks that every line rigup-exec wrote on stderr is one of
// its messages.
func checkGrammar(t testing.TB, what, stderr string) {
	t.Helper()
	for _, line := range notMessages(stderr) {
		t.Errorf("%s: stderr line %q is not a rigup-exec message (error:, warning:, hint:, note:)", what, line)
	}
}

// grammarCmd is the testscript command
//
//	grammar
//
// which checks that every line of the last command's stderr is a message
// of rigup-exec.
func grammarCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: grammar")
	}
	if bad := notMessages(ts.ReadFile("stderr")); len(bad) > 0 {
		ts.Fatalf("stderr lines that are not rigup-exec messages (error:, warning:, hint:, note:): %q", bad)
	}
}

// signalName is the name of sig, SIGTERM for instance.
func signalName(sig syscall.Signal) string { return unix.SignalName(sig) }

// runDirs lists the run directories in a runtime base.
func runDirs(base string) []string {
	entries, _ := os.ReadDir(base)
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "rigup-") {
			names = append(names, e.Name())
		}
	}
	return names
}

// expectRunDirs checks that the world's runtime base holds n run
// directories: 1 while a run goes on shows that the base is the one
// rigup-exec uses, so that 0 afterwards proves something.
func (w *world) expectRunDirs(n int) {
	w.t.Helper()
	if dirs := runDirs(w.runtime); len(dirs) != n {
		w.t.Errorf("run directories in %s: %q, want %d", w.runtime, dirs, n)
	}
}

// rundirsCmd is the testscript command
//
//	rundirs N
//
// which checks that $XDG_RUNTIME_DIR holds N run directories.
func rundirsCmd(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: rundirs N")
	}
	n := len(runDirs(ts.Getenv("XDG_RUNTIME_DIR")))
	if (strconv.Itoa(n) == args[0]) == neg {
		ts.Fatalf("%d run directories, want %s%s", n, map[bool]string{true: "not "}[neg], args[0])
	}
}

// dirNames lists the names in dir.
func dirNames(dir string) []string {
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// readFile reads a file the test needs.
func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// expectFile checks that path holds exactly want (compared, not shown: it
// is ciphertext or a key list).
func expectFile(t testing.TB, what, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("%s: %v", what, err)
	} else if !bytes.Equal(got, want) {
		t.Errorf("%s: %s changed (%d bytes, were %d)", what, filepath.Base(path), len(got), len(want))
	}
}
