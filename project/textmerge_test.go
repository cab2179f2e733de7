package project

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
)

// apply applies hunks, in order, to base.
func apply(base [][]byte, hunks []hunk) []byte {
	var out []byte
	pos := 0
	for _, h := range hunks {
		for ; pos < h.start; pos++ {
			out = append(out, base[pos]...)
		}
		for _, l := range h.lines {
			out = append(out, l...)
		}
		pos = h.end
	}
	for ; pos < len(base); pos++ {
		out = append(out, base[pos]...)
	}
	return out
}

// The hunks of diff turn base into the other text, in order and without
// overlapping, for random texts of a few distinct lines.
func TestDiffRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	text := func() []byte {
		var b []byte
		for range r.IntN(30) {
			b = append(b, []string{"a\n", "b\n", "c = 1\n", "c = 2\n", "d = 1\n", "[t]\n"}[r.IntN(6)]...)
		}
		if r.IntN(4) == 0 {
			b = append(b, 'z') // no final newline
		}
		return b
	}
	for i := range 2000 {
		a, b := text(), text()
		hunks, ok := diff(splitLines(a), splitLines(b))
		if !ok {
			t.Fatalf("%d: diff gave up", i)
		}
		for j := 1; j < len(hunks); j++ {
			if hunks[j].start < hunks[j-1].end || hunks[j].start == hunks[j-1].end && hunks[j].start == hunks[j].end && hunks[j-1].start == hunks[j-1].end {
				t.Fatalf("%d: hunks out of order: %+v", i, hunks)
			}
		}
		if got := apply(splitLines(a), hunks); !bytes.Equal(got, b) {
			t.Fatalf("%d: diff(%q, %q) applied gives %q", i, a, b, got)
		}
		refined := refine(splitLines(a), hunks)
		if got := apply(splitLines(a), refined); !bytes.Equal(got, b) {
			t.Fatalf("%d: refined diff(%q, %q) applied gives %q", i, a, b, got)
		}
		for j := 1; j < len(refined); j++ {
			if refined[j].start < refined[j-1].end {
				t.Fatalf("%d: refined hunks overlap: %+v", i, refined)
			}
		}
	}
}

func TestDiffGivesUp(t *testing.T) {
	var a, b strings.Builder
	for i := range maxEdits {
		a.WriteString("a" + string(rune('0'+i%10)) + "\n")
		b.WriteString("b" + string(rune('0'+i%10)) + "\n")
	}
	if _, ok := diff(splitLines([]byte(a.String())), splitLines([]byte(b.String()))); ok {
		t.Error("diff of texts with no line in common, too many to compare, did not give up")
	}
}

func TestMerge3(t *testing.T) {
	const base = "1\n2\n3\n4\n5\n"
	for _, tc := range []struct {
		name, ours, theirs string
		prefer             Prefer
		want               string // "" when it conflicts
	}{
		{"one side", "1\n2\nthree\n4\n5\n", base, PreferNone, "1\n2\nthree\n4\n5\n"},
		{"apart", "one\n2\n3\n4\n5\n", "1\n2\n3\n4\nfive\n", PreferNone, "one\n2\n3\n4\nfive\n"},
		{"adjacent lines", "1\ntwo\n3\n4\n5\n", "1\n2\nthree\n4\n5\n", PreferNone, "1\ntwo\nthree\n4\n5\n"},
		{"adjacent in a block", "1\ntwo\nthree\n4\n5\n", "1\n2\n3\nfour\n5\n", PreferNone, "1\ntwo\nthree\nfour\n5\n"},
		{"alike", "1\nx\n3\n4\n5\n", "1\nx\n3\n4\n5\n", PreferNone, "1\nx\n3\n4\n5\n"},
		{"insertions at one place", base + "a\n", base + "b\n", PreferNone, base + "a\nb\n"},
		{"an insertion before a change", "1\n2\nnew\n3\n4\n5\n", "1\n2\nthree\n4\n5\n", PreferNone, "1\n2\nnew\nthree\n4\n5\n"},
		{"a deletion next to a change", "1\n3\n4\n5\n", "1\n2\nthree\n4\n5\n", PreferNone, "1\nthree\n4\n5\n"},
		{"the same line, differently", "1\nx\n3\n4\n5\n", "1\ny\n3\n4\n5\n", PreferNone, ""},
		{"deleted and changed", "1\n4\n5\n", "1\n2\nthree\n4\n5\n", PreferNone, ""},
		{"settled with ours", "1\nx\n3\n4\n5\n", "1\ny\n3\n4\nfive\n", PreferOurs, "1\nx\n3\n4\nfive\n"},
		{"settled with theirs", "1\nx\n3\n4\n5\n", "1\ny\n3\n4\nfive\n", PreferTheirs, "1\ny\n3\n4\nfive\n"},
	} {
		got, ok := merge3([]byte(base), []byte(tc.ours), []byte(tc.theirs), tc.prefer)
		switch {
		case tc.want == "" && ok:
			t.Errorf("%s: merged to %q, want a conflict", tc.name, got)
		case tc.want != "" && (!ok || string(got) != tc.want):
			t.Errorf("%s: %q, %v, want %q", tc.name, got, ok, tc.want)
		}
	}
}

// A hunk that deletes one key and changes the next is split by key, so
// that a change of the other side to the first collides with the
// deletion alone.
func TestMerge3ByKey(t *testing.T) {
	base := "a = 1\nb = 2\nc = 3\n"
	ours := "a = 1\nb = 9\nc = 3\n"
	theirs := "a = 1\nc = 4\n"
	if got, ok := merge3([]byte(base), []byte(ours), []byte(theirs), PreferNone); ok {
		t.Errorf("merged to %q, want a conflict at b", got)
	}
	for prefer, want := range map[Prefer]string{PreferOurs: "a = 1\nb = 9\nc = 4\n", PreferTheirs: "a = 1\nc = 4\n"} {
		if got, ok := merge3([]byte(base), []byte(ours), []byte(theirs), prefer); !ok || string(got) != want {
			t.Errorf("prefer %v: %q, %v, want %q", prefer, got, ok, want)
		}
	}
}
