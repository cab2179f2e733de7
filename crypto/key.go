package crypto

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"golang.org/x/crypto/ssh"
)

// maxKeySize caps how much of a key file is read.
const maxKeySize = 16 << 10

// Tries is how many times a passphrase is asked for before giving up.
const Tries = 3

// PassphraseFunc asks for the passphrase of the key called name. attempt
// counts from 1 and tells a retry from the first question. The returned
// slice is wiped after use.
type PassphraseFunc func(name string, attempt int) ([]byte, error)

// Key is an SSH private key file used as an age identity. It implements
// [age.Identity] and parses the private key only when a stanza names it.
type Key struct {
	Name string // for messages and prompts, e.g. "~/.ssh/id_ed25519"

	pemBytes  []byte
	pub       ssh.PublicKey // nil while unknown (old PEM formats without .pub)
	encrypted bool
	types     []string // stanza types this key may answer
	ask       PassphraseFunc
	id        age.Identity // set once parsed
	tagKey    []byte       // derived once parsed, see TagKey
	skipped   string       // why the key could not be matched, if so
}

var _ age.Identity = (*Key)(nil)

// PublicKey returns the key's public half, or nil when it cannot be known
// without parsing the private key (old PEM formats without a .pub file).
func (k *Key) PublicKey() ssh.PublicKey { return k.pub }

// PermissionError is returned for a key file that other users may access,
// which ssh refuses too.
type PermissionError struct {
	Name string
	Mode fs.FileMode
}

func (e *PermissionError) Error() string {
	return fmt.Sprintf("permissions %04o for %s are too open: a private key must not be accessible by others", e.Mode.Perm(), e.Name)
}

// PublicKeyError is returned when a public key is given where the
// private key is needed.
type PublicKeyError struct{ Name string }

func (e *PublicKeyError) Error() string {
	return fmt.Sprintf("%s is a public key: decrypting needs the private key", e.Name)
}

// isPublicKey reports whether data is a public key line: an SSH one (as in
// a .pub file) or an age1 key.
func isPublicKey(data []byte) bool {
	line := bytes.TrimSpace(data)
	if bytes.HasPrefix(line, []byte("age1")) && !bytes.ContainsAny(line, " \n") {
		return true
	}
	_, _, _, _, err := ssh.ParseAuthorizedKey(line)
	return err == nil
}

// UnsupportedKeyError is returned for a key that age cannot use.
type UnsupportedKeyError struct {
	Name string
	Type string
}

func (e *UnsupportedKeyError) Error() string {
	switch e.Type {
	case "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com":
		return fmt.Sprintf("%s is a security key (%s), which age cannot use: its secret never leaves the device", e.Name, e.Type)
	case "":
		return fmt.Sprintf("%s is not an SSH private key age can use", e.Name)
	}
	return fmt.Sprintf("%s is an %s key, which age cannot use", e.Name, e.Type)
}

// errPassphrase is wrapped by the error for a key whose passphrase was
// wrong Tries times.
var errPassphrase = errors.New("wrong passphrase")

// keyError is a failure to use a key that matched the file: a wrong
// passphrase, a failed prompt, a damaged key. Err is what the
// [PassphraseFunc] returned, if it failed.
type keyError struct {
	Name string
	Err  error
}

func (e *keyError) Error() string { return e.Name + ": " + e.Err.Error() }
func (e *keyError) Unwrap() error { return e.Err }

// LoadKey reads the private key file at path (and, for old PEM keys, the
// public key next to it at path+".pub"). name is how messages call it. ask is
// called only if the key is passphrase-protected and matches the file.
func LoadKey(path, name string, ask PassphraseFunc) (*Key, error) {
	data, err := readKeyFile(path, name, true)
	if err != nil {
		return nil, err
	}
	k := &Key{Name: name, pemBytes: data, ask: ask}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, &UnsupportedKeyError{Name: name}
	}
	switch block.Type {
	case "OPENSSH PRIVATE KEY":
		k.pub, k.encrypted, err = peekOpenSSH(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: malformed OpenSSH key: %v", name, err)
		}
	case "RSA PRIVATE KEY", "PRIVATE KEY":
		k.encrypted = x509.IsEncryptedPEMBlock(block) //nolint:staticcheck // detecting old encrypted PEM is all we use it for
		k.types = []string{"ssh-rsa", "ssh-ed25519"}
		if block.Type == "RSA PRIVATE KEY" {
			k.types = []string{"ssh-rsa"}
		}
		// The .pub file is optional: without it an unencrypted key is
		// parsed when the file has a stanza of its type.
		if pubData, err := readKeyFile(path+".pub", name+".pub", false); err == nil {
			pub, _, _, _, err := ssh.ParseAuthorizedKey(pubData)
			if err != nil {
				return nil, fmt.Errorf("%s.pub: not an SSH public key", name)
			}
			k.pub = pub
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	case "EC PRIVATE KEY":
		return nil, &UnsupportedKeyError{Name: name, Type: "ecdsa"}
	case "DSA PRIVATE KEY":
		return nil, &UnsupportedKeyError{Name: name, Type: "ssh-dss"}
	default:
		return nil, &UnsupportedKeyError{Name: name}
	}
	if k.pub != nil {
		if t := k.pub.Type(); t != ssh.KeyAlgoED25519 && t != ssh.KeyAlgoRSA {
			return nil, &UnsupportedKeyError{Name: name, Type: t}
		}
		k.types = []string{k.pub.Type()}
	}
	return k, nil
}

// readKeyFile reads a key file, capped at maxKeySize. A private key of ours
// that others may access is refused, the check ssh makes.
func readKeyFile(path, name string, private bool) ([]byte, error) {
	// Without blocking: a FIFO (or a device) in the key's place is refused
	// below rather than waited on for ever.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", name)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeySize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxKeySize {
		return nil, fmt.Errorf("%s is larger than %d KiB, too large for an SSH key", name, maxKeySize>>10)
	}
	if private && isPublicKey(data) {
		return nil, &PublicKeyError{Name: name}
	}
	if st, ok := info.Sys().(*syscall.Stat_t); private && ok && int(st.Uid) == os.Getuid() && info.Mode().Perm()&0o077 != 0 {
		clear(data)
		return nil, &PermissionError{Name: name, Mode: info.Mode()}
	}
	return data, nil
}

// peekOpenSSH reads the public key and cipher name of an OpenSSH private key
// without touching the private part.
func peekOpenSSH(b []byte) (ssh.PublicKey, bool, error) {
	const magic = "openssh-key-v1\x00"
	if !bytes.HasPrefix(b, []byte(magic)) {
		return nil, false, errors.New("bad magic")
	}
	b = b[len(magic):]
	var fields [4][]byte // ciphername, kdfname, kdfoptions, then the public key
	for i := range fields {
		if i == 3 {
			if len(b) < 4 || binary.BigEndian.Uint32(b) != 1 {
				return nil, false, errors.New("not exactly one key")
			}
			b = b[4:]
		}
		if len(b) < 4 || uint64(binary.BigEndian.Uint32(b)) > uint64(len(b)-4) {
			return nil, false, errors.New("truncated")
		}
		n := binary.BigEndian.Uint32(b)
		fields[i], b = b[4:4+n], b[4+n:]
	}
	pub, err := ssh.ParsePublicKey(fields[3])
	if err != nil {
		return nil, false, err
	}
	return pub, string(fields[0]) != "none", nil
}

// fingerprint is the stanza argument that names an SSH recipient: the first
// four bytes of the SHA-256 of its wire form.
func fingerprint(pk ssh.PublicKey) string {
	h := sha256.Sum256(pk.Marshal())
	return base64.RawStdEncoding.EncodeToString(h[:4])
}

// matches reports whether a stanza may be for this key.
func (k *Key) matches(stanzas []*age.Stanza) bool {
	for _, s := range stanzas {
		for _, t := range k.types {
			if s.Type != t {
				continue
			}
			if k.pub == nil || len(s.Args) > 0 && s.Args[0] == fingerprint(k.pub) {
				return true
			}
		}
	}
	return false
}

// Unwrap implements [age.Identity]. It parses the key, asking for its
// passphrase if needed, the first time a stanza names it.
func (k *Key) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	if k.id == nil {
		if !k.matches(stanzas) {
			return nil, age.ErrIncorrectIdentity
		}
		if k.pub == nil && k.encrypted {
			k.skipped = "passphrase-protected in the old PEM format, without a .pub file to match it by"
			return nil, age.ErrIncorrectIdentity
		}
		id, err := k.parse()
		if err != nil {
			return nil, &keyError{Name: k.Name, Err: err}
		}
		k.id = id
	}
	return k.id.Unwrap(stanzas)
}

func (k *Key) parse() (age.Identity, error) {
	var raw any
	var err error
	if !k.encrypted {
		var ours bool
		if block, _ := pem.Decode(k.pemBytes); block != nil && block.Type == "OPENSSH PRIVATE KEY" {
			defer clear(block.Bytes)
			var key *rsa.PrivateKey
			if key, ours, err = parseOpenSSHRSA(block.Bytes); ours && err == nil {
				raw = key
			}
		}
		if !ours {
			raw, err = ssh.ParseRawPrivateKey(k.pemBytes)
		}
	} else {
		if k.ask == nil {
			return nil, errors.New("passphrase-protected, and no way to ask for the passphrase was given")
		}
		for attempt := 1; ; attempt++ {
			var pass []byte
			pass, err = k.ask(k.Name, attempt)
			if err != nil {
				return nil, err
			}
			raw, err = ssh.ParseRawPrivateKeyWithPassphrase(k.pemBytes, pass)
			clear(pass)
			if !errors.Is(err, x509.IncorrectPasswordError) {
				break
			}
			if attempt == Tries {
				return nil, fmt.Errorf("%w (%d tries)", errPassphrase, Tries)
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the private key: %v", err)
	}
	k.tagKey = deriveTagKey(raw)
	var id age.Identity
	var pub ssh.PublicKey
	switch raw := raw.(type) {
	case *ed25519.PrivateKey:
		id, err = agessh.NewEd25519Identity(*raw)
		pub, _ = ssh.NewPublicKey(raw.Public())
	case ed25519.PrivateKey:
		id, err = agessh.NewEd25519Identity(raw)
		pub, _ = ssh.NewPublicKey(raw.Public())
	case *rsa.PrivateKey:
		id, err = agessh.NewRSAIdentity(raw)
		pub, _ = ssh.NewPublicKey(&raw.PublicKey)
	default:
		return nil, &UnsupportedKeyError{Name: k.Name}
	}
	if err != nil {
		return nil, err
	}
	if k.pub != nil && !bytes.Equal(pub.Marshal(), k.pub.Marshal()) {
		return nil, errors.New("the .pub file next to it belongs to another key")
	}
	return id, nil
}
