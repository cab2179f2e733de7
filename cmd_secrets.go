package main

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"rigup-exec/crypto"
	"rigup-exec/exec"
	"rigup-exec/project"
	"rigup-exec/tmpl"
)

type secretsCmd struct {
	Edit       secretsEditCmd       `cmd:"" help:"Edit the secrets in $$EDITOR, through a private directory in RAM, and encrypt them again to their recipients."`
	Rekey      secretsRekeyCmd      `cmd:"" help:"Encrypt the secrets file again to exactly the keys in rigup.Secrets.recipients."`
	Recipients secretsRecipientsCmd `cmd:"" help:"List the keys in rigup.Secrets.recipients, and which are yours."`
}

// newSecrets is what a new secrets file starts as.
const newSecrets = `# Secrets of this project, as TOML. This file only ever exists in RAM: it is
# encrypted with age to the SSH keys in rigup.Secrets.recipients. Templates
# refer to a value by its path, as {{ secrets.mcp.context7_api_key }}.
#
# [mcp]
# context7_api_key = "ctx7sk-..."
#
# [database]
# url = "postgres://app:password@localhost:5432/app"
# [database.replica]
# url = "postgres://app:password@replica:5432/app"
`

// openProject locates and locks the secrets file. With create, a missing
// one is to be made at --secrets or RIGUP_SECRETS_FILE, else in
// $RIG_PROJECT_ROOT, else in the working directory.
func (c *CLI) openProject(create bool) (*project.Project, error) {
	path, err := c.secretsPath()
	if err != nil {
		if !create {
			return nil, err
		}
		path = filepath.Join(c.env.wd, project.SecretsFile)
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

// readRecipients reads the recipients file at path, if there is one.
func readRecipients(path string) (project.Recipients, error) {
	data, err := readInput(path)
	if errors.Is(err, os.ErrNotExist) {
		return project.Recipients{}, nil
	}
	if err != nil {
		return project.Recipients{}, err
	}
	if err := checkTrusted("recipients file", path); err != nil {
		return project.Recipients{}, err
	}
	file, err := project.ParseRecipients(data)
	if err != nil {
		return file, hint(fmt.Errorf("%s: %w", display(path), err),
			"one public key per line: ssh-ed25519 or ssh-rsa (as in ~/.ssh/id_ed25519.pub), or an age1 key alone (as age-keygen -y prints it); # for comments")
	}
	return file, nil
}

// ownRecipients returns the public halves of the user's keys, with the
// comment of their .pub file when there is one.
func ownRecipients(keys []*crypto.Key, paths []string) []crypto.Recipient {
	var rs []crypto.Recipient
	for i, k := range keys {
		if data, err := readInput(paths[i] + ".pub"); err == nil {
			if r, err := crypto.ParseRecipient(string(data)); err == nil {
				rs = append(rs, r)
				continue
			}
		}
		if pub := k.PublicKey(); pub != nil {
			rs = append(rs, crypto.Recipient{Key: pub})
		}
	}
	return rs
}

// header reads what the header of the secrets file says about its
// recipients, and recognises the SSH keys among candidates. It fails when
// the file is encrypted to what rigup-exec cannot encrypt to, a passphrase
// or a key of an age plugin: the command (verb; doing, as the error says
// it) would lock it out.
func header(p *project.Project, candidates []crypto.Recipient, verb, doing string) (crypto.Header, error) {
	f, err := openInput(p.Secrets)
	if err != nil {
		return crypto.Header{}, err
	}
	defer f.Close()
	h, err := crypto.ReadHeader(f, candidates)
	if err != nil {
		return h, fmt.Errorf("%s: %w", display(p.Secrets), err)
	}
	var u *project.UnsupportedError
	if err := project.CheckHeader(h); !errors.As(err, &u) {
		return h, nil
	}
	if u.Scrypt {
		return h, hint(fmt.Errorf("%s is encrypted with a passphrase (age -p), not to keys: rigup-exec cannot %s it", display(p.Secrets), verb),
			"decrypt it with age -d, and encrypt the plaintext again with age -R "+project.RecipientsFile)
	}
	var types []string
	for _, t := range u.Others {
		if len(t) > 32 { // a stanza type is printable ASCII, of any length
			t = t[:32] + "..."
		}
		types = append(types, t)
	}
	kind := "a type"
	if len(types) > 1 {
		kind = "types"
	}
	return h, hint(fmt.Errorf("%s is also encrypted to %s of %s rigup-exec cannot encrypt to (%s): %s would lock %s out",
		display(p.Secrets), plural(u.Keys, "key"), kind, strings.Join(types, ", "), doing, itOrThem(u.Keys)),
		"rigup-exec encrypts only to ssh-ed25519, ssh-rsa and age1 (X25519) keys: change this file with age itself")
}

func itOrThem(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

// unnamedError says which keys of a file made with age -R alone cannot be
// named, and what to do.
func unnamedError(p *project.Project, e *project.UnnamedError) error {
	var what []string
	if e.UnknownSSH > 0 {
		what = append(what, plural(e.UnknownSSH, "other SSH key"))
	}
	if e.X25519 > 0 {
		what = append(what, plural(e.X25519, "age1 (X25519) key"))
	}
	return hint(fmt.Errorf("%s is also encrypted to %s that no %s names: saving it would lock %s out",
		display(p.Secrets), strings.Join(what, " and "), project.RecipientsFile, itOrThem(e.UnknownSSH+e.X25519)),
		"write every recipient into "+project.RecipientsFile+", one per line (SSH public keys, and age1 keys as age-keygen -y prints them), then run rigup-exec secrets rekey")
}

func (u *ui) showChange(d project.Change) {
	for _, r := range d.Added {
		u.notef("recipient added: %s", describeRecipient(r))
	}
	if n := d.X25519Added(); n > 0 {
		u.notef("recipient added: %s: %s lists %d, the file is encrypted to %d (%s cannot be told)",
			plural(n, "age1 (X25519) key"), project.RecipientsFile, d.X25519Listed, d.X25519File, whichOnes(n))
	}
	for _, r := range d.Removed {
		u.notef("recipient removed: %s", describeRecipient(r))
	}
	if d.Unknown > 0 {
		u.notef("recipient removed: %s the file is encrypted to, named nowhere (no longer in %s?)",
			plural(d.Unknown, "SSH key"), project.RecipientsFile)
	}
	switch n := d.X25519Removed(); {
	case n > 0 && d.X25519Listed == 0:
		u.notef("recipient removed: %s the file is encrypted to, named nowhere (no longer in %s?)",
			plural(n, "age1 (X25519) key"), project.RecipientsFile)
	case n > 0:
		u.notef("recipient removed: %s: the file is encrypted to %d, %s lists %d (%s cannot be told)",
			plural(n, "age1 (X25519) key"), d.X25519File, project.RecipientsFile, d.X25519Listed, whichOnes(n))
	}
}

func whichOnes(n int) string {
	if n == 1 {
		return "which one"
	}
	return "which ones"
}

func describeRecipient(r crypto.Recipient) string {
	s := r.ID() + " " + r.Type()
	if r.Comment != "" {
		s += " " + r.Comment
	}
	return s
}

// consent asks, on a terminal, whether the change of recipients is wanted;
// without a terminal, given says whether the command line already asked
// for it: rekey asks for any change, -R (byR) for adding the keys it names
// and nothing else.
func (u *ui) consent(d project.Change, name string, given, byR bool) error {
	if !d.Any() {
		return nil
	}
	u.showChange(d)
	ok, asked, err := u.confirm(fmt.Sprintf("Encrypt %s to these recipients? [y/N] ", name), false)
	if err != nil {
		return err
	}
	if asked && !ok || !asked && !given {
		hints := []string{"run rigup-exec secrets rekey to encrypt to the keys in " + project.RecipientsFile}
		if d.Removes() {
			hints = append(hints, "to keep a key that would be removed, list it in "+project.RecipientsFile+" first")
		}
		if byR && !asked {
			hints = append(hints, "-R consents to adding the keys it names, and to nothing else: add them after the rekey")
		}
		return hint(fmt.Errorf("the recipients of %s would change: nothing saved", name), hints...)
	}
	return nil
}

// save encrypts plaintext to rs and replaces the secrets file with it,
// and the recipients file with recipientsText when that is not nil.
func save(ui *ui, p *project.Project, plaintext []byte, rs []crypto.Recipient, recipientsText []byte) error {
	if err := p.Save(plaintext, rs, recipientsText); err != nil {
		var we *project.WriteError
		if errors.As(err, &we) {
			return fmt.Errorf("writing %s: %w", display(we.Path), we.Err)
		}
		return err
	}
	ui.notef("%s saved, encrypted to %s", display(p.Secrets), plural(len(rs), "recipient"))
	return nil
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
	p, err := cli.openProject(true)
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
	if sha256.Sum256(edited) == before && !change.Any() {
		if p.Exists {
			ui.notef("no changes, %s is left as it was", display(p.Secrets))
		} else {
			ui.notef("no changes, %s is not created", display(p.Secrets))
		}
		return nil
	}
	forgetting(func() {
		cli.warnUnresolved(ui, edited)
		err = save(ui, p, edited, want, file.With(want))
	})
	return err
}

// parseRecipientArgs parses -R values: public key lines or .pub files.
func parseRecipientArgs(args []string) ([]crypto.Recipient, error) {
	var rs []crypto.Recipient
	for _, a := range args {
		line := a
		isKey := strings.HasPrefix(a, "ssh-") || strings.HasPrefix(a, "age1")
		if !isKey && (isFile(a) || strings.HasSuffix(a, ".pub") || strings.Contains(a, "/")) {
			data, err := readInput(a)
			if err != nil {
				var pe *fs.PathError
				if errors.As(err, &pe) {
					err = pe.Err // the path is already in the message
				}
				return nil, hint(fmt.Errorf("-R %s: %w", a, err), recipientArgHint)
			}
			line = string(data)
		}
		r, err := crypto.ParseRecipient(line)
		if err != nil {
			return nil, hint(fmt.Errorf("-R %s: %w", shortArg(a), err), recipientArgHint)
		}
		rs = append(rs, project.Minus([]crypto.Recipient{r}, rs)...)
	}
	return rs, nil
}

const recipientArgHint = "give an SSH public key (ssh-ed25519 or ssh-rsa) or its .pub file, or an age1 key as age-keygen -y prints it"

// shortArg shortens a key line for a message: its type and a few
// characters are enough to recognise it. A private key is not shown.
func shortArg(a string) string {
	if strings.Contains(a, "PRIVATE KEY") || strings.Contains(a, "AGE-SECRET-KEY-") || strings.Contains(a, "AGE-PLUGIN-") {
		return "(a private key, not shown)"
	}
	if len(a) > 24 {
		return a[:24] + "..."
	}
	return a
}

// editInRAM writes plaintext into a file in a new private directory in RAM,
// clears it (the file is its one copy while the editor runs),
// runs the editor on it until it holds valid TOML (asking, on a terminal,
// whether to re-open it after a mistake), and returns what it holds. The
// directory is wiped before it returns.
//
// The directory holds the file alone in edit/, so that whatever an editor
// writes beside it (a lock, a backup) stays in RAM, and the directories an
// editor gets for its state (editorStateDirs).
func (c *CLI) editInRAM(ui *ui, plaintext []byte) ([]byte, error) {
	sigs := exec.Watch()
	dir, err := c.createDir(ui, "secrets")
	if err != nil {
		return nil, err
	}
	defer dir.Wipe()
	// An edit is interactive: the watchdog's millisecond does not matter,
	// and the plaintext goes even if rigup-exec is killed by SIGKILL.
	if err := startJanitor(dir.Path); err != nil {
		return nil, fmt.Errorf("starting the janitor: %w", err)
	}
	if err := dir.Mkdir("edit"); err != nil {
		return nil, err
	}
	for _, d := range editorStateDirs {
		if err := dir.Mkdir(d.name); err != nil {
			return nil, err
		}
	}
	const name = "edit/rigup.secrets.toml" // the extension makes editors highlight it
	// Copying into the file passes the plaintext through vector
	// registers, which a signal's frame would save to the signal stack:
	// in secret mode the registers are erased and that stack too.
	forgetting(func() {
		err = dir.WriteFile(name, plaintext, false)
		clear(plaintext)
	})
	// What decrypting left is unreachable now: collected, it is erased
	// (see forgetting), and the pages go back to the system.
	runtime.GC()
	debug.FreeOSMemory()
	if err != nil {
		return nil, err
	}
	file := filepath.Join(dir.Path, name)
	var selectEditor func() bool
	if interactive() {
		selectEditor = func() bool { return c.runSelectEditor(sigs) }
	}
	for {
		ed, err := editorCommand(c.env.get, selectEditor, file, dir.Path)
		if err != nil {
			return nil, hint(err, "set EDITOR to your editor, e.g. EDITOR=vim")
		}
		selectEditor = nil // asked once at most
		if err := c.runEditor(ed, sigs); err != nil {
			return nil, err
		}
		// Read back and parsed in secret mode, so that the decoder's
		// copies of an invalid text are erased before the editor opens
		// again.
		var edited []byte
		var readErr error
		forgetting(func() {
			if edited, readErr = readInput(file); readErr == nil {
				_, err = tmpl.ParseSecrets(edited)
			}
		})
		if readErr != nil {
			return nil, fmt.Errorf("reading back the edited secrets: %w", readErr)
		}
		if err == nil {
			return edited, nil
		}
		clear(edited)
		runtime.GC()
		var syntax *tmpl.SyntaxError
		if !errors.As(err, &syntax) {
			return nil, err
		}
		if !interactive() {
			return nil, hint(fmt.Errorf("the edited secrets are %s: nothing saved", syntax),
				"edit them on a terminal, where the editor is opened again to fix them")
		}
		ui.errorf("the edited secrets are %s", syntax)
		again, _, err := ui.confirm("Re-open the editor to fix them? [Y/n] ", true)
		if err != nil {
			return nil, err
		}
		if !again {
			return nil, errors.New("not valid TOML: nothing saved")
		}
	}
}

// runEditor runs the editor, supervised as the run path supervises its
// command, and fails unless it exits 0. An editor that exits non-zero or is
// killed by a signal is an error of secrets edit (125) that says how it
// ended, as sops and git report it, not a status passed on: the editor's
// status is not the edit's. Only SIGINT, Ctrl-C, ends with 130, as Ctrl-C
// at a question does.
func (c *CLI) runEditor(ed *editor, sigs *exec.Signals) error {
	path, err := exec.LookPath(ed.argv[0], c.env.get("PATH"))
	if err != nil {
		return hint(fmt.Errorf("editor: %w", err), "set VISUAL or EDITOR to your editor")
	}
	env := c.env.vars
	for _, kv := range ed.env {
		k, v, _ := strings.Cut(kv, "=")
		env = setenv(env, k, v)
	}
	st, err := exec.Run(&exec.Cmd{Path: path, Args: ed.argv, Env: env,
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}, sigs)
	switch {
	case err != nil:
		return fmt.Errorf("editor: %w", err)
	case st.Signal == syscall.SIGINT:
		return codedError{code: 130, err: errors.New("the editor was interrupted (SIGINT): nothing saved")}
	case st.Signal != 0:
		return fmt.Errorf("the editor was killed by %s: nothing saved", unix.SignalName(st.Signal))
	case st.Code != 0:
		return fmt.Errorf("the editor exited with status %d: nothing saved", st.Code)
	}
	return nil
}

// runSelectEditor runs Debian's select-editor, which asks on the terminal
// which editor sensible-editor should use, as sensible-editor itself would.
func (c *CLI) runSelectEditor(sigs *exec.Signals) bool {
	path, err := exec.LookPath("select-editor", c.env.get("PATH"))
	if err != nil {
		return false
	}
	st, err := exec.Run(&exec.Cmd{Path: path, Args: []string{"select-editor"}, Env: c.env.vars,
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}, sigs)
	return err == nil && st.Signal == 0 && st.Code == 0
}

// warnUnresolved warns about placeholders of the templates, if a template
// root is known, that the edited secrets do not resolve.
func (c *CLI) warnUnresolved(ui *ui, plaintext []byte) {
	if c.Templates == "" {
		return
	}
	tree, err := c.loadTree()
	if err != nil {
		ui.warnf("templates not checked: %v", err)
		return
	}
	secrets, err := tmpl.ParseSecrets(plaintext)
	if err != nil {
		return
	}
	res, err := tree.Render(secrets)
	var problems tmpl.Problems
	if errors.As(err, &problems) {
		for _, p := range problems {
			ui.warnf("%s", p)
		}
		return
	}
	if res != nil {
		res.Wipe()
	}
}

type secretsRekeyCmd struct{}

// Run encrypts the secrets again to exactly the recipients file's keys.
func (secretsRekeyCmd) Run(cli *CLI, ui *ui) error {
	p, err := cli.openProject(false)
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
	p, err := cli.openProject(false)
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
		if h, herr := header(p, own, "edit", "saving it"); herr != nil || project.Unnamed(h) != nil {
			// secrets edit would refuse to write one.
			return hint(err, byHand)
		}
		return hint(err, "rigup-exec secrets edit writes one, or "+byHand)
	}
	for _, r := range file.Keys {
		mark := ""
		if project.Has(own, r) {
			mark = " (yours)"
		}
		fmt.Fprintf(ui.stdout, "%s%s\n", describeRecipient(r), mark)
	}
	return nil
}
