package tmpl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// Problem is one thing wrong with a template, at a position when it has one.
// Its message never holds a secret value.
type Problem struct {
	File      string
	Line, Col int // 1-based; 0 when the problem is the whole file
	Msg       string
}

func (p Problem) String() string {
	if p.Line == 0 {
		return p.File + ": " + p.Msg
	}
	return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Col, p.Msg)
}

// Problems is every problem found in one rendering, in file order.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// A span is a part of a template that rendering replaces: a placeholder, or
// the backslash of an escaped one (with an empty replacement).
type span struct {
	start, end int
	line, col  int
	path       Path   // nil for an escape
	filter     string // as written; empty for the file's default
}

// Template is a parsed template file.
type Template struct {
	Name     string // path relative to the template root, for messages and the default filter
	src      []byte
	spans    []span
	problems Problems
	format   formatState // whether src is valid JSON or TOML, once known
}

// formatState caches whether a .json or .toml template was valid before
// rendering: only then must it be valid after.
type formatState uint8

const (
	formatUnknown formatState = iota
	formatValid
	formatInvalid
)

const (
	openTag   = "{{"
	closeTag  = "}}"
	namespace = "secrets."
)

// parseTemplate scans src for placeholders. A placeholder is a tag {{ secrets.PATH }}
// or {{ secrets.PATH | FILTER }}, with optional spaces; any other {{ ... }} is
// left alone byte for byte. A backslash right before the braces, as in
// \{{secrets.x}}, writes the tag literally and drops the backslash.
//
// Syntax problems are kept and reported by Render, together with the rest.
func parseTemplate(name string, src []byte) *Template {
	t := &Template{Name: name, src: src}
	line, lineStart := 1, 0
	advance := func(to int) { // keep line and lineStart current up to offset to
		for {
			nl := bytes.IndexByte(src[lineStart:to], '\n')
			if nl < 0 {
				return
			}
			line++
			lineStart += nl + 1
		}
	}
	for i := 0; ; {
		n := bytes.Index(src[i:], []byte(openTag))
		if n < 0 {
			break
		}
		start := i + n
		advance(start)
		body := start + len(openTag)
		if !isPlaceholder(src[body:]) {
			i = start + 1
			continue
		}
		col := start - lineStart + 1
		if start > 0 && src[start-1] == '\\' {
			t.spans = append(t.spans, span{start: start - 1, end: start, line: line, col: col - 1})
			i = body
			continue
		}
		end, ok := findClose(src, body)
		if !ok {
			t.problem(line, col, "unterminated placeholder (no }} on the same line)")
			i = body
			continue
		}
		p, filter, err := parseTag(string(src[body:end]))
		if err != nil {
			t.problem(line, col, err.Error())
		} else {
			t.spans = append(t.spans, span{start: start, end: end + len(closeTag), line: line, col: col, path: p, filter: filter})
		}
		i = end + len(closeTag)
	}
	return t
}

// Size is the template's size in bytes, before rendering.
func (t *Template) Size() int { return len(t.src) }

func (t *Template) problem(line, col int, msg string) {
	t.problems = append(t.problems, Problem{File: t.Name, Line: line, Col: col, Msg: msg})
}

// isPlaceholder reports whether the text after "{{" starts a placeholder:
// optional blanks, then "secrets.".
func isPlaceholder(rest []byte) bool {
	rest = bytes.TrimLeft(rest, " \t")
	return bytes.HasPrefix(rest, []byte(namespace))
}

// findClose returns the offset of the "}}" that closes the tag whose body
// starts at from, skipping quoted keys; it does not look past the line.
func findClose(src []byte, from int) (int, bool) {
	quoted := false
	for i := from; i < len(src); i++ {
		switch c := src[i]; {
		case c == '\n':
			return 0, false
		case c == '"':
			quoted = !quoted
		case !quoted && c == '}' && i+1 < len(src) && src[i+1] == '}':
			return i, true
		}
	}
	return 0, false
}

// parseTag parses the text between the braces of a placeholder.
func parseTag(body string) (Path, string, error) {
	body = strings.Trim(body, " \t")
	body = strings.TrimPrefix(body, namespace)
	expr, filter := body, ""
	if bar := lastUnquoted(body, '|'); bar >= 0 {
		expr, filter = body[:bar], strings.Trim(body[bar+1:], " \t")
		if !isFilter(filter) {
			return nil, "", fmt.Errorf("unknown filter %q (filters: %s)", filter, strings.Join(filters, ", "))
		}
	}
	expr = strings.TrimRight(expr, " \t")
	p, err := parsePath(expr)
	if err != nil {
		return nil, "", fmt.Errorf("%s in %q", err, namespace+expr)
	}
	return p, filter, nil
}

func lastUnquoted(s string, c byte) int {
	quoted, at := false, -1
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quoted = !quoted
		case c:
			if !quoted {
				at = i
			}
		}
	}
	return at
}

// NeedsSecrets reports whether the template has a placeholder, and so
// cannot be rendered without the secrets file.
func (t *Template) NeedsSecrets() bool {
	for _, s := range t.spans {
		if s.path != nil {
			return true
		}
	}
	return false
}

// Placeholders returns the key paths the template's placeholders name,
// each once, in order of appearance, as Path.String writes them.
func (t *Template) Placeholders() []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range t.spans {
		if s.path != nil && !seen[s.path.String()] {
			seen[s.path.String()] = true
			out = append(out, s.path.String())
		}
	}
	return out
}

// IsTemplate reports whether the file has anything for Render to do: a
// placeholder, an escaped one, or a problem to report.
func (t *Template) IsTemplate() bool {
	return len(t.spans) > 0 || len(t.problems) > 0
}

// Render replaces every placeholder with its value, escaped by its filter,
// and returns the result. Every problem is reported, not just the first; used
// collects the paths the template refers to. secrets may be nil when the
// template needs none.
func (t *Template) Render(secrets *Secrets, used map[string]bool) ([]byte, Problems) {
	r, problems := t.resolve(secrets, used)
	if len(problems) > 0 {
		return nil, problems
	}
	out := make([]byte, r.size)
	r.fill(out)
	r.wipe()
	if msg := t.checkFormat(out); msg != "" {
		wipe(out)
		return nil, Problems{{File: t.Name, Msg: msg}}
	}
	return out, nil
}

// A rendering is a template with every placeholder resolved: the escaped
// value of each span, and the size of the result. fill writes the result;
// nothing else holds it whole.
type rendering struct {
	t      *Template
	values [][]byte // one per span; nil for an escape, which drops its backslash
	raw    []string // the values as looked up, before escaping
	size   int
}

// resolve looks up and escapes the value of every placeholder, and reports
// every problem of the template, syntax ones included, in order of position.
func (t *Template) resolve(secrets *Secrets, used map[string]bool) (*rendering, Problems) {
	problems := append(Problems(nil), t.problems...)
	r := &rendering{t: t, values: make([][]byte, len(t.spans)), size: len(t.src)}
	for i, s := range t.spans {
		r.size -= s.end - s.start
		if s.path == nil {
			continue
		}
		if used != nil {
			used[s.path.String()] = true
		}
		value, err := lookup(secrets, s.path)
		raw := value
		if err == nil {
			filter := s.filter
			if filter == "" {
				filter = defaultFilter(t.Name)
			}
			value, err = escape(filter, value)
			if err != nil {
				err = fmt.Errorf("%s %w", s.path, err)
			}
		}
		if err != nil {
			problems = append(problems, Problem{File: t.Name, Line: s.line, Col: s.col, Msg: err.Error()})
			continue
		}
		r.values[i] = []byte(value)
		r.raw = append(r.raw, raw)
		r.size += len(value)
	}
	if len(problems) > 0 {
		r.wipe()
		sort.SliceStable(problems, func(i, j int) bool {
			a, b := problems[i], problems[j]
			return a.Line < b.Line || a.Line == b.Line && a.Col < b.Col
		})
		return nil, problems
	}
	return r, nil
}

// fill writes the rendered template into dst, which is r.size bytes long:
// the source between the spans, and the value of each.
func (r *rendering) fill(dst []byte) {
	n, last := 0, 0
	for i, s := range r.t.spans {
		n += copy(dst[n:], r.t.src[last:s.start])
		n += copy(dst[n:], r.values[i])
		last = s.end
	}
	copy(dst[n:], r.t.src[last:])
}

// wipe overwrites the values r holds.
func (r *rendering) wipe() {
	for _, v := range r.values {
		wipe(v)
	}
}

func lookup(secrets *Secrets, p Path) (string, error) {
	if secrets == nil {
		return "", &lookupError{Path: p, Msg: p.String() + ": not found (no secrets were loaded)"}
	}
	return secrets.Lookup(p)
}

// maxTOMLCheck is the size of the largest .toml template that is parsed
// to check it. The TOML parser builds the whole document as Go maps: for a
// file of a few MiB that is seconds and hundreds of MiB (a 15 MiB one took
// 16 s and 950 MiB), where the JSON check streams through in constant
// memory. A larger .toml template is rendered with its values escaped as
// any other, but not parsed.
const maxTOMLCheck = 1 << 20

// needsFormatCheck reports whether the template is a .json or .toml file
// that was valid before rendering, and so must be after.
func (t *Template) needsFormatCheck() bool {
	if t.format == formatUnknown {
		t.format = formatInvalid
		tooLarge := strings.EqualFold(path.Ext(t.Name), ".toml") && len(t.src) > maxTOMLCheck
		if isFormatted(t.Name) && !tooLarge && formatProblem(t.Name, t.src) == "" {
			t.format = formatValid
		}
	}
	return t.format == formatValid
}

// checkFormat makes sure rendering did not break a file that was valid JSON
// or TOML before: it returns a message if after is not. The message names
// the format, never the content.
func (t *Template) checkFormat(after []byte) string {
	if !t.needsFormatCheck() {
		return ""
	}
	return formatProblem(t.Name, after)
}

func isFormatted(name string) bool {
	ext := strings.ToLower(path.Ext(name))
	return ext == ".json" || ext == ".toml"
}

// formatProblem returns a message if data is not valid as the format its
// name's extension says, JSON or TOML; other files are always valid.
func formatProblem(name string, data []byte) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".json":
		if !json.Valid(data) {
			return "not valid JSON after rendering (a value was inserted without json escaping)"
		}
	case ".toml":
		var v struct{}
		if _, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&v); err != nil {
			var pe toml.ParseError
			line := 0
			if errors.As(err, &pe) {
				line = pe.Position.Line
			}
			return fmt.Sprintf("not valid TOML after rendering, at line %d (a value was inserted without toml escaping)", line)
		}
	}
	return ""
}

// wipe overwrites b, so that a rendering that is thrown away does not leave
// its secrets in the heap any longer than the garbage collector does.
func wipe(b []byte) { clear(b) }
