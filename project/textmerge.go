package project

import (
	"bytes"
	"slices"
)

// A three-way merge of text, line by line, as git merges a text file, but
// more willing: changes next to each other are both applied, and two
// insertions at one place are both kept, ours first. What it makes is only
// a candidate: the merge of the secrets keeps it only when it decodes to
// exactly the values the key-by-key merge decided (see MergeSecrets). It
// works on slices of the texts it is given and copies no line.

// splitLines splits text into lines that keep their line ends, so that
// joining them gives the text back.
func splitLines(text []byte) [][]byte {
	var lines [][]byte
	for len(text) > 0 {
		i := bytes.IndexByte(text, '\n') + 1
		if i == 0 {
			i = len(text)
		}
		lines = append(lines, text[:i:i])
		text = text[i:]
	}
	return lines
}

// hunk replaces the base's lines [start, end) by lines.
type hunk struct {
	start, end int
	lines      [][]byte
}

// maxEdits bounds the work of diff: beyond this many inserted and deleted
// lines, the texts are not merged line by line.
const maxEdits = 1000

// diff returns the hunks that turn base into other, in order, or ok false
// when they differ by more than maxEdits lines. It is Myers' algorithm
// (An O(ND) Difference Algorithm and Its Variations, 1986), after the
// common head and tail are set aside.
func diff(base, other [][]byte) (hunks []hunk, ok bool) {
	head := 0
	for head < len(base) && head < len(other) && bytes.Equal(base[head], other[head]) {
		head++
	}
	tail := 0
	for tail < len(base)-head && tail < len(other)-head &&
		bytes.Equal(base[len(base)-1-tail], other[len(other)-1-tail]) {
		tail++
	}
	a, b := base[head:len(base)-tail], other[head:len(other)-tail]
	n, m := len(a), len(b)
	if n == 0 && m == 0 {
		return nil, true
	}
	maxD := min(n+m, maxEdits)
	offset := maxD + 1
	v := make([]int, 2*maxD+3) // v[offset+k]: the furthest x on diagonal k
	// trace[d] is v as step d found it, for k in [-d-1, d+1], at k+d+1.
	var trace [][]int
	found := false
	for d := 0; d <= maxD && !found; d++ {
		trace = append(trace, append([]int(nil), v[offset-d-1:offset+d+2]...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || k != d && v[offset+k-1] < v[offset+k+1] {
				x = v[offset+k+1] // down from diagonal k+1: an insertion
			} else {
				x = v[offset+k-1] + 1 // right from diagonal k-1: a deletion
			}
			y := x - k
			for x < n && y < m && bytes.Equal(a[x], b[y]) {
				x, y = x+1, y+1
			}
			v[offset+k] = x
			if x >= n && y >= m {
				found = true
				break
			}
		}
	}
	if !found {
		return nil, false
	}
	// Walk back from the end: at each step d, the equal lines of its
	// snake, then its one edit.
	type edit struct {
		insert bool
		x, y   int // where in a and b the edit is: a[x] deleted, or b[y] inserted before a[x]
	}
	var edits []edit
	x, y := n, m
	for d := len(trace) - 1; d >= 0; d-- {
		prev := trace[d]
		get := func(k int) int { return prev[k+d+1] }
		k := x - y
		var pk int
		if k == -d || k != d && get(k-1) < get(k+1) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := get(pk)
		py := px - pk
		for x > px && y > py {
			x, y = x-1, y-1
		}
		if d > 0 {
			edits = append(edits, edit{insert: x == px, x: px, y: py})
		}
		x, y = px, py
	}
	slices.Reverse(edits)
	// Group the edits into hunks: deletions and insertions at one place.
	for i := 0; i < len(edits); {
		h := hunk{start: head + edits[i].x, end: head + edits[i].x}
		for ; i < len(edits) && head+edits[i].x == h.end; i++ {
			if edits[i].insert {
				h.lines = append(h.lines, b[edits[i].y])
			} else {
				h.end++
			}
		}
		hunks = append(hunks, h)
	}
	return hunks, true
}

// refine splits each hunk of base's lines into smaller ones where the
// lines it deletes and those it inserts are the same keys: a changed
// value becomes a hunk of its own line, so that a change of the other
// side to the next line does not collide with it. It aligns the keys of
// the lines (what comes before an "=", or the whole line) with diff.
func refine(base [][]byte, hunks []hunk) []hunk {
	var out []hunk
	for _, h := range hunks {
		deleted := base[h.start:h.end]
		if len(deleted) == 0 || len(h.lines) == 0 || len(deleted) == 1 && len(h.lines) == 1 {
			out = append(out, h)
			continue
		}
		sub, ok := diff(lineKeys(deleted), lineKeys(h.lines))
		if !ok {
			out = append(out, h)
			continue
		}
		p, q := 0, 0 // the next deleted and inserted line
		pairs := func(upTo int) {
			for ; p < upTo; p, q = p+1, q+1 {
				out = append(out, hunk{start: h.start + p, end: h.start + p + 1, lines: h.lines[q : q+1]})
			}
		}
		for _, s := range sub {
			pairs(s.start)
			out = append(out, hunk{start: h.start + s.start, end: h.start + s.end, lines: h.lines[q : q+len(s.lines)]})
			p, q = s.end, q+len(s.lines)
		}
		pairs(len(deleted))
	}
	return out
}

// lineKeys gives the key of each line: what comes before its first "=",
// trimmed, or the whole line without its end.
func lineKeys(lines [][]byte) [][]byte {
	keys := make([][]byte, len(lines))
	for i, l := range lines {
		if k, _, ok := bytes.Cut(l, []byte{'='}); ok {
			keys[i] = bytes.TrimSpace(k)
		} else {
			keys[i] = bytes.TrimRight(l, "\r\n")
		}
	}
	return keys
}

// merge3 merges the changes that turn base into ours and into theirs, and
// returns the result, or ok false when both change the same lines in
// different ways (or the texts are too far apart to tell). With a Prefer,
// the preferred side's change of such lines is taken, the other's dropped.
func merge3(base, ours, theirs []byte, prefer Prefer) (out []byte, ok bool) {
	b := splitLines(base)
	oh, ok := diff(b, splitLines(ours))
	if !ok {
		return nil, false
	}
	th, ok := diff(b, splitLines(theirs))
	if !ok {
		return nil, false
	}
	oh, th = refine(b, oh), refine(b, th)
	out = make([]byte, 0, len(ours)+len(theirs))
	pos := 0 // the next line of base to copy
	emit := func(upTo int) {
		for ; pos < upTo; pos++ {
			out = append(out, b[pos]...)
		}
	}
	apply := func(h hunk) {
		emit(h.start)
		for _, l := range h.lines {
			out = append(out, l...)
		}
		pos = h.end
	}
	i, j := 0, 0
	for i < len(oh) || j < len(th) {
		switch {
		case j == len(th):
			apply(oh[i])
			i++
		case i == len(oh):
			apply(th[j])
			j++
		default:
			o, t := oh[i], th[j]
			switch {
			case sameHunk(o, t):
				apply(o)
				i, j = i+1, j+1
			case o.start == o.end && t.start == t.end && o.start == t.start:
				// Two insertions at one place: ours, then theirs.
				apply(o)
				apply(t)
				i, j = i+1, j+1
			case o.end <= t.start:
				apply(o)
				i++
			case t.end <= o.start:
				apply(t)
				j++
			case prefer == PreferOurs:
				j++
			case prefer == PreferTheirs:
				i++
			default:
				clear(out)
				return nil, false
			}
		}
	}
	emit(len(b))
	return out, true
}

func sameHunk(a, b hunk) bool {
	if a.start != b.start || a.end != b.end || len(a.lines) != len(b.lines) {
		return false
	}
	for i := range a.lines {
		if !bytes.Equal(a.lines[i], b.lines[i]) {
			return false
		}
	}
	return true
}
