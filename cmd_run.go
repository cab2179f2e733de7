package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"syscall"

	"github.com/alecthomas/kong"

	"rigup-exec/exec"
	"rigup-exec/tmpfs"
	"rigup-exec/tmpl"
)

type runCmd struct {
	Command []string `arg:"" passthrough:"partial" name:"command" help:"Program to run, and its arguments."`

	shell bool // run by rigup-exec shell: an interactive shell, with a banner
}

// argv returns the command to run. kong keeps the "--" of rigup-exec run --
// CMD; exactly one is dropped, so that run -- -- x runs "--".
func (c *runCmd) argv() []string {
	if len(c.Command) > 0 && c.Command[0] == "--" {
		return c.Command[1:]
	}
	return c.Command
}

// The child finds its directory in these, and so does a nested rigup-exec.
const (
	envConfigHome = "XDG_CONFIG_HOME"
	envConfigDir  = "RIGUP_CONFIG_DIR"
	envConfigRoot = "RIGUP_CONFIG_TEMPLATES" // the template root it was rendered from
	envRig        = "RIGUP_RIG"              // the rig's name, for prompts
	// The caller's own config directory, outside any rigup-exec: what
	// --user-config links from, and what an entrypoint gives back to tools
	// that should keep the user's config (callerConfigHome in nix/).
	envCallerConfig = "RIGUP_CALLER_CONFIG_HOME"
)

// Run renders the templates and runs the command.
func (c *runCmd) Run(cli *CLI, ui *ui, k *kong.Context) error {
	argv := c.argv()
	if len(argv) == 0 {
		return hint(errors.New("no command to run"), "rigup-exec [flags] -- COMMAND [ARG...]")
	}
	// Looked up first, so that a mistyped command costs no passphrase.
	path, err := exec.LookPath(argv[0], cli.env.get("PATH"))
	if err != nil {
		return commandError(err, argv[0], commands(k))
	}
	root, err := cli.templateRoot()
	if err != nil {
		return err
	}
	if dir := cli.env.get(envConfigDir); dir != "" && cli.env.get(envConfigRoot) == root && tmpfs.Live(dir) {
		// A rigup-exec under rigup-exec: the directory is there and
		// held, so it is only a matter of running the command.
		if cli.Verbose {
			ui.notef("reusing %s, rendered from the same template root by the rigup-exec this runs under", dir)
		}
		env := cli.env.with(envConfigHome, dir)
		return fmt.Errorf("running %s: %w", argv[0], syscall.Exec(path, argv, env))
	}

	// From here on, a signal no longer kills rigup-exec before it has
	// wiped what it wrote; one that arrives before the command starts
	// ends rigup-exec instead.
	sigs := exec.Watch()
	caller := cli.callerConfigHome()
	var link string
	if cli.userConfigFor(c.shell || cli.isUserShell(path, argv)) {
		link = caller
	}
	env := func(dir string) []string {
		env := cli.env.vars
		env = setenv(env, envConfigHome, dir)
		env = setenv(env, envConfigDir, dir)
		env = setenv(env, envConfigRoot, root)
		env = setenv(env, envRig, rigName(root))
		if caller != "" {
			env = setenv(env, envCallerConfig, caller)
		}
		return env
	}
	p, err := cli.prepareOrDie(ui, root, link, env, sigs)
	if p != nil {
		// Deferred calls run last first: the servers stop, then the
		// directory goes.
		defer func() {
			if err := p.dir.Wipe(); err != nil {
				ui.warnf("could not wipe %s: %v", p.dir.Path, err)
			}
		}()
		defer p.guard.stop(ui)
	}
	if err != nil {
		return err
	}
	dir := p.dir
	if p.guard != nil {
		if path, argv, err = cli.sandboxed(ui, path, argv); err != nil {
			return err
		}
	}
	if c.shell && interactive() && cli.env.get("RIGUP_NO_BANNER") == "" {
		fmt.Fprintf(ui.stderr, "rigup-exec: rig %s: its configs are in RAM, in %s, and wiped when this shell exits\n", rigName(root), dir.Path)
	}
	st, err := exec.Run(&exec.Cmd{
		Path: path, Args: argv, Env: env(dir.Path),
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Inherit: []*os.File{dir.LockFile()},
	}, sigs)
	if err != nil {
		return commandError(err, argv[0], nil)
	}
	if st.Signal != 0 {
		return killedBy(st.Signal)
	}
	return statusError(st.Code)
}

// commandError gives the shell's statuses to a command that cannot be run:
// 127 when it is not found, 126 when it cannot be executed.
func commandError(err error, name string, commands []string) error {
	var notFound *exec.NotFoundError
	var cannot *exec.CannotRunError
	switch {
	case errors.As(err, &notFound):
		var hints []string
		if cmd := subcommandLike(name, commands); cmd == name {
			hints = append(hints, fmt.Sprintf("rigup-exec %s, without --, is the %s command", cmd, cmd))
		} else if cmd != "" {
			hints = append(hints, fmt.Sprintf("did you mean rigup-exec %s?", cmd))
		}
		return codedError{127, hint(err, hints...)}
	case errors.As(err, &cannot):
		return codedError{126, err}
	}
	return err
}

// subcommandLike returns the subcommand that name is, or is a likely typo
// of.
func subcommandLike(name string, cmds []string) string {
	if slices.Contains(cmds, name) {
		return name
	}
	if i := tmpl.Closest(name, cmds); i >= 0 {
		return cmds[i]
	}
	return ""
}

// commands lists rigup-exec's own commands, but run. k is nil when
// quickParse read the command line: the grammar is built then, for the
// message.
func commands(k *kong.Context) []string {
	var model *kong.Application
	if k != nil {
		model = k.Model
	} else if g, err := kong.New(&CLI{}, kong.Name("rigup-exec")); err == nil {
		model = g.Model
	} else {
		return nil
	}
	var names []string
	for _, n := range model.Children {
		if !n.Hidden && n.Name != "run" {
			names = append(names, n.Name)
		}
	}
	return names
}
