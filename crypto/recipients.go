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

// Recipient is a public key a secrets file is encrypted to: an SSH key
// (ssh-ed25519 or ssh-rsa), or an age X25519 key (age1...).
type Recipient struct {
	Key     ssh.PublicKey        // the SSH key, or nil
	X25519  *age.X25519Recipient // the age key, or nil
	Comment string               // SSH keys: the rest of the line after the key, trimmed; may be ""
	Line    int                  // 1-based line in the recipients file, 0 when not from a file
}

// x25519Type is the type of age1 keys, as their stanzas name it.
const x25519Type = "X25519"

// Type is the SSH key's type, or x25519Type.
func (r Recipient) Type() string {
	if r.X25519 != nil {
		return x25519Type
	}
	return r.Key.Type()
}

// ID identifies the key: an SSH key by its fingerprint, as ssh-keygen -l
// prints it; an age key by its age1 string, which is short, and what
// age-keygen -y prints.
func (r Recipient) ID() string {
	if r.X25519 != nil {
		return r.X25519.String()
	}
	return ssh.FingerprintSHA256(r.Key)
}

// String is the key as a line of a recipients file, without the newline:
// an SSH key as in authorized_keys or a .pub file, with its comment; an
// age key alone, as age -R reads it.
func (r Recipient) String() string {
	if r.X25519 != nil {
		return r.X25519.String()
	}
	s := strings.TrimSuffix(string(ssh.MarshalAuthorizedKey(r.Key)), "\n")
	if r.Comment == "" {
		return s
	}
	// A comment set by hand must not add lines to a recipients file.
	return s + " " + strings.NewReplacer("\n", " ", "\r", " ").Replace(r.Comment)
}

// Age returns the age recipient that encrypts to the key.
func (r Recipient) Age() (age.Recipient, error) {
	switch {
	case r.X25519 != nil:
		return r.X25519, nil
	case r.Key.Type() == ssh.KeyAlgoRSA:
		return agessh.NewRSARecipient(r.Key)
	}
	return agessh.NewEd25519Recipient(r.Key)
}

// onlyKinds is what rigup-exec can encrypt to, for errors about the rest.
const onlyKinds = "rigup-exec encrypts only to ssh-ed25519, ssh-rsa and age1 (X25519) keys"

// ParseRecipient parses one public key line, as given to -R or read from a
// .pub file: an ssh-ed25519 or ssh-rsa key of at least 2048 bits, then an
// optional comment; or an age1 X25519 key alone, as age-keygen -y prints
// it. Errors name the key type but never quote the line.
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
	case strings.Contains(line, "AGE-SECRET-KEY-") || strings.Contains(line, "AGE-PLUGIN-"):
		return Recipient{}, errors.New("an age identity (a private key), not a public key")
	case strings.HasPrefix(typ, "age1"):
		return parseAgeRecipient(typ, rest)
	case len(typ) <= 64 && (strings.HasPrefix(typ, "ssh-") || strings.HasPrefix(typ, "ecdsa-") || strings.HasPrefix(typ, "sk-")):
		return Recipient{}, fmt.Errorf("an %s key: age encrypts only to ssh-ed25519 and ssh-rsa keys", typ)
	default:
		return Recipient{}, errors.New("not a public key")
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

// pluginName reports whether name can be the name of an age plugin, as in
// age1NAME1... and age-plugin-NAME: 1 to 32 of [a-z0-9._-].
func pluginName(name string) bool {
	if len(name) == 0 || len(name) > 32 {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// parseAgeRecipient parses s, an age1... string, and refuses the kinds of
// age recipient that rigup-exec cannot encrypt to. rest, what followed s
// on its line, must be empty: age -R reads an age1 key alone.
func parseAgeRecipient(s, rest string) (Recipient, error) {
	switch {
	case rest != "":
		return Recipient{}, errors.New("an age1 key followed by more text")
	case strings.HasPrefix(s, "age1pq1") || strings.HasPrefix(s, "age1tagpq1"):
		return Recipient{}, errors.New("a post-quantum age key: " + onlyKinds)
	case strings.HasPrefix(s, "age1tag1"):
		return Recipient{}, errors.New("an age tag key: " + onlyKinds)
	case strings.Count(s, "1") > 1:
		// age1NAME1...: a key of the plugin age-plugin-NAME. (The
		// bech32 data of an X25519 key holds no 1.)
		name, _, _ := strings.Cut(strings.TrimPrefix(s, "age1"), "1")
		if !pluginName(name) {
			return Recipient{}, errors.New("an age plugin's key: " + onlyKinds)
		}
		return Recipient{}, fmt.Errorf("an age-plugin-%s key: %s", name, onlyKinds)
	}
	x, err := age.ParseX25519Recipient(s)
	if err != nil {
		// age's error quotes the key.
		return Recipient{}, errors.New("malformed age1 key")
	}
	return Recipient{X25519: x}, nil
}

// cutField splits s at its first space or tab, and trims what follows.
func cutField(s string) (field, rest string) {
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

// recipientsError is a bad line in a recipients file.
type recipientsError struct {
	Line int
	Err  error
}

func (e *recipientsError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *recipientsError) Unwrap() error { return e.Err }

// ParseRecipients parses a recipients file: one public key line each (see
// [ParseRecipient]), with lines that are empty or start with "#" ignored.
// It accepts only what age -R accepts too, so a line may not start with a
// space, and an age1 key is alone on its line. A file without keys is not
// an error.
func ParseRecipients(data []byte) ([]Recipient, error) {
	var rs []Recipient
	seen := map[string]int{} // ID to line
	for i, line := range strings.Split(string(data), "\n") {
		n := i + 1
		line = strings.TrimSuffix(line, "\r")
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
			continue
		case strings.TrimLeft(line, " \t") != line:
			return nil, &recipientsError{n, errors.New("starts with a space, which age -R refuses")}
		case strings.HasPrefix(line, "age1") && strings.ContainsAny(line, " \t"):
			return nil, &recipientsError{n, errors.New("an age1 key followed by more text, which age -R refuses")}
		}
		r, err := ParseRecipient(line)
		if err != nil {
			return nil, &recipientsError{n, err}
		}
		if prev, ok := seen[r.ID()]; ok {
			return nil, &recipientsError{n, fmt.Errorf("the same key as line %d", prev)}
		}
		seen[r.ID()] = n
		r.Line = n
		rs = append(rs, r)
	}
	return rs, nil
}

// FormatRecipients writes rs as a recipients file, after a header that says
// what the file is.
func FormatRecipients(rs []Recipient) []byte {
	var b bytes.Buffer
	b.WriteString("# The public keys that can decrypt rigup.secrets.toml.age, one per line: SSH keys, age1 keys.\n")
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
			return fmt.Errorf("recipient %s: %w", r.ID(), err)
		}
		ars[i] = a
	}
	return encryptAge(w, plaintext, ars...)
}

// Header is what the header of an age file says about its recipients,
// read without a private key. Without one the header cannot be
// authenticated either: it is what the file claims.
type Header struct {
	// Matched are the SSH keys among the candidates that a stanza names.
	// A stanza names its key by a 4-byte hash, so a match is near
	// certain, not proof.
	Matched []Recipient
	// UnknownSSH counts the ssh-ed25519 and ssh-rsa stanzas that name
	// none of the candidates.
	UnknownSSH int
	// X25519 counts the X25519 stanzas. Such a stanza holds an ephemeral
	// share, not a hash of its key: which age1 key it is for cannot be
	// told without that key's identity.
	X25519 int
	// Scrypt is set when the file is encrypted to a passphrase (age -p).
	Scrypt bool
	// Others holds the type of every other stanza: those of age plugins
	// (piv-p256 for age-plugin-yubikey, ...), of post-quantum and tag
	// keys, of unknown kinds. Grease stanzas (of a type ending in
	// "-grease", which some implementations add to a header and no key
	// unwraps) are left out.
	Others []string
}

// ReadHeader reads the header of an age file, binary or armored, and
// reports which of candidates it is encrypted to, and what else. Only SSH
// candidates can be matched.
func ReadHeader(r io.Reader, candidates []Recipient) (Header, error) {
	src := &errReader{r: io.LimitReader(r, MaxFileSize)}
	br := bufio.NewReader(src)
	start, _ := br.Peek(len(armor.Header))
	var in io.Reader = br
	switch {
	case src.err != nil:
		return Header{}, src.err
	case bytes.HasPrefix(start, []byte(armor.Header)):
		in = armor.NewReader(br)
	case !bytes.HasPrefix(start, []byte("age-encryption.org/")):
		return Header{}, errors.New("not an age-encrypted file")
	}
	// The recorder refuses every stanza, so age.Decrypt fails with a
	// *NoIdentityMatchError before reading the payload.
	rec := &stanzaRecorder{}
	age.Decrypt(in, rec)
	if !rec.called && src.err != nil {
		return Header{}, src.err
	}
	if !rec.called {
		// age's error would quote the header's lines.
		return Header{}, errors.New("damaged age header")
	}
	var h Header
	hit := make([]bool, len(candidates))
	for _, s := range rec.stanzas {
		switch {
		case s.Type == ssh.KeyAlgoED25519 || s.Type == ssh.KeyAlgoRSA:
		case s.Type == x25519Type:
			h.X25519++
			continue
		case s.Type == "scrypt":
			h.Scrypt = true
			continue
		case strings.HasSuffix(s.Type, "-grease"):
			continue
		default:
			h.Others = append(h.Others, s.Type)
			continue
		}
		known := false
		for i, c := range candidates {
			if c.Key != nil && c.Key.Type() == s.Type && len(s.Args) > 0 && s.Args[0] == fingerprint(c.Key) {
				hit[i], known = true, true
			}
		}
		if !known {
			h.UnknownSSH++
		}
	}
	for i, c := range candidates {
		if hit[i] {
			h.Matched = append(h.Matched, c)
		}
	}
	return h, nil
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
