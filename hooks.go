package main

import "os"

// Test hooks, set by hooks_e2e.go in a build for the end-to-end tests
// (-tags rigup_e2e), nil otherwise.
var (
	// testHookPrepared is called once the directory is ready and before
	// the child starts; a signal it returns is taken as one that arrived
	// then.
	testHookPrepared func(dir string) os.Signal
	// testHookWrite is called at each step of replacing a project's file,
	// so that a test can kill rigup-exec there.
	testHookWrite func(file, step string)
)
