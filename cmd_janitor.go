package main

import (
	"io"
	"os"
	"syscall"

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

// startJanitor starts the watchdog for dir in a session of its own, where
// no terminal signal reaches it. It lives until rigup-exec exits; the pipe
// end that keeps it waiting is close-on-exec, so the child cannot hold it.
func startJanitor(dir string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	p, err := os.StartProcess(exe, []string{"rigup-exec", "janitor", dir}, &os.ProcAttr{
		Dir:   "/", // holds no directory of the user's busy
		Files: []*os.File{r},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	})
	if err != nil {
		w.Close()
		return err
	}
	p.Release()
	lifeline = w
	return nil
}

// lifeline is the write end of the janitor's pipe, open until exit.
var lifeline *os.File
