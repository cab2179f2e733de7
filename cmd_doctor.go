package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"

	"rigup-exec/crypto"
	"rigup-exec/project"
	"rigup-exec/tmpfs"
	"rigup-exec/tmpl"
)

type doctorCmd struct{}

// A finding is one line of the doctor's report: a state, what was found,
// and for a warning or a problem, how to fix it.
type finding struct {
	state string // "ok", "warning" or "problem"
	what  string
	fix   string
}

func ok(format string, args ...any) finding {
	return finding{state: "ok", what: fmt.Sprintf(format, args...)}
}

func warning(fix, format string, args ...any) finding {
	return finding{state: "warning", what: fmt.Sprintf(format, args...), fix: fix}
}

func problem(fix, format string, args ...any) finding {
	return finding{state: "problem", what: fmt.Sprintf(format, args...), fix: fix}
}

// Run tells whether this machine and project are safe and ready: one line
// per thing checked, and for each warning or problem the fix. It decrypts
// nothing, asks for no passphrase and never prints a value. It exits 1
// when there is a problem; warnings alone exit 0.
func (doctorCmd) Run(cli *CLI, ui *ui) error {
	var found []finding
	found = append(found, cli.doctorRunDir()...)
	found = append(found, doctorSwap(), doctorCore(), doctorMemory())
	found = append(found, cli.doctorTemplates()...)
	keys, kf := cli.doctorKeys()
	found = append(found, kf...)
	found = append(found, cli.doctorSecrets(keys, len(keys) > 0 && !has(kf, "problem"))...)
	found = append(found, cli.doctorEditor())
	problems := 0
	for _, f := range found {
		fmt.Fprintf(ui.stdout, "%-8s %s\n", f.state, f.what)
		if f.fix != "" {
			fmt.Fprintf(ui.stdout, "%-8s fix: %s\n", "", f.fix)
		}
		if f.state == "problem" {
			problems++
		}
	}
	if problems > 0 {
		return statusError(1)
	}
	return nil
}

// doctorRunDir says where a run's directory would go and why, and which
// run directories a killed run left behind.
func (c *CLI) doctorRunDir() []finding {
	p, err := tmpfs.Look(tmpfs.Options{RuntimeDir: c.env.get("XDG_RUNTIME_DIR")})
	var noRAM *tmpfs.NoRAMError
	if errors.As(err, &noRAM) {
		return []finding{problem("set XDG_RUNTIME_DIR to a 0700 tmpfs directory of yours (or accept a directory on disk with --allow-disk, which wiping cannot make safe)",
			"no private directory in RAM for the configs: %s", strings.Join(noRAM.Rejected, "; "))}
	}
	if err != nil {
		return []finding{problem("see the error", "run directory: %v", err)}
	}
	why := ""
	if len(p.Rejected) > 0 {
		why = " (" + strings.Join(p.Rejected, "; ") + ")"
	}
	out := []finding{ok("run directories go to %s, %s in RAM%s", p.Base, p.FSType, why)}
	if n := len(p.Stale); n > 0 {
		out = append(out, warning("the next run removes them; rigup-exec --janitor wipes at once after a kill",
			"%s of a killed run in %s: %s", plural(n, "run directory"), p.Base, strings.Join(p.Stale, ", ")))
	}
	return out
}

// doctorSwap says whether rendered pages that are not locked in memory could
// be written to a disk.
func doctorSwap() finding {
	data, err := os.ReadFile("/proc/swaps")
	if err != nil {
		if runtime.GOOS == "darwin" {
			return warning("turn on FileVault, which encrypts the swap too", "swap: macOS swaps to its system volume when it needs to")
		}
		return warning("", "swap: cannot tell (%v)", err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")[1:]
	if len(lines) == 0 {
		return ok("swap is off")
	}
	var plain []string
	for _, l := range lines {
		dev := strings.Fields(l)[0]
		if !swapIsSafe(dev) {
			plain = append(plain, dev)
		}
	}
	if len(plain) == 0 {
		return ok("swap is on, in RAM (zram) or encrypted (dm-crypt)")
	}
	return warning("encrypt the swap (dm-crypt), use zram, or turn it off; locked pages never go there",
		"swap on %s is not known to be encrypted: rendered pages beyond RLIMIT_MEMLOCK could be written to it", strings.Join(plain, ", "))
}

// swapIsSafe reports whether a swap device is zram or a dm-crypt mapping.
func swapIsSafe(dev string) bool {
	real, err := filepath.EvalSymlinks(dev)
	if err != nil {
		return false
	}
	name := filepath.Base(real)
	if strings.HasPrefix(name, "zram") {
		return true
	}
	uuid, err := os.ReadFile("/sys/block/" + name + "/dm/uuid")
	return err == nil && strings.HasPrefix(string(uuid), "CRYPT-")
}

// doctorCore says what a crash would leave on disk.
func doctorCore() finding {
	var lim unix.Rlimit
	unix.Getrlimit(unix.RLIMIT_CORE, &lim)
	limit := "0"
	if lim.Cur == unix.RLIM_INFINITY {
		limit = "unlimited"
	} else if lim.Cur > 0 {
		limit = kib(lim.Cur)
	}
	if runtime.GOOS != "linux" {
		if lim.Cur != 0 {
			return warning("ulimit -c 0", "core dumps are on (ulimit -c %s): a crash of rigup-exec could write the values to disk", limit)
		}
		return ok("core dumps are off (ulimit -c 0)")
	}
	return ok("rigup-exec writes no core dump whatever ulimit -c says (it is not dumpable, which also closes its memory to your other processes); commands it runs follow ulimit -c %s", limit)
}

// doctorMemory says whether what preparing a run leaves in memory is erased.
func doctorMemory() finding {
	if forgets {
		return ok("this rigup-exec erases the copies of the values it made once the files are written (runtime/secret)")
	}
	return warning("build it with CGO_ENABLED=0 GOEXPERIMENT=runtimesecret (Go 1.26, linux/amd64 or arm64), as the Nix package is",
		"this rigup-exec was built without runtime/secret: copies of the values stay in its freed memory while the command runs")
}

// doctorTemplates checks the template root, if one is given, and the
// locked memory its rendered files would need.
func (c *CLI) doctorTemplates() []finding {
	if c.Templates == "" {
		return []finding{ok("template root: none given (-t or RIGUP_TEMPLATES), not checked")}
	}
	root, err := c.templateRoot()
	if err != nil {
		return []finding{problem("pass an existing directory with -t", "template root: %v", err)}
	}
	tree, err := c.loadTrustedTree(root)
	if err != nil {
		return []finding{problem(fixOf(err, "pass a directory you own with -t"), "%v", err)}
	}
	out := []finding{ok("template root %s: %s, %s, writable by you or root alone", display(root),
		plural(len(tree.Templates), "template"), plural(tree.PlainCount, "plain file"))}
	out = append(out, doctorAgent(tree)...)
	page := os.Getpagesize()
	need := 0
	for _, t := range tree.Templates {
		need += (t.Size() + page - 1) / page * page
	}
	var lim unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_MEMLOCK, &lim) == nil && lim.Cur != unix.RLIM_INFINITY && uint64(need) > lim.Cur {
		out = append(out, warning("raise it (ulimit -l, or LimitMEMLOCK= / memlock in limits.conf)",
			"the rendered files need about %s of locked memory and RLIMIT_MEMLOCK allows %s: the rest can be swapped out", kib(uint64(need)), kib(lim.Cur)))
	} else if need > 0 {
		out = append(out, ok("the rendered files, about %s, fit in RLIMIT_MEMLOCK", kib(uint64(need))))
	}
	return out
}

// doctorAgent says what the command can read of the values: the files
// rendered with them, and, for private MCP definitions, whether the agent
// is kept from rigup-exec and the servers.
func doctorAgent(tree *tmpl.Tree) []finding {
	readable, private := 0, 0
	for _, f := range tree.Templates {
		switch {
		case f.Private:
			private++
		case f.NeedsSecrets():
			readable++
		}
	}
	var out []finding
	if readable > 0 {
		out = append(out, ok("%s with values that the command can read (check -v lists them); an MCP server's key is kept from an agent in %s",
			plural(readable, "rendered file"), tmpl.PrivateDir))
	}
	if private == 0 {
		return out
	}
	_, bin, err := guardPath()
	if err == nil {
		_, err = os.Stat(bin)
	}
	if err != nil {
		out = append(out, problem("install rigup-exec-guard beside rigup-exec (the Nix package has both)",
			"%s: rigup-exec-guard, which runs their servers, is missing", plural(private, "private MCP definition")))
	}
	for _, why := range withinReach() {
		out = append(out, warning(why.fix, "%s", why.what))
	}
	st := agentDomain()
	if st.Reason != "" {
		out = append(out, warning("use Linux 5.19 or later with Landlock enabled (lsm=...,landlock)",
			"private MCP definitions: the values stay out of every file, but the agent is not kept from the memory and environment of rigup-exec and the servers: %s", st))
	} else {
		out = append(out, ok("%s: their servers run outside the agent's reach; %s", plural(private, "private MCP definition"), st))
	}
	return out
}

// doctorKeys loads the user's keys as a run would, without parsing their
// private halves.
func (c *CLI) doctorKeys() ([]*crypto.Key, []finding) {
	paths, err := c.identityPaths()
	if err != nil {
		return nil, []finding{problem(fixOf(err, ""), "%v", err)}
	}
	var keys []*crypto.Key
	var out []finding
	for _, p := range paths {
		k, err := crypto.LoadKey(p, tilde(p), func(string, int) ([]byte, error) { return nil, errNoPrompt })
		if err != nil {
			err = keyError(err, p)
			out = append(out, problem(fixOf(err, ""), "%v", err))
			continue
		}
		keys = append(keys, k)
		if pub := k.PublicKey(); pub != nil {
			out = append(out, ok("SSH key %s: %s %s, readable by you alone", tilde(p), pub.Type(), crypto.Recipient{Key: pub}.ID()))
		} else {
			out = append(out, ok("SSH key %s: its public half is not known without its passphrase", tilde(p)))
		}
	}
	return keys, out
}

// doctorSecrets checks the secrets and recipients files, and which of the
// keys can decrypt the secrets, by the file's header alone.
func (c *CLI) doctorSecrets(keys []*crypto.Key, keysOK bool) []finding {
	path, err := c.secretsPath()
	if err != nil {
		return []finding{warning("create one with rigup-exec secrets edit", "%v", err)}
	}
	f, err := openInput(path)
	if errors.Is(err, fs.ErrNotExist) {
		return []finding{warning("create it with rigup-exec secrets edit", "secrets file %s does not exist", display(path))}
	}
	if err != nil {
		return []finding{problem("put the encrypted file there, or pass --secrets FILE", "secrets file: %v", err)}
	}
	defer f.Close()
	if err := checkTrusted("secrets file", path); err != nil {
		return []finding{problem(fixOf(err, ""), "%v", err)}
	}
	own := publicKeys(keys)
	listed, err := readRecipients(filepath.Join(filepath.Dir(path), project.RecipientsFile))
	if err != nil {
		return []finding{problem(fixOf(err, "fix the recipients file"), "%v", err)}
	}
	h, err := crypto.ReadHeader(f, project.Union(own, listed.Keys))
	if err != nil {
		return []finding{problem("it is not an age file: restore it from git", "%s: %v", display(path), err)}
	}
	total := len(h.Matched) + h.UnknownSSH + h.X25519 + len(h.Others)
	var out []finding
	if yours := intersect(h.Matched, own); !keysOK && len(yours) == 0 {
		out = append(out, warning("fix your keys first (above)", "secrets file %s: encrypted to %s; whether your keys can decrypt it is not known until they load",
			display(path), plural(total, "recipient")))
	} else if len(yours) > 0 {
		out = append(out, ok("secrets file %s: encrypted to %s, %d of them yours",
			display(path), plural(total, "recipient"), len(yours)))
	} else {
		out = append(out, problem("send your public key to someone who can decrypt it: they add it to "+project.RecipientsFile+" and run rigup-exec secrets rekey",
			"secrets file %s: none of your keys can decrypt it", display(path)))
	}
	if !listed.Exists {
		out = append(out, warning("write everyone's public key into "+project.RecipientsFile+", then run rigup-exec secrets rekey",
			"no %s beside it: secrets edit cannot tell who should be able to decrypt", project.RecipientsFile))
		return out
	}
	if msg := disagreement(h, listed.Keys); msg != "" {
		out = append(out, warning(rekeyHint, "%s", msg))
	} else {
		out = append(out, ok("%s lists exactly the keys the secrets file is encrypted to", project.RecipientsFile))
	}
	return out
}

// has reports whether a finding is in that state.
func has(fs []finding, state string) bool {
	for _, f := range fs {
		if f.state == state {
			return true
		}
	}
	return false
}

// intersect returns the recipients of a that b has too.
func intersect(a, b []crypto.Recipient) []crypto.Recipient {
	return project.Minus(a, project.Minus(a, b))
}

// doctorEditor says which editor secrets edit would start, and how far it
// keeps copies of the secrets off the disk.
func (c *CLI) doctorEditor() finding {
	ed, err := editorCommand(c.env.get, nil, "FILE", "DIR")
	if err != nil {
		return problem("set VISUAL or EDITOR to your editor", "editor: %v", err)
	}
	name := filepath.Base(ed.argv[0])
	switch ed.kind {
	case vimEditor, neovimEditor:
		return ok("editor for secrets edit: %s (%s), hardened: no swap, backup, undo or viminfo/shada file, whatever its configuration says", name, ed.kind)
	case nanoEditor:
		return ok("editor for secrets edit: %s, in restricted mode: no search history, position log or backup", name)
	}
	return warning("use vim, neovim or nano, which secrets edit hardens, or make sure your editor keeps no copies (see the README: What the editor may write)",
		"editor for secrets edit: %s, not hardened by rigup-exec: only its XDG state, data and cache go to RAM; it may write copies of the secrets elsewhere", name)
}

// fixOf returns the hint attached to err, or def.
func fixOf(err error, def string) string {
	var h *hintedError
	if errors.As(err, &h) && len(h.hints) > 0 {
		return strings.Join(h.hints, "; ")
	}
	return def
}
