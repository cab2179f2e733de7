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
	"io"
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

// newX25519 is a new age X25519 identity.
func newX25519(t *testing.T) *age.X25519Identity {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id
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
		if !sameKey(r.Key, tc.key) || r.X25519 != nil || r.Comment != tc.comment || r.Line != 0 {
			t.Errorf("%s: got %s %q line %d", name, r.Type(), r.Comment, r.Line)
		}
	}

	x := newX25519(t).Recipient().String()
	for name, line := range map[string]string{
		"age1":                         x,
		"age1 as age-keygen -y writes": x + "\n",
		"age1 with spaces around":      " \t" + x + " \r\n",
	} {
		r, err := ParseRecipient(line)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if r.X25519 == nil || r.Key != nil || r.Type() != "X25519" || r.ID() != x || r.String() != x || r.Comment != "" {
			t.Errorf("%s: got %s %q, ID %q, String %q", name, r.Type(), r.Comment, r.ID(), r.String())
		}
		if a, err := r.Age(); err != nil || a != age.Recipient(r.X25519) {
			t.Errorf("%s: Age() = %v, %v", name, a, err)
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
	x25519 := newX25519(t)
	hybrid, err := age.GenerateHybridIdentity()
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
		{"age identity", x25519.String(), "an age identity (a private key), not a public key"},
		{"age identity file", "# created: 2025-01-01T00:00:00Z\n# public key: " + x25519.Recipient().String() + "\n" + x25519.String() + "\n", "an age identity (a private key), not a public key"},
		{"age1 with a comment", x25519.Recipient().String() + " ci", "an age1 key followed by more text"},
		{"age1, bad checksum", badChecksum(x25519.Recipient().String()), "malformed age1 key"},
		{"age1, too short", "age1qqqqqqqq", "malformed age1 key"},
		{"age1 upper case", strings.ToUpper(x25519.Recipient().String()), "not a public key"},
		{"plugin", "age1yubikey1q2w7u3vpya839jxxuq8g0sedh3d740d4xvn639sqhr95ejj8vu3hyszlszd", "an age-plugin-yubikey key: " + onlyKinds},
		{"plugin, odd name", "age1Y!ubi1q2w7u3vpya839jxxuq8g0sedh3d740d4xvn639sqhr95ejj8vu3hyszlszd", "an age plugin's key: " + onlyKinds},
		{"post-quantum", hybrid.Recipient().String(), "a post-quantum age key: " + onlyKinds},
		{"tag", "age1tag1qwe3xvt0ptk8zlkfmsgdsxx6ldfyq8k6qtcx0tqyxkqxnsh4t7jfu5nkv2n", "an age tag key: " + onlyKinds},
		{"post-quantum tag", "age1tagpq1qwe3xvt0ptk8zlkfmsgdsxx6ldfyq8k6qtcx0tqyxkqxnsh4t7jfu5nkv2n", "a post-quantum age key: " + onlyKinds},
		{"rsa 1024", pubLine(pubOf(t, small)), "an ssh-rsa key of 1024 bits: age requires at least 2048"},
		{"private key", string(pem.EncodeToMemory(privBlock)), "a private key, not a public key"},
		{"garbage", "garbage", "not a public key"},
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
		if f := strings.Fields(tc.line); len(f) > 1 && strings.Contains(err.Error(), f[1]) ||
			strings.Contains(err.Error(), "AGE-SECRET-KEY") || strings.Contains(err.Error(), x25519.Recipient().String()[8:]) {
			t.Errorf("%s: the error quotes the line: %v", tc.name, err)
		}
	}
}

// badChecksum changes the last character of a bech32 string.
func badChecksum(s string) string {
	last := "q"
	if strings.HasSuffix(s, "q") {
		last = "p"
	}
	return s[:len(s)-1] + last
}

func TestParseRecipients(t *testing.T) {
	a, b := pubOf(t, newEd25519(t)), pubOf(t, rsaKey())
	la, lb := pubLine(a), pubLine(b)
	x, y := newX25519(t).Recipient().String(), newX25519(t).Recipient().String()
	type want struct {
		line    int
		key     ssh.PublicKey
		comment string
		x25519  string
	}
	for _, tc := range []struct {
		name    string
		data    string
		want    []want
		wantErr string // and then the error's line is its number
	}{
		{"comments and blank lines", "# who\n\n" + la + "\n#" + lb + "\n" + lb + " bob\n", []want{{3, a, "", ""}, {5, b, "bob", ""}}, ""},
		{"CRLF", "# who\r\n\r\n" + la + " alice\r\n" + lb + "\r\n", []want{{3, a, "alice", ""}, {4, b, "", ""}}, ""},
		{"no final newline", la, []want{{1, a, "", ""}}, ""},
		{"only comments", "# nobody yet\n\n", nil, ""},
		{"empty", "", nil, ""},
		{"duplicate", "#\n" + la + " laptop\n" + lb + "\n\n" + la + " desktop\n", nil, "line 5: the same key as line 2"},
		{"bad line", la + "\n#\ngarbage sk-SECRET\n", nil, "line 3: not a public key"},
		{"unsupported key", "\n" + pubLine(skPublicKey(t)) + "\n", nil, "line 2: an sk-ssh-ed25519@openssh.com key: age encrypts only to ssh-ed25519 and ssh-rsa keys"},
		{"leading space", la + "\n  " + lb + "\n", nil, "line 2: starts with a space, which age -R refuses"},
		{"spaces only", "\n \t\n" + la, nil, "line 2: starts with a space, which age -R refuses"},
		{"age1 keys", "# ci\n" + x + "\n" + la + " alice\n# ops\r\n" + y + "\r\n", []want{{2, nil, "", x}, {3, a, "alice", ""}, {5, nil, "", y}}, ""},
		{"age1 duplicate", x + "\n" + la + "\n" + x + "\n", nil, "line 3: the same key as line 1"},
		{"age1 with a comment", la + "\n" + x + " # ci\n", nil, "line 2: an age1 key followed by more text, which age -R refuses"},
		{"age1 with a space after it", la + "\n" + x + " \n", nil, "line 2: an age1 key followed by more text, which age -R refuses"},
		{"age1 with a tab after it", x + "\t\n", nil, "line 1: an age1 key followed by more text, which age -R refuses"},
		{"age identity", la + "\n" + newX25519(t).String() + "\n", nil, "line 2: an age identity (a private key), not a public key"},
	} {
		rs, err := ParseRecipients([]byte(tc.data))
		if tc.wantErr != "" {
			var re *recipientsError
			if !errors.As(err, &re) || err.Error() != tc.wantErr || !strings.HasPrefix(tc.wantErr, fmt.Sprintf("line %d:", re.Line)) {
				t.Errorf("%s: got %v, want %s", tc.name, err, tc.wantErr)
			}
			if err != nil && (strings.Contains(err.Error(), "SECRET") || strings.Contains(err.Error(), x[8:])) {
				t.Errorf("%s: the error quotes the line: %v", tc.name, err)
			}
			continue
		}
		if err != nil || len(rs) != len(tc.want) {
			t.Errorf("%s: got %d recipients, %v; want %d", tc.name, len(rs), err, len(tc.want))
			continue
		}
		for i, w := range tc.want {
			r := rs[i]
			ok := r.Line == w.line && r.Comment == w.comment
			if w.x25519 != "" {
				ok = ok && r.Key == nil && r.X25519 != nil && r.X25519.String() == w.x25519
			} else {
				ok = ok && r.X25519 == nil && sameKey(r.Key, w.key)
			}
			if !ok {
				t.Errorf("%s: recipient %d: %s line %d %q, want line %d %q", tc.name, i, r.Type(), r.Line, r.Comment, w.line, w.comment)
			}
		}
	}
}

func TestFormatRecipientsRoundTrip(t *testing.T) {
	rs := []Recipient{
		recipientOf(t, newEd25519(t), "alice@laptop"),
		recipientOf(t, rsaKey(), ""),
		recipientOf(t, newEd25519(t), "bob  at work"),
		{X25519: newX25519(t).Recipient()},
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
	if lines[3] != rs[0].String() || lines[4] != pubLine(rs[1].Key) || lines[6] != rs[3].X25519.String() {
		t.Errorf("key lines:\n%s\n%s\n%s", lines[3], lines[4], lines[6])
	}
	got, err := ParseRecipients(data)
	if err != nil || len(got) != len(rs) {
		t.Fatalf("%d recipients, %v", len(got), err)
	}
	for i := range rs {
		if got[i].ID() != rs[i].ID() || got[i].Comment != rs[i].Comment || got[i].Line != 4+i {
			t.Errorf("recipient %d: %s %q line %d, want %s %q line %d", i, got[i].ID(), got[i].Comment, got[i].Line, rs[i].ID(), rs[i].Comment, 4+i)
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
		if f := strings.Fields(string(out)); len(f) < 2 || f[1] != r.ID() {
			t.Errorf("%s: ssh-keygen says %q, ID() %q", name, out, r.ID())
		}
	}
}

// What EncryptTo writes, the real age CLI decrypts with each recipient's
// key, SSH and X25519; and a file that FormatRecipients writes is one that
// age -R reads.
func TestRecipientsAgeInterop(t *testing.T) {
	needTool(t, "age")
	dir := t.TempDir()
	keys := []any{newEd25519(t), rsaKey()}
	x := newX25519(t)
	rs := []Recipient{recipientOf(t, keys[0], "alice@laptop"), recipientOf(t, keys[1], ""), {X25519: x.Recipient()}}

	var out bytes.Buffer
	if err := EncryptTo(&out, []byte(plaintext), rs); err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, filepath.Join(dir, "s.age"), out.Bytes(), 0o600)
	var loaded []*Key
	identities := []string{writeFile(t, filepath.Join(dir, "x25519.key"), []byte(x.String()+"\n"), 0o600)}
	for i, k := range keys {
		path := writeKey(t, dir, "id"+string(rune('a'+i)), k, "")
		loaded = append(loaded, load(t, path, nil))
		identities = append(identities, path)
	}
	for _, id := range identities {
		got, err := exec.Command("age", "-d", "-i", id, file).Output()
		if err != nil || string(got) != plaintext {
			t.Errorf("age -d -i %s: %q, %v", filepath.Base(id), got, err)
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
	if r, err := age.Decrypt(bytes.NewReader(enc), x); err != nil {
		t.Errorf("age -R output, X25519 identity: %v", err)
	} else if got, _ := io.ReadAll(r); string(got) != plaintext {
		t.Errorf("age -R output, X25519 identity: %q", got)
	}
}

func TestEncryptToNobody(t *testing.T) {
	if err := EncryptTo(&bytes.Buffer{}, []byte("x"), nil); err == nil {
		t.Error("EncryptTo nobody succeeded")
	}
}

// stanzaRecipient wraps the file key for nobody: it writes a stanza of its
// type, the shape of a plugin's (piv-p256 for age-plugin-yubikey), or of
// grease.
type stanzaRecipient string

func (s stanzaRecipient) Wrap([]byte) ([]*age.Stanza, error) {
	return []*age.Stanza{{Type: string(s), Args: []string{"AAAAAA"}, Body: make([]byte, 32)}}, nil
}

// ageFile encrypts plaintext with the age library.
func ageFile(t *testing.T, rs ...age.Recipient) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rs...)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(plaintext))
	w.Close()
	return buf.Bytes()
}

func TestReadHeader(t *testing.T) {
	a, b, c := recipientOf(t, newEd25519(t), "a"), recipientOf(t, rsaKey(), "b"), recipientOf(t, newEd25519(t), "c")
	x, y := Recipient{X25519: newX25519(t).Recipient()}, Recipient{X25519: newX25519(t).Recipient()}
	ageOf := func(rs ...Recipient) []age.Recipient {
		var out []age.Recipient
		for _, r := range rs {
			ar, err := r.Age()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, ar)
		}
		return out
	}
	var file bytes.Buffer
	if err := EncryptTo(&file, []byte(plaintext), []Recipient{a, b}); err != nil {
		t.Fatal(err)
	}
	var armored bytes.Buffer
	aw := armor.NewWriter(&armored)
	aw.Write(file.Bytes())
	aw.Close()
	scrypt, err := age.NewScryptRecipient("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	scrypt.SetWorkFactor(10)
	hybrid, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}

	check := func(name string, data []byte, candidates []Recipient, want Header) {
		t.Helper()
		h, err := ReadHeader(bytes.NewReader(data), candidates)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			return
		}
		ok := len(h.Matched) == len(want.Matched) && h.UnknownSSH == want.UnknownSSH && h.X25519 == want.X25519 &&
			h.Scrypt == want.Scrypt && strings.Join(h.Others, " ") == strings.Join(want.Others, " ")
		for i := 0; ok && i < len(h.Matched); i++ {
			ok = h.Matched[i].Comment == want.Matched[i].Comment && sameKey(h.Matched[i].Key, want.Matched[i].Key)
		}
		if !ok {
			var got []string
			for _, r := range h.Matched {
				got = append(got, r.Comment)
			}
			t.Errorf("%s: matched %v, %d unknown SSH, %d X25519, scrypt %v, others %q; want %d matched, %+v",
				name, got, h.UnknownSSH, h.X25519, h.Scrypt, h.Others, len(want.Matched), want)
		}
	}
	check("A and B, candidates A and C", file.Bytes(), []Recipient{a, c}, Header{Matched: []Recipient{a}, UnknownSSH: 1})
	check("all candidates, in their order", file.Bytes(), []Recipient{c, b, a}, Header{Matched: []Recipient{b, a}})
	check("no candidates", file.Bytes(), nil, Header{UnknownSSH: 2})
	check("armored", armored.Bytes(), []Recipient{a, c}, Header{Matched: []Recipient{a}, UnknownSSH: 1})
	// An X25519 stanza names no key: an age1 candidate matches nothing,
	// the stanzas are counted.
	check("A, X and Y, candidates A and X", ageFile(t, ageOf(a, x, y)...), []Recipient{a, x}, Header{Matched: []Recipient{a}, X25519: 2})
	check("a passphrase", ageFile(t, scrypt), []Recipient{a}, Header{Scrypt: true})
	check("plugins, a tag key and grease", ageFile(t, append(ageOf(a, x),
		stanzaRecipient("piv-p256"), stanzaRecipient("p256tag"), stanzaRecipient("Zq-grease"), stanzaRecipient("piv-p256"))...),
		[]Recipient{a}, Header{Matched: []Recipient{a}, X25519: 1, Others: []string{"piv-p256", "p256tag", "piv-p256"}})
	check("post-quantum", ageFile(t, hybrid.Recipient()), []Recipient{a, x}, Header{Others: []string{"mlkem768x25519"}})

	t.Run("age -R with an X25519 recipient too", func(t *testing.T) {
		needTool(t, "age")
		recipients := writeFile(t, filepath.Join(t.TempDir(), "r"), FormatRecipients([]Recipient{a, x}), 0o644)
		cmd := exec.Command("age", "-R", recipients, "-r", y.X25519.String())
		cmd.Stdin = strings.NewReader(plaintext)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("age: %v", err)
		}
		check("age -R", out, []Recipient{a, b, x}, Header{Matched: []Recipient{a}, X25519: 2})
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
		_, err := ReadHeader(tc.r, []Recipient{a})
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: got %v, want %s", name, err, tc.want)
		}
	}
	for name, r := range map[string]*failingReader{
		"read error at the start":  {nil, errRead},
		"read error in the header": {[]byte("age-encryption.org/v1\n-> X25519 "), errRead},
	} {
		if _, err := ReadHeader(r, nil); !errors.Is(err, errRead) {
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
