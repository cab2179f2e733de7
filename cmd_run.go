package main

import "errors"

type runCmd struct {
	Command []string `arg:"" passthrough:"partial" name:"command" help:"Program to run, and its arguments."`
}

// argv returns the command to run. kong keeps the "--" of rigup-exec run --
// CMD; exactly one is dropped, so that run -- -- x runs "--".
func (c *runCmd) argv() []string {
	if len(c.Command) > 0 && c.Command[0] == "--" {
		return c.Command[1:]
	}
	return c.Command
}

func (c *runCmd) Run() error {
	if len(c.argv()) == 0 {
		return hint(errors.New("no command to run"), "rigup-exec [flags] -- COMMAND [ARG...]")
	}
	return errors.New("running a command is not implemented yet; rigup-exec check renders the templates")
}
