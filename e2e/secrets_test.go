//go:build linux

package e2e

import (
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The secrets command in Go, for what a script cannot do: crash it at a
// chosen step, run two at once, kill it while the editor is open, answer
// its questions on a pseudo-terminal, hide /dev/shm from it. The scenarios
// a script can tell are testdata/secrets_*.txtar. Keys are made by the
// real ssh-keygen and files checked with the real age. Every test ends
// with the plaintext scan for its values, which are unique to it: neither
// the editor scripts nor the fixtures hold them in clear.

// newSecretsWorld is a world with the user's own key (alice's, "yours"),
// ~/.ssh/id_ed25519, and an editor that fails until a test says what its
// editor does.
func newSecretsWorld(t testing.TB) *world {
	t.Helper()
	require(t, "ssh-keygen", "age")
	return newWorld(t).withKey("")
}

// existingFile makes the project's secrets file as age -R would, holding a
// new secret value, with the user's key as its one recipient, and returns
// the value and the file's bytes.
func (w *world) existingFile(label string) (string, []byte) {
	v := secretValue(w.t, label)
	w.writeRecipients(w.key)
	w.ageEncrypt(tomlWith(v, "x"), "-R", w.recipientsFile())
	return v, readFile(w.t, w.secretsFile())
}

func (w *world) recipientsFile() string { return filepath.Join(w.dir, "rigup.secrets.recipients") }

// writeRecipients writes the recipients file by hand: a comment, then the
// public key files of keys, comments included.
func (w *world) writeRecipients(keys ...string) {
	w.t.Helper()
	text := "# who can decrypt rigup.secrets.toml.age\n"
	for _, k := range keys {
		text += string(readFile(w.t, k+".pub"))
	}
	w.write(w.recipientsFile(), text, 0o644)
}

// ageKeygen makes an age X25519 identity with the real age-keygen under
// root/keys, and returns its path and its age1 recipient.
func (w *world) ageKeygen(name string) (identity, recipient string) {
	w.t.Helper()
	os.MkdirAll(filepath.Join(w.root, "keys"), 0o700)
	identity = filepath.Join(w.root, "keys", name)
	if out, err := exec.Command("age-keygen", "-o", identity).CombinedOutput(); err != nil {
		w.t.Fatalf("age-keygen: %v\n%s", err, out)
	}
	out, err := exec.Command("age-keygen", "-y", identity).Output()
	if err != nil {
		w.t.Fatalf("age-keygen -y: %v", err)
	}
	return identity, strings.TrimSpace(string(out))
}

// ageDecrypt decrypts the secrets file with the real age -d -i key.
func (w *world) ageDecrypt(key string) (string, error) {
	cmd := exec.Command("age", "-d", "-i", key, w.secretsFile())
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("age -d -i %s: %v: %s", filepath.Base(key), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// expectPlaintext checks that key decrypts the secrets file to want. The
// texts are secret, so a mismatch is reported without them.
func (w *world) expectPlaintext(key, want string) {
	w.t.Helper()
	got, err := w.ageDecrypt(key)
	if err != nil {
		w.t.Errorf("%v", err)
	} else if got != want {
		w.t.Errorf("age -d -i %s: the plaintext (%d bytes) is not the expected one (%d bytes)", filepath.Base(key), len(got), len(want))
	}
}

// setEditor makes a shell script the $EDITOR of the next runs (sh SCRIPT,
// the file to edit as $1). The script first notes the path it was given in
// root/editor-paths.
func (w *world) setEditor(name, body string) {
	w.t.Helper()
	script := fmt.Sprintf("printf '%%s\\n' \"$1\" >> '%s'\n%s", w.marker("editor-paths"), body)
	w.editor = "sh " + w.write(filepath.Join(w.root, name+".sh"), script, 0o644)
}

// marker is the path of a file an editor script touches.
func (w *world) marker(name string) string { return filepath.Join(w.root, name) }

// editorPaths returns the paths the editors were given so far.
func (w *world) editorPaths() []string {
	data, _ := os.ReadFile(w.marker("editor-paths"))
	return strings.Fields(string(data))
}

// expectExit checks that r ended with exit status code and that its
// stderr follows the message grammar.
func (w *world) expectExit(r result, code int, what string) {
	w.t.Helper()
	if !exited(r.ws, code) {
		w.t.Errorf("%s: rigup-exec ended with %s, want exit %d; stderr:\n%s", what, describe(r.ws), code, r.stderr)
	}
	checkGrammar(w.t, what, r.stderr)
}

func expectContains(t testing.TB, what, text, want string) {
	t.Helper()
	if !strings.Contains(text, want) {
		t.Errorf("%s: %q not in:\n%s", what, want, text)
	}
}

// ramBase is where the runs put their private directories: the runtime
// base, or /dev/shm when the environment takes $XDG_RUNTIME_DIR away.
func (w *world) ramBase() string {
	base := w.runtime
	for _, kv := range w.env() {
		if v, ok := strings.CutPrefix(kv, "XDG_RUNTIME_DIR="); ok {
			base = v
		}
	}
	if base == "" {
		return sharedRAM
	}
	return base
}

// afterEdit checks where the editors were given the plaintext, a file
// rigup.secrets.toml in a private directory in RAM, gone now (waiting a
// little for a watchdog, after a crash), and scans for the values.
func (w *world) afterEdit(values ...string) {
	w.t.Helper()
	base := w.ramBase()
	for _, p := range w.editorPaths() {
		if filepath.Base(p) != "rigup.secrets.toml" || !strings.HasPrefix(p, base+"/") {
			w.t.Errorf("the editor was given %s, want a rigup.secrets.toml in a directory under %s", p, base)
		}
		waitGone(w.t, p)
	}
	if names := dirNames(w.runtime); len(names) > 0 {
		w.t.Logf("left in $XDG_RUNTIME_DIR: %v", names)
	}
	w.scan(values...)
}

// shellVar is a shell assignment of value to name that does not hold the
// value in one piece, but as two quoted pieces side by side (split).
func shellVar(name, value string) string {
	a, b := split(value)
	return fmt.Sprintf("%s='%s''%s'\n", name, a, b)
}

// writeText is shell code that writes text to "$1" without holding the
// text in clear: base64 -d writes it.
func writeText(text string) string {
	return fmt.Sprintf("printf '%%s' '%s' | base64 -d > \"$1\" || exit 9\n", base64.StdEncoding.EncodeToString([]byte(text)))
}

// tomlWith is a secrets file with comments and two tables; value is the
// MCP key.
func tomlWith(value, dbPassword string) string {
	return "# the team's secrets\n[mcp]\ncontext7_api_key = \"" + value + "\"\n\n[database]\nurl = \"postgres://app@db/app\"\npassword = \"" + dbPassword + "\"\n"
}

var crashSteps = []string{"temp-created", "temp-written", "temp-synced", "renamed"}

// TestSecretsCrash: rigup-exec kills itself with SIGKILL at each step of
// writing the new file (a hook of the e2e build). The secrets file is then
// the complete old or the complete new one, and the next edit works and
// leaves no temporary file behind. -short tries one step.
func TestSecretsCrash(t *testing.T) {
	t.Parallel()
	for _, step := range crashSteps {
		if testing.Short() && step != "temp-synced" {
			continue
		}
		t.Run(step, func(t *testing.T) { testCrash(t, step, false) })
	}
}

// TestSecretsCrashAddingRecipient: the same, for an edit that also adds a
// recipient with -R, so that two files are written, the recipients file
// first: a crash at each step of each. -short tries the crash that leaves
// the recipients file ahead of the secrets file.
func TestSecretsCrashAddingRecipient(t *testing.T) {
	t.Parallel()
	for _, file := range []string{"rigup.secrets.recipients", "rigup.secrets.toml.age"} {
		for _, step := range crashSteps {
			if testing.Short() && file+":"+step != "rigup.secrets.toml.age:temp-created" {
				continue
			}
			t.Run(file+":"+step, func(t *testing.T) { testCrash(t, file+":"+step, true) })
		}
	}
}

func testCrash(t *testing.T, step string, addRecipient bool) {
	t.Parallel()
	if os.Getenv("RIGUP_EXEC_BIN") != "" {
		t.Skip("needs the binary built with -tags rigup_e2e")
	}
	w := newSecretsWorld(t)
	old, v, after := secretValue(t, "old"), secretValue(t, "new"), secretValue(t, "after")
	w.writeRecipients(w.key)
	w.ageEncrypt(tomlWith(old, "x"), "-R", w.recipientsFile())
	args := []string{"secrets", "edit"}
	var bob string
	if addRecipient {
		bob = w.otherKey("bob", "ed25519")
		args = append(args, "-R", bob+".pub")
	}
	w.setEditor("edit", writeText(tomlWith(v, "x")))
	crash := w.command(args...)
	crash.Env = append(crash.Env, "RIGUP_E2E_CRASH_AT="+step)
	r := runToEnd(t, crash)
	if !r.ws.Signaled() || r.ws.Signal() != syscall.SIGKILL {
		t.Errorf("RIGUP_E2E_CRASH_AT=%s: rigup-exec ended with %v, want death by SIGKILL; stderr:\n%s", step, describe(r.ws), r.stderr)
	}
	got, err := w.ageDecrypt(w.key)
	switch {
	case err != nil:
		t.Errorf("after a crash at %s, the secrets file is broken or missing: %v", step, err)
	case got == tomlWith(old, "x"):
		t.Logf("after a crash at %s: the old file", step)
	case got == tomlWith(v, "x"):
		t.Logf("after a crash at %s: the new file", step)
		if addRecipient {
			w.expectPlaintext(bob, tomlWith(v, "x"))
		}
	default:
		t.Errorf("after a crash at %s, the secrets file decrypts to neither the old nor the new plaintext (%d bytes)", step, len(got))
	}
	expectNoSecret(t, "stderr", r.stderr, v)
	t.Logf("after the crash at %s, the project directory holds %v", step, dirNames(w.dir))

	w.setEditor("after", writeText(tomlWith(after, "x")))
	r = w.run("secrets", "edit")
	if addRecipient && r.ws.ExitStatus() == 125 {
		// The recipients file was written and the secrets file not
		// yet: the recipients differ, and without a terminal an edit
		// asks for rekey, the consent, rather than re-encrypt.
		expectContains(t, "secrets edit with the recipients file ahead", r.stderr, "rigup-exec secrets rekey")
		if _, err := w.ageDecrypt(bob); err == nil {
			t.Errorf("after the crash at %s, the edit refused though bob could decrypt already", step)
		}
		w.expectExit(w.run("secrets", "rekey"), 0, "secrets rekey after the crash at "+step)
		w.expectPlaintext(bob, tomlWith(old, "x"))
		r = w.run("secrets", "edit")
	}
	w.expectExit(r, 0, "a normal secrets edit after the crash at "+step)
	expectContains(t, "secrets edit after the crash", r.stderr, "saved")
	w.expectPlaintext(w.key, tomlWith(after, "x"))
	// Temporary files (ciphertext, or keys) left by the crash are
	// removed by the next edit.
	for _, name := range dirNames(w.dir) {
		switch {
		case name == "rigup.secrets.recipients" || name == "rigup.secrets.toml.age":
		case strings.Contains(name, "rigup.secrets"):
			t.Errorf("after the next edit, a temporary file is left: %s", name)
		default:
			t.Logf("after the next edit, the project directory also holds %s", name)
		}
	}
	w.afterEdit(old, v, after)
}

// heldEdit is a secrets edit whose editor has the file open and waits
// until the test lets it go on.
type heldEdit struct {
	t       testing.TB
	cmd     *exec.Cmd
	stderr  string        // a file: a pipe would keep Wait waiting for an orphaned editor
	done    chan struct{} // closed when rigup-exec has ended
	proceed string        // a FIFO the editor reads a line from
}

// String is what rigup-exec wrote on stderr so far.
func (h *heldEdit) String() string {
	data, _ := os.ReadFile(h.stderr)
	return string(data)
}

// startHeldEdit starts secrets edit with an editor that says it is open,
// waits for a line on the FIFO proceed, and then runs the shell code then.
// It returns once the editor is open.
func (w *world) startHeldEdit(then string) *heldEdit {
	w.t.Helper()
	open := w.marker("open")
	h := &heldEdit{t: w.t, done: make(chan struct{}), proceed: w.marker("proceed"), stderr: w.marker("held-stderr")}
	mkfifo(w.t, open, h.proceed)
	stderr, err := os.Create(h.stderr)
	if err != nil {
		w.t.Fatal(err)
	}
	defer stderr.Close()
	w.setEditor("held", fmt.Sprintf("echo open > '%s'\nread line < '%s'\n", open, h.proceed)+then)
	h.cmd = w.command("secrets", "edit")
	h.cmd.Stderr = stderr
	if err := h.cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	pgid := h.cmd.Process.Pid
	w.t.Cleanup(func() { syscall.Kill(-pgid, syscall.SIGKILL) })
	go func() {
		h.cmd.Wait()
		close(h.done)
	}()
	readFIFOUntil(w.t, open, h.done, h)
	return h
}

// release lets the editor go on.
func (h *heldEdit) release() { writeFIFO(h.t, h.proceed, "go") }

// wait waits for rigup-exec to end; the deadline only catches a hang.
func (h *heldEdit) wait() syscall.WaitStatus {
	h.t.Helper()
	select {
	case <-h.done:
	case <-time.After(waitDeadline):
		h.t.Fatalf("the edit did not end; stderr:\n%s", h)
	}
	return h.cmd.ProcessState.Sys().(syscall.WaitStatus)
}

// TestSecretsConcurrentEdit: while one edit has its editor open, a second
// edit of the same file fails at once and says why, without running its
// editor, however it names the file and whatever its RAM base; the first
// then saves normally, and the next edit works.
func TestSecretsConcurrentEdit(t *testing.T) {
	t.Parallel()
	w := newSecretsWorld(t)
	old, before := w.existingFile("old")
	link := filepath.Join(w.root, "link")
	if err := os.Symlink(w.dir, link); err != nil {
		t.Fatal(err)
	}
	v := secretValue(t, "first")
	first := w.startHeldEdit(writeText(tomlWith(v, "x")))

	secondRan := w.marker("second-ran")
	w.setEditor("second", fmt.Sprintf("touch '%s'\n", secondRan))
	for _, tc := range []struct {
		name string
		args []string
		env  []string
	}{
		{"the same way", []string{"secrets", "edit"}, nil},
		{"through a symlink", []string{"secrets", "edit", "--secrets", filepath.Join(link, "rigup.secrets.toml.age")}, nil},
		{"with another RAM base", []string{"secrets", "edit"}, []string{"XDG_RUNTIME_DIR="}},
	} {
		cmd := w.command(tc.args...)
		cmd.Env = append(cmd.Env, tc.env...)
		r := runToEnd(t, cmd)
		what := "a second edit at the same time, " + tc.name
		w.expectExit(r, 125, what)
		expectContains(t, what, r.stderr, "another rigup-exec")
		if _, err := os.Stat(secondRan); err == nil {
			t.Errorf("%s: it ran its editor", what)
			os.Remove(secondRan)
		}
		expectFile(t, what, w.secretsFile(), before)
	}

	first.release()
	if ws := first.wait(); !exited(ws, 0) {
		t.Errorf("the first edit ended with %s, want exit 0; stderr:\n%s", describe(ws), first)
	}
	checkGrammar(t, "the first edit", first.String())
	expectContains(t, "the first edit", first.String(), "saved")
	w.expectPlaintext(w.key, tomlWith(v, "x"))

	next := secretValue(t, "next")
	w.setEditor("next", writeText(tomlWith(next, "x")))
	r := w.run("secrets", "edit")
	w.expectExit(r, 0, "the next edit")
	w.expectPlaintext(w.key, tomlWith(next, "x"))
	w.afterEdit(old, v, next)
}

// TestSecretsKilledWhileEditing: rigup-exec killed by SIGKILL while the
// editor is open cannot wipe; its watchdog wipes the plaintext, and the
// secrets file is left as it was. Once the editor is gone, editing works
// again.
func TestSecretsKilledWhileEditing(t *testing.T) {
	t.Parallel()
	w := newSecretsWorld(t)
	old, before := w.existingFile("old")
	held := w.startHeldEdit("exit 0\n")
	path := w.editorPaths()[0]
	syscall.Kill(held.cmd.Process.Pid, syscall.SIGKILL)
	if ws := held.wait(); !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("rigup-exec ended with %s, want death by SIGKILL", describe(ws))
	}
	waitGone(t, path)
	w.scan(old)
	expectFile(t, "killed while editing", w.secretsFile(), before)
	held.release()
	waitGroupGone(t, held.cmd.Process.Pid)
	v := secretValue(t, "after")
	w.setEditor("after", writeText(tomlWith(v, "x")))
	r := w.run("secrets", "edit")
	w.expectExit(r, 0, "the next edit")
	w.expectPlaintext(w.key, tomlWith(v, "x"))
	w.afterEdit(old, v)
}

// startEditInTerminal runs secrets edit on a pseudo-terminal, with an
// editor that writes invalid TOML the first time and valid TOML after,
// and notes in "reopened-with-edit" whether it was re-opened on what the
// user wrote.
func startEditInTerminal(t *testing.T) (w *world, term *terminal, before []byte, old, bad, good string) {
	w = newSecretsWorld(t)
	old, bad, good = secretValue(t, "old"), secretValue(t, "bad"), secretValue(t, "good")
	w.writeRecipients(w.key)
	w.ageEncrypt(tomlWith(old, "x"), "-R", w.recipientsFile())
	before = readFile(t, w.secretsFile())
	w.setEditor("twice", shellVar("bad", bad)+fmt.Sprintf(`n=$(cat '%[1]s' 2>/dev/null || echo 0)
n=$((n+1))
echo $n > '%[1]s'
if [ $n = 1 ]; then
`, w.marker("count"))+writeText("[mcp]\nok = \"fine\"\nkey = "+bad+"\n")+
		fmt.Sprintf("else\ngrep -qF \"$bad\" \"$1\" && touch '%s'\n", w.marker("reopened-with-edit"))+
		writeText(tomlWith(good, "x"))+"fi\n")
	term = w.terminal("secrets", "edit")
	return w, term, before, old, bad, good
}

// waitForQuestion waits for the question whether to re-open the editor,
// at the start of a sentence or not.
func waitForQuestion(term *terminal) {
	term.t.Helper()
	term.expect("e-open")
	if !strings.Contains(strings.ToLower(term.screen()), "re-open") {
		term.t.Errorf("the question does not ask to re-open the editor: %q", term.screen())
	}
}

func (w *world) editorRuns() string {
	data, _ := os.ReadFile(w.marker("count"))
	return strings.TrimSpace(string(data))
}

// TestSecretsInvalidThenFixedOnTerminal: on a terminal, invalid TOML gets
// a question whether to re-open the editor; yes, and the fixed text is
// saved.
func TestSecretsInvalidThenFixedOnTerminal(t *testing.T) {
	t.Parallel()
	w, term, _, old, bad, good := startEditInTerminal(t)
	waitForQuestion(term)
	if !strings.Contains(term.screen(), "not valid TOML") {
		t.Errorf("the terminal shows no \"not valid TOML\" before the question: %q", term.screen())
	}
	term.send("y\r")
	term.expect("saved")
	term.expectExit(0, "fixed")
	if n := w.editorRuns(); n != "2" {
		t.Errorf("the editor ran %s times, want 2", n)
	}
	if _, err := os.Stat(w.marker("reopened-with-edit")); err != nil {
		t.Log("the editor was re-opened on the last saved file, not on the invalid text")
	}
	expectNoSecret(t, "the terminal", term.drain(), bad)
	w.expectPlaintext(w.key, tomlWith(good, "x"))
	w.afterEdit(old, bad, good)
}

// TestSecretsInvalidThenDeclinedOnTerminal: no, and the old file is kept
// byte for byte, exit 125.
func TestSecretsInvalidThenDeclinedOnTerminal(t *testing.T) {
	t.Parallel()
	w, term, before, old, bad, good := startEditInTerminal(t)
	waitForQuestion(term)
	term.send("n\r")
	term.expectExit(125, "declined")
	if n := w.editorRuns(); n != "1" {
		t.Errorf("the editor ran %s times, want once", n)
	}
	expectNoSecret(t, "the terminal", term.drain(), bad)
	expectFile(t, "declined", w.secretsFile(), before)
	w.afterEdit(old, bad, good)
}

// TestSecretsCtrlCOnTerminal: Ctrl-C while the editor is open (an editor
// that it ends), or at the question whether to re-open it, saves nothing,
// exits 130 as Ctrl-C at a passphrase prompt does, wipes the plaintext and
// leaves the terminal as it was.
func TestSecretsCtrlCOnTerminal(t *testing.T) {
	t.Parallel()
	t.Run("editor open", func(t *testing.T) {
		t.Parallel()
		w := newSecretsWorld(t)
		old, before := w.existingFile("old")
		v := secretValue(t, "new")
		open, hold := w.marker("open"), w.marker("hold")
		mkfifo(t, open, hold)
		w.setEditor("held", writeText(tomlWith(v, "x"))+fmt.Sprintf("echo open > '%s'\nread line < '%s'\n", open, hold))
		term := w.terminal("secrets", "edit")
		readFIFOUntil(t, open, term.reap(), term)
		term.send("\x03")
		term.expectExit(130, "Ctrl-C in the editor")
		term.expect("rigup-exec: error: the editor was interrupted (SIGINT): nothing saved")
		if !term.echoOn() {
			t.Error("echo is off after Ctrl-C")
		}
		expectFile(t, "Ctrl-C in the editor", w.secretsFile(), before)
		w.afterEdit(old, v)
	})
	t.Run("question", func(t *testing.T) {
		t.Parallel()
		w, term, before, old, bad, good := startEditInTerminal(t)
		waitForQuestion(term)
		term.send("\x03")
		term.expectExit(130, "Ctrl-C at the question")
		if !term.echoOn() {
			t.Error("echo is off after Ctrl-C")
		}
		expectFile(t, "Ctrl-C at the question", w.secretsFile(), before)
		w.afterEdit(old, bad, good)
	})
}

// TestSecretsDefaultVi: with neither $VISUAL nor $EDITOR, on a terminal,
// secrets edit runs vi from $PATH, with the file's path last, and saves
// what it wrote. (Without a terminal it refuses: secrets_editor_fails.)
func TestSecretsDefaultVi(t *testing.T) {
	t.Parallel()
	w := newSecretsWorld(t)
	old, _ := w.existingFile("old")
	v := secretValue(t, "new")
	bin := filepath.Join(w.root, "bin")
	w.write(filepath.Join(bin, "vi"), "#!/bin/sh\nfor last; do :; done\nset -- \"$last\"\n"+
		fmt.Sprintf("printf '%%s\\n' \"$1\" >> '%s'\n", w.marker("editor-paths"))+writeText(tomlWith(v, "x")), 0o755)
	w.editor = ""
	w.setenv("VISUAL=", "PATH="+bin+string(os.PathListSeparator)+binDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	term := w.terminal("secrets", "edit")
	term.hide(old, v)
	term.expect("saved")
	term.expectExit(0, "vi from $PATH")
	if n := len(w.editorPaths()); n != 1 {
		t.Errorf("vi ran %d times, want once", n)
	}
	w.expectPlaintext(w.key, tomlWith(v, "x"))
	w.afterEdit(old, v)
}

// With no RAM directory (/dev/shm replaced by a disk directory in a private
// mount namespace, as root), secrets edit refuses, and with --allow-disk
// edits on disk with a warning, wiping the plaintext afterwards.
func TestSecretsEditNoRAM(t *testing.T) {
	t.Parallel()
	requireRoot(t, "a private mount namespace", "unshare", "mount")
	w := newSecretsWorld(t)
	w.setenv("XDG_RUNTIME_DIR=")
	old, before := w.existingFile("old")
	v := secretValue(t, "new")
	w.setEditor("edit", `echo "$1" > "`+w.marker("where")+`"
`+writeText(tomlWith(v, "x")))
	disk := filepath.Join(w.root, "disk")
	os.Mkdir(disk, 0o755)
	edit := func(flags ...string) result {
		t.Helper()
		return runToEnd(t, w.program("unshare", append([]string{"--mount", "--propagation", "private", "sh", "-c",
			`mount --bind "$0" /dev/shm && exec "$@"`, disk, rigupExec()}, flags...)...))
	}
	r := edit("secrets", "edit")
	w.expectExit(r, 125, "secrets edit without RAM")
	expectContains(t, "secrets edit without RAM", r.stderr, "no private directory in RAM")
	expectFile(t, "secrets edit without RAM", w.secretsFile(), before)
	r = edit("--allow-disk", "secrets", "edit")
	w.expectExit(r, 0, "secrets edit --allow-disk")
	expectContains(t, "secrets edit --allow-disk", r.stderr, "is on disk (--allow-disk): wiping it afterwards is not reliable there")
	w.expectPlaintext(w.key, tomlWith(v, "x"))
	where, _ := os.ReadFile(w.marker("where"))
	if !strings.HasPrefix(string(where), w.home+"/.cache/rigup-exec/rigup-secrets-") {
		t.Errorf("the editor's file was %q, want one under ~/.cache/rigup-exec", where)
	}
	waitGone(t, strings.TrimSpace(string(where)))
	w.scan(old, v)
}

// TestSecretsX25519OnTerminal: a file the real age encrypted to the user's
// SSH key and to an age1 (X25519) key. On a terminal as without one, an
// edit without a recipients file refuses at once: no answer to a question
// could say which age1 key the file is encrypted to. With a recipients
// file that lists the SSH key alone, dropping the age1 key is a change of
// recipients, shown and asked: no (the default) keeps the file as it was,
// readable by both; yes encrypts to the SSH key alone.
func TestSecretsX25519OnTerminal(t *testing.T) {
	t.Parallel()
	require(t, "age-keygen")
	w := newSecretsWorld(t)
	ci, ciRecipient := w.ageKeygen("ci")
	old, v := secretValue(t, "old"), secretValue(t, "new")
	w.ageEncrypt(tomlWith(old, "x"), "-R", w.key+".pub", "-r", ciRecipient)
	before := readFile(t, w.secretsFile())
	w.setEditor("edit", shellVar("old", old)+shellVar("new", v)+`grep -qF "$old" "$1" || exit 8
sed -i "s/$old/$new/" "$1"
`)
	bothRead := func(what string) {
		t.Helper()
		expectFile(t, what, w.secretsFile(), before)
		w.expectPlaintext(w.key, tomlWith(old, "x"))
		w.expectPlaintext(ci, tomlWith(old, "x"))
	}

	// A question would wait for an answer, which never comes.
	term := w.terminal("secrets", "edit")
	term.expect("1 age1 (X25519) key that no rigup.secrets.recipients names")
	term.expectExit(125, "without a recipients file")
	if n := len(w.editorPaths()); n != 0 {
		t.Errorf("the editor ran %d times, want never", n)
	}
	bothRead("without a recipients file")
	if _, err := os.Stat(w.recipientsFile()); err == nil {
		t.Error("a recipients file was written")
	}

	w.writeRecipients(w.key)
	term = w.terminal("secrets", "edit")
	term.expect("[y/N]")
	expectContains(t, "the question", term.screen(), "recipient removed: 1 age1 (X25519) key the file is encrypted to, named nowhere")
	term.send("\r")
	term.expect("rigup-exec: error: declined: the recipients of rigup.secrets.toml.age stay as they are, nothing saved")
	term.expectExit(125, "declined")
	// Not the rekey just declined: the way on is the recipients file.
	if screen := term.screen(); strings.Contains(screen[strings.Index(screen, "declined:"):], "secrets rekey") {
		t.Errorf("declining hints at the rekey it declined: %q", screen)
	}
	bothRead("declined")

	term = w.terminal("secrets", "edit")
	term.expect("[y/N]")
	term.send("y\r")
	term.expect("encrypted to 1 recipient")
	term.expectExit(0, "accepted")
	w.expectPlaintext(w.key, tomlWith(v, "x"))
	if _, err := w.ageDecrypt(ci); err == nil {
		t.Error("the age1 key still decrypts after its removal was accepted")
	}
	w.afterEdit(old, v)
}
