package project

import (
	"errors"
	"slices"

	"rigup-exec/crypto"
)

// Recipients is the recipients file as read: its keys, and its text.
type Recipients struct {
	Keys   []crypto.Recipient
	Text   []byte
	Exists bool
}

// ParseRecipients parses the text of a recipients file.
func ParseRecipients(text []byte) (Recipients, error) {
	rs, err := crypto.ParseRecipients(text)
	if err != nil {
		return Recipients{}, err
	}
	return Recipients{Keys: rs, Text: text, Exists: true}, nil
}

// With returns the text of the recipients file once the keys of rs it
// does not list are added, or nil when it lists them all. A new file has
// a header that says what it is; an existing one keeps its lines.
func (f Recipients) With(rs []crypto.Recipient) []byte {
	switch added := Minus(rs, f.Keys); {
	case !f.Exists:
		return crypto.FormatRecipients(rs)
	case len(added) > 0:
		return crypto.AppendRecipients(f.Text, added)
	}
	return nil
}

// Union returns the recipients of lists, each once, in their order.
func Union(lists ...[]crypto.Recipient) []crypto.Recipient {
	var out []crypto.Recipient
	for _, l := range lists {
		for _, r := range l {
			out = append(out, Minus([]crypto.Recipient{r}, out)...)
		}
	}
	return out
}

// Minus returns the recipients of a that are not in b.
func Minus(a, b []crypto.Recipient) []crypto.Recipient {
	var out []crypto.Recipient
	for _, r := range a {
		if !slices.ContainsFunc(b, func(s crypto.Recipient) bool { return r.ID() == s.ID() }) {
			out = append(out, r)
		}
	}
	return out
}

// Has reports whether rs holds r.
func Has(rs []crypto.Recipient, r crypto.Recipient) bool {
	return len(Minus([]crypto.Recipient{r}, rs)) == 0
}

func countX25519(rs []crypto.Recipient) int {
	n := 0
	for _, r := range rs {
		if r.X25519 != nil {
			n++
		}
	}
	return n
}

// UnsupportedError is returned by CheckHeader for a secrets file encrypted
// to what rigup-exec cannot encrypt to: a passphrase (Scrypt), or keys of
// other types (Others, their stanza types, each once). Saving it would
// lock them out.
type UnsupportedError struct {
	Scrypt bool
	Others []string // stanza types, each once
	Keys   int      // how many such keys
}

func (e *UnsupportedError) Error() string {
	if e.Scrypt {
		return "encrypted with a passphrase, not to keys"
	}
	return "encrypted to keys of other types"
}

// CheckHeader fails when the header h says the secrets file is encrypted to
// anything rigup-exec cannot encrypt to again.
func CheckHeader(h crypto.Header) error {
	if h.Scrypt {
		return &UnsupportedError{Scrypt: true}
	}
	if len(h.Others) == 0 {
		return nil
	}
	e := &UnsupportedError{Keys: len(h.Others)}
	for _, t := range h.Others {
		if !slices.Contains(e.Others, t) {
			e.Others = append(e.Others, t)
		}
	}
	return e
}

// UnnamedError is returned when a secrets file that no recipients file goes
// with is encrypted to keys that cannot be named: SSH keys that none of the
// known keys is, and every X25519 key (its stanza does not say which age1
// key it is for). Saving it would lock them out.
type UnnamedError struct {
	UnknownSSH, X25519 int
}

func (e *UnnamedError) Error() string { return "encrypted to keys that cannot be named" }

// Unnamed returns an *UnnamedError if the header h has keys that cannot be
// named, else nil.
func Unnamed(h crypto.Header) error {
	if h.UnknownSSH+h.X25519 == 0 {
		return nil
	}
	return &UnnamedError{UnknownSSH: h.UnknownSSH, X25519: h.X25519}
}

// Errors of EditRecipients.
var (
	// ErrNoKey: a new secrets file, no recipients file, and no key to
	// encrypt it to.
	ErrNoKey = errors.New("no public key to encrypt a new secrets file to")
	// ErrNobody: the recipients file lists no key.
	ErrNobody = errors.New("the recipients file names nobody")
)

// EditRecipients decides whom an edit encrypts the secrets to:
//   - the recipients file's keys, when there is one;
//   - for a new file without one, the first of own, the user's keys;
//   - for a file made with age -R alone, the keys its header h matched
//     (the user's and the extra ones it is encrypted to already); it fails
//     with an *UnnamedError when some of its keys cannot be named;
//
// and extra, the keys of -R, in every case.
func EditRecipients(exists bool, file Recipients, h crypto.Header, own, extra []crypto.Recipient) ([]crypto.Recipient, error) {
	want := file.Keys
	switch {
	case !file.Exists && !exists:
		if len(own) == 0 && len(extra) == 0 {
			return nil, ErrNoKey
		}
		if len(own) > 0 {
			want = own[:1]
		}
	case !file.Exists:
		if err := Unnamed(h); err != nil {
			return nil, err
		}
		want = h.Matched
	}
	want = append(slices.Clip(want), Minus(extra, want)...)
	if len(want) == 0 {
		return nil, ErrNobody
	}
	return want, nil
}

// Change is how a list of recipients differs from the ones a secrets file
// is encrypted to.
type Change struct {
	Added, Removed []crypto.Recipient // keys that can be named
	Unknown        int                // SSH keys of the file named nowhere, to be dropped
	// An X25519 stanza does not say which age1 key it is for: when the
	// file has some, only their number is compared with that of the age1
	// keys listed in the recipients file.
	X25519File, X25519Listed int
}

// ChangeTo compares the recipients a secrets file is encrypted to, as its
// header h says, with want; listed are the keys of the recipients file; a
// file that does not exist yet gains all of want. The SSH keys of want and
// of the header's matches are named. An age1 key is named when the file
// has no X25519 stanza, or when the recipients file does not list it (a key
// of -R); otherwise only numbers are compared.
func ChangeTo(exists bool, h crypto.Header, want, listed []crypto.Recipient) Change {
	if !exists {
		return Change{Added: want}
	}
	d := Change{Removed: Minus(h.Matched, want), Unknown: h.UnknownSSH, X25519File: h.X25519}
	for _, r := range Minus(want, h.Matched) {
		switch {
		case r.X25519 == nil || h.X25519 == 0 || !Has(listed, r):
			d.Added = append(d.Added, r)
		default:
			d.X25519Listed++
		}
	}
	return d
}

// X25519Removed is how many of the file's X25519 keys are dropped at least.
func (d Change) X25519Removed() int { return max(0, d.X25519File-d.X25519Listed) }

// X25519Added is how many of the listed age1 keys are added at least.
func (d Change) X25519Added() int { return max(0, d.X25519Listed-d.X25519File) }

// Any reports whether anything changes.
func (d Change) Any() bool {
	return len(d.Added)+len(d.Removed)+d.Unknown+d.X25519Removed()+d.X25519Added() > 0
}

// Removes reports whether the change would lock a key out.
func (d Change) Removes() bool { return len(d.Removed)+d.Unknown+d.X25519Removed() > 0 }

// AddsOnly reports whether the change only adds keys, and only keys of
// named. Which listed age1 keys are added cannot be told: it is enough
// that named has as many of them.
func (d Change) AddsOnly(named, listed []crypto.Recipient) bool {
	return !d.Removes() && len(Minus(d.Added, named)) == 0 &&
		d.X25519Added() <= countX25519(Minus(named, Minus(named, listed)))
}

// Settled reports whether nothing changes and no age1 key is involved,
// whose identity cannot be read from the file: only then can a rekey be
// skipped.
func (d Change) Settled(want []crypto.Recipient) bool {
	return !d.Any() && countX25519(want) == 0
}
