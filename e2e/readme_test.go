//go:build linux

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// readmeCommand matches the command lines of the README's code blocks:
// indented four spaces, starting with a program a user types (not
// rigup-exec's own message lines, "rigup-exec: ...").
var readmeCommand = regexp.MustCompile(`(?m)^    ((?:rigup-exec|age|git|eval|source|go|CGO_ENABLED=\S+|nix|NIXPKGS_LIB=\S+|PS1=|PROMPT=|exec|use) .*|PS1=.*|PROMPT=.*)$`)

// readmeCommands are the README's commands, as written, with how this test
// treats each: the check that runs it, or why it is not run here. A
// command the README gains or loses fails the test until it is listed
// here, so that every command shown is run, or said not to be.
var readmeCommands = map[string]string{
	// Run, in order, in one world (see TestReadmeCommands).
	`rigup-exec -t ./result -- sh -c 'exec claude --mcp-config "$XDG_CONFIG_HOME/claude/mcp.json" "$@"' claude`: "run",
	`rigup-exec -t ./result -- "$SHELL"`: "run",
	`CGO_ENABLED=0 GOEXPERIMENT=runtimesecret go install -trimpath -ldflags='-s -w' . ./cmd/rigup-exec-guard`: "run",
	`rigup-exec version`:                            "run",
	`rigup-exec demo`:                               "run",
	`rigup-exec hook direnv`:                        "run",
	`PS1='${RIGUP_RIG:+($RIGUP_RIG) }'"$PS1"`:       "run",
	`PROMPT='${RIGUP_RIG:+($RIGUP_RIG) }'"$PROMPT"`: "run",
	`eval "$(rigup-exec completion bash)"`:          "run",
	`source <(rigup-exec completion zsh)`:           "run",
	`rigup-exec completion fish | source`:           "run",
	`age -R ~/.ssh/id_ed25519.pub -R alice.pub -o rigup.secrets.toml.age secrets.toml`: "run",
	`rigup-exec secrets edit`: "run",
	`age -R rigup.secrets.recipients -o rigup.secrets.toml.age secrets.toml`:                                                                               "run",
	`git config merge.rigup-secrets.driver 'rigup-exec secrets merge %O %A %B %P' && git config diff.rigup-secrets.textconv 'rigup-exec secrets textconv'`: "run",
	`rigup-exec -t "$(nix build --no-link --json .#rigs.x86_64-linux.default.configRoot | jq -r '.[0].outputs.out')" check`:                                "run",

	// The .envrc and direnvrc lines of "direnv: use rig", run by the
	// direnv tests through the real direnv.
	`eval "$(rigup-exec hook direnv)"`:                "the .envrc line: TestDirenvUseRig and TestDirenvFlakeRef, under the real direnv",
	`use rig ./result`:                                "the .envrc line: TestDirenvUseRig, under the real direnv",
	`source ~/.nix-profile/share/rigup-exec/direnvrc`: "TestDirenvFromDirenvrc sources the same file from a direnvrc (TestDirenvNixPackage checks the package installs it there)",

	// Not run here.
	`go run . demo`: "the quick start: .ci/run runs it, and TestScripts/demo the demo itself",
	`go test ./...`: "the test suite itself",
	`NIXPKGS_LIB=~/.cache/nixpkgs.lib/lib RIGUP_NIX_SRC=~/.cache/rigup.nix go test -run Nix ./e2e/`: "the Nix tests, which .ci/run runs",
	`nix profile install .`:             "needs nixpkgs' buildGoModule, which cannot be had here (see \"What was evaluated here\")",
	`rigup-exec secrets merge`:          "finishing a merge git left in conflict: TestScripts/secrets_merge_conflict",
	`rigup-exec secrets merge --theirs`: "TestScripts/secrets_merge_conflict",
	`git add rigup.secrets.toml.age`:    "TestScripts/secrets_merge_conflict",
	`exec rigup-exec -t TEMPLATES -- claude --mcp-config "$RIGUP_CONFIG_DIR/rigup/claude-code/mcp.json"`: "the wrong form, shown as such",
}

// isSynopsis tells a usage line (placeholders in capitals, [flags]) from a
// command.
func isSynopsis(line string) bool {
	return strings.Contains(line, "[flags]") || strings.Contains(line, "[COMMAND") || regexp.MustCompile(`\b(TEMPLATES|FILE|KEY)\b -- COMMAND`).MatchString(line) ||
		strings.Contains(line, "completion bash|zsh|fish") || strings.Contains(line, "help [COMMAND")
}

var readmeFenced = regexp.MustCompile("(?ms)^```(?:bash|sh)\n.*?^```$")

var readmeComment = regexp.MustCompile(`\s+#\s.*$|\s{3,}.*$`)

// readmeLines returns the README's commands, without their trailing
// comments, in order.
func readmeLines(t *testing.T) []string {
	readme := string(readFile(t, filepath.Join(repoRoot, "README.md")))
	// Shell code in fenced blocks counts too, as if indented.
	readme = readmeFenced.ReplaceAllStringFunc(readme, func(block string) string {
		lines := strings.Split(block, "\n")
		for i, l := range lines[1 : len(lines)-1] {
			lines[i+1] = "    " + l
		}
		return strings.Join(lines, "\n")
	})
	var lines []string
	for _, m := range readmeCommand.FindAllStringSubmatch(readme, -1) {
		// Without what follows it: a comment, or a description after a
		// run of spaces (the Usage block).
		line := readmeComment.ReplaceAllString(m[1], "")
		if !isSynopsis(line) {
			lines = append(lines, line)
		}
	}
	return lines
}

// TestReadmeCommands runs the commands the README shows, as written, each
// with sh -c in one world set up as the text around it says (a rig at
// ./result, keys, a teammate's key alice.pub), and checks what each should
// do. The headline's claude is a stand-in that checks it was given the
// rendered MCP config (the real Claude Code reads one in TestNixClaudeEntrypoint).
func TestReadmeCommands(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("the README's commands, which other tests cover one by one: not with -short")
	}
	require(t, "ssh-keygen", "age", "git", "bash", "zsh", "fish", "jq")
	lines := readmeLines(t)
	seen := map[string]bool{}
	for _, l := range lines {
		seen[l] = true
		if _, ok := readmeCommands[l]; !ok {
			t.Errorf("the README shows %q, which this test neither runs nor says why not", l)
		}
	}
	for l := range readmeCommands {
		if !seen[l] {
			t.Errorf("the README no longer shows %q", l)
		}
	}

	w := newWorld(t).withSecrets("[mcp]\ncontext7_api_key = \"ctx7sk-readme\"\n", "")
	w.write("tpl/claude/mcp.json", `{"mcpServers": {"ctx": {"headers": {"Authorization": "Bearer {{secrets.mcp.context7_api_key}}"}}}}`, 0o644)
	os.Symlink("tpl", filepath.Join(w.dir, "result"))
	w.write("secrets.toml", "[mcp]\ncontext7_api_key = \"ctx7sk-readme\"\n", 0o600)
	alice := w.otherKey("alice", "ed25519")
	os.Rename(alice+".pub", filepath.Join(w.dir, "alice.pub"))
	bin := filepath.Join(w.root, "bin")
	os.MkdirAll(bin, 0o755)
	os.WriteFile(filepath.Join(bin, "claude"), []byte(`#!/bin/sh
test "$1" = --mcp-config || { echo "claude: no --mcp-config: $*"; exit 3; }
jq -e '.mcpServers.ctx.headers.Authorization == "Bearer ctx7sk-readme"' "$2" >/dev/null || { echo "claude: not the rendered config"; exit 4; }
echo "claude read $2"
`), 0o755)
	gobin := filepath.Join(w.root, "gobin")
	w.setenv("PATH="+binDir+":"+bin+":"+os.Getenv("PATH"), "SHELL=/bin/sh", "EDITOR=true", "GOBIN="+gobin, "RIGUP_RIG=readme-rig")

	checks := map[string]func(out string) string{
		readmeFirst(lines, "rigup-exec -t ./result -- sh -c"): func(out string) string {
			return want(regexp.MustCompile(`(?m)^claude read /.*/claude/mcp\.json$`).MatchString(out), "claude read the rendered config")
		},
		`CGO_ENABLED=0 GOEXPERIMENT=runtimesecret go install -trimpath -ldflags='-s -w' . ./cmd/rigup-exec-guard`: func(string) string {
			_, err := os.Stat(filepath.Join(gobin, "rigup-exec"))
			return want(err == nil, "rigup-exec installed into GOBIN")
		},
		`rigup-exec version`:     func(out string) string { return want(strings.HasPrefix(out, "rigup-exec "), "a version") },
		`rigup-exec demo`:        func(out string) string { return want(strings.Contains(out, "is gone"), "the demo's end") },
		`rigup-exec hook direnv`: func(out string) string { return want(strings.Contains(out, "use_rig()"), "use_rig") },
		`PS1='${RIGUP_RIG:+($RIGUP_RIG) }'"$PS1"`: func(out string) string {
			return want(strings.HasPrefix(out, "(readme-rig) "), "the rig's name in the prompt")
		},
		`PROMPT='${RIGUP_RIG:+($RIGUP_RIG) }'"$PROMPT"`: func(out string) string {
			return want(strings.HasPrefix(out, "(readme-rig) "), "the rig's name in the prompt")
		},
		`age -R ~/.ssh/id_ed25519.pub -R alice.pub -o rigup.secrets.toml.age secrets.toml`: func(string) string {
			return want(w.output("age", "-d", "-i", alice, w.secretsFile()) != "", "alice decrypts it")
		},
		`rigup-exec secrets edit`: func(out string) string {
			return want(strings.Contains(out, "no changes"), "an edit that changes nothing")
		},
	}
	// How each runs: most in sh; the shells' own lines in that shell.
	shells := map[string][]string{
		`PS1='${RIGUP_RIG:+($RIGUP_RIG) }'"$PS1"`:       {"bash", "-c", `PS1='$ '; %s; echo "${PS1@P}"`},
		`PROMPT='${RIGUP_RIG:+($RIGUP_RIG) }'"$PROMPT"`: {"zsh", "-f", "-c", `setopt prompt_subst; PROMPT='%% '; %s; print -P "$PROMPT"`},
		`eval "$(rigup-exec completion bash)"`:          {"bash", "-c", `%s && complete -p rigup-exec`},
		`source <(rigup-exec completion zsh)`:           {"zsh", "-f", "-c", `autoload -U compinit && compinit -u && %s`},
		`rigup-exec completion fish | source`:           {"fish", "--no-config", "-c", `%s; and complete -C 'rigup-exec secrets re'`},
	}
	for _, line := range lines {
		if readmeCommands[line] != "run" {
			continue
		}
		if testing.Short() && strings.Contains(line, "go install") {
			continue
		}
		var cmd *exec.Cmd
		switch {
		case strings.Contains(line, "nix build"):
			cmd = readmeNixBuild(t, w, line)
			if cmd == nil {
				continue
			}
		case strings.Contains(line, "go install"):
			cmd = w.program("sh", "-c", line)
			cmd.Dir = repoRoot
			// The user's own Go caches, as a user's go install has them.
			goEnv, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE", "GOPATH", "GOPROXY", "GOFLAGS").Output()
			if err != nil {
				t.Fatal(err)
			}
			for i, k := range []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOPROXY", "GOFLAGS"} {
				cmd.Env = append(cmd.Env, k+"="+strings.Split(string(goEnv), "\n")[i])
			}
		case strings.HasPrefix(line, "git config"):
			exec.Command("git", "-C", w.dir, "init", "-q").Run()
			cmd = w.program("sh", "-c", line)
		case shells[line] != nil:
			argv := shells[line]
			cmd = w.program(argv[0], append(argv[1:len(argv)-1], strings.Replace(argv[len(argv)-1], "%s", line, 1))...)
		default:
			cmd = w.program("sh", "-c", line)
		}
		if strings.Contains(line, "age -R rigup.secrets.recipients") || line == "rigup-exec secrets edit" {
			// The recipients file the text above it describes.
			os.WriteFile(filepath.Join(w.dir, "rigup.secrets.recipients"), append(readFile(t, w.key+".pub"), readFile(t, filepath.Join(w.dir, "alice.pub"))...), 0o644)
		}
		began := time.Now()
		out, err := cmd.CombinedOutput()
		t.Logf("%.1fs %s", time.Since(began).Seconds(), line)
		if err != nil {
			t.Errorf("%s: %v\n%s", line, err, out)
			continue
		}
		if check := checks[line]; check != nil {
			if msg := check(string(out)); msg != "" {
				t.Errorf("%s: %s\n%s", line, msg, out)
			}
		}
		if strings.Contains(string(out), "ctx7sk-readme") {
			t.Errorf("%s: printed the secret value", line)
		}
	}
	if got := w.output("git", "-C", w.dir, "config", "merge.rigup-secrets.driver"); strings.TrimSpace(got) != "rigup-exec secrets merge %O %A %B %P" {
		t.Errorf("the merge driver is set up as %q", got)
	}
}

func readmeFirst(lines []string, prefix string) string {
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return prefix
}

func want(ok bool, what string) string {
	if ok {
		return ""
	}
	return "expected " + what
}

// readmeNixBuild sets up what the README's nix build line builds: a flake
// whose rigs.SYSTEM.default.configRoot is a template root, built with the
// host's sh into the real store; nil when the store cannot be written here.
func readmeNixBuild(t *testing.T, w *world, line string) *exec.Cmd {
	if testing.Short() || os.Geteuid() != 0 || runtime.GOARCH != "amd64" {
		t.Logf("not run here (needs root for the Nix store, x86_64, and no -short): %s", line)
		return nil
	}
	require(t, "nix", "jq")
	w.write("flake.nix", `{
  outputs = { self }: {
    rigs.x86_64-linux.default.configRoot = derivation {
      name = "rig-config-root";
      system = "x86_64-linux";
      builder = "/bin/sh";
      args = [ "-c" "/bin/mkdir -p $out/app && echo '{{secrets.mcp.context7_api_key}}' > $out/app/key" ];
    };
  };
}
`, 0o644)
	config := "experimental-features = nix-command flakes\nsubstituters =\nsandbox = false\n"
	for _, a := range storeArgs() {
		if a == "build-users-group" {
			config += "build-users-group =\n"
		}
	}
	// A flake in a git work tree is read from what git tracks.
	if out, err := exec.Command("git", "-C", w.dir, "add", "flake.nix").CombinedOutput(); err != nil {
		t.Fatalf("git add flake.nix: %v\n%s", err, out)
	}
	cmd := w.program("sh", "-c", line)
	cmd.Env = append(cmd.Env, "NIX_CONFIG="+config, "NIX_PATH=")
	return cmd
}
