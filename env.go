package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
)

// environ is the process's environment, working directory and home, read
// once by main and passed down in the CLI: nothing below main calls
// os.Getenv, os.Getwd or os.UserHomeDir, so that what a command sees is
// what main read, and tests can give it any environment.
type environ struct {
	vars []string // KEY=VALUE, as os.Environ gives them; what a child inherits
	wd   string   // the working directory, "" if it cannot be read
	home string   // $HOME, "" when unset
	// ownHome: $HOME is the user's own directory. Under sudo -E it is
	// the invoking user's, and ~ in a message would hide whose.
	ownHome bool
}

func readEnviron() environ {
	e := environ{vars: os.Environ()}
	e.wd, _ = os.Getwd()
	e.home = e.get("HOME")
	var st syscall.Stat_t
	if e.home != "" && syscall.Stat(e.home, &st) == nil {
		e.ownHome = int(st.Uid) == os.Getuid()
	}
	return e
}

// get returns the value of key, "" when unset; the last one wins, as with
// getenv(3).
func (e environ) get(key string) string {
	for i := len(e.vars) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(e.vars[i], "="); ok && k == key {
			return v
		}
	}
	return ""
}

// cacheDir is the user's cache directory, as os.UserCacheDir finds it,
// or "" when there is none.
func (e environ) cacheDir() string {
	if runtime.GOOS == "darwin" {
		if e.home == "" {
			return ""
		}
		return filepath.Join(e.home, "Library", "Caches")
	}
	if dir := e.get("XDG_CACHE_HOME"); filepath.IsAbs(dir) {
		return dir
	}
	if e.home == "" {
		return ""
	}
	return filepath.Join(e.home, ".cache")
}

// tempDir is $TMPDIR, else /tmp, as os.TempDir finds it.
func (e environ) tempDir() string {
	if dir := e.get("TMPDIR"); dir != "" {
		return dir
	}
	return "/tmp"
}

// with returns the variables with key set to value, for a child.
func (e environ) with(key, value string) []string {
	return setenv(e.vars, key, value)
}

// setenv returns env with key set to value, replacing any earlier value.
func setenv(env []string, key, value string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k != key {
			out = append(out, kv)
		}
	}
	return append(out, key+"="+value)
}

// paths is how messages write paths: relative to the working directory,
// or with ~ for the home directory when it is the user's own (tilde is
// "" otherwise). main sets it from the environ it read.
var paths struct{ wd, home, tilde string }

// setPaths sets how messages write paths, from e.
func setPaths(e environ) {
	paths.wd, paths.home, paths.tilde = e.wd, e.home, ""
	if e.ownHome {
		paths.tilde = e.home
	}
}

// expandHome replaces a leading ~/ with the home directory ($HOME, unlike
// kong's expansion, which reads the password database).
func expandHome(p string) string {
	if (p == "~" || strings.HasPrefix(p, "~/")) && paths.home != "" {
		return filepath.Join(paths.home, p[1:])
	}
	return p
}

// display shortens a file's path for messages: relative to the working
// directory when inside it, else as tilde gives it.
func display(p string) string {
	if paths.wd != "" && filepath.IsAbs(p) {
		if rel, err := filepath.Rel(paths.wd, p); err == nil && rel != "." && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return tilde(p)
}

// tilde writes a path under the home directory with ~, as SSH keys are
// usually spoken of.
func tilde(p string) string {
	if paths.tilde != "" && paths.tilde != "/" {
		if rest, ok := strings.CutPrefix(p, paths.tilde+"/"); ok {
			return "~/" + rest
		}
	}
	return p
}

// isFile reports whether p names an existing file (of any kind).
func isFile(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// applyEnv gives the flags that a variable can stand for their variable's
// value, when the flag was not given and the variable is set and not
// empty (an empty one is as good as unset, as for most programs).
func (c *CLI) applyEnv() error {
	if v := c.env.get("RIGUP_TEMPLATES"); c.Templates == "" && v != "" {
		c.Templates = v
	}
	if v := c.env.get("RIGUP_SECRETS_FILE"); c.Secrets == "" && v != "" {
		c.Secrets = v
	}
	if v := c.env.get("RIGUP_ALLOW_DISK"); !c.AllowDisk && v != "" {
		on, err := envBool("RIGUP_ALLOW_DISK", v)
		if err != nil {
			return err
		}
		c.AllowDisk = on
	}
	if v := c.env.get("RIGUP_USER_CONFIG"); c.UserConfig == nil && v != "" {
		on, err := envBool("RIGUP_USER_CONFIG", v)
		if err != nil {
			return err
		}
		c.UserConfig = &on
	}
	return nil
}

func envBool(name, v string) (bool, error) {
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off":
		return false, nil
	}
	return false, hint(fmt.Errorf("%s=%s is neither true nor false", name, v), "set it to 1 or 0")
}
