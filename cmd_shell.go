package main

import "github.com/alecthomas/kong"

type shellCmd struct{}

// Run runs $SHELL, else /bin/sh, through the run path, with the user's own
// config linked in beside the rig's and a banner on a terminal.
func (shellCmd) Run(cli *CLI, ui *ui, k *kong.Context) error {
	shell := cli.env.get("SHELL")
	if shell == "" {
		shell = "/bin/sh"
	}
	run := &runCmd{Command: []string{shell}, shell: true}
	return run.Run(cli, ui, k)
}
