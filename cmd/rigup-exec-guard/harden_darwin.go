package main

import "golang.org/x/sys/unix"

// harden keeps the guard from dumping core on macOS, which has no
// non-dumpable flag. Unlike rigup-exec's own, the limit may be inherited:
// the guard's children are the MCP servers, which hold the same secrets.
func harden() { unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{}) }
