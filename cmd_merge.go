package main

import (
	"errors"

	"rigup-exec/project"
)

type secretsMergeCmd struct {
	Ancestor string `arg:"" optional:"" placeholder:"ANCESTOR" help:"The common ancestor's version (git's %O; an empty file when there is none)."`
	Current  string `arg:"" optional:"" placeholder:"CURRENT" help:"Ours (git's %A), which is replaced with the merge when it succeeds, and left as it is otherwise."`
	Other    string `arg:"" optional:"" placeholder:"OTHER" help:"Theirs (git's %B)."`
	Path     string `arg:"" optional:"" placeholder:"PATH" help:"Where the file is in the repository (git's %P), to find rigup.secrets.recipients beside it."`

	Ours   bool `xor:"side" help:"Without files: settle every key in conflict with ours' value (or its deletion)."`
	Theirs bool `xor:"side" help:"Without files: settle every key in conflict with theirs' value (or its deletion)."`
}

// Help is kong's longer help for secrets merge.
func (secretsMergeCmd) Help() string {
	return `As git's merge driver (set up once per clone):

  git config merge.rigup-secrets.driver 'rigup-exec secrets merge %O %A %B %P'

with "rigup.secrets.toml.age merge=rigup-secrets" in .gitattributes. The
three versions are decrypted in memory and merged key by key; a key changed
differently on both sides is a conflict that names the key, and ours is left
as it was. Without files, in a repository where git left the secrets file in
conflict, it merges the versions git's index holds, to the keys of the
rigup.secrets.recipients git merged, and writes the secrets file.`
}

// Run merges three versions of the secrets key by key: those git names,
// or those of the index after a conflict.
func (m *secretsMergeCmd) Run(cli *CLI, ui *ui) error {
	prefer := project.PreferNone
	switch {
	case m.Ours:
		prefer = project.PreferOurs
	case m.Theirs:
		prefer = project.PreferTheirs
	}
	switch {
	case m.Ancestor == "":
		return cli.finishMerge(ui, prefer)
	case m.Other == "":
		return hint(errors.New("secrets merge takes three files, the ancestor's, ours and theirs, or none"),
			"as git's merge driver: rigup-exec secrets merge %O %A %B %P")
	case prefer != project.PreferNone:
		return hint(errors.New("--ours and --theirs settle a conflict git left: they take no files"),
			"run rigup-exec secrets merge --ours (or --theirs) once git has stopped")
	}
	return cli.mergeDriver(ui, m.Ancestor, m.Current, m.Other, m.Path)
}
