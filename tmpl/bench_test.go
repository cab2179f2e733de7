package tmpl

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The benchmarks use the typical rig that bench/run measures end to end:
// 20 secrets in a few tables, and a template root of 50 files of which 5
// are templates.

const benchSecretsDoc = `[github]
user = "octo-dev"
token = "ghp_7Qk2vX9mR4tL8wN1pZ6cH3yB5jF0sD2aE4gU"
enterprise_token = "ghp_Ld83kQm2Vx7RtY1pN6wZ4cB9hJ0sF5aE2gUq"

[mcp]
context7_api_key = "ctx7sk-9f2c4e1a-7b3d-4c8e-a5f6-2d1b0e9c8a7f"
brave_api_key = "BSAq8Xk2mR7vL4tN9wP1zC6yH3jB5fD0sG"
exa_api_key = "3f9a2c7e-1b4d-4e8f-9a6c-5d2b1e0f8c7a"
firecrawl_api_key = "fc-4e7b2a9c1d8f4a6e9b3c7d2e5f1a8b4c"
tavily_api_key = "tvly-dev-Xk29mQ7vR4tL8wN1pZ6cH3yB5jF0"

[llm]
anthropic_api_key = "sk-ant-api03-Qm7Vx2kR9tL4wN8pZ1cH6yB3jF5sD0aE-gUq7Xk2mR9vL4tN8wP1zC6yH3"
openai_api_key = "sk-proj-8Xk2mR7vL4tN9wP1zC6yH3jB5fD0sGq7Vx2kR9tL4"
openrouter_api_key = "sk-or-v1-4e7b2a9c1d8f4a6e9b3c7d2e5f1a8b4c9d2e7f1a"
gemini_api_key = "AIzaSyD-9tL4wN8pZ1cH6yB3jF5sD0aEgUq7Xk2"

[aws]
access_key_id = "AKIAQX7V2K9RT4LW8NPZ"
secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYQX7V2K9RT4"
region = "eu-west-3"

[registry]
npm_token = "npm_Xk29mQ7vR4tL8wN1pZ6cH3yB5jF0sD2aE4gU"
pypi_token = "pypi-AgEIcHlwaS5vcmcCJDk4ZjJjNGUxYS03YjNkLTRjOGUtYTVmNi0yZDFi"
cargo_token = "cio7Xk29mQ7vR4tL8wN1pZ6cH3yB5jF0sD2"
docker_password = "dckr_pat_Qm7Vx2kR9tL4wN8pZ1cH6yB3jF5"

[sentry]
auth_token = "sntrys_eyJpYXQiOjE3MDAwMDAwMDB9_Xk29mQ7vR4tL8wN1pZ6cH3yB5jF0"
`

// benchTemplates are the five templates: one per default filter, a
// gitconfig (raw) and an env file (shell); together they use every secret.
var benchTemplates = map[string]string{
	"claude/settings.json": `{
  "model": "opus",
  "permissions": { "allow": ["Bash(git status)", "Bash(go test:*)"], "deny": ["Read(./.env)"] },
  "mcpServers": {
    "context7": { "command": "context7-mcp", "env": { "CONTEXT7_API_KEY": "{{ secrets.mcp.context7_api_key }}" } },
    "brave": { "command": "brave-search-mcp", "env": { "BRAVE_API_KEY": "{{ secrets.mcp.brave_api_key }}" } },
    "exa": { "command": "exa-mcp", "env": { "EXA_API_KEY": "{{ secrets.mcp.exa_api_key }}" } },
    "github": { "command": "github-mcp-server", "args": ["stdio"], "env": { "GITHUB_PERSONAL_ACCESS_TOKEN": "{{ secrets.github.token }}" } },
    "sentry": { "command": "sentry-mcp", "env": { "SENTRY_AUTH_TOKEN": "{{ secrets.sentry.auth_token }}" } }
  }
}
`,
	"gh/hosts.yml": `github.com:
  user: "{{ secrets.github.user }}"
  oauth_token: "{{ secrets.github.token }}"
  git_protocol: ssh
github.example.com:
  user: "{{ secrets.github.user }}"
  oauth_token: "{{ secrets.github.enterprise_token }}"
  git_protocol: https
`,
	"git/config": `[user]
	name = Octo Dev
	email = octo@example.com
[init]
	defaultBranch = main
[credential "https://github.com"]
	helper = "!f() { echo username={{ secrets.github.user | raw }}; echo password={{ secrets.github.token | raw }}; }; f"
[pull]
	rebase = true
`,
	"mcp/servers.toml": `[servers.firecrawl]
command = "firecrawl-mcp"
env = { FIRECRAWL_API_KEY = "{{ secrets.mcp.firecrawl_api_key }}" }

[servers.tavily]
command = "tavily-mcp"
env = { TAVILY_API_KEY = "{{ secrets.mcp.tavily_api_key }}" }

[servers.llm-router]
command = "llm-router-mcp"
env = { OPENROUTER_API_KEY = "{{ secrets.llm.openrouter_api_key }}", GEMINI_API_KEY = "{{ secrets.llm.gemini_api_key }}" }
`,
	"shell/secrets.env": `# sourced by the rig's shell hook
export ANTHROPIC_API_KEY={{ secrets.llm.anthropic_api_key | shell }}
export OPENAI_API_KEY={{ secrets.llm.openai_api_key | shell }}
export AWS_ACCESS_KEY_ID={{ secrets.aws.access_key_id | shell }}
export AWS_SECRET_ACCESS_KEY={{ secrets.aws.secret_access_key | shell }}
export AWS_REGION={{ secrets.aws.region | shell }}
export NPM_TOKEN={{ secrets.registry.npm_token | shell }}
export TWINE_PASSWORD={{ secrets.registry.pypi_token | shell }}
export CARGO_REGISTRY_TOKEN={{ secrets.registry.cargo_token | shell }}
export DOCKER_PASSWORD={{ secrets.registry.docker_password | shell }}
`,
}

// benchPlainDirs spreads the 45 plain files over nested directories.
var benchPlainDirs = []string{
	"claude", "claude/agents", "claude/commands", "claude/hooks", "gh", "git", "git/hooks",
	"mcp", "mcp/servers.d", "nvim", "nvim/lua/plugins", "tmux", "direnv", "lazygit", "cargo",
}

// writeBenchRig writes the 50-file template root under dir: the templates,
// and 45 plain files of 256 bytes to 4 KiB.
func writeBenchRig(b *testing.B, dir string) {
	b.Helper()
	files := map[string]string{}
	for name, src := range benchTemplates {
		files[name] = src
	}
	line := "option = \"a typical setting, with {{ .Go }} tags left alone\"\n"
	for i := range 45 {
		size := 256 + i*977%3840
		body := strings.Repeat(line, size/len(line)+1)[:size]
		files[fmt.Sprintf("%s/plain%02d.conf", benchPlainDirs[i%len(benchPlainDirs)], i)] = body
	}
	for name, src := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseSecrets(b *testing.B) {
	if n := len(mustSecrets(b, benchSecretsDoc).Leaves()); n != 20 {
		b.Fatalf("%d secrets, want 20", n)
	}
	doc := []byte(benchSecretsDoc)
	for b.Loop() {
		if _, err := ParseSecrets(doc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRender renders the five templates, parsed once as Load parses
// them, with the secrets decoded once: what check and run do between
// decrypting and writing.
func BenchmarkRender(b *testing.B) {
	secrets := mustSecrets(b, benchSecretsDoc)
	tree := &Tree{}
	for name, src := range benchTemplates {
		tree.Templates = append(tree.Templates, &File{Template: parseTemplate(name, []byte(src)), Mode: 0o644})
	}
	res, err := tree.Render(secrets)
	if err != nil {
		b.Fatal(err)
	}
	if unused := res.Unused(secrets); len(res.Files) != 5 || len(unused) != 0 {
		b.Fatalf("rendered %d files, unused secrets %v", len(res.Files), unused)
	}
	for b.Loop() {
		res, err := tree.Render(secrets)
		if err != nil {
			b.Fatal(err)
		}
		res.Wipe()
	}
}

func BenchmarkLoad(b *testing.B) {
	root := b.TempDir()
	writeBenchRig(b, root)
	tree, err := Load(root, nil)
	if err != nil {
		b.Fatal(err)
	}
	if len(tree.Templates) != 5 || len(tree.Plain) != 45 {
		b.Fatalf("%d templates and %d plain files, want 5 and 45", len(tree.Templates), len(tree.Plain))
	}
	for b.Loop() {
		if _, err := Load(root, nil); err != nil {
			b.Fatal(err)
		}
	}
}
