package main

import (
	"fmt"
	"runtime"
	"syscall"

	"rigup-exec/sandbox"
)

// sandboxCmd is the step between rigup-exec and an agent whose MCP servers
// it keeps out of the agent's reach: it enters a Landlock domain, which
// rigup-exec and the servers are outside of, and executes the agent.
type sandboxCmd struct {
	Path    string   `required:"" help:"The program to execute."`
	Command []string `arg:"" passthrough:"" help:"Its arguments, the first its name."`
}

func (s *sandboxCmd) Run(cli *CLI) error {
	argv := s.Command
	if len(argv) > 0 && argv[0] == "--" {
		argv = argv[1:]
	}
	if len(argv) == 0 {
		return fmt.Errorf("no command to run")
	}
	// The capabilities go from this thread, the one that enters the
	// domain and executes the command.
	runtime.LockOSThread()
	if err := sandbox.DropReadCaps(); err != nil {
		return fmt.Errorf("dropping CAP_SYS_ADMIN and CAP_PERFMON: %w", err)
	}
	st, err := sandbox.Enter()
	if err != nil {
		return fmt.Errorf("entering the Landlock domain: %w", err)
	}
	if !st.Entered {
		return fmt.Errorf("no Landlock domain: %s", st.Reason)
	}
	return fmt.Errorf("running %s: %w", argv[0], syscall.Exec(s.Path, argv, cli.env.vars))
}
