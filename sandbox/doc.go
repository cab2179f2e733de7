// Package sandbox puts a program and its descendants into a Landlock domain,
// so that they cannot reach into the processes outside it that hold secrets,
// even when those run as the same user.
//
// # Use
//
// Go cannot run code between fork and exec, so the supervisor starts itself
// again (/proc/self/exe with a hidden subcommand); that process calls
// [Enter] and then syscall.Exec's the agent. The supervisor and every
// process it starts itself (MCP servers) stay outside the domain. [Probe]
// says what Enter would do, without doing it.
//
// # What the domain isolates
//
// A process in the domain, whatever its uid:
//   - cannot ptrace a process outside it, nor open that process's
//     /proc/PID/mem, environ or maps (but see Root below);
//   - with Landlock ABI 6 (Linux 6.12) or later, cannot send it a signal,
//     nor connect to an abstract unix socket it bound.
//
// Its own descendants share the domain (or nest in it), so it can still do
// all of this to them. Signals from outside into the domain are not
// restricted, nor are files, pathname unix sockets and the network; and
// /proc/PID/cmdline stays readable, so no secret belongs in an argument.
//
// # Root
//
// A process in the domain that holds CAP_SYS_ADMIN or CAP_PERFMON, as root
// does, can still open /proc/PID/environ and maps (the files the kernel
// guards with a read-mode ptrace check) of processes outside it; mem and
// ptrace stay denied. This was seen on Linux 6.18, and [Status.Privileged]
// reports it. Root has other ways around Landlock besides (kernel modules,
// BPF programs that read any memory), so the domain is a boundary only
// against an agent that runs as an ordinary user.
//
// # What it costs the agent
//
// Enter sets no_new_privs, which Landlock requires of a process without
// CAP_SYS_ADMIN: set-user-ID programs (sudo, su) no longer gain privileges.
//
// With ABI 6 or later the domain only has the two scopes and handles no
// file or network access right, so files, mounts (a bubblewrap sandbox of
// the agent's own, in a user namespace) and nested Landlock domains work as
// before.
//
// With ABI 2 to 5 there are no scopes, and a ruleset must handle at least
// one access right. Enter handles two and takes neither away:
//   - making block devices (LANDLOCK_ACCESS_FS_MAKE_BLOCK), which only a
//     process with CAP_MKNOD can do anyway;
//   - moving a file to another directory (LANDLOCK_ACCESS_FS_REFER), allowed
//     again beneath /. A domain that handles any file access right but not
//     this one makes every rename and link into another directory fail with
//     EXDEV.
//
// Handling a file access right has a cost no rule lifts: Landlock then
// denies mount, umount and pivot_root, so a sandbox of the agent's own that
// mounts fails. Handling every right and allowing all of them beneath /
// would cost the same, and add a check to every file opened.
//
// ABI 1 (Linux 5.13 to 5.18) cannot handle REFER, so its domain would break
// moves between directories: there Enter does nothing and says so.
//
// # Threads
//
// A Landlock domain and no_new_privs belong to a thread. Enter applies both
// to every thread of the process (syscall.AllThreadsSyscall), so that a
// program started by any thread starts restricted. But each thread gets a
// domain of its own, and the scopes keep them apart: a thread cannot signal
// a child that another thread started. So Enter also locks the calling
// goroutine to its thread, and the caller should exec from that goroutine
// at once: the program executed then has that thread's domain alone, and
// so have all its descendants. In a cgo program, where Go cannot make a
// system call on every thread, Enter restricts the calling thread alone and
// says so in [Status.AllThreads]. (Newer kernels can put every thread into
// one domain, with LANDLOCK_RESTRICT_SELF_TSYNC; Enter does not use it.)
//
// # Execute-only copies
//
// The kernel makes a process non-dumpable when it runs a file the process
// cannot read, and then other processes of the same user can neither ptrace
// it nor read its /proc/PID/environ, mem or maps. [ExecOnlyCopy] makes such
// a copy (mode 0111) of a program the supervisor starts outside the domain,
// which protects it where Landlock is missing. The protection covers that
// process alone: its children run readable programs and are dumpable again,
// with the same environment (an interpreter such as node or python is
// protected, what it starts is not). It does nothing against root, which
// may read any file, and cannot serve a script, which its interpreter must
// read.
package sandbox
