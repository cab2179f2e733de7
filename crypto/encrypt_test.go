package crypto

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"filippo.io/age"
	"golang.org/x/crypto/ssh"
)

// What encryptAge writes, the real age CLI decrypts, with the matching SSH
// key and with each of several recipients' keys.
func TestEncryptAgeInterop(t *testing.T) {
	if _, err := exec.LookPath("age"); err != nil {
		if os.Getenv("RIGUP_E2E_REQUIRE") == "1" {
			t.Fatal("age is required (RIGUP_E2E_REQUIRE=1) but not installed")
		}
		t.Skip("age not installed")
	}
	dir := t.TempDir()
	ed, rsa := newEd25519(t), rsaKey()
	var recipients []string
	for _, k := range []any{ed, rsa} {
		recipients = append(recipients, string(ssh.MarshalAuthorizedKey(pubOf(t, k))))
	}
	msg := []byte("[mcp]\nkey = \"sk-\\\"x\\\"\"\n")
	var rs []age.Recipient
	for _, line := range recipients {
		r, err := ParseRecipient(line)
		if err != nil {
			t.Fatal(err)
		}
		a, err := r.Age()
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, a)
	}
	var out bytes.Buffer
	if err := encryptAge(&out, msg, rs...); err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, filepath.Join(dir, "s.age"), out.Bytes(), 0o600)
	for i, k := range []any{ed, rsa} {
		key := writeKey(t, dir, "id"+string(rune('a'+i)), k, "")
		got, err := exec.Command("age", "-d", "-i", key, file).Output()
		if err != nil || !bytes.Equal(got, msg) {
			t.Errorf("age -d with key %d: %q, %v", i, got, err)
		}
	}
}
