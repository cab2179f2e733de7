package project

import (
	"errors"
	"reflect"
	"testing"

	"rigup-exec/crypto"
)

func TestMergeRecipients(t *testing.T) {
	dir := t.TempDir()
	_, alice := newKey(t, dir, "alice")
	_, bob := newKey(t, dir, "bob")
	_, carol := newKey(t, dir, "carol")
	_, eve := newKey(t, dir, "eve")
	ci, dev := x25519(t), x25519(t)
	h := func(x25519 int, rs ...crypto.Recipient) crypto.Header {
		return crypto.Header{Matched: rs, X25519: x25519}
	}
	hp := func(x25519 int, rs ...crypto.Recipient) *crypto.Header {
		v := h(x25519, rs...)
		return &v
	}
	for _, tc := range []struct {
		name           string
		base           *crypto.Header
		ours, theirs   crypto.Header
		listed         []crypto.Recipient
		merged         bool
		want           []crypto.Recipient
		added, removed map[Version][]crypto.Recipient
		err            error
		version        Version
	}{
		{
			name: "unchanged", base: hp(0, alice, bob), ours: h(0, alice, bob), theirs: h(0, alice, bob),
			listed: list(alice, bob), want: list(alice, bob),
		},
		{
			name: "theirs added one", base: hp(0, alice, bob), ours: h(0, alice, bob), theirs: h(0, alice, bob, carol),
			listed: list(alice, bob, carol), merged: true, want: list(alice, bob, carol),
			added: map[Version][]crypto.Recipient{Theirs: list(carol)},
		},
		{
			name: "ours added one", base: hp(0, alice, bob), ours: h(0, alice, bob, carol), theirs: h(0, alice, bob),
			listed: list(alice, bob, carol), want: list(alice, bob, carol),
			added: map[Version][]crypto.Recipient{Ours: list(carol)},
		},
		{
			name: "theirs removed one: it stays removed", base: hp(0, alice, bob, eve), ours: h(0, alice, bob, eve), theirs: h(0, alice, bob),
			listed: list(alice, bob, eve), want: list(alice, bob),
			removed: map[Version][]crypto.Recipient{Theirs: list(eve)},
		},
		{
			name: "ours removed one, theirs added one", base: hp(0, alice, bob, eve), ours: h(0, alice, bob), theirs: h(0, alice, bob, eve, carol),
			listed: list(alice, bob, carol), merged: true, want: list(alice, bob, carol),
			added: map[Version][]crypto.Recipient{Theirs: list(carol)}, removed: map[Version][]crypto.Recipient{Ours: list(eve)},
		},
		{
			name: "both removed one", base: hp(0, alice, bob, eve), ours: h(0, alice, bob), theirs: h(0, alice, bob),
			listed: list(alice, bob), want: list(alice, bob),
		},
		{
			name: "no common ancestor: both sides' keys", ours: h(0, alice), theirs: h(0, bob),
			listed: list(alice), want: list(alice, bob),
			added: map[Version][]crypto.Recipient{Ours: list(alice), Theirs: list(bob)},
		},
		{
			name: "an SSH key of theirs that nothing names", base: hp(0, alice), ours: h(0, alice),
			theirs: crypto.Header{Matched: list(alice), UnknownSSH: 1}, listed: list(alice),
			err: &UnnamedError{UnknownSSH: 1}, version: Theirs,
		},
		{
			name: "an SSH key of ours that nothing names", base: hp(0, alice), theirs: h(0, alice),
			ours: crypto.Header{Matched: list(alice), UnknownSSH: 2}, listed: list(alice),
			err: &UnnamedError{UnknownSSH: 2}, version: Ours,
		},
		{
			name: "an SSH key of the ancestor alone that nothing names: removed on both sides",
			base: &crypto.Header{Matched: list(alice), UnknownSSH: 1}, ours: h(0, alice), theirs: h(0, alice),
			listed: list(alice), want: list(alice),
		},
		{
			name: "a passphrase", base: hp(0, alice), ours: h(0, alice), theirs: crypto.Header{Scrypt: true},
			listed: list(alice), err: &UnsupportedError{Scrypt: true}, version: Theirs,
		},
		{
			name: "a plugin's key", base: &crypto.Header{Matched: list(alice), Others: []string{"piv-p256"}}, ours: h(0, alice), theirs: h(0, alice),
			listed: list(alice), err: &UnsupportedError{Others: []string{"piv-p256"}, Keys: 1}, version: Base,
		},
		{
			name: "age1 keys unchanged", base: hp(1, alice), ours: h(1, alice), theirs: h(1, alice),
			listed: list(alice, ci), want: list(alice, ci),
		},
		{
			name: "an age1 key added by ours", base: hp(1, alice), ours: h(2, alice), theirs: h(1, alice),
			listed: list(alice, ci, dev), want: list(alice, ci, dev),
		},
		{
			name: "an age1 key added by theirs, while git merges", base: hp(1, alice), ours: h(1, alice), theirs: h(2, alice),
			listed: list(alice, ci), err: &X25519CountError{Listed: 1, Want: 2, Base: 1, Ours: 1, Theirs: 2, TheirsChanged: true},
		},
		{
			name: "an age1 key added by theirs, once git merged", base: hp(1, alice), ours: h(1, alice), theirs: h(2, alice),
			listed: list(alice, ci, dev), merged: true, want: list(alice, ci, dev),
		},
		{
			name: "an age1 key removed by theirs, while git merges", base: hp(2, alice), ours: h(2, alice), theirs: h(1, alice),
			listed: list(alice, ci, dev), err: &X25519CountError{Listed: 2, Want: 1, Base: 2, Ours: 2, Theirs: 1, TheirsChanged: true},
		},
		{
			name: "ours not encrypted to the age1 keys it lists", base: hp(1, alice), ours: h(1, alice), theirs: h(1, alice),
			listed: list(alice, ci, dev), err: &X25519CountError{Listed: 2, Want: 1, Base: 1, Ours: 1, Theirs: 1},
		},
		{
			name: "age1 keys without a common ancestor", ours: h(1, alice), theirs: h(2, alice),
			listed: list(alice, ci), err: &X25519CountError{Listed: 1, Want: 1, Ours: 1, Theirs: 2, NoCommonBase: true},
		},
		{
			name: "nobody", base: hp(0, alice), ours: h(0), theirs: h(0), listed: nil, err: ErrNobody,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rm, err := MergeRecipients(tc.base, tc.ours, tc.theirs, tc.listed, tc.merged)
			switch want := tc.err.(type) {
			case nil:
				if err != nil {
					t.Fatal(err)
				}
			case *UnnamedError:
				var u *UnnamedError
				var ve *VersionError
				if !errors.As(err, &u) || *u != *want || !errors.As(err, &ve) || ve.Version != tc.version {
					t.Errorf("error %v, want %+v of %s", err, want, tc.version)
				}
				return
			case *UnsupportedError:
				var u *UnsupportedError
				var ve *VersionError
				if !errors.As(err, &u) || !reflect.DeepEqual(u, want) || !errors.As(err, &ve) || ve.Version != tc.version {
					t.Errorf("error %v, want %+v of %s", err, want, tc.version)
				}
				return
			case *X25519CountError:
				var c *X25519CountError
				if !errors.As(err, &c) || *c != *want {
					t.Errorf("error %+v, want %+v", c, want)
				}
				return
			default:
				if !errors.Is(err, want) {
					t.Errorf("error %v, want %v", err, want)
				}
				return
			}
			if !reflect.DeepEqual(ids(rm.Keys), ids(tc.want)) {
				t.Errorf("keys %v, want %v", ids(rm.Keys), ids(tc.want))
			}
			for _, v := range []Version{Ours, Theirs} {
				if !reflect.DeepEqual(ids(rm.Added[v]), ids(tc.added[v])) {
					t.Errorf("added by %s %v, want %v", v, ids(rm.Added[v]), ids(tc.added[v]))
				}
				if !reflect.DeepEqual(ids(rm.Removed[v]), ids(tc.removed[v])) {
					t.Errorf("removed by %s %v, want %v", v, ids(rm.Removed[v]), ids(tc.removed[v]))
				}
			}
		})
	}
}
