package project

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A secrets document seen key by key: every value that is not a table is a
// leaf, named by its dotted key path; an array is one value, whatever it
// holds (arrays of tables included), and so is an empty table, which would
// otherwise vanish. Tables, inline or not, are only where leaves are.

// leaf is one value of a document and its key path.
type leaf struct {
	path  []string
	value any // as the TOML decoder gives it, or emptyTable
}

// emptyTable stands for a table without keys.
type emptyTable struct{}

// flatten returns the leaves of a decoded document by their dotted keys.
func flatten(doc map[string]any) map[string]leaf {
	out := map[string]leaf{}
	var walk func(prefix []string, t map[string]any)
	walk = func(prefix []string, t map[string]any) {
		for k, v := range t {
			p := append(prefix[:len(prefix):len(prefix)], k)
			switch v := v.(type) {
			case map[string]any:
				if len(v) == 0 {
					out[dotted(p)] = leaf{path: p, value: emptyTable{}}
				} else {
					walk(p, v)
				}
			default:
				out[dotted(p)] = leaf{path: p, value: v}
			}
		}
	}
	walk(nil, doc)
	return out
}

// dotted writes a key path as TOML writes a dotted key: bare keys as they
// are, others quoted. It never holds a line break, and tells every path
// apart, so it also names a path in messages and maps.
func dotted(path []string) string {
	var b []byte
	for i, k := range path {
		if i > 0 {
			b = append(b, '.')
		}
		b = appendKey(b, k)
	}
	return string(b)
}

func appendKey(b []byte, k string) []byte {
	if k != "" && strings.Trim(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == "" {
		return append(b, k...)
	}
	return appendString(b, k)
}

// appendString appends s as a TOML basic string, on one line.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '\t':
			b = append(b, `\t`...)
		case c == '\r':
			b = append(b, `\r`...)
		case c < 0x20 || c == 0x7f:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// The names the TOML decoder gives the locations of its local kinds.
const (
	localDatetime = "datetime-local"
	localDate     = "date-local"
	localTime     = "time-local"
)

// appendValue appends v in TOML syntax, on one line: a string as a basic
// string, a float so that it reads back as the same float, a datetime of
// its kind, an array with its values, a table inline.
func appendValue(b []byte, v any) []byte {
	switch v := v.(type) {
	case string:
		return appendString(b, v)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case float64:
		switch {
		case math.IsNaN(v):
			return append(b, "nan"...)
		case math.IsInf(v, 1):
			return append(b, "inf"...)
		case math.IsInf(v, -1):
			return append(b, "-inf"...)
		}
		n := len(b)
		b = strconv.AppendFloat(b, v, 'g', -1, 64)
		if !strings.ContainsAny(string(b[n:]), ".e") {
			b = append(b, ".0"...)
		}
		return b
	case bool:
		return strconv.AppendBool(b, v)
	case time.Time:
		switch v.Location().String() {
		case localDatetime:
			return v.AppendFormat(b, "2006-01-02T15:04:05.999999999")
		case localDate:
			return v.AppendFormat(b, "2006-01-02")
		case localTime:
			return v.AppendFormat(b, "15:04:05.999999999")
		}
		return v.AppendFormat(b, time.RFC3339Nano)
	case []map[string]any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendValue(b, e)
		}
		return append(b, ']')
	case []any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendValue(b, e)
		}
		return append(b, ']')
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, ' ')
			b = appendKey(b, k)
			b = append(b, " = "...)
			b = appendValue(b, v[k])
		}
		if len(keys) > 0 {
			b = append(b, ' ')
		}
		return append(b, '}')
	case emptyTable:
		return append(b, "{}"...)
	}
	// The decoder gives no other type.
	panic("project: a TOML value of an unexpected type")
}

// sameValue reports whether a and b are the same TOML value: of one type,
// equal (any NaN equals any NaN; 0.0 and -0.0 differ), datetimes of one
// kind at one instant with one offset, arrays and tables equal throughout.
func sameValue(a, b any) bool {
	switch a := a.(type) {
	case string:
		b, ok := b.(string)
		return ok && a == b
	case int64:
		b, ok := b.(int64)
		return ok && a == b
	case float64:
		b, ok := b.(float64)
		return ok && (math.Float64bits(a) == math.Float64bits(b) || math.IsNaN(a) && math.IsNaN(b))
	case bool:
		b, ok := b.(bool)
		return ok && a == b
	case time.Time:
		b, ok := b.(time.Time)
		if !ok || !a.Equal(b) {
			return false
		}
		_, ao := a.Zone()
		_, bo := b.Zone()
		return ao == bo && isLocalKind(a) == isLocalKind(b) && (!isLocalKind(a) || a.Location().String() == b.Location().String())
	case []any, []map[string]any:
		ea, eb := elements(a), elements(b)
		if ea == nil || eb == nil || len(ea) != len(eb) {
			return false
		}
		for i := range ea {
			if !sameValue(ea[i], eb[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, v := range a {
			w, ok := b[k]
			if !ok || !sameValue(v, w) {
				return false
			}
		}
		return true
	case emptyTable:
		_, ok := b.(emptyTable)
		return ok
	}
	return false
}

func isLocalKind(t time.Time) bool {
	switch t.Location().String() {
	case localDatetime, localDate, localTime:
		return true
	}
	return false
}

// elements returns an array's values, whichever way the decoder typed it
// (an array of tables written [[x]] is a []map[string]any, the same written
// inline a []any); nil for anything else.
func elements(v any) []any {
	switch v := v.(type) {
	case []any:
		if v == nil {
			return []any{}
		}
		return v
	case []map[string]any:
		out := make([]any, len(v))
		for i, t := range v {
			out[i] = t
		}
		return out
	}
	return nil
}

// kindOf names a value's TOML type, for listings.
func kindOf(v any) string {
	switch v := v.(type) {
	case string:
		return "string"
	case int64:
		return "integer"
	case float64:
		return "float"
	case bool:
		return "boolean"
	case time.Time:
		switch v.Location().String() {
		case localDatetime:
			return "local datetime"
		case localDate:
			return "local date"
		case localTime:
			return "local time"
		}
		return "datetime"
	case []any, []map[string]any:
		return "array"
	case emptyTable:
		return "empty table"
	}
	return "value"
}

// comparePaths orders key paths key by key, so that a table comes right
// before what it holds.
func comparePaths(a, b []string) int { return slices.Compare(a, b) }

// writeDocument writes leaves as a TOML document: the keys of the root
// first, then a [table] header for each table that holds values, with
// them, tables and keys in order. Arrays and empty tables are written
// inline. Nothing but the values survives: comments and layout are gone.
func writeDocument(leaves map[string]leaf) []byte {
	tables := map[string][]leaf{} // the parent's dotted key to its leaves
	var parents [][]string
	for _, l := range leaves {
		parent := l.path[:len(l.path)-1]
		key := dotted(parent)
		if _, ok := tables[key]; !ok {
			parents = append(parents, parent)
		}
		tables[key] = append(tables[key], l)
	}
	slices.SortFunc(parents, comparePaths)
	var b []byte
	for i, parent := range parents {
		if len(parent) > 0 {
			if i > 0 {
				b = append(b, '\n')
			}
			b = append(b, '[')
			b = append(b, dotted(parent)...)
			b = append(b, "]\n"...)
		}
		ls := tables[dotted(parent)]
		slices.SortFunc(ls, func(x, y leaf) int { return strings.Compare(x.path[len(x.path)-1], y.path[len(y.path)-1]) })
		for _, l := range ls {
			b = appendKey(b, l.path[len(l.path)-1])
			b = append(b, " = "...)
			b = appendValue(b, l.value)
			b = append(b, '\n')
		}
	}
	return b
}
