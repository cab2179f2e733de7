package crypto

import (
	"bufio"
	"bytes"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"filippo.io/age/armor"
	"golang.org/x/crypto/ssh"
)

// Recipient is an SSH public key a secrets file is encrypted to.
type Recipient struct {
	Key     ssh.PublicKey
	Comment string // the rest of the line after the key, trimmed; may be ""
	Line    int    // 1-based line in the recipients file, 0 when not from a file
}

// Fingerprint is the key's fingerprint as ssh-keygen -l prints it.
func (r Recipient) Fingerprint() string { return ssh.FingerprintSHA256(r.Key) }

// String is the key as a line of authorized_keys or of a .pub file, without
// the newline.
func (r Recipient) String() string {
	s := strings.TrimSuffix(string(ssh.MarshalAuthorizedKey(r.Key)), "\n")
	if r.Comment == "" {
		return s
	}
	// A comment set by hand must not add lines to a recipients file.
	return s + " " + strings.NewReplacer("\n", " ", "\r", " ").Replace(r.Comment)
}

// Age returns the age recipient that encrypts to the key.
func (r Recipient) Age() (age.Recipient, error) {
	if r.Key.Type() == ssh.KeyAlgoRSA {
		return agessh.NewRSARecipient(r.Key)
	}
	return agessh.NewEd25519Recipient(r.Key)
}

// ParseRecipient parses one public key line, as given to -R or read from a
// .pub file: an ssh-ed25519 or ssh-rsa key of at least 2048 bits, then an
// optional comment. Errors name the key type but never quote the line.
func ParseRecipient(line string) (Recipient, error) {
	if !utf8.ValidString(line) {
		return Recipient{}, errors.New("not valid UTF-8")
	}
	typ, rest := cutField(strings.TrimSpace(line))
	blob, comment := cutField(rest)
	switch {
	case typ == ssh.KeyAlgoED25519 || typ == ssh.KeyAlgoRSA:
	case typ == "":
		return Recipient{}, errors.New("no public key")
	case strings.Contains(line, "PRIVATE KEY"):
		return Recipient{}, errors.New("a private key, not a public key")
	case strings.HasPrefix(typ, "age1"):
		return Recipient{}, errors.New("an age recipient, not an SSH public key")
	case len(typ) <= 64 && (strings.HasPrefix(typ, "ssh-") || strings.HasPrefix(typ, "ecdsa-") || strings.HasPrefix(typ, "sk-")):
		return Recipient{}, fmt.Errorf("an %s key: age encrypts only to ssh-ed25519 and ssh-rsa keys", typ)
	default:
		return Recipient{}, errors.New("not an SSH public key")
	}
	wire, err := base64.StdEncoding.DecodeString(blob)
	if err != nil || blob == "" {
		return Recipient{}, fmt.Errorf("malformed %s key", typ)
	}
	key, err := ssh.ParsePublicKey(wire)
	if err != nil || key.Type() != typ {
		return Recipient{}, fmt.Errorf("malformed %s key", typ)
	}
	if ck, ok := key.(ssh.CryptoPublicKey); ok {
		if k, ok := ck.CryptoPublicKey().(*rsa.PublicKey); ok && k.N.BitLen() < 2048 {
			return Recipient{}, fmt.Errorf("an ssh-rsa key of %d bits: age requires at least 2048", k.N.BitLen())
		}
	}
	return Recipient{Key: key, Comment: comment}, nil
}

// cutField splits s at its first space or tab, and trims what follows.
func cutField(s string) (field, rest string) {
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

// RecipientsError is a bad line in a recipients file.
type RecipientsError struct {
	Line int
	Err  error
}

func (e *RecipientsError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *RecipientsError) Unwrap() error { return e.Err }

// ParseRecipients parses a recipients file: one public key line each, with
// lines that are empty or start with "#" ignored. It accepts only what
// age -R accepts too, so a line may not start with a space. A file without
// keys is not an error.
func ParseRecipients(data []byte) ([]Recipient, error) {
	var rs []Recipient
	seen := map[string]int{} // wire form to line
	for i, line := range strings.Split(string(data), "\n") {
		n := i + 1
		line = strings.TrimSuffix(line, "\r")
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
			continue
		case strings.TrimLeft(line, " \t") != line:
			return nil, &RecipientsError{n, errors.New("starts with a space, which age -R refuses")}
		}
		r, err := ParseRecipient(line)
		if err != nil {
			return nil, &RecipientsError{n, err}
		}
		if prev, ok := seen[string(r.Key.Marshal())]; ok {
			return nil, &RecipientsError{n, fmt.Errorf("the same key as line %d", prev)}
		}
		seen[string(r.Key.Marshal())] = n
		r.Line = n
		rs = append(rs, r)
	}
	return rs, nil
}

// FormatRecipients writes rs as a recipients file, after a header that says
// what the file is.
func FormatRecipients(rs []Recipient) []byte {
	var b bytes.Buffer
	b.WriteString("# The SSH public keys that can decrypt rigup.secrets.toml.age, one per line.\n")
	b.WriteString("# The format age -R reads: age -R rigup.secrets.recipients encrypts to them all.\n")
	b.WriteString("# Commit this file: the secrets are re-encrypted to exactly these keys.\n")
	for _, r := range rs {
		b.WriteString(r.String() + "\n")
	}
	return b.Bytes()
}

// AppendRecipients returns data, a recipients file, with a line for each
// of rs after its own lines, which are kept as they are, comments
// included. The new lines end as the file's lines do.
func AppendRecipients(data []byte, rs []Recipient) []byte {
	eol := "\n"
	if bytes.Contains(data, []byte("\r\n")) {
		eol = "\r\n"
	}
	out := append([]byte{}, data...)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, eol...)
	}
	for _, r := range rs {
		out = append(out, r.String()+eol...)
	}
	return out
}

// EncryptTo writes plaintext to w, encrypted to every one of rs.
func EncryptTo(w io.Writer, plaintext []byte, rs []Recipient) error {
	ars := make([]age.Recipient, len(rs))
	for i, r := range rs {
		a, err := r.Age()
		if err != nil {
			return fmt.Errorf("recipient %s: %w", r.Fingerprint(), err)
		}
		ars[i] = a
	}
	return Encrypt(w, plaintext, ars...)
}

// HeaderRecipients reads the header of an age file, binary or armored, and
// reports which of candidates it is encrypted to, how many ssh-ed25519 and
// ssh-rsa stanzas name none of them, and how many other stanzas (X25519,
// grease, ...) it has. A stanza names a key by a 4-byte hash, so a match is
// near certain, not proof; without a private key the header cannot be
// authenticated either.
func HeaderRecipients(r io.Reader, candidates []Recipient) (matched []Recipient, unknownSSH int, other int, err error) {
	src := &errReader{r: io.LimitReader(r, MaxFileSize)}
	br := bufio.NewReader(src)
	start, _ := br.Peek(len(armor.Header))
	var in io.Reader = br
	switch {
	case src.err != nil:
		return nil, 0, 0, src.err
	case bytes.HasPrefix(start, []byte(armor.Header)):
		in = armor.NewReader(br)
	case !bytes.HasPrefix(start, []byte("age-encryption.org/")):
		return nil, 0, 0, errors.New("not an age-encrypted file")
	}
	// The recorder refuses every stanza, so age.Decrypt fails with a
	// *NoIdentityMatchError before reading the payload.
	rec := &stanzaRecorder{}
	age.Decrypt(in, rec)
	if !rec.called && src.err != nil {
		return nil, 0, 0, src.err
	}
	if !rec.called {
		// age's error would quote the header's lines.
		return nil, 0, 0, errors.New("damaged age header")
	}
	hit := make([]bool, len(candidates))
	for _, s := range rec.stanzas {
		if s.Type != ssh.KeyAlgoED25519 && s.Type != ssh.KeyAlgoRSA {
			other++
			continue
		}
		known := false
		for i, c := range candidates {
			if c.Key.Type() == s.Type && len(s.Args) > 0 && s.Args[0] == fingerprint(c.Key) {
				hit[i], known = true, true
			}
		}
		if !known {
			unknownSSH++
		}
	}
	for i, c := range candidates {
		if hit[i] {
			matched = append(matched, c)
		}
	}
	return matched, unknownSSH, other, nil
}

// stanzaRecorder is an identity that keeps the stanzas it is shown and
// unwraps none.
type stanzaRecorder struct {
	called  bool
	stanzas []*age.Stanza
}

func (s *stanzaRecorder) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	s.called, s.stanzas = true, stanzas
	return nil, age.ErrIncorrectIdentity
}

// errReader remembers a read error, to tell it from a malformed header.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}
