package crypto

import (
	"bytes"
	"testing"
)

// The tag key is a secret of the key that decrypted: none before a key
// is used, the same for every file that key decrypts, whether its
// passphrase is asked for or not, and another for another key.
func TestTagKey(t *testing.T) {
	dir := t.TempDir()
	ed, rk := newEd25519(t), rsaKey()
	edPath := writeKey(t, dir, "id_ed25519", ed, "")
	rsaPath := writeKey(t, dir, "id_rsa", rk, "")
	edKey, rsaK := load(t, edPath, nil), load(t, rsaPath, nil)
	if TagKey([]*Key{edKey, rsaK}) != nil {
		t.Fatal("a tag key before any key was used")
	}
	if _, err := decrypt(t, encrypt(t, rk), edKey, rsaK); err != nil {
		t.Fatal(err)
	}
	fromRSA := TagKey([]*Key{edKey, rsaK})
	if len(fromRSA) != 32 {
		t.Fatalf("tag key of %d bytes after RSA decrypted", len(fromRSA))
	}
	edKey2 := load(t, edPath, nil)
	if _, err := decrypt(t, encrypt(t, ed, rk), edKey2); err != nil {
		t.Fatal(err)
	}
	fromEd := TagKey([]*Key{edKey2})
	if len(fromEd) != 32 || bytes.Equal(fromEd, fromRSA) {
		t.Fatalf("ed25519's tag key %x, RSA's %x", fromEd, fromRSA)
	}
	// The same key, loaded again, with a passphrase this time.
	protected := load(t, writeKey(t, dir, "protected", ed, "pw"), &asker{answers: []string{"pw"}})
	if _, err := decrypt(t, encrypt(t, ed), protected); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(TagKey([]*Key{protected}), fromEd) {
		t.Error("the same key, passphrase-protected, gives another tag key")
	}
	if bytes.Contains(fromEd, ed.Seed()) {
		t.Error("the tag key holds the private key")
	}
}
