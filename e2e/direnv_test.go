//go:build linux

package e2e

import (
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// use rig, the direnv library that rigup-exec hook direnv prints, run by
// the real direnv with bash as the hooked shell, on a rig laid out as
// rigup.nix builds it and a project whose secrets the real age encrypted
// to a key the real ssh-keygen made. What is checked is what direnv puts in
// every process of the shell (the exported values, DIRENV_DIFF): no secret
// value and no path of a rendered directory, ever.

// direnvProject is a world for direnv: direnv's configuration and allow
// list (XDG_CONFIG_HOME, XDG_DATA_HOME) of its own, a directory standing
// in for the Nix store, and the project, the world's working directory,
// with its .envrc.
type direnvProject struct {
	*world
	store     string   // stands in for /nix/store
	templates string   // the rig's configRoot, resolved
	value     string   // the secret the rig's tool gets
	values    []string // every secret value of the test, value included
}

func newDirenvProject(t *testing.T) *direnvProject {
	t.Helper()
	require(t, "direnv", "bash")
	p := &direnvProject{world: newWorld(t)}
	p.store = filepath.Join(p.root, "store")
	for _, d := range []string{filepath.Join(p.root, "config"), filepath.Join(p.root, "data"), p.store} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	p.setenv("LANG=C.UTF-8", "TERM=dumb",
		"XDG_CONFIG_HOME="+filepath.Join(p.root, "config"),
		"XDG_DATA_HOME="+filepath.Join(p.root, "data"),
		"XDG_CACHE_HOME="+filepath.Join(p.root, "cache"))
	return p
}

// buildRig lays out in the stand-in store what rigup.nix's buildRig and
// rigup-exec's wrapWithSecrets make of a riglet with one wrapped tool, and
// returns the rig's home:
//
//	<id>-tool/bin/tool                the tool itself: it prints where its
//	                                  config is, and a hash of it
//	<id>-rig-config-root/tool/...     the template root (configRoot)
//	<id>-tool-with-secrets/bin/tool   wrapWithSecrets: exe="..." and
//	                                  exec rigup-exec -t ROOT -- "$exe" "$@"
//	<id>-rig-wrapped-tools/bin/tool   rigup.nix's wrapWithEnv: sets
//	                                  XDG_CONFIG_HOME to configRoot, runs it
//	<id>-rig-all-tools/bin/tool       buildEnv: a link
//	<id>-rig-doc-root/, <id>-rig-home/ (.local, .config, docs, RIG.md)
func (p *direnvProject) buildRig(id string) string {
	p.t.Helper()
	dir := func(name string) string { return filepath.Join(p.store, id+"-"+name) }
	tool := p.write(filepath.Join(dir("tool"), "bin", "tool"), `#!/bin/sh
printf 'config-home=%s\n' "$XDG_CONFIG_HOME"
printf 'config-hash=%s\n' "$(sha256sum < "$XDG_CONFIG_HOME/tool/config.toml" | cut -d' ' -f1)"
`, 0o555)
	configRoot := dir("rig-config-root")
	p.write(filepath.Join(configRoot, "tool", "config.toml"), "token = \"{{ secrets.tool.token | toml }}\"\n", 0o444)
	p.write(filepath.Join(configRoot, "tool", "plain.txt"), "no secret here\n", 0o444)
	rigupExec := filepath.Join(binDir, "rigup-exec")
	// As nix/lib.nix's wrapTools writes it: shebang, exe="...", runLine.
	p.write(filepath.Join(dir("tool-with-secrets"), "bin", "tool"),
		fmt.Sprintf("#!/bin/sh\nexe=\"%s\"\nexec %s -t %s -- \"$exe\" \"$@\"\n", tool, shellQuote(rigupExec), shellQuote(configRoot)), 0o555)
	p.write(filepath.Join(dir("rig-wrapped-tools"), "bin", "tool"),
		fmt.Sprintf("#!/bin/sh\nexport XDG_CONFIG_HOME=%s\nexec %s \"$@\"\n", shellQuote(configRoot), shellQuote(filepath.Join(dir("tool-with-secrets"), "bin", "tool"))), 0o555)
	p.symlink(filepath.Join(dir("rig-wrapped-tools"), "bin", "tool"), filepath.Join(dir("rig-all-tools"), "bin", "tool"))
	p.write(filepath.Join(dir("rig-doc-root"), "secret-management", "SKILL.md"), "# Secrets\n", 0o444)
	home := dir("rig-home")
	p.symlink(dir("rig-all-tools"), filepath.Join(home, ".local"))
	p.symlink(configRoot, filepath.Join(home, ".config"))
	p.symlink(dir("rig-doc-root"), filepath.Join(home, "docs"))
	p.write(filepath.Join(home, "RIG.md"), "# Rig\nRead ./docs.\n", 0o444)
	p.write(filepath.Join(home, "activate.sh"), "export PATH=\""+home+"/.local/bin:$PATH\"\n", 0o444)
	p.templates = configRoot
	return home
}

// keyAndSecrets makes the user's key with the real ssh-keygen, the
// recipients file, and the secrets file with the real age.
func (p *direnvProject) keyAndSecrets() {
	p.t.Helper()
	p.withKey("")
	p.writeRecipients(p.key)
	value := secretValue(p.t, "direnv")
	p.setValue(value)
	p.ageEncrypt("[tool]\ntoken = \""+value+"\"\n", "-R", p.recipientsFile())
}

// setValue makes value the one the tool gets from now on.
func (p *direnvProject) setValue(value string) {
	p.value = value
	if !slices.Contains(p.values, value) {
		p.values = append(p.values, value)
	}
}

// configHash is what the tool prints for its rendered config.
func (p *direnvProject) configHash() string {
	sum := sha256.Sum256([]byte("token = \"" + p.value + "\"\n"))
	return hex.EncodeToString(sum[:])
}

func (p *direnvProject) envrc(text string) {
	p.t.Helper()
	p.write(".envrc", text, 0o644)
	p.direnv(nil, "allow")
}

// runWith runs a program in the project with the world's environment and
// env after it, and returns how it ended.
func (p *direnvProject) runWith(env []string, name string, args ...string) result {
	p.t.Helper()
	cmd := p.program(name, args...)
	cmd.Env = append(cmd.Env, env...)
	return runToEnd(p.t, cmd)
}

// direnv runs direnv ARGS, which must succeed, and returns its stdout and
// stderr.
func (p *direnvProject) direnv(env []string, args ...string) (string, string) {
	p.t.Helper()
	r := p.runWith(env, "direnv", args...)
	if !exited(r.ws, 0) {
		p.t.Fatalf("direnv %s: %s\n%s", strings.Join(args, " "), describe(r.ws), p.redact(r.stderr))
	}
	return r.stdout, r.stderr
}

// exportJSON is direnv export json from a shell that has loaded nothing.
func (p *direnvProject) exportJSON() (map[string]*string, string) {
	p.t.Helper()
	stdout, stderr := p.direnv(nil, "export", "json")
	p.noLeak("direnv export json", stdout)
	var vars map[string]*string
	if err := json.Unmarshal([]byte(stdout), &vars); err != nil {
		p.t.Fatalf("direnv export json: %v\n%s", err, p.redact(stdout))
	}
	return vars, stderr
}

// redact hides the secret values in text that a failure prints.
func (p *direnvProject) redact(text string) string { return redactValues(text, p.values...) }

// noLeak fails when text holds the secret value, or a path in RAM where
// rigup-exec renders: direnv would hand it to every process of the shell.
func (p *direnvProject) noLeak(what, text string) {
	p.t.Helper()
	for _, v := range p.values {
		if strings.Contains(text, distinctive(v)) {
			p.t.Errorf("%s holds the secret value %s…:\n%s", what, redact(v), p.redact(text))
		}
	}
	for _, ram := range []string{p.runtime, "/dev/shm", "rigup-rig-config-root"} {
		if strings.Contains(text, ram) {
			p.t.Errorf("%s holds %s, a path where configs are rendered:\n%s", what, ram, p.redact(text))
		}
	}
}

// gzenv decodes a value direnv keeps in the environment (DIRENV_DIFF,
// DIRENV_WATCHES): base64url of zlib-compressed JSON.
func gzenv(t testing.TB, text string, v any) {
	t.Helper()
	data, err := base64.URLEncoding.DecodeString(strings.TrimSpace(text))
	if err != nil {
		t.Fatalf("base64: %v", err)
	}
	r, err := zlib.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("zlib: %v", err)
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("zlib: %v", err)
	}
	if err := json.Unmarshal(plain, v); err != nil {
		t.Fatalf("json: %v: %s", err, plain)
	}
}

// direnvDiff is DIRENV_DIFF: the values before ("p") and after ("n") of
// every variable the .envrc changed.
type direnvDiff struct {
	Prev map[string]string `json:"p"`
	Next map[string]string `json:"n"`
}

// checkDiff decodes DIRENV_DIFF and checks it for leaks, and that it
// changes what use rig exports and nothing rendered.
func (p *direnvProject) checkDiff(what, text string) direnvDiff {
	p.t.Helper()
	var diff direnvDiff
	gzenv(p.t, text, &diff)
	decoded, _ := json.Marshal(diff)
	p.noLeak(what+" (decoded)", string(decoded))
	for _, name := range []string{"XDG_CONFIG_HOME", "RIGUP_CONFIG_DIR", "RIGUP_CONFIG_TEMPLATES"} {
		if _, ok := diff.Next[name]; ok {
			p.t.Errorf("%s sets %s", what, name)
		}
	}
	return diff
}

// watches decodes DIRENV_WATCHES into the paths direnv watches.
func (p *direnvProject) watches(text string) map[string]bool {
	p.t.Helper()
	var list []struct{ Path string }
	gzenv(p.t, text, &list)
	paths := map[string]bool{}
	for _, w := range list {
		paths[w.Path] = true
	}
	return paths
}

// scanAll fails when a file of the world holds a secret value, or when
// anything is left in the runtime base.
func (p *direnvProject) scanAll() {
	p.t.Helper()
	p.scan(p.values...)
	if names := dirNames(p.runtime); len(names) > 0 {
		p.t.Errorf("left in the runtime base: %v", names)
	}
}

func TestDirenvShellcheck(t *testing.T) {
	t.Parallel()
	require(t, "shellcheck")
	script := filepath.Join(repoRoot, "direnv", "use_rig.sh")
	if _, err := os.ReadFile(script); err != nil { // and go test reruns when it changes
		t.Fatal(err)
	}
	if out, err := exec.Command("shellcheck", "--shell=bash", script).CombinedOutput(); err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
}

// TestDirenvUseRig: the whole round, in a bash hooked with direnv's own
// hook, as in a user's shell.
func TestDirenvUseRig(t *testing.T) {
	t.Parallel()
	p := newDirenvProject(t)
	p.keyAndSecrets()
	home := p.buildRig("0000")
	p.symlink(home, filepath.Join(p.dir, "result"))
	p.envrc("eval \"$(rigup-exec hook direnv)\"\nuse rig ./result\n")

	// What direnv exports, and what it keeps in DIRENV_DIFF.
	vars, stderr := p.exportJSON()
	want := map[string]string{
		"RIGUP_TEMPLATES":    p.templates,
		"RIGUP_SECRETS_FILE": filepath.Join(p.dir, "rigup.secrets.toml.age"),
		"RIG_MANIFEST":       filepath.Join(home, "RIG.md"),
		"RIG_DOCS":           filepath.Join(home, "docs"),
	}
	for name, value := range want {
		if got := vars[name]; got == nil || *got != value {
			t.Errorf("%s = %v, want %q; stderr:\n%s", name, deref(got), value, stderr)
		}
	}
	if path := vars["PATH"]; path == nil || !strings.HasPrefix(*path, filepath.Join(home, ".local", "bin")+":") {
		t.Errorf("PATH = %v, want the rig's .local/bin first", deref(path))
	}
	for _, name := range []string{"XDG_CONFIG_HOME", "RIGUP_CONFIG_DIR"} {
		if _, ok := vars[name]; ok {
			t.Errorf("direnv export json sets %s", name)
		}
	}
	if vars["DIRENV_DIFF"] == nil || vars["DIRENV_WATCHES"] == nil {
		t.Fatalf("no DIRENV_DIFF or DIRENV_WATCHES in the export")
	}
	diff := p.checkDiff("DIRENV_DIFF", *vars["DIRENV_DIFF"])
	if diff.Next["RIGUP_TEMPLATES"] != p.templates {
		t.Errorf("DIRENV_DIFF sets RIGUP_TEMPLATES to %q", diff.Next["RIGUP_TEMPLATES"])
	}
	watched := p.watches(*vars["DIRENV_WATCHES"])
	for _, name := range []string{"rigup.secrets.toml.age", "rigup.secrets.recipients", "rigup.toml", "rigup.local.toml", "flake.nix", "flake.lock", "result", ".envrc"} {
		if !watched[filepath.Join(p.dir, name)] {
			t.Errorf("%s is not watched; watches: %v", name, watched)
		}
	}
	bash, _ := p.direnv(nil, "export", "bash")
	p.noLeak("direnv export bash", bash)
	if !strings.Contains(bash, "export RIGUP_TEMPLATES=") || strings.Contains(bash, "XDG_CONFIG_HOME") {
		t.Errorf("direnv export bash:\n%s", p.redact(bash))
	}

	// direnv exec runs the rig's wrapped tool, which renders its config
	// in a directory of its own, gone when it exits.
	out, stderr := p.direnv(nil, "exec", ".", "tool")
	if !strings.Contains(out, "config-hash="+p.configHash()+"\n") || !strings.Contains(out, "config-home="+p.runtime+"/rigup-") {
		t.Errorf("the tool under direnv exec printed\n%s\nstderr:\n%s", out, p.redact(stderr))
	}

	// RIGUP_TEMPLATES is the root the wrapped tools name: in a session
	// that rigup-exec opens with it, they reuse its directory.
	out, stderr = p.direnv(nil, "exec", ".", "rigup-exec", "--", "sh", "-c", `echo "session=$RIGUP_CONFIG_DIR"; tool`)
	if session, _, _ := strings.Cut(strings.TrimPrefix(out, "session="), "\n"); !strings.HasPrefix(session, p.runtime+"/rigup-") ||
		!strings.Contains(out, "config-home="+session+"\n") || !strings.Contains(out, "config-hash="+p.configHash()+"\n") {
		t.Errorf("the tool in a rigup-exec session printed\n%s\nstderr:\n%s", out, p.redact(stderr))
	}

	// A hooked bash: enter, run the tool, edit the secrets, leave.
	next := time.Now().Add(3 * time.Second).Unix()
	driver := p.write(filepath.Join(p.root, "driver.bash"), `set -u
eval "$(direnv hook bash)"
out=$1
cd "$PROJECT" && _direnv_hook 2>"$out/enter.err"
env > "$out/env-inside"
printf '%s' "${DIRENV_DIFF-}" > "$out/diff-inside"
tool > "$out/tool-1" 2>&1
direnv export json > "$out/export-current" 2>/dev/null
# Another value, and a time direnv can tell from the load's: it compares
# whole seconds.
"$ENCRYPT" && touch -d "@$NEXT" "$RIGUP_SECRETS_FILE"
tool > "$out/tool-2" 2>&1
direnv export json > "$out/export-stale" 2>/dev/null
_direnv_hook 2>"$out/reload.err"
printf '%s' "${DIRENV_DIFF-}" > "$out/diff-reloaded"
cd "$OUTSIDE" && _direnv_hook 2>"$out/leave.err"
env > "$out/env-outside"
`, 0o644)
	outDir := filepath.Join(p.root, "out")
	os.MkdirAll(outDir, 0o700)
	// The driver edits the secrets with the real age, from a plaintext
	// file that the test writes and the script removes: the script
	// itself holds no value.
	newValue := secretValue(t, "edited")
	p.values = append(p.values, newValue)
	plain := p.write(filepath.Join(p.root, "plain-next.toml"), "[tool]\ntoken = \""+newValue+"\"\n", 0o600)
	encrypt := p.write(filepath.Join(p.root, "encrypt.sh"), fmt.Sprintf("#!/bin/sh\nset -e\nage -R %s -o %s.new %s\nrm %s\nmv %s.new %s\n",
		shellQuote(filepath.Join(p.dir, "rigup.secrets.recipients")), shellQuote(want["RIGUP_SECRETS_FILE"]), shellQuote(plain),
		shellQuote(plain), shellQuote(want["RIGUP_SECRETS_FILE"]), shellQuote(want["RIGUP_SECRETS_FILE"])), 0o755)
	if r := p.runWith([]string{"PROJECT=" + p.dir, "OUTSIDE=" + p.root, "ENCRYPT=" + encrypt, fmt.Sprintf("NEXT=%d", next)},
		"bash", "--norc", "--noprofile", driver, outDir); !exited(r.ws, 0) {
		t.Fatalf("the hooked bash: %s\n%s", describe(r.ws), p.redact(r.stderr))
	}
	read := func(name string) string {
		data, err := os.ReadFile(filepath.Join(outDir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	oldHash := p.configHash()
	p.setValue(newValue)
	if _, err := os.Stat(plain); !os.IsNotExist(err) {
		t.Errorf("the driver left %s: %v", plain, err)
	}

	enter, inside := read("enter.err"), "\n"+read("env-inside")
	if !strings.Contains(enter, "direnv: export +RIGUP_SECRETS_FILE +RIGUP_TEMPLATES") {
		t.Errorf("entering the project:\n%s", enter)
	}
	// XDG_RUNTIME_DIR was there before: the shell's own, not direnv's.
	p.noLeak("the hooked shell's environment", strings.Replace(inside, "\nXDG_RUNTIME_DIR="+p.runtime+"\n", "\n", 1))
	for _, line := range []string{"RIGUP_TEMPLATES=" + p.templates, "XDG_CONFIG_HOME=" + filepath.Join(p.root, "config")} {
		if !strings.Contains(inside, "\n"+line+"\n") {
			t.Errorf("the hooked shell has no %s in\n%s", line, inside)
		}
	}
	p.checkDiff("DIRENV_DIFF of the hooked shell", read("diff-inside"))
	if tool := read("tool-1"); !strings.Contains(tool, "config-hash="+oldHash+"\n") {
		t.Errorf("the tool in the hooked shell printed\n%s", p.redact(tool))
	}
	// The tool renders for each run: the edited value at once, reload or not.
	if tool := read("tool-2"); !strings.Contains(tool, "config-hash="+p.configHash()+"\n") {
		t.Errorf("the tool after the edit printed\n%s", p.redact(tool))
	}
	if current := read("export-current"); current != "" {
		t.Errorf("direnv export right after loading is not empty: %s", p.redact(current))
	}
	if stale := read("export-stale"); !strings.Contains(stale, "DIRENV_DIFF") {
		t.Errorf("direnv export after the secrets file changed does not reload: %q", p.redact(stale))
	} else {
		p.noLeak("direnv export json after the edit", stale)
	}
	if reload := read("reload.err"); !strings.Contains(reload, "direnv: loading") {
		t.Errorf("the hook after the secrets file changed:\n%s", reload)
	}
	p.checkDiff("DIRENV_DIFF after the reload", read("diff-reloaded"))

	leave, outside := read("leave.err"), "\n"+read("env-outside")
	if !strings.Contains(leave, "direnv: unloading") {
		t.Errorf("leaving the project:\n%s", leave)
	}
	for _, name := range []string{"RIGUP_TEMPLATES", "RIGUP_SECRETS_FILE", "RIG_MANIFEST", "RIG_DOCS", "DIRENV_DIFF", "DIRENV_DIR"} {
		if strings.Contains(outside, "\n"+name+"=") {
			t.Errorf("%s is still set after leaving the project", name)
		}
	}
	if strings.Contains(outside, home) {
		t.Errorf("the rig is still on PATH after leaving the project")
	}
	p.scanAll()
}

// deref shows a value of direnv export json, which is null for a
// variable it unsets.
func deref(s *string) string {
	if s == nil {
		return "(unset)"
	}
	return fmt.Sprintf("%q", *s)
}

// TestDirenvDefaultRig: use rig without a REF, before any rig is built,
// then with ./result, then with rigup build's .rigup/default, which comes
// first; a change to rigup.toml after the build is noted.
func TestDirenvDefaultRig(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("use rig without a REF: not with -short")
	}
	p := newDirenvProject(t)
	first, second := p.buildRig("1111"), p.buildRig("2222")
	p.envrc("eval \"$(rigup-exec hook direnv)\"\nuse rig\n")
	secrets := filepath.Join(p.dir, "rigup.secrets.toml.age")

	vars, stderr := p.exportJSON()
	if !strings.Contains(stderr, "use rig: no rig built here, neither .rigup/default nor ./result") ||
		!strings.Contains(stderr, "use rig: no "+secrets+" yet: rigup-exec secrets edit creates it") {
		t.Errorf("no rig, no secrets:\n%s", stderr)
	}
	if got := vars["RIGUP_SECRETS_FILE"]; got == nil || *got != secrets {
		t.Errorf("RIGUP_SECRETS_FILE = %s without a rig, want %q", deref(got), secrets)
	}
	if _, ok := vars["RIGUP_TEMPLATES"]; ok {
		t.Errorf("RIGUP_TEMPLATES is set without a rig")
	}

	// In a shell that loaded that, building the rig reloads.
	loaded := []string{}
	for name, v := range vars {
		if v != nil {
			loaded = append(loaded, name+"="+*v)
		}
	}
	for _, step := range []struct {
		link, rig string
	}{{"result", first}, {".rigup/default", second}} {
		p.symlink(step.rig, filepath.Join(p.dir, step.link)) // a watched file appears
		stdout, stderr := p.direnv(loaded, "export", "json")
		if stdout == "" {
			t.Fatalf("%s built: no reload; stderr:\n%s", step.link, stderr)
		}
		var now map[string]*string
		if err := json.Unmarshal([]byte(stdout), &now); err != nil {
			t.Fatal(err)
		}
		root := filepath.Dir(p.templatesOf(step.rig))
		if got := now["RIGUP_TEMPLATES"]; got == nil || *got != p.templatesOf(step.rig) {
			t.Errorf("%s built: RIGUP_TEMPLATES = %s, want %s's", step.link, deref(got), root)
		}
		loaded = loaded[:0]
		for name, v := range now {
			if v != nil {
				loaded = append(loaded, name+"="+*v)
			}
		}
	}

	// rigup.toml edited after the build: a reload that says to rebuild.
	p.write(filepath.Join(p.dir, "rigup.toml"), "[rigs.default.riglets]\n", 0o644)
	later := time.Now().Add(6 * time.Second)
	os.Chtimes(filepath.Join(p.dir, "rigup.toml"), later, later)
	_, stderr = p.direnv(loaded, "export", "json")
	if !strings.Contains(stderr, "use rig: rigup.toml changed after .rigup/default was built: rebuild the rig") {
		t.Errorf("rigup.toml newer than the rig:\n%s", stderr)
	}
}

// templatesOf is the resolved .config of a rig's home.
func (p *direnvProject) templatesOf(home string) string {
	p.t.Helper()
	r, err := filepath.EvalSymlinks(filepath.Join(home, ".config"))
	if err != nil {
		p.t.Fatal(err)
	}
	return r
}

// TestDirenvNotARig: a REF that is missing or not a rig is an error that
// says what to do, and exports no rig.
func TestDirenvNotARig(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("use rig on what is not a rig: not with -short")
	}
	p := newDirenvProject(t)
	os.MkdirAll(filepath.Join(p.dir, "empty"), 0o755)
	for _, tc := range []struct{ ref, want string }{
		{"./nothing", "use rig: ./nothing does not exist: build the rig first"},
		{"./empty", "use rig: ./empty is not a built rig: it has neither .local/bin (a rig's home) nor bin/"},
		{"./a ./b", "use rig: one rig at most, not 2: ./a ./b"},
	} {
		p.envrc("eval \"$(rigup-exec hook direnv)\"\nuse rig " + tc.ref + "\n")
		vars, stderr := p.exportJSON()
		if !strings.Contains(stderr, tc.want) {
			t.Errorf("use rig %s:\n%s", tc.ref, stderr)
		}
		if _, ok := vars["RIGUP_TEMPLATES"]; ok {
			t.Errorf("use rig %s sets RIGUP_TEMPLATES", tc.ref)
		}
	}
}

// TestDirenvFlakeRef: use rig ./rigs#default builds the rig with the real
// nix build (Nix 2.8 here, which has no --print-out-paths) into direnv's
// layout directory, a garbage collector root, and loads it; so does a
// full attribute path of a path: flake. Either way the flake's files are
// watched.
func TestDirenvFlakeRef(t *testing.T) {
	t.Parallel()
	requireStore(t)
	require(t, "nix", "nix-store")
	p := newDirenvProject(t)
	system := map[string]string{"amd64": "x86_64-linux", "arm64": "aarch64-linux"}[runtime.GOARCH]
	if system == "" {
		t.Skipf("no Nix system for %s", runtime.GOARCH)
	}
	// A rig's home, built with builtins.derivation and the host's sh.
	p.write(filepath.Join(p.dir, "rigs", "flake.nix"), `{
  outputs = { self }: {
    rigs.`+system+`.default.home = derivation {
      name = "rig-home";
      system = "`+system+`";
      builder = "/bin/sh";
      args = [ "-c" ''
        /bin/mkdir -p $out/.local/bin $out/.config/tool $out/docs
        echo 'token = "{{ secrets.tool.token | toml }}"' > $out/.config/tool/config.toml
        printf '#!/bin/sh\necho flake tool\n' > $out/.local/bin/tool
        /bin/chmod 0555 $out/.local/bin/tool
        echo '# Rig' > $out/RIG.md
      '' ];
    };
  };
}
`, 0o644)
	config := "substituters =\nsandbox = false\n"
	for _, a := range storeArgs() {
		if a == "build-users-group" {
			config += "build-users-group =\n"
		}
	}
	env := []string{"NIX_CONFIG=" + config, "NIX_PATH="}

	for _, ref := range []string{"./rigs#default", "path:" + filepath.Join(p.dir, "rigs") + "#rigs." + system + ".default.home"} {
		p.write(filepath.Join(p.dir, ".envrc"), "eval \"$(rigup-exec hook direnv)\"\nuse rig "+ref+"\n", 0o644)
		p.direnv(env, "allow")
		stdout, stderr := p.direnv(env, "export", "json")
		var vars map[string]*string
		if err := json.Unmarshal([]byte(stdout), &vars); err != nil {
			t.Fatalf("use rig %s: %v\n%s", ref, err, stderr)
		}
		link := filepath.Join(p.dir, ".direnv", "rig-"+regexp.MustCompile(`[^A-Za-z0-9._-]`).ReplaceAllString(ref, "_"))
		home, err := os.Readlink(link)
		if err != nil || !strings.HasPrefix(home, "/nix/store/") || !strings.HasSuffix(home, "-rig-home") {
			t.Fatalf("use rig %s: link %s -> %q, %v; stderr:\n%s", ref, link, home, err, stderr)
		}
		if got := vars["RIGUP_TEMPLATES"]; got == nil || *got != home+"/.config" {
			t.Errorf("use rig %s: RIGUP_TEMPLATES = %s, want %s/.config", ref, deref(got), home)
		}
		if got := vars["RIG_MANIFEST"]; got == nil || *got != home+"/RIG.md" {
			t.Errorf("use rig %s: RIG_MANIFEST = %s", ref, deref(got))
		}
		if out, stderr := p.direnv(env, "exec", ".", "tool"); out != "flake tool\n" {
			t.Errorf("use rig %s: the tool printed %q\n%s", ref, out, stderr)
		}
		roots, err := exec.Command("nix-store", "-q", "--roots", home).Output()
		if err != nil || !strings.Contains(string(roots), link) {
			t.Errorf("use rig %s: the build is not kept by its link: %v\n%s", ref, err, roots)
		}
		watched := p.watches(*vars["DIRENV_WATCHES"])
		if !watched[filepath.Join(p.dir, "rigs", "flake.nix")] || !watched[filepath.Join(p.dir, "rigs", "flake.lock")] {
			t.Errorf("use rig %s: the flake is not watched: %v", ref, watched)
		}
	}
}

// TestDirenvNixPackage: the package's source holds the library, its
// postInstall installs it as share/rigup-exec/direnvrc, and the binary
// built from that same source prints it: one file, byte for byte. The
// postInstall also writes the completion scripts with that binary.
func TestDirenvNixPackage(t *testing.T) {
	t.Parallel()
	requireStore(t)
	require(t, "go", "install")
	lib := nixpkgsLib(t)
	expr := fmt.Sprintf(`let
  p = import %s/nix/package.nix {
    lib = import %s;
    stdenv = { buildPlatform.canExecute = platform: true; hostPlatform = { }; };
    buildGoModule = args: args;
    openssh = null;
    age = null;
    version = "test";
    vendorHash = "";
  };
in { src = "${p.src}"; inherit (p) postInstall; }`, repoRoot, lib)
	out, err := nix(t, "nix-instantiate", append([]string{"--read-write-mode", "--eval", "--strict", "--json", "-E", expr}, storeArgs()...)...)
	if err != nil {
		t.Fatal(err)
	}
	var pkg struct{ Src, PostInstall string }
	if err := json.Unmarshal(out, &pkg); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want, err := os.ReadFile(filepath.Join(repoRoot, "direnv", "use_rig.sh"))
	if err != nil {
		t.Fatal(err)
	}

	// Built from the package's source into $out/bin, as buildGoModule
	// installs it before postInstall.
	prefix := filepath.Join(t.TempDir(), "out")
	bin := filepath.Join(prefix, "bin", "rigup-exec")
	build := buildCommand("-o", bin, ".")
	build.Dir = pkg.Src
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build in the package's source: %v\n%s", err, b)
	}
	if got, err := exec.Command(bin, "hook", "direnv").Output(); err != nil || !bytes.Equal(got, want) {
		t.Errorf("the binary built from the package's source prints another library: %v", err)
	}

	install := exec.Command("sh", "-ec", pkg.PostInstall)
	install.Dir = pkg.Src
	install.Env = append(os.Environ(), "out="+prefix, "runHook=:")
	if b, err := install.CombinedOutput(); err != nil {
		t.Fatalf("postInstall: %v\n%s\n%s", err, pkg.PostInstall, b)
	}
	direnvrc := filepath.Join(prefix, "share", "rigup-exec", "direnvrc")
	if got, err := os.ReadFile(direnvrc); err != nil || !bytes.Equal(got, want) {
		t.Errorf("%s is not direnv/use_rig.sh: %v", direnvrc, err)
	}
	for shell, file := range map[string]string{
		"bash": "share/bash-completion/completions/rigup-exec",
		"zsh":  "share/zsh/site-functions/_rigup-exec",
		"fish": "share/fish/vendor_completions.d/rigup-exec.fish",
	} {
		want, err := exec.Command(bin, "completion", shell).Output()
		if got, rerr := os.ReadFile(filepath.Join(prefix, file)); err != nil || rerr != nil || len(want) == 0 || !bytes.Equal(got, want) {
			t.Errorf("%s: not the %s completion the binary prints: %v %v", file, shell, err, rerr)
		}
	}
}

// TestDirenvFromDirenvrc: the library installed once for every project,
// sourced from direnv's direnvrc, or linked into its lib/ directory; the
// .envrc says only use rig.
func TestDirenvFromDirenvrc(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("use rig from direnvrc: not with -short")
	}
	p := newDirenvProject(t)
	p.symlink(p.buildRig("3333"), filepath.Join(p.dir, "result"))
	library := filepath.Join(repoRoot, "direnv", "use_rig.sh")
	direnvConfig := filepath.Join(p.root, "config", "direnv")
	for _, install := range []func(){
		func() { p.write(filepath.Join(direnvConfig, "direnvrc"), "source "+shellQuote(library)+"\n", 0o644) },
		func() {
			os.Remove(filepath.Join(direnvConfig, "direnvrc"))
			p.symlink(library, filepath.Join(direnvConfig, "lib", "rigup-exec.sh"))
		},
	} {
		install()
		p.envrc("use rig ./result\n")
		vars, stderr := p.exportJSON()
		if got := vars["RIGUP_TEMPLATES"]; got == nil || *got != p.templates {
			t.Errorf("RIGUP_TEMPLATES = %s, want %q; stderr:\n%s", deref(got), p.templates, stderr)
		}
	}
}
