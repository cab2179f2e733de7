//go:build rigup_e2e

package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// The end-to-end tests build rigup-exec with this file to reach moments
// that are otherwise too short to hit: with RIGUP_E2E_HOLD=1 it says when
// the directory is ready, then holds the child back until a signal comes.
func init() {
	// With RIGUP_E2E_CRASH_AT=STEP or FILE:STEP, rigup-exec dies by
	// SIGKILL at that step of writing a file (that file) atomically.
	testHookWrite = func(file, step string) {
		if at := os.Getenv("RIGUP_E2E_CRASH_AT"); at == step || at == file+":"+step {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
	}
	testHookPrepared = func(dir string) os.Signal {
		if os.Getenv("RIGUP_E2E_HOLD") != "1" {
			return nil
		}
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM, syscall.SIGUSR1)
		fmt.Fprintf(os.Stderr, "e2e: prepared %s\n", dir)
		return <-ch
	}
}
