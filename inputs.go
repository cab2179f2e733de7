package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"rigup-exec/crypto"
	"rigup-exec/project"
	"rigup-exec/tmpl"
)

// loadTree scans the template root given by --templates or RIGUP_TEMPLATES.
func (c *CLI) loadTree() (*tmpl.Tree, error) {
	root, err := c.templateRoot()
	if err != nil {
		return nil, err
	}
	return c.loadTrustedTree(root)
}

// loadTrustedTree scans the template root, once it is known that no one
// else could have written it. The path given is checked, so that a message
// names it as the user wrote it (checkTrusted follows its links); root is
// where it leads.
func (c *CLI) loadTrustedTree(root string) (*tmpl.Tree, error) {
	if err := checkTrusted("template root", c.abs(c.Templates)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return tmpl.Load(root, trustedEntry(root))
}

// loadIndexedTree is loadTrustedTree for a run: a root in the Nix store
// is scanned once, and its layout kept in the user's cache directory
// (tmpl.Index), so that later runs read only its templates.
func (c *CLI) loadIndexedTree(ui *ui, root string) (*tmpl.Tree, error) {
	if err := checkTrusted("template root", c.abs(c.Templates)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	x := tmpl.Index{Store: c.env.get("NIX_STORE_DIR")}
	if x.Store == "" {
		x.Store = "/nix/store"
	}
	// Not in the cache of a home that is someone else's (sudo -E).
	if cache := c.env.cacheDir(); cache != "" && c.env.ownHome {
		x.Dir = filepath.Join(cache, "rigup-exec", "index")
	}
	tree, cached, err := x.Load(root, trustedEntry(root))
	if cached && c.Verbose {
		ui.notef("the layout of %s comes from its index in %s", root, tilde(x.Dir))
	}
	return tree, err
}

// abs makes a path from the command line or the environment absolute:
// ~/ is the home directory, and a relative path is taken from the working
// directory main read. Every input path goes through it once.
func (c *CLI) abs(p string) string {
	p = expandHome(p)
	if !filepath.IsAbs(p) && c.env.wd != "" {
		p = filepath.Join(c.env.wd, p)
	}
	return filepath.Clean(p)
}

// templateRoot returns the template root, absolute and with symlinks
// resolved, once for all it is used for: the links to its plain files, the
// run directory's name, and whether a nested run can reuse a directory.
// Nix users pass ./result, which a later build points elsewhere: a run
// keeps the generation it started with. A root that cannot be resolved is
// returned as given, for the walk to report.
func (c *CLI) templateRoot() (string, error) {
	if c.Templates == "" {
		return "", hint(errors.New("no template root given"), "pass --templates DIR or set RIGUP_TEMPLATES")
	}
	given := c.abs(c.Templates)
	if root, err := filepath.EvalSymlinks(given); err == nil {
		return root, nil
	}
	return given, nil
}

// secretsPath finds the secrets file: --secrets or RIGUP_SECRETS_FILE, else
// the one in $RIG_PROJECT_ROOT, else the nearest one walking up from the
// working directory. The path is absolute.
func (c *CLI) secretsPath() (string, error) {
	if c.Secrets != "" {
		return c.abs(c.Secrets), nil
	}
	if root := c.env.get("RIG_PROJECT_ROOT"); root != "" {
		return filepath.Join(c.abs(root), project.SecretsFile), nil
	}
	if c.env.wd == "" {
		return "", errors.New("the working directory cannot be read")
	}
	p, err := project.Find(c.env.wd)
	if err != nil {
		return "", hint(fmt.Errorf("no %s in %s or any directory above it", project.SecretsFile, tilde(c.env.wd)),
			"pass --secrets FILE, set RIGUP_SECRETS_FILE, or run from the project",
			"or create one with rigup-exec secrets edit")
	}
	return p, nil
}

// openInput opens an input file (the secrets file, a recipients or public
// key file) for reading. It never blocks: a FIFO or a device in the file's
// place is refused, like anything else that is not a regular file.
func openInput(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is %s, not a regular file", display(path), fileKind(info.Mode()))
	}
	return f, nil
}

// readInput reads an input file whole, capped at crypto.MaxFileSize.
func readInput(path string) ([]byte, error) {
	f, err := openInput(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, crypto.MaxFileSize+1))
	if err == nil && len(data) > crypto.MaxFileSize {
		clear(data)
		return nil, fmt.Errorf("%s is larger than %d MiB", display(path), crypto.MaxFileSize>>20)
	}
	return data, err
}

func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file"
}

// callerConfigHome is the user's own config directory: the one an outer
// rigup-exec recorded, else $XDG_CONFIG_HOME (unless it is a rigup-exec
// directory), else ~/.config; "" when there is none.
func (c *CLI) callerConfigHome() string {
	if dir := c.env.get(envCallerConfig); filepath.IsAbs(dir) {
		return dir
	}
	if dir := c.env.get(envConfigHome); filepath.IsAbs(dir) && dir != c.env.get(envConfigDir) {
		return dir
	}
	if c.env.home != "" {
		return filepath.Join(c.env.home, ".config")
	}
	return ""
}

// userConfigFor says whether the user's config is linked in:
// --user-config or --no-user-config (or RIGUP_USER_CONFIG) when given, else
// for an interactive shell.
func (c *CLI) userConfigFor(shell bool) bool {
	if c.UserConfig != nil {
		return *c.UserConfig
	}
	return shell
}

// isUserShell reports whether the command is an interactive $SHELL: path
// is the program $SHELL names, and argv gives it nothing to run (options
// such as -l or -i alone, no -c).
func (c *CLI) isUserShell(path string, argv []string) bool {
	shell := c.env.get("SHELL")
	if shell == "" {
		return false
	}
	for _, a := range argv[1:] {
		if !strings.HasPrefix(a, "-") || strings.Contains(a, "c") && !strings.HasPrefix(a, "--") {
			return false
		}
	}
	a, err1 := os.Stat(path)
	b, err2 := os.Stat(shell)
	return err1 == nil && err2 == nil && os.SameFile(a, b)
}
