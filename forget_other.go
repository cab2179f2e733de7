//go:build !goexperiment.runtimesecret

package main

// forgetting runs f. Without GOEXPERIMENT=runtimesecret, the copies of the
// secrets that f's call tree leaves in freed memory stay there until the
// memory is reused; see forget_secret.go.
func forgetting(f func()) { f() }

const forgets = false
