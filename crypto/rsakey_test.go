package crypto

import (
	"crypto/rsa"
	"encoding/binary"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/ssh"
)

// keygen makes a key with ssh-keygen and returns its PEM block's bytes.
func keygen(t *testing.T, args ...string) []byte {
	t.Helper()
	needTool(t, "ssh-keygen")
	path := filepath.Join(t.TempDir(), "id")
	if out, err := exec.Command("ssh-keygen", append([]string{"-q", "-C", "test", "-f", path}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatal("ssh-keygen wrote no PEM block")
	}
	return block.Bytes
}

// parseOpenSSHRSA reads ssh-keygen's RSA keys as x/crypto/ssh does.
func TestParseOpenSSHRSA(t *testing.T) {
	der := keygen(t, "-t", "rsa", "-b", "2048", "-N", "")
	got, ours, err := parseOpenSSHRSA(der)
	if !ours || err != nil {
		t.Fatalf("parseOpenSSHRSA: ours %v, %v", ours, err)
	}
	raw, err := ssh.ParseRawPrivateKey(pem.EncodeToMemory(&pem.Block{Type: "OPENSSH PRIVATE KEY", Bytes: der}))
	if err != nil {
		t.Fatal(err)
	}
	want := raw.(*rsa.PrivateKey)
	if !got.Equal(want) || got.Precomputed.Dp.Cmp(want.Precomputed.Dp) != 0 || got.Precomputed.Qinv.Cmp(want.Precomputed.Qinv) != 0 {
		t.Error("the key differs from x/crypto/ssh's")
	}
	if err := got.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}

	// Not ours: other types and encrypted keys go to x/crypto/ssh.
	for name, der := range map[string][]byte{
		"ed25519":   keygen(t, "-t", "ed25519", "-N", ""),
		"encrypted": keygen(t, "-t", "rsa", "-b", "2048", "-N", "pass"),
		"not ssh":   []byte("garbage"),
	} {
		if _, ours, err := parseOpenSSHRSA(der); ours || err != nil {
			t.Errorf("%s: ours %v, %v", name, ours, err)
		}
	}

	// Damaged keys are refused, never read wrong, and never panic.
	privStart := len(der) - privateBlockLen(t, der)
	for name, damage := range map[string]func(b []byte) []byte{
		"check ints differ": func(b []byte) []byte { b[privStart]++; return b },
		"bad padding":       func(b []byte) []byte { b[len(b)-1] ^= 0x40; return b },
		"a wrong prime": func(b []byte) []byte {
			b[len(b)-40] ^= 1 // inside q, before the comment and padding
			return b
		},
	} {
		b := damage(append([]byte(nil), der...))
		if k, ours, err := parseOpenSSHRSA(b); !ours || err == nil || k != nil {
			t.Errorf("%s: ours %v, %v", name, ours, err)
		}
	}
	for n := range len(der) {
		if k, ours, err := parseOpenSSHRSA(der[:n]); k != nil || ours && err == nil {
			t.Fatalf("truncated to %d bytes: a key", n)
		}
	}
}

// privateBlockLen returns the length of the private section of an OpenSSH
// key, its last field.
func privateBlockLen(t *testing.T, der []byte) int {
	r := wire(der)
	r.prefix("openssh-key-v1\x00")
	r.str()
	r.str()
	r.str()
	r.u32()
	r.str()
	n := binary.BigEndian.Uint32(r.b)
	if r.err != nil || int(n) != len(r.b)-4 {
		t.Fatal("cannot find the private section")
	}
	return int(n)
}
