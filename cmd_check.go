package main

import (
	"fmt"

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
	if path, err := cli.secretsPath(); err == nil {
		keys, _ := cli.loadKeys(ui)
		cli.warnDisagreement(ui, path, keys)
	}
	return nil
}
