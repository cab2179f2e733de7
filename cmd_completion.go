package main

import (
	"fmt"

	"github.com/alecthomas/kong"
)

type completionCmd struct {
	Shell string `arg:"" enum:"bash,zsh,fish" help:"bash, zsh or fish."`
}

// Run prints the completion script for the shell, made from the grammar.
func (c *completionCmd) Run(ui *ui, k *kong.Context) error {
	script, err := completionScript(c.Shell, grammarOf(k.Model.Node))
	if err != nil {
		return err
	}
	fmt.Fprint(ui.stdout, script)
	return nil
}
