package mcpproxy

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestStartRefusesBadServers(t *testing.T) {
	mustURL := func(s string) *url.URL {
		u, err := url.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	good := mustURL("https://mcp.example.com/mcp")
	// Values a careless error text could quote: none may appear in one.
	const leak = "sk-leak-0123456789"
	tests := []struct {
		name     string
		servers  []Server
		loopback bool
		want     string
	}{
		{"none", nil, false, "no servers"},
		{"empty name", []Server{{Upstream: good}}, false, "server 0: name must be 1 to 64 bytes"},
		{"long name", []Server{{Name: strings.Repeat("a", 65), Upstream: good}}, false, "1 to 64 bytes"},
		{"dot", []Server{{Name: ".", Upstream: good}}, false, `must not be "." or ".."`},
		{"dot dot", []Server{{Name: "..", Upstream: good}}, false, `must not be "." or ".."`},
		{"slash in name", []Server{{Name: "a/b", Upstream: good}}, false, "ASCII letters"},
		{"escape in name", []Server{{Name: "a%2f", Upstream: good}}, false, "ASCII letters"},
		{"space in name", []Server{{Name: "a b", Upstream: good}}, false, "ASCII letters"},
		{"duplicate", []Server{{Name: "a", Upstream: good}, {Name: "a", Upstream: good}}, false, `server "a": duplicate name`},
		{"no upstream", []Server{{Name: "a"}}, false, `server "a": no upstream URL`},
		{"plain http", []Server{{Name: "a", Upstream: mustURL("http://mcp.example.com/" + leak)}}, false, "must use https"},
		{"plain http off loopback", []Server{{Name: "a", Upstream: mustURL("http://10.0.0.1/" + leak)}}, true, "loopback"},
		{"plain http to a name", []Server{{Name: "a", Upstream: mustURL("http://localhost.example.com/")}}, true, "loopback"},
		{"other scheme", []Server{{Name: "a", Upstream: mustURL("ftp://mcp.example.com/")}}, false, "must use https"},
		{"user info", []Server{{Name: "a", Upstream: mustURL("https://user:" + leak + "@mcp.example.com/")}}, false, "user name or password"},
		{"fragment", []Server{{Name: "a", Upstream: mustURL("https://mcp.example.com/mcp#" + leak)}}, false, "fragment"},
		{"opaque", []Server{{Name: "a", Upstream: mustURL("https:" + leak)}}, false, "not hierarchical"},
		{"no host", []Server{{Name: "a", Upstream: mustURL("https:///" + leak)}}, false, "no host"},
		{"relative", []Server{{Name: "a", Upstream: &url.URL{Scheme: "https", Host: "h", Path: leak}}}, false, "not absolute"},
		{"bad header name", []Server{{Name: "a", Upstream: good, Header: http.Header{"X Key": {leak}}}}, false, "not a valid token"},
		{"injected host", []Server{{Name: "a", Upstream: good, Header: http.Header{"host": {leak}}}}, false, "header Host cannot be injected"},
		{"injected hop-by-hop", []Server{{Name: "a", Upstream: good, Header: http.Header{"Connection": {leak}}}}, false, "header Connection cannot be injected"},
		{"injected length", []Server{{Name: "a", Upstream: good, Header: http.Header{"Content-Length": {"1"}}}}, false, "cannot be injected"},
		{"newline in value", []Server{{Name: "a", Upstream: good, Header: http.Header{"Authorization": {"Bearer " + leak + "\r\nX-Evil: 1"}}}}, false, "header Authorization has a value with a control character"},
		{"nul in value", []Server{{Name: "a", Upstream: good, Header: http.Header{"X-Api-Key": {leak + "\x00"}}}}, false, "control character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Start(tt.servers, Options{AllowLoopbackHTTP: tt.loopback})
			if err == nil {
				p.Close()
				t.Fatal("Start succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), leak) {
				t.Errorf("error quotes a secret: %q", err)
			}
			if msg := err.Error(); msg != strings.ToLower(msg[:1])+msg[1:] || strings.HasSuffix(msg, ".") {
				t.Errorf("error %q is not lower case without a final period", msg)
			}
		})
	}
}

func TestStartAccepts(t *testing.T) {
	mustURL := func(s string) *url.URL {
		u, err := url.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	tests := []struct {
		name     string
		server   Server
		loopback bool
	}{
		{"https", Server{Name: "a", Upstream: mustURL("https://mcp.example.com/mcp?key=v")}, false},
		{"https in capitals", Server{Name: "a", Upstream: &url.URL{Scheme: "HTTPS", Host: "mcp.example.com"}}, false},
		{"loopback ip", Server{Name: "a", Upstream: mustURL("http://127.0.0.2:8080/mcp")}, true},
		{"loopback ipv6", Server{Name: "a", Upstream: mustURL("http://[::1]:8080/mcp")}, true},
		{"localhost", Server{Name: "a", Upstream: mustURL("http://LocalHost:8080/mcp")}, true},
		{"no header", Server{Name: "A.b_c-9", Upstream: mustURL("https://h")}, false},
		{"header names in any case", Server{Name: "a", Upstream: mustURL("https://h"), Header: http.Header{"x-api-key": {"k"}, "X-API-KEY": {"l"}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Start([]Server{tt.server}, Options{AllowLoopbackHTTP: tt.loopback})
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Close(); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestStartCopiesItsInput(t *testing.T) {
	up, _ := url.Parse("https://mcp.example.com/mcp")
	h := http.Header{"x-api-key": {"key-1"}}
	p, err := Start([]Server{{Name: "a", Upstream: up, Header: h}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	up.Host = "evil.example"
	h["x-api-key"][0] = "changed"
	h.Set("X-Other", "v")
	s := p.servers["a"]
	if s.upstream.Host != "mcp.example.com" {
		t.Errorf("upstream host %q", s.upstream.Host)
	}
	if len(s.header) != 1 || s.header.Get("X-Api-Key") != "key-1" {
		t.Errorf("header %v", s.header)
	}
}

func TestSecretsOf(t *testing.T) {
	up, _ := url.Parse("https://h/mcp?key=query%2Bsecret1&x=short&empty")
	h := http.Header{
		"Authorization": {"Bearer bearer-token-1"},
		"X-Api-Key":     {"  plain-key-123  "},
		"X-Region":      {"eu-west"},
		"X-Basic":       {"Basic dXNlcjpwYXNz"},
	}
	got := secretsOf(h, up)
	want := []string{
		"Bearer bearer-token-1", "bearer-token-1", "plain-key-123", "Basic dXNlcjpwYXNz", "dXNlcjpwYXNz",
		"query%2Bsecret1", "query+secret1",
	}
	for _, w := range want {
		if !containsSecret(w, got) {
			t.Errorf("%q missing from %q", w, got)
		}
	}
	for _, s := range got {
		if len(s) < minSecret {
			t.Errorf("short string %q among the secrets", s)
		}
	}
	if containsSecret("eu-west", got) || containsSecret("short", got) {
		t.Errorf("short values among the secrets: %q", got)
	}
}
