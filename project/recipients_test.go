package project

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"filippo.io/age"

	"rigup-exec/crypto"
)

func x25519(t *testing.T) crypto.Recipient {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	r, err := crypto.ParseRecipient(id.Recipient().String())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func ids(rs []crypto.Recipient) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID())
	}
	return out
}

func list(rs ...crypto.Recipient) []crypto.Recipient { return rs }

func TestSetOperations(t *testing.T) {
	dir := t.TempDir()
	_, a := newKey(t, dir, "a")
	_, b := newKey(t, dir, "b")
	c := x25519(t)
	if got := ids(Union(list(a, b), list(b, c, a))); !reflect.DeepEqual(got, ids(list(a, b, c))) {
		t.Errorf("Union = %v", got)
	}
	if got := ids(Minus(list(a, b, c), list(b))); !reflect.DeepEqual(got, ids(list(a, c))) {
		t.Errorf("Minus = %v", got)
	}
	if !Has(list(a, c), c) || Has(list(a), b) {
		t.Error("Has is wrong")
	}
}

func TestWith(t *testing.T) {
	dir := t.TempDir()
	_, a := newKey(t, dir, "a")
	_, b := newKey(t, dir, "b")
	newFile := Recipients{}.With(list(a))
	if !strings.HasPrefix(string(newFile), "# ") || !strings.Contains(string(newFile), a.String()) {
		t.Errorf("a new file is %q", newFile)
	}
	text := "# our team\n" + a.String() + "\n"
	file, err := ParseRecipients([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if got := file.With(list(a)); got != nil {
		t.Errorf("With the keys it lists = %q, want nil (nothing to write)", got)
	}
	got := string(file.With(list(a, b)))
	if !strings.HasPrefix(got, text) || !strings.Contains(got, b.String()) {
		t.Errorf("With a new key = %q, want the old lines and the new key", got)
	}
}

func TestEditRecipients(t *testing.T) {
	dir := t.TempDir()
	_, me := newKey(t, dir, "me")
	_, rsa := newKey(t, dir, "second")
	_, bob := newKey(t, dir, "bob")
	_, eve := newKey(t, dir, "eve")
	teamText := []byte(me.String() + "\n" + bob.String() + "\n")
	team, _ := ParseRecipients(teamText)
	for _, tc := range []struct {
		name       string
		exists     bool
		file       Recipients
		h          crypto.Header
		own, extra []crypto.Recipient
		want       []crypto.Recipient
		err        error
	}{
		{name: "new, first own key", own: list(me, rsa), want: list(me)},
		{name: "new, -R too", own: list(me), extra: list(bob, me), want: list(me, bob)},
		{name: "new, -R alone", extra: list(bob), want: list(bob)},
		{name: "new, no key", err: ErrNoKey},
		{name: "recipients file", exists: true, file: team, own: list(me), want: list(me, bob)},
		{name: "recipients file and -R", exists: true, file: team, extra: list(eve), want: list(me, bob, eve)},
		{name: "new with a recipients file", file: team, own: list(rsa), want: list(me, bob)},
		{name: "age -R file, all named", exists: true, h: crypto.Header{Matched: list(me, bob)}, own: list(me), want: list(me, bob)},
		{name: "age -R file, -R adds", exists: true, h: crypto.Header{Matched: list(me)}, extra: list(bob), want: list(me, bob)},
		{name: "age -R file, an unknown SSH key", exists: true, h: crypto.Header{Matched: list(me), UnknownSSH: 1}, err: &UnnamedError{UnknownSSH: 1}},
		{name: "age -R file, an age1 key", exists: true, h: crypto.Header{Matched: list(me), X25519: 2}, err: &UnnamedError{X25519: 2}},
		{name: "empty recipients file", exists: true, file: Recipients{Exists: true}, err: ErrNobody},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := ids(tc.file.Keys)
			got, err := EditRecipients(tc.exists, tc.file, tc.h, tc.own, tc.extra)
			switch want := tc.err.(type) {
			case nil:
				if err != nil || !reflect.DeepEqual(ids(got), ids(tc.want)) {
					t.Errorf("= %v, %v, want %v", ids(got), err, ids(tc.want))
				}
			case *UnnamedError:
				var u *UnnamedError
				if !errors.As(err, &u) || *u != *want {
					t.Errorf("error %v, want %+v", err, want)
				}
			default:
				if !errors.Is(err, want) {
					t.Errorf("error %v, want %v", err, want)
				}
			}
			if !reflect.DeepEqual(ids(tc.file.Keys), before) {
				t.Errorf("the recipients file's keys changed to %v", ids(tc.file.Keys))
			}
		})
	}
}

func TestChangeTo(t *testing.T) {
	dir := t.TempDir()
	_, me := newKey(t, dir, "me")
	_, bob := newKey(t, dir, "bob")
	_, eve := newKey(t, dir, "eve")
	age1, age2 := x25519(t), x25519(t)

	if d := ChangeTo(false, crypto.Header{}, list(me), nil); !reflect.DeepEqual(ids(d.Added), ids(list(me))) || !d.Any() || d.Removes() {
		t.Errorf("a new file: %+v", d)
	}
	h := crypto.Header{Matched: list(me, eve)}
	d := ChangeTo(true, h, list(me, bob), list(me, bob))
	if !reflect.DeepEqual(ids(d.Added), ids(list(bob))) || !reflect.DeepEqual(ids(d.Removed), ids(list(eve))) || !d.Removes() {
		t.Errorf("bob in, eve out: %+v", d)
	}
	if d.AddsOnly(list(bob), list(me, bob)) {
		t.Error("a change that removes eve only adds")
	}
	d = ChangeTo(true, crypto.Header{Matched: list(me)}, list(me, bob), list(me))
	if !d.AddsOnly(list(bob), list(me)) || d.AddsOnly(nil, list(me)) {
		t.Errorf("adding bob: AddsOnly wrong for %+v", d)
	}
	d = ChangeTo(true, crypto.Header{Matched: list(me), UnknownSSH: 1}, list(me), list(me))
	if d.Unknown != 1 || !d.Removes() {
		t.Errorf("an SSH key named nowhere is dropped: %+v", d)
	}
	if !ChangeTo(true, crypto.Header{Matched: list(me)}, list(me), list(me)).Settled(list(me)) {
		t.Error("the same keys are not settled")
	}

	// X25519 stanzas do not say their key: listed age1 keys are counted.
	h = crypto.Header{Matched: list(me), X25519: 1}
	d = ChangeTo(true, h, list(me, age1), list(me, age1))
	if d.Any() || d.Settled(list(me, age1)) {
		t.Errorf("one age1 key listed, one stanza: %+v, and it must be re-encrypted to settle which", d)
	}
	d = ChangeTo(true, h, list(me, age1, age2), list(me, age1, age2))
	if d.X25519Added() != 1 || d.Removes() || !d.AddsOnly(list(age2), list(me, age1, age2)) {
		t.Errorf("two age1 keys listed, one stanza: %+v", d)
	}
	d = ChangeTo(true, crypto.Header{Matched: list(me), X25519: 2}, list(me, age1), list(me, age1))
	if d.X25519Removed() != 1 || !d.Removes() {
		t.Errorf("one age1 key listed, two stanzas: %+v", d)
	}
	// An age1 key of -R, not listed, is named.
	d = ChangeTo(true, crypto.Header{Matched: list(me), X25519: 1}, list(me, age2), list(me))
	if !reflect.DeepEqual(ids(d.Added), ids(list(age2))) {
		t.Errorf("an age1 key of -R: %+v", d)
	}
}

func TestCheckHeader(t *testing.T) {
	if err := CheckHeader(crypto.Header{UnknownSSH: 2, X25519: 1}); err != nil {
		t.Errorf("SSH and X25519 stanzas: %v", err)
	}
	var u *UnsupportedError
	if err := CheckHeader(crypto.Header{Scrypt: true}); !errors.As(err, &u) || !u.Scrypt {
		t.Errorf("scrypt: %v", err)
	}
	err := CheckHeader(crypto.Header{Others: []string{"piv-p256", "piv-p256", "mlkem768x25519"}})
	if !errors.As(err, &u) || u.Keys != 3 || !reflect.DeepEqual(u.Others, []string{"piv-p256", "mlkem768x25519"}) {
		t.Errorf("plugin stanzas: %+v", u)
	}
}
