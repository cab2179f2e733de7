package project

import (
	"fmt"

	"rigup-exec/crypto"
)

// Whom a merge encrypts to. Each version's header says whom it is
// encrypted to, as far as it can be told: SSH keys by a tag that the
// candidates (the keys of the recipients file, the user's own) are
// matched against, X25519 keys only by their number.
//
// The SSH keys are merged three ways, as the keys themselves are: a key
// one side added is kept, a key one side removed (the ancestor and the
// other side are encrypted to it) is dropped, as git's merge of the
// recipients file drops its line. Keeping it would give it back what a
// teammate took away, theirs' new values included. Every key of ours and
// theirs is accounted for: a stanza of either that names none of the
// candidates makes the merge fail rather than lock its key out.
//
// X25519 keys cannot be told apart: the merge encrypts to the age1 keys
// listed, and only when that is as many as the three headers call for
// (ours' count and theirs' change from the ancestor), unless the list is
// the one git already merged (after a conflict), which is then trusted as
// a rekey trusts it.

// RecipientsMerge is whom a merge encrypts to, and what changed.
type RecipientsMerge struct {
	Keys []crypto.Recipient
	// SSH keys that one side added or removed, by that side.
	Added, Removed map[Version][]crypto.Recipient
	// X25519 keys: how many listed, and how many each version is
	// encrypted to.
	X25519Listed, X25519Base, X25519Ours, X25519Theirs int
}

// X25519CountError is a merge whose age1 keys cannot be settled: the
// recipients file lists Listed age1 keys, and the versions' headers call
// for Want (ours' count, plus theirs' change from the ancestor).
type X25519CountError struct {
	Listed, Want                int
	Base, Ours, Theirs          int
	TheirsChanged, NoCommonBase bool
}

func (e *X25519CountError) Error() string {
	return fmt.Sprintf("the recipients file lists %d age1 keys, the merge needs %d", e.Listed, e.Want)
}

// MergeRecipients decides whom the merge of three versions is encrypted
// to, from their headers (base is nil without a common ancestor), read
// with the keys of listed and the user's own as candidates. listed are the
// keys of the recipients file; merged says whether git has merged it
// already (after a conflict) or it is still ours' (while git merges, it
// writes no file until all are merged).
func MergeRecipients(base *crypto.Header, ours, theirs crypto.Header, listed []crypto.Recipient, merged bool) (RecipientsMerge, error) {
	for _, v := range []struct {
		version Version
		h       *crypto.Header
	}{{Base, base}, {Ours, &ours}, {Theirs, &theirs}} {
		if v.h == nil {
			continue
		}
		if err := CheckHeader(*v.h); err != nil {
			return RecipientsMerge{}, &VersionError{Version: v.version, Err: err}
		}
		if v.version != Base && v.h.UnknownSSH > 0 {
			return RecipientsMerge{}, &VersionError{Version: v.version, Err: &UnnamedError{UnknownSSH: v.h.UnknownSSH}}
		}
	}
	rm := RecipientsMerge{
		Added:        map[Version][]crypto.Recipient{},
		Removed:      map[Version][]crypto.Recipient{},
		X25519Listed: countX25519(listed),
		X25519Ours:   ours.X25519,
		X25519Theirs: theirs.X25519,
	}
	var inBase []crypto.Recipient
	if base != nil {
		inBase = base.Matched
		rm.X25519Base = base.X25519
	}
	for _, r := range Union(ours.Matched, theirs.Matched, inBase) {
		o, a, b := Has(inBase, r), Has(ours.Matched, r), Has(theirs.Matched, r)
		switch {
		case a && b || a && !o || b && !o:
			rm.Keys = append(rm.Keys, r)
		}
		switch {
		case o && a && !b:
			rm.Removed[Theirs] = append(rm.Removed[Theirs], r)
		case o && !a && b:
			rm.Removed[Ours] = append(rm.Removed[Ours], r)
		case !o && a && !b:
			rm.Added[Ours] = append(rm.Added[Ours], r)
		case !o && !a && b:
			rm.Added[Theirs] = append(rm.Added[Theirs], r)
		}
	}
	if !merged {
		e := &X25519CountError{Listed: rm.X25519Listed, Base: rm.X25519Base, Ours: ours.X25519, Theirs: theirs.X25519}
		switch {
		case base == nil:
			e.NoCommonBase, e.Want = true, ours.X25519
			if ours.X25519 != theirs.X25519 || rm.X25519Listed != ours.X25519 {
				return RecipientsMerge{}, e
			}
		default:
			e.TheirsChanged = theirs.X25519 != base.X25519
			e.Want = ours.X25519 + theirs.X25519 - base.X25519
			if rm.X25519Listed != e.Want || e.TheirsChanged {
				return RecipientsMerge{}, e
			}
		}
	}
	for _, r := range listed {
		if r.X25519 != nil {
			rm.Keys = append(rm.Keys, r)
		}
	}
	if len(rm.Keys) == 0 {
		return RecipientsMerge{}, ErrNobody
	}
	return rm, nil
}
