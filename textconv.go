package main

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"

	"rigup-exec/crypto"
	"rigup-exec/project"
	"rigup-exec/tmpl"
)

// textconv prints what git diff shows of an encrypted secrets file: a line
// for whom it is encrypted to, then a line per key with the type and tag
// of its value (project.KeyTags), never the value. What cannot be shown
// (a file that is not age's, that your keys do not decrypt, that is not
// TOML) is said in a line of its own, and the diff goes on: git stops a
// diff whose textconv fails.
func (c *CLI) textconv(ui *ui, path string) {
	line := func(format string, a ...any) { fmt.Fprintf(ui.stdout, format+"\n", a...) }
	data, err := readInput(path)
	if err != nil {
		line("# rigup-exec: cannot be read: %v", err)
		return
	}
	h, err := crypto.ReadHeader(bytes.NewReader(data), nil)
	if err != nil {
		line("# rigup-exec: %v", err)
		return
	}
	line("# encrypted to %s", describeHeader(h))
	keys, err := c.loadKeys(ui)
	if err != nil {
		keys = nil // crypto.Decrypt says there is no key
	}
	var tags []project.KeyTag
	forgetting(func() {
		var plain []byte
		if plain, err = crypto.Decrypt(bytes.NewReader(data), "it", keys); err != nil {
			return
		}
		defer clear(plain)
		tags, err = project.KeyTags(plain, crypto.TagKey(keys))
	})
	var syntax *tmpl.SyntaxError
	switch {
	case errors.As(err, &syntax):
		line("# rigup-exec: the secrets are %s", syntax)
		return
	case err != nil:
		line("# rigup-exec: cannot be decrypted: %s", firstLine(err))
		// So that a diff still shows that it changed.
		sum := sha256.Sum256(data)
		line("# ciphertext SHA-256 %x", sum[:6])
		return
	}
	line("# values hidden: a tag changes with its value, and only your key can compute it")
	for _, t := range tags {
		line("%s = <%s %s>", t.Key, t.Kind, t.Tag)
	}
}

// describeHeader says whom a file is encrypted to, by kind of key.
func describeHeader(h crypto.Header) string {
	var kinds []string
	if n := len(h.Matched) + h.UnknownSSH; n > 0 {
		kinds = append(kinds, plural(n, "SSH key"))
	}
	if h.X25519 > 0 {
		kinds = append(kinds, plural(h.X25519, "age1 key"))
	}
	if h.Scrypt {
		kinds = append(kinds, "a passphrase")
	}
	if len(h.Others) > 0 {
		kinds = append(kinds, plural(len(h.Others), "key")+" of other types")
	}
	if len(kinds) == 0 {
		return "nobody"
	}
	return strings.Join(kinds, " and ")
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
