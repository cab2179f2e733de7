//go:build linux

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
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

// requireStore skips a test that builds into the Nix store, which needs
// root here, and takes seconds: not with -short.
func requireStore(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds into the Nix store: not with -short")
	}
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
	t.Parallel()
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
	// One process parses them all; an error names its file.
	if _, err := nix(t, "nix-instantiate", append([]string{"--store", "dummy://", "--parse"}, files...)...); err != nil {
		t.Error(err)
	}
}

func TestNixLib(t *testing.T) {
	t.Parallel()
	require(t, "nix-instantiate")
	var c testCases
	evalJSON(t, &c, filepath.Join(repoRoot, "nix/tests/lib.nix"))
	c.check(t, 20)
}

func TestNixModuleTypes(t *testing.T) {
	t.Parallel()
	require(t, "nix-instantiate")
	lib := nixpkgsLib(t)
	var c testCases
	evalJSON(t, &c, filepath.Join(repoRoot, "nix/tests/modules.nix"), "--argstr", "nixpkgsLib", lib)
	c.check(t, 6)
}

// Errors that tryEval cannot catch (type errors, aborts) end the whole
// evaluation: each case is a process of its own. -short tries the first
// case of the library's and of the module types'.
func TestNixErrors(t *testing.T) {
	t.Parallel()
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
			want: `rigup-exec writeConfigTree: "a/b" must be the file's text .*, not a int`},
		{name: "config tree file twice", expr: `(l.build { system = "x"; shell = "/bin/sh"; coreutils = "/bin"; }).configTree "t" { "a/b" = "1"; a.b = "2"; }`,
			want: `rigup-exec writeConfigTree: a file is given twice \(as "a/b" and as a.b\?\): \["a/b","a/b"\]`},
		{name: "config tree file as directory", expr: `(l.build { system = "x"; shell = "/bin/sh"; coreutils = "/bin"; }).configTree "t" { x = "file"; "x/y/z" = "n"; }`,
			want: `rigup-exec writeConfigTree: "x/y/z" needs a directory where a file is given`},
		{name: "infinity in JSON", expr: `l.toJSON { a.b = 1.0e308 * 10.0; }`, want: "rigup-exec toJSON: an infinite float at `a.b' has no json form"},
		{name: "NaN in YAML", expr: `l.toYAML [ (1.0e308 * 10.0 - 1.0e308 * 10.0) ]`, want: "rigup-exec toYAML: NaN at `0' has no yaml form"},
		{name: "config tree store path", expr: `(l.build { system = "x"; shell = "/bin/sh"; coreutils = "/bin"; }).configTree "t" { a = { outPath = "/nix/store/x"; }; }`,
			want: `rigup-exec writeConfigTree: "a" must be the file's text .*, not a store path`},
		{name: "different secrets for one option", modules: true, expr: `(lib.evalModules { modules = [
			{ options.k = lib.mkOption { type = rs.types.secret; }; }
			{ _file = "first.nix"; k = rs.mkSecret "a.b"; }
			{ _file = "second.nix"; k = rs.mkSecret "c.d"; } ]; }).config.k`,
			want: "The option `k' refers to different secrets:\\s+- In `second.nix': \"c.d\"\\s+- In `first.nix': \"a.b\""},
		{name: "rigup.toml table with a typo", modules: true, expr: `(lib.evalModules { modules = [
			{ options.k = lib.mkOption { type = rs.types.secret; }; }
			{ _file = "rigup.toml"; k = { _type = "secret"; paht = "a.b"; }; } ]; }).config.k`,
			want: "The option `k' is given a secret reference without a valid path in `rigup.toml': it has no `path', which must be a dotted key path"},
		{name: "rigup.toml table with a bad path", modules: true, expr: `(lib.evalModules { modules = [
			{ options.k = lib.mkOption { type = rs.types.secret; }; }
			{ _file = "rigup.toml"; k = { _type = "secret"; path = "a b"; }; } ]; }).config.k`,
			want: "The option `k' is given a secret reference without a valid path in `rigup.toml': \"a b\" is not a dotted key path"},
		{name: "not a secret", modules: true, expr: `(lib.evalModules { modules = [
			{ options.k = lib.mkOption { type = rs.types.secret; }; }
			{ k = "sk-plain-text"; } ]; }).config.k`,
			want: "is not of type `reference to a rigup-exec secret"},
	}
	tried := map[bool]bool{}
	for _, tc := range cases {
		if testing.Short() && tried[tc.modules] {
			continue
		}
		tried[tc.modules] = true
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
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

// nixWorld is a world with a secrets file encrypted to the user's key,
// which the runs are given by name, as a rig's entrypoint may be run from
// anywhere and with another $HOME.
func nixWorld(t *testing.T, secrets, passphrase string) *world {
	t.Helper()
	w := newWorld(t).withSecrets(secrets, passphrase)
	w.setenv("AGE_IDENTITY="+w.key, "RIGUP_SECRETS_FILE="+w.secretsFile())
	t.Cleanup(func() { w.expectRunDirs(0) })
	return w
}

// outputWith runs a program in the world, with more environment, and
// returns its stdout; anything but exit 0 fails the test.
func (w *world) outputWith(env []string, name string, args ...string) string {
	w.t.Helper()
	cmd := w.program(name, args...)
	cmd.Env = append(cmd.Env, env...)
	r := runToEnd(w.t, cmd)
	if !exited(r.ws, 0) {
		w.t.Fatalf("%s %s: %s\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), describe(r.ws), r.stdout, r.stderr)
	}
	return r.stdout
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
	t.Parallel()
	require(t, "nix-instantiate", "jq", "python3")
	var rt struct {
		Data  json.RawMessage
		Files map[string]string
	}
	evalJSON(t, &rt, filepath.Join(repoRoot, "nix/tests/roundtrip.nix"))
	if len(rt.Files) < 7 {
		t.Fatalf("%d files", len(rt.Files))
	}
	w := nixWorld(t, hostileSecrets, "")
	for name, text := range rt.Files {
		w.write(filepath.Join("templates", name), text, 0o644)
	}
	data := w.write(filepath.Join(w.root, "data.json"), string(rt.Data), 0o644)
	plaintext := w.write(filepath.Join(w.root, "secrets.toml"), hostileSecrets, 0o600)
	out := w.output(rigupExec(), "-t", "templates", "--", "python3",
		filepath.Join(repoRoot, "nix/tests/check_roundtrip.py"), data, plaintext)
	if want := "7 files match their data\n"; out != want {
		t.Errorf("stdout %q, want %q", out, want)
	}
}

// nixBuild builds attribute attr of file and returns its store path.
func nixBuild(t *testing.T, file, attr string, args ...string) string {
	t.Helper()
	args = append(append([]string{file, "-A", attr, "--no-out-link"}, storeArgs()...), args...)
	out, err := nix(t, "nix-build", args...)
	if err != nil {
		t.Fatalf("nix-build %s -A %s: %v", file, attr, err)
	}
	return strings.TrimSpace(string(out))
}

// TestNixStore builds a config tree, a wrapped tool and an entrypoint with
// the library into the real store, then runs them with a passphrase key:
// the entrypoint's inner script and the wrapped tool it runs see the same
// directory, and the passphrase is asked once.
func TestNixStore(t *testing.T) {
	t.Parallel()
	requireStore(t)
	require(t, "git")
	file := filepath.Join(repoRoot, "nix/tests/store.nix")
	bin := []string{"--argstr", "rigupExec", filepath.Join(binDir, "rigup-exec")}
	tree := nixBuild(t, file, "tree", bin...)
	entry := nixBuild(t, file, "entrypoint", bin...)
	wrapped := nixBuild(t, file, "wrapped", bin...)
	if _, err := os.Stat(filepath.Join(wrapped, "share/man/man1/other.1")); err != nil {
		t.Errorf("the wrapped tools' other files are not there: %v", err)
	}
	if _, err := nix(t, "nix-build", append([]string{file, "-A", "notAPackage", "--no-out-link"}, append(storeArgs(), bin...)...)...); err == nil ||
		!strings.Contains(err.Error(), "rigup-exec wrapWithSecrets: ") || !strings.Contains(err.Error(), "has no bin/ directory: give packages, not single files") {
		t.Errorf("wrapping a single file: %v", err)
	}

	w := nixWorld(t, "[app]\ntoken = \"tok-\\\"quoted\\\"\"\n[mcp]\napi_key = \"sk-live\"\n", "open sesame")
	askpass, calls := askpassScript(t, w.root, "open sesame")
	w.setenv("SSH_ASKPASS="+askpass, "SSH_ASKPASS_REQUIRE=force")
	asked := func() int {
		b, _ := os.ReadFile(calls)
		return strings.Count(string(b), "\n")
	}

	if out := w.output(rigupExec(), "-t", tree, "check"); !strings.Contains(out, "3 templates, 1 plain file, 3 placeholders: all resolve") {
		t.Errorf("check: %q", out)
	}
	if n := asked(); n != 1 {
		t.Errorf("check asked for the passphrase %d times", n)
	}

	out := w.output(filepath.Join(entry, "bin/agent"), "one", "two words")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 7 {
		t.Fatalf("entrypoint printed:\n%s", out)
	}
	agentDir := strings.TrimPrefix(lines[0], "agent sees ")
	if !strings.HasPrefix(agentDir, "/dev/shm/e2e-runtime-") || !strings.Contains(agentDir, "/rigup-rig-config-root-") {
		t.Errorf("agent's directory %q is not a run directory of the rig", agentDir)
	}
	want := []string{
		"agent sees " + agentDir,
		"agent args: one two words",
		"mcp config: " + agentDir + "/agent/mcp.json",
		"tool sees " + agentDir,
		"tool args: from-agent",
	}
	for i, w := range want {
		if lines[i] != w {
			t.Errorf("line %d: %q, want %q", i+1, lines[i], w)
		}
	}
	var config struct{ Token string }
	// the JSON config, then the file that holds the token alone
	if last := lines[len(lines)-1]; last != `tok-"quoted"` {
		t.Errorf("the token file holds %q", last)
	}
	rendered := strings.Join(lines[5:len(lines)-1], "\n")
	if err := json.Unmarshal([]byte(rendered), &config); err != nil || config.Token != `tok-"quoted"` {
		t.Errorf("the tool read %q (%v)", rendered, err)
	}
	if n := asked(); n != 2 {
		t.Errorf("the entrypoint and its nested tool asked for the passphrase %d times, want once", n-1)
	}

	// With callerConfigHome, the script and what it runs have the user's
	// own configs (git's here); a wrapped tool still gets the rendered ones.
	keeps := nixBuild(t, file, "keepsConfigHome", bin...)
	home := filepath.Join(w.root, "alice")
	w.write(filepath.Join(home, ".config/git/config"), "[user]\n\tname = Alice\n", 0o644)
	for _, env := range [][]string{{"HOME=" + home, "XDG_CONFIG_HOME="}, {"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config")}} {
		out := strings.Split(w.outputWith(env, filepath.Join(keeps, "bin/agent")), "\n")
		rendered := strings.TrimPrefix(out[1], "rendered: ")
		want := []string{"config home: " + filepath.Join(home, ".config"), "rendered: " + rendered,
			"git user: Alice", "caller variable: unset", "tool sees " + rendered}
		if !strings.Contains(rendered, "/rigup-rig-config-root-") {
			t.Errorf("RIGUP_CONFIG_DIR %q", rendered)
		}
		for i, w := range want {
			if out[i] != w {
				t.Errorf("%v: line %d: %q, want %q", env, i+1, out[i], w)
			}
		}
	}
	if n := asked(); n != 4 {
		t.Errorf("the passphrase was asked %d times for two runs", n-2)
	}

	// Alone, the wrapped tool renders a directory of its own.
	out = w.output(filepath.Join(wrapped, "bin/mytool"))
	if dir := strings.TrimPrefix(strings.SplitN(out, "\n", 2)[0], "tool sees "); dir == agentDir || !strings.Contains(dir, "/rigup-rig-config-root-") {
		t.Errorf("the wrapped tool alone saw %q", dir)
	}
	if n := asked(); n != 5 {
		t.Errorf("the wrapped tool alone asked %d times", n-4)
	}
}

// TestNixRiglets evaluates this flake's riglets with rigup.nix's real
// rigletSchema (and a stand-in pkgs, see nix/tests/riglets.nix), then
// renders the MCP config that claude-code-secrets made from config.mcpServers
// and reads it with jq.
func TestNixRiglets(t *testing.T) {
	t.Parallel()
	requireStore(t)
	require(t, "jq")
	file := filepath.Join(repoRoot, "nix/tests/riglets.nix")
	srcs := []string{"--argstr", "nixpkgsLib", nixpkgsLib(t), "--argstr", "rigupNix", rigupNix(t)}
	args := append(append([]string{"--read-write-mode", "--eval", "--strict", "--json", file, "-A", "result"}, storeArgs()...), srcs...)
	out, err := nix(t, "nix-instantiate", args...)
	if err != nil {
		t.Fatal(err)
	}
	var c testCases
	if err := json.Unmarshal(out, &c); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	c.check(t, 12)

	nixBuild(t, file, "entrypoint", srcs...)
	w := nixWorld(t, "[team]\ncontext7 = \"ctx7-\\\"key\\\"\"\n[notes]\ntoken = \"n\\\\t\"\n", "")

	// By default the definitions are private: Claude Code's MCP config
	// names the proxy, and holds no header.
	tree := nixBuild(t, file, "trees.claude", srcs...)
	if _, err := os.Stat(filepath.Join(tree, ".rigup-private/rigup/claude-code/mcp.json")); err != nil {
		t.Errorf("the private definitions: %v", err)
	}
	if _, err := os.Stat(filepath.Join(tree, "rigup/claude-code/mcp.json")); err == nil {
		t.Error("the tree has a public MCP config too")
	}
	got := w.output(rigupExec(), "-t", tree, "--", "sh", "-c",
		`jq -c '.mcpServers | map_values([.type, (.url | test("^http://127\\.0\\.0\\.1:[0-9]+/[A-Za-z0-9_-]{43}/")), .headers])' "$XDG_CONFIG_HOME/rigup/claude-code/mcp.json"`)
	if want := `{"context7":["http",true,null],"notes":["http",true,null]}` + "\n"; got != want {
		t.Errorf("Claude Code's MCP config %s, want %s", got, want)
	}

	// With keepSecretsFromAgent = false, the values are rendered into it.
	open := nixBuild(t, file, "trees.claudeOpen", srcs...)
	got = w.output(rigupExec(), "-t", open, "--", "sh", "-c",
		`jq -c '.mcpServers | map_values(.headers)' "$XDG_CONFIG_HOME/rigup/claude-code/mcp.json"`)
	if want := `{"context7":{"CONTEXT7_API_KEY":"ctx7-\"key\""},"notes":{"Authorization":"Bearer n\\t"}}` + "\n"; got != want {
		t.Errorf("rendered headers %s, want %s", got, want)
	}

	// A rig without secrets: rigup-exec needs no secrets file.
	bare := nixBuild(t, file, "trees.bare", srcs...)
	w.setenv("RIGUP_SECRETS_FILE=" + filepath.Join(w.dir, "none.age"))
	if got := w.output(rigupExec(), "-t", bare, "--", "sh", "-c",
		`jq -r '.mcpServers.local.type' "$XDG_CONFIG_HOME/rigup/claude-code/mcp.json"`); got != "stdio\n" {
		t.Errorf("rig without secrets: %q", got)
	}
}

// copyTree copies the files git would submit (tracked, and untracked but
// not ignored) from src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	out, err := exec.Command("git", "-C", src, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	for _, name := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		from, to := filepath.Join(src, name), filepath.Join(dst, name)
		info, err := os.Lstat(from)
		if err != nil || !info.Mode().IsRegular() {
			continue // deleted in the work tree, or a link
		}
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Dir(to), 0o755)
		if err := os.WriteFile(to, data, info.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
}

// TestNixFlake evaluates the flake's outputs with `nix flake check` and
// `nix eval`, offline, with nixpkgs replaced by the stand-in of
// nix/tests/stand-in-nixpkgs (the real nixpkgs lib; packages that are
// evaluated, never built): the checks evaluate the library's tests.
func TestNixFlake(t *testing.T) {
	t.Parallel()
	requireStore(t)
	require(t, "nix", "git", "cp")
	lib := nixpkgsLib(t)
	work := t.TempDir()
	flake, stand := filepath.Join(work, "flake"), filepath.Join(work, "nixpkgs")
	copyTree(t, repoRoot, flake)
	os.MkdirAll(stand, 0o755)
	data, err := os.ReadFile(filepath.Join(repoRoot, "nix/tests/stand-in-nixpkgs/flake.nix"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(stand, "flake.nix"), data, 0o644)
	if out, err := exec.Command("cp", "-r", lib, filepath.Join(stand, "lib")).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	nixFlake := func(args ...string) string {
		t.Helper()
		args = append(append([]string{"--extra-experimental-features", "nix-command flakes"}, args...), storeArgs()...)
		args = append(args, "--override-input", "nixpkgs", "path:"+stand, "--no-write-lock-file")
		out, err := nix(t, "nix", args...)
		if err != nil {
			t.Fatalf("nix %s: %v", strings.Join(args, " "), err)
		}
		return string(out)
	}
	ref := "path:" + flake

	nixFlake("flake", "check", "--no-build", ref)

	vendorHash := regexp.MustCompile(`vendorHash = "(sha256-[^"]+)";`).FindStringSubmatch(string(readFile(t, filepath.Join(flake, "flake.nix"))))
	if vendorHash == nil {
		t.Fatal("no vendorHash in flake.nix")
	}
	var pkg struct {
		Pname, VendorHash string
		Ldflags, Src      []string
	}
	if err := json.Unmarshal([]byte(nixFlake("eval", "--json", ref+"#packages.x86_64-linux.default.args", "--apply",
		`a: { inherit (a) pname vendorHash ldflags; src = builtins.attrNames (builtins.readDir a.src); }`)), &pkg); err != nil {
		t.Fatal(err)
	}
	if pkg.Pname != "rigup-exec" || pkg.VendorHash != vendorHash[1] {
		t.Errorf("package %+v, want vendorHash %s", pkg, vendorHash[1])
	}
	if !regexp.MustCompile(`^-X main\.version=0\.1\.0-dirty$`).MatchString(pkg.Ldflags[len(pkg.Ldflags)-1]) {
		t.Errorf("ldflags %q do not stamp the version", pkg.Ldflags)
	}
	src := strings.Join(pkg.Src, " ")
	if !strings.Contains(src, "go.mod") || !strings.Contains(src, "main.go") || strings.Contains(src, "README.md") || strings.Contains(src, "flake.nix") {
		t.Errorf("the package's source holds %s", src)
	}

	if got := strings.TrimSpace(nixFlake("eval", "--json", ref+"#riglets", "--apply", "builtins.attrNames")); got != `["claude-code-secrets","mcp-context7","secret-management","secrets"]` {
		t.Errorf("riglets: %s", got)
	}
	if got := nixFlake("eval", "--raw", ref+"#lib", "--apply", `l: l.toJSON { k = "Bearer ${l.mkSecret "a.b"}"; }`); got != "{\n  \"k\": \"Bearer {{ secrets.a.b | json }}\"\n}\n" {
		t.Errorf("lib.toJSON: %q", got)
	}
	if got := nixFlake("eval", "--raw", ref+"#overlays.default", "--apply",
		`o: (o { callPackage = f: a: a.version; } { }).rigup-exec`); got != "0.1.0-dirty" {
		t.Errorf("the overlay's rigup-exec has version %q", got)
	}
}

// mcpServer is a Streamable HTTP MCP server on 127.0.0.1 that answers only
// requests carrying its bearer token, and counts who came.
type mcpServer struct {
	token                string
	mu                   sync.Mutex
	authorized, rejected int
}

func (s *mcpServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	s.mu.Lock()
	ok := r.Header.Get("Authorization") == "Bearer "+s.token
	if ok {
		s.authorized++
	} else {
		s.rejected++
	}
	s.mu.Unlock()
	if !ok {
		http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
		return
	}
	var req struct {
		ID     json.RawMessage
		Method string
		Params struct{ ProtocolVersion string }
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if req.ID == nil { // a notification
		w.WriteHeader(http.StatusAccepted)
		return
	}
	var result any
	switch req.Method {
	case "initialize":
		result = map[string]any{
			"protocolVersion": req.Params.ProtocolVersion,
			"capabilities":    map[string]any{"tools": map[string]any{}},
			"serverInfo":      map[string]any{"name": "rigup-e2e", "version": "1"},
		}
	case "tools/list":
		result = map[string]any{"tools": []any{map[string]any{
			"name": "ping", "description": "Answers pong", "inputSchema": map[string]any{"type": "object"}}}}
	default:
		result = map[string]any{}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"jsonrpc": "2.0", "id": req.ID, "result": result})
}

// claudeBinary returns the real Claude Code (npm @anthropic-ai/claude-code,
// whose native binary is inside the package): $RIGUP_CLAUDE, else claude on
// PATH.
func claudeBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("RIGUP_CLAUDE"); p != "" {
		return p
	}
	require(t, "claude")
	p, _ := exec.LookPath("claude")
	return p
}

// TestNixClaudeEntrypoint builds the claude-code-secrets entrypoint of a rig
// whose MCP server wants a bearer token from the secrets, with the real
// Claude Code and the rigup-exec under test as its packages, and runs it:
// Claude Code, without an account, reports in its first message whether
// each MCP server connected. Nothing leaves 127.0.0.1.
func TestNixClaudeEntrypoint(t *testing.T) {
	// Not parallel: it runs before the parallel tests start. Under their
	// load, Claude Code (node) took over 25 s to start and reported its
	// MCP server as still pending.
	requireStore(t)
	claude := claudeBinary(t)
	srv := &mcpServer{token: `sk-e2e "quoted" \ token`}
	// Over TLS, as rigup-exec-guard requires: its certificate is trusted
	// through SSL_CERT_FILE, which the guard reads when it starts.
	ts := httptest.NewTLSServer(srv)
	t.Cleanup(ts.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}

	// A stdio MCP server too, which Claude Code reaches through the relay.
	probe := filepath.Join(t.TempDir(), "agentprobe")
	if out, err := exec.Command("go", "build", "-o", probe, "./testdata/agentprobe").CombinedOutput(); err != nil {
		t.Fatalf("building the stdio MCP server: %v\n%s", err, out)
	}
	stdio := filepath.Join(t.TempDir(), "stdio-mcp")
	if err := os.WriteFile(stdio, []byte("#!/bin/sh\nexec '"+probe+"' mcp\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	agent := nixBuild(t, filepath.Join(repoRoot, "nix/tests/riglets.nix"), "agent",
		"--argstr", "nixpkgsLib", nixpkgsLib(t), "--argstr", "rigupNix", rigupNix(t),
		"--argstr", "claude", claude, "--argstr", "rigupExec", filepath.Join(binDir, "rigup-exec"),
		"--argstr", "mcpUrl", ts.URL+"/mcp", "--argstr", "mcpStdio", stdio)

	// One after the other: the server counts every request it gets.
	for _, tc := range []struct {
		name, secrets, status string
	}{
		{"right token", "[local]\ntoken = 'sk-e2e \"quoted\" \\ token'\n", "connected"},
		{"wrong token", "[local]\ntoken = 'sk-wrong'\n", "failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := nixWorld(t, tc.secrets, "")
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, filepath.Join(agent, "bin/claude"), "-p", "hi", "--output-format", "stream-json", "--verbose")
			cmd.Dir = w.dir
			cmd.Env = append(w.env(), "HOME="+filepath.Join(w.root, "claude-home"),
				// Claude Code's own endpoint on a closed local port, and
				// no update, telemetry or error reports: only 127.0.0.1.
				"ANTHROPIC_BASE_URL=http://127.0.0.1:9", "DISABLE_AUTOUPDATER=1",
				"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1", "DISABLE_TELEMETRY=1",
				"DISABLE_ERROR_REPORTING=1", "MCP_TIMEOUT=60000", // a loaded machine is slow to start the server
				"SSL_CERT_FILE="+ca)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, _ := cmd.Output() // without an account it ends with an error
			first, _, _ := strings.Cut(string(out), "\n")
			var init struct {
				Type       string
				McpServers []struct{ Name, Status string } `json:"mcp_servers"`
			}
			if err := json.Unmarshal([]byte(first), &init); err != nil || init.Type != "system" {
				t.Fatalf("first message %q (%v); stderr:\n%s", first, err, &stderr)
			}
			got := map[string]string{}
			for _, s := range init.McpServers {
				got[s.Name] = s.Status
			}
			if len(got) != 2 || got["local"] != tc.status || got["stdio"] != "connected" {
				t.Errorf("MCP servers %+v, want local %s, and stdio connected through the relay", init.McpServers, tc.status)
			}
			srv.mu.Lock()
			authorized, rejected := srv.authorized, srv.rejected
			srv.authorized, srv.rejected = 0, 0
			srv.mu.Unlock()
			if (tc.status == "connected") != (authorized > 0 && rejected == 0) {
				t.Errorf("the server accepted %d requests and rejected %d", authorized, rejected)
			}
		})
	}
}
