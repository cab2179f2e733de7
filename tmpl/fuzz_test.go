package tmpl

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// FuzzRender checks the placeholder scanner: it never panics, spans are in
// order and inside the source, a source without "{{" renders to itself, and a
// successful rendering leaves no placeholder behind but escaped ones.
func FuzzRender(f *testing.F) {
	for _, seed := range []string{
		"{{secrets.a}}", "{{ secrets.a | json }}", `\{{secrets.a}}`, "{{secrets.a", "{{{secrets.a}}}",
		`{{secrets."x}}y".b}}`, "{{ .Values }}{{secrets.t.c|shell}}", "a\n{{secrets.a|nope}}\n", "{{secrets.}}",
	} {
		f.Add(seed)
	}
	s := mustSecrets(f, "a = \"A\"\nn = 1\n[t]\nc = \"C\"\n\"x}}y\" = { b = \"B\" }\n")
	f.Fuzz(func(t *testing.T, src string) {
		tp := parseTemplate("f.txt", []byte(src))
		last := 0
		for _, sp := range tp.spans {
			if sp.start < last || sp.end < sp.start || sp.end > len(src) || sp.line < 1 || sp.col < 1 {
				t.Fatalf("bad span %+v in %q", sp, src)
			}
			last = sp.end
		}
		out, ps := tp.Render(s, nil)
		if !strings.Contains(src, "{{") && (ps != nil || string(out) != src) {
			t.Fatalf("tagless %q rendered to %q, %v", src, out, ps)
		}
		if ps != nil {
			if out != nil {
				t.Fatal("output together with problems")
			}
			return
		}
		// The values hold no braces, so re-scanning the output finds
		// tags only where the source escaped one.
		escapes := 0
		for _, sp := range tp.spans {
			if sp.path == nil {
				escapes++
			}
		}
		again := parseTemplate("f.txt", out)
		if n := len(again.spans) + len(again.problems); n > escapes {
			t.Fatalf("%q rendered to %q, which has %d tags, but the source escaped only %d", src, out, n, escapes)
		}
	})
}

// FuzzLookup checks path lookup against the decoder: every leaf the decoded
// tree has is found by its printed path, and printed paths parse back to
// themselves.
func FuzzLookup(f *testing.F) {
	for _, seed := range []string{
		"a = 1", "[mcp]\nkey = \"v\"", "\"a.b\" = { \"c d\" = true }", "[x.\"}}\"]\ny = 2.5",
		"a = [1, 2]\n[[t]]\nk = 1", "'lit.eral' = 1979-05-27",
	} {
		f.Add(seed, "a")
	}
	f.Fuzz(func(t *testing.T, doc, path string) {
		s, err := ParseSecrets([]byte(doc))
		if err != nil {
			return
		}
		for _, p := range s.Leaves() {
			printed := p.String()
			q, err := parsePath(strings.TrimPrefix(printed, namespace))
			if err != nil {
				if strings.ContainsAny(strings.Join(p, ""), "\"\r\n") {
					continue // such keys cannot be named by a placeholder
				}
				t.Fatalf("%s does not parse back: %v", printed, err)
			}
			if q.String() != printed {
				t.Fatalf("%s parsed back as %s", printed, q)
			}
			if _, err := s.Lookup(q); err != nil {
				t.Fatalf("leaf %s not found: %v", printed, err)
			}
		}
		if p, err := parsePath(path); err == nil {
			_, err := s.Lookup(p)
			var le *lookupError
			if err != nil && !errors.As(err, &le) {
				t.Fatalf("Lookup(%s) gave %T", p, err)
			}
		}
	})
}

// FuzzScanLarge checks the scan of files over maxTemplateSize against Parse
// and Load's rule: it finds a placeholder exactly when Parse would make the
// file a template and the file has no NUL byte, and places the first one
// where Parse places its first span or problem.
func FuzzScanLarge(f *testing.F) {
	for _, seed := range []string{
		"{{secrets.a}}", "x\n  {{ secrets.a", `\{{secrets.a}}`, "{{{secrets.a}}", "{{{{secrets.", "a {{ {{\tsecrets.k}}",
		"{{ {secrets.a}}", "{{ .Go }} {{secret.x}} {{secrets}}", "{\n{secrets.a}}", "{{secrets.a}}\x00", "{{\nsecrets.a}}",
		"é{{secrets.a}}", "{{  secretss.", "{{secrets", "{{ sec{{secrets.x",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > 4096 {
			return
		}
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		w.WriteString(src)
		w.Close()
		got, err := scanLarge(int(r.Fd()))
		if err != nil {
			t.Fatal(err)
		}
		tp := parseTemplate("f.txt", []byte(src))
		want := largeFile{size: int64(len(src)), placeholder: tp.IsTemplate() && strings.IndexByte(src, 0) < 0}
		if want.placeholder {
			want.line, want.col = 1<<30, 0
			for _, sp := range tp.spans {
				line, col := sp.line, sp.col
				if sp.path == nil {
					col++ // an escape's span starts at its backslash
				}
				want.line, want.col = line, col
				break
			}
			if len(tp.problems) > 0 {
				if p := tp.problems[0]; p.Line < want.line || p.Line == want.line && p.Col < want.col {
					want.line, want.col = p.Line, p.Col
				}
			}
		}
		if *got != want {
			t.Fatalf("scanLarge(%q) = %+v, want %+v", src, *got, want)
		}
	})
}
