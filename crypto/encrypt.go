package crypto

import (
	"fmt"
	"io"
	"strings"

	"filippo.io/age"
	"filippo.io/age/agessh"
)

// ParseRecipient parses a public key that a file can be encrypted to: an
// ssh-ed25519 or ssh-rsa public key line, as in ~/.ssh/id_ed25519.pub, or
// an age1... recipient.
func ParseRecipient(s string) (age.Recipient, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "age1") {
		return age.ParseX25519Recipient(s)
	}
	r, err := agessh.ParseRecipient(s)
	if err != nil {
		return nil, fmt.Errorf("not an ssh-ed25519, ssh-rsa or age1 public key: %w", err)
	}
	return r, nil
}

// Encrypt writes plaintext to w, encrypted to every one of recipients.
func Encrypt(w io.Writer, plaintext []byte, recipients ...age.Recipient) error {
	if len(recipients) == 0 {
		return fmt.Errorf("no recipients to encrypt to")
	}
	enc, err := age.Encrypt(w, recipients...)
	if err != nil {
		return err
	}
	if _, err := enc.Write(plaintext); err != nil {
		return err
	}
	return enc.Close()
}
