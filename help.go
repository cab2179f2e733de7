package main

// The detailed help of each command, shown by rigup-exec help COMMAND and
// COMMAND --help under its one-line summary: what it does, and an example.

func (*runCmd) Help() string {
	return `The default command: rigup-exec [flags] -- COMMAND is rigup-exec [flags] run -- COMMAND. A rigup-exec under rigup-exec for the same template root reuses the directory, without decrypting.

  rigup-exec -t ./result -- claude
  rigup-exec -t ./result -- sh -c 'exec git -C "$HOME/src" push'`
}

func (checkCmd) Help() string {
	return `Decrypts (only when a template needs it), renders every template in memory and checks that each placeholder resolves and a .json or .toml file stays valid; notes the secrets no template uses and warns when rigup.secrets.recipients disagrees with the file. Prints no value.

  rigup-exec -t ./result check`
}

func (*secretsEditCmd) Help() string {
	return `Decrypts rigup.secrets.toml.age into a private directory in RAM, runs $VISUAL or $EDITOR on it (vim, neovim and nano hardened so that nothing reaches the disk), checks the TOML, and encrypts it to the keys in rigup.secrets.recipients. A new project starts from an example, at the top of the git work tree. A change of recipients is shown and asked about.

  rigup-exec secrets edit
  rigup-exec secrets edit -R ~/bob.pub        # and let bob decrypt it`
}

func (secretsRekeyCmd) Help() string {
	return `After a change to rigup.secrets.recipients (a teammate added or removed), encrypts the secrets again to exactly its keys.

  rigup-exec secrets rekey && git add rigup.secrets.*`
}

func (secretsRecipientsCmd) Help() string {
	return `Marks your own keys, and listed keys the file is not encrypted to yet (which a rekey lets in).

  rigup-exec secrets recipients`
}

func (doctorCmd) Help() string {
	return `Checks the RAM directory, swap, core dumps, locked memory, your keys, the secrets and recipients files, the template root and the editor. Exits 1 when there is a problem.

  rigup-exec -t ./result doctor`
}

func (demoCmd) Help() string {
	return `Makes a throwaway key, secrets file and templates, and runs a shell on them.

  rigup-exec demo`
}

func (shellCmd) Help() string {
	return `Runs $SHELL (else /bin/sh) as rigup-exec -- $SHELL would, with job control, and links each entry of your own ~/.config (or $XDG_CONFIG_HOME) that the rig does not provide into the rendered directory, so git, gh and the rest keep your settings, and what they save there stays. On a terminal it says where the configs are (RIGUP_NO_BANNER=1 silences that); RIGUP_RIG names the rig, for a prompt.

  rigup-exec -t ./result shell`
}
