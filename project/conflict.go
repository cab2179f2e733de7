package project

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// InConflict reports whether git left the secrets file at path unmerged: a
// merge, rebase or cherry-pick stopped on it, and the file in the work tree
// is one side's, not a merge. It costs a few stats when no such operation
// is under way, and runs git only when one is.
func InConflict(path string) bool {
	gitDir := findGitDir(filepath.Dir(path))
	if gitDir == "" {
		return false
	}
	underway := false
	for _, f := range []string{"MERGE_HEAD", "CHERRY_PICK_HEAD", "REVERT_HEAD", "rebase-merge", "rebase-apply"} {
		if _, err := os.Lstat(filepath.Join(gitDir, f)); err == nil {
			underway = true
			break
		}
	}
	if !underway {
		return false
	}
	// Without the repository's fsmonitor hook: a program of the repository's
	// config must not run while a run is preparing its secrets.
	cmd := exec.Command("git", "-c", "core.fsmonitor=false", "ls-files", "--unmerged", "--", filepath.Base(path))
	cmd.Dir = filepath.Dir(path)
	out, err := cmd.Output()
	return err == nil && len(bytes.TrimSpace(out)) > 0
}

// findGitDir returns the git directory of the work tree dir is in: its
// .git directory, or where a worktree's .git file points; "" outside one.
func findGitDir(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		p := filepath.Join(d, ".git")
		if info, err := os.Stat(p); err == nil {
			if info.IsDir() {
				return p
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return ""
			}
			target, ok := strings.CutPrefix(strings.TrimSpace(string(data)), "gitdir: ")
			if !ok {
				return ""
			}
			if !filepath.IsAbs(target) {
				target = filepath.Join(d, target)
			}
			return target
		}
		if d == filepath.Dir(d) {
			return ""
		}
	}
}
