package crypto

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/armor"
	"golang.org/x/crypto/ssh"
)

// needTool skips the test when the named program is missing, or fails it
// when RIGUP_E2E_REQUIRE=1 says every tool must be there.
func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("RIGUP_E2E_REQUIRE") == "1" {
			t.Fatalf("%s is required (RIGUP_E2E_REQUIRE=1) but not installed", name)
		}
		t.Skipf("%s not installed", name)
	}
}

// pubLine is the .pub line of a key, without comment or newline.
func pubLine(pub ssh.PublicKey) string {
	return strings.TrimSuffix(string(ssh.MarshalAuthorizedKey(pub)), "\n")
}

func recipientOf(t *testing.T, k any, comment string) Recipient {
	return Recipient{Key: pubOf(t, k), Comment: comment}
}

func sameKey(a, b ssh.PublicKey) bool {
	return a != nil && b != nil && bytes.Equal(a.Marshal(), b.Marshal())
}

func TestParseRecipient(t *testing.T) {
	ed, rk := newEd25519(t), rsaKey()
	edLine, rsaLine := pubLine(pubOf(t, ed)), pubLine(pubOf(t, rk))
	for name, tc := range map[string]struct {
		line    string
		key     ssh.PublicKey
		comment string
	}{
		"ed25519":                      {edLine, pubOf(t, ed), ""},
		"ed25519 with comment":         {edLine + " alice@laptop", pubOf(t, ed), "alice@laptop"},
		"ed25519 .pub file":            {edLine + " alice@laptop\n", pubOf(t, ed), "alice@laptop"},
		"rsa":                          {rsaLine, pubOf(t, rk), ""},
		"rsa with comment, spaces":     {"  " + rsaLine + "   bob  at work \t\n", pubOf(t, rk), "bob  at work"},
		"rsa with tab and CRLF ending": {rsaLine + "\tci\r\n", pubOf(t, rk), "ci"},
	} {
		r, err := ParseRecipient(tc.line)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !sameKey(r.Key, tc.key) || r.Comment != tc.comment || r.Line != 0 {
			t.Errorf("%s: got %s %q line %d", name, r.Key.Type(), r.Comment, r.Line)
		}
	}
}

func TestParseRecipientRefused(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecPub, err := ssh.NewPublicKey(&ec.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	x25519, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	var dss bytes.Buffer
	writeString(&dss, []byte("ssh-dss"))
	writeString(&dss, bytes.Repeat([]byte{0x42}, 128))
	privBlock, err := ssh.MarshalPrivateKey(newEd25519(t), "")
	if err != nil {
		t.Fatal(err)
	}
	edBlob := strings.Fields(pubLine(pubOf(t, newEd25519(t))))[1]
	const only = ": age encrypts only to ssh-ed25519 and ssh-rsa keys"
	for _, tc := range []struct {
		name, line, want string
	}{
		{"ecdsa", pubLine(ecPub) + " me", "an ecdsa-sha2-nistp256 key" + only},
		{"security key", pubLine(skPublicKey(t)), "an sk-ssh-ed25519@openssh.com key" + only},
		{"dss", "ssh-dss " + base64.StdEncoding.EncodeToString(dss.Bytes()), "an ssh-dss key" + only},
		{"age recipient", x25519.Recipient().String(), "an age recipient, not an SSH public key"},
		{"rsa 1024", pubLine(pubOf(t, small)), "an ssh-rsa key of 1024 bits: age requires at least 2048"},
		{"private key", string(pem.EncodeToMemory(privBlock)), "a private key, not a public key"},
		{"garbage", "garbage", "not an SSH public key"},
		{"empty", " \n", "no public key"},
		{"type alone", "ssh-ed25519", "malformed ssh-ed25519 key"},
		{"bad base64", "ssh-ed25519 AAAA!!!! c", "malformed ssh-ed25519 key"},
		{"type mismatch", "ssh-rsa " + edBlob, "malformed ssh-rsa key"},
		{"not UTF-8", "ssh-ed25519 " + edBlob + " \xff", "not valid UTF-8"},
	} {
		_, err := ParseRecipient(tc.line)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: got %v, want %s", tc.name, err, tc.want)
			continue
		}
		if f := strings.Fields(tc.line); len(f) > 1 && strings.Contains(err.Error(), f[1]) {
			t.Errorf("%s: the error quotes the line: %v", tc.name, err)
		}
	}
}

func TestParseRecipients(t *testing.T) {
	a, b := pubOf(t, newEd25519(t)), pubOf(t, rsaKey())
	la, lb := pubLine(a), pubLine(b)
	type want struct {
		line    int
		key     ssh.PublicKey
		comment string
	}
	for _, tc := range []struct {
		name    string
		data    string
		want    []want
		wantErr string // and then the error's line is its number
	}{
		{"comments and blank lines", "# who\n\n" + la + "\n#" + lb + "\n" + lb + " bob\n", []want{{3, a, ""}, {5, b, "bob"}}, ""},
		{"CRLF", "# who\r\n\r\n" + la + " alice\r\n" + lb + "\r\n", []want{{3, a, "alice"}, {4, b, ""}}, ""},
		{"no final newline", la, []want{{1, a, ""}}, ""},
		{"only comments", "# nobody yet\n\n", nil, ""},
		{"empty", "", nil, ""},
		{"duplicate", "#\n" + la + " laptop\n" + lb + "\n\n" + la + " desktop\n", nil, "line 5: the same key as line 2"},
		{"bad line", la + "\n#\ngarbage sk-SECRET\n", nil, "line 3: not an SSH public key"},
		{"unsupported key", "\n" + pubLine(skPublicKey(t)) + "\n", nil, "line 2: an sk-ssh-ed25519@openssh.com key: age encrypts only to ssh-ed25519 and ssh-rsa keys"},
		{"leading space", la + "\n  " + lb + "\n", nil, "line 2: starts with a space, which age -R refuses"},
		{"spaces only", "\n \t\n" + la, nil, "line 2: starts with a space, which age -R refuses"},
	} {
		rs, err := ParseRecipients([]byte(tc.data))
		if tc.wantErr != "" {
			var re *RecipientsError
			if !errors.As(err, &re) || err.Error() != tc.wantErr || !strings.HasPrefix(tc.wantErr, fmt.Sprintf("line %d:", re.Line)) {
				t.Errorf("%s: got %v, want %s", tc.name, err, tc.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "SECRET") {
				t.Errorf("%s: the error quotes the line: %v", tc.name, err)
			}
			continue
		}
		if err != nil || len(rs) != len(tc.want) {
			t.Errorf("%s: got %d recipients, %v; want %d", tc.name, len(rs), err, len(tc.want))
			continue
		}
		for i, w := range tc.want {
			if r := rs[i]; r.Line != w.line || !sameKey(r.Key, w.key) || r.Comment != w.comment {
				t.Errorf("%s: recipient %d: line %d %q, want line %d %q", tc.name, i, r.Line, r.Comment, w.line, w.comment)
			}
		}
	}
}

func TestFormatRecipientsRoundTrip(t *testing.T) {
	rs := []Recipient{
		recipientOf(t, newEd25519(t), "alice@laptop"),
		recipientOf(t, rsaKey(), ""),
		recipientOf(t, newEd25519(t), "bob  at work"),
	}
	data := FormatRecipients(rs)
	lines := strings.Split(string(data), "\n")
	if len(lines) != 3+len(rs)+1 || lines[len(lines)-1] != "" {
		t.Fatalf("want 3 header lines, %d keys and a final newline:\n%s", len(rs), data)
	}
	for i, l := range lines[:3] {
		if !strings.HasPrefix(l, "# ") {
			t.Errorf("header line %d is not a comment: %q", i+1, l)
		}
	}
	if lines[3] != rs[0].String() || lines[4] != pubLine(rs[1].Key) {
		t.Errorf("key lines:\n%s\n%s", lines[3], lines[4])
	}
	got, err := ParseRecipients(data)
	if err != nil || len(got) != len(rs) {
		t.Fatalf("%d recipients, %v", len(got), err)
	}
	for i := range rs {
		if !sameKey(got[i].Key, rs[i].Key) || got[i].Comment != rs[i].Comment || got[i].Line != 4+i {
			t.Errorf("recipient %d: %q line %d, want %q line %d", i, got[i].Comment, got[i].Line, rs[i].Comment, 4+i)
		}
	}
	// A comment set by hand cannot add a line.
	r := recipientOf(t, newEd25519(t), "a\nssh-ed25519 AAAA injected\r")
	if s := r.String(); strings.ContainsAny(s, "\r\n") {
		t.Errorf("String() has a line break: %q", s)
	}
}

func TestAppendRecipients(t *testing.T) {
	a, b := recipientOf(t, newEd25519(t), "alice"), recipientOf(t, rsaKey(), "")
	la := a.String()
	for _, tc := range []struct{ name, data, want string }{
		{"comments kept", "# the team\n" + la + "\n\n# bob, since May\n", "# the team\n" + la + "\n\n# bob, since May\n" + b.String() + "\n"},
		{"no final newline", "# the team\n" + la, "# the team\n" + la + "\n" + b.String() + "\n"},
		{"CRLF", "# the team\r\n" + la + "\r\n", "# the team\r\n" + la + "\r\n" + b.String() + "\r\n"},
		{"empty", "", b.String() + "\n"},
	} {
		got := AppendRecipients([]byte(tc.data), []Recipient{b})
		if string(got) != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
		rs, err := ParseRecipients(got)
		if err != nil || len(rs) == 0 || rs[len(rs)-1].Comment != "" || !sameKey(rs[len(rs)-1].Key, b.Key) {
			t.Errorf("%s: the result does not parse to the keys: %v", tc.name, err)
		}
	}
	data := []byte("# the team\n")
	AppendRecipients(data[:5], []Recipient{b})
	if string(data) != "# the team\n" {
		t.Errorf("AppendRecipients wrote into its argument's array: %q", data)
	}
}

func TestFingerprintMatchesSSHKeygen(t *testing.T) {
	needTool(t, "ssh-keygen")
	dir := t.TempDir()
	for name, k := range map[string]any{"ed25519": newEd25519(t), "rsa": rsaKey()} {
		r := recipientOf(t, k, "c")
		path := writeFile(t, filepath.Join(dir, name+".pub"), []byte(r.String()+"\n"), 0o644)
		out, err := exec.Command("ssh-keygen", "-l", "-f", path).Output()
		if err != nil {
			t.Fatalf("ssh-keygen -l: %v", err)
		}
		// "256 SHA256:... c (ED25519)"
		if f := strings.Fields(string(out)); len(f) < 2 || f[1] != r.Fingerprint() {
			t.Errorf("%s: ssh-keygen says %q, Fingerprint() %q", name, out, r.Fingerprint())
		}
	}
}

// What EncryptTo writes, the real age CLI decrypts with each recipient's
// key; and a file that FormatRecipients writes is one that age -R reads.
func TestRecipientsAgeInterop(t *testing.T) {
	needTool(t, "age")
	dir := t.TempDir()
	keys := []any{newEd25519(t), rsaKey()}
	rs := []Recipient{recipientOf(t, keys[0], "alice@laptop"), recipientOf(t, keys[1], "")}

	var out bytes.Buffer
	if err := EncryptTo(&out, []byte(plaintext), rs); err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, filepath.Join(dir, "s.age"), out.Bytes(), 0o600)
	var loaded []*Key
	for i, k := range keys {
		path := writeKey(t, dir, "id"+string(rune('a'+i)), k, "")
		loaded = append(loaded, load(t, path, nil))
		got, err := exec.Command("age", "-d", "-i", path, file).Output()
		if err != nil || string(got) != plaintext {
			t.Errorf("age -d with key %d: %q, %v", i, got, err)
		}
	}

	recipients := writeFile(t, filepath.Join(dir, "rigup.secrets.recipients"), FormatRecipients(rs), 0o644)
	cmd := exec.Command("age", "-R", recipients)
	cmd.Stdin = strings.NewReader(plaintext)
	enc, err := cmd.Output()
	if err != nil {
		t.Fatalf("age -R: %v", err)
	}
	for i, k := range loaded {
		if got, err := decrypt(t, enc, k); err != nil || got != plaintext {
			t.Errorf("Decrypt of age -R output with key %d: %q, %v", i, got, err)
		}
	}
}

func TestEncryptToNobody(t *testing.T) {
	if err := EncryptTo(&bytes.Buffer{}, []byte("x"), nil); err == nil {
		t.Error("EncryptTo nobody succeeded")
	}
}

func TestHeaderRecipients(t *testing.T) {
	a, b, c := recipientOf(t, newEd25519(t), "a"), recipientOf(t, rsaKey(), "b"), recipientOf(t, newEd25519(t), "c")
	var file bytes.Buffer
	if err := EncryptTo(&file, []byte(plaintext), []Recipient{a, b}); err != nil {
		t.Fatal(err)
	}
	var armored bytes.Buffer
	aw := armor.NewWriter(&armored)
	aw.Write(file.Bytes())
	aw.Close()

	check := func(name string, data []byte, candidates []Recipient, wantMatched []Recipient, wantUnknown, wantOther int) {
		t.Helper()
		matched, unknown, other, err := HeaderRecipients(bytes.NewReader(data), candidates)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			return
		}
		ok := len(matched) == len(wantMatched) && unknown == wantUnknown && other >= wantOther && (wantOther > 0 || other == 0)
		for i := 0; ok && i < len(matched); i++ {
			ok = matched[i].Comment == wantMatched[i].Comment && sameKey(matched[i].Key, wantMatched[i].Key)
		}
		if !ok {
			var got []string
			for _, r := range matched {
				got = append(got, r.Comment)
			}
			t.Errorf("%s: matched %v, %d unknown ssh, %d other; want %d matched, %d unknown ssh, %d other",
				name, got, unknown, other, len(wantMatched), wantUnknown, wantOther)
		}
	}
	check("A and B, candidates A and C", file.Bytes(), []Recipient{a, c}, []Recipient{a}, 1, 0)
	check("all candidates, in their order", file.Bytes(), []Recipient{c, b, a}, []Recipient{b, a}, 0, 0)
	check("no candidates", file.Bytes(), nil, nil, 2, 0)
	check("armored", armored.Bytes(), []Recipient{a, c}, []Recipient{a}, 1, 0)

	t.Run("age -R with an X25519 recipient too", func(t *testing.T) {
		needTool(t, "age")
		id, err := age.GenerateX25519Identity()
		if err != nil {
			t.Fatal(err)
		}
		recipients := writeFile(t, filepath.Join(t.TempDir(), "r"), FormatRecipients([]Recipient{a}), 0o644)
		cmd := exec.Command("age", "-R", recipients, "-r", id.Recipient().String())
		cmd.Stdin = strings.NewReader(plaintext)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("age: %v", err)
		}
		check("age -R", out, []Recipient{a, b}, []Recipient{a}, 0, 1)
	})

	errRead := errors.New("read failed")
	for name, tc := range map[string]struct {
		r    *bytes.Reader
		want string
	}{
		"not age":    {bytes.NewReader([]byte("key = \"sk-SECRET-plain\"\n")), "not an age-encrypted file"},
		"empty":      {bytes.NewReader(nil), "not an age-encrypted file"},
		"bad header": {bytes.NewReader([]byte("age-encryption.org/v1\n-> X25519 sk-SECRET\n--- x\n")), "damaged age header"},
		"bad armor":  {bytes.NewReader([]byte(armor.Header + "\n!!sk-SECRET!!\n")), "damaged age header"},
	} {
		_, _, _, err := HeaderRecipients(tc.r, []Recipient{a})
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: got %v, want %s", name, err, tc.want)
		}
	}
	for name, r := range map[string]*failingReader{
		"read error at the start":  {nil, errRead},
		"read error in the header": {[]byte("age-encryption.org/v1\n-> X25519 "), errRead},
	} {
		if _, _, _, err := HeaderRecipients(r, nil); !errors.Is(err, errRead) {
			t.Errorf("%s: got %v, want the read error", name, err)
		}
	}
}

// failingReader returns data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestKeyPublicKey(t *testing.T) {
	ed, rk := newEd25519(t), rsaKey()
	for name, tc := range map[string]struct {
		path string
		want ssh.PublicKey // nil: unknown
	}{
		"OpenSSH ed25519":             {writeKey(t, t.TempDir(), "id_ed25519", ed, ""), pubOf(t, ed)},
		"OpenSSH rsa with passphrase": {writeKey(t, t.TempDir(), "id_rsa", rk, "pass"), pubOf(t, rk)},
		"old PEM with its .pub":       {writeLegacyPEM(t, t.TempDir(), rk, "pem", pubOf(t, rk)), pubOf(t, rk)},
		"old PEM passphrase, no .pub": {writeLegacyPEM(t, t.TempDir(), rk, "pem", nil), nil},
	} {
		got := load(t, tc.path, nil).PublicKey()
		if tc.want == nil && got != nil || tc.want != nil && !sameKey(got, tc.want) {
			t.Errorf("%s: got %v", name, got)
		}
	}
}
