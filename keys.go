package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"rigup-exec/crypto"
	"rigup-exec/project"
	"rigup-exec/tmpl"
)

// identityPaths returns the keys to try: --identity, else AGE_IDENTITY, else
// whichever of ~/.ssh/id_ed25519 and ~/.ssh/id_rsa exist.
func (c *CLI) identityPaths() ([]string, error) {
	var paths []string
	if len(c.Identity) > 0 {
		paths = c.Identity
	} else if env := c.env.get("AGE_IDENTITY"); env != "" {
		for _, p := range filepath.SplitList(env) {
			if p != "" {
				paths = append(paths, p)
			}
		}
	}
	if len(paths) > 0 {
		for i, p := range paths {
			paths[i] = expandHome(p) // as given, so that messages name them so
		}
		return paths, nil
	}
	home := c.env.home
	if home == "" {
		return nil, hint(errors.New("no home directory to find SSH keys in"), "pass one with --identity")
	}
	defaults := []string{filepath.Join(home, ".ssh", "id_ed25519"), filepath.Join(home, ".ssh", "id_rsa")}
	for _, p := range defaults {
		if _, err := os.Stat(p); err == nil {
			paths = append(paths, p)
		}
	}
	if len(paths) == 0 {
		return nil, hint(fmt.Errorf("no SSH key found (looked for %s and %s)", tilde(defaults[0]), tilde(defaults[1])),
			"pass one with --identity, or create one with ssh-keygen -t ed25519")
	}
	return paths, nil
}

// loadSecrets finds, decrypts and decodes the secrets file. The plaintext is
// wiped once decoded.
func (c *CLI) loadSecrets(ui *ui) (*tmpl.Secrets, error) {
	path, err := c.secretsPath()
	if err != nil {
		return nil, err
	}
	if project.InConflict(path) {
		ui.warnf("%s is in conflict: git left one side's version, not a merge of both", display(path))
		ui.hintf("rigup-exec secrets merge merges them key by key (see git config merge.rigup-secrets.driver in the README)")
	}
	plain, err := c.decryptFile(ui, path)
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	secrets, err := tmpl.ParseSecrets(plain)
	if err != nil {
		return nil, hint(fmt.Errorf("%s: %w", display(path), err), "fix it with rigup-exec secrets edit")
	}
	return secrets, nil
}

// decryptFile decrypts the secrets file at path with the user's keys. The
// caller wipes the plaintext.
func (c *CLI) decryptFile(ui *ui, path string) ([]byte, error) {
	name := display(path)
	f, err := openInput(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, hint(fmt.Errorf("secrets file %s does not exist", name),
			"pass --secrets FILE, or set RIGUP_SECRETS_FILE or RIG_PROJECT_ROOT",
			"or create it with rigup-exec secrets edit")
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := checkTrusted("secrets file", path); err != nil {
		return nil, err
	}
	keys, err := c.loadKeys(ui)
	if err != nil {
		return nil, err
	}
	plain, err := crypto.Decrypt(f, name, keys)
	if err != nil {
		return nil, decryptError(err, keys, path)
	}
	return plain, nil
}

// loadKeys loads the user's keys, without parsing their private halves.
func (c *CLI) loadKeys(ui *ui) ([]*crypto.Key, error) {
	keyPaths, err := c.identityPaths()
	if err != nil {
		return nil, err
	}
	var keys []*crypto.Key
	for _, p := range keyPaths {
		k, err := crypto.LoadKey(p, tilde(p), c.askPassphrase)
		if err != nil {
			return nil, keyError(err, p)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func keyError(err error, path string) error {
	var perm *crypto.PermissionError
	var pub *crypto.PublicKeyError
	var unsupported *crypto.UnsupportedKeyError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return hint(fmt.Errorf("SSH key %s does not exist", tilde(path)), "pass the right key with --identity")
	case errors.As(err, &pub):
		private := strings.TrimSuffix(path, ".pub")
		if private != path && isFile(private) {
			return hint(err, "pass the private key: --identity "+tilde(private))
		}
		return hint(err, "pass the private key with --identity, e.g. ~/.ssh/id_ed25519 (not its .pub)")
	case errors.As(err, &perm):
		return hint(err, "chmod 600 "+tilde(path))
	case errors.As(err, &unsupported):
		return hint(err, "use an ssh-ed25519 or ssh-rsa key file; age cannot use ssh-agent or hardware keys")
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("cannot read SSH key %s: permission denied", tilde(path))
	}
	return err
}

func decryptError(err error, keys []*crypto.Key, path string) error {
	var noMatch *crypto.NoMatchError
	if errors.As(err, &noMatch) {
		// Listed already: the file waits for a rekey, not for her key.
		recipients := filepath.Join(filepath.Dir(path), project.RecipientsFile)
		if listed, lerr := readRecipients(recipients); lerr == nil {
			for _, k := range keys {
				if pub := k.PublicKey(); pub != nil && project.Has(listed.Keys, crypto.Recipient{Key: pub}) {
					return hint(err, fmt.Sprintf("your key %s is listed in %s, but the file is not encrypted to it yet: %s",
						k.Name, display(recipients), rekeyHint))
				}
			}
		}
		pubs := make([]string, len(keys))
		for i, k := range keys {
			pubs[i] = k.Name + ".pub"
		}
		return hint(err,
			fmt.Sprintf("ask someone who can decrypt it to add your public key (%s) to its recipients", strings.Join(pubs, " or ")),
			"or pass the right key with --identity")
	}
	if errors.Is(err, errNoPrompt) {
		return hint(err, "run it in a terminal, or set SSH_ASKPASS to a program that prints the passphrase (with SSH_ASKPASS_REQUIRE=force when there is no display)")
	}
	return err
}
