package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The Nix side, evaluated with the real nix-instantiate. Pure evaluations
// use the dummy store, so that they run as any user; evaluations that build
// (rigup.nix's schema reads config trees while it evaluates) and nix-build
// need a writable store, which Debian's single-user Nix gives only root.

// repoRoot is the repository, from the e2e package's directory.
var repoRoot, _ = filepath.Abs("..")

// nix runs a Nix command and returns its stdout; stderr goes to the error.
func nix(t *testing.T, name string, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "NIX_PATH=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, &nixError{err, stderr.String()}
	}
	return out, nil
}

type nixError struct {
	err    error
	stderr string
}

func (e *nixError) Error() string { return e.err.Error() + "\n" + e.stderr }

// evalJSON evaluates a file or expression (args) strictly into v, with
// the dummy store: nothing is built or copied.
func evalJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	out, err := nix(t, "nix-instantiate", append([]string{"--store", "dummy://", "--eval", "--strict", "--json"}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
}

// storeArgs are the options of an evaluation or build that writes to the
// store: offline, unsandboxed (builders use the host's /bin/sh), and
// without build users where the machine has none.
func storeArgs() []string {
	args := []string{"--option", "substituters", "", "--option", "sandbox", "false"}
	if _, err := user.LookupGroup("nixbld"); err != nil {
		args = append(args, "--option", "build-users-group", "")
	}
	return args
}

func requireStore(t *testing.T) {
	t.Helper()
	requireRoot(t, "a writable Nix store", "nix-instantiate", "nix-build")
}

// externalSource returns the checkout that env names, or skips: the
// tests that need nixpkgs' lib or rigup.nix skip without them, in CI too.
func externalSource(t *testing.T, env, what string) string {
	t.Helper()
	dir := os.Getenv(env)
	if dir == "" {
		t.Skipf("%s is not set: it names a checkout of %s", env, what)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("%s: %v", env, err)
	}
	return dir
}

func nixpkgsLib(t *testing.T) string {
	return externalSource(t, "NIXPKGS_LIB", "nixpkgs' lib/ (github nix-community/nixpkgs.lib)")
}

func rigupNix(t *testing.T) string {
	return externalSource(t, "RIGUP_NIX_SRC", "rigup.nix (github YPares/rigup.nix)")
}

// testCases is what nix/tests/run.nix returns.
type testCases struct {
	Count    int
	Failures []json.RawMessage
}

func (c testCases) check(t *testing.T, min int) {
	t.Helper()
	for _, f := range c.Failures {
		t.Errorf("failed: %s", f)
	}
	if c.Count < min {
		t.Errorf("%d cases ran, want at least %d", c.Count, min)
	}
}

func TestNixParse(t *testing.T) {
	require(t, "nix-instantiate")
	var files []string
	filepath.WalkDir(repoRoot, func(p string, d os.DirEntry, err error) error {
		if d != nil && d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if strings.HasSuffix(p, ".nix") {
			files = append(files, p)
		}
		return nil
	})
	if len(files) < 10 {
		t.Fatalf("found only %d .nix files", len(files))
	}
	for _, f := range files {
		if _, err := nix(t, "nix-instantiate", "--store", "dummy://", "--parse", f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestNixLib(t *testing.T) {
	require(t, "nix-instantiate")
	var c testCases
	evalJSON(t, &c, filepath.Join(repoRoot, "nix/tests/lib.nix"))
	c.check(t, 20)
}

func TestNixModuleTypes(t *testing.T) {
	require(t, "nix-instantiate")
	lib := nixpkgsLib(t)
	var c testCases
	evalJSON(t, &c, filepath.Join(repoRoot, "nix/tests/modules.nix"), "--argstr", "nixpkgsLib", lib)
	c.check(t, 6)
}

// Errors that tryEval cannot catch (type errors, aborts) end the whole
// evaluation: each case is a process of its own.
func TestNixErrors(t *testing.T) {
	require(t, "nix-instantiate")
	libFile := filepath.Join(repoRoot, "nix/lib.nix")
	cases := []struct {
		name, expr, want string
		modules          bool // needs nixpkgs' lib
	}{
		{name: "path with a blank", expr: `l.mkSecret "mcp.api key"`,
			want: `rigup-exec mkSecret: "mcp.api key" is not a secret path: use dotted bare TOML keys`},
		{name: "empty segment", expr: `l.mkSecret "mcp..key"`, want: `rigup-exec mkSecret: "mcp..key" is not a secret path`},
		{name: "empty path", expr: `l.mkSecret ""`, want: `rigup-exec mkSecret: "" is not a secret path`},
		{name: "path not a string", expr: `l.mkSecret 42`, want: `rigup-exec mkSecret: a int is not a secret path`},
		{name: "table without path", expr: `l.toJSON { k = { _type = "secret"; }; }`,
			want: "rigup-exec toJSON: the secret reference at `k' has no path, and needs a dotted key path"},
		{name: "table with bad path", expr: `l.toYAML { k = { _type = "secret"; path = "a b"; }; }`,
			want: "rigup-exec toYAML: the secret reference at `k' has the path \"a b\", which is not a dotted key path"},
		{name: "secret as attribute name", expr: `l.toJSON { "${l.mkSecret "a.b"}" = 1; }`,
			want: `rigup-exec toJSON: the attribute name "{{secrets.a.b}}" at the top level holds a secret placeholder: a secret can only be a value`},
		{name: "secret as TOML key", expr: `l.toTOML { t."x{{ secrets.a.b }}" = 1; }`,
			want: "rigup-exec toTOML: the attribute name .* at `t' holds a secret placeholder"},
		{name: "function", expr: `l.toJSON { a.b = x: x; }`, want: "rigup-exec toJSON: a function at `a.b' cannot be serialized"},
		{name: "function in TOML", expr: `l.toTOML { f = [ (x: x) ]; }`, want: "rigup-exec toTOML: a function at `f.0' cannot be serialized"},
		{name: "null in TOML", expr: `l.toTOML { a.b = null; }`, want: "rigup-exec toTOML: TOML has no null, found at `a.b': leave the attribute out"},
		{name: "TOML of a list", expr: `l.toTOML [ 1 ]`, want: "rigup-exec toTOML: a TOML document is an attribute set, not a list"},
		{name: "TOML of a secret", expr: `l.toTOML (l.mkSecret "a.b")`, want: "rigup-exec toTOML: a TOML document is an attribute set, not a secret"},
		{name: "filtered placeholder", expr: `l.toJSON { a = "{{ secrets.a.b | raw }}"; }`,
			want: "rigup-exec toJSON: the string at `a' holds a placeholder with the filter `raw': toJSON chooses the filter itself"},
		{name: "quoted key placeholder", expr: `l.toYAML [ "{{secrets.\"a.b\"}}" ]`,
			want: "rigup-exec toYAML: the string at `0' holds a placeholder that is not of the form {{secrets.PATH}}"},
		{name: "unterminated placeholder", expr: `l.toTOML { a = "{{secrets.a.b"; }`,
			want: "rigup-exec toTOML: the string at `a' holds a placeholder that is not of the form"},
		{name: "secretPaths of a bad string", expr: `l.secretPaths { a = [ "{{ secrets.a b }}" ]; }`,
			want: "rigup-exec secretPaths: the string at `a' holds a placeholder that is not of the form"},
		{name: "config tree path", expr: `(l.build { system = "x"; shell = "/bin/sh"; coreutils = "/bin"; }).configTree "t" { "../x" = ""; }`,
			want: `rigup-exec writeConfigTree: "../x" is not a relative file path`},
		{name: "config tree value", expr: `(l.build { system = "x"; shell = "/bin/sh"; coreutils = "/bin"; }).configTree "t" { a.b = 1; }`,
			want: `rigup-exec writeConfigTree: "a/b" must be the file's text, not a int`},
		{name: "different secrets for one option", modules: true, expr: `(lib.evalModules { modules = [
			{ options.k = lib.mkOption { type = rs.types.secret; }; }
			{ _file = "first.nix"; k = rs.mkSecret "a.b"; }
			{ _file = "second.nix"; k = rs.mkSecret "c.d"; } ]; }).config.k`,
			want: "The option `k' refers to different secrets:\\s+- In `second.nix': \"c.d\"\\s+- In `first.nix': \"a.b\""},
		{name: "not a secret", modules: true, expr: `(lib.evalModules { modules = [
			{ options.k = lib.mkOption { type = rs.types.secret; }; }
			{ k = "sk-plain-text"; } ]; }).config.k`,
			want: "is not of type `reference to a rigup-exec secret"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			prelude := "let l = import " + libFile + "; in "
			if tc.modules {
				prelude = "let lib = import " + nixpkgsLib(t) + "; rs = import " + filepath.Join(repoRoot, "nix/default.nix") + " { inherit lib; }; in "
			}
			out, err := nix(t, "nix-instantiate", "--store", "dummy://", "--eval", "--strict", "-E", prelude+tc.expr)
			if err == nil {
				t.Fatalf("evaluated to %s, want an error", out)
			}
			stderr := err.(*nixError).stderr
			if !regexp.MustCompile(regexp.QuoteMeta(tc.want)).MatchString(stderr) &&
				!regexp.MustCompile(tc.want).MatchString(stderr) {
				t.Errorf("stderr:\n%s\nwant %q", stderr, tc.want)
			}
		})
	}
}

// rigupProject is an SSH key, a secrets file encrypted to it by the real
// age, and a private base for run directories.
type rigupProject struct {
	t                   *testing.T
	dir, key, plaintext string
	secrets             string // the encrypted file
	env                 []string
}

func newRigupProject(t *testing.T, secrets, passphrase string) *rigupProject {
	t.Helper()
	require(t, "ssh-keygen", "age")
	dir := t.TempDir()
	p := &rigupProject{t: t, dir: dir, key: filepath.Join(dir, "id_ed25519"),
		plaintext: filepath.Join(dir, "secrets.toml"), secrets: filepath.Join(dir, "rigup.secrets.toml.age")}
	if err := os.WriteFile(p.plaintext, []byte(secrets), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-f", p.key},
		{"age", "-R", p.key + ".pub", "-o", p.secrets, p.plaintext},
	} {
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", args[0], err, out)
		}
	}
	base, err := os.MkdirTemp("/dev/shm", "e2e-runtime-")
	if err != nil {
		t.Skipf("no /dev/shm: %v", err)
	}
	t.Cleanup(func() {
		if left, _ := filepath.Glob(filepath.Join(base, "rigup-*")); len(left) > 0 {
			t.Errorf("run directories left behind: %v", left)
		}
		os.RemoveAll(base)
	})
	p.env = append(os.Environ(), "XDG_RUNTIME_DIR="+base, "RIGUP_SECRETS_FILE="+p.secrets,
		"AGE_IDENTITY="+p.key, "PATH="+binDir+":"+os.Getenv("PATH"))
	return p
}

// run runs a command in the project's environment and returns its stdout.
func (p *rigupProject) run(extraEnv []string, name string, args ...string) string {
	p.t.Helper()
	if name == "rigup-exec" {
		name = filepath.Join(binDir, name)
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = p.dir
	cmd.Env = append(append([]string{}, p.env...), extraEnv...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		p.t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), err, out, &stderr)
	}
	return string(out)
}

// hostileSecrets are the values behind the references of
// nix/tests/roundtrip.nix.
const hostileSecrets = `[h]
quote = "she said \"hi\" and 'bye'"
backslash = 'C:\path\{{x}}\'
breaks = "a\nb\r\nc\td"
unicode = "ünï — 日本 🔑"
controls = "\u0001\u007f\u0085\u2028\u2029\ufeff"
yamlish = ": - # &a *b !c | > %"
tomlish = "\"\"\" ''' [x] = y"
placeholder = "{{secrets.h.quote}}"
number = 42
nul = "before\u0000after"
[team]
gh-token = "ghp_123 456"
`

// TestNixRoundTrip serializes values with references and hostile text with
// toJSON, toYAML and toTOML, renders the files (also without their
// extension) with rigup-exec against a file made by the real age, and
// parses them with jq, PyYAML and Python's tomllib: each gives the data
// with every reference replaced by its value.
func TestNixRoundTrip(t *testing.T) {
	require(t, "nix-instantiate", "jq", "python3")
	var rt struct {
		Data  json.RawMessage
		Files map[string]string
	}
	evalJSON(t, &rt, filepath.Join(repoRoot, "nix/tests/roundtrip.nix"))
	if len(rt.Files) < 7 {
		t.Fatalf("%d files", len(rt.Files))
	}
	p := newRigupProject(t, hostileSecrets, "")
	tpl := filepath.Join(p.dir, "templates")
	for name, text := range rt.Files {
		path := filepath.Join(tpl, name)
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data := filepath.Join(p.dir, "data.json")
	os.WriteFile(data, rt.Data, 0o644)
	out := p.run(nil, "rigup-exec", "-t", tpl, "--", "python3",
		filepath.Join(repoRoot, "nix/tests/check_roundtrip.py"), data, p.plaintext)
	if want := "7 files match their data\n"; out != want {
		t.Errorf("stdout %q, want %q", out, want)
	}
}
