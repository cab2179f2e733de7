package main

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

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

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

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
	if err := checkTrusted("recipients file", p.recipients); err != nil {
		return recipientsFile{}, err
	}
	rs, err := crypto.ParseRecipients(data)
	if err != nil {
		return recipientsFile{}, hint(fmt.Errorf("%s: %w", display(p.recipients), err),
			"one public key per line: ssh-ed25519 or ssh-rsa (as in ~/.ssh/id_ed25519.pub), or an age1 key alone (as age-keygen -y prints it); # for comments")
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

// header reads what the header of the secrets file says about its
// recipients, and recognises the SSH keys among candidates. It fails when
// the file is encrypted to what rigup-exec cannot encrypt to, a passphrase
// or a key of an age plugin: the command (verb; doing, as the error says
// it) would lock it out.
func (p *project) header(candidates []crypto.Recipient, verb, doing string) (crypto.Header, error) {
	f, err := openInput(p.secrets)
	if err != nil {
		return crypto.Header{}, err
	}
	defer f.Close()
	h, err := crypto.ReadHeader(f, candidates)
	switch {
	case err != nil:
		return h, fmt.Errorf("%s: %w", display(p.secrets), err)
	case h.Scrypt:
		return h, hint(fmt.Errorf("%s is encrypted with a passphrase (age -p), not to keys: rigup-exec cannot %s it", display(p.secrets), verb),
			"decrypt it with age -d, and encrypt the plaintext again with age -R "+recipientsFileName)
	case len(h.Others) > 0:
		var types []string
		for _, t := range h.Others {
			if len(t) > 32 { // a stanza type is printable ASCII, of any length
				t = t[:32] + "..."
			}
			if !slices.Contains(types, t) {
				types = append(types, t)
			}
		}
		kind := "a type"
		if len(types) > 1 {
			kind = "types"
		}
		return h, hint(fmt.Errorf("%s is also encrypted to %s of %s rigup-exec cannot encrypt to (%s): %s would lock %s out",
			display(p.secrets), plural(len(h.Others), "key"), kind, strings.Join(types, ", "), doing, itOrThem(len(h.Others))),
			"rigup-exec encrypts only to ssh-ed25519, ssh-rsa and age1 (X25519) keys: change this file with age itself")
	}
	return h, nil
}

func itOrThem(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

// unnamed fails when the secrets file, which no recipients file goes
// with, is encrypted to keys that cannot be named: SSH keys that none of
// the user's or -R keys is, and every X25519 key (its stanza does not say
// which age1 key it is for). Saving it would lock them out.
func (p *project) unnamed(h crypto.Header) error {
	var what []string
	if h.UnknownSSH > 0 {
		what = append(what, plural(h.UnknownSSH, "other SSH key"))
	}
	if h.X25519 > 0 {
		what = append(what, plural(h.X25519, "age1 (X25519) key"))
	}
	if len(what) == 0 {
		return nil
	}
	return hint(fmt.Errorf("%s is also encrypted to %s that no %s names: saving it would lock %s out",
		display(p.secrets), strings.Join(what, " and "), recipientsFileName, itOrThem(h.UnknownSSH+h.X25519)),
		"write every recipient into "+recipientsFileName+", one per line (SSH public keys, and age1 keys as age-keygen -y prints them), then run rigup-exec secrets rekey")
}

// recipientChange is how a list of recipients differs from the ones a
// secrets file is encrypted to.
type recipientChange struct {
	added, removed []crypto.Recipient // keys that can be named
	unknown        int                // SSH keys of the file named nowhere, to be dropped
	// An X25519 stanza does not say which age1 key it is for: when the
	// file has some, only their number is compared with that of the age1
	// keys listed in the recipients file.
	x25519File, x25519Listed int
}

// x25519Removed is how many of the file's X25519 keys are dropped at least.
func (d recipientChange) x25519Removed() int { return max(0, d.x25519File-d.x25519Listed) }

// x25519Added is how many of the listed age1 keys are added at least.
func (d recipientChange) x25519Added() int { return max(0, d.x25519Listed-d.x25519File) }

func (d recipientChange) any() bool {
	return len(d.added)+len(d.removed)+d.unknown+d.x25519Removed()+d.x25519Added() > 0
}

// removes reports whether the change would lock a key out.
func (d recipientChange) removes() bool { return len(d.removed)+d.unknown+d.x25519Removed() > 0 }

// addsOnly reports whether the change only adds keys, and only keys of
// named. Which listed age1 keys are added cannot be told: it is enough
// that named has as many of them.
func (d recipientChange) addsOnly(named, listed []crypto.Recipient) bool {
	return !d.removes() && len(minus(d.added, named)) == 0 &&
		d.x25519Added() <= countX25519(minus(named, minus(named, listed)))
}

func countX25519(rs []crypto.Recipient) int {
	n := 0
	for _, r := range rs {
		if r.X25519 != nil {
			n++
		}
	}
	return n
}

// changeTo compares the recipients the secrets file is encrypted to, as
// its header h says, with want; listed are the keys of the recipients
// file. The SSH keys of want and of the header's matches are named. An
// age1 key is named when the file has no X25519 stanza, or when the
// recipients file does not list it (a key of -R); otherwise only numbers
// are compared.
func (p *project) changeTo(h crypto.Header, want, listed []crypto.Recipient) recipientChange {
	if !p.exists {
		return recipientChange{added: want}
	}
	d := recipientChange{removed: minus(h.Matched, want), unknown: h.UnknownSSH, x25519File: h.X25519}
	for _, r := range minus(want, h.Matched) {
		switch {
		case r.X25519 == nil || h.X25519 == 0 || len(minus([]crypto.Recipient{r}, listed)) > 0:
			d.added = append(d.added, r)
		default:
			d.x25519Listed++
		}
	}
	return d
}

// union returns the recipients of lists, each once, in their order.
func union(lists ...[]crypto.Recipient) []crypto.Recipient {
	var out []crypto.Recipient
	for _, l := range lists {
		for _, r := range l {
			out = append(out, minus([]crypto.Recipient{r}, out)...)
		}
	}
	return out
}

// minus returns the recipients of a that are not in b.
func minus(a, b []crypto.Recipient) []crypto.Recipient {
	var out []crypto.Recipient
	for _, r := range a {
		found := false
		for _, s := range b {
			found = found || r.ID() == s.ID()
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
	if n := d.x25519Added(); n > 0 {
		u.notef("recipient added: %s: %s lists %d, the file is encrypted to %d (%s cannot be told)",
			plural(n, "age1 (X25519) key"), recipientsFileName, d.x25519Listed, d.x25519File, whichOnes(n))
	}
	for _, r := range d.removed {
		u.notef("recipient removed: %s", describeRecipient(r))
	}
	if d.unknown > 0 {
		u.notef("recipient removed: %s the file is encrypted to, named nowhere (no longer in %s?)",
			plural(d.unknown, "SSH key"), recipientsFileName)
	}
	switch n := d.x25519Removed(); {
	case n > 0 && d.x25519Listed == 0:
		u.notef("recipient removed: %s the file is encrypted to, named nowhere (no longer in %s?)",
			plural(n, "age1 (X25519) key"), recipientsFileName)
	case n > 0:
		u.notef("recipient removed: %s: the file is encrypted to %d, %s lists %d (%s cannot be told)",
			plural(n, "age1 (X25519) key"), d.x25519File, recipientsFileName, d.x25519Listed, whichOnes(n))
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
	var h crypto.Header
	if p.exists {
		if h, err = p.header(union(listed, own, extra), "edit", "saving it"); err != nil {
			return err
		}
	}
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
		// named (the user's keys, and -R keys it is encrypted to
		// already), and refuse to drop those that cannot.
		if err := p.unnamed(h); err != nil {
			return err
		}
		want = h.Matched
	}
	want = append(want, minus(extra, want)...)
	if len(want) == 0 {
		if p.exists {
			return hint(fmt.Errorf("%s names nobody", display(p.recipients)),
				"add the public keys of everyone who may decrypt "+display(p.secrets)+" to it")
		}
		return hint(fmt.Errorf("%s names nobody", display(p.recipients)), "add public keys to it, or pass -R KEY")
	}
	change := p.changeTo(h, want, listed)
	if p.exists {
		if err := ui.consent(change, display(p.secrets), change.addsOnly(extra, listed), len(extra) > 0); err != nil {
			return err
		}
	} else {
		ui.showChange(change)
	}

	// The plaintext is decrypted under runtime/secret, and only its hash is
	// kept while the editor runs: editInRAM clears it once written.
	var old []byte
	forgetting(func() {
		if p.exists {
			old, err = cli.decryptFile(ui, p.secrets)
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
	if sha256.Sum256(edited) == before && !change.any() {
		if p.exists {
			ui.notef("no changes, %s is left as it was", display(p.secrets))
		} else {
			ui.notef("no changes, %s is not created", display(p.secrets))
		}
		return nil
	}
	forgetting(func() {
		cli.warnUnresolved(ui, edited)
		err = p.save(ui, edited, want, file.with(want))
	})
	return err
}

// parseRecipientArgs parses -R values: public key lines or .pub files.
func parseRecipientArgs(args []string) ([]crypto.Recipient, error) {
	var rs []crypto.Recipient
	for _, a := range args {
		line := a
		isKey := strings.HasPrefix(a, "ssh-") || strings.HasPrefix(a, "age1")
		if !isKey && (fileExists(a) || strings.HasSuffix(a, ".pub") || strings.Contains(a, "/")) {
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
		rs = append(rs, minus([]crypto.Recipient{r}, rs)...)
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
		selectEditor = func() bool { return runSelectEditor(sigs) }
	}
	for {
		ed, err := editorCommand(os.Getenv, selectEditor, file, dir.Path)
		if err != nil {
			return nil, hint(err, "set EDITOR to your editor, e.g. EDITOR=vim")
		}
		selectEditor = nil // asked once at most
		if err := runEditor(ed, sigs); err != nil {
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
func runEditor(ed *editor, sigs *exec.Signals) error {
	path, err := exec.LookPath(ed.argv[0], os.Getenv("PATH"))
	if err != nil {
		return hint(fmt.Errorf("editor: %w", err), "set VISUAL or EDITOR to your editor")
	}
	env := os.Environ()
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
func runSelectEditor(sigs *exec.Signals) bool {
	path, err := exec.LookPath("select-editor", os.Getenv("PATH"))
	if err != nil {
		return false
	}
	st, err := exec.Run(&exec.Cmd{Path: path, Args: []string{"select-editor"}, Env: os.Environ(),
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
	h, err := p.header(union(want, ownRecipients(keys, keyPaths)), "rekey", "rekeying it")
	if err != nil {
		return err
	}
	change := p.changeTo(h, want, want)
	switch {
	case !change.any() && countX25519(want) == 0:
		ui.notef("%s is encrypted to exactly the keys in %s already", display(p.secrets), recipientsFileName)
		return nil
	case !change.any():
		// As many age1 keys as X25519 stanzas: they may still be other
		// keys (a line replaced by hand), which only encrypting again
		// to them settles.
		ui.notef("which age1 keys %s is encrypted to cannot be read from it: encrypting it again to those in %s",
			display(p.secrets), recipientsFileName)
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
	var own []crypto.Recipient
	if keys, err := cli.loadKeys(ui); err == nil {
		keyPaths, _ := cli.identityPaths()
		own = ownRecipients(keys, keyPaths)
	}
	if !file.exists {
		err := fmt.Errorf("there is no %s next to %s", recipientsFileName, display(p.secrets))
		byHand := "write it by hand: one public key per line (SSH public keys, and age1 keys as age-keygen -y prints them)"
		if h, herr := p.header(own, "edit", "saving it"); herr != nil || p.unnamed(h) != nil {
			// secrets edit would refuse to write one.
			return hint(err, byHand)
		}
		return hint(err, "rigup-exec secrets edit writes one, or "+byHand)
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
