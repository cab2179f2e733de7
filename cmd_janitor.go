package main

import (
	"io"
	"os"

	"rigup-exec/tmpfs"
)

// janitorCmd is the watchdog that --janitor starts: it waits for
// rigup-exec to die, however it dies, and wipes the directory then. Its
// standard input is the read end of a pipe that only rigup-exec holds open.
type janitorCmd struct {
	Dir string `arg:"" help:"The run directory to wipe."`
}

func (j *janitorCmd) Run() error {
	io.Copy(io.Discard, os.Stdin) // returns when rigup-exec is gone
	return tmpfs.Remove(j.Dir)
}
