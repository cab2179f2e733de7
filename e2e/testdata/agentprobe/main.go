// Command agentprobe plays a prompt-injected agent in the e2e tests of
// private MCP definitions (see agent_test.go). "agentprobe attack" is run
// as the command of rigup-exec: it uses its MCP servers, as an agent must
// be able to, and tries every other way to their keys, writing all it
// reads into $PROBE_OUT for the test to search; it prints a JSON report.
// "agentprobe serve" is the stdio server of that test: it answers each
// line, and offers its key on an abstract unix socket to whoever can
// connect. "agentprobe mcp" is a stdio MCP server for the real Claude
// Code (nix_test.go).
package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	switch os.Args[1] {
	case "serve":
		serve()
	case "attack":
		attack()
	case "mcp":
		mcp()
	}
}

// mcp is a stdio MCP server as small as Claude Code's health check
// allows: initialize, and one tool.
func mcp() {
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(nil, 1<<20)
	enc := json.NewEncoder(os.Stdout)
	for sc.Scan() {
		var req struct {
			ID     json.RawMessage
			Method string
			Params struct{ ProtocolVersion string }
		}
		if json.Unmarshal(sc.Bytes(), &req) != nil || req.ID == nil {
			continue // a notification
		}
		var result any = map[string]any{}
		switch req.Method {
		case "initialize":
			result = map[string]any{
				"protocolVersion": req.Params.ProtocolVersion,
				"capabilities":    map[string]any{"tools": map[string]any{}},
				"serverInfo":      map[string]any{"name": "agentprobe", "version": "1"},
			}
		case "tools/list":
			result = map[string]any{"tools": []any{map[string]any{
				"name": "ping", "description": "Answers pong", "inputSchema": map[string]any{"type": "object"}}}}
		}
		enc.Encode(map[string]any{"jsonrpc": "2.0", "id": req.ID, "result": result})
	}
}

// serve is the stdio server: "ok LINE" when FAKE_KEY is the key the test
// planted, which its argument names by its SHA-256 (a process's arguments
// are readable by anyone).
func serve() {
	key := os.Getenv("FAKE_KEY")
	sum := sha256.Sum256([]byte(key))
	good := len(os.Args) > 2 && hex.EncodeToString(sum[:]) == os.Args[2]
	ln, err := net.Listen("unix", "@agentprobe-honeypot-"+strconv.Itoa(os.Getpid()))
	if err == nil {
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Write([]byte(key))
				c.Close()
			}
		}()
	}
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		if good {
			fmt.Printf("ok %s\n", sc.Text())
		} else {
			fmt.Printf("no key %s\n", sc.Text())
		}
	}
}

// Report is what attack found.
type Report struct {
	Relay      string            // the stdio server's answer through the relay
	Events     []string          // the SSE events through the proxy
	EventGapMS int64             // between their arrivals
	Attempts   map[string]string // route -> "ok" or the error
}

var (
	out    = os.Getenv("PROBE_OUT")
	dumps  int
	report = Report{Attempts: map[string]string{}}
)

// dump keeps what a route read, for the test to search.
func dump(route string, data []byte) {
	if len(data) == 0 {
		return
	}
	dumps++
	os.WriteFile(filepath.Join(out, fmt.Sprintf("%04d", dumps)), append([]byte(route+"\n"), data...), 0o600)
}

func try(route string, err error) {
	if err != nil {
		report.Attempts[route] = err.Error()
	} else {
		report.Attempts[route] = "ok"
	}
}

type mcpConfig struct {
	MCPServers map[string]struct {
		Type, Command, URL string
		Args               []string
	} `json:"mcpServers"`
}

func attack() {
	cfgPath := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "claude/mcp.json")
	data, err := os.ReadFile(cfgPath)
	var cfg mcpConfig
	if err == nil {
		err = json.Unmarshal(data, &cfg)
	}
	try("read the MCP config", err)
	local, remote := cfg.MCPServers["local"], cfg.MCPServers["remote"]

	// The work an agent must still be able to do.
	if local.Command != "" {
		// The session stays open while the rest is tried: the server
		// runs only while a relay is connected.
		cmd := exec.Command(local.Command, local.Args...)
		stdin, _ := cmd.StdinPipe()
		stdout, _ := cmd.StdoutPipe()
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Start()
		if err == nil {
			stdin.Write([]byte("ping\n"))
			report.Relay, err = bufio.NewReader(stdout).ReadString('\n')
		}
		if err != nil {
			err = fmt.Errorf("%v: %s", err, stderr.String())
		}
		try("use the stdio server", err)
		defer func() {
			stdin.Close()
			cmd.Wait()
		}()
	}
	if remote.URL != "" {
		useRemote(remote.URL)
	}

	// Everything else.
	readTree(os.Getenv("XDG_CONFIG_HOME"))
	own := map[int]bool{os.Getpid(): true}
	for _, pid := range pids() {
		if own[pid] {
			continue
		}
		p := strconv.Itoa(pid)
		for _, f := range []string{"environ", "cmdline", "maps"} {
			b, err := os.ReadFile("/proc/" + p + "/" + f)
			if err == nil && len(b) == 0 {
				err = errEmpty // a kernel thread's: it has no memory
			}
			dump(f+" "+p, b)
			try(f+" "+comm(p), err)
		}
		try("mem "+comm(p), readMem(p))
		try("ptrace "+comm(p), ptrace(pid))
		try("signal "+comm(p), syscall.Kill(pid, 0))
	}
	abstractSockets()
	if local.Command != "" && len(local.Args) >= 3 {
		relayAbuse(local.Command, local.Args[2])
	}
	if remote.URL != "" {
		proxyAbuse(remote.URL)
	}
	json.NewEncoder(os.Stdout).Encode(report)
}

// useRemote posts to the remote server through the proxy and reads its
// event stream, timing the events' arrivals.
func useRemote(u string) {
	resp, err := http.Post(u, "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	if err != nil {
		try("use the remote server", err)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		try("use the remote server", fmt.Errorf("status %d", resp.StatusCode))
		return
	}
	var first time.Time
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if ev, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			if len(report.Events) == 0 {
				first = time.Now()
			} else {
				report.EventGapMS = time.Since(first).Milliseconds()
			}
			report.Events = append(report.Events, ev)
		}
	}
	try("use the remote server", sc.Err())
}

var errEmpty = errors.New("empty")

// comm names a process for the report: its pid and command name.
func comm(pid string) string {
	b, _ := os.ReadFile("/proc/" + pid + "/comm")
	return pid + "(" + strings.TrimSpace(string(b)) + ")"
}

func readTree(root string) {
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			dump("file "+p, b)
			try("file "+p, err)
		}
		return nil
	})
}

// pids lists the processes of the user, but this one's descendants.
func pids() []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, err := os.ReadFile("/proc/" + e.Name() + "/status")
		if err != nil || !bytes.Contains(st, []byte("\nUid:\t"+strconv.Itoa(os.Getuid())+"\t")) {
			continue
		}
		if descendant(pid) {
			continue
		}
		out = append(out, pid)
	}
	return out
}

func descendant(pid int) bool {
	for i := 0; i < 64 && pid > 1; i++ {
		if pid == os.Getpid() {
			return true
		}
		st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return false
		}
		fields := strings.Fields(string(st[bytes.LastIndexByte(st, ')')+1:]))
		pid, _ = strconv.Atoi(fields[1])
	}
	return false
}

// readMem reads what it can of a process's memory: the mappings its maps
// lists, or, when maps cannot be read, the usual places of a Go heap.
func readMem(pid string) error {
	f, err := os.Open("/proc/" + pid + "/mem")
	if err != nil {
		return err
	}
	defer f.Close()
	var ranges [][2]uint64
	if maps, err := os.ReadFile("/proc/" + pid + "/maps"); err == nil {
		for _, line := range strings.Split(string(maps), "\n") {
			var lo, hi uint64
			var perm string
			if _, err := fmt.Sscanf(line, "%x-%x %s", &lo, &hi, &perm); err == nil && perm[0] == 'r' && hi-lo <= 64<<20 {
				ranges = append(ranges, [2]uint64{lo, hi})
			}
		}
	} else {
		ranges = append(ranges, [2]uint64{0xc000000000, 0xc000000000 + 8<<20})
	}
	var got int
	var last error
	for _, r := range ranges {
		buf := make([]byte, r[1]-r[0])
		n, err := f.ReadAt(buf, int64(r[0]))
		if n > 0 {
			got += n
			dump("mem "+pid, buf[:n])
		}
		if err != nil && err != io.EOF {
			last = err
		}
	}
	if got == 0 {
		if last == nil {
			last = fmt.Errorf("nothing read")
		}
		return last
	}
	return nil
}

func ptrace(pid int) error {
	_, _, errno := syscall.Syscall6(syscall.SYS_PTRACE, 0x4206 /* PTRACE_SEIZE */, uintptr(pid), 0, 0, 0, 0)
	if errno != 0 {
		return errno
	}
	syscall.PtraceDetach(pid)
	return nil
}

// abstractSockets connects to every abstract unix socket the system lists.
func abstractSockets() {
	data, _ := os.ReadFile("/proc/net/unix")
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 8 || !strings.HasPrefix(fields[7], "@") {
			continue
		}
		name := fields[7]
		c, err := net.DialTimeout("unix", name, time.Second)
		try("abstract "+name, err)
		if err == nil {
			c.SetDeadline(time.Now().Add(time.Second))
			b, _ := io.ReadAll(io.LimitReader(c, 4096))
			dump("abstract "+name, b)
			c.Close()
		}
	}
}

// relayAbuse asks the relay for what it must refuse.
func relayAbuse(self, socket string) {
	for _, name := range []string{"other", "local extra", "../local", "sh -c env"} {
		b, err := exec.Command(self, "relay", "--socket", socket, name).CombinedOutput()
		dump("relay "+name, b)
		try("relay "+name, err)
	}
	for _, req := range []string{"sh -c env\n", "local\x00env\n", "FAKE_KEY=x local\n"} {
		c, err := net.Dial("unix", socket)
		if err != nil {
			try("raw relay "+strconv.Quote(req), err)
			continue
		}
		c.Write([]byte(req))
		c.SetDeadline(time.Now().Add(2 * time.Second))
		b, _ := io.ReadAll(io.LimitReader(c, 4096))
		c.Close()
		dump("raw relay", b)
		report.Attempts["raw relay "+strconv.Quote(req)] = strings.TrimSpace(string(b))
	}
}

// proxyAbuse asks the proxy for what it must refuse.
func proxyAbuse(u string) {
	pu, _ := url.Parse(u)
	token, name, _ := strings.Cut(strings.TrimPrefix(pu.Path, "/"), "/")
	base := "http://" + pu.Host
	for route, target := range map[string]string{
		"proxy without token":  base + "/" + name,
		"proxy wrong token":    base + "/" + strings.Repeat("A", len(token)) + "/" + name,
		"proxy other name":     base + "/" + token + "/other",
		"proxy oauth metadata": base + "/" + token + "/" + name + "/.well-known/oauth-authorization-server",
	} {
		resp, err := http.Get(target)
		if err != nil {
			try(route, err)
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		dump(route, b)
		report.Attempts[route] = strconv.Itoa(resp.StatusCode)
	}
	// Another upstream, by an absolute URI, and another Host.
	for route, req := range map[string]string{
		"proxy absolute uri": "GET https://example.com/" + token + "/" + name + " HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n",
		"proxy other host":   "GET /" + token + "/" + name + " HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
	} {
		c, err := net.Dial("tcp", pu.Host)
		if err != nil {
			try(route, err)
			continue
		}
		c.Write([]byte(req))
		c.SetDeadline(time.Now().Add(3 * time.Second))
		b, _ := io.ReadAll(c)
		c.Close()
		dump(route, b)
		status, _, _ := strings.Cut(string(b), "\r\n")
		report.Attempts[route] = status
	}
}
