package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"embed"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/alecthomas/kong"
	"golang.org/x/crypto/ssh"

	"rigup-exec/crypto"
)

//go:embed demo/secrets.toml demo/templates
var demoFiles embed.FS

type demoCmd struct{}

// demoScript is what the demo's command runs: it shows what a program
// started by rigup-exec sees, and where the directory was.
const demoScript = `
echo "the command sees XDG_CONFIG_HOME=$XDG_CONFIG_HOME"
cd "$XDG_CONFIG_HOME" && ls -lR
echo
echo "claude/settings.json, rendered with the secret escaped for JSON:"
cat claude/settings.json
echo "$XDG_CONFIG_HOME" > "$1"
`

// Run makes a throwaway rig in a temporary directory (an SSH key, a
// secrets file encrypted to it with fake values, a few templates) and runs
// a shell on it through the real run path.
func (demoCmd) Run(cli *CLI, ui *ui, k *kong.Context) error {
	tmp, err := os.MkdirTemp(cli.env.tempDir(), "rigup-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	key, err := demoKey(tmp)
	if err != nil {
		return fmt.Errorf("making the demo key: %w", err)
	}
	if err := demoRig(tmp, key); err != nil {
		return fmt.Errorf("making the demo rig: %w", err)
	}
	fmt.Fprintf(ui.stdout, "demo rig in %s: an SSH key, rigup.secrets.toml.age encrypted to it, templates/\n", tmp)
	fmt.Fprintf(ui.stdout, "running: rigup-exec -t templates -s rigup.secrets.toml.age -i demo_key -- sh -c '...'\n\n")
	seen := filepath.Join(tmp, "seen")
	demo := *cli
	demo.Templates = filepath.Join(tmp, "templates")
	demo.Secrets = filepath.Join(tmp, "rigup.secrets.toml.age")
	demo.Identity = []string{filepath.Join(tmp, "demo_key")}
	run := &runCmd{Command: []string{"sh", "-c", demoScript, "sh", seen}}
	var status statusError
	if err := run.Run(&demo, ui, k); !errors.As(err, &status) || status != 0 {
		return err
	}
	dir, err := os.ReadFile(seen)
	if err != nil {
		return err
	}
	d := strings.TrimSpace(string(dir))
	if _, err := os.Lstat(d); !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s is still there after the command exited", d)
	}
	fmt.Fprintf(ui.stdout, "\nthe command exited and %s is gone\n", d)
	return nil
}

// demoKey writes a new unencrypted ed25519 key to dir/demo_key and returns
// its public half.
func demoKey(dir string) (string, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", err
	}
	block, err := ssh.MarshalPrivateKey(priv, "rigup-exec demo")
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "demo_key"), pem.EncodeToMemory(block), 0o600); err != nil {
		return "", err
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		return "", err
	}
	return string(ssh.MarshalAuthorizedKey(sshPub)), nil
}

// demoRig writes the demo's templates and its secrets, encrypted to key.
func demoRig(dir, key string) error {
	err := fs.WalkDir(demoFiles, "demo/templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, strings.TrimPrefix(p, "demo/"))
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		data, err := demoFiles.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		return err
	}
	plain, err := demoFiles.ReadFile("demo/secrets.toml")
	if err != nil {
		return err
	}
	recipient, err := crypto.ParseRecipient(key)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if err := crypto.EncryptTo(&out, plain, []crypto.Recipient{recipient}); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "rigup.secrets.toml.age"), out.Bytes(), 0o600)
}
