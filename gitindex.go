package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	osexec "os/exec"
	"path/filepath"

	"rigup-exec/crypto"
	"rigup-exec/exec"
)

// gitStages reads the versions of the secrets file at path that git's
// index holds while a merge of it is in conflict: stage 1, the common
// ancestor (absent when there is none), 2, ours, and 3, theirs. They are
// ciphertext; git is run in the file's directory.
func (c *CLI) gitStages(path string) (versions, error) {
	git, err := exec.LookPath("git", c.env.get("PATH"))
	if err != nil {
		return versions{}, hint(errors.New("git is not installed: rigup-exec secrets merge without files reads the versions of a conflict from git"),
			"as git's merge driver, it takes three files: rigup-exec secrets merge %O %A %B %P")
	}
	dir, name := filepath.Dir(path), filepath.Base(path)
	out, err := c.runGit(git, dir, "ls-files", "--unmerged", "-z", "--", name)
	if err != nil {
		return versions{}, err
	}
	var v versions
	var stages [4]string
	for _, entry := range bytes.Split(out, []byte{0}) {
		// "MODE OBJECT STAGE\tPATH"
		meta, file, ok := bytes.Cut(entry, []byte{'\t'})
		fields := bytes.Fields(meta)
		if !ok || string(file) != name || len(fields) != 3 || len(fields[2]) != 1 || fields[2][0] < '1' || fields[2][0] > '3' {
			continue
		}
		stages[fields[2][0]-'0'] = string(fields[1])
	}
	if stages[2] == "" || stages[3] == "" {
		return v, hint(fmt.Errorf("%s is not in a merge conflict: git's index holds no ours and theirs of it", display(path)),
			"rigup-exec secrets merge without files finishes a merge that git left in conflict")
	}
	for i, dst := range []*[]byte{nil, &v.base, &v.ours, &v.theirs} {
		if dst == nil || stages[i] == "" {
			continue
		}
		if *dst, err = c.runGit(git, dir, "cat-file", "blob", stages[i]); err != nil {
			return v, err
		}
	}
	return v, nil
}

// runGit runs git with args in dir and returns its output, capped at the
// size of a secrets file.
func (c *CLI) runGit(git, dir string, args ...string) ([]byte, error) {
	cmd := osexec.Command(git, append([]string{"-C", dir}, args...)...)
	cmd.Env = c.env.vars
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("running git: %w", err)
	}
	out, readErr := io.ReadAll(io.LimitReader(stdout, crypto.MaxFileSize+1))
	io.Copy(io.Discard, stdout)
	err = cmd.Wait()
	switch {
	case err != nil:
		msg := string(bytes.TrimSpace(stderr.Bytes()))
		if i := bytes.IndexByte([]byte(msg), '\n'); i >= 0 {
			msg = msg[:i]
		}
		return nil, fmt.Errorf("git %s: %v: %s", args[0], err, msg)
	case readErr != nil:
		return nil, fmt.Errorf("git %s: %w", args[0], readErr)
	case len(out) > crypto.MaxFileSize:
		return nil, fmt.Errorf("git %s: more than %d MiB", args[0], crypto.MaxFileSize>>20)
	}
	return out, nil
}
