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

// SyntaxError reports a secrets file that is not valid TOML. It carries only
// a position: the parser's message, and even its last key read, can hold the
// text of a malformed line, which here may be a secret pasted on its own.
type SyntaxError struct {
	Line, Col int
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("not valid TOML at line %d, column %d", e.Line, e.Col)
}

// ParseSecrets decodes the plaintext of a secrets file. The caller keeps
// ownership of plaintext and may wipe it as soon as ParseSecrets returns.
func ParseSecrets(plaintext []byte) (*Secrets, error) {
	root := map[string]any{}
	if _, err := toml.Decode(string(plaintext), &root); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, &SyntaxError{Line: pe.Position.Line, Col: pe.Position.Col}
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

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
