package mcpproxy

import (
	"net/url"
	"testing"
)

func testServer(t *testing.T, upstream string) *server {
	t.Helper()
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	s := &server{prefix: "/T/n", upstream: u, path: u.EscapedPath()}
	if s.path == "" {
		s.path = "/"
	}
	return s
}

// TestTargetAndBack checks that target appends the local rest to the
// upstream's path and query, and that local maps the result back.
func TestTargetAndBack(t *testing.T) {
	tests := []struct {
		upstream, rest, query string
		want                  string
	}{
		{"https://h", "", "", "https://h/"},
		{"https://h", "/sse", "", "https://h/sse"},
		{"https://h/", "/sse", "a=1", "https://h/sse?a=1"},
		{"https://h/mcp", "", "", "https://h/mcp"},
		{"https://h/mcp", "/", "", "https://h/mcp/"},
		{"https://h/mcp", "/x/y", "", "https://h/mcp/x/y"},
		{"https://h/mcp/", "", "", "https://h/mcp/"},
		{"https://h/mcp/", "/x", "", "https://h/mcp/x"},
		{"https://h/mcp?k=v", "", "", "https://h/mcp?k=v"},
		{"https://h/mcp?k=v", "/x", "a=1&b", "https://h/mcp/x?k=v&a=1&b"},
		{"https://h/a%2Fb/mcp", "/c%20d%2C", "", "https://h/a%2Fb/mcp/c%20d%2C"},
		{"https://h:8443/mcp", "/x", "", "https://h:8443/mcp/x"},
	}
	for _, tt := range tests {
		s := testServer(t, tt.upstream)
		got := s.target(tt.rest, tt.query)
		if got.String() != tt.want {
			t.Errorf("%s + %q ? %q: got %s, want %s", tt.upstream, tt.rest, tt.query, got, tt.want)
			continue
		}
		wantBack := "/T/n" + tt.rest
		if tt.query != "" {
			wantBack += "?" + tt.query
		}
		if back, ok := s.local(got, got.String()); !ok || back != wantBack {
			t.Errorf("local(%s) = %q, %v, want %q", got, back, ok, wantBack)
		}
	}
}

func TestLocal(t *testing.T) {
	s := testServer(t, "https://h/mcp?k=v")
	base, _ := url.Parse("https://h/mcp/sub/page?k=v")
	tests := []struct{ ref, want string }{
		{"/mcp", "/T/n"},
		{"/mcp/", "/T/n/"},
		{"other", "/T/n/sub/other"},
		{"../x", "/T/n/x"},
		{"?q=1", "/T/n/sub/page?q=1"},
		{"/mcp/a?k=v&q=1#frag", "/T/n/a?q=1"},
		{"/mcp?k=other", "/T/n?k=other"},
		{"https://H:443/mcp/a", "/T/n/a"},
		{"/mcp/a%2Fb", ""},
		{"/mcp/a%5Cb", ""},
		{"/mcpx", ""},
		{"/", ""},
		{"../../x", ""},
		{"http://h/mcp", ""},
		{"https://h:8443/mcp", ""},
		{"https://other/mcp", ""},
		{"//other/mcp", ""},
		{"/mcp\n/x", ""},
		{"%zz", ""},
	}
	for _, tt := range tests {
		got, ok := s.local(base, tt.ref)
		if ok != (tt.want != "") || got != tt.want {
			t.Errorf("local(%q) = %q, %v, want %q", tt.ref, got, ok, tt.want)
		}
	}
}

func TestCleanSegments(t *testing.T) {
	tests := []struct {
		rest string
		ok   bool
	}{
		{"", true},
		{"/", true},
		{"/a/b", true},
		{"//a", true},
		{"/a%20b", true},
		{"/...", true},
		{"/.a", true},
		{"/.", false},
		{"/..", false},
		{"/a/../b", false},
		{"/%2e", false},
		{"/%2E%2e", false},
		{"/a%2fb", false},
		{"/a%5cb", false},
		{"/%", false},
	}
	for _, tt := range tests {
		if _, ok := cleanSegments(tt.rest); ok != tt.ok {
			t.Errorf("cleanSegments(%q): %v", tt.rest, ok)
		}
	}
}

func TestAsksAuthMetadata(t *testing.T) {
	tests := []struct {
		segments []string
		want     bool
	}{
		{[]string{".well-known", "oauth-protected-resource"}, true},
		{[]string{".well-known", "oauth-authorization-server", "x"}, true},
		{[]string{"a", ".Well-Known", "OPENID-configuration"}, true},
		{[]string{".well-known", "mcp.json"}, false},
		{[]string{".well-known"}, false},
		{[]string{"oauth-protected-resource"}, false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := asksAuthMetadata(tt.segments); got != tt.want {
			t.Errorf("asksAuthMetadata(%q) = %v", tt.segments, got)
		}
	}
}

func TestWithoutParams(t *testing.T) {
	tests := []struct{ query, drop, want string }{
		{"", "k=v", ""},
		{"a=1", "", "a=1"},
		{"k=v&a=1", "k=v", "a=1"},
		{"a=1&k=v&b", "k=v&x=y", "a=1&b"},
		{"k=w", "k=v", "k=w"},
		{"k=v", "k=v", ""},
	}
	for _, tt := range tests {
		if got := withoutParams(tt.query, tt.drop); got != tt.want {
			t.Errorf("withoutParams(%q, %q) = %q, want %q", tt.query, tt.drop, got, tt.want)
		}
	}
}
