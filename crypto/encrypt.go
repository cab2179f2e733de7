package crypto

import (
	"fmt"
	"io"

	"filippo.io/age"
)

// encryptAge writes plaintext to w, encrypted to every one of recipients.
func encryptAge(w io.Writer, plaintext []byte, recipients ...age.Recipient) error {
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
