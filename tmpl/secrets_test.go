package tmpl

import (
	"errors"
	"strings"
	"testing"
)

const nasty = "sk-\"quote\" 'single' \\back\\slash\nnew\r\nline\ttab \x00nul \x01\x1b[31m \x7f del \u0085 nel \u2028\u2029 ünïcødé 🔑 }} {{ ${HOME} $(id) `id` # ; | & * ?"

// nastyTOML is nasty written as a TOML basic string.
func nastyTOML() string {
	v, _ := escape("toml", nasty)
	return `"` + v + `"`
}

func mustSecrets(t testing.TB, doc string) *Secrets {
	t.Helper()
	s, err := ParseSecrets([]byte(doc))
	if err != nil {
		t.Fatalf("ParseSecrets: %v", err)
	}
	return s
}

func TestLookupValues(t *testing.T) {
	s := mustSecrets(t, `
top = "t"
int = 42
neg = -7
hex = 0xff
float = 3.5
exp = 1e6
whole = 2.0
inf = inf
bool = true
odt = 1979-05-27T07:32:00.5-07:00
utc = 1979-05-27T07:32:00Z
ldt = 1979-05-27T07:32:00
ld = 1979-05-27
lt = 07:32:00.25
"a.b" = "dotted"
[mcp]
context7_api_key = "ctx"
[deep.er.still]
key = "deep"
`)
	for path, want := range map[string]string{
		"top":                  "t",
		"int":                  "42",
		"neg":                  "-7",
		"hex":                  "255",
		"float":                "3.5",
		"exp":                  "1e+06",
		"whole":                "2.0",
		"inf":                  "inf",
		"bool":                 "true",
		"odt":                  "1979-05-27T07:32:00.5-07:00",
		"utc":                  "1979-05-27T07:32:00Z",
		"ldt":                  "1979-05-27T07:32:00",
		"ld":                   "1979-05-27",
		"lt":                   "07:32:00.25",
		`"a.b"`:                "dotted",
		"mcp.context7_api_key": "ctx",
		"deep.er.still.key":    "deep",
	} {
		p, err := parsePath(path)
		if err != nil {
			t.Fatalf("parsePath(%q): %v", path, err)
		}
		got, err := s.Lookup(p)
		if err != nil || got != want {
			t.Errorf("Lookup(%s) = %q, %v; want %q", path, got, err, want)
		}
	}
}

func TestTextFormIsTOML(t *testing.T) {
	// Every non-string leaf, written back into TOML as it is, is the same value.
	doc := "a = 42\nb = 3.5\nc = 1e300\nd = -0.0\ne = true\nf = 1979-05-27T07:32:00Z\ng = 1979-05-27\nh = 07:32:00\ni = 1979-05-27T07:32:00\nj = -inf\nk = 5e-324\n"
	s := mustSecrets(t, doc)
	var again strings.Builder
	for _, p := range s.Leaves() {
		v, err := s.Lookup(p)
		if err != nil {
			t.Fatal(err)
		}
		again.WriteString(p[0] + " = " + v + "\n")
	}
	s2 := mustSecrets(t, again.String())
	for _, p := range s.Leaves() {
		a, _ := s.Lookup(p)
		b, _ := s2.Lookup(p)
		if a != b {
			t.Errorf("%s: %q became %q", p, a, b)
		}
	}
}

func TestLookupErrors(t *testing.T) {
	s := mustSecrets(t, `
list = ["sk-LIST"]
[mcp]
context7_api_key = "sk-SECRET-1"
github_token = "sk-SECRET-2"
[[servers]]
name = "sk-SECRET-3"
`)
	for _, tc := range []struct{ path, want string }{
		{"mcp.context7_api_ky", `secrets.mcp.context7_api_ky: not found (did you mean secrets.mcp.context7_api_key?)`},
		{"mcp.nothing_like_it", `secrets.mcp.nothing_like_it: not found`},
		{"nope.x", `secrets.nope.x: not found`},
		{"mcp", `secrets.mcp is a table; a placeholder must name a single value`},
		{"list", `secrets.list is an array; a placeholder must name a single value`},
		{"servers", `secrets.servers is an array; a placeholder must name a single value`},
		{"mcp.github_token.x", `secrets.mcp.github_token.x: not found (secrets.mcp.github_token is a string)`},
	} {
		p, err := parsePath(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Lookup(p)
		var le *lookupError
		if !errors.As(err, &le) {
			t.Fatalf("Lookup(%s): %v, want a *lookupError", tc.path, err)
		}
		if err.Error() != tc.want {
			t.Errorf("Lookup(%s):\n got %s\nwant %s", tc.path, err, tc.want)
		}
		assertNoSecret(t, err.Error())
	}
}

func assertNoSecret(t testing.TB, msg string) {
	t.Helper()
	for _, bad := range []string{"sk-", "SECRET", "LIST"} {
		if strings.Contains(msg, bad) {
			t.Errorf("message leaks %q: %s", bad, msg)
		}
	}
}

func TestParseSecretsErrorHidesContent(t *testing.T) {
	for _, doc := range []string{
		"key = sk-SECRET-unquoted\n",
		"[mcp]\nkey = \"sk-SECRET-unterminated\n",
		"a = 1\na = \"sk-SECRET-dup\"\n",
		"x = \"sk-SECRET\" trailing-sk-SECRET\n",
		"\"sk-SECRET-key-looking\n",
		"k = 'sk-SECRET\x00'\n",
		"a = 1\nsk-SECRET-pasted-alone\n",
		"[mcp]\nsk-SECRET-as-key =\n",
	} {
		_, err := ParseSecrets([]byte(doc))
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Fatalf("ParseSecrets(%q) = %v, want a *SyntaxError", doc, err)
		}
		if se.Line < 1 {
			t.Errorf("no line in %v", err)
		}
		assertNoSecret(t, err.Error())
	}
}

func TestParsePath(t *testing.T) {
	for in, want := range map[string]string{
		"a":             "secrets.a",
		"a.b-c.d_e":     "secrets.a.b-c.d_e",
		`a."b.c"`:       `secrets.a."b.c"`,
		`"x y"."}}"`:    `secrets."x y"."}}"`,
		`"".a`:          `secrets."".a`,
		"0.1":           "secrets.0.1",
		`"ü".b`:         `secrets."ü".b`,
		`"a|b"`:         `secrets."a|b"`,
		"CamelCase.KEY": "secrets.CamelCase.KEY",
	} {
		p, err := parsePath(in)
		if err != nil {
			t.Errorf("parsePath(%q): %v", in, err)
			continue
		}
		if p.String() != want {
			t.Errorf("parsePath(%q).String() = %q, want %q", in, p, want)
		}
	}
	for _, in := range []string{"", ".", "a.", ".a", "a..b", `"a`, `a."b`, "a b", "a.b c", "a/b", `"a"b`, "\"a\nb\""} {
		if p, err := parsePath(in); err == nil {
			t.Errorf("parsePath(%q) = %v, want an error", in, p)
		}
	}
}

// Each kind of mistake is named by a fixed phrase, and no part of the
// file's text (here the secret sk-LEAK) is in the message.
func TestSyntaxErrorKinds(t *testing.T) {
	for _, tc := range []struct{ src, kind string }{
		{"k = \"sk-LEAK\n", "a string goes past the end of its line"},
		{"k = \"\"\"sk-LEAK", "a string is not closed"},
		{"k = 'sk-LEAK", "a string is not closed"},
		{`k = "sk-\LEAK"`, "a backslash starts an invalid escape"},
		{"k = \"sk-\x01LEAK\"", "a control character"},
		{"k = 1\nk = \"sk-LEAK\"", "a key or table is defined twice"},
		{"[t]\nk = 1\n[t]\nsk-LEAK = 2", "a key or table is defined twice"},
		{"k = sk-LEAK", "a value is missing, or a string has no quotes"},
		{"k =", "a value is missing, or a string has no quotes"},
		{"k = 1 sk-LEAK", "something follows a value on its line"},
		{"my key = 1", "a key is not followed by ="},
		{"sk-LEAK", "a key is not followed by ="},
		{"= \"sk-LEAK\"", "a key is missing before ="},
		{"[sk-LEAK\nk = 1", "a [table] header is malformed"},
		{"[]\n", "a [table] header is malformed"},
		{"k = [1, 2\nj = 3", "an array or inline table is not closed, or misses a comma"},
		{"k = {a = 1", "an array or inline table is not closed, or misses a comma"},
		{"k = 0x", "a number is malformed or out of range"},
		{"k = 99999999999999999999", "a number is malformed or out of range"},
		{"k = 1979-13-45T00:00:00Z", "a date or time is malformed"},
		{"k = \"\xff\"", "the text is not UTF-8"},
	} {
		_, err := ParseSecrets([]byte(tc.src))
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%q: %v, want a SyntaxError", tc.src, err)
			continue
		}
		if !strings.HasPrefix(se.Kind, tc.kind) {
			t.Errorf("%q: kind %q, want %q", tc.src, se.Kind, tc.kind)
		}
		if strings.Contains(err.Error(), "LEAK") {
			t.Errorf("%q: the message holds the file's text: %v", tc.src, err)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		d    int
	}{
		{"", "", 0}, {"check", "check", 0}, {"chekc", "check", 1}, {"chck", "check", 1}, {"checks", "check", 1},
		{"ab", "ba", 1}, {"abc", "ca", 3}, {"kitten", "sitting", 3}, {"", "abc", 3}, {"doctro", "doctor", 1},
	} {
		if got := editDistance(tc.a, tc.b); got != tc.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.d)
		}
	}
	if i := Closest("chekc", []string{"run", "check", "secrets"}); i != 1 {
		t.Errorf("Closest(chekc) = %d, want check", i)
	}
}
