package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"

	"rigup-exec/exec"
	"rigup-exec/tmpl"

	"golang.org/x/sys/unix"
)

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
	// What decrypting left is unreachable now: collected (FreeOSMemory
	// collects first, in full), it is erased (see forgetting), and the
	// pages go back to the system.
	debug.FreeOSMemory()
	if err != nil {
		return nil, err
	}
	file := filepath.Join(dir.Path, name)
	var selectEditor func() bool
	if interactive() {
		selectEditor = func() bool { return c.runSelectEditor(sigs) }
	}
	line := 0 // of the last syntax error, where the editor opens again
	for {
		ed, err := editorCommand(c.env.get, selectEditor, file, dir.Path)
		if err != nil {
			return nil, hint(err, "set EDITOR to your editor, e.g. EDITOR=vim")
		}
		ed.atLine(line)
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
		line = syntax.Line
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

// checkEditable refuses an edit that could only hang: no VISUAL or EDITOR
// names an editor, and without a terminal the default, vi, would wait for
// keys that never come.
func (c *CLI) checkEditable() error {
	if c.env.get("VISUAL") != "" || c.env.get("EDITOR") != "" || interactive() {
		return nil
	}
	return hint(errors.New("no editor: VISUAL and EDITOR are unset, and without a terminal vi cannot be used"),
		"run it on a terminal, or set EDITOR to a program that edits the file it is given, e.g. EDITOR='sed -i s/old/new/'")
}
