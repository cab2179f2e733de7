package crypto

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"filippo.io/age/armor"
	"golang.org/x/crypto/ssh"
)

const plaintext = "[mcp]\nkey = \"sk-SECRET-VALUE\"\n"

var rsaKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func newEd25519(t *testing.T) ed25519.PrivateKey {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pubOf(t *testing.T, k any) ssh.PublicKey {
	var pub any
	switch k := k.(type) {
	case ed25519.PrivateKey:
		pub = k.Public()
	case *rsa.PrivateKey:
		pub = &k.PublicKey
	}
	p, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// writeKey writes k in the OpenSSH format, with a passphrase if one is given.
func writeKey(t *testing.T, dir, name string, k any, passphrase string) string {
	t.Helper()
	var block *pem.Block
	var err error
	if passphrase == "" {
		block, err = ssh.MarshalPrivateKey(k, "test")
	} else {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(k, "test", []byte(passphrase))
	}
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, filepath.Join(dir, name), pem.EncodeToMemory(block), 0o600)
}

func writeFile(t *testing.T, path string, data []byte, mode os.FileMode) string {
	t.Helper()
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func encrypt(t *testing.T, keys ...any) []byte {
	t.Helper()
	var rs []age.Recipient
	for _, k := range keys {
		var r age.Recipient
		var err error
		switch k := k.(type) {
		case ed25519.PrivateKey:
			r, err = agessh.NewEd25519Recipient(pubOf(t, k))
		case *rsa.PrivateKey:
			r, err = agessh.NewRSARecipient(pubOf(t, k))
		}
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	return ageFile(t, rs...)
}

// asker counts the questions and answers them from a script.
type asker struct {
	answers []string
	calls   int
	names   []string
}

func (a *asker) ask(name string, attempt int) ([]byte, error) {
	a.calls++
	a.names = append(a.names, name)
	if attempt != a.calls {
		return nil, errors.New("attempts not counted from 1")
	}
	if len(a.answers) == 0 {
		return nil, errors.New("no more answers")
	}
	ans := a.answers[0]
	a.answers = a.answers[1:]
	return []byte(ans), nil
}

func load(t *testing.T, path string, a *asker) *Key {
	t.Helper()
	var ask PassphraseFunc
	if a != nil {
		ask = a.ask
	}
	k, err := LoadKey(path, filepath.Base(path), ask)
	if err != nil {
		t.Fatalf("LoadKey(%s): %v", path, err)
	}
	return k
}

func decrypt(t *testing.T, file []byte, keys ...*Key) (string, error) {
	t.Helper()
	out, err := Decrypt(bytes.NewReader(file), "rigup.secrets.toml.age", keys)
	if err != nil {
		if strings.Contains(err.Error(), "sk-SECRET") {
			t.Errorf("error leaks plaintext: %v", err)
		}
		return "", err
	}
	return string(out), nil
}

func TestDecryptEd25519AndRSA(t *testing.T) {
	dir := t.TempDir()
	ed, rk := newEd25519(t), rsaKey()
	edKey := load(t, writeKey(t, dir, "id_ed25519", ed, ""), nil)
	rsaKeyFile := load(t, writeKey(t, dir, "id_rsa", rk, ""), nil)
	for name, tc := range map[string]struct {
		file []byte
		keys []*Key
	}{
		"ed25519":              {encrypt(t, ed), []*Key{edKey}},
		"rsa":                  {encrypt(t, rk), []*Key{rsaKeyFile}},
		"ed25519 among others": {encrypt(t, newEd25519(t), ed), []*Key{rsaKeyFile, edKey}},
		"rsa second":           {encrypt(t, newEd25519(t), rk), []*Key{edKey, rsaKeyFile}},
	} {
		got, err := decrypt(t, tc.file, tc.keys...)
		if err != nil || got != plaintext {
			t.Errorf("%s: %q, %v", name, got, err)
		}
	}
}

func TestDecryptArmored(t *testing.T) {
	ed := newEd25519(t)
	var buf bytes.Buffer
	aw := armor.NewWriter(&buf)
	aw.Write(encrypt(t, ed))
	aw.Close()
	got, err := decrypt(t, buf.Bytes(), load(t, writeKey(t, t.TempDir(), "id_ed25519", ed, ""), nil))
	if err != nil || got != plaintext {
		t.Errorf("%q, %v", got, err)
	}
}

func TestWrongKey(t *testing.T) {
	dir := t.TempDir()
	file := encrypt(t, newEd25519(t))
	_, err := decrypt(t, file,
		load(t, writeKey(t, dir, "id_ed25519", newEd25519(t), ""), nil),
		load(t, writeKey(t, dir, "id_rsa", rsaKey(), ""), nil))
	var nm *NoMatchError
	if !errors.As(err, &nm) {
		t.Fatalf("got %v, want a *NoMatchError", err)
	}
	if want := "none of your SSH keys can decrypt rigup.secrets.toml.age (tried id_ed25519, id_rsa)"; err.Error() != want {
		t.Errorf("got  %s\nwant %s", err, want)
	}
}

// An RSA key costs milliseconds to parse; it must not be parsed for a file
// that has no stanza for it. A key whose private part is garbage proves it:
// parsing it would fail.
func TestUnneededKeyIsNotParsed(t *testing.T) {
	dir := t.TempDir()
	ed := newEd25519(t)
	broken := brokenPrivatePart(t, pubOf(t, rsaKey()))
	brokenPath := writeFile(t, filepath.Join(dir, "id_rsa"), broken, 0o600)
	got, err := decrypt(t, encrypt(t, ed), load(t, brokenPath, nil), load(t, writeKey(t, dir, "id_ed25519", ed, ""), nil))
	if err != nil || got != plaintext {
		t.Fatalf("%q, %v", got, err)
	}
	// And it is parsed, and fails, when the file is encrypted to it.
	_, err = decrypt(t, encrypt(t, rsaKey()), load(t, brokenPath, nil))
	var ke *keyError
	if !errors.As(err, &ke) || !strings.Contains(err.Error(), "id_rsa: cannot read the private key") {
		t.Errorf("broken matching key: %v", err)
	}
}

// brokenPrivatePart builds an OpenSSH key file with a valid public key and a
// private section of garbage.
func brokenPrivatePart(t *testing.T, pub ssh.PublicKey) []byte {
	var b bytes.Buffer
	b.WriteString("openssh-key-v1\x00")
	for _, s := range [][]byte{[]byte("none"), []byte("none"), nil} {
		writeString(&b, s)
	}
	binary.Write(&b, binary.BigEndian, uint32(1))
	writeString(&b, pub.Marshal())
	writeString(&b, bytes.Repeat([]byte{0xAA}, 64))
	return pem.EncodeToMemory(&pem.Block{Type: "OPENSSH PRIVATE KEY", Bytes: b.Bytes()})
}

func writeString(b *bytes.Buffer, s []byte) {
	binary.Write(b, binary.BigEndian, uint32(len(s)))
	b.Write(s)
}

func TestPassphraseKeys(t *testing.T) {
	dir := t.TempDir()
	ed, other := newEd25519(t), newEd25519(t)
	edPath := writeKey(t, dir, "id_ed25519", ed, "right horse")
	otherPath := writeKey(t, dir, "id_other", other, "other")
	file := encrypt(t, ed)

	t.Run("only the matching key asks", func(t *testing.T) {
		a, b := &asker{answers: []string{"right horse"}}, &asker{answers: []string{"other"}}
		got, err := decrypt(t, file, load(t, otherPath, b), load(t, edPath, a))
		if err != nil || got != plaintext {
			t.Fatalf("%q, %v", got, err)
		}
		if a.calls != 1 || b.calls != 0 || a.names[0] != "id_ed25519" {
			t.Errorf("asked matching key %d times (%v), other key %d times", a.calls, a.names, b.calls)
		}
	})
	t.Run("a wrong passphrase is asked again", func(t *testing.T) {
		a := &asker{answers: []string{"wrong", "wrong again", "right horse"}}
		got, err := decrypt(t, file, load(t, edPath, a))
		if err != nil || got != plaintext || a.calls != 3 {
			t.Fatalf("%q, %v, %d calls", got, err, a.calls)
		}
	})
	t.Run("three wrong passphrases", func(t *testing.T) {
		a := &asker{answers: []string{"1", "2", "3", "right horse"}}
		_, err := decrypt(t, file, load(t, edPath, a))
		if !errors.Is(err, errPassphrase) || a.calls != Tries {
			t.Fatalf("%v after %d calls", err, a.calls)
		}
		if want := "id_ed25519: wrong passphrase (3 tries)"; err.Error() != want {
			t.Errorf("got %q, want %q", err, want)
		}
	})
	t.Run("the prompt's error is passed on", func(t *testing.T) {
		errNoTTY := errors.New("no terminal")
		_, err := decrypt(t, file, load(t, edPath, nil))
		if err == nil || !strings.Contains(err.Error(), "no way to ask") {
			t.Errorf("nil asker: %v", err)
		}
		k, _ := LoadKey(edPath, "id_ed25519", func(string, int) ([]byte, error) { return nil, errNoTTY })
		_, err = decrypt(t, file, k)
		if !errors.Is(err, errNoTTY) {
			t.Errorf("got %v, want it to wrap errNoTTY", err)
		}
	})
	t.Run("rsa", func(t *testing.T) {
		a := &asker{answers: []string{"rsa pass"}}
		got, err := decrypt(t, encrypt(t, rsaKey()), load(t, writeKey(t, dir, "id_rsa", rsaKey(), "rsa pass"), a))
		if err != nil || got != plaintext || a.calls != 1 {
			t.Fatalf("%q, %v, %d calls", got, err, a.calls)
		}
	})
}

// writeLegacyPEM writes an RSA key in the old PEM format, encrypted with
// passphrase, and pub as its .pub file.
func writeLegacyPEM(t *testing.T, dir string, k *rsa.PrivateKey, passphrase string, pub ssh.PublicKey) string {
	block, err := x509.EncryptPEMBlock(rand.Reader, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k), []byte(passphrase), x509.PEMCipherAES128) //nolint:staticcheck // the old format is what is tested
	if err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, filepath.Join(dir, "id_rsa"), pem.EncodeToMemory(block), 0o600)
	if pub != nil {
		writeFile(t, path+".pub", ssh.MarshalAuthorizedKey(pub), 0o644)
	}
	return path
}

func TestPubFile(t *testing.T) {
	rk, other := rsaKey(), newEd25519(t)
	t.Run("old PEM key with its .pub", func(t *testing.T) {
		a := &asker{answers: []string{"pem"}}
		got, err := decrypt(t, encrypt(t, rk), load(t, writeLegacyPEM(t, t.TempDir(), rk, "pem", pubOf(t, rk)), a))
		if err != nil || got != plaintext || a.calls != 1 {
			t.Fatalf("%q, %v, %d calls", got, err, a.calls)
		}
	})
	t.Run("old PEM key with a mismatched .pub", func(t *testing.T) {
		// The .pub names another key that is a recipient: the passphrase
		// is asked for, and then the mismatch is found.
		other, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		a := &asker{answers: []string{"pem"}}
		_, err = decrypt(t, encrypt(t, other), load(t, writeLegacyPEM(t, t.TempDir(), rk, "pem", pubOf(t, other)), a))
		if want := "id_rsa: the .pub file next to it belongs to another key"; err == nil || err.Error() != want {
			t.Errorf("got %v, want %s", err, want)
		}
	})
	t.Run("old PEM key without .pub", func(t *testing.T) {
		a := &asker{answers: []string{"pem"}}
		_, err := decrypt(t, encrypt(t, rk), load(t, writeLegacyPEM(t, t.TempDir(), rk, "pem", nil), a))
		want := "none of your SSH keys can decrypt rigup.secrets.toml.age (tried id_rsa (passphrase-protected in the old PEM format, without a .pub file to match it by))"
		if err == nil || err.Error() != want || a.calls != 0 {
			t.Errorf("got %v after %d calls", err, a.calls)
		}
	})
	t.Run("old PEM key with an oversized .pub", func(t *testing.T) {
		path := writeLegacyPEM(t, t.TempDir(), rk, "pem", nil)
		writeFile(t, path+".pub", bytes.Repeat([]byte("A"), maxKeySize+1), 0o644)
		_, err := LoadKey(path, "id_rsa", nil)
		if want := "id_rsa.pub is larger than 16 KiB, too large for an SSH key"; err == nil || err.Error() != want {
			t.Errorf("got %v, want %s", err, want)
		}
	})
	t.Run("OpenSSH key ignores a mismatched .pub", func(t *testing.T) {
		dir := t.TempDir()
		ed := newEd25519(t)
		path := writeKey(t, dir, "id_ed25519", ed, "")
		writeFile(t, path+".pub", ssh.MarshalAuthorizedKey(pubOf(t, other)), 0o644)
		got, err := decrypt(t, encrypt(t, ed), load(t, path, nil))
		if err != nil || got != plaintext {
			t.Fatalf("%q, %v", got, err)
		}
	})
}

func TestLoadKeyErrors(t *testing.T) {
	dir := t.TempDir()
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecPath := writeKey(t, dir, "id_ecdsa", ec, "")
	open := writeKey(t, dir, "id_open", newEd25519(t), "")
	os.Chmod(open, 0o644)
	groupWritable := writeKey(t, dir, "id_gw", newEd25519(t), "")
	os.Chmod(groupWritable, 0o620)
	skPub := skPublicKey(t)
	sk := writeFile(t, filepath.Join(dir, "id_ed25519_sk"), brokenPrivatePart(t, skPub), 0o600)
	big := writeFile(t, filepath.Join(dir, "big"), bytes.Repeat([]byte("A"), maxKeySize+1), 0o600)
	notKey := writeFile(t, filepath.Join(dir, "notkey"), []byte("hello\n"), 0o600)
	ecPEM, _ := x509.MarshalECPrivateKey(ec)
	ecLegacy := writeFile(t, filepath.Join(dir, "id_ec_pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecPEM}), 0o600)
	for path, want := range map[string]string{
		ecPath:        "id_ecdsa is an ecdsa-sha2-nistp256 key, which age cannot use",
		ecLegacy:      "id_ec_pem is an ecdsa key, which age cannot use",
		open:          "permissions 0644 for id_open are too open: a private key must not be accessible by others",
		groupWritable: "permissions 0620 for id_gw are too open: a private key must not be accessible by others",
		sk:            "id_ed25519_sk is a security key (sk-ssh-ed25519@openssh.com), which age cannot use: its secret never leaves the device",
		big:           "big is larger than 16 KiB, too large for an SSH key",
		notKey:        "notkey is not an SSH private key age can use",
		dir:           "tmp is not a regular file",
	} {
		name := filepath.Base(path)
		if path == dir {
			name = "tmp"
		}
		_, err := LoadKey(path, name, nil)
		if err == nil || err.Error() != want {
			t.Errorf("LoadKey(%s):\n got %v\nwant %s", name, err, want)
		}
	}
	var pe *PermissionError
	if _, err := LoadKey(open, "x", nil); !errors.As(err, &pe) {
		t.Errorf("want a *PermissionError, got %v", err)
	}
	if _, err := LoadKey(filepath.Join(dir, "missing"), "missing", nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing key: %v", err)
	}
}

func skPublicKey(t *testing.T) ssh.PublicKey {
	var b bytes.Buffer
	writeString(&b, []byte("sk-ssh-ed25519@openssh.com"))
	writeString(&b, make([]byte, ed25519.PublicKeySize))
	writeString(&b, []byte("ssh:"))
	pub, err := ssh.ParsePublicKey(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func TestDecryptBadFiles(t *testing.T) {
	dir := t.TempDir()
	ed := newEd25519(t)
	k := load(t, writeKey(t, dir, "id_ed25519", ed, ""), nil)
	good := encrypt(t, ed)
	damaged := bytes.Clone(good)
	damaged[len(damaged)-5] ^= 1
	for name, tc := range map[string]struct {
		file []byte
		want string
	}{
		"not age":    {[]byte("key = \"sk-SECRET-plain\"\n"), "rigup.secrets.toml.age is not an age-encrypted file"},
		"bad header": {[]byte("age-encryption.org/v1\n-> X25519 sk-SECRET\n--- x\n"), "rigup.secrets.toml.age has a damaged age header"},
		"too large":  {bytes.Repeat([]byte("x"), MaxFileSize+1), "rigup.secrets.toml.age is larger than 16 MiB"},
		"damaged":    {damaged, "rigup.secrets.toml.age is damaged: "},
	} {
		_, err := decrypt(t, tc.file, k)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %s...", name, err, tc.want)
		}
	}
	if _, err := Decrypt(bytes.NewReader(good), "f", nil); err == nil {
		t.Error("no keys: no error")
	}
}

// A public key where the private key is needed is named as such, before
// its (public) permissions are held against it.
func TestLoadKeyPublicKey(t *testing.T) {
	dir := t.TempDir()
	k := newEd25519(t)
	path := writeKey(t, dir, "id_ed25519", k, "")
	pub := path + ".pub"
	id, _ := age.GenerateX25519Identity()
	for _, content := range []string{string(ssh.MarshalAuthorizedKey(pubOf(t, k))), id.Recipient().String() + "\n"} {
		if err := os.WriteFile(pub, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadKey(pub, "id_ed25519.pub", nil)
		var pe *PublicKeyError
		if !errors.As(err, &pe) || pe.Name != "id_ed25519.pub" {
			t.Errorf("LoadKey of %.12q... = %v, want a PublicKeyError", content, err)
		}
	}
	// A private key with open permissions is still refused for them.
	os.Chmod(path, 0o644)
	if _, err := LoadKey(path, "id_ed25519", nil); !errors.As(err, new(*PermissionError)) {
		t.Errorf("LoadKey of a 0644 private key = %v, want a PermissionError", err)
	}
}
