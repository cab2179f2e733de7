//go:build linux

package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The secrets command, edit, rekey and recipients, run without a terminal
// (a session of its own) or on a pseudo-terminal, with keys made by the real
// ssh-keygen and files checked with the real age. Every test ends with a
// scan for its secret values in every file under the working directory,
// $HOME, /tmp and the RAM bases: they are unique to the test, and neither
// the editor scripts nor the fixtures hold them in clear.

// secretsEnv is one test's private world: a home with an ed25519 key of
// its own (alice, "yours"), a project directory, and a runtime directory
// in RAM standing in for $XDG_RUNTIME_DIR.
type secretsEnv struct {
	t       *testing.T
	root    string // holds the home, the project, other keys and the editor scripts
	home    string
	project string   // the working directory of the runs
	runtime string   // $XDG_RUNTIME_DIR of the runs
	alice   string   // the user's own key, ~/.ssh/id_ed25519
	editor  string   // $EDITOR of the next runs
	extra   []string // more environment for the next runs
	noXDG   bool     // run without $XDG_RUNTIME_DIR: the RAM base is /dev/shm
}

func newSecretsEnv(t *testing.T) *secretsEnv {
	t.Helper()
	require(t, "ssh-keygen", "age")
	runtime, err := os.MkdirTemp("/dev/shm", "e2e-runtime-")
	if err != nil {
		t.Skipf("no /dev/shm: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(runtime) })
	root := t.TempDir()
	s := &secretsEnv{
		t:       t,
		root:    root,
		home:    filepath.Join(root, "home"),
		project: filepath.Join(root, "project"),
		runtime: runtime,
		editor:  "false", // each test says what its editor does
	}
	for _, dir := range []string{filepath.Join(s.home, ".ssh"), filepath.Join(root, "keys"), s.project} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	s.alice = s.keygen(filepath.Join(s.home, ".ssh", "id_ed25519"), "ed25519")
	return s
}

// replaceValue runs secrets edit with an editor that replaces old by v,
// and expects it saved.
func (s *secretsEnv) replaceValue(old, v string) {
	s.t.Helper()
	s.setEditor("edit", shellVar("old", old)+shellVar("new", v)+`grep -qF "$old" "$1" || exit 8
sed -i "s/$old/$new/" "$1"
`)
	r := s.run("secrets", "edit")
	s.expectExit(r, 0, "secrets edit")
	expectContains(s.t, "secrets edit", r.stderr, "saved")
}

// existingFile makes the project's secrets file as age -R would, holding a
// new secret value, with the user's key as its one recipient, and returns
// the value and the file's bytes.
func (s *secretsEnv) existingFile(label string) (string, []byte) {
	v := secretValue(s.t, label)
	s.writeRecipients(s.alice)
	s.ageEncrypt(tomlWith(v, "x"))
	return v, s.readSecretsFile()
}

// keygen makes a key without a passphrase with the real ssh-keygen and
// returns the path of its private half.
func (s *secretsEnv) keygen(path, typ string) string {
	s.t.Helper()
	args := []string{"-q", "-t", typ, "-N", "", "-C", filepath.Base(path), "-f", path}
	if typ == "rsa" {
		args = append(args, "-b", "2048")
	}
	if out, err := exec.Command("ssh-keygen", args...).CombinedOutput(); err != nil {
		s.t.Fatalf("ssh-keygen %v: %v\n%s", args, err, out)
	}
	return path
}

// key makes another person's key under root/keys.
func (s *secretsEnv) key(name, typ string) string {
	return s.keygen(filepath.Join(s.root, "keys", name), typ)
}

// fingerprint is the key's SHA256 fingerprint as ssh-keygen -l prints it.
func (s *secretsEnv) fingerprint(key string) string {
	s.t.Helper()
	out, err := exec.Command("ssh-keygen", "-l", "-f", key+".pub").Output()
	fields := strings.Fields(string(out))
	if err != nil || len(fields) < 2 || !strings.HasPrefix(fields[1], "SHA256:") {
		s.t.Fatalf("ssh-keygen -l -f %s.pub: %q, %v", key, out, err)
	}
	return fields[1]
}

// pub returns the public key line of key, without its comment.
func (s *secretsEnv) pub(key string) string {
	s.t.Helper()
	data, err := os.ReadFile(key + ".pub")
	if err != nil {
		s.t.Fatal(err)
	}
	f := strings.Fields(string(data))
	return f[0] + " " + f[1]
}

func (s *secretsEnv) secretsFile() string { return filepath.Join(s.project, "rigup.secrets.toml.age") }
func (s *secretsEnv) recipientsFile() string {
	return filepath.Join(s.project, "rigup.secrets.recipients")
}

// writeRecipients writes the recipients file by hand: a comment, then the
// public key files of keys, comments included.
func (s *secretsEnv) writeRecipients(keys ...string) {
	s.t.Helper()
	text := "# who can decrypt rigup.secrets.toml.age\n"
	for _, k := range keys {
		data, err := os.ReadFile(k + ".pub")
		if err != nil {
			s.t.Fatal(err)
		}
		text += string(data)
	}
	if err := os.WriteFile(s.recipientsFile(), []byte(text), 0o644); err != nil {
		s.t.Fatal(err)
	}
}

// ageEncrypt encrypts plaintext to the recipients file with the real
// age -R.
func (s *secretsEnv) ageEncrypt(plaintext string) {
	s.t.Helper()
	s.ageEncryptTo(plaintext, "-R", s.recipientsFile())
}

// ageEncryptTo makes the secrets file with the real age and the recipient
// flags given, from a plain.toml that is deleted right away.
func (s *secretsEnv) ageEncryptTo(plaintext string, recipients ...string) {
	s.t.Helper()
	plain := filepath.Join(s.project, "plain.toml")
	if err := os.WriteFile(plain, []byte(plaintext), 0o600); err != nil {
		s.t.Fatal(err)
	}
	out, err := exec.Command("age", append(recipients, "-o", s.secretsFile(), plain)...).CombinedOutput()
	os.Remove(plain)
	if err != nil {
		s.t.Fatalf("age %s: %v\n%s", strings.Join(recipients, " "), err, out)
	}
}

// ageKeygen makes an age X25519 identity with the real age-keygen under
// root/keys, and returns its path and its age1 recipient.
func (s *secretsEnv) ageKeygen(name string) (identity, recipient string) {
	s.t.Helper()
	identity = filepath.Join(s.root, "keys", name)
	if out, err := exec.Command("age-keygen", "-o", identity).CombinedOutput(); err != nil {
		s.t.Fatalf("age-keygen: %v\n%s", err, out)
	}
	out, err := exec.Command("age-keygen", "-y", identity).Output()
	if err != nil {
		s.t.Fatalf("age-keygen -y: %v", err)
	}
	return identity, strings.TrimSpace(string(out))
}

// ageDecrypt decrypts the secrets file with the real age -d -i key.
func (s *secretsEnv) ageDecrypt(key string) (string, error) {
	cmd := exec.Command("age", "-d", "-i", key, s.secretsFile())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("age -d -i %s: %v: %s", filepath.Base(key), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// expectPlaintext checks that key decrypts the secrets file to want. The
// texts are secret, so a mismatch is reported without them.
func (s *secretsEnv) expectPlaintext(key, want string) {
	s.t.Helper()
	got, err := s.ageDecrypt(key)
	if err != nil {
		s.t.Errorf("%v", err)
	} else if got != want {
		s.t.Errorf("age -d -i %s: the plaintext (%d bytes) is not the expected one (%d bytes)", filepath.Base(key), len(got), len(want))
	}
}

func (s *secretsEnv) readSecretsFile() []byte {
	s.t.Helper()
	data, err := os.ReadFile(s.secretsFile())
	if err != nil {
		s.t.Fatal(err)
	}
	return data
}

// setEditor makes a shell script the $EDITOR of the next runs (sh SCRIPT,
// the file to edit as $1). The script first notes the path it was given in
// root/editor-paths.
func (s *secretsEnv) setEditor(name, body string) {
	s.t.Helper()
	path := filepath.Join(s.root, name+".sh")
	script := fmt.Sprintf("printf '%%s\\n' \"$1\" >> '%s/editor-paths'\n%s", s.root, body)
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		s.t.Fatal(err)
	}
	s.editor = "sh " + path
}

// marker is the path of a file an editor script touches.
func (s *secretsEnv) marker(name string) string { return filepath.Join(s.root, name) }

func (s *secretsEnv) env() []string {
	env := []string{
		"PATH=" + binDir + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + s.home,
		"USER=tester",
		"EDITOR=" + s.editor,
	}
	if !s.noXDG {
		env = append(env, "XDG_RUNTIME_DIR="+s.runtime)
	}
	return append(env, s.extra...)
}

// command is rigup-exec args in the project directory, in a session of its
// own: it has no controlling terminal, whatever terminal go test runs in.
func (s *secretsEnv) command(args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(binDir, "rigup-exec"), args...)
	cmd.Dir = s.project
	cmd.Env = s.env()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	return cmd
}

type result struct {
	stdout, stderr string
	ws             syscall.WaitStatus
}

// run runs rigup-exec to its end. A run that hangs (a question asked
// where there is no terminal, say) is killed after two minutes: that only
// keeps a broken build from hanging the suite.
func (s *secretsEnv) run(args ...string) result {
	s.t.Helper()
	cmd := s.command(args...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	hang := time.AfterFunc(2*time.Minute, func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	ws := waitStatus(s.t, cmd)
	hang.Stop()
	return result{stdout.String(), stderr.String(), ws}
}

// expectExit checks that r ended with exit status code and that its
// stderr follows the message grammar.
func (s *secretsEnv) expectExit(r result, code int, what string) {
	s.t.Helper()
	if !r.ws.Exited() || r.ws.ExitStatus() != code {
		s.t.Errorf("%s: rigup-exec ended with %v, want exit %d; stderr:\n%s", what, describe(r.ws), code, r.stderr)
	}
	checkGrammar(s.t, what, r.stderr)
}

// checkGrammar checks that every line rigup-exec wrote on stderr is one of
// its messages.
func checkGrammar(t *testing.T, what, stderr string) {
	t.Helper()
	for _, line := range strings.Split(strings.TrimRight(stderr, "\n"), "\n") {
		if line != "" && !messageLine.MatchString(line) {
			t.Errorf("%s: stderr line %q is not a rigup-exec message (error:, warning:, hint:, note:)", what, line)
		}
	}
}

var messageLine = regexp.MustCompile(`^rigup-exec: (error|warning|hint|note): \S`)

func expectContains(t *testing.T, what, text, want string) {
	t.Helper()
	if !strings.Contains(text, want) {
		t.Errorf("%s: %q not in:\n%s", what, want, text)
	}
}

// expectNoSecret checks that text does not quote a secret value.
func expectNoSecret(t *testing.T, what, text, value string) {
	t.Helper()
	if strings.Contains(text, value) || strings.Contains(text, distinctive(value)) {
		t.Errorf("%s quotes the secret value (%s…): %d bytes of output", what, redact(value), len(text))
	}
}

// expectFile checks that path holds exactly want (compared, not shown: it
// is ciphertext or a key list).
func expectFile(t *testing.T, what, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("%s: %v", what, err)
	} else if !bytes.Equal(got, want) {
		t.Errorf("%s: %s changed (%d bytes, were %d)", what, filepath.Base(path), len(got), len(want))
	}
}

// editorPaths returns the paths the editor scripts were given so far.
func (s *secretsEnv) editorPaths() []string {
	data, _ := os.ReadFile(s.marker("editor-paths"))
	return strings.Fields(string(data))
}

// checkEditorFiles checks where the editor was given the plaintext: a file
// rigup.secrets.toml in a private directory under $XDG_RUNTIME_DIR (or
// /dev/shm without it), gone now (waiting a little for a watchdog, after a
// crash).
func (s *secretsEnv) checkEditorFiles() {
	s.t.Helper()
	base := s.runtime
	if s.noXDG {
		base = "/dev/shm"
	}
	for _, p := range s.editorPaths() {
		if filepath.Base(p) != "rigup.secrets.toml" || !strings.HasPrefix(p, base+"/") {
			s.t.Errorf("the editor was given %s, want a rigup.secrets.toml in a directory under %s", p, base)
		}
		waitGone(s.t, p)
	}
	if names := dirNames(s.runtime); len(names) > 0 {
		s.t.Logf("left in $XDG_RUNTIME_DIR: %v", names)
	}
}

func dirNames(dir string) []string {
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// scan checks the editor's files, then looks for each value in every file
// under the test's directories, /tmp and /dev/shm.
func (s *secretsEnv) scan(values ...string) {
	s.t.Helper()
	s.checkEditorFiles()
	scanPlaintextAll(s.t, values, s.root, s.home, s.project, s.runtime, os.TempDir(), "/tmp", "/dev/shm")
}

// secretValue is a value unique to the test and the label, random enough
// to be found nowhere by chance.
func secretValue(t *testing.T, label string) string {
	b := make([]byte, 8)
	rand.Read(b)
	name := regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(t.Name(), "-")
	return "sk-" + name + "-" + label + "-" + hex.EncodeToString(b)
}

// distinctive is the random end of a secret value.
func distinctive(value string) string { return value[len(value)-16:] }

// redact is a secret value without its random end, safe to print: the
// full value is never printed, so that no log holds it.
func redact(value string) string { return value[:len(value)-16] }

// shellVar is a shell assignment of value to name that does not hold the
// value in one piece, but as two quoted halves side by side.
func shellVar(name, value string) string {
	half := len(value) / 2
	return fmt.Sprintf("%s='%s''%s'\n", name, value[:half], value[half:])
}

// writeText is shell code that writes text to "$1" without holding the
// text in clear: base64 -d writes it.
func writeText(text string) string {
	return fmt.Sprintf("printf '%%s' '%s' | base64 -d > \"$1\" || exit 9\n", base64.StdEncoding.EncodeToString([]byte(text)))
}

// scanPlaintext fails the test if any regular file under dirs contains
// value. It skips what it cannot read and /proc, and follows no symlink.
// It reads only the files changed since the tests began: a value is made
// by a test, so an older file cannot hold it, and /tmp of a shared machine
// can hold much.
func scanPlaintext(t *testing.T, value string, dirs ...string) {
	t.Helper()
	scanPlaintextAll(t, []string{value}, dirs...)
}

// scanPlaintextAll is scanPlaintext for several values, in one walk that
// reads each file once.
func scanPlaintextAll(t *testing.T, values []string, dirs ...string) {
	t.Helper()
	needles := make([][]byte, len(values))
	for i, v := range values {
		needles[i] = []byte(v)
	}
	for _, dir := range outermost(dirs) {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil // unreadable: skipped (a directory's entries are then not walked)
			}
			if p == "/proc" {
				return filepath.SkipDir
			}
			if !d.Type().IsRegular() {
				return nil
			}
			if info, err := d.Info(); err == nil && info.ModTime().Before(testsBegan) {
				return nil
			}
			for _, i := range fileContains(p, needles) {
				t.Errorf("plaintext: %s holds the secret value %s…", p, redact(values[i]))
			}
			return nil
		})
	}
}

// outermost resolves dirs and drops those inside another one.
func outermost(dirs []string) []string {
	var resolved []string
	for _, d := range dirs {
		if r, err := filepath.EvalSymlinks(d); err == nil {
			resolved = append(resolved, filepath.Clean(r))
		}
	}
	slices.Sort(resolved)
	var out []string
	for _, d := range resolved {
		if len(out) > 0 {
			last := out[len(out)-1]
			if d == last || strings.HasPrefix(d, strings.TrimSuffix(last, "/")+"/") {
				continue
			}
		}
		out = append(out, d)
	}
	return out
}

// fileContains returns the indexes of the needles that the regular file at
// p contains, reading it once in chunks that overlap by the longest
// needle's length less one.
func fileContains(p string, needles [][]byte) []int {
	if len(needles) == 0 {
		return nil
	}
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil
	}
	defer f.Close()
	longest := 0
	for _, n := range needles {
		longest = max(longest, len(n))
	}
	found := make([]bool, len(needles))
	buf := make([]byte, 1<<20+longest)
	keep := 0
	for {
		n, err := f.Read(buf[keep:])
		window := buf[:keep+n]
		for i, needle := range needles {
			found[i] = found[i] || bytes.Contains(window, needle)
		}
		if err != nil || n == 0 {
			break
		}
		keep = min(longest-1, len(window))
		copy(buf, window[len(window)-keep:])
	}
	var out []int
	for i, ok := range found {
		if ok {
			out = append(out, i)
		}
	}
	return out
}

// tomlWith is a secrets file with comments and two tables; value is the
// MCP key.
func tomlWith(value, dbPassword string) string {
	return "# the team's secrets\n[mcp]\ncontext7_api_key = \"" + value + "\"\n\n[database]\nurl = \"postgres://app@db/app\"\npassword = \"" + dbPassword + "\"\n"
}

// TestSecretsCreate: with no secrets file, edit starts from a commented
// template with [mcp] and [database], encrypts what was saved to the
// user's own key, and writes the recipients file next to it.
func TestSecretsCreate(t *testing.T) {
	s := newSecretsEnv(t)
	v, pw := secretValue(t, "mcp"), secretValue(t, "db")
	plain := tomlWith(v, pw)
	// The editor fails (so that nothing is saved) with 8 if the
	// template is not what it should be, 7 if its directory is not private.
	s.setEditor("create", `grep -q '\[mcp\]' "$1" && grep -q '\[database\]' "$1" && grep -q '^#' "$1" || exit 8
test "$(stat -c %a "$(dirname "$1")")" = 700 || exit 7
`+writeText(plain))
	r := s.run("secrets", "edit")
	s.expectExit(r, 0, "secrets edit (new file)")
	expectContains(t, "secrets edit (new file)", r.stderr, "saved")
	if len(s.editorPaths()) != 1 {
		t.Fatalf("the editor ran %d times, want once", len(s.editorPaths()))
	}
	s.expectPlaintext(s.alice, plain)
	recipients, err := os.ReadFile(s.recipientsFile())
	if err != nil {
		t.Fatalf("no recipients file: %v", err)
	}
	if !strings.Contains(string(recipients), s.pub(s.alice)) {
		t.Errorf("the recipients file does not hold ~/.ssh/id_ed25519.pub:\n%s", recipients)
	}
	// The recipients file is one age -R reads.
	probe := filepath.Join(s.root, "probe.age")
	if out, err := exec.Command("age", "-R", s.recipientsFile(), "-o", probe, s.recipientsFile()).CombinedOutput(); err != nil {
		t.Errorf("age -R rigup.secrets.recipients: %v\n%s", err, out)
	}
	s.scan(v, pw)
}

// TestSecretsEdit: a file made by secrets edit is edited again: the editor
// is given the current plaintext, and sed -i (which replaces the file
// rather than writing into it) saves the new value; the rest is kept byte
// for byte, the recipients file is untouched, the file keeps its mode.
func TestSecretsEdit(t *testing.T) {
	s := newSecretsEnv(t)
	old, pw := secretValue(t, "old"), secretValue(t, "db")
	s.setEditor("create", writeText(tomlWith(old, pw)))
	s.expectExit(s.run("secrets", "edit"), 0, "secrets edit (new file)")
	if err := os.Chmod(s.secretsFile(), 0o640); err != nil {
		t.Fatal(err)
	}
	recipients, _ := os.ReadFile(s.recipientsFile())

	v := secretValue(t, "new")
	s.replaceValue(old, v)
	s.expectPlaintext(s.alice, tomlWith(v, pw))
	expectFile(t, "secrets edit", s.recipientsFile(), recipients)
	if fi, err := os.Stat(s.secretsFile()); err == nil && fi.Mode().Perm() != 0o640 {
		t.Errorf("the secrets file has mode %v after the edit, want 0640 as before", fi.Mode().Perm())
	}
	s.scan(old, v, pw)
}

// TestSecretsEditWithoutRuntimeDir: without $XDG_RUNTIME_DIR, the
// plaintext goes to a private directory in /dev/shm, gone afterwards.
func TestSecretsEditWithoutRuntimeDir(t *testing.T) {
	s := newSecretsEnv(t)
	s.noXDG = true
	old, v := secretValue(t, "old"), secretValue(t, "new")
	s.writeRecipients(s.alice)
	s.ageEncrypt(tomlWith(old, "x"))
	s.setEditor("edit", `test "$(stat -c %a "$(dirname "$1")")" = 700 || exit 7
`+writeText(tomlWith(v, "x")))
	r := s.run("secrets", "edit")
	s.expectExit(r, 0, "secrets edit without $XDG_RUNTIME_DIR")
	s.expectPlaintext(s.alice, tomlWith(v, "x"))
	s.scan(old, v)
}

// TestSecretsUnchanged: an editor that changes nothing, or writes the same
// bytes again, leaves the encrypted file untouched: "no changes", exit 0.
func TestSecretsUnchanged(t *testing.T) {
	s := newSecretsEnv(t)
	v, before := s.existingFile("mcp")
	recipients, _ := os.ReadFile(s.recipientsFile())
	for _, tc := range []struct{ name, body string }{
		{"untouched", "exit 0\n"},
		{"rewritten", "cp \"$1\" \"$1.new\" && mv \"$1.new\" \"$1\" || exit 8\n"},
	} {
		s.setEditor(tc.name, tc.body)
		r := s.run("secrets", "edit")
		s.expectExit(r, 0, tc.name)
		expectContains(t, tc.name, r.stderr, "no changes")
		expectFile(t, tc.name, s.secretsFile(), before)
		expectFile(t, tc.name, s.recipientsFile(), recipients)
	}
	s.scan(v)
}

// TestSecretsInvalidNoTerminal: invalid TOML without a terminal to ask on
// fails with the line and column, never the text, and keeps the old file
// byte for byte.
func TestSecretsInvalidNoTerminal(t *testing.T) {
	s := newSecretsEnv(t)
	old, before := s.existingFile("old")
	bad := secretValue(t, "bad")
	for _, tc := range []struct{ name, text string }{
		{"bare value", "[mcp]\nok = \"fine\"\nkey = " + bad + "\n"},
		{"unterminated string", "[mcp]\nok = \"fine\"\nkey = \"" + bad + "\n"},
		{"no equals sign", "[mcp]\nok = \"fine\"\n" + bad + "\n"},
	} {
		s.setEditor("invalid", writeText(tc.text))
		r := s.run("secrets", "edit")
		s.expectExit(r, 125, tc.name)
		expectContains(t, tc.name, r.stderr, "not valid TOML")
		if !regexp.MustCompile(`line 3\b.*col(umn)? \d+|\b3:\d+\b`).MatchString(r.stderr) {
			t.Errorf("%s: no line 3 and column in:\n%s", tc.name, r.stderr)
		}
		expectNoSecret(t, tc.name+": stderr", r.stderr, bad)
		expectNoSecret(t, tc.name+": stdout", r.stdout, bad)
		expectFile(t, tc.name, s.secretsFile(), before)
	}
	s.scan(old, bad)
}

// TestSecretsEditorFails: an editor that saves and then exits non-zero
// saves nothing.
func TestSecretsEditorFails(t *testing.T) {
	s := newSecretsEnv(t)
	old, before := s.existingFile("old")
	v := secretValue(t, "new")
	s.setEditor("fail", writeText(tomlWith(v, "x"))+"exit 3\n")
	r := s.run("secrets", "edit")
	s.expectExit(r, 125, "editor exits 3")
	expectContains(t, "editor exits 3", r.stderr, "nothing saved")
	expectFile(t, "editor exits 3", s.secretsFile(), before)
	s.expectPlaintext(s.alice, tomlWith(old, "x"))
	s.scan(old, v)
}

// TestSecretsTwoRecipients: -R adds bob's public key without a question
// (there is no terminal); both real keys then decrypt with the real age,
// and bob, with -i after the subcommand, can edit too.
func TestSecretsTwoRecipients(t *testing.T) {
	s := newSecretsEnv(t)
	v := secretValue(t, "first")
	s.setEditor("create", writeText(tomlWith(v, "x")))
	s.expectExit(s.run("secrets", "edit"), 0, "secrets edit (new file)")
	bob := s.key("bob", "ed25519")

	s.setEditor("untouched", "exit 0\n")
	r := s.run("secrets", "edit", "-R", bob+".pub")
	s.expectExit(r, 0, "secrets edit -R bob.pub")
	expectContains(t, "secrets edit -R bob.pub", r.stderr, "recipient added: "+s.fingerprint(bob))
	if strings.Contains(r.stderr, "no changes") {
		t.Errorf("a new recipient with the same content was not saved:\n%s", r.stderr)
	}
	s.expectPlaintext(s.alice, tomlWith(v, "x"))
	s.expectPlaintext(bob, tomlWith(v, "x"))
	recipients, _ := os.ReadFile(s.recipientsFile())
	if !strings.Contains(string(recipients), s.pub(bob)) || !strings.Contains(string(recipients), s.pub(s.alice)) {
		t.Errorf("the recipients file does not hold both keys:\n%s", recipients)
	}

	w := secretValue(t, "bobs")
	s.setEditor("bob", writeText(tomlWith(w, "x")))
	r = s.run("secrets", "edit", "-i", bob)
	s.expectExit(r, 0, "secrets edit -i bob")
	expectContains(t, "secrets edit -i bob", r.stderr, "saved")
	s.expectPlaintext(s.alice, tomlWith(w, "x"))
	s.expectPlaintext(bob, tomlWith(w, "x"))

	r = s.run("secrets", "recipients")
	s.expectExit(r, 0, "secrets recipients")
	checkRecipientList(t, r.stdout, map[string]bool{s.fingerprint(s.alice): true, s.fingerprint(bob): false})
	s.scan(v, w)
}

// checkRecipientList checks that list has one line per fingerprint, marked
// (yours) when want says so, and no other SHA256: line.
func checkRecipientList(t *testing.T, list string, want map[string]bool) {
	t.Helper()
	if n := strings.Count(list, "SHA256:"); n != len(want) {
		t.Errorf("secrets recipients lists %d fingerprints, want %d:\n%s", n, len(want), list)
	}
	for fp, yours := range want {
		var line string
		for _, l := range strings.Split(list, "\n") {
			if strings.Contains(l, fp) {
				line = l
			}
		}
		if line == "" {
			t.Errorf("secrets recipients does not list %s:\n%s", fp, list)
		} else if strings.Contains(line, "(yours)") != yours {
			t.Errorf("secrets recipients: (yours) on %q is %v, want %v", line, !yours, yours)
		}
	}
}

// TestSecretsRekeyAddRemove: bob is removed from the recipients file by
// hand and carol (an RSA key) added; rekey re-encrypts to exactly those
// keys, says so, and bob's key no longer decrypts.
func TestSecretsRekeyAddRemove(t *testing.T) {
	s := newSecretsEnv(t)
	bob, carol := s.key("bob", "ed25519"), s.key("carol", "rsa")
	v := secretValue(t, "mcp")
	plain := tomlWith(v, "x")
	s.writeRecipients(s.alice, bob)
	s.ageEncrypt(plain)
	s.expectPlaintext(bob, plain)

	s.writeRecipients(s.alice, carol)
	r := s.run("secrets", "rekey")
	s.expectExit(r, 0, "secrets rekey")
	expectContains(t, "secrets rekey", r.stderr, "recipient added: "+s.fingerprint(carol))
	expectContains(t, "secrets rekey", r.stderr, "removed")
	if _, err := s.ageDecrypt(bob); err == nil {
		t.Error("bob's key still decrypts after he was removed and the file rekeyed")
	}
	s.expectPlaintext(carol, plain)
	s.expectPlaintext(s.alice, plain)

	r = s.run("secrets", "recipients")
	s.expectExit(r, 0, "secrets recipients")
	checkRecipientList(t, r.stdout, map[string]bool{s.fingerprint(s.alice): true, s.fingerprint(carol): false})
	s.scan(v)
}

// TestSecretsAgeEncryptedFileEditable: a file the real age -R encrypted to
// the recipients file (comments and all) is editable, and stays readable
// by every recipient.
func TestSecretsAgeEncryptedFileEditable(t *testing.T) {
	s := newSecretsEnv(t)
	bob := s.key("bob", "rsa")
	old, pw := secretValue(t, "old"), secretValue(t, "db")
	s.writeRecipients(s.alice, bob)
	s.ageEncrypt(tomlWith(old, pw))
	v := secretValue(t, "new")
	s.replaceValue(old, v)
	s.expectPlaintext(s.alice, tomlWith(v, pw))
	s.expectPlaintext(bob, tomlWith(v, pw))
	s.scan(old, pw, v)
}

var crashSteps = []string{"temp-created", "temp-written", "temp-synced", "renamed"}

// TestSecretsCrash: rigup-exec kills itself with SIGKILL at each step of
// writing the new file (a hook of the e2e build). The secrets file is then
// the complete old or the complete new one, and the next edit works and
// leaves no temporary file behind.
func TestSecretsCrash(t *testing.T) {
	for _, step := range crashSteps {
		t.Run(step, func(t *testing.T) { testCrash(t, step, false) })
	}
}

// TestSecretsCrashAddingRecipient: the same, for an edit that also adds a
// recipient with -R, so that two files are written, the recipients file
// first: a crash at each step of each.
func TestSecretsCrashAddingRecipient(t *testing.T) {
	for _, file := range []string{"rigup.secrets.recipients", "rigup.secrets.toml.age"} {
		for _, step := range crashSteps {
			t.Run(file+":"+step, func(t *testing.T) { testCrash(t, file+":"+step, true) })
		}
	}
}

func testCrash(t *testing.T, step string, addRecipient bool) {
	if os.Getenv("RIGUP_EXEC_BIN") != "" {
		t.Skip("needs the binary built with -tags rigup_e2e")
	}
	s := newSecretsEnv(t)
	old, v, after := secretValue(t, "old"), secretValue(t, "new"), secretValue(t, "after")
	s.writeRecipients(s.alice)
	s.ageEncrypt(tomlWith(old, "x"))
	args := []string{"secrets", "edit"}
	var bob string
	if addRecipient {
		bob = s.key("bob", "ed25519")
		args = append(args, "-R", bob+".pub")
	}
	s.setEditor("edit", writeText(tomlWith(v, "x")))
	s.extra = []string{"RIGUP_E2E_CRASH_AT=" + step}
	r := s.run(args...)
	s.extra = nil
	if !r.ws.Signaled() || r.ws.Signal() != syscall.SIGKILL {
		t.Errorf("RIGUP_E2E_CRASH_AT=%s: rigup-exec ended with %v, want death by SIGKILL; stderr:\n%s", step, describe(r.ws), r.stderr)
	}
	got, err := s.ageDecrypt(s.alice)
	switch {
	case err != nil:
		t.Errorf("after a crash at %s, the secrets file is broken or missing: %v", step, err)
	case got == tomlWith(old, "x"):
		t.Logf("after a crash at %s: the old file", step)
	case got == tomlWith(v, "x"):
		t.Logf("after a crash at %s: the new file", step)
		if addRecipient {
			s.expectPlaintext(bob, tomlWith(v, "x"))
		}
	default:
		t.Errorf("after a crash at %s, the secrets file decrypts to neither the old nor the new plaintext (%d bytes)", step, len(got))
	}
	expectNoSecret(t, "stderr", r.stderr, v)
	t.Logf("after the crash at %s, the project directory holds %v", step, dirNames(s.project))

	s.setEditor("after", writeText(tomlWith(after, "x")))
	r = s.run("secrets", "edit")
	if addRecipient && r.ws.ExitStatus() == 125 {
		// The recipients file was written and the secrets file not
		// yet: the recipients differ, and without a terminal an edit
		// asks for rekey, the consent, rather than re-encrypt.
		expectContains(t, "secrets edit with the recipients file ahead", r.stderr, "rigup-exec secrets rekey")
		if _, err := s.ageDecrypt(bob); err == nil {
			t.Errorf("after the crash at %s, the edit refused though bob could decrypt already", step)
		}
		s.expectExit(s.run("secrets", "rekey"), 0, "secrets rekey after the crash at "+step)
		s.expectPlaintext(bob, tomlWith(old, "x"))
		r = s.run("secrets", "edit")
	}
	s.expectExit(r, 0, "a normal secrets edit after the crash at "+step)
	expectContains(t, "secrets edit after the crash", r.stderr, "saved")
	s.expectPlaintext(s.alice, tomlWith(after, "x"))
	// Temporary files (ciphertext, or keys) left by the crash are
	// removed by the next edit.
	for _, name := range dirNames(s.project) {
		switch {
		case name == "rigup.secrets.recipients" || name == "rigup.secrets.toml.age":
		case strings.Contains(name, "rigup.secrets"):
			t.Errorf("after the next edit, a temporary file is left: %s", name)
		default:
			t.Logf("after the next edit, the project directory also holds %s", name)
		}
	}
	s.scan(old, v, after)
}

// heldEdit is a secrets edit whose editor has the file open and waits
// until the test lets it go on.
type heldEdit struct {
	t       *testing.T
	cmd     *exec.Cmd
	stderr  string // a file: a pipe would keep Wait waiting for an orphaned editor
	done    chan error
	proceed string
}

// String is what rigup-exec wrote on stderr so far.
func (h *heldEdit) String() string {
	data, _ := os.ReadFile(h.stderr)
	return string(data)
}

// startHeldEdit starts secrets edit with an editor that makes the marker
// "editing", waits (a minute at most) for the marker "proceed", and then
// runs the shell code then. It returns once the editor is open.
func (s *secretsEnv) startHeldEdit(then string) *heldEdit {
	s.t.Helper()
	editing := s.marker("editing")
	os.Remove(editing)
	h := &heldEdit{t: s.t, done: make(chan error, 1), proceed: s.marker("proceed"), stderr: s.marker("held-stderr")}
	os.Remove(h.proceed)
	stderr, err := os.Create(h.stderr)
	if err != nil {
		s.t.Fatal(err)
	}
	defer stderr.Close()
	s.setEditor("held", fmt.Sprintf(`touch '%s'
i=0
while [ ! -e '%s' ]; do
	i=$((i+1)); [ $i -gt 1200 ] && exit 7
	sleep 0.05
done
`, editing, h.proceed)+then)
	h.cmd = s.command("secrets", "edit")
	h.cmd.Stderr = stderr
	if err := h.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	pgid := h.cmd.Process.Pid
	s.t.Cleanup(func() { syscall.Kill(-pgid, syscall.SIGKILL) })
	go func() { h.done <- h.cmd.Wait() }()
	waitForFile(s.t, editing, h.done, h)
	return h
}

// release lets the editor go on.
func (h *heldEdit) release() {
	if err := os.WriteFile(h.proceed, nil, 0o644); err != nil {
		h.t.Fatal(err)
	}
}

// wait waits for rigup-exec to end; the deadline only catches a hang.
func (h *heldEdit) wait() syscall.WaitStatus {
	h.t.Helper()
	select {
	case <-h.done:
	case <-time.After(2 * time.Minute):
		h.t.Fatalf("the edit did not end; stderr:\n%s", h)
	}
	return h.cmd.ProcessState.Sys().(syscall.WaitStatus)
}

// TestSecretsConcurrentEdit: while one edit has its editor open, a second
// edit of the same file fails at once and says why, without running its
// editor, however it names the file and whatever its RAM base; the first
// then saves normally, and the next edit works.
func TestSecretsConcurrentEdit(t *testing.T) {
	s := newSecretsEnv(t)
	old, before := s.existingFile("old")
	link := filepath.Join(s.root, "link")
	if err := os.Symlink(s.project, link); err != nil {
		t.Fatal(err)
	}
	v := secretValue(t, "first")
	first := s.startHeldEdit(writeText(tomlWith(v, "x")))

	secondRan := s.marker("second-ran")
	s.setEditor("second", fmt.Sprintf("touch '%s'\n", secondRan))
	for _, tc := range []struct {
		name string
		args []string
		env  []string
	}{
		{"the same way", []string{"secrets", "edit"}, nil},
		{"through a symlink", []string{"secrets", "edit", "--secrets", filepath.Join(link, "rigup.secrets.toml.age")}, nil},
		{"with another RAM base", []string{"secrets", "edit"}, []string{"XDG_RUNTIME_DIR="}},
	} {
		s.extra = tc.env
		r := s.run(tc.args...)
		s.extra = nil
		what := "a second edit at the same time, " + tc.name
		s.expectExit(r, 125, what)
		expectContains(t, what, r.stderr, "another rigup-exec")
		if _, err := os.Stat(secondRan); err == nil {
			t.Errorf("%s: it ran its editor", what)
			os.Remove(secondRan)
		}
		expectFile(t, what, s.secretsFile(), before)
	}

	first.release()
	if ws := first.wait(); !ws.Exited() || ws.ExitStatus() != 0 {
		t.Errorf("the first edit ended with %v, want exit 0; stderr:\n%s", describe(ws), first)
	}
	checkGrammar(t, "the first edit", first.String())
	expectContains(t, "the first edit", first.String(), "saved")
	s.expectPlaintext(s.alice, tomlWith(v, "x"))

	w := secretValue(t, "next")
	s.setEditor("next", writeText(tomlWith(w, "x")))
	r := s.run("secrets", "edit")
	s.expectExit(r, 0, "the next edit")
	s.expectPlaintext(s.alice, tomlWith(w, "x"))
	s.scan(old, v, w)
}

// waitGroupGone polls until no process is left in the process group
// pgid (the orphaned editor, a watchdog).
func waitGroupGone(t *testing.T, pgid int) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if syscall.Kill(-pgid, 0) == syscall.ESRCH {
			return
		}
	}
	t.Fatalf("processes of group %d still run", pgid)
}

// TestSecretsKilledWhileEditing: rigup-exec killed by SIGKILL while the
// editor is open cannot wipe; its watchdog wipes the plaintext, and the
// secrets file is left as it was. Once the editor is gone, editing works
// again.
func TestSecretsKilledWhileEditing(t *testing.T) {
	s := newSecretsEnv(t)
	old, before := s.existingFile("old")
	held := s.startHeldEdit("exit 0\n")
	path := s.editorPaths()[0]
	syscall.Kill(held.cmd.Process.Pid, syscall.SIGKILL)
	if ws := held.wait(); !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("rigup-exec ended with %v, want death by SIGKILL", describe(ws))
	}
	waitGone(t, path)
	scanPlaintext(t, old, s.runtime, "/dev/shm")
	expectFile(t, "killed while editing", s.secretsFile(), before)
	held.release()
	waitGroupGone(t, held.cmd.Process.Pid)
	v := secretValue(t, "after")
	s.setEditor("after", writeText(tomlWith(v, "x")))
	r := s.run("secrets", "edit")
	s.expectExit(r, 0, "the next edit")
	s.expectPlaintext(s.alice, tomlWith(v, "x"))
	s.scan(old, v)
}

// waitForFile polls until path exists; it gives up when the process that
// should make it is done, or after a deadline that only catches a hang.
func waitForFile(t *testing.T, path string, done chan error, stderr fmt.Stringer) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return
		}
		select {
		case err := <-done:
			t.Fatalf("rigup-exec ended (%v) before its editor made %s; stderr:\n%s", err, filepath.Base(path), stderr)
		default:
		}
	}
	t.Fatalf("%s never appeared; stderr:\n%s", filepath.Base(path), stderr)
}

// startEditInTerminal runs secrets edit on a pseudo-terminal, with an
// editor that writes invalid TOML the first time and valid TOML after,
// and notes in "reopened-with-edit" whether it was re-opened on what the
// user wrote.
func startEditInTerminal(t *testing.T) (s *secretsEnv, term *terminal, before []byte, old, bad, good string) {
	s = newSecretsEnv(t)
	old, bad, good = secretValue(t, "old"), secretValue(t, "bad"), secretValue(t, "good")
	s.writeRecipients(s.alice)
	s.ageEncrypt(tomlWith(old, "x"))
	before = s.readSecretsFile()
	s.setEditor("twice", shellVar("bad", bad)+fmt.Sprintf(`n=$(cat '%[1]s' 2>/dev/null || echo 0)
n=$((n+1))
echo $n > '%[1]s'
if [ $n = 1 ]; then
`, s.marker("count"))+writeText("[mcp]\nok = \"fine\"\nkey = "+bad+"\n")+
		fmt.Sprintf("else\ngrep -qF \"$bad\" \"$1\" && touch '%s'\n", s.marker("reopened-with-edit"))+
		writeText(tomlWith(good, "x"))+"fi\n")
	term = startInTerminal(t, s.project, append(s.env(), "TERM=dumb"), "secrets", "edit")
	return s, term, before, old, bad, good
}

// waitForQuestion waits for the question whether to re-open the editor,
// at the start of a sentence or not.
func waitForQuestion(term *terminal) {
	term.t.Helper()
	term.waitFor("e-open")
	if !strings.Contains(strings.ToLower(term.screen()), "re-open") {
		term.t.Errorf("the question does not ask to re-open the editor: %q", term.screen())
	}
}

func (s *secretsEnv) editorRuns() string {
	data, _ := os.ReadFile(s.marker("count"))
	return strings.TrimSpace(string(data))
}

// TestSecretsInvalidThenFixedOnTerminal: on a terminal, invalid TOML gets
// a question whether to re-open the editor; yes, and the fixed text is
// saved.
func TestSecretsInvalidThenFixedOnTerminal(t *testing.T) {
	s, term, _, old, bad, good := startEditInTerminal(t)
	waitForQuestion(term)
	if !strings.Contains(term.screen(), "not valid TOML") {
		t.Errorf("the terminal shows no \"not valid TOML\" before the question: %q", term.screen())
	}
	term.typeText("y\r")
	term.waitFor("saved")
	if code := term.wait(); code != 0 {
		t.Errorf("exit %d, want 0; terminal shows %q", code, term.screen())
	}
	if n := s.editorRuns(); n != "2" {
		t.Errorf("the editor ran %s times, want 2", n)
	}
	if _, err := os.Stat(s.marker("reopened-with-edit")); err != nil {
		t.Log("the editor was re-opened on the last saved file, not on the invalid text")
	}
	expectNoSecret(t, "the terminal", term.screen(), bad)
	s.expectPlaintext(s.alice, tomlWith(good, "x"))
	s.scan(old, bad, good)
}

// TestSecretsInvalidThenDeclinedOnTerminal: no, and the old file is kept
// byte for byte, exit 125.
func TestSecretsInvalidThenDeclinedOnTerminal(t *testing.T) {
	s, term, before, old, bad, good := startEditInTerminal(t)
	waitForQuestion(term)
	term.typeText("n\r")
	if code := term.wait(); code != 125 {
		t.Errorf("exit %d, want 125; terminal shows %q", code, term.screen())
	}
	if n := s.editorRuns(); n != "1" {
		t.Errorf("the editor ran %s times, want once", n)
	}
	expectNoSecret(t, "the terminal", term.screen(), bad)
	expectFile(t, "declined", s.secretsFile(), before)
	s.scan(old, bad, good)
}

// TestSecretsCtrlCOnTerminal: Ctrl-C while the editor is open (an editor
// that it ends), or at the question whether to re-open it, saves nothing,
// exits 130 as Ctrl-C at a passphrase prompt does, wipes the plaintext and
// leaves the terminal as it was.
func TestSecretsCtrlCOnTerminal(t *testing.T) {
	t.Run("editor open", func(t *testing.T) {
		s := newSecretsEnv(t)
		old, v := secretValue(t, "old"), secretValue(t, "new")
		s.writeRecipients(s.alice)
		s.ageEncrypt(tomlWith(old, "x"))
		before := s.readSecretsFile()
		editing := s.marker("editing")
		s.setEditor("held", writeText(tomlWith(v, "x"))+fmt.Sprintf(`touch '%s'
i=0
while [ $i -lt 1200 ]; do i=$((i+1)); sleep 0.05; done
`, editing))
		term := startInTerminal(t, s.project, append(s.env(), "TERM=dumb"), "secrets", "edit")
		waitForFile(t, editing, make(chan error), term)
		term.typeText("\x03")
		if code := term.wait(); code != 130 {
			t.Errorf("exit %d after Ctrl-C in the editor, want 130; terminal shows %q", code, term.screen())
		}
		term.waitFor("rigup-exec: error: the editor was interrupted (SIGINT): nothing saved")
		if !term.echoOn() {
			t.Error("echo is off after Ctrl-C")
		}
		expectFile(t, "Ctrl-C in the editor", s.secretsFile(), before)
		s.scan(old, v)
	})
	t.Run("question", func(t *testing.T) {
		s, term, before, old, bad, good := startEditInTerminal(t)
		waitForQuestion(term)
		term.typeText("\x03")
		if code := term.wait(); code != 130 {
			t.Errorf("exit %d after Ctrl-C at the question, want 130; terminal shows %q", code, term.screen())
		}
		if !term.echoOn() {
			t.Error("echo is off after Ctrl-C")
		}
		expectFile(t, "Ctrl-C at the question", s.secretsFile(), before)
		s.scan(old, bad, good)
	})
}

// String is what the terminal shows, for waitForFile.
func (term *terminal) String() string { return term.screen() }

// With no RAM directory (/dev/shm replaced by a disk directory in a private
// mount namespace, as root), secrets edit refuses, and with --allow-disk
// edits on disk with a warning, wiping the plaintext afterwards.
func TestSecretsEditNoRAM(t *testing.T) {
	requireRoot(t, "a private mount namespace", "unshare", "mount")
	s := newSecretsEnv(t)
	s.noXDG = true
	old, before := s.existingFile("old")
	v := secretValue(t, "new")
	s.setEditor("edit", `echo "$1" > "`+s.marker("where")+`"
`+writeText(tomlWith(v, "x")))
	disk := t.TempDir()
	edit := func(flags ...string) result {
		t.Helper()
		cmd := exec.Command("unshare", append([]string{"--mount", "--propagation", "private", "sh", "-c",
			`mount --bind "$0" /dev/shm && exec "$@"`, disk, filepath.Join(binDir, "rigup-exec")}, flags...)...)
		cmd.Dir, cmd.Env = s.project, s.env()
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		cmd.Start()
		ws := waitStatus(t, cmd)
		return result{stdout.String(), stderr.String(), ws}
	}
	r := edit("secrets", "edit")
	s.expectExit(r, 125, "secrets edit without RAM")
	expectContains(t, "secrets edit without RAM", r.stderr, "no private directory in RAM")
	expectFile(t, "secrets edit without RAM", s.secretsFile(), before)
	r = edit("--allow-disk", "secrets", "edit")
	s.expectExit(r, 0, "secrets edit --allow-disk")
	expectContains(t, "secrets edit --allow-disk", r.stderr, "is on disk (--allow-disk): wiping it afterwards is not reliable there")
	s.expectPlaintext(s.alice, tomlWith(v, "x"))
	where, _ := os.ReadFile(s.marker("where"))
	if !strings.HasPrefix(string(where), s.home+"/.cache/rigup-exec/rigup-secrets-") {
		t.Errorf("the editor's file was %q, want one under ~/.cache/rigup-exec", where)
	}
	waitGone(t, strings.TrimSpace(string(where)))
	scanPlaintextAll(t, []string{old, v}, s.root, s.home, s.project, disk, os.TempDir(), "/tmp", "/dev/shm")
}

// The real vim edits the secrets with no swap file, backup, undo file or
// viminfo: its own options, read from inside it, say so (-n sets
// updatecount to 0; -i NONE sets viminfofile), no swap file shows beside
// the file, and nothing lands in $HOME.
func TestSecretsEditWithVim(t *testing.T) {
	require(t, "vim")
	s := newSecretsEnv(t)
	old, _ := s.existingFile("old")
	v := secretValue(t, "new")
	seen := s.marker("vim-saw")
	s.editor = fmt.Sprintf(`vim -c "call writefile([&updatecount, &backup, &writebackup, &undofile, &viminfofile] + readdir(expand('%%:p:h')), '%s')" -c "%%s/%s/%s/" -c wq`,
		seen, old, v)
	// vim's own warnings (no terminal) are on stderr too.
	if r := s.run("secrets", "edit"); !r.ws.Exited() || r.ws.ExitStatus() != 0 {
		t.Fatalf("secrets edit with vim: %v\n%s", describe(r.ws), r.stderr)
	}
	s.expectPlaintext(s.alice, tomlWith(v, "x"))
	got, err := os.ReadFile(seen)
	if err != nil {
		t.Fatal(err)
	}
	if want := "0\n0\n0\n0\nNONE\nrigup.secrets.toml\n"; string(got) != want {
		t.Errorf("vim's updatecount, backup, writebackup, undofile, viminfofile and the directory:\n%s\nwant:\n%s", got, want)
	}
	if names := dirNames(s.home); strings.Join(names, " ") != ".ssh" {
		t.Errorf("vim left %v in $HOME", names)
	}
	scanPlaintextAll(t, []string{old, v}, s.root, s.home, s.project, s.runtime, os.TempDir(), "/tmp", "/dev/shm")
}

// TestSecretsX25519OnTerminal: a file the real age encrypted to the user's
// SSH key and to an age1 (X25519) key. On a terminal as without one, an
// edit without a recipients file refuses at once: no answer to a question
// could say which age1 key the file is encrypted to. With a recipients
// file that lists the SSH key alone, dropping the age1 key is a change of
// recipients, shown and asked: no (the default) keeps the file as it was,
// readable by both; yes encrypts to the SSH key alone.
func TestSecretsX25519OnTerminal(t *testing.T) {
	require(t, "age-keygen")
	s := newSecretsEnv(t)
	ci, ciRecipient := s.ageKeygen("ci")
	old, v := secretValue(t, "old"), secretValue(t, "new")
	s.ageEncryptTo(tomlWith(old, "x"), "-R", s.alice+".pub", "-r", ciRecipient)
	before := s.readSecretsFile()
	s.setEditor("edit", shellVar("old", old)+shellVar("new", v)+`grep -qF "$old" "$1" || exit 8
sed -i "s/$old/$new/" "$1"
`)
	edit := func() *terminal {
		return startInTerminal(t, s.project, append(s.env(), "TERM=dumb"), "secrets", "edit")
	}
	bothRead := func(what string) {
		t.Helper()
		expectFile(t, what, s.secretsFile(), before)
		s.expectPlaintext(s.alice, tomlWith(old, "x"))
		s.expectPlaintext(ci, tomlWith(old, "x"))
	}

	term := edit()
	if code := term.wait(); code != 125 {
		t.Errorf("without a recipients file: exit %d, want 125; terminal shows %q", code, term.screen())
	}
	expectContains(t, "without a recipients file", term.screen(), "1 age1 (X25519) key that no rigup.secrets.recipients names")
	if strings.Contains(term.screen(), "[y/N]") {
		t.Errorf("without a recipients file, a question was asked: %q", term.screen())
	}
	if n := len(s.editorPaths()); n != 0 {
		t.Errorf("the editor ran %d times, want never", n)
	}
	bothRead("without a recipients file")
	if _, err := os.Stat(s.recipientsFile()); err == nil {
		t.Error("a recipients file was written")
	}

	s.writeRecipients(s.alice)
	term = edit()
	term.waitFor("[y/N]")
	expectContains(t, "the question", term.screen(), "recipient removed: 1 age1 (X25519) key the file is encrypted to, named nowhere")
	term.typeText("\r")
	if code := term.wait(); code != 125 {
		t.Errorf("declined: exit %d, want 125; terminal shows %q", code, term.screen())
	}
	bothRead("declined")

	term = edit()
	term.waitFor("[y/N]")
	term.typeText("y\r")
	term.waitFor("saved")
	if code := term.wait(); code != 0 {
		t.Errorf("accepted: exit %d, want 0; terminal shows %q", code, term.screen())
	}
	expectContains(t, "accepted", term.screen(), "encrypted to 1 recipient")
	s.expectPlaintext(s.alice, tomlWith(v, "x"))
	if _, err := s.ageDecrypt(ci); err == nil {
		t.Error("the age1 key still decrypts after its removal was accepted")
	}
	s.scan(old, v)
}
