package project

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"rigup-exec/tmpl"
)

// decode flattens a TOML text, failing the test if it is not valid.
func decode(t *testing.T, text string) map[string]leaf {
	t.Helper()
	s, err := tmpl.ParseSecrets([]byte(text))
	if err != nil {
		t.Fatalf("not valid TOML: %v\n%s", err, text)
	}
	return flatten(s.Document())
}

// expectValues checks that text decodes to exactly the values of want.
func expectValues(t *testing.T, text, want string) {
	t.Helper()
	got, w := decode(t, text), decode(t, want)
	for _, k := range unionKeys(got, w) {
		g, inG := got[k]
		x, inW := w[k]
		switch {
		case !inG:
			t.Errorf("%s is missing", k)
		case !inW:
			t.Errorf("%s should not be there", k)
		case !sameValue(g.value, x.value):
			t.Errorf("%s = %s, want %s", k, appendValue(nil, g.value), appendValue(nil, x.value))
		}
	}
	if t.Failed() {
		t.Logf("merged text:\n%s", text)
	}
}

// Every kind of TOML value, in every way of writing it that decodes to
// something else than the obvious: what a merge must carry over exactly.
const everyType = `# every type
plain = "sk-plain"
quotes = "a \"quoted\" \\ back\\slash"
literal = 'C:\Users\nobody'
control = "nul \u0000 bell \u0007 esc \u001b del \u007f tab	end"
unicode = "é ☃ 𝄞 \u2028"
multi = """
line one
  "line" two\
  joined
"""
multiliteral = '''
raw \n ''two'' quotes
'''
crlf = "a\r\nb"
empty = ""
int = 42
negative = -17
hex = 0xdead_beef
octal = 0o755
binary = 0b1101
max = 9223372036854775807
min = -9223372036854775808
float = 3.14159
tiny = 5e-324
huge = 1.7976931348623157e308
exp = 6.02e23
round = 123456789.0
onedot = 1e21
negzero = -0.0
inf = inf
neginf = -inf
nan = nan
yes = true
no = false
odt = 1979-05-27T07:32:00.999999-07:00
utc = 1979-05-27T07:32:00Z
ldt = 1979-05-27T07:32:00.123456789
ld = 1979-05-27
lt = 07:32:00.5
array = [1, 2, 3]
emptyarray = []
nested = [[1, 2], ["a", "b"], []]
mixed = [1, "two", 3.0, true, 1979-05-27, { k = "v" }]
inline = { a = 1, b = { c = "d" }, "e.f" = [] }
"quoted.key" = "dotted"
"" = "empty key"
"with \"quote\" and\nnewline" = "odd key"
"spaced key" = 1
"ünïcode" = "key"
dotted.inline.key = "x"

[table]
key = "value"

[table.sub]
deep = { deeper = { deepest = 1 } }

[emptytable]

[[aot]]
name = "first"
list = [1]
[aot.sub]
x = 1

[[aot]]
name = "second"
`

// A document written anew from the values of every type decodes to the
// same values.
func TestWriteDocumentRoundTrip(t *testing.T) {
	leaves := decode(t, everyType)
	text := string(writeDocument(leaves))
	expectValues(t, text, everyType)
	if strings.Contains(text, "# every type") {
		t.Error("a document written anew kept a comment")
	}
	// And again: writing is stable.
	if again := string(writeDocument(decode(t, text))); again != text {
		t.Errorf("written twice differently:\n%s\n---\n%s", text, again)
	}
}

func TestSameValue(t *testing.T) {
	l := decode(t, `
nan1 = nan
nan2 = -nan
zero = 0.0
negzero = -0.0
a = 1979-05-27T07:32:00Z
b = 1979-05-27T00:32:00-07:00
c = 1979-05-27T07:32:00+00:00
d = 1979-05-27T07:32:00
int = 1
float = 1.0
str = "1"
inline = [{ k = 1 }, { k = 2 }]
[[aot]]
k = 1
[[aot]]
k = 2
`)
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"nan1", "nan2", true},
		{"zero", "negzero", false},
		{"a", "b", false}, // one instant, another offset
		{"a", "c", true},  // Z is +00:00
		{"a", "d", false}, // a local datetime is not an instant
		{"int", "float", false},
		{"int", "str", false},
		{"inline", "aot", true}, // [[aot]] and an inline array of tables
	} {
		if got := sameValue(l[tc.a].value, l[tc.b].value); got != tc.same {
			t.Errorf("sameValue(%s, %s) = %v", tc.a, tc.b, got)
		}
	}
}

func TestMergeSecrets(t *testing.T) {
	const base = `# the team's secrets
[mcp]
# from context7.com
context7 = "ctx-0"
other = "o-0"

[db]
url = "pg-0"
port = 5432
`
	for _, tc := range []struct {
		name                string
		base, ours, theirs  string
		prefer              Prefer
		want                string // the values, when it merges
		layout              Layout
		conflicts           []Conflict
		fromOurs, fromTheir []string
		keep                []string // text the merged text keeps
	}{
		{
			name: "ours unchanged: theirs verbatim", base: base, ours: base,
			theirs: strings.Replace(base, "ctx-0", "ctx-1", 1),
			want:   strings.Replace(base, "ctx-0", "ctx-1", 1), layout: Verbatim,
			fromTheir: []string{"mcp.context7"},
		},
		{
			name: "theirs unchanged: ours verbatim", base: base, theirs: base,
			ours: strings.Replace(base, "ctx-0", "ctx-1", 1) + "# a note\n",
			want: strings.Replace(base, "ctx-0", "ctx-1", 1), layout: Verbatim,
			fromOurs: []string{"mcp.context7"}, keep: []string{"# a note"},
		},
		{
			name: "different keys in different places", base: base,
			ours:   strings.Replace(base, "ctx-0", "ctx-ours", 1),
			theirs: strings.Replace(base, "pg-0", "pg-theirs", 1),
			want:   strings.Replace(strings.Replace(base, "ctx-0", "ctx-ours", 1), "pg-0", "pg-theirs", 1),
			layout: LinesMerged, fromOurs: []string{"mcp.context7"}, fromTheir: []string{"db.url"},
			keep: []string{"# from context7.com", "# the team's secrets"},
		},
		{
			name: "keys on adjacent lines", base: base,
			ours:   strings.Replace(base, "ctx-0", "ctx-ours", 1),
			theirs: strings.Replace(base, "o-0", "o-theirs", 1),
			want:   strings.Replace(strings.Replace(base, "ctx-0", "ctx-ours", 1), "o-0", "o-theirs", 1),
			layout: LinesMerged, keep: []string{"# from context7.com"},
		},
		{
			name: "keys added at one place", base: base,
			ours:   base + "user = \"admin\"\n",
			theirs: base + "# replica\nreplica = \"pg-r\"\n",
			want:   base + "user = \"admin\"\nreplica = \"pg-r\"\n",
			layout: LinesMerged, keep: []string{"# replica"},
		},
		{
			name: "comments only on one side, a value on the other", base: base,
			ours:   strings.Replace(base, "# from context7.com", "# from context7.com, rotated monthly", 1),
			theirs: strings.Replace(base, "pg-0", "pg-1", 1),
			want:   strings.Replace(base, "pg-0", "pg-1", 1),
			layout: LinesMerged, keep: []string{"rotated monthly"},
		},
		{
			name: "a key deleted on one side, another changed on the other", base: base,
			ours:   strings.Replace(base, "other = \"o-0\"\n", "", 1),
			theirs: strings.Replace(base, "pg-0", "pg-1", 1),
			want:   strings.Replace(strings.Replace(base, "other = \"o-0\"\n", "", 1), "pg-0", "pg-1", 1),
			layout: LinesMerged,
		},
		{
			name: "the same change on both sides", base: base,
			ours:   strings.Replace(base, "ctx-0", "ctx-1", 1),
			theirs: strings.Replace(base, "ctx-0", "ctx-1", 1) + "extra = 1\n",
			want:   strings.Replace(base, "ctx-0", "ctx-1", 1) + "extra = 1\n",
			layout: LinesMerged,
		},
		{
			name: "the same value, written differently", base: base,
			ours:   strings.Replace(base, `"ctx-0"`, `'ctx-1'`, 1),
			theirs: strings.Replace(base, `"ctx-0"`, `"ctx-\u0031"`, 1),
			want:   strings.Replace(base, "ctx-0", "ctx-1", 1),
		},
		{
			name: "the same key added alike", base: base,
			ours:   strings.Replace(base, "[db]\n", "[db]\nuser = \"u\"\n", 1),
			theirs: base + "user = \"u\"\n",
			want:   base + "user = \"u\"\n",
		},
		{
			name: "the same key deleted on both sides", base: base,
			ours:   strings.Replace(base, "port = 5432\n", "", 1),
			theirs: strings.Replace(strings.Replace(base, "port = 5432\n", "", 1), "pg-0", "pg-1", 1),
			want:   strings.Replace(strings.Replace(base, "port = 5432\n", "", 1), "pg-0", "pg-1", 1),
			layout: LinesMerged,
		},
		{
			name: "changed on both sides", base: base,
			ours:      strings.Replace(base, "ctx-0", "ctx-ours", 1),
			theirs:    strings.Replace(strings.Replace(base, "ctx-0", "ctx-theirs", 1), "pg-0", "pg-1", 1),
			conflicts: []Conflict{{"mcp.context7", BothChanged}},
		},
		{
			name: "changed by ours, deleted by theirs", base: base,
			ours:      strings.Replace(base, "5432", "6432", 1),
			theirs:    strings.Replace(base, "port = 5432\n", "", 1),
			conflicts: []Conflict{{"db.port", TheirsDeleted}},
		},
		{
			name: "deleted by ours, changed by theirs", base: base,
			ours:      strings.Replace(base, "[db]\nurl = \"pg-0\"\nport = 5432\n", "", 1),
			theirs:    strings.Replace(base, "5432", "6432", 1),
			conflicts: []Conflict{{"db.port", OursDeleted}},
		},
		{
			name: "added on both sides, differently", base: base,
			ours:      base + "user = \"a\"\n",
			theirs:    base + "user = \"b\"\n",
			conflicts: []Conflict{{"db.user", BothAdded}},
		},
		{
			name: "a value on one side, a table on the other", base: base,
			ours:      base + "[db.replica]\nurl = \"pg-r\"\n",
			theirs:    base + "replica = \"pg-r\"\n",
			conflicts: []Conflict{{"db.replica", ValueAndTable}},
		},
		{
			name: "a table made a value while the other adds to it", base: base,
			ours:      strings.Replace(base, "port = 5432\n", "port = 5432\nuser = \"u\"\n", 1),
			theirs:    "db = \"pg-0\"\n" + strings.Replace(base, "[db]\nurl = \"pg-0\"\nport = 5432\n", "", 1),
			conflicts: []Conflict{{"db", ValueAndTable}},
		},
		{
			name: "a table made a value, the other side unchanged", base: base, ours: base,
			theirs: "db = \"pg-0\"\n" + strings.Replace(base, "[db]\nurl = \"pg-0\"\nport = 5432\n", "", 1),
			want:   "db = \"pg-0\"\n[mcp]\ncontext7 = \"ctx-0\"\nother = \"o-0\"\n", layout: Verbatim,
		},
		{
			name: "several conflicts, in order", base: base,
			ours:      strings.Replace(strings.Replace(base, "ctx-0", "a", 1), "pg-0", "a", 1),
			theirs:    strings.Replace(strings.Replace(base, "ctx-0", "b", 1), "pg-0", "b", 1),
			conflicts: []Conflict{{"db.url", BothChanged}, {"mcp.context7", BothChanged}},
		},
		{
			name: "settled with ours", base: base, prefer: PreferOurs,
			ours:   strings.Replace(strings.Replace(base, "ctx-0", "ctx-ours", 1), "port = 5432\n", "", 1),
			theirs: strings.Replace(strings.Replace(strings.Replace(base, "ctx-0", "ctx-theirs", 1), "5432", "6432", 1), "o-0", "o-1", 1),
			want:   strings.Replace(strings.Replace(strings.Replace(base, "ctx-0", "ctx-ours", 1), "port = 5432\n", "", 1), "o-0", "o-1", 1),
			layout: LinesMerged, keep: []string{"# from context7.com"},
		},
		{
			name: "settled with theirs", base: base, prefer: PreferTheirs,
			ours:   strings.Replace(strings.Replace(base, "ctx-0", "ctx-ours", 1), "port = 5432\n", "", 1),
			theirs: strings.Replace(strings.Replace(strings.Replace(base, "ctx-0", "ctx-theirs", 1), "5432", "6432", 1), "o-0", "o-1", 1),
			want:   strings.Replace(strings.Replace(strings.Replace(base, "ctx-0", "ctx-theirs", 1), "5432", "6432", 1), "o-0", "o-1", 1),
			layout: LinesMerged,
		},
		{
			name: "a shape conflict settled with theirs", base: base, prefer: PreferTheirs,
			ours:   base + "[db.replica]\nurl = \"pg-r\"\n",
			theirs: base + "replica = \"pg-r\"\n",
			want:   base + "replica = \"pg-r\"\n",
		},
		{
			name: "a shape conflict settled with ours", base: base, prefer: PreferOurs,
			ours:   base + "[db.replica]\nurl = \"pg-r\"\nport = 1\n",
			theirs: base + "replica = \"pg-r\"\n",
			want:   base + "[db.replica]\nurl = \"pg-r\"\nport = 1\n",
		},
		{
			name: "no common ancestor", base: "",
			ours:   "[a]\nx = 1\n",
			theirs: "[b]\ny = 2\n",
			want:   "[a]\nx = 1\n[b]\ny = 2\n", layout: LinesMerged,
		},
		{
			name: "no common ancestor, a key on both sides", base: "",
			ours: "x = 1\n", theirs: "x = 2\n",
			conflicts: []Conflict{{"x", BothAdded}},
		},
		{
			name: "an empty table kept, one that gets keys no longer empty", base: "[t]\nk = 1\n",
			ours:   "[t]\n[u]\n",
			theirs: "[t]\nk = 1\n[u]\nv = 1\n",
			want:   "[t]\n[u]\nv = 1\n", layout: Rewritten,
		},
		{
			name: "texts that do not merge by line: written anew", base: base,
			ours:   strings.Replace(base, "ctx-0", "ctx-ours", 1),
			theirs: "mcp = { context7 = \"ctx-0\", other = \"o-0\" }\ndb = { url = \"pg-theirs\", port = 5432 }\n",
			want:   strings.Replace(strings.Replace(base, "ctx-0", "ctx-ours", 1), "pg-0", "pg-theirs", 1),
			layout: Rewritten,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := MergeSecrets([]byte(tc.base), []byte(tc.ours), []byte(tc.theirs), tc.prefer)
			if tc.conflicts != nil {
				var ce *ConflictError
				if !errors.As(err, &ce) || !reflect.DeepEqual(ce.Conflicts, tc.conflicts) {
					t.Fatalf("error %v, want conflicts %v", err, tc.conflicts)
				}
				for _, secret := range []string{"ctx-ours", "ctx-theirs", "pg-r", "6432", `"a"`, `"b"`, "pg-0"} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("the error holds a value: %v", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			expectValues(t, string(m.Text), tc.want)
			if m.Layout != tc.layout {
				t.Errorf("layout %v, want %v", m.Layout, tc.layout)
			}
			for _, k := range tc.keep {
				if !strings.Contains(string(m.Text), k) {
					t.Errorf("the merge lost %q:\n%s", k, m.Text)
				}
			}
			if tc.fromOurs != nil && !reflect.DeepEqual(m.FromOurs, tc.fromOurs) {
				t.Errorf("from ours %v, want %v", m.FromOurs, tc.fromOurs)
			}
			if tc.fromTheir != nil && !reflect.DeepEqual(m.FromTheirs, tc.fromTheir) {
				t.Errorf("from theirs %v, want %v", m.FromTheirs, tc.fromTheir)
			}
		})
	}
}

// Every type of value, changed on one side or the other, is merged
// exactly: whether the texts merge line by line or are written anew.
func TestMergeEveryType(t *testing.T) {
	// Each key of everyType changed on one side, alternately.
	leaves := decode(t, everyType)
	keys := sortedKeys(leaves)
	changed := func(v any) any {
		switch v := v.(type) {
		case string:
			return v + "-changed"
		case int64:
			return v ^ 1
		case float64:
			if math.IsNaN(v) {
				return 1.5
			}
			return -v + 0.25
		case bool:
			return !v
		case emptyTable:
			return "no longer a table"
		}
		return "replaced"
	}
	ours, theirs, want := map[string]leaf{}, map[string]leaf{}, map[string]leaf{}
	for i, k := range keys {
		l := leaves[k]
		c := leaf{path: l.path, value: changed(l.value)}
		ours[k], theirs[k], want[k] = l, l, c
		if i%2 == 0 {
			ours[k] = c
		} else {
			theirs[k] = c
		}
	}
	baseText := writeDocument(leaves)
	for _, layout := range []string{"written alike", "theirs written otherwise"} {
		t.Run(layout, func(t *testing.T) {
			oursText, theirsText := writeDocument(ours), writeDocument(theirs)
			if layout != "written alike" {
				// Dotted keys at the root: no line of theirs is
				// as base has it.
				var b []byte
				for _, k := range sortedKeys(theirs) {
					b = append(append(append(b, k...), " = "...), appendValue(nil, theirs[k].value)...)
					b = append(b, '\n')
				}
				theirsText = b
			}
			m, err := MergeSecrets(baseText, oursText, theirsText, PreferNone)
			if err != nil {
				t.Fatal(err)
			}
			expectValues(t, string(m.Text), string(writeDocument(want)))
			if wantLayout := LinesMerged; layout != "written alike" && m.Layout != Rewritten || layout == "written alike" && m.Layout != wantLayout {
				t.Errorf("layout %v", m.Layout)
			}
		})
	}
}

func TestMergeSecretsInvalid(t *testing.T) {
	valid := "k = 1\n"
	for _, tc := range []struct {
		base, ours, theirs string
		version            Version
	}{
		{"k = ", valid, valid, Base},
		{valid, "sk-pasted-alone", valid, Ours},
		{valid, valid, "[t]\nk = \"unterminated\n", Theirs},
	} {
		_, err := MergeSecrets([]byte(tc.base), []byte(tc.ours), []byte(tc.theirs), PreferNone)
		var ve *VersionError
		var se *tmpl.SyntaxError
		if !errors.As(err, &ve) || ve.Version != tc.version || !errors.As(err, &se) {
			t.Errorf("error %v, want a syntax error of %s", err, tc.version)
		}
		if err != nil && (strings.Contains(err.Error(), "sk-pasted") || strings.Contains(err.Error(), "unterminated")) {
			t.Errorf("the error quotes the text: %v", err)
		}
	}
}

func TestConflictString(t *testing.T) {
	e := &ConflictError{Conflicts: []Conflict{{"a.b", BothChanged}, {`"x.y"`, TheirsDeleted}}}
	want := `2 keys in conflict: a.b (changed on both sides), "x.y" (changed by ours, deleted by theirs)`
	if e.Error() != want {
		t.Errorf("%q\nwant %q", e.Error(), want)
	}
}

func TestDotted(t *testing.T) {
	for _, tc := range []struct {
		path []string
		want string
	}{
		{[]string{"mcp", "context7_api_key"}, "mcp.context7_api_key"},
		{[]string{"a.b", "c"}, `"a.b".c`},
		{[]string{""}, `""`},
		{[]string{"new\nline", `q"uote`}, `"new\nline"."q\"uote"`},
	} {
		if got := dotted(tc.path); got != tc.want {
			t.Errorf("dotted(%q) = %s, want %s", tc.path, got, tc.want)
		}
	}
}

func ExampleMergeSecrets() {
	base := "# shared\n[mcp]\nkey = \"k0\"\n[db]\nurl = \"u0\"\n"
	ours := "# shared\n[mcp]\nkey = \"k1\"\n[db]\nurl = \"u0\"\n"
	theirs := "# shared\n[mcp]\nkey = \"k0\"\n[db]\nurl = \"u1\"\n"
	m, _ := MergeSecrets([]byte(base), []byte(ours), []byte(theirs), PreferNone)
	fmt.Print(string(m.Text))
	_, err := MergeSecrets([]byte(base), []byte(ours), []byte(strings.Replace(base, "k0", "k2", 1)), PreferNone)
	fmt.Println(err)
	// Output:
	// # shared
	// [mcp]
	// key = "k1"
	// [db]
	// url = "u1"
	// 1 key in conflict: mcp.key (changed on both sides)
}

// Whatever valid TOML is given, the document written anew from its values
// decodes to the same values.
func FuzzWriteDocument(f *testing.F) {
	f.Add(everyType)
	f.Add("a = 1\n[b]\nc = [{ d = 'e' }]\n[[f]]\ng = 1979-05-27T07:32:00Z\n")
	f.Add("\"\\u0000\" = \"\\u007f\"\nx.\"y.z\" = -0.0\n")
	f.Fuzz(func(t *testing.T, text string) {
		s, err := tmpl.ParseSecrets([]byte(text))
		if err != nil {
			return
		}
		want := flatten(s.Document())
		out := writeDocument(want)
		if !decodesTo(out, want) {
			t.Fatalf("written anew, %q does not decode to its values:\n%s", text, out)
		}
	})
}
