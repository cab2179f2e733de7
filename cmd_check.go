package main

import (
	"fmt"

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
	res.Wipe()
	fmt.Fprintf(ui.stdout, "%s, %s, %s: all resolve\n",
		plural(len(tree.Templates), "template"), plural(len(tree.Plain), "plain file"), plural(res.Placeholders, "placeholder"))
	for _, p := range res.Unused(secrets) {
		fmt.Fprintf(ui.stdout, "note: %s is not used by any template\n", p)
	}
	return nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
