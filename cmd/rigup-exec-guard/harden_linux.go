package main

import "golang.org/x/sys/unix"

// harden makes the guard non-dumpable before it reads anything secret: no
// core dump, and other processes of the user can neither ptrace it nor
// read its memory. The servers it starts are not affected (exec resets
// the flag); Landlock keeps the agent from them.
func harden() { unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0) }
