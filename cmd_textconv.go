package main

type secretsTextconvCmd struct {
	File string `arg:"" placeholder:"FILE" help:"An encrypted secrets file, as git diff passes it."`
}

// Help is kong's longer help for secrets textconv.
func (secretsTextconvCmd) Help() string {
	return `What git diff shows of the secrets file (set up once per clone):

  git config diff.rigup-secrets.textconv 'rigup-exec secrets textconv'

with "rigup.secrets.toml.age diff=rigup-secrets" in .gitattributes. Each key
is printed with its type and a tag of its value, never the value: the tag
changes when the value does, and is keyed with a secret derived from your SSH
key, so that no one else can compute it or test a guess against it.`
}

// Run prints the keys of FILE, each with a tag of its value.
func (t *secretsTextconvCmd) Run(cli *CLI, ui *ui) error {
	cli.textconv(ui, cli.abs(t.File))
	return nil
}
