package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/alecthomas/kong"

	"rigup-exec/exec"
	"rigup-exec/tmpfs"
	"rigup-exec/tmpl"
)

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

// The child finds its directory in these, and so does a nested rigup-exec.
const (
	envConfigHome = "XDG_CONFIG_HOME"
	envConfigDir  = "RIGUP_CONFIG_DIR"
	envConfigRoot = "RIGUP_CONFIG_TEMPLATES" // the template root it was rendered from
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
		env := cli.env.with(envConfigHome, dir)
		return fmt.Errorf("running %s: %w", argv[0], syscall.Exec(path, argv, env))
	}

	// From here on, a signal no longer kills rigup-exec before it has
	// wiped what it wrote; one that arrives before the command starts
	// ends rigup-exec instead.
	sigs := exec.Watch()
	dir, err := cli.prepareOrDie(ui, root, sigs)
	if dir != nil {
		defer func() {
			if err := dir.Wipe(); err != nil {
				ui.warnf("could not wipe %s: %v", dir.Path, err)
			}
		}()
	}
	if err != nil {
		return err
	}
	env := cli.env.vars
	env = setenv(env, envConfigHome, dir.Path)
	env = setenv(env, envConfigDir, dir.Path)
	env = setenv(env, envConfigRoot, root)
	st, err := exec.Run(&exec.Cmd{
		Path: path, Args: argv, Env: env,
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

// prepareOrDie prepares the directory, and lets a fatal signal end that at
// once, whatever step it is blocked in (an SSH_ASKPASS program that does
// not answer, a slow read): until the directory is being written, nothing
// is on disk, so the signal ends the run there and then; once it is, writing
// is quick, and what was written is wiped. A passphrase prompt on the
// terminal handles the signal itself, to restore the terminal.
func (c *CLI) prepareOrDie(ui *ui, root string, sigs *exec.Signals) (*tmpfs.Dir, error) {
	type prepared struct {
		dir *tmpfs.Dir
		err error
	}
	done := make(chan prepared, 1)
	var g gate
	go func() {
		var p prepared
		forgetting(func() { p.dir, p.err = c.prepare(ui, root, sigs, &g) })
		// What prepare allocated is unreachable now: collected, it is
		// erased (see forgetting), and the pages go back to the system.
		runtime.GC()
		debug.FreeOSMemory()
		done <- p
	}()
	for {
		select {
		case p := <-done:
			// One that came as it finished: the command is not started.
			if sig := sigs.Fatal(); sig != nil && p.err == nil {
				p.err = killedBy(sig.(syscall.Signal))
			}
			return p.dir, p.err
		case sig := <-sigs.C():
			if !exec.IsFatal(sig) {
				continue
			}
			if g.abort() && !prompting.Load() {
				cancelAskpass()
				return nil, killedBy(sig.(syscall.Signal))
			}
			p := <-done
			if p.err == nil {
				p.err = killedBy(sig.(syscall.Signal))
			}
			return p.dir, p.err
		}
	}
}

// gate is where preparing the directory stops being abortable: from the
// moment it is created until it is written, which takes no time worth
// interrupting, and whose result must be wiped.
type gate struct {
	mu               sync.Mutex
	aborted, writing bool
}

// write reports whether preparing may go on to write the directory.
func (g *gate) write() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.writing = !g.aborted
	return g.writing
}

// abort reports whether preparing was stopped before it wrote anything.
func (g *gate) abort() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.aborted = !g.writing
	return g.aborted
}

// errAborted ends a preparation that a signal stopped; nobody reads it.
var errAborted = errors.New("stopped by a signal")

// prepare renders the templates and writes them into a new private
// directory. It returns the directory, to be wiped, even with an error.
func (c *CLI) prepare(ui *ui, root string, sigs *exec.Signals, g *gate) (*tmpfs.Dir, error) {
	tree, err := loadTrustedTree(root)
	if err != nil {
		return nil, err
	}
	var secrets *tmpl.Secrets
	if tree.NeedsSecrets() {
		if secrets, err = c.loadSecrets(ui); err != nil {
			return nil, err
		}
	}
	res, err := tree.Render(secrets)
	if err != nil {
		return nil, err
	}
	defer res.Wipe()
	if !g.write() {
		return nil, errAborted
	}
	dir, err := c.createDir(ui, rigName(root))
	if err != nil {
		return nil, err
	}
	if c.Janitor {
		if err := startJanitor(dir.Path); err != nil {
			return dir, fmt.Errorf("starting the janitor: %w", err)
		}
	}
	if err := materialize(dir, tree, res); err != nil {
		return dir, err
	}
	if c.Verbose {
		locked, total := dir.Locked()
		ui.notef("%s in %s (%s), %d of %d bytes locked in memory",
			plural(len(res.Files)+len(tree.Plain), "file"), dir.Path, dir.FSType, locked, total)
	}
	var sig os.Signal
	if testHookPrepared != nil {
		sig = testHookPrepared(dir.Path)
	}
	if sig != nil {
		return dir, killedBy(sig.(syscall.Signal))
	}
	return dir, nil
}

// createDir makes a private directory, in RAM unless --allow-disk, and
// warns when it is on disk.
func (c *CLI) createDir(ui *ui, rig string) (*tmpfs.Dir, error) {
	opt := tmpfs.Options{
		Rig:        rig,
		RuntimeDir: c.env.get("XDG_RUNTIME_DIR"),
		AllowDisk:  c.AllowDisk,
	}
	if c.AllowDisk {
		base, err := os.UserCacheDir()
		if err != nil {
			return nil, fmt.Errorf("no directory for --allow-disk: %w", err)
		}
		opt.DiskDir = filepath.Join(base, "rigup-exec")
	}
	dir, err := tmpfs.Create(opt)
	var noRAM *tmpfs.NoRAMError
	if errors.As(err, &noRAM) {
		return nil, hint(fmt.Errorf("no private directory in RAM for the configs: %s", strings.Join(noRAM.Rejected, "; ")),
			"set XDG_RUNTIME_DIR to a 0700 tmpfs directory of yours, or pass --allow-disk to accept a directory on disk")
	}
	if err == nil && dir.FSType == "disk" {
		ui.warnf("%s is on disk (--allow-disk): wiping it afterwards is not reliable there", dir.Path)
	}
	return dir, err
}

// materialize writes the tree into dir: directories as directories,
// templates rendered, plain files as links to their source.
func materialize(dir *tmpfs.Dir, tree *tmpl.Tree, res *tmpl.Result) error {
	for _, d := range tree.Dirs {
		if d == "." {
			continue
		}
		if err := dir.Mkdir(d); err != nil {
			return err
		}
	}
	for _, f := range res.Files {
		// Rendered straight into the file's locked pages.
		if err := dir.WriteFileFunc(f.Name, f.Size, f.Mode&0o111 != 0, f.Fill); err != nil {
			return err
		}
	}
	for _, p := range tree.Plain {
		if err := dir.Symlink(p.Source, p.Name); err != nil {
			return err
		}
	}
	return nil
}

// nixHash matches the hash that starts the name of a Nix store path.
var nixHash = regexp.MustCompile(`^[0-9a-z]{32}-`)

// rigName labels the directory after the template root, store hash cut.
func rigName(root string) string {
	return nixHash.ReplaceAllString(filepath.Base(root), "")
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

// commands lists rigup-exec's own commands, but run.
func commands(k *kong.Context) []string {
	var names []string
	for _, n := range k.Model.Children {
		if !n.Hidden && n.Name != "run" {
			names = append(names, n.Name)
		}
	}
	return names
}
