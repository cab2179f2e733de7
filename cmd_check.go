package main

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"

	"rigup-exec/tmpl"
)

type checkCmd struct{}

// Run decrypts the secrets file (only if a template needs it), renders every
// template in memory and reports what it found. It never prints a value.
func (checkCmd) Run(cli *CLI, ui *ui) error {
	tree, err := cli.loadTree()
	if err != nil {
		return err
	}
	var secrets *tmpl.Secrets
	if tree.NeedsSecrets() {
		if secrets, err = cli.loadSecrets(ui); err != nil {
			return err
		}
	}
	res, err := tree.Render(secrets)
	if err != nil {
		return err
	}
	size := lockedSize(res)
	res.Wipe()
	fmt.Fprintf(ui.stdout, "%s, %s, %s: all resolve\n",
		plural(len(tree.Templates), "template"), plural(tree.PlainCount, "plain file"), plural(res.Placeholders, "placeholder"))
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_MEMLOCK, &lim); err == nil && lim.Cur != unix.RLIM_INFINITY && uint64(size) > uint64(lim.Cur) {
		fmt.Fprintf(ui.stdout, "note: the rendered files need %s of locked memory and RLIMIT_MEMLOCK allows %s: the rest can be swapped out\n",
			kib(uint64(size)), kib(uint64(lim.Cur)))
	}
	for _, p := range res.Unused(secrets) {
		fmt.Fprintf(ui.stdout, "note: %s is not used by any template\n", p)
	}
	if cli.Verbose {
		exposure(ui, tree)
	}
	if path, err := cli.secretsPath(); err == nil {
		keys, _ := cli.loadKeys(ui)
		cli.warnDisagreement(ui, path, keys)
	}
	return nil
}

// exposure says, for check -v, which rendered files hold values that the
// command (an agent, and every tool it runs) can read, and which are kept
// in rigup-exec's memory.
func exposure(ui *ui, tree *tmpl.Tree) {
	for _, f := range tree.Templates {
		paths := f.Placeholders()
		switch {
		case len(paths) == 0:
		case f.Private:
			fmt.Fprintf(ui.stdout, "private: %s: %s, in rigup-exec's memory only; the command can use its servers, not read them\n",
				f.Name, strings.Join(paths, ", "))
		default:
			fmt.Fprintf(ui.stdout, "readable: %s: %s, which the command and what it runs can read\n",
				f.Name, strings.Join(paths, ", "))
		}
	}
}
