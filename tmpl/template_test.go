package tmpl

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// requireTool skips when a program is missing, except in CI, where
// RIGUP_E2E_REQUIRE=1 turns the skip into a failure.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("RIGUP_E2E_REQUIRE") == "1" {
			t.Fatalf("%s is required (RIGUP_E2E_REQUIRE=1) but not installed", name)
		}
		t.Skipf("%s not installed", name)
	}
	return path
}

func render(t *testing.T, name, src string, s *Secrets) (string, Problems) {
	t.Helper()
	out, ps := parseTemplate(name, []byte(src)).Render(s, map[string]bool{})
	return string(out), ps
}

func nastySecrets(t *testing.T) *Secrets {
	return mustSecrets(t, "[mcp]\nkey = "+nastyTOML()+"\nplain = \"abc\"\n")
}

func TestNastyValueRoundTrips(t *testing.T) {
	if got, _ := nastySecrets(t).Lookup(Path{"mcp", "key"}); got != nasty {
		t.Fatalf("TOML round trip of the nasty value failed: %q", got)
	}
}

func TestJSONFilter(t *testing.T) {
	s := nastySecrets(t)
	for _, src := range []string{
		`{"key": "{{secrets.mcp.key}}", "other": "x"}`,
		`{"key": "{{ secrets.mcp.key | json }}", "other": "x"}`,
		`{"key": "prefix-{{secrets.mcp.key}}-suffix", "other": "x"}`,
	} {
		out, ps := render(t, "config.json", src, s)
		if ps != nil {
			t.Fatal(ps)
		}
		var v map[string]string
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("rendered JSON does not parse: %v", err)
		}
		want := nasty
		if strings.Contains(src, "prefix") {
			want = "prefix-" + nasty + "-suffix"
		}
		if v["key"] != want || v["other"] != "x" || len(v) != 2 {
			t.Errorf("JSON round trip: got %q", v)
		}
	}
}

func TestTOMLFilter(t *testing.T) {
	s := nastySecrets(t)
	out, ps := render(t, "config.toml", "[server]\nkey = \"{{secrets.mcp.key}}\"\nother = \"x\"\n", s)
	if ps != nil {
		t.Fatal(ps)
	}
	var v struct{ Server map[string]string }
	if _, err := toml.Decode(out, &v); err != nil {
		t.Fatalf("rendered TOML does not parse: %v", err)
	}
	if v.Server["key"] != nasty || v.Server["other"] != "x" || len(v.Server) != 2 {
		t.Errorf("TOML round trip: got %q", v.Server)
	}
}

func TestYAMLFilter(t *testing.T) {
	// Debian's python3-yaml serves /usr/bin/python3, which may not be the
	// python3 first on PATH.
	python := ""
	for _, p := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(p, "-c", "import yaml").Run() == nil {
			python = p
			break
		}
	}
	if python == "" {
		if os.Getenv("RIGUP_E2E_REQUIRE") == "1" {
			t.Fatal("a python3 with the yaml module is required (RIGUP_E2E_REQUIRE=1)")
		}
		t.Skip("no python3 with the yaml module")
	}
	s := nastySecrets(t)
	for _, name := range []string{"config.yaml", "config.yml"} {
		out, ps := render(t, name, "server:\n  key: \"{{secrets.mcp.key}}\"\n  other: x\n", s)
		if ps != nil {
			t.Fatal(ps)
		}
		// The real YAML parser reads the file and prints the value as JSON.
		cmd := exec.Command(python, "-c", "import sys, json, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)")
		cmd.Stdin = strings.NewReader(out)
		js, err := cmd.Output()
		if err != nil {
			t.Fatalf("yaml.safe_load failed on %s: %v", name, err)
		}
		var v struct{ Server map[string]string }
		if err := json.Unmarshal(js, &v); err != nil {
			t.Fatal(err)
		}
		if v.Server["key"] != nasty || v.Server["other"] != "x" || len(v.Server) != 2 {
			t.Errorf("YAML round trip: got %q", v.Server)
		}
	}
}

func TestShellFilter(t *testing.T) {
	sh := requireTool(t, "sh")
	noNUL := strings.ReplaceAll(nasty, "\x00", "")
	s := mustSecrets(t, "key = "+mustTOML(noNUL)+"\nnul = \"a\\u0000b\"\n")
	out, ps := render(t, "env.sh", "printf '%s' {{secrets.key | shell}}; printf END\n", s)
	if ps != nil {
		t.Fatal(ps)
	}
	got, err := exec.Command(sh, "-c", out).Output()
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != noNUL+"END" {
		t.Errorf("shell round trip: got %q", got)
	}
	_, ps = render(t, "env.sh", "X={{secrets.nul|shell}}\n", s)
	if len(ps) != 1 || ps[0].Msg != "secrets.nul holds a NUL byte, which a shell word cannot carry" {
		t.Errorf("NUL in a shell word: %v", ps)
	}
}

func mustTOML(s string) string {
	v, _ := escape("toml", s)
	return `"` + v + `"`
}

func TestBase64AndRawFilters(t *testing.T) {
	s := nastySecrets(t)
	out, ps := render(t, "x.json", "{{secrets.mcp.key|base64}}", s)
	if ps != nil {
		t.Fatal(ps)
	}
	dec, err := base64.StdEncoding.DecodeString(out)
	if err != nil || string(dec) != nasty {
		t.Errorf("base64 round trip: %q, %v", dec, err)
	}
	out, ps = render(t, "x.json", "<{{secrets.mcp.key|raw}}>", s)
	if ps != nil || out != "<"+nasty+">" {
		t.Errorf("raw: %q, %v", out, ps)
	}
}

func TestDefaultFilter(t *testing.T) {
	for name, want := range map[string]string{
		"a.json": "json", "dir/A.JSON": "json", "a.toml": "toml", "a.yaml": "yaml", "a.yml": "yaml",
		"a.sh": "raw", "Makefile": "raw", "a.json.bak": "raw", ".json": "json",
	} {
		if got := defaultFilter(name); got != want {
			t.Errorf("defaultFilter(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestForeignTagsAreLeftAlone(t *testing.T) {
	s := mustSecrets(t, "k = \"V\"\n")
	src := "{{ .Values.x }} {{#each items}}{{this}}{{/each}} {% raw %}{{ jinja }}{% endraw %} {{ \"{{\" }} {{secret.k}} {{ secretsx }} {{secrets}} {{{secrets.k}}} {{ unterminated\n{{  secrets.k  }} }} {{"
	out, ps := render(t, "x.txt", src, s)
	if ps != nil {
		t.Fatal(ps)
	}
	want := "{{ .Values.x }} {{#each items}}{{this}}{{/each}} {% raw %}{{ jinja }}{% endraw %} {{ \"{{\" }} {{secret.k}} {{ secretsx }} {{secrets}} {V} {{ unterminated\nV }} {{"
	if out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}

func TestEscapedPlaceholder(t *testing.T) {
	s := mustSecrets(t, "k = \"V\"\n")
	tp := parseTemplate("x.txt", []byte(`literal \{{secrets.k}} and \{{ secrets.k | json }}, real {{secrets.k}}, other \{{x}}`))
	out, ps := tp.Render(s, nil)
	if ps != nil {
		t.Fatal(ps)
	}
	if want := `literal {{secrets.k}} and {{ secrets.k | json }}, real V, other \{{x}}`; string(out) != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}
	// A file with only escapes is still rendered, but needs no secrets.
	tp = parseTemplate("x.txt", []byte(`\{{secrets.k}}`))
	if !tp.IsTemplate() || tp.NeedsSecrets() {
		t.Errorf("escape-only file: IsTemplate=%v NeedsSecrets=%v", tp.IsTemplate(), tp.NeedsSecrets())
	}
	out, ps = tp.Render(nil, nil)
	if ps != nil || string(out) != "{{secrets.k}}" {
		t.Errorf("escape-only file rendered to %q, %v", out, ps)
	}
}

func TestSpacingAndQuotedKeys(t *testing.T) {
	s := mustSecrets(t, "[a]\n\"b.c\" = \"dot\"\n\"}}\" = \"braces\"\n\"x|y\" = \"bar\"\n")
	out, ps := render(t, "x.txt", `{{secrets.a."b.c"}}|{{ secrets.a."}}" }}|{{	secrets.a."x|y"	|	raw	}}`, s)
	if ps != nil || out != "dot|braces|bar" {
		t.Errorf("got %q, %v", out, ps)
	}
}

func TestRenderProblems(t *testing.T) {
	s := mustSecrets(t, "[mcp]\nkey = \"sk-SECRET\"\nlist = [\"sk-SECRET\"]\n")
	src := "line one\n" +
		"  {{ secrets.mcp.ky }} {{secrets.mcp}}\n" +
		"{{secrets.mcp.key | jsn}}\n" +
		"x {{ secrets.mcp.key\n" +
		"{{secrets.mcp.list}} {{secrets.mcp..key}} {{ secrets. }}\n" +
		"{{secrets.mcp.key}} is fine\n"
	out, ps := render(t, "dir/config.txt", src, s)
	if out != "" {
		t.Errorf("output despite problems: %q", out)
	}
	want := []string{
		`dir/config.txt:2:3: secrets.mcp.ky: not found (did you mean secrets.mcp.key?)`,
		`dir/config.txt:2:24: secrets.mcp is a table; a placeholder must name a single value`,
		`dir/config.txt:3:1: unknown filter "jsn" (filters: json, toml, yaml, shell, base64, raw)`,
		`dir/config.txt:4:3: unterminated placeholder (no }} on the same line)`,
		`dir/config.txt:5:1: secrets.mcp.list is an array; a placeholder must name a single value`,
		`dir/config.txt:5:22: invalid key path in "secrets.mcp..key"`,
		`dir/config.txt:5:43: empty key path in "secrets."`,
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.String())
		assertNoSecret(t, p.String())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestBrokenFormatIsAnError(t *testing.T) {
	s := mustSecrets(t, "key = 'sk-SECRET\" broken'\n")
	for _, tc := range []struct{ name, src, want string }{
		{"c.json", `{"key": "{{secrets.key|raw}}"}`, "c.json: not valid JSON after rendering (a value was inserted without json escaping)"},
		{"c.toml", "key = \"{{secrets.key|raw}}\"\n", "c.toml: not valid TOML after rendering, at line 1 (a value was inserted without toml escaping)"},
	} {
		out, ps := render(t, tc.name, tc.src, s)
		if out != "" || len(ps) != 1 || ps[0].String() != tc.want {
			t.Errorf("%s: got %q, %v", tc.name, out, ps)
		}
		assertNoSecret(t, ps.Error())
	}
	// A .toml template over maxTOMLCheck is not parsed, before or after
	// (its values are escaped all the same); one at the limit is.
	pad := func(n int) string {
		return "key = \"{{secrets.key|raw}}\"\n" + strings.Repeat("# padding line\n", n/15+1)[:n]
	}
	head := len("key = \"{{secrets.key|raw}}\"\n")
	if _, ps := render(t, "at-limit.toml", pad(maxTOMLCheck-head), s); len(ps) != 1 {
		t.Errorf("a broken .toml of %d bytes: %v, want the problem", maxTOMLCheck, ps)
	}
	if _, ps := render(t, "over.toml", pad(maxTOMLCheck-head+1), s); ps != nil {
		t.Errorf("a .toml over the limit was checked: %v", ps)
	}
	// A template that was not valid JSON to begin with is not checked.
	s = mustSecrets(t, "port = 8080\n")
	out, ps := render(t, "c.json", `{"port": {{secrets.port}}}`, s)
	if ps != nil || out != `{"port": 8080}` {
		t.Errorf("unquoted number: %q, %v", out, ps)
	}
}

func TestRenderRecordsUse(t *testing.T) {
	s := mustSecrets(t, "a = \"1\"\nb = \"2\"\n[t]\nc = \"3\"\nd = 4\n")
	used := map[string]bool{}
	if _, ps := parseTemplate("x", []byte("{{secrets.a}}{{secrets.t.c}}{{secrets.t.c}}")).Render(s, used); ps != nil {
		t.Fatal(ps)
	}
	res := &Result{Used: used}
	var unused []string
	for _, p := range res.Unused(s) {
		unused = append(unused, p.String())
	}
	if got := strings.Join(unused, " "); got != "secrets.b secrets.t.d" {
		t.Errorf("unused = %s", got)
	}
}

func TestNoTagsRendersToItself(t *testing.T) {
	src := []byte("plain {text} with } and { but no tags\n")
	out, ps := parseTemplate("x.json", src).Render(nil, nil)
	if ps != nil || !bytes.Equal(out, src) {
		t.Errorf("got %q, %v", out, ps)
	}
}

func TestPlaceholders(t *testing.T) {
	tp := parseTemplate("x", []byte(`{{secrets.a.b}} \{{secrets.escaped}} {{ secrets.c | json }} {{secrets.a.b}} {{secrets."d.e"}}`))
	if got := strings.Join(tp.Placeholders(), " "); got != `secrets.a.b secrets.c secrets."d.e"` {
		t.Errorf("Placeholders = %s", got)
	}
}
