// Package guard runs a rig's MCP servers for an agent that must use them
// without being able to read their keys. The servers are defined in a
// private template (tmpl.PrivateDir), rendered into memory only; Start
// runs the remote ones behind a local proxy that adds their credentials,
// and the stdio ones on demand, with their secrets in their own
// environment, behind a relay the agent reaches by name. Config is the
// agent's MCP configuration, which names the proxy and the relay and holds
// no value.
package guard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"rigup-exec/exec"
	"rigup-exec/mcpproxy"
	"rigup-exec/relay"
)

// Server is one MCP server of a private definition, in Claude Code's
// terms: a stdio server (Command, Args, Env, Cwd) or a remote one (Type
// http or sse, URL, Headers).
type Server struct {
	Name    string
	Type    string // stdio, http or sse
	Command string
	Args    []string
	Env     map[string]string
	Cwd     string
	URL     string
	Headers map[string]string
}

// definition is a server as the JSON holds it. Only these fields are
// taken: another field could hold a value that Config would have to copy
// into the agent's configuration, or drop without a word.
type definition struct {
	Type    string            `json:"type"`
	Command string            `json:"command"`
	Args    []string          `json:"args"`
	Env     map[string]string `json:"env"`
	Cwd     string            `json:"cwd"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
}

// Parse reads a private definition: {"mcpServers": {NAME: SERVER, ...}},
// as Claude Code's --mcp-config reads it. Its errors name servers and
// fields, never a value, nor any byte of the text.
func Parse(data []byte) ([]Server, error) {
	var file struct {
		MCPServers map[string]json.RawMessage `json:"mcpServers"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		return nil, jsonError(err)
	}
	if file.MCPServers == nil {
		return nil, errors.New(`no "mcpServers" object`)
	}
	var servers []Server
	for name, raw := range file.MCPServers {
		if !relay.ValidName(name) {
			return nil, fmt.Errorf("server name %q: use 1 to %d letters, digits, dots, dashes or underscores", name, relay.MaxNameLen)
		}
		var d definition
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&d); err != nil {
			return nil, fmt.Errorf("server %s: %w", name, jsonError(err))
		}
		s := Server{Name: name, Type: d.Type, Command: d.Command, Args: d.Args, Env: d.Env, Cwd: d.Cwd, URL: d.URL, Headers: d.Headers}
		if err := s.check(); err != nil {
			return nil, fmt.Errorf("server %s: %w", name, err)
		}
		servers = append(servers, s)
	}
	slices.SortFunc(servers, func(a, b Server) int { return strings.Compare(a.Name, b.Name) })
	return servers, nil
}

// CheckPlaces refuses a definition that puts one of values (the secrets
// the definition was rendered with) where any process can read it: in a
// stdio server's command, arguments or working directory, which
// /proc/PID/cmdline and cwd show to every process of the machine, Landlock
// or not. A server takes its key in env (or a remote one in headers). Its
// error names the server and the field, never the value. Values shorter
// than 4 bytes are not looked for: they would match by chance.
func CheckPlaces(servers []Server, values []string) error {
	for _, s := range servers {
		if s.Type != "stdio" {
			continue
		}
		fields := map[string][]string{"command": {s.Command}, "args": s.Args, "cwd": {s.Cwd}}
		for _, field := range []string{"command", "args", "cwd"} {
			for _, text := range fields[field] {
				for _, v := range values {
					if len(v) >= 4 && strings.Contains(text, v) {
						return fmt.Errorf("server %s: a secret in its %s, which /proc shows to every process: pass it in env", s.Name, field)
					}
				}
			}
		}
	}
	return nil
}

// jsonError describes a decoding error without quoting the input: a
// syntax error's message shows the offending character, which may be one
// of a secret's.
func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Errorf("not valid JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		return fmt.Errorf("%s: a JSON %s where another type belongs", typ.Field, typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return fmt.Errorf("%s: not a field a private definition may have", strings.TrimPrefix(err.Error(), "json: unknown field "))
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("not valid JSON: it ends too soon")
	}
	return errors.New("not valid JSON")
}

func (s *Server) check() error {
	remote := s.URL != "" || len(s.Headers) > 0
	stdio := s.Command != "" || len(s.Args) > 0 || len(s.Env) > 0 || s.Cwd != ""
	switch {
	case remote && stdio:
		return errors.New("both a command and a url")
	case s.Type == "":
		s.Type = "stdio"
		if remote {
			s.Type = "http"
		}
	}
	switch s.Type {
	case "stdio":
		if s.Command == "" {
			return errors.New("a stdio server without a command")
		}
	case "http", "sse":
		if s.URL == "" {
			return fmt.Errorf("an %s server without a url", s.Type)
		}
		u, err := url.Parse(s.URL)
		if err != nil || u.Host == "" || u.Scheme != "https" && u.Scheme != "http" {
			return errors.New("the url is not an http or https URL")
		}
		if u.Scheme == "http" {
			// Even to this machine: whatever listens on that port
			// gets the key, and any process of the user can listen
			// there while the server is not.
			return errors.New("plain http would send its headers in clear to whatever listens there: use https")
		}
	default:
		return fmt.Errorf("type %q: stdio, http or sse", s.Type)
	}
	return nil
}

// Options are what Start needs from the run.
type Options struct {
	// Self is the rigup-exec the agent runs as its relay.
	Self string
	// Socket is where the relay's socket is made: in a directory of the
	// user's that others cannot enter.
	Socket string
	// Env is the environment a stdio server starts from (the agent's);
	// its own variables are set over it. Its PATH finds a command that is
	// not an absolute path.
	Env []string
	// Stderr receives what the stdio servers write there.
	Stderr io.Writer
	// Proxy tunes the proxy: the certificates upstreams are checked with.
	Proxy mcpproxy.Options
}

// Guard is the running proxy and relay of a set of servers.
type Guard struct {
	servers []Server
	self    string
	socket  string
	proxy   *mcpproxy.Proxy
	relay   *relay.Supervisor
	stdio   []relay.Server
}

// Start starts what servers need: the proxy if one is remote, the relay
// if one is stdio. Nothing of a stdio server runs before the agent asks
// for it.
func Start(servers []Server, opt Options) (g *Guard, err error) {
	g = &Guard{servers: servers, self: opt.Self, socket: opt.Socket}
	defer func() {
		if err != nil {
			g.Close()
		}
	}()
	var remote []mcpproxy.Server
	var stdio []relay.Server
	for _, s := range servers {
		switch s.Type {
		case "stdio":
			rs, err := stdioServer(s, opt.Env)
			if err != nil {
				return nil, fmt.Errorf("server %s: %w", s.Name, err)
			}
			stdio = append(stdio, rs)
		default:
			u, _ := url.Parse(s.URL) // checked by Parse
			h := http.Header{}
			for k, v := range s.Headers {
				h.Set(k, v)
			}
			if s.Type == "sse" {
				// The old HTTP+SSE transport posts its messages to
				// an endpoint the stream names, beside the stream's
				// path: the upstream is the origin, so that both are
				// under it, and the stream's path goes on the agent's
				// URL (see mcpproxy).
				u.Path, u.RawPath = "", ""
			}
			remote = append(remote, mcpproxy.Server{Name: s.Name, Upstream: u, Header: h})
		}
	}
	if len(remote) > 0 {
		if g.proxy, err = mcpproxy.Start(remote, opt.Proxy); err != nil {
			return nil, fmt.Errorf("starting the MCP proxy: %w", err)
		}
	}
	g.stdio = stdio
	if len(stdio) > 0 {
		if g.relay, err = relay.Listen(opt.Socket, stdio, relay.Options{Stderr: opt.Stderr}); err != nil {
			return nil, fmt.Errorf("starting the MCP relay: %w", err)
		}
	}
	return g, nil
}

// stdioServer is s as the relay starts it: the command found, its links
// resolved now, before the agent runs (it could point a link of the user's
// elsewhere), the environment complete.
func stdioServer(s Server, env []string) (relay.Server, error) {
	path := s.Command
	if !filepath.IsAbs(path) {
		var err error
		if path, err = exec.LookPath(s.Command, getenv(env, "PATH")); err != nil {
			return relay.Server{}, fmt.Errorf("command %s not found", s.Command)
		}
	}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	full := slices.Clone(env)
	names := make([]string, 0, len(s.Env))
	for k := range s.Env {
		names = append(names, k)
	}
	slices.Sort(names)
	// Python would run code from the user's site-packages, which the
	// agent can write; the definition may still set it otherwise.
	full = setenv(full, "PYTHONNOUSERSITE", "1")
	for _, k := range names {
		full = setenv(full, k, s.Env[k])
	}
	return relay.Server{Name: s.Name, Path: path, Args: s.Args, Env: full, Dir: s.Cwd}, nil
}

func getenv(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v
		}
	}
	return ""
}

func setenv(env []string, key, value string) []string {
	out := slices.DeleteFunc(env, func(kv string) bool { k, _, _ := strings.Cut(kv, "="); return k == key })
	return append(out, key+"="+value)
}

// Warnings says, for each stdio server whose program the user can
// change (it, or its directory, is the user's or writable by others), that
// the agent could change it too, and have the server hand over its key
// when the relay starts it.
func (g *Guard) Warnings() []string {
	var out []string
	for _, s := range g.stdio {
		if who := changeable(s.Path); who != "" {
			out = append(out, fmt.Sprintf("MCP server %s runs %s, which %s: so can the agent, and have the server hand over its key (a program of a multi-user Nix store is safe)", s.Name, s.Path, who))
		}
	}
	return out
}

// changeable says who, besides root, can change the program at path, or
// "" if no one can: the user if the program is theirs (they can chmod it)
// or its directory is theirs and writable, anyone if either is writable by
// group or others (a sticky directory only by its entries' owners).
func changeable(path string) string {
	who := func(p string, file bool) string {
		info, err := os.Stat(p)
		if err != nil {
			return "cannot be checked"
		}
		st, ok := info.Sys().(*syscall.Stat_t)
		if !ok {
			return "cannot be checked"
		}
		perm := info.Mode().Perm()
		switch {
		case file && int(st.Uid) == os.Geteuid():
			return "you own"
		case !file && int(st.Uid) == os.Geteuid() && perm&0o200 != 0:
			return "is in a directory you can write to"
		case perm&0o022 != 0 && (file || info.Mode()&os.ModeSticky == 0):
			return "others can write to"
		}
		return ""
	}
	if w := who(path, true); w != "" {
		return w
	}
	return who(filepath.Dir(path), false)
}

// Config is the agent's MCP configuration: each stdio server runs as
// "rigup-exec relay --socket SOCKET NAME", each remote one is the proxy's
// URL for it. It holds no value of any definition.
func (g *Guard) Config() []byte {
	type entry struct {
		Type    string   `json:"type"`
		Command string   `json:"command,omitempty"`
		Args    []string `json:"args,omitempty"`
		URL     string   `json:"url,omitempty"`
	}
	servers := map[string]entry{}
	for _, s := range g.servers {
		if s.Type == "stdio" {
			servers[s.Name] = entry{Type: "stdio", Command: g.self, Args: []string{"relay", "--socket", g.socket, s.Name}}
		} else {
			local := g.proxy.URL(s.Name)
			if s.Type == "sse" {
				u, _ := url.Parse(s.URL)
				local += u.EscapedPath()
			}
			servers[s.Name] = entry{Type: s.Type, URL: local}
		}
	}
	out, _ := json.MarshalIndent(map[string]any{"mcpServers": servers}, "", "  ")
	return append(out, '\n')
}

// Close stops the proxy and the relay, and the servers they run.
func (g *Guard) Close() error {
	var errs []error
	if g.proxy != nil {
		errs = append(errs, g.proxy.Close())
	}
	if g.relay != nil {
		errs = append(errs, g.relay.Close())
	}
	return errors.Join(errs...)
}
