package main

import (
	"errors"
	"os"

	"rigup-exec/relay"
)

// relayCmd is what an agent's MCP configuration runs for a stdio server
// that rigup-exec keeps out of its reach: it carries the agent's messages
// to the server, which rigup-exec starts with its secrets, and back. It
// chooses a server by name; everything else is rigup-exec's.
type relayCmd struct {
	Socket string `required:"" placeholder:"PATH" help:"The socket of the rigup-exec that runs the server."`
	Name   string `arg:"" help:"The server's name, as the rig defines it."`
}

func (r *relayCmd) Run() error {
	err := relay.Dial(r.Socket, r.Name, os.Stdin, os.Stdout)
	switch {
	case errors.Is(err, relay.ErrUnknownServer):
		return hint(err, "the rig defines no MCP server of that name")
	case err != nil:
		return err
	}
	return nil
}
