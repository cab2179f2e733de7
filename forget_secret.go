//go:build goexperiment.runtimesecret

package main

import "runtime/secret"

// forgetting runs f so that every temporary of its call tree (registers,
// stack, and heap allocations once the garbage collector finds them
// unreachable) is erased: the decrypted file, the TOML decoder's and age's
// buffers, the rendered bytes. Built with GOEXPERIMENT=runtimesecret, on
// linux/amd64 and linux/arm64.
func forgetting(f func()) { secret.Do(f) }

const forgets = true
