// Command rigup-exec-guard runs a rig's private MCP servers for
// rigup-exec, outside the reach of the agent rigup-exec runs: the remote
// ones behind a local proxy that adds their credentials, the stdio ones
// behind a relay. rigup-exec starts it and speaks to it as package
// guard/wire says; it is not meant to be run by hand.
package main

import (
	"bufio"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"rigup-exec/guard"
	"rigup-exec/guard/wire"
	"rigup-exec/mcpproxy"
)

func main() {
	harden()
	// The terminal's signals are rigup-exec's to handle; the guard ends
	// when its input does.
	signal.Ignore(syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTSTP, syscall.SIGHUP, syscall.SIGPIPE)
	os.Exit(run(os.Stdin, os.Stdout))
}

func run(in io.Reader, out io.Writer) int {
	r := bufio.NewReader(in)
	line, err := r.ReadBytes('\n')
	if err != nil {
		return answer(out, wire.Response{Error: "no request from rigup-exec"})
	}
	var req wire.Request
	err = json.Unmarshal(line, &req)
	clear(line)
	if err != nil {
		return answer(out, wire.Response{Error: "a request rigup-exec-guard cannot read: are rigup-exec and rigup-exec-guard from the same build?"})
	}
	// The certificates upstreams are checked with are read now, before
	// the agent runs: Go would read SSL_CERT_FILE and SSL_CERT_DIR at the
	// first connection, when the agent could have changed what they name.
	roots, err := x509.SystemCertPool()
	if err != nil {
		return answer(out, wire.Response{Error: fmt.Sprintf("the system's certificates: %v", err)})
	}
	var guards []*guard.Guard
	defer func() {
		for _, g := range guards {
			g.Close()
		}
	}()
	var resp wire.Response
	for _, d := range req.Definitions {
		servers, err := guard.Parse(d.Data)
		clear(d.Data)
		if err == nil {
			err = guard.CheckPlaces(servers, d.Values)
		}
		if err == nil {
			var g *guard.Guard
			g, err = guard.Start(servers, guard.Options{
				Self: req.Self, Socket: d.Socket, Env: os.Environ(), Stderr: os.Stderr,
				Proxy: mcpproxy.Options{RootCAs: roots},
			})
			if err == nil {
				guards = append(guards, g)
				resp.Configs = append(resp.Configs, g.Config())
				resp.Warnings = append(resp.Warnings, g.Warnings()...)
				continue
			}
		}
		return answer(out, wire.Response{Error: fmt.Sprintf("%s: %v", d.Name, err)})
	}
	if answer(out, resp) != 0 {
		return 1
	}
	// Until rigup-exec closes the pipe, or dies.
	io.Copy(io.Discard, r)
	return 0
}

// answer writes resp as a line of JSON, and returns the exit status that
// goes with it.
func answer(out io.Writer, resp wire.Response) int {
	data, _ := json.Marshal(resp)
	if _, err := out.Write(append(data, '\n')); err != nil || resp.Error != "" {
		return 1
	}
	return 0
}
