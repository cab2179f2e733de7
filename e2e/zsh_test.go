//go:build linux

package e2e

import "testing"

// rigup-exec -- $SHELL with zsh, the default shell on macOS: job control,
// the inner shell's own jobs, suspend and the exit status, as for bash.
func TestJobControlInnerZsh(t *testing.T) {
	require(t, "zsh")
	fx, term, rigup, inner := startInnerShell(t, "zsh", "zsh -f -i")

	sleep := term.innerJob("zsh", "suspended", rigup, inner)
	if alive(sleep.pid) {
		t.Errorf("the inner sleep survived Ctrl-C")
	}

	term.suspendFgExit(rigup.pid, inner.pid)
	fx.noRunDir(t)
	term.noRigupLeft()
}
