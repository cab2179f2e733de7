package main

import (
	_ "embed"
	"io"
)

// direnvLibrary is the direnv library that defines use rig: the same file
// the Nix package installs as share/rigup-exec/direnvrc.
//
//go:embed direnv/use_rig.sh
var direnvLibrary string

// hookCmd prints shell code that plugs rigup-exec into another tool.
type hookCmd struct {
	Direnv hookDirenvCmd `cmd:"" help:"Print the direnv library that defines use rig, for an .envrc to eval."`
}

type hookDirenvCmd struct{}

// Run prints the library. It reads nothing: no secret, no key, no template.
func (hookDirenvCmd) Run(ui *ui) error {
	_, err := io.WriteString(ui.stdout, direnvLibrary)
	return err
}

func (hookDirenvCmd) Help() string {
	return `Prints a bash library for direnv: use rig [REF] puts a rig's tools on PATH and exports RIGUP_TEMPLATES and RIGUP_SECRETS_FILE, never a secret value and never XDG_CONFIG_HOME; the rig's wrapped tools render their configs per process. REF is a built rig (default .rigup/default, else ./result) or a flake reference built with nix build (.#default). The Nix package installs the same file as share/rigup-exec/direnvrc.

  # .envrc
  eval "$(rigup-exec hook direnv)"
  use rig ./result`
}
