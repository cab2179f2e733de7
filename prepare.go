package main

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"sync"
	"syscall"

	"rigup-exec/exec"
	"rigup-exec/tmpfs"
	"rigup-exec/tmpl"
)

// prepareOrDie prepares the directory, and lets a fatal signal end that at
// once, whatever step it is blocked in (an SSH_ASKPASS program that does
// not answer, a slow read): until the directory is being written, nothing
// is on disk, so the signal ends the run there and then; once it is, writing
// is quick, and what was written is wiped. A passphrase prompt on the
// terminal handles the signal itself, to restore the terminal.
func (c *CLI) prepareOrDie(ui *ui, root, userConfig string, env func(dir string) []string, sigs *exec.Signals) (*prepared, error) {
	type result struct {
		p   *prepared
		err error
	}
	done := make(chan result, 1)
	var g gate
	go func() {
		var p result
		forgetting(func() { p.p, p.err = c.prepare(ui, root, userConfig, env, sigs, &g) })
		// What prepare allocated is unreachable now: collected, it is
		// erased (see forgetting), and the pages go back to the system.
		// FreeOSMemory collects first, in full: a runtime.GC before it
		// would be a second collection, for nothing.
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
			return p.p, p.err
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
			return p.p, p.err
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

// prepared is a run made ready: its directory, and the guard of the rig's
// private MCP definitions, if it has any (see agent.go).
type prepared struct {
	dir   *tmpfs.Dir
	guard *guardProc
}

// prepare renders the templates and writes them into a new private
// directory, with links to the entries of userConfig, the user's own config
// directory, that the rig does not provide ("" for none), and starts the
// guard of its private MCP definitions, which env(dir) is the environment
// of. What it returns is to be wiped and closed, even with an
// error.
func (c *CLI) prepare(ui *ui, root, userConfig string, env func(dir string) []string, sigs *exec.Signals, g *gate) (*prepared, error) {
	tree, err := c.loadIndexedTree(ui, root)
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
	p := &prepared{dir: dir}
	if c.Janitor {
		if err := startJanitor(dir.Path); err != nil {
			return p, fmt.Errorf("starting the janitor: %w", err)
		}
	}
	if err := materialize(dir, tree, res); err != nil {
		return p, err
	}
	if p.guard, err = c.startGuard(ui, dir, tree, res, env(dir.Path)); err != nil {
		return p, err
	}
	if userConfig != "" {
		if err := linkUserConfig(dir, tree, userConfig); err != nil {
			return p, err
		}
	}
	if c.Verbose {
		for _, why := range dir.PassedOver {
			ui.notef("passed over: %s", why)
		}
		locked, total := dir.Locked()
		ui.notef("%s rendered and %s in %s (%s), %d of %d bytes locked in memory",
			plural(len(res.Files), "file"), plural(len(tree.Layout.Links), "link"), dir.Path, dir.FSType, locked, total)
	}
	var sig os.Signal
	if testHookPrepared != nil {
		sig = testHookPrepared(dir.Path)
	}
	if sig != nil {
		return p, killedBy(sig.(syscall.Signal))
	}
	return p, nil
}
