package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"rigup-exec/crypto"
	"rigup-exec/project"
)

// readRecipients reads the recipients file at path, if there is one.
func readRecipients(path string) (project.Recipients, error) {
	data, err := readInput(path)
	if errors.Is(err, os.ErrNotExist) {
		return project.Recipients{}, nil
	}
	if err != nil {
		return project.Recipients{}, err
	}
	if err := checkTrusted("recipients file", path); err != nil {
		return project.Recipients{}, err
	}
	file, err := project.ParseRecipients(data)
	if err != nil {
		return file, hint(fmt.Errorf("%s: %w", display(path), err),
			"one public key per line: ssh-ed25519 or ssh-rsa (as in ~/.ssh/id_ed25519.pub), or an age1 key alone (as age-keygen -y prints it); # for comments")
	}
	return file, nil
}

// ownRecipients returns the public halves of the user's keys, with the
// comment of their .pub file when there is one.
func ownRecipients(keys []*crypto.Key, paths []string) []crypto.Recipient {
	var rs []crypto.Recipient
	for i, k := range keys {
		if data, err := readInput(paths[i] + ".pub"); err == nil {
			if r, err := crypto.ParseRecipient(string(data)); err == nil {
				rs = append(rs, r)
				continue
			}
		}
		if pub := k.PublicKey(); pub != nil {
			rs = append(rs, crypto.Recipient{Key: pub})
		}
	}
	return rs
}

// header reads what the header of the secrets file says about its
// recipients, and recognises the SSH keys among candidates. It fails when
// the file is encrypted to what rigup-exec cannot encrypt to, a passphrase
// or a key of an age plugin: the command (verb; doing, as the error says
// it) would lock it out.
func header(p *project.Project, candidates []crypto.Recipient, verb, doing string) (crypto.Header, error) {
	f, err := openInput(p.Secrets)
	if err != nil {
		return crypto.Header{}, err
	}
	defer f.Close()
	h, err := crypto.ReadHeader(f, candidates)
	if err != nil {
		return h, fmt.Errorf("%s: %w", display(p.Secrets), err)
	}
	var u *project.UnsupportedError
	if err := project.CheckHeader(h); !errors.As(err, &u) {
		return h, nil
	}
	if u.Scrypt {
		return h, hint(fmt.Errorf("%s is encrypted with a passphrase (age -p), not to keys: rigup-exec cannot %s it", display(p.Secrets), verb),
			"decrypt it with age -d, and encrypt the plaintext again with age -R "+project.RecipientsFile)
	}
	var types []string
	for _, t := range u.Others {
		if len(t) > 32 { // a stanza type is printable ASCII, of any length
			t = t[:32] + "..."
		}
		types = append(types, t)
	}
	kind := "a type"
	if len(types) > 1 {
		kind = "types"
	}
	return h, hint(fmt.Errorf("%s is also encrypted to %s of %s rigup-exec cannot encrypt to (%s): %s would lock %s out",
		display(p.Secrets), plural(u.Keys, "key"), kind, strings.Join(types, ", "), doing, itOrThem(u.Keys)),
		"rigup-exec encrypts only to ssh-ed25519, ssh-rsa and age1 (X25519) keys: change this file with age itself")
}

// unnamedError says which keys of a file made with age -R alone cannot be
// named, and what to do.
func unnamedError(p *project.Project, e *project.UnnamedError) error {
	var what []string
	if e.UnknownSSH > 0 {
		what = append(what, plural(e.UnknownSSH, "other SSH key"))
	}
	if e.X25519 > 0 {
		what = append(what, plural(e.X25519, "age1 (X25519) key"))
	}
	hints := []string{"write every recipient into " + project.RecipientsFile + ", one per line (SSH public keys, and age1 keys as age-keygen -y prints them), then run rigup-exec secrets rekey"}
	if e.X25519 == 0 {
		hints = append(hints, "or name each other key with -R: rigup-exec secrets edit -R bob.pub -R carol.pub")
	}
	return hint(fmt.Errorf("%s is also encrypted to %s that no %s names: saving it would lock %s out",
		display(p.Secrets), strings.Join(what, " and "), project.RecipientsFile, itOrThem(e.UnknownSSH+e.X25519)), hints...)
}

func (u *ui) showChange(d project.Change) {
	for _, r := range d.Added {
		u.notef("recipient added: %s", describeRecipient(r))
	}
	if n := d.X25519Added(); n > 0 {
		u.notef("recipient added: %s: %s lists %d, the file is encrypted to %d (%s cannot be told)",
			plural(n, "age1 (X25519) key"), project.RecipientsFile, d.X25519Listed, d.X25519File, whichOnes(n))
	}
	for _, r := range d.Removed {
		u.notef("recipient removed: %s", describeRecipient(r))
	}
	if d.Unknown > 0 {
		u.notef("recipient removed: %s the file is encrypted to, named nowhere (no longer in %s?)",
			plural(d.Unknown, "SSH key"), project.RecipientsFile)
	}
	switch n := d.X25519Removed(); {
	case n > 0 && d.X25519Listed == 0:
		u.notef("recipient removed: %s the file is encrypted to, named nowhere (no longer in %s?)",
			plural(n, "age1 (X25519) key"), project.RecipientsFile)
	case n > 0:
		u.notef("recipient removed: %s: the file is encrypted to %d, %s lists %d (%s cannot be told)",
			plural(n, "age1 (X25519) key"), d.X25519File, project.RecipientsFile, d.X25519Listed, whichOnes(n))
	}
}

func describeRecipient(r crypto.Recipient) string {
	s := r.ID() + " " + r.Type()
	if r.Comment != "" {
		s += " " + r.Comment
	}
	return s
}

// consent asks, on a terminal, whether the change of recipients is wanted;
// without a terminal, given says whether the command line already asked
// for it: rekey asks for any change, -R (byR) for adding the keys it names
// and nothing else.
func (u *ui) consent(d project.Change, name string, given, byR bool) error {
	if !d.Any() {
		return nil
	}
	u.showChange(d)
	ok, asked, err := u.confirm(fmt.Sprintf("Encrypt %s to these recipients? [y/N] ", name), false)
	if err != nil {
		return err
	}
	if asked && !ok {
		// Declined: the way on is to change the list, not to be asked
		// again by rekey.
		hints := []string{"the change comes from " + project.RecipientsFile + ": make it list exactly who may decrypt (git diff " + project.RecipientsFile + " shows what changed)"}
		return hint(fmt.Errorf("declined: the recipients of %s stay as they are, nothing saved", name), hints...)
	}
	if !asked && !given {
		hints := []string{"run rigup-exec secrets rekey to encrypt to the keys in " + project.RecipientsFile}
		if d.Removes() {
			hints = append(hints, "to keep a key that would be removed, list it in "+project.RecipientsFile+" first")
		}
		if byR && !asked {
			hints = append(hints, "-R consents to adding the keys it names, and to nothing else: add them after the rekey")
		}
		return hint(fmt.Errorf("the recipients of %s would change: nothing saved", name), hints...)
	}
	return nil
}

// parseRecipientArgs parses -R values: public key lines or .pub files.
func parseRecipientArgs(args []string) ([]crypto.Recipient, error) {
	var rs []crypto.Recipient
	for _, a := range args {
		line := a
		isKey := strings.HasPrefix(a, "ssh-") || strings.HasPrefix(a, "age1")
		if !isKey && (isFile(a) || strings.HasSuffix(a, ".pub") || strings.Contains(a, "/")) {
			data, err := readInput(a)
			if err != nil {
				var pe *fs.PathError
				if errors.As(err, &pe) {
					err = pe.Err // the path is already in the message
				}
				return nil, hint(fmt.Errorf("-R %s: %w", a, err), recipientArgHint)
			}
			line = string(data)
		}
		r, err := crypto.ParseRecipient(line)
		if err != nil {
			return nil, hint(fmt.Errorf("-R %s: %w", shortArg(a), err), recipientArgHint)
		}
		rs = append(rs, project.Minus([]crypto.Recipient{r}, rs)...)
	}
	return rs, nil
}

const recipientArgHint = "give an SSH public key (ssh-ed25519 or ssh-rsa) or its .pub file, or an age1 key as age-keygen -y prints it"

// shortArg shortens a key line for a message: its type and a few
// characters are enough to recognise it. A private key is not shown.
func shortArg(a string) string {
	if strings.Contains(a, "PRIVATE KEY") || strings.Contains(a, "AGE-SECRET-KEY-") || strings.Contains(a, "AGE-PLUGIN-") {
		return "(a private key, not shown)"
	}
	if len(a) > 24 {
		return a[:24] + "..."
	}
	return a
}

// disagreement says how the recipients file and the secrets file, whose
// header is h, disagree, or returns "" when the file is encrypted to
// exactly the listed keys (as far as the header tells).
func disagreement(h crypto.Header, listed []crypto.Recipient) string {
	d := project.ChangeTo(true, h, listed, listed)
	if !d.Any() && len(h.Others) == 0 && !h.Scrypt {
		return ""
	}
	var how []string
	if n := len(d.Added) + d.X25519Added(); n > 0 {
		how = append(how, plural(n, "listed key")+" cannot decrypt it yet")
	}
	if n := len(d.Removed) + d.Unknown + d.X25519Removed() + len(h.Others); n > 0 {
		how = append(how, "it is encrypted to "+plural(n, "key")+" not listed")
	}
	if h.Scrypt {
		how = append(how, "it is encrypted with a passphrase")
	}
	return fmt.Sprintf("%s and the secrets file disagree: %s", project.RecipientsFile, strings.Join(how, ", "))
}

// rekeyHint is the way out of a disagreement.
const rekeyHint = "someone who can decrypt it runs rigup-exec secrets rekey, and commits the result"

// warnDisagreement warns when the recipients file beside the secrets file
// at path lists other keys than the file is encrypted to. Anything that
// cannot be read is left to the commands that need it.
func (c *CLI) warnDisagreement(ui *ui, path string, keys []*crypto.Key) {
	listed, err := readRecipients(filepath.Join(filepath.Dir(path), project.RecipientsFile))
	if err != nil || !listed.Exists {
		return
	}
	f, err := openInput(path)
	if err != nil {
		return
	}
	defer f.Close()
	h, err := crypto.ReadHeader(f, project.Union(listed.Keys, publicKeys(keys)))
	if err != nil {
		return
	}
	if msg := disagreement(h, listed.Keys); msg != "" {
		ui.warnf("%s", msg)
		ui.hintf("%s", rekeyHint)
	}
}

// publicKeys returns the public halves of keys that have one at hand.
func publicKeys(keys []*crypto.Key) []crypto.Recipient {
	var rs []crypto.Recipient
	for _, k := range keys {
		if pub := k.PublicKey(); pub != nil {
			rs = append(rs, crypto.Recipient{Key: pub})
		}
	}
	return rs
}
