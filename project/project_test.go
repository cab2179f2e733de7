package project

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"rigup-exec/crypto"
)

// newKey writes a new ed25519 key, without passphrase, into dir and
// returns the loaded key and its public half as a recipient.
func newKey(t *testing.T, dir, name string) (*crypto.Key, crypto.Recipient) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	k, err := crypto.LoadKey(path, name, nil)
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	r, err := crypto.ParseRecipient(string(ssh.MarshalAuthorizedKey(sshPub)))
	if err != nil {
		t.Fatal(err)
	}
	return k, r
}

func TestFind(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "a", "b", "c")
	os.MkdirAll(deep, 0o755)
	if _, err := Find(deep); !errors.As(err, new(*NotFoundError)) {
		t.Fatalf("Find in a tree without a secrets file = %v, want a NotFoundError", err)
	}
	for _, at := range []string{root, filepath.Join(root, "a", "b")} {
		want := filepath.Join(at, SecretsFile)
		os.WriteFile(want, []byte("x"), 0o644)
		if got, err := Find(deep); got != want || err != nil {
			t.Errorf("Find = %q, %v, want the nearest, %q", got, err, want)
		}
	}
}

func TestOpenLocksTheProject(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, SecretsFile)
	p, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if p.Exists || p.Recipients != filepath.Join(dir, RecipientsFile) {
		t.Errorf("Open = %+v", p)
	}
	if _, err := Open(path); !errors.Is(err, ErrBusy) {
		t.Errorf("a second Open = %v, want ErrBusy", err)
	}
	p.Close()
	os.WriteFile(path, []byte("x"), 0o644)
	p, err = Open(path)
	if err != nil || !p.Exists {
		t.Fatalf("Open after Close = %+v, %v", p, err)
	}
	p.Close()
}

// A crash while a file is replaced (a panic in the hook stands for it, at
// each step) leaves the old content in place, or the new one once renamed;
// the next Open removes what it left.
func TestSaveInterruptedAtEachStep(t *testing.T) {
	keysDir := t.TempDir()
	key, me := newKey(t, keysDir, "id_ed25519")
	for _, step := range []string{"temp-created", "temp-written", "temp-synced", "renamed"} {
		t.Run(step, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, SecretsFile)
			p, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Save([]byte("k = \"old\"\n"), []crypto.Recipient{me}, nil); err != nil {
				t.Fatal(err)
			}
			p.Hook = func(file, at string) {
				if file == SecretsFile && at == step {
					panic("crash")
				}
			}
			func() {
				defer func() { recover() }()
				p.Save([]byte("k = \"new\"\n"), []crypto.Recipient{me}, nil)
			}()
			p.Close()
			want := "k = \"old\"\n"
			if step == "renamed" {
				want = "k = \"new\"\n"
			}
			if got := decrypt(t, path, key); got != want {
				t.Errorf("after a crash at %s the file holds %q, want %q", step, got, want)
			}
			if p, err = Open(path); err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("after the next Open the directory holds %v, want the secrets file alone", entries)
			}
		})
	}
}

func decrypt(t *testing.T, path string, key *crypto.Key) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	plain, err := crypto.Decrypt(f, path, []*crypto.Key{key})
	if err != nil {
		t.Fatal(err)
	}
	return string(plain)
}

func TestSave(t *testing.T) {
	dir := t.TempDir()
	key, me := newKey(t, dir, "id_ed25519")
	_, bob := newKey(t, dir, "bob")
	path := filepath.Join(dir, "project", SecretsFile)
	os.Mkdir(filepath.Dir(path), 0o755)
	p, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var steps []string
	p.Hook = func(file, step string) { steps = append(steps, file+" "+step) }
	file := Recipients{}
	if err := p.Save([]byte("k = 1\n"), []crypto.Recipient{me, bob}, file.With([]crypto.Recipient{me, bob})); err != nil {
		t.Fatal(err)
	}
	if got := decrypt(t, path, key); got != "k = 1\n" || !p.Exists {
		t.Errorf("decrypted %q (Exists %v)", got, p.Exists)
	}
	// The recipients file is written first: a crash in between leaves it
	// ahead of the secrets file, which a rekey then catches up with.
	want := []string{
		RecipientsFile + " temp-created", RecipientsFile + " temp-written", RecipientsFile + " temp-synced", RecipientsFile + " renamed",
		SecretsFile + " temp-created", SecretsFile + " temp-written", SecretsFile + " temp-synced", SecretsFile + " renamed",
	}
	if !reflect.DeepEqual(steps, want) {
		t.Errorf("steps %q\nwant %q", steps, want)
	}
	text, _ := os.ReadFile(p.Recipients)
	listed, err := ParseRecipients(text)
	if err != nil || len(listed.Keys) != 2 || !Has(listed.Keys, me) || !Has(listed.Keys, bob) {
		t.Errorf("the recipients file lists %v, %v", listed.Keys, err)
	}
	for _, f := range []string{path, p.Recipients} {
		if fi, _ := os.Stat(f); fi.Mode().Perm() != 0o644 {
			t.Errorf("%s has mode %v, want 0644", f, fi.Mode())
		}
	}
	// A replaced file keeps its mode.
	os.Chmod(path, 0o600)
	if err := p.Save([]byte("k = 2\n"), []crypto.Recipient{me}, nil); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("the replaced file has mode %v, want 0600 as before", fi.Mode())
	}
}

func TestSaveError(t *testing.T) {
	dir := t.TempDir()
	_, me := newKey(t, dir, "id_ed25519")
	path := filepath.Join(dir, SecretsFile)
	p, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	// A directory where the file should go: the rename fails.
	os.Mkdir(path, 0o755)
	os.WriteFile(filepath.Join(path, "x"), nil, 0o644)
	err = p.Save([]byte("k = 1\n"), []crypto.Recipient{me}, nil)
	var we *WriteError
	if !errors.As(err, &we) || we.Path != path {
		t.Fatalf("Save = %v, want a WriteError for %s", err, path)
	}
	if strings.Contains(err.Error(), "k = 1") {
		t.Errorf("the error holds the plaintext: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("a failed save left %s", e.Name())
		}
	}
	if err := p.Save(nil, nil, nil); err == nil {
		t.Error("Save to no recipient succeeded")
	}
}

func TestRoot(t *testing.T) {
	top := t.TempDir()
	sub := filepath.Join(top, "src", "pkg")
	os.MkdirAll(sub, 0o755)
	if got := Root(sub); got != sub {
		t.Errorf("Root outside git = %q, want the directory itself", got)
	}
	os.Mkdir(filepath.Join(top, ".git"), 0o755)
	if got := Root(sub); got != top {
		t.Errorf("Root in a work tree = %q, want its top %q", got, top)
	}
	// A worktree's .git is a file; the nearest one wins.
	os.WriteFile(filepath.Join(top, "src", ".git"), []byte("gitdir: elsewhere\n"), 0o644)
	if got := Root(sub); got != filepath.Join(top, "src") {
		t.Errorf("Root in a linked worktree = %q", got)
	}
}
