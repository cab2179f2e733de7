package tmpl

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Secrets is a decoded secrets file: a TOML document of any nesting whose
// leaves are the values placeholders refer to.
type Secrets struct {
	root map[string]any
}

// SyntaxError reports a secrets file that is not valid TOML. It carries a
// position and a kind from a fixed list, never the parser's message: that,
// and even its last key read, can hold the text of a malformed line, which
// here may be a secret pasted on its own.
type SyntaxError struct {
	Line, Col int
	Kind      string // one of syntaxKinds' phrases, or ""
}

func (e *SyntaxError) Error() string {
	msg := fmt.Sprintf("not valid TOML at line %d, column %d", e.Line, e.Col)
	if e.Kind != "" {
		msg += ": " + e.Kind
	}
	return msg
}

// syntaxKinds maps the start of the parser's messages (or, after "* ",
// a part of them) to what rigup-exec says instead. Only the phrase is
// shown; the message is only matched.
var syntaxKinds = []struct{ prefixes, kind string }{
	{"unexpected EOF; expected '\"'|unexpected EOF; expected \"'\"|unexpected EOF; expected '\"\"\"'|unexpected EOF; expected \"'''\"",
		"a string is not closed"},
	{"strings cannot contain newlines", "a string goes past the end of its line (\"\"\" strings may span lines)"},
	{"invalid escape|expected eight hexadecimal|expected four hexadecimal|expected two hexadecimal|Escaped character",
		"a backslash starts an invalid escape (write \\\\, or use a 'literal string')"},
	{"TOML files cannot contain control characters", "a control character (other than tab)"},
	{"Key '|Key \"", "a key or table is defined twice"},
	{"expected value but found|unexpected EOF; expected value", "a value is missing, or a string has no quotes"},
	{"expected a top-level item to end with a newline", "something follows a value on its line"},
	{"expected '.' or '=', but got|unexpected EOF; expected key separator", "a key is not followed by = (quote a key with spaces or symbols)"},
	{"unexpected '='", "a key is missing before ="},
	{"expected '.' or ']' to end table name|unexpected end of table name|expected end of table array name|unexpected table separator",
		"a [table] header is malformed"},
	{"expected a comma (',') or array terminator|expected a comma or an inline table terminator|newlines not allowed within inline tables|unexpected comma",
		"an array or inline table is not closed, or misses a comma"},
	{"Invalid float|Invalid integer|invalid float|not a binary|not a hexadecimal|not an octal|expected a digit|floats must start|cannot use sign|* is out of range for",
		"a number is malformed or out of range"},
	{"invalid datetime", "a date or time is malformed"},
	{"invalid UTF-8|files cannot contain NULL", "the text is not UTF-8"},
}

func syntaxKind(message string) string {
	for _, k := range syntaxKinds {
		for _, p := range strings.Split(k.prefixes, "|") {
			if part, ok := strings.CutPrefix(p, "* "); ok && strings.Contains(message, part) || strings.HasPrefix(message, p) {
				return k.kind
			}
		}
	}
	return ""
}

// ParseSecrets decodes the plaintext of a secrets file. The caller keeps
// ownership of plaintext and may wipe it as soon as ParseSecrets returns.
func ParseSecrets(plaintext []byte) (*Secrets, error) {
	root := map[string]any{}
	if _, err := toml.Decode(string(plaintext), &root); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, &SyntaxError{Line: pe.Position.Line, Col: pe.Position.Col, Kind: syntaxKind(pe.Message)}
		}
		return nil, errors.New("not valid TOML")
	}
	return &Secrets{root: root}, nil
}

// lookupError explains why a placeholder's path does not name a value. Its
// message names keys and types, never values.
type lookupError struct {
	Path       Path
	Msg        string // the whole message but for the suggestion
	Suggestion Path   // a close existing path, for "did you mean"
}

func (e *lookupError) Error() string {
	msg := e.Msg
	if e.Suggestion != nil {
		msg += fmt.Sprintf(" (did you mean %s?)", e.Suggestion)
	}
	return msg
}

// Lookup returns the value at p in its text form: strings as they are,
// numbers, booleans and datetimes as TOML writes them. A table or an array is
// an error: a placeholder names a single value.
func (s *Secrets) Lookup(p Path) (string, error) {
	var cur any = s.root
	for i, seg := range p {
		table, ok := cur.(map[string]any)
		if !ok {
			return "", &lookupError{Path: p, Msg: fmt.Sprintf("%s: not found (%s is %s)", p, p[:i], describe(cur))}
		}
		if cur, ok = table[seg]; !ok {
			return "", &lookupError{Path: p, Msg: p.String() + ": not found", Suggestion: s.suggest(p)}
		}
	}
	switch v := cur.(type) {
	case map[string]any:
		return "", &lookupError{Path: p, Msg: fmt.Sprintf("%s is a table; a placeholder must name a single value", p)}
	case []any, []map[string]any:
		return "", &lookupError{Path: p, Msg: fmt.Sprintf("%s is an array; a placeholder must name a single value", p)}
	default:
		return textForm(v), nil
	}
}

func describe(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case time.Time:
		return "a datetime"
	case []any, []map[string]any:
		return "an array"
	default:
		return "a value"
	}
}

// textForm renders a TOML leaf the way TOML writes it.
func textForm(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case bool:
		return strconv.FormatBool(v)
	case float64:
		switch {
		case math.IsInf(v, 1):
			return "inf"
		case math.IsInf(v, -1):
			return "-inf"
		case math.IsNaN(v):
			return "nan"
		}
		s := strconv.FormatFloat(v, 'g', -1, 64)
		if !strings.ContainsAny(s, ".e") {
			s += ".0"
		}
		return s
	case time.Time:
		switch v.Location().String() {
		case "datetime-local":
			return v.Format("2006-01-02T15:04:05.999999999")
		case "date-local":
			return v.Format("2006-01-02")
		case "time-local":
			return v.Format("15:04:05.999999999")
		}
		return v.Format(time.RFC3339Nano)
	}
	return fmt.Sprint(v)
}

// Leaves returns the paths of all values a placeholder can name, sorted.
// Arrays and empty tables are not leaves.
func (s *Secrets) Leaves() []Path {
	var out []Path
	var walk func(prefix Path, t map[string]any)
	walk = func(prefix Path, t map[string]any) {
		for k, v := range t {
			p := append(prefix[:len(prefix):len(prefix)], k)
			switch v := v.(type) {
			case map[string]any:
				walk(p, v)
			case []any, []map[string]any:
			default:
				out = append(out, p)
			}
		}
	}
	walk(nil, s.root)
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// suggest returns the existing leaf closest to p, if it is close enough to be
// a plausible typo.
func (s *Secrets) suggest(p Path) Path {
	leaves := s.Leaves()
	names := make([]string, len(leaves))
	for i, leaf := range leaves {
		names[i] = leaf.String()
	}
	if i := Closest(p.String(), names); i >= 0 {
		return leaves[i]
	}
	return nil
}

// Closest returns the index of the candidate closest to want, if it is close
// enough to be a plausible typo of it, else -1.
func Closest(want string, candidates []string) int {
	best := -1
	bestDist := len(want)/3 + 1
	if bestDist > 4 {
		bestDist = 4
	}
	for i, c := range candidates {
		if d := editDistance(want, c); d < bestDist && c != want {
			best, bestDist = i, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and swaps of two neighbours cost 1 each, so
// that "chekc" is 1 from "check".
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
