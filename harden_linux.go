package main

import "golang.org/x/sys/unix"

// harden makes rigup-exec non-dumpable before it reads anything secret: no
// core dump of it is written, whatever `ulimit -c` and GOTRACEBACK say, and
// other processes of the same user can neither ptrace it nor read its
// /proc/PID/mem or environ. The flag is reset by execve, so the command it
// runs is not affected.
func harden() {
	unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
}
