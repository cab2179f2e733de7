package project

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"rigup-exec/crypto"
	"rigup-exec/tmpl"
)

// Merging the secrets, as git's merge driver for the secrets file does:
// key by key, each value by its dotted key path. A key that one side
// changed (added, changed, deleted) and the other left as the ancestor had
// it takes that side's change; a change made on both sides alike is made
// once; any other change on both sides is a conflict. An array is one value,
// whatever it holds; so is an empty table.

// Version names one of the three versions of a merge, as git names them.
type Version string

const (
	Base   Version = "the ancestor"
	Ours   Version = "ours"
	Theirs Version = "theirs"
)

// VersionError is a version that cannot be merged: Err says why (a
// *tmpl.SyntaxError, an *UnsupportedError, an *UnnamedError).
type VersionError struct {
	Version Version
	Err     error
}

func (e *VersionError) Error() string { return fmt.Sprintf("%s: %v", e.Version, e.Err) }
func (e *VersionError) Unwrap() error { return e.Err }

// ConflictKind is how both sides changed one key.
type ConflictKind int

const (
	// BothChanged: both changed it, to different values.
	BothChanged ConflictKind = iota
	// BothAdded: both added it, with different values.
	BothAdded
	// OursDeleted: ours deleted it, theirs changed it.
	OursDeleted
	// TheirsDeleted: ours changed it, theirs deleted it.
	TheirsDeleted
	// ValueAndTable: one side made it a value, the other a table of keys.
	ValueAndTable
)

// Conflict is a key both sides changed in different ways. It names the
// key, never a value.
type Conflict struct {
	Key  string // the dotted key path, as TOML writes it
	Kind ConflictKind
}

func (c Conflict) String() string {
	switch c.Kind {
	case BothChanged:
		return c.Key + " (changed on both sides)"
	case BothAdded:
		return c.Key + " (added on both sides)"
	case OursDeleted:
		return c.Key + " (deleted by ours, changed by theirs)"
	case TheirsDeleted:
		return c.Key + " (changed by ours, deleted by theirs)"
	}
	return c.Key + " (a value on one side, a table on the other)"
}

// ConflictError lists the keys in conflict, in order.
type ConflictError struct{ Conflicts []Conflict }

func (e *ConflictError) Error() string {
	var keys []string
	for _, c := range e.Conflicts {
		keys = append(keys, c.String())
	}
	what := "keys"
	if len(keys) == 1 {
		what = "key"
	}
	return fmt.Sprintf("%d %s in conflict: %s", len(keys), what, strings.Join(keys, ", "))
}

// Prefer says how conflicts are settled: not at all (a *ConflictError), or
// with one side's value (or its deletion) for every key in conflict.
type Prefer int

const (
	PreferNone Prefer = iota
	PreferOurs
	PreferTheirs
)

// Layout is how the text of a merge was made.
type Layout int

const (
	// Verbatim: one side's text as it was (the other side changed no
	// value, or changed values only as this side did).
	Verbatim Layout = iota
	// LinesMerged: both sides' texts merged line by line, as git merges
	// a text file: the comments and layout of both are kept.
	LinesMerged
	// Rewritten: written anew from the values, because the texts did not
	// merge line by line into the merged values: comments and layout are
	// lost.
	Rewritten
)

// Merged is the result of MergeSecrets.
type Merged struct {
	Text   []byte // the merged secrets: the caller wipes them
	Layout Layout
	// The keys whose change came from one side, and, with a Prefer,
	// those in conflict that were settled.
	FromOurs, FromTheirs, Settled []string
}

// MergeSecrets merges ours and theirs, two versions of the secrets made
// from base (empty when they have no common ancestor), key by key. The
// text is the first that holds exactly the merged values: one side's text
// as it was, both sides' texts merged line by line, else a document written
// anew (see Layout). No error holds a value; the caller keeps ownership of
// the three texts.
func MergeSecrets(base, ours, theirs []byte, prefer Prefer) (*Merged, error) {
	var docs [3]map[string]leaf
	for i, v := range []struct {
		version Version
		text    []byte
	}{{Base, base}, {Ours, ours}, {Theirs, theirs}} {
		s, err := tmpl.ParseSecrets(v.text)
		if err != nil {
			return nil, &VersionError{Version: v.version, Err: err}
		}
		docs[i] = flatten(s.Document())
	}
	o, a, b := docs[0], docs[1], docs[2]
	m := &Merged{}
	want := map[string]leaf{}
	from := map[string]Version{} // where each value of want came from, when a side changed it
	var conflicts []Conflict
	for _, key := range unionKeys(o, a, b) {
		lo, inO := o[key]
		la, inA := a[key]
		lb, inB := b[key]
		switch {
		case same(la, inA, lb, inB):
			if inA {
				want[key] = la
			}
		case same(lo, inO, la, inA):
			m.FromTheirs = append(m.FromTheirs, key)
			if inB {
				want[key], from[key] = lb, Theirs
			}
		case same(lo, inO, lb, inB):
			m.FromOurs = append(m.FromOurs, key)
			if inA {
				want[key], from[key] = la, Ours
			}
		default:
			c := Conflict{Key: key, Kind: BothChanged}
			switch {
			case !inO:
				c.Kind = BothAdded
			case !inA:
				c.Kind = OursDeleted
			case !inB:
				c.Kind = TheirsDeleted
			}
			switch prefer {
			case PreferOurs:
				m.Settled = append(m.Settled, key)
				if inA {
					want[key], from[key] = la, Ours
				}
			case PreferTheirs:
				m.Settled = append(m.Settled, key)
				if inB {
					want[key], from[key] = lb, Theirs
				}
			default:
				conflicts = append(conflicts, c)
			}
		}
	}
	conflicts = append(conflicts, settleShapes(want, from, prefer)...)
	if len(conflicts) > 0 {
		slices.SortFunc(conflicts, func(x, y Conflict) int { return strings.Compare(x.Key, y.Key) })
		return nil, &ConflictError{Conflicts: conflicts}
	}
	switch {
	case sameLeaves(want, a) && bytes.Equal(base, theirs):
		m.Text = clone(ours)
	case sameLeaves(want, b) && bytes.Equal(base, ours):
		m.Text = clone(theirs)
	default:
		if text, ok := merge3(base, ours, theirs, prefer); ok {
			if decodesTo(text, want) {
				m.Text, m.Layout = text, LinesMerged
				break
			}
			clear(text)
		}
		switch {
		case sameLeaves(want, a):
			m.Text = clone(ours)
		case sameLeaves(want, b):
			m.Text = clone(theirs)
		default:
			m.Text, m.Layout = writeDocument(want), Rewritten
			if !decodesTo(m.Text, want) {
				// Never seen: writeDocument is tested to
				// write every value exactly.
				clear(m.Text)
				return nil, errors.New("the merged values could not be written as TOML")
			}
		}
	}
	return m, nil
}

// settleShapes finds the keys that are a value on one side and a table
// of keys on the other once both sides' changes are in (ours adds a.b
// where theirs makes a a string). With a Prefer, the preferred side's
// keys stay and the others go; otherwise they are conflicts. An empty
// table that now holds keys is no longer empty.
func settleShapes(want map[string]leaf, from map[string]Version, prefer Prefer) []Conflict {
	var conflicts []Conflict
	for _, key := range sortedKeys(want) {
		l, ok := want[key]
		if !ok {
			continue
		}
		for n := 1; n < len(l.path); n++ {
			above := dotted(l.path[:n])
			outer, ok := want[above]
			if !ok {
				continue
			}
			if _, empty := outer.value.(emptyTable); empty {
				delete(want, above)
				continue
			}
			switch {
			case prefer == PreferOurs && from[above] == Ours || prefer == PreferTheirs && from[above] == Theirs:
				delete(want, key)
			case prefer != PreferNone:
				delete(want, above)
			default:
				conflicts = append(conflicts, Conflict{Key: above, Kind: ValueAndTable})
			}
			break
		}
	}
	return slices.CompactFunc(conflicts, func(x, y Conflict) bool { return x.Key == y.Key })
}

// same reports whether two leaves, each present or not, are the same.
func same(x leaf, inX bool, y leaf, inY bool) bool {
	if inX != inY {
		return false
	}
	return !inX || sameValue(x.value, y.value)
}

// sameLeaves reports whether two documents hold the same values.
func sameLeaves(x, y map[string]leaf) bool {
	if len(x) != len(y) {
		return false
	}
	for k, l := range x {
		m, ok := y[k]
		if !ok || !sameValue(l.value, m.value) {
			return false
		}
	}
	return true
}

// decodesTo reports whether text is valid TOML that holds exactly want.
func decodesTo(text []byte, want map[string]leaf) bool {
	s, err := tmpl.ParseSecrets(text)
	return err == nil && sameLeaves(flatten(s.Document()), want)
}

func unionKeys(docs ...map[string]leaf) []string {
	seen := map[string]bool{}
	var keys []string
	for _, d := range docs {
		for k := range d {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	return keys
}

func sortedKeys(m map[string]leaf) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func clone(b []byte) []byte { return append(make([]byte, 0, len(b)), b...) }

// SaveAs encrypts plaintext to rs and replaces the file at path with it,
// as Save replaces the secrets file: atomically and durably, keeping its
// mode. It is for a file of no project: the copy of ours that git gives
// its merge driver, which the driver replaces with the merge.
func SaveAs(path string, plaintext []byte, rs []crypto.Recipient) error {
	var out bytes.Buffer
	if err := crypto.EncryptTo(&out, plaintext, rs); err != nil {
		return err
	}
	var p Project // no lock, no hook
	if err := p.writeAtomic(path, out.Bytes(), 0o644); err != nil {
		return &WriteError{Path: path, Err: err}
	}
	return nil
}
