package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"rigup-exec/guard/wire"
	"rigup-exec/sandbox"
	"rigup-exec/tmpfs"
	"rigup-exec/tmpl"
)

// A rig's private MCP definitions (tmpl.PrivateDir) are rendered into
// memory only. rigup-exec-guard, a process of its own, runs the servers
// they define behind a local proxy and a relay, and the agent gets, at each
// definition's place outside PrivateDir, a configuration that names them
// and holds no value; the agent itself runs in a Landlock domain, out of
// reach of rigup-exec, of the guard and of the servers (see the README's
// "Keeping keys from the agent").

// guardProc is a running rigup-exec-guard.
type guardProc struct {
	cmd *osexec.Cmd
	in  io.WriteCloser // its input: when it closes, the guard stops
}

// startGuard starts rigup-exec-guard for the private definitions res
// holds, and writes the agent's configurations into dir. env is the
// environment the command runs with, which the guard and the stdio servers
// start from. It returns nil when there is no private definition, and
// what it returns is to be stopped, even with an error.
func (c *CLI) startGuard(ui *ui, dir *tmpfs.Dir, tree *tmpl.Tree, res *tmpl.Result, env []string) (*guardProc, error) {
	var req wire.Request
	defer func() {
		for _, d := range req.Definitions {
			clear(d.Data)
		}
	}()
	var publics []string
	for _, f := range res.Files {
		if !f.Private {
			continue
		}
		public := strings.TrimPrefix(f.Name, tmpl.PrivateDir+string(filepath.Separator))
		if err := freeName(tree, public); err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		buf := make([]byte, f.Size)
		f.Fill(buf)
		req.Definitions = append(req.Definitions, wire.Definition{
			Name:   f.Name,
			Socket: filepath.Join(dir.Path, fmt.Sprintf(".rigup-relay-%d", len(publics))),
			Data:   buf,
			Values: f.Values(),
		})
		publics = append(publics, public)
	}
	if len(publics) == 0 {
		return nil, nil
	}
	self, bin, err := guardPath()
	if err != nil {
		return nil, err
	}
	req.Self = self
	data, err := json.Marshal(req)
	defer clear(data)
	if err != nil {
		return nil, err
	}
	cmd := &osexec.Cmd{Path: bin, Args: []string{bin}, Env: env, Stderr: os.Stderr,
		// In a session of its own, as the janitor: no signal of the
		// terminal reaches it, and it ends when its input does.
		SysProcAttr: &syscall.SysProcAttr{Setsid: true}}
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, hint(fmt.Errorf("starting the MCP guard: %w", err),
			"rigup-exec-guard, which runs a rig's private MCP servers, is installed beside rigup-exec")
	}
	g := &guardProc{cmd: cmd, in: in}
	// Written as it is: an append of the newline could copy the values.
	if _, err := in.Write(data); err != nil {
		return g, fmt.Errorf("starting the MCP guard: %w", err)
	}
	if _, err := in.Write([]byte{'\n'}); err != nil {
		return g, fmt.Errorf("starting the MCP guard: %w", err)
	}
	line, err := bufio.NewReader(out).ReadBytes('\n')
	var resp wire.Response
	if err == nil {
		err = json.Unmarshal(line, &resp)
	}
	switch {
	case err != nil:
		return g, errors.New("the MCP guard ended without an answer")
	case resp.Error != "":
		return g, errors.New(resp.Error)
	case len(resp.Configs) != len(publics):
		return g, errors.New("the MCP guard answered for another number of definitions")
	}
	for _, w := range resp.Warnings {
		ui.warnf("%s", w)
	}
	for i, public := range publics {
		if err := writeMade(dir, tree, public, resp.Configs[i]); err != nil {
			return g, err
		}
	}
	return g, nil
}

// stop closes the guard's input, which stops it and the servers it runs,
// and waits for it; it is killed if it has not ended in 5 seconds.
func (g *guardProc) stop(ui *ui) {
	if g == nil {
		return
	}
	g.in.Close()
	done := make(chan struct{})
	go func() {
		g.cmd.Wait() // ECHILD if rigup-exec, as PID 1, reaped it already
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		ui.warnf("the MCP guard did not stop in 5 s: killed")
		g.cmd.Process.Kill()
		<-done
	}
}

// freeName checks that the public tree does not provide name already.
func freeName(tree *tmpl.Tree, name string) error {
	for _, f := range tree.Templates {
		if !f.Private && f.Name == name {
			return fmt.Errorf("the rig has a template %s too", name)
		}
	}
	for _, l := range tree.Layout.Links {
		if l.Name == name || strings.HasPrefix(name, l.Name+string(filepath.Separator)) {
			return fmt.Errorf("the rig links %s from its template root, where the agent's configuration would go", l.Name)
		}
	}
	return nil
}

// writeMade writes a file rigup-exec made into dir, making the
// directories above it that the layout did not.
func writeMade(dir *tmpfs.Dir, tree *tmpl.Tree, name string, data []byte) error {
	made := map[string]bool{}
	for _, d := range tree.Layout.Dirs {
		made[d] = true
	}
	var parents []string
	for d := filepath.Dir(name); d != "." && !made[d]; d = filepath.Dir(d) {
		parents = append(parents, d)
	}
	for i := len(parents) - 1; i >= 0; i-- {
		if err := dir.Mkdir(parents[i]); err != nil {
			return err
		}
	}
	return dir.WriteFile(name, data, false)
}

// sandboxed returns the command line that runs path with argv inside a
// Landlock domain: rigup-exec's sandbox step, which enters the domain and
// executes the command. It returns path and argv unchanged when Landlock
// is not there; -v and doctor say so.
func (c *CLI) sandboxed(ui *ui, path string, argv []string) (string, []string, error) {
	// What no domain can help with is said at every run.
	for _, why := range withinReach() {
		ui.warnf("%s", why.what)
	}
	st := agentDomain()
	if c.Verbose && st.Reason == "" {
		ui.notef("the command runs in a Landlock domain, its MCP servers outside it (%s)", st)
	} else if c.Verbose {
		ui.notef("the command is not confined: it could read its MCP servers' keys in their memory or environment (%s)", st)
	}
	if st.Reason != "" {
		return path, argv, nil
	}
	self, err := os.Executable()
	if err != nil {
		return "", nil, fmt.Errorf("finding rigup-exec itself, for the sandbox: %w", err)
	}
	return self, append([]string{self, "sandbox", "--path", path, "--"}, argv...), nil
}

// agentDomain is what the sandbox step's Landlock domain keeps from the
// command: sandbox.Probe, but for the capabilities the step drops.
func agentDomain() sandbox.Status {
	st := sandbox.Probe()
	st.Privileged = false // DropReadCaps, in cmd_sandbox.go
	return st
}

// A reach is a reason why the MCP servers a run starts are within its
// command's reach whatever the domain, and what to do about it.
type reach struct{ what, fix string }

// withinReach lists those reasons: rigup-exec itself runs in a sandbox
// (an agent's, as when the agent started it), or as root.
func withinReach() []reach {
	var out []reach
	if sandbox.Confined() {
		out = append(out, reach{"rigup-exec runs under no_new_privs, as inside an agent's sandbox: the MCP servers it starts are within that agent's reach",
			"run rigup-exec from your shell, not from within the agent"})
	}
	if os.Geteuid() == 0 {
		out = append(out, reach{"rigup-exec runs as root: so does the agent, which can change what the MCP servers load; their keys are not out of its reach",
			"run the agent as yourself, not as root"})
	}
	return out
}

// guardPath returns rigup-exec itself, which the agent runs as its relay,
// and where rigup-exec-guard must be: beside it.
func guardPath() (self, guard string, err error) {
	self, err = os.Executable()
	if err != nil {
		return "", "", fmt.Errorf("finding rigup-exec itself, for the MCP guard: %w", err)
	}
	return self, filepath.Join(filepath.Dir(self), "rigup-exec-guard"), nil
}
