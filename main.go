// Command rigup-exec gives a rig's tools their secrets: it decrypts the
// project's rigup.secrets.toml.age with the user's SSH key, renders the rig's
// config templates into a private directory in RAM, and runs a command with
// XDG_CONFIG_HOME pointing there.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/alecthomas/kong"

	"rigup-exec/exec"
)

// exitFailure is the status of rigup-exec's own failures, usage errors
// included, so that the statuses below it belong to the child.
const exitFailure = 125

// CLI is the command-line grammar. Flags before the command apply to all.
type CLI struct {
	Templates string   `short:"t" placeholder:"DIR" help:"Template root, usually a Nix store path ($$RIGUP_TEMPLATES)."`
	Secrets   string   `short:"s" placeholder:"FILE" help:"Encrypted secrets file ($$RIGUP_SECRETS_FILE; default: rigup.secrets.toml.age in $$RIG_PROJECT_ROOT, or the nearest one up from here)."`
	Identity  []string `short:"i" sep:"none" placeholder:"KEY" help:"SSH private key, repeatable (default: $$AGE_IDENTITY, a colon-separated list, else ~/.ssh/id_ed25519 and ~/.ssh/id_rsa)."`

	AllowDisk bool `help:"Accept a directory on disk when none in RAM is available (wiping is unreliable there) ($$RIGUP_ALLOW_DISK)."`
	Janitor   bool `help:"Start a watchdog process that wipes the directory as soon as rigup-exec dies, even by SIGKILL."`
	Verbose   bool `short:"v" help:"Say where the configs were written and how much of them is locked in memory."`
	// nil: the default, on for an interactive shell (see userConfigFor).
	UserConfig *bool `negatable:"" help:"Link each entry of your own config directory (~/.config) that the rig does not provide into the rendered one, so tools keep your settings ($$RIGUP_USER_CONFIG; default: on for rigup-exec shell and for $$SHELL, off otherwise)."`

	Run            runCmd        `cmd:"" default:"withargs" help:"Run COMMAND with its configs rendered (the default: rigup-exec [flags] -- COMMAND [ARG...])."`
	Shell          shellCmd      `cmd:"" help:"Run your $$SHELL with the rig's configs, and your own beside them."`
	Check          checkCmd      `cmd:"" help:"Decrypt and render every template in memory, and report problems and unused secrets."`
	SecretsCmd     secretsCmd    `cmd:"" name:"secrets" help:"Edit the secrets file, list or change who can decrypt it."`
	Doctor         doctorCmd     `cmd:"" help:"Tell whether this machine and project are safe and ready: each line ok, warning or problem, with the fix. Decrypts nothing."`
	Demo           demoCmd       `cmd:"" help:"Run a shell on a throwaway demo rig, to see what a command gets."`
	Hook           hookCmd       `cmd:"" help:"Print shell code that plugs rigup-exec into a tool: hook direnv defines use rig."`
	Version        versionCmd    `cmd:"" help:"Print the version."`
	Completion     completionCmd `cmd:"" help:"Print the completion script of bash, zsh or fish."`
	Sandbox        sandboxCmd    `cmd:"" hidden:"" help:"Enter a Landlock domain and execute the command (the step before an agent whose MCP servers rigup-exec runs)."`
	Relay          relayCmd      `cmd:"" hidden:"" help:"Carry an MCP server's messages between the agent and the rigup-exec that runs it (written into the agent's MCP config)."`
	JanitorProcess janitorCmd    `cmd:"" name:"janitor" hidden:"" help:"Wait for rigup-exec to exit, then wipe DIR (started by --janitor)."`

	env environ // read once, in mainDying
}

func main() {
	harden()
	status, sig := mainDying(os.Args[1:], os.Stdout, os.Stderr)
	if sig != 0 {
		// Die as the child died, so that a calling shell sees what it
		// would have seen without rigup-exec; exit 128+N if we cannot.
		exec.Reraise(sig)
	}
	os.Exit(status)
}

// exitKong carries an exit status out of kong, which calls its exit
// function after printing help.
type exitKong int

// Main runs rigup-exec and returns its exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	status, _ := mainDying(args, stdout, stderr)
	return status
}

// mainDying runs rigup-exec and returns its exit status, and the signal it
// should rather die by, if any.
func mainDying(args []string, stdout, stderr io.Writer) (status int, sig syscall.Signal) {
	ui := &ui{stdout: stdout, stderr: stderr}
	defer func() {
		if r := recover(); r != nil {
			code, ok := r.(exitKong)
			if !ok {
				panic(r)
			}
			status = int(code)
			if status != 0 {
				status = exitFailure
			}
		}
	}()
	cli := CLI{env: readEnviron()}
	setPaths(cli.env)
	var ctx *kong.Context
	quick := quickParse(args, &cli)
	var err error
	if !quick {
		ctx, err = parse(&cli, args, stdout, stderr)
	}
	if err == nil {
		err = cli.applyEnv()
	}
	if err != nil {
		ui.errorf("%s", lowerFirst(err.Error()))
		ui.hintf("rigup-exec --help shows the usage")
		return exitFailure, 0
	}
	if quick {
		err = cli.Run.Run(&cli, ui, nil)
	} else {
		err = ctx.Run(&cli, ui)
	}
	return ui.report(err), ui.dieBy
}

// description is the help's text before the flags: enough to use
// rigup-exec without the README.
const description = `Render a rig's config templates with its secrets into a private directory in RAM, and run a command with XDG_CONFIG_HOME pointing there. The directory is wiped when the command exits.

  rigup-exec -t ./result -- claude
  rigup-exec -t ./result -- sh -c 'exec jq . "$XDG_CONFIG_HOME/app/config.json"'

(Quote what refers to $XDG_CONFIG_HOME: your shell would expand it before rigup-exec sets it.)

Templates: a file under the template root that holds {{secrets.PATH}} is rendered; PATH is a dotted key path into the secrets, as {{secrets.mcp.context7_api_key}}. Each value is escaped for the file: json in .json, toml in .toml, yaml in .yaml/.yml, else raw; {{secrets.PATH | FILTER}} picks json, toml, yaml, shell, base64 or raw. \{{ writes a literal {{. Every other file is linked.

Secrets: --secrets, else $RIG_PROJECT_ROOT/rigup.secrets.toml.age, else the nearest rigup.secrets.toml.age up from here (TOML, encrypted with age to the keys in rigup.secrets.recipients beside it). Keys: --identity, else $AGE_IDENTITY, else ~/.ssh/id_ed25519 and ~/.ssh/id_rsa.

Exit status: the command's (or death by its signal); 125 rigup-exec's own errors; 126 cannot be executed; 127 not found; 130 Ctrl-C at a prompt.`

// parse parses args into cli. A leading "--" always means "run": kong would
// otherwise still match the word after it against command names, so that
// rigup-exec -- check would run the check command.
func parse(cli *CLI, args []string, stdout, stderr io.Writer) (*kong.Context, error) {
	k, err := kong.New(cli,
		kong.Name("rigup-exec"),
		kong.Description(description),
		kong.Writers(stdout, stderr),
		kong.Exit(func(code int) { panic(exitKong(code)) }),
	)
	if err != nil {
		return nil, err
	}
	if len(args) == 0 {
		return nil, errors.New("no command to run")
	}
	if args[0] == "help" {
		// rigup-exec help [COMMAND...]; a program called help is
		// rigup-exec -- help.
		args = append(append([]string{}, args[1:]...), "--help")
	}
	return k.Parse(routeDashDash(k, args))
}

// routeDashDash inserts the run command before a "--" that comes before any
// positional argument. The flags that take a value are read from the
// grammar, so that in -s -- -- x the first "--" is the value of -s.
func routeDashDash(k *kong.Kong, args []string) []string {
	takesValue := map[string]bool{}
	for _, f := range k.Model.Flags {
		if !f.IsBool() && !f.IsCounter() {
			takesValue["--"+f.Name] = true
			if f.Short != 0 {
				takesValue["-"+string(f.Short)] = true
			}
		}
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(append(append([]string{}, args[:i]...), "run"), args[i:]...)
		case takesValue[a]:
			i++ // skip the flag's value
		case strings.HasPrefix(a, "-") && len(a) > 1:
			// a flag with its value attached, a boolean flag, or an
			// unknown flag that kong will report
		default:
			return args // a command or a program name comes first
		}
	}
	return args
}

type versionCmd struct{}

// version is set at link time by release builds (-X main.version=...).
var version = ""

func (versionCmd) Run(ui *ui) error {
	v := version
	if v == "" {
		v = "(devel)"
		if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
			v = info.Main.Version
		}
	}
	fmt.Fprintln(ui.stdout, "rigup-exec", v)
	return nil
}
