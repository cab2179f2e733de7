//go:build cgo && goexperiment.runtimesecret

package main

// runtime/secret cannot run C code: os/user's lookups through libc, in the
// preparation of a run, crash the process. Build with CGO_ENABLED=0, as
// the Nix package, the tests and bench/run do; os/user then reads
// /etc/passwd and /etc/group itself.
var _ = build_rigup_exec_with_CGO_ENABLED_0_when_GOEXPERIMENT_is_runtimesecret
