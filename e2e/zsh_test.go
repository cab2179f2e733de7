package e2e

import "testing"

// rigup-exec -- $SHELL with zsh, the default shell on macOS: job control,
// the inner shell's own jobs, suspend and the exit status, as for bash.
func TestJobControlInnerZsh(t *testing.T) {
	require(t, "zsh")
	fx, term, rigup, inner := startInnerShell(t, "zsh", "zsh -f -i")

	term.run("sleep 30")
	sleep := term.waitProc("sleep", "zsh", func(p proc) bool { return p.ppid == inner.pid })
	term.send("\x1a")
	term.expect("suspended")
	term.innerPrompt()
	term.waitState("stopped", stopped, sleep.pid)
	term.waitState("running", running, rigup.pid, inner.pid)
	term.run("fg")
	term.waitState("running", running, sleep.pid)
	term.send("\x03")
	term.innerPrompt()
	if alive(sleep.pid) {
		t.Errorf("the inner sleep survived Ctrl-C")
	}

	term.suspendFgExit(rigup.pid, inner.pid)
	fx.noRunDir(t)
	term.noRigupLeft()
}
