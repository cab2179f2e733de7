package main

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"path/filepath"

	"rigup-exec/crypto"
	"rigup-exec/project"
)

type secretsCmd struct {
	Edit       secretsEditCmd       `cmd:"" help:"Edit the secrets in $$EDITOR, through a private directory in RAM, and encrypt them again to their recipients."`
	Rekey      secretsRekeyCmd      `cmd:"" help:"Encrypt the secrets file again to exactly the keys in rigup.secrets.recipients."`
	Recipients secretsRecipientsCmd `cmd:"" help:"List the keys in rigup.secrets.recipients, and which are yours."`
	Merge      secretsMergeCmd      `cmd:"" help:"Merge versions of the secrets key by key: git's merge driver (secrets merge %O %A %B %P), or, without files, finish a merge git left in conflict."`
	Textconv   secretsTextconvCmd   `cmd:"" help:"Print the keys of an encrypted secrets file with a tag of each value, never the value: git diff's textconv."`
}

// openProject locates and locks the secrets file. With create, a missing
// one is to be made at --secrets or RIGUP_SECRETS_FILE, else in
// $RIG_PROJECT_ROOT, else at the top of the git work tree, else in the
// working directory.
func (c *CLI) openProject(ui *ui, create bool) (*project.Project, error) {
	path, err := c.secretsPath()
	if err != nil {
		if !create {
			return nil, err
		}
		root := project.Root(c.env.wd)
		path = filepath.Join(root, project.SecretsFile)
		if root != c.env.wd {
			ui.notef("a new secrets file goes to the top of the git work tree, %s", tilde(root))
		}
	}
	p, err := project.Open(path)
	if errors.Is(err, project.ErrBusy) {
		return nil, hint(fmt.Errorf("%s is being changed by another rigup-exec", display(path)),
			"wait for it to finish, then try again")
	}
	if err != nil {
		return nil, err
	}
	p.Hook = testHookWrite
	if !p.Exists && !create {
		p.Close()
		return nil, hint(fmt.Errorf("secrets file %s does not exist", display(path)), "create it with rigup-exec secrets edit")
	}
	return p, nil
}

// save encrypts plaintext to rs and replaces the secrets file with it,
// and the recipients file with recipientsText when that is not nil.
func save(ui *ui, p *project.Project, plaintext []byte, rs []crypto.Recipient, recipientsText []byte) error {
	if err := p.Save(plaintext, rs, recipientsText); err != nil {
		return writeError(err)
	}
	ui.notef("%s saved, encrypted to %s", display(p.Secrets), plural(len(rs), "recipient"))
	return nil
}

// writeError names the file a failed write left as it was.
func writeError(err error) error {
	var we *project.WriteError
	if errors.As(err, &we) {
		return fmt.Errorf("writing %s: %w", display(we.Path), we.Err)
	}
	return err
}

type secretsEditCmd struct {
	Recipient []string `short:"R" name:"recipient" sep:"none" placeholder:"KEY" help:"Also encrypt to KEY: a public key line, or the path of a .pub file. Repeatable."`
}

// Run decrypts the secrets into a private directory in RAM, opens the
// editor on them, checks what comes back and encrypts it again.
func (e *secretsEditCmd) Run(cli *CLI, ui *ui) error {
	extra, err := parseRecipientArgs(e.Recipient)
	if err != nil {
		return err
	}
	if err := cli.checkEditable(); err != nil {
		return err
	}
	p, err := cli.openProject(ui, true)
	if err != nil {
		return err
	}
	defer p.Close()
	file, err := readRecipients(p.Recipients)
	if err != nil {
		return err
	}
	listed := file.Keys
	keys, err := cli.loadKeys(ui)
	if err != nil {
		return err
	}
	keyPaths, _ := cli.identityPaths()
	own := ownRecipients(keys, keyPaths)
	var h crypto.Header
	if p.Exists {
		if h, err = header(p, project.Union(listed, own, extra), "edit", "saving it"); err != nil {
			return err
		}
	}
	want, err := project.EditRecipients(p.Exists, file, h, own, extra)
	var unnamed *project.UnnamedError
	switch {
	case errors.Is(err, project.ErrNoKey):
		return hint(errors.New("no public key of yours to encrypt a new secrets file to"),
			"pass -R with your public key (~/.ssh/id_ed25519.pub)")
	case errors.As(err, &unnamed):
		return unnamedError(p, unnamed)
	case errors.Is(err, project.ErrNobody) && p.Exists:
		return hint(fmt.Errorf("%s names nobody", display(p.Recipients)),
			"add the public keys of everyone who may decrypt "+display(p.Secrets)+" to it")
	case errors.Is(err, project.ErrNobody):
		return hint(fmt.Errorf("%s names nobody", display(p.Recipients)), "add public keys to it, or pass -R KEY")
	case err != nil:
		return err
	}
	change := project.ChangeTo(p.Exists, h, want, listed)
	if p.Exists {
		if err := ui.consent(change, display(p.Secrets), change.AddsOnly(extra, listed), len(extra) > 0); err != nil {
			return err
		}
	} else {
		ui.showChange(change)
	}

	// The plaintext is decrypted under runtime/secret, and only its hash is
	// kept while the editor runs: editInRAM clears it once written.
	var old []byte
	forgetting(func() {
		if p.Exists {
			old, err = cli.decryptFile(ui, p.Secrets)
		} else {
			old = []byte(newSecrets)
		}
	})
	if err != nil {
		return err
	}
	before := sha256.Sum256(old)
	edited, err := cli.editInRAM(ui, old)
	defer clear(edited)
	if err != nil {
		return err
	}
	unchanged := sha256.Sum256(edited) == before
	switch {
	case unchanged && !p.Exists:
		// The example as it came: nothing to keep.
		ui.notef("no changes, %s is not created", display(p.Secrets))
		return nil
	case unchanged && !change.Any() && !file.Exists:
		// A file made with age -R, adopted: the recipients file is all
		// that is new.
		if err := p.SaveRecipients(file.With(want)); err != nil {
			return writeError(err)
		}
		ui.notef("no changes to the secrets; %s written, listing the %s %s is encrypted to",
			display(p.Recipients), plural(len(want), "recipient"), display(p.Secrets))
		return nil
	case unchanged && !change.Any():
		ui.notef("no changes, %s is left as it was", display(p.Secrets))
		return nil
	}
	forgetting(func() {
		cli.warnUnresolved(ui, edited)
		err = save(ui, p, edited, want, file.With(want))
	})
	return err
}

type secretsRekeyCmd struct{}

// Run encrypts the secrets again to exactly the recipients file's keys.
func (secretsRekeyCmd) Run(cli *CLI, ui *ui) error {
	p, err := cli.openProject(ui, false)
	if err != nil {
		return err
	}
	defer p.Close()
	file, err := readRecipients(p.Recipients)
	if err != nil {
		return err
	}
	want := file.Keys
	if len(want) == 0 {
		return hint(fmt.Errorf("%s lists no recipient", display(p.Recipients)),
			"write the public keys of everyone who may decrypt into it, one per line")
	}
	keys, err := cli.loadKeys(ui)
	if err != nil {
		return err
	}
	keyPaths, _ := cli.identityPaths()
	h, err := header(p, project.Union(want, ownRecipients(keys, keyPaths)), "rekey", "rekeying it")
	if err != nil {
		return err
	}
	change := project.ChangeTo(p.Exists, h, want, want)
	switch {
	case change.Settled(want):
		ui.notef("%s is encrypted to exactly the keys in %s already", display(p.Secrets), project.RecipientsFile)
		return nil
	case !change.Any():
		// As many age1 keys as X25519 stanzas: they may still be other
		// keys (a line replaced by hand), which only encrypting again
		// to them settles.
		ui.notef("which age1 keys %s is encrypted to cannot be read from it: encrypting it again to those in %s",
			display(p.Secrets), project.RecipientsFile)
	}
	if err := ui.consent(change, display(p.Secrets), true, false); err != nil {
		return err
	}
	plain, err := cli.decryptFile(ui, p.Secrets)
	if err != nil {
		return err
	}
	defer clear(plain)
	return save(ui, p, plain, want, nil)
}

type secretsRecipientsCmd struct{}

// Run lists the recipients file, marking the user's own keys.
func (secretsRecipientsCmd) Run(cli *CLI, ui *ui) error {
	p, err := cli.openProject(ui, false)
	if err != nil {
		return err
	}
	defer p.Close()
	file, err := readRecipients(p.Recipients)
	if err != nil {
		return err
	}
	var own []crypto.Recipient
	if keys, err := cli.loadKeys(ui); err == nil {
		keyPaths, _ := cli.identityPaths()
		own = ownRecipients(keys, keyPaths)
	}
	if !file.Exists {
		err := fmt.Errorf("there is no %s next to %s", project.RecipientsFile, display(p.Secrets))
		byHand := "write it by hand: one public key per line (SSH public keys, and age1 keys as age-keygen -y prints them)"
		h, herr := header(p, own, "edit", "saving it")
		switch {
		case herr != nil || h.X25519 > 0:
			// secrets edit would refuse to write one.
			return hint(err, byHand)
		case h.UnknownSSH > 0:
			return hint(err, fmt.Sprintf("rigup-exec secrets edit -R KEY.pub writes one when -R names each of the %s it is encrypted to that are not yours, or %s",
				plural(h.UnknownSSH, "other SSH key"), byHand))
		}
		return hint(err, "rigup-exec secrets edit writes one, or "+byHand)
	}
	// Which listed SSH keys the file is not encrypted to yet: a teammate
	// just added, whom a rekey lets in. (Which age1 keys it is encrypted
	// to cannot be told.)
	var pending []crypto.Recipient
	var h crypto.Header
	if f, err := openInput(p.Secrets); err == nil {
		h, err = crypto.ReadHeader(f, project.Union(file.Keys, own))
		f.Close()
		if err == nil {
			pending = project.ChangeTo(true, h, file.Keys, file.Keys).Added
		}
	}
	for _, r := range file.Keys {
		mark := ""
		if project.Has(own, r) {
			mark = " (yours)"
		}
		if r.X25519 == nil && project.Has(pending, r) {
			mark += " (cannot decrypt yet)"
		}
		fmt.Fprintf(ui.stdout, "%s%s\n", describeRecipient(r), mark)
	}
	if msg := disagreement(h, file.Keys); msg != "" {
		ui.warnf("%s", msg)
		ui.hintf("%s", rekeyHint)
	}
	return nil
}
