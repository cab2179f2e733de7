// Package exec runs one child program under supervision, so that a wrapper
// can clean up after it and still be invisible to the shell that started it.
//
// # Modes
//
// In transparent mode (the usual case: started by a shell, not a session
// leader) the child stays in the wrapper's process group and session. The
// package never calls setpgid, setsid or tcsetpgrp for it, so keyboard
// signals, Ctrl-Z and fg, bg and kill %1 act on both together, as if the
// wrapper were not there. An interactive child shell makes its own process
// group and takes the terminal by itself.
//
// In init mode (the wrapper is PID 1 or a session leader: docker run -t, a
// tmux pane, setsid) the child gets its own process group and, when the
// wrapper owns the terminal, the foreground; the foreground is given back
// when the child exits. As PID 1 the wrapper also reaps orphans. Without
// the wrapper, the child's group would be orphaned and Ctrl-Z would stop
// nobody; with it, the group is not (the wrapper is its parent, in the same
// session), so the wrapper continues a child stopped by Ctrl-Z at once, and
// other stopped members of its group (a grandchild, or a shell's child
// caught between vfork and exec, which it cannot see stop) within a second.
//
// # Signals
//
// [Watch] must be called before anything worth cleaning up exists: from then
// on HUP, INT, QUIT, TERM, USR1, USR2, ALRM and WINCH no longer kill the
// wrapper. [Run] forwards each to the child exactly once, except INT, QUIT
// and WINCH while the wrapper and the child share the terminal's foreground
// process group in transparent mode: the terminal already delivered those
// to both. HUP and INT stay ignored if they were ignored at start (nohup,
// a non-interactive shell's background job); Go cannot tell for the others.
// URG (Go's preemption), CHLD, PIPE and PROF are never forwarded, and PIPE no
// longer kills the wrapper: its writes fail with EPIPE instead. TSTP, TTIN,
// TTOU and CONT are not caught, so Ctrl-Z stops the wrapper with its job;
// when the child stops alone (an inner shell's suspend), the wrapper stops
// itself too, so that the outer shell gets the terminal back, and continues
// the child when it is continued.
//
// # Exit status
//
// A child that exits gives its status. A child killed by a signal is
// reported as such; [Reraise] then lets the wrapper die the same death, so
// that a calling shell sees exactly what it would have seen without it (bash
// ends a script on Ctrl-C only when its child died of SIGINT).
package exec
