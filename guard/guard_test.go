package guard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"rigup-exec/mcpproxy"
	"rigup-exec/relay"
)

const secret = "sk-SECRET-value-9f2c"

func TestParse(t *testing.T) {
	servers, err := Parse([]byte(`{"mcpServers": {
		"ctx": {"type": "http", "url": "https://mcp.example.com/mcp", "headers": {"Authorization": "Bearer ` + secret + `"}},
		"events": {"type": "sse", "url": "https://sse.example.com/sse"},
		"fs": {"command": "fs-mcp", "args": ["--root", "/x"], "env": {"API_KEY": "` + secret + `"}},
		"plainurl": {"url": "https://a.example.com/"}
	}}`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range servers {
		got = append(got, s.Name+":"+s.Type)
	}
	if want := "ctx:http events:sse fs:stdio plainurl:http"; strings.Join(got, " ") != want {
		t.Errorf("servers %q, want %s", got, want)
	}
}

func TestParseErrorsHoldNoValue(t *testing.T) {
	for _, tc := range []struct{ json, want string }{
		{`{"mcpServers": {"x": {"command": "a", "token": "` + secret + `"}}}`, `server x: "token": not a field a private definition may have`},
		{`{"mcpServers": {"x": {"command": "a", "env": {"K": ` + secret + `}}}}`, "not valid JSON at byte"},
		{`{"mcpServers": {"x": {"command": "a", "env": {"K": 7}}}}`, "a JSON number where another type belongs"},
		{`{"mcpServers": {"x": {"command": "a", "url": "https://h/"}}}`, "server x: both a command and a url"},
		{`{"mcpServers": {"x": {"type": "http", "url": "ftp://` + secret + `"}}}`, "server x: the url is not an http or https URL"},
		{`{"mcpServers": {"x": {"type": "ws", "url": "https://h/"}}}`, `server x: type "ws": stdio, http or sse`},
		{`{"mcpServers": {"x": {"type": "http", "url": "http://127.0.0.1:8080/mcp", "headers": {"K": "` + secret + `"}}}}`, "server x: plain http would send its headers in clear"},
		{`{"mcpServers": {"a b": {"command": "a"}}}`, `server name "a b"`},
		{`{"servers": {}}`, `no "mcpServers" object`},
		{`{"mcpServers": {"x": {"command": "` + secret, "not valid JSON"},
	} {
		_, err := Parse([]byte(tc.json))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%s): %v, want %q", tc.json, err, tc.want)
			continue
		}
		for _, part := range []string{secret, "SECRET", "sk-", "9f2c"} {
			if strings.Contains(err.Error(), part) {
				t.Errorf("the error %q shows %q", err, part)
			}
		}
	}
}

// fakeServer is a stdio MCP server that answers each line with whether it
// was given the key, never the key itself.
func fakeServer(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "fake-mcp")
	script := "#!/bin/sh\nwhile read -r line; do\n  if [ \"$API_KEY\" = '" + secret + "' ]; then echo \"ok $1 $line\"; else echo \"no key $line\"; fi\ndone\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestGuard(t *testing.T) {
	upstream := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+secret {
			http.Error(w, "no key", http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, "upstream saw %s %s", r.Method, r.URL.Path)
	}))
	defer upstream.Close()
	roots := upstream.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs

	def := `{"mcpServers": {
		"remote": {"type": "http", "url": "` + upstream.URL + `/mcp", "headers": {"Authorization": "Bearer ` + secret + `"}},
		"local": {"command": "` + fakeServer(t) + `", "args": ["--flag"], "env": {"API_KEY": "` + secret + `"}}
	}}`
	servers, err := Parse([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o700)
	socket := filepath.Join(dir, "relay")
	g, err := Start(servers, Options{
		Self: "/path/to/rigup-exec", Socket: socket, Env: []string{"PATH=/usr/bin:/bin"},
		Stderr: io.Discard, Proxy: mcpproxy.Options{RootCAs: roots},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()

	config := g.Config()
	if bytes.Contains(config, []byte(secret)) {
		t.Fatalf("the agent's config holds the secret:\n%s", config)
	}
	var parsed struct {
		MCPServers map[string]struct {
			Type, Command, URL string
			Args               []string
		} `json:"mcpServers"`
	}
	if err := json.Unmarshal(config, &parsed); err != nil {
		t.Fatal(err)
	}
	local, remote := parsed.MCPServers["local"], parsed.MCPServers["remote"]
	if local.Type != "stdio" || local.Command != "/path/to/rigup-exec" || strings.Join(local.Args, " ") != "relay --socket "+socket+" local" {
		t.Errorf("local: %+v", local)
	}
	if remote.Type != "http" || !strings.HasPrefix(remote.URL, "http://127.0.0.1:") {
		t.Errorf("remote: %+v", remote)
	}

	// The stdio server, through the relay, has its key.
	var out bytes.Buffer
	if err := relay.Dial(socket, "local", strings.NewReader("ping\n"), &out); err != nil {
		t.Fatal(err)
	}
	if out.String() != "ok --flag ping\n" {
		t.Errorf("through the relay: %q", out.String())
	}
	// The remote one, through the proxy, gets its header.
	resp, err := http.Post(remote.URL, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "upstream saw POST /mcp" {
		t.Errorf("through the proxy: %d %q", resp.StatusCode, body)
	}
	if err := g.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := os.Lstat(socket); err == nil {
		t.Error("the relay's socket is still there after Close")
	}
}

// A secret in a stdio server's command line or directory would be readable
// in /proc by every process: refused, without the value in the error.
func TestCheckPlaces(t *testing.T) {
	values := []string{secret, "ab"}
	for _, tc := range []struct {
		server Server
		want   string
	}{
		{Server{Name: "a", Type: "stdio", Command: "x", Args: []string{"--key", secret}}, "server a: a secret in its args"},
		{Server{Name: "b", Type: "stdio", Command: "x", Args: []string{"--key=" + secret + "!"}}, "server b: a secret in its args"},
		{Server{Name: "c", Type: "stdio", Command: "/bin/" + secret}, "server c: a secret in its command"},
		{Server{Name: "d", Type: "stdio", Command: "x", Cwd: "/srv/" + secret}, "server d: a secret in its cwd"},
		{Server{Name: "e", Type: "stdio", Command: "x", Args: []string{"--flag", "ab"}, Env: map[string]string{"K": secret}}, ""},
		{Server{Name: "f", Type: "http", URL: "https://h/?key=" + secret, Headers: map[string]string{"K": secret}}, ""},
	} {
		err := CheckPlaces([]Server{tc.server}, values)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.server.Name, err)
		case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)):
			t.Errorf("%s: %v, want %q", tc.server.Name, err, tc.want)
		case err != nil && strings.Contains(err.Error(), secret):
			t.Errorf("%s: the error shows the value", tc.server.Name)
		}
	}
}

// A program the user can change is one the agent can change: warned about.
func TestWarnings(t *testing.T) {
	dir := t.TempDir()
	os.Chmod(dir, 0o700)
	servers := []Server{{Name: "mine", Type: "stdio", Command: fakeServer(t)}, {Name: "system", Type: "stdio", Command: "/bin/sh"}}
	g, err := Start(servers, Options{Self: "/x", Socket: filepath.Join(dir, "relay"), Env: []string{"PATH=/usr/bin:/bin"}, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	got := strings.Join(g.Warnings(), "\n")
	if !strings.Contains(got, "MCP server mine runs ") || !strings.Contains(got, "which you own: so can the agent") {
		t.Errorf("warnings:\n%s\nwant one for the program in a temporary directory", got)
	}
	if root := os.Geteuid() == 0; strings.Contains(got, "MCP server system") != root {
		t.Errorf("warnings:\n%s\nwant one for /bin/sh only as root (it is root's)", got)
	}
}

// An sse server (the old HTTP+SSE transport): the stream names where to
// post messages, and that endpoint is reached through the proxy too.
func TestGuardSSE(t *testing.T) {
	upstream := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != secret {
			http.Error(w, "no key", http.StatusUnauthorized)
			return
		}
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/v1/sse":
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, "event: endpoint\ndata: /v1/messages?session=s1\n\n")
		case r.Method == http.MethodPost && r.URL.Path == "/v1/messages":
			fmt.Fprintf(w, "message for %s", r.URL.Query().Get("session"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer upstream.Close()
	roots := upstream.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	servers, err := Parse([]byte(`{"mcpServers": {"events": {"type": "sse", "url": "` + upstream.URL + `/v1/sse", "headers": {"X-Api-Key": "` + secret + `"}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	g, err := Start(servers, Options{Self: "/x", Socket: filepath.Join(t.TempDir(), "relay"), Proxy: mcpproxy.Options{RootCAs: roots}})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	var cfg struct {
		MCPServers map[string]struct{ Type, URL string } `json:"mcpServers"`
	}
	json.Unmarshal(g.Config(), &cfg)
	stream := cfg.MCPServers["events"].URL
	if !strings.HasSuffix(stream, "/events/v1/sse") {
		t.Fatalf("the agent's URL %s, want the proxy's for events, then /v1/sse", stream)
	}
	resp, err := http.Get(stream)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	endpoint := ""
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, "data: "); ok {
			endpoint = v
		}
	}
	if !strings.HasPrefix(endpoint, "/") || strings.Contains(endpoint, upstream.URL) {
		t.Fatalf("the stream named the endpoint %q; want a local path (status %d, %v, body %q)", endpoint, resp.StatusCode, resp.Header, body)
	}
	local, _ := url.Parse(stream)
	resp, err = http.Post("http://"+local.Host+endpoint, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "message for s1" {
		t.Errorf("posting to the endpoint: %d %q", resp.StatusCode, body)
	}
}
