package crypto

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The benchmarks use keys made by ssh-keygen, as users' keys are, rather
// than the in-process keys of the tests: the cost of parsing the real
// OpenSSH format, and of a 4096-bit RSA key, is what is measured. The test
// helpers take a *testing.T, so the few lines they would save are written
// here for a testing.TB.

// benchKey makes a key with ssh-keygen in a temporary directory and returns
// the path of its private half.
func benchKey(b *testing.B, args ...string) string {
	b.Helper()
	keygen, err := exec.LookPath("ssh-keygen")
	if err != nil {
		b.Skip("ssh-keygen not installed: the benchmarks use keys in the OpenSSH format it writes")
	}
	path := filepath.Join(b.TempDir(), "id")
	cmd := exec.Command(keygen, append([]string{"-q", "-N", "", "-C", "bench", "-f", path}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("ssh-keygen %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return path
}

// benchSecrets is a secrets file of about 1 KiB: 20 random-looking values in
// five tables, the size of a typical rig's.
func benchSecrets(b *testing.B) []byte {
	b.Helper()
	var buf bytes.Buffer
	for t, table := range []string{"github", "mcp", "llm", "aws", "registry"} {
		fmt.Fprintf(&buf, "[%s]\n", table)
		for k := range 4 {
			fmt.Fprintf(&buf, "key_%d = %q\n", k, "sk-"+rand.Text()+rand.Text()[:t*4])
		}
	}
	return buf.Bytes()
}

// encryptTo encrypts msg to the public key next to the key file path, as
// age -R path.pub does.
func encryptTo(b *testing.B, path string, msg []byte) []byte {
	b.Helper()
	data, err := os.ReadFile(path + ".pub")
	if err != nil {
		b.Fatal(err)
	}
	r, err := ParseRecipient(string(data))
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := EncryptTo(&buf, msg, []Recipient{r}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func BenchmarkLoadKeyEd25519(b *testing.B) {
	path := benchKey(b, "-t", "ed25519")
	for b.Loop() {
		if _, err := LoadKey(path, "id_ed25519", nil); err != nil {
			b.Fatal(err)
		}
	}
}

// benchDecrypt measures what one run of rigup-exec does with its key: load
// it, then decrypt. A Key keeps its private key once parsed, so reusing one
// across iterations would leave out the parsing, the main cost for RSA.
func benchDecrypt(b *testing.B, path string) {
	secrets := benchSecrets(b)
	file := encryptTo(b, path, secrets)
	for b.Loop() {
		k, err := LoadKey(path, "id", nil)
		if err != nil {
			b.Fatal(err)
		}
		out, err := Decrypt(bytes.NewReader(file), "rigup.secrets.toml.age", []*Key{k})
		if err != nil {
			b.Fatal(err)
		}
		if len(out) != len(secrets) {
			b.Fatalf("decrypted %d bytes, want %d", len(out), len(secrets))
		}
	}
}

func BenchmarkDecryptEd25519(b *testing.B) {
	benchDecrypt(b, benchKey(b, "-t", "ed25519"))
}

func BenchmarkDecryptRSA4096(b *testing.B) {
	benchDecrypt(b, benchKey(b, "-t", "rsa", "-b", "4096"))
}
