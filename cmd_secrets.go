package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/term"

	"rigup-exec/crypto"
	"rigup-exec/exec"
	"rigup-exec/tmpl"
)

type secretsCmd struct {
	Edit       secretsEditCmd       `cmd:"" help:"Edit the secrets in $$EDITOR, through a private directory in RAM, and encrypt them again to their recipients."`
	Rekey      secretsRekeyCmd      `cmd:"" help:"Encrypt the secrets file again to exactly the keys in rigup.secrets.recipients."`
	Recipients secretsRecipientsCmd `cmd:"" help:"List the keys in rigup.secrets.recipients, and which are yours."`
}

// newSecrets is what a new secrets file starts as.
const newSecrets = `# Secrets of this project, as TOML. This file only ever exists in RAM: it is
# encrypted with age to the SSH keys in rigup.secrets.recipients. Templates
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

// project is a secrets file, the recipients file next to it, and the lock
// that serialises changes to them.
type project struct {
	secrets, recipients string // paths
	exists              bool   // the secrets file exists
	lock                *os.File
}

// openProject locates and locks the secrets file. With create, a missing
// one is to be made at --secrets or RIGUP_SECRETS_FILE, else in
// $RIG_PROJECT_ROOT, else in the working directory.
func (c *CLI) openProject(create bool) (*project, error) {
	path, err := c.secretsPath()
	if err != nil {
		if !create {
			return nil, err
		}
		wd, err := os.Getwd()
		if err != nil {
			return nil, err
		}
		path = filepath.Join(wd, secretsFileName)
	}
	if path, err = filepath.Abs(path); err != nil {
		return nil, err
	}
	p := &project{secrets: path, recipients: filepath.Join(filepath.Dir(path), recipientsFileName)}
	p.exists = fileExists(path)
	if !p.exists && !create {
		return nil, hint(fmt.Errorf("secrets file %s does not exist", display(path)), "create it with rigup-exec secrets edit")
	}
	if p.lock, err = lockDir(filepath.Dir(path), display(path)); err != nil {
		return nil, err
	}
	removeLeftovers(p.secrets)
	removeLeftovers(p.recipients)
	return p, nil
}

func (p *project) close() { p.lock.Close() }

// recipientsFile is the recipients file as read: its keys, and its text.
type recipientsFile struct {
	keys   []crypto.Recipient
	text   []byte
	exists bool
}

// readRecipients reads the recipients file, if there is one.
func (p *project) readRecipients() (recipientsFile, error) {
	data, err := readInput(p.recipients)
	if errors.Is(err, os.ErrNotExist) {
		return recipientsFile{}, nil
	}
	if err != nil {
		return recipientsFile{}, err
	}
	rs, err := crypto.ParseRecipients(data)
	if err != nil {
		return recipientsFile{}, hint(fmt.Errorf("%s: %w", display(p.recipients), err),
			"one SSH public key per line (ssh-ed25519 or ssh-rsa, as in ~/.ssh/id_ed25519.pub), # for comments")
	}
	return recipientsFile{keys: rs, text: data, exists: true}, nil
}

// with returns the text of the recipients file once the keys of rs it
// does not list are added, or nil when it lists them all. A new file has
// a header that says what it is; an existing one keeps its lines.
func (f recipientsFile) with(rs []crypto.Recipient) []byte {
	switch added := minus(rs, f.keys); {
	case !f.exists:
		return crypto.FormatRecipients(rs)
	case len(added) > 0:
		return crypto.AppendRecipients(f.text, added)
	}
	return nil
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

// recipientChange is how a list of recipients differs from the ones a
// secrets file is encrypted to.
type recipientChange struct {
	added, removed []crypto.Recipient
	unknown        int // recipients of the file not named anywhere, to be dropped
}

func (d recipientChange) any() bool { return len(d.added)+len(d.removed)+d.unknown > 0 }

// removes reports whether the change would lock a key out.
func (d recipientChange) removes() bool { return len(d.removed)+d.unknown > 0 }

// addsOnly reports whether the change only adds keys, and only keys of
// named.
func (d recipientChange) addsOnly(named []crypto.Recipient) bool {
	return !d.removes() && len(minus(d.added, named)) == 0
}

// changeTo compares the recipients the secrets file is encrypted to (those
// of known are recognised in its header) with want.
func (p *project) changeTo(want, known []crypto.Recipient) (recipientChange, error) {
	if !p.exists {
		return recipientChange{added: want}, nil
	}
	f, err := openInput(p.secrets)
	if err != nil {
		return recipientChange{}, err
	}
	defer f.Close()
	matched, unknown, _, err := crypto.HeaderRecipients(f, append(append([]crypto.Recipient{}, want...), known...))
	if err != nil {
		return recipientChange{}, fmt.Errorf("%s: %w", display(p.secrets), err)
	}
	d := recipientChange{added: minus(want, matched), removed: minus(matched, want), unknown: unknown}
	return d, nil
}

// namedRecipients returns the recipients of the secrets file among known,
// and fails if it has others, which no recipients file names: writing it
// would lock them out.
func (p *project) namedRecipients(known []crypto.Recipient) ([]crypto.Recipient, error) {
	f, err := openInput(p.secrets)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	matched, unknown, _, err := crypto.HeaderRecipients(f, known)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", display(p.secrets), err)
	}
	if unknown > 0 {
		return nil, hint(fmt.Errorf("%s is also encrypted to %s that no %s names: saving it would lock them out",
			display(p.secrets), plural(unknown, "other key"), recipientsFileName),
			"write everyone's public key into "+recipientsFileName+" (one per line, the format age -R reads), then run rigup-exec secrets rekey")
	}
	return matched, nil
}

// minus returns the recipients of a that are not in b.
func minus(a, b []crypto.Recipient) []crypto.Recipient {
	var out []crypto.Recipient
	for _, r := range a {
		found := false
		for _, s := range b {
			found = found || r.Fingerprint() == s.Fingerprint()
		}
		if !found {
			out = append(out, r)
		}
	}
	return out
}

func (u *ui) showChange(d recipientChange) {
	for _, r := range d.added {
		u.notef("recipient added: %s", describeRecipient(r))
	}
	for _, r := range d.removed {
		u.notef("recipient removed: %s", describeRecipient(r))
	}
	if d.unknown > 0 {
		u.notef("recipient removed: %s the file is encrypted to, named nowhere (no longer in %s?)",
			plural(d.unknown, "SSH key"), recipientsFileName)
	}
}

func describeRecipient(r crypto.Recipient) string {
	s := r.Fingerprint() + " " + r.Key.Type()
	if r.Comment != "" {
		s += " " + r.Comment
	}
	return s
}

// consent asks, on a terminal, whether the change of recipients is wanted;
// without a terminal, given says whether the command line already asked
// for it: rekey asks for any change, -R (byR) for adding the keys it names
// and nothing else.
func (u *ui) consent(d recipientChange, name string, given, byR bool) error {
	if !d.any() {
		return nil
	}
	u.showChange(d)
	ok, asked, err := u.confirm(fmt.Sprintf("Encrypt %s to these recipients? [y/N] ", name), false)
	if err != nil {
		return err
	}
	if asked && !ok || !asked && !given {
		hints := []string{"run rigup-exec secrets rekey to encrypt to the keys in " + recipientsFileName}
		if d.removes() {
			hints = append(hints, "to keep a key that would be removed, list it in "+recipientsFileName+" first")
		}
		if byR && !asked {
			hints = append(hints, "-R consents to adding the keys it names, and to nothing else: add them after the rekey")
		}
		return hint(fmt.Errorf("the recipients of %s would change: nothing saved", name), hints...)
	}
	return nil
}

// interactive reports whether the user is at a terminal to answer
// questions: standard input is one. (A scripted $EDITOR has none.)
func interactive() bool { return term.IsTerminal(int(os.Stdin.Fd())) }

// confirm asks question on the terminal and returns the answer; asked is
// false when there is no terminal to ask on. Ctrl-C is errInterrupted.
func (u *ui) confirm(question string, def bool) (yes, asked bool, err error) {
	if !interactive() {
		return false, false, nil
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return false, false, nil
	}
	defer tty.Close()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	fmt.Fprint(tty, question)
	answer := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(tty).ReadString('\n')
		answer <- strings.ToLower(strings.TrimSpace(line))
	}()
	select {
	case a := <-answer:
		switch a {
		case "":
			return def, true, nil
		case "y", "yes":
			return true, true, nil
		}
		return false, true, nil
	case <-sigs:
		fmt.Fprintln(tty)
		return false, true, errInterrupted
	}
}

// save encrypts plaintext to rs and replaces the secrets file with it,
// writing the recipients file first when there is a new text for it: a
// crash between the two leaves a recipients file that rekey then applies.
func (p *project) save(ui *ui, plaintext []byte, rs []crypto.Recipient, recipientsText []byte) error {
	if recipientsText != nil {
		if err := writeAtomic(p.recipients, recipientsText, 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", display(p.recipients), err)
		}
	}
	var out bytes.Buffer
	if err := crypto.EncryptTo(&out, plaintext, rs); err != nil {
		return err
	}
	if err := writeAtomic(p.secrets, out.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", display(p.secrets), err)
	}
	ui.notef("%s saved, encrypted to %s", display(p.secrets), plural(len(rs), "recipient"))
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
	defer p.close()
	file, err := p.readRecipients()
	if err != nil {
		return err
	}
	listed, hasFile := file.keys, file.exists
	keys, err := cli.loadKeys(ui)
	if err != nil {
		return err
	}
	keyPaths, _ := cli.identityPaths()
	own := ownRecipients(keys, keyPaths)
	want := listed
	switch {
	case !hasFile && !p.exists:
		if len(own) == 0 && len(extra) == 0 {
			return hint(errors.New("no public key of yours to encrypt a new secrets file to"),
				"pass -R with your public key (~/.ssh/id_ed25519.pub)")
		}
		if len(own) > 0 {
			want = own[:1] // the first identity: ~/.ssh/id_ed25519, else id_rsa
		}
	case !hasFile:
		// A file made with age -R alone: keep the recipients that can be
		// named, and refuse to drop those that cannot.
		if want, err = p.namedRecipients(own); err != nil {
			return err
		}
	}
	want = append(want, minus(extra, want)...)
	if len(want) == 0 {
		return hint(fmt.Errorf("%s names nobody", display(p.recipients)), "add public keys to it, or pass -R KEY")
	}
	change, err := p.changeTo(want, own)
	if err != nil {
		return err
	}
	if p.exists {
		if err := ui.consent(change, display(p.secrets), change.addsOnly(extra), len(extra) > 0); err != nil {
			return err
		}
	} else {
		ui.showChange(change)
	}

	var old []byte
	if p.exists {
		if old, err = cli.decryptFile(ui, p.secrets); err != nil {
			return err
		}
	} else {
		old = []byte(newSecrets)
	}
	defer clear(old)
	edited, err := cli.editInRAM(ui, old)
	defer clear(edited)
	if err != nil {
		return err
	}
	if bytes.Equal(edited, old) && !change.any() {
		if p.exists {
			ui.notef("no changes, %s is left as it was", display(p.secrets))
		} else {
			ui.notef("no changes, %s is not created", display(p.secrets))
		}
		return nil
	}
	cli.warnUnresolved(ui, edited)
	return p.save(ui, edited, want, file.with(want))
}

// parseRecipientArgs parses -R values: public key lines or .pub files.
func parseRecipientArgs(args []string) ([]crypto.Recipient, error) {
	var rs []crypto.Recipient
	for _, a := range args {
		line := a
		if !strings.HasPrefix(a, "ssh-") && (fileExists(a) || strings.HasSuffix(a, ".pub") || strings.Contains(a, "/")) {
			data, err := readInput(a)
			if err != nil {
				var pe *fs.PathError
				if errors.As(err, &pe) {
					err = pe.Err // the path is already in the message
				}
				return nil, hint(fmt.Errorf("-R %s: %w", a, err), "give an ssh-ed25519 or ssh-rsa public key, or its .pub file")
			}
			line = string(data)
		}
		r, err := crypto.ParseRecipient(line)
		if err != nil {
			return nil, hint(fmt.Errorf("-R %s: %w", shortArg(a), err), "give an ssh-ed25519 or ssh-rsa public key, or its .pub file")
		}
		rs = append(rs, minus([]crypto.Recipient{r}, rs)...)
	}
	return rs, nil
}

// shortArg shortens a key line for a message: its type and a few
// characters are enough to recognise it.
func shortArg(a string) string {
	if len(a) > 24 {
		return a[:24] + "..."
	}
	return a
}

// editInRAM writes plaintext into a file in a new private directory in RAM,
// runs the editor on it until it holds valid TOML (asking, on a terminal,
// whether to re-open it after a mistake), and returns what it holds. The
// directory is wiped before it returns.
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
	const name = "rigup.secrets.toml" // the extension makes editors highlight it
	if err := dir.WriteFile(name, plaintext, false); err != nil {
		return nil, err
	}
	file := filepath.Join(dir.Path, name)
	for {
		argv, err := editorCommand(os.Getenv, file)
		if err != nil {
			return nil, hint(err, "set EDITOR to your editor, e.g. EDITOR=vim")
		}
		if err := runEditor(argv, sigs); err != nil {
			return nil, err
		}
		edited, err := readInput(file)
		if err != nil {
			return nil, fmt.Errorf("reading back the edited secrets: %w", err)
		}
		_, err = tmpl.ParseSecrets(edited)
		if err == nil {
			return edited, nil
		}
		clear(edited)
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
// command, and fails unless it exits 0.
func runEditor(argv []string, sigs *exec.Signals) error {
	path, err := exec.LookPath(argv[0], os.Getenv("PATH"))
	if err != nil {
		return hint(fmt.Errorf("editor: %w", err), "set VISUAL or EDITOR to your editor")
	}
	st, err := exec.Run(&exec.Cmd{Path: path, Args: argv, Env: os.Environ(),
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}, sigs)
	switch {
	case err != nil:
		return fmt.Errorf("editor: %w", err)
	case st.Signal != 0:
		return killedBy(st.Signal)
	case st.Code != 0:
		return fmt.Errorf("the editor exited with status %d: nothing saved", st.Code)
	}
	return nil
}

// warnUnresolved warns about placeholders of the templates, if a template
// root is known, that the edited secrets do not resolve.
func (c *CLI) warnUnresolved(ui *ui, plaintext []byte) {
	if c.Templates == "" {
		return
	}
	tree, err := tmpl.Load(expandHome(c.Templates))
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
	defer p.close()
	file, err := p.readRecipients()
	if err != nil {
		return err
	}
	want := file.keys
	if len(want) == 0 {
		return hint(fmt.Errorf("%s lists no recipient", display(p.recipients)),
			"write the public keys of everyone who may decrypt into it, one per line")
	}
	keys, err := cli.loadKeys(ui)
	if err != nil {
		return err
	}
	keyPaths, _ := cli.identityPaths()
	change, err := p.changeTo(want, ownRecipients(keys, keyPaths))
	if err != nil {
		return err
	}
	if !change.any() {
		ui.notef("%s is encrypted to exactly the keys in %s already", display(p.secrets), recipientsFileName)
		return nil
	}
	if err := ui.consent(change, display(p.secrets), true, false); err != nil {
		return err
	}
	plain, err := cli.decryptFile(ui, p.secrets)
	if err != nil {
		return err
	}
	defer clear(plain)
	return p.save(ui, plain, want, nil)
}

type secretsRecipientsCmd struct{}

// Run lists the recipients file, marking the user's own keys.
func (secretsRecipientsCmd) Run(cli *CLI, ui *ui) error {
	p, err := cli.openProject(false)
	if err != nil {
		return err
	}
	defer p.close()
	file, err := p.readRecipients()
	if err != nil {
		return err
	}
	if !file.exists {
		return hint(fmt.Errorf("there is no %s next to %s", recipientsFileName, display(p.secrets)),
			"rigup-exec secrets edit writes one, or write it by hand: one SSH public key per line")
	}
	var own []crypto.Recipient
	if keys, err := cli.loadKeys(ui); err == nil {
		keyPaths, _ := cli.identityPaths()
		own = ownRecipients(keys, keyPaths)
	}
	for _, r := range file.keys {
		mark := ""
		if len(minus([]crypto.Recipient{r}, own)) == 0 {
			mark = " (yours)"
		}
		fmt.Fprintf(ui.stdout, "%s%s\n", describeRecipient(r), mark)
	}
	return nil
}
