//go:build linux

package e2e

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"os"
	"strings"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"github.com/rogpeppe/go-internal/testscript"
)

// Files that the age CLI here cannot make: encrypted to a key of an age
// plugin (no plugin is installed), with a grease stanza (as rage adds one),
// or to a passphrase (age -p reads it from a terminal). They are made with
// the age library, not with rigup-exec's code, and are real age files: the
// age CLI decrypts them with any of their other keys.

// ageWithStanza is the testscript command
//
//	agestanza TYPE RECIPIENTS IN OUT
//
// which writes IN to OUT encrypted to every key of the recipients file
// RECIPIENTS (ssh-ed25519, ssh-rsa and age1 lines) and to one more
// stanza of type TYPE, such as an age plugin writes for its key (piv-p256
// for age-plugin-yubikey) or a grease stanza ("x-grease"); TYPE may be
// several types separated by commas, for one stanza each.
func ageWithStanza(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 4 {
		ts.Fatalf("usage: agestanza TYPE RECIPIENTS IN OUT")
	}
	var rs []age.Recipient
	for _, line := range strings.Split(ts.ReadFile(args[1]), "\n") {
		var r age.Recipient
		var err error
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
			continue
		case strings.HasPrefix(line, "age1"):
			r, err = age.ParseX25519Recipient(line)
		default:
			r, err = agessh.ParseRecipient(line)
		}
		ts.Check(err)
		rs = append(rs, r)
	}
	for _, typ := range strings.Split(args[0], ",") {
		rs = append(rs, stanzaRecipient(typ))
	}
	writeAgeFile(ts, args[2], args[3], rs)
}

// ageWithPassphrase is the testscript command
//
//	agepassphrase PASSPHRASE IN OUT
//
// which writes IN to OUT encrypted to a passphrase, as age -p does.
func ageWithPassphrase(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: agepassphrase PASSPHRASE IN OUT")
	}
	r, err := age.NewScryptRecipient(args[0])
	ts.Check(err)
	r.SetWorkFactor(10) // fast: the tests never decrypt it with the passphrase
	writeAgeFile(ts, args[1], args[2], []age.Recipient{r})
}

func writeAgeFile(ts *testscript.TestScript, in, out string, rs []age.Recipient) {
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rs...)
	ts.Check(err)
	_, err = w.Write([]byte(ts.ReadFile(in)))
	ts.Check(err)
	ts.Check(w.Close())
	ts.Check(os.WriteFile(ts.MkAbs(out), buf.Bytes(), 0o644))
}

// stanzaRecipient wraps the file key for nobody: it writes a stanza of its
// type with a random 4-byte tag and body, the shape of a plugin's.
type stanzaRecipient string

func (s stanzaRecipient) Wrap(fileKey []byte) ([]*age.Stanza, error) {
	tag, body := make([]byte, 4), make([]byte, 32)
	rand.Read(tag)
	rand.Read(body)
	return []*age.Stanza{{Type: string(s), Args: []string{base64.RawStdEncoding.EncodeToString(tag)}, Body: body}}, nil
}
