package crypto

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"filippo.io/age"
	"filippo.io/age/armor"
)

// MaxFileSize caps the secrets file, encrypted and decrypted.
const MaxFileSize = 16 << 20

// NoMatchError is returned when none of the keys is a recipient of the file.
type NoMatchError struct {
	File  string
	Tried []string // key names, with a reason where one is known
}

func (e *NoMatchError) Error() string {
	return fmt.Sprintf("none of your SSH keys can decrypt %s (tried %s)", e.File, strings.Join(e.Tried, ", "))
}

// Decrypt reads the age file from r, binary or armored, and decrypts it with
// the first key that is one of its recipients. name is how messages call the
// file. The plaintext is the caller's to wipe.
func Decrypt(r io.Reader, name string, keys []*Key) ([]byte, error) {
	if len(keys) == 0 {
		return nil, errors.New("no SSH key to decrypt with")
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s is larger than %d MiB", name, MaxFileSize>>20)
	}
	var src io.Reader = bytes.NewReader(data)
	if bytes.HasPrefix(data, []byte(armor.Header)) {
		src = armor.NewReader(src)
	}
	ids := make([]age.Identity, len(keys))
	for i, k := range keys {
		ids[i] = k
	}
	plain, err := age.Decrypt(src, ids...)
	var noMatch *age.NoIdentityMatchError
	var keyErr *keyError
	switch {
	case errors.As(err, &noMatch):
		e := &NoMatchError{File: name}
		for _, k := range keys {
			if k.skipped != "" {
				e.Tried = append(e.Tried, k.Name+" ("+k.skipped+")")
			} else {
				e.Tried = append(e.Tried, k.Name)
			}
		}
		return nil, e
	case errors.As(err, &keyErr):
		return nil, err
	case err != nil && !bytes.HasPrefix(data, []byte("age-encryption.org/")) && !bytes.HasPrefix(data, []byte(armor.Header)):
		// age's message would quote the first line, which in a
		// plaintext file is likely a secret.
		return nil, fmt.Errorf("%s is not an age-encrypted file", name)
	case err != nil:
		return nil, fmt.Errorf("%s has a damaged age header", name)
	}
	// The plaintext is shorter than the file, so one buffer of the file's
	// size holds it without the copies a growing buffer leaves behind.
	out := make([]byte, len(data))
	n := 0
	for n < len(out) {
		m, err := plain.Read(out[n:])
		n += m
		if err == io.EOF {
			return out[:n], nil
		}
		if err != nil {
			clear(out)
			return nil, fmt.Errorf("%s is damaged: %v", name, err)
		}
	}
	clear(out)
	return nil, fmt.Errorf("%s is damaged: plaintext longer than the file", name)
}
