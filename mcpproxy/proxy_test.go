package mcpproxy

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

func TestHeadersPassedAndReplaced(t *testing.T) {
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Benign", "kept")
		io.WriteString(w, "ok")
	})
	header := bearer()
	header.Set("X-Api-Key", "key-0123456789-injected")
	p := start(t, u, Server{Name: "api", Upstream: u.at(t, "/mcp"), Header: header})

	req := newRequest(t, http.MethodPost, p.URL("api"), strings.NewReader(`{"jsonrpc":"2.0"}`))
	h := req.Header
	// What the agent may say, and must reach the upstream as it is.
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json, text/event-stream")
	h.Set("Mcp-Session-Id", "session-1")
	h.Set("MCP-Protocol-Version", "2025-06-18")
	h.Set("Last-Event-ID", "42")
	h.Set("User-Agent", "agent/1")
	h.Set("X-Custom", "custom")
	// What it must not pass on: its own credentials, the injected names...
	h.Set("Authorization", "Bearer agent-chosen")
	h.Set("Proxy-Authorization", "Basic YWdlbnQ6cHc=")
	h.Set("Cookie", "agent=1")
	h.Set("X-Api-Key", "agent-chosen")
	// ...forwarding headers and what could carry the local URL...
	h.Set("X-Forwarded-For", "10.0.0.1")
	h.Set("X-Forwarded-Host", "evil.example")
	h.Set("X-Forwarded-Port", "1")
	h.Set("Forwarded", "for=10.0.0.1")
	h.Set("X-Real-Ip", "10.0.0.1")
	h.Set("Via", "1.1 agent")
	h.Set("Referer", p.URL("api"))
	h.Set("Origin", "http://127.0.0.1:"+p.port)
	// ...and hop-by-hop headers, those named in Connection among them.
	h.Set("Connection", "X-Hop, Upgrade")
	h.Set("X-Hop", "1")
	h.Set("Keep-Alive", "timeout=5")
	h.Set("Upgrade", "websocket")
	res := do(t, agent(t), req)
	if res.Status != http.StatusOK || res.Body != "ok" || res.Header.Get("X-Benign") != "kept" {
		t.Fatalf("got %d %q %v", res.Status, res.Body, res.Header)
	}

	got := u.last(t)
	if got.Body != `{"jsonrpc":"2.0"}` {
		t.Errorf("upstream body %q", got.Body)
	}
	want := map[string]string{
		"Authorization":        "Bearer " + secret,
		"X-Api-Key":            "key-0123456789-injected",
		"Content-Type":         "application/json",
		"Accept":               "application/json, text/event-stream",
		"Mcp-Session-Id":       "session-1",
		"Mcp-Protocol-Version": "2025-06-18",
		"Last-Event-Id":        "42",
		"User-Agent":           "agent/1",
		"X-Custom":             "custom",
	}
	for name, v := range want {
		if vs := got.Header[name]; len(vs) != 1 || vs[0] != v {
			t.Errorf("upstream got %s: %q, want %q", name, vs, v)
		}
	}
	for _, name := range []string{
		"Proxy-Authorization", "Cookie", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Port",
		"Forwarded", "X-Real-Ip", "Via", "Referer", "Origin", "X-Hop", "Keep-Alive", "Upgrade",
	} {
		if vs, ok := got.Header[name]; ok {
			t.Errorf("upstream got %s: %q", name, vs)
		}
	}
	for name, vs := range got.Header {
		for _, v := range vs {
			if strings.Contains(v, "agent-chosen") || strings.Contains(v, string(p.token)) {
				t.Errorf("upstream got %s: %q", name, v)
			}
		}
	}
}

// TestAgentCredentialDropped checks that the agent's own Authorization
// never reaches an upstream that gets its credential under another name.
func TestAgentCredentialDropped(t *testing.T) {
	u := newUpstream(t, func(http.ResponseWriter, *http.Request) {})
	p := start(t, u, Server{Name: "api", Upstream: u.at(t, "/mcp"), Header: http.Header{"X-Api-Key": {secret}}})
	req := newRequest(t, http.MethodGet, p.URL("api"), nil)
	req.Header.Set("Authorization", "Bearer agent-chosen")
	req.Header.Set("Proxy-Authorization", "Bearer agent-chosen")
	req.Header.Set("Cookie", "sid=agent-chosen")
	if res := do(t, agent(t), req); res.Status != http.StatusOK {
		t.Fatalf("status %d", res.Status)
	}
	got := u.last(t).Header
	for _, name := range []string{"Authorization", "Proxy-Authorization", "Cookie"} {
		if v, ok := got[name]; ok {
			t.Errorf("upstream got %s: %q", name, v)
		}
	}
	if v := got.Values("X-Api-Key"); len(v) != 1 || v[0] != secret {
		t.Errorf("upstream got X-Api-Key %q", v)
	}
}

func TestPathAndQueryAppended(t *testing.T) {
	u := newUpstream(t, func(http.ResponseWriter, *http.Request) {})
	p := start(t, u, Server{Name: "api", Upstream: u.at(t, "/v1/mcp?tenant=t1"), Header: bearer()})
	c := agent(t)
	tests := []struct{ local, path, rawPath, query string }{
		{"", "/v1/mcp", "", "tenant=t1"},
		{"?cursor=2", "/v1/mcp", "", "tenant=t1&cursor=2"},
		{"/", "/v1/mcp/", "", "tenant=t1"},
		{"/tools/x?a=1&b=2", "/v1/mcp/tools/x", "", "tenant=t1&a=1&b=2"},
		{"/a%20b/c%3Fd", "/v1/mcp/a b/c?d", "", "tenant=t1"},
		{"/x%2Cy", "/v1/mcp/x,y", "/v1/mcp/x%2Cy", "tenant=t1"},
	}
	for _, tt := range tests {
		t.Run(tt.local, func(t *testing.T) {
			res := do(t, c, newRequest(t, http.MethodGet, p.URL("api")+tt.local, nil))
			if res.Status != http.StatusOK {
				t.Fatalf("status %d", res.Status)
			}
			got := u.last(t)
			if got.Path != tt.path || got.RawPath != tt.rawPath || got.Query != tt.query {
				t.Errorf("upstream got path %q raw %q query %q, want %q %q %q",
					got.Path, got.RawPath, got.Query, tt.path, tt.rawPath, tt.query)
			}
		})
	}
}

// TestRefused sends requests that must be answered by the proxy itself and
// never reach the upstream.
func TestRefused(t *testing.T) {
	u := newUpstream(t, func(http.ResponseWriter, *http.Request) {})
	p := start(t, u, Server{Name: "api", Upstream: u.at(t, "/mcp"), Header: bearer()})
	token := string(p.token)
	host := "127.0.0.1:" + p.port
	wrong := []byte(token)
	wrong[len(wrong)-1] ^= 1
	upHost := strings.TrimPrefix(u.URL, "https://")

	get := func(target, extra string) string {
		return "GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\n" + extra + "\r\n"
	}
	tests := []struct {
		name, request string
		status        int
	}{
		{"no token", get("/", ""), 404},
		{"name alone", get("/api", ""), 404},
		{"token alone", get("/"+token, ""), 404},
		{"token and slash", get("/"+token+"/", ""), 404},
		{"wrong token", get("/"+string(wrong)+"/api", ""), 404},
		{"short token", get("/"+token[:20]+"/api", ""), 404},
		{"escaped token", get("/"+url.PathEscape(token[:1])+"%"+fmt.Sprintf("%02X", token[1])+token[2:]+"/api", ""), 404},
		{"unknown name", get("/"+token+"/other", ""), 404},
		{"name in other case", get("/"+token+"/API", ""), 404},

		{"absolute form to the upstream", "GET " + u.URL + "/mcp HTTP/1.1\r\nHost: " + upHost + "\r\n\r\n", 400},
		{"absolute form to the proxy", "GET http://" + host + "/" + token + "/api HTTP/1.1\r\nHost: " + host + "\r\n\r\n", 400},
		{"connect", "CONNECT " + upHost + " HTTP/1.1\r\nHost: " + upHost + "\r\n\r\n", 400},
		{"connect with a path", "CONNECT /" + token + "/api HTTP/1.1\r\nHost: " + host + "\r\n\r\n", 400},
		{"asterisk", "OPTIONS * HTTP/1.1\r\nHost: " + host + "\r\n\r\n", 400},

		{"foreign host", "GET /" + token + "/api HTTP/1.1\r\nHost: evil.example\r\n\r\n", 403},
		{"rebound host with our port", "GET /" + token + "/api HTTP/1.1\r\nHost: evil.example:" + p.port + "\r\n\r\n", 403},
		{"host without port", "GET /" + token + "/api HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 403},
		{"host with another port", "GET /" + token + "/api HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n", 403},
		{"ipv6 loopback host", "GET /" + token + "/api HTTP/1.1\r\nHost: [::1]:" + p.port + "\r\n\r\n", 403},
		{"no host", "GET /" + token + "/api HTTP/1.0\r\n\r\n", 403},
		{"foreign origin", get("/"+token+"/api", "Origin: https://evil.example\r\n"), 403},
		{"origin of another port", get("/"+token+"/api", "Origin: http://127.0.0.1:1\r\n"), 403},
		{"https origin", get("/"+token+"/api", "Origin: https://127.0.0.1:"+p.port+"\r\n"), 403},
		{"null origin", get("/"+token+"/api", "Origin: null\r\n"), 403},
		{"empty origin", get("/"+token+"/api", "Origin: \r\n"), 403},
		{"two origins", get("/"+token+"/api", "Origin: http://"+host+"\r\nOrigin: https://evil.example\r\n"), 403},

		{"put", "PUT /" + token + "/api HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: 0\r\n\r\n", 405},
		{"patch", "PATCH /" + token + "/api HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: 0\r\n\r\n", 405},
		{"head", "HEAD /" + token + "/api HTTP/1.1\r\nHost: " + host + "\r\n\r\n", 405},
		{"options", "OPTIONS /" + token + "/api HTTP/1.1\r\nHost: " + host + "\r\n\r\n", 405},

		{"protected resource metadata", get("/"+token+"/api/.well-known/oauth-protected-resource", ""), 404},
		{"path-suffixed metadata", get("/"+token+"/api/.well-known/oauth-protected-resource/mcp", ""), 404},
		{"authorization server metadata", get("/"+token+"/api/.well-known/oauth-authorization-server", ""), 404},
		{"openid configuration", get("/"+token+"/api/.well-known/openid-configuration", ""), 404},
		{"well-known deeper", get("/"+token+"/api/x/.WELL-KNOWN/OAuth-authorization-server", ""), 404},
		{"well-known escaped", get("/"+token+"/api/%2Ewell-known/oauth%2Dprotected-resource", ""), 404},

		{"dot dot", get("/"+token+"/api/../admin", ""), 400},
		{"escaped dot dot", get("/"+token+"/api/%2e%2E/admin", ""), 400},
		{"dot", get("/"+token+"/api/./x", ""), 400},
		{"escaped slash", get("/"+token+"/api/..%2Fadmin", ""), 400},
		{"escaped backslash", get("/"+token+"/api/..%5Cadmin", ""), 400},
		{"bad escape", get("/"+token+"/api/%zz", ""), 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := raw(t, p, tt.request); got != tt.status {
				t.Errorf("status %d, want %d", got, tt.status)
			}
		})
	}
	if got := u.received(); len(got) != 0 {
		t.Errorf("the upstream received %d requests, first %+v", len(got), got[0])
	}

	// The same proxy still serves its own Host and Origin, under either name.
	for _, h := range []string{"127.0.0.1:" + p.port, "localhost:" + p.port, "LocalHost:" + p.port} {
		if got := raw(t, p, "GET /"+token+"/api HTTP/1.1\r\nHost: "+h+"\r\nOrigin: http://"+h+"\r\nAuthorization: Bearer x\r\n\r\n"); got != 200 {
			t.Errorf("Host %s: status %d", h, got)
		}
	}
}

func TestMethodNotAllowedSaysWhich(t *testing.T) {
	u := newUpstream(t, func(http.ResponseWriter, *http.Request) {})
	p := start(t, u, Server{Name: "api", Upstream: u.at(t, "/mcp"), Header: bearer()})
	res := do(t, agent(t), newRequest(t, http.MethodPut, p.URL("api"), strings.NewReader("x")))
	if res.Status != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, POST, DELETE" {
		t.Errorf("got %d, Allow %q", res.Status, res.Header.Get("Allow"))
	}
}

// TestSession goes through the life of a Streamable HTTP session: the
// session id the upstream hands out reaches the agent, and comes back on
// POST, GET and DELETE.
func TestSession(t *testing.T) {
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("Mcp-Session-Id")
		switch {
		case r.Method == http.MethodPost && id == "":
			w.Header().Set("Mcp-Session-Id", "sess-7f3a")
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":{}}`)
		case id != "sess-7f3a":
			http.Error(w, "no session", http.StatusNotFound)
		case r.Method == http.MethodPost:
			w.WriteHeader(http.StatusAccepted)
		case r.Method == http.MethodGet:
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, "data: hello\n\n")
		case r.Method == http.MethodDelete:
			w.WriteHeader(http.StatusNoContent)
		}
	})
	p := start(t, u, Server{Name: "api", Upstream: u.at(t, "/mcp"), Header: bearer()})
	c := agent(t)

	res := do(t, c, newRequest(t, http.MethodPost, p.URL("api"), strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize"}`)))
	id := res.Header.Get("Mcp-Session-Id")
	if res.Status != http.StatusOK || id != "sess-7f3a" || !strings.Contains(res.Body, `"result"`) {
		t.Fatalf("initialize: %d, session %q, %q", res.Status, id, res.Body)
	}
	steps := []struct {
		method string
		status int
		body   string
	}{
		{http.MethodPost, http.StatusAccepted, ""},
		{http.MethodGet, http.StatusOK, "data: hello\n\n"},
		{http.MethodDelete, http.StatusNoContent, ""},
	}
	for _, s := range steps {
		var body io.Reader
		if s.method == http.MethodPost {
			body = strings.NewReader(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
		}
		req := newRequest(t, s.method, p.URL("api"), body)
		req.Header.Set("Mcp-Session-Id", id)
		req.Header.Set("MCP-Protocol-Version", "2025-06-18")
		res := do(t, c, req)
		if res.Status != s.status || res.Body != s.body {
			t.Errorf("%s: got %d %q, want %d %q", s.method, res.Status, res.Body, s.status, s.body)
		}
		if got := u.last(t); got.Method != s.method || got.Header.Get("Mcp-Session-Id") != id ||
			got.Header.Get("Mcp-Protocol-Version") != "2025-06-18" {
			t.Errorf("%s: upstream got %s with %v", s.method, got.Method, got.Header)
		}
	}
}

// TestEventsArriveOneByOne has the upstream send one event and then wait
// until the agent has read it before it sends the next. A proxy that held
// events back would leave the agent waiting and the upstream timing out.
func TestEventsArriveOneByOne(t *testing.T) {
	read := make(chan struct{})
	waited := make(chan error, 1)
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "id: 1\ndata: first\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-read:
			waited <- nil
		case <-r.Context().Done():
			waited <- r.Context().Err()
			return
		}
		io.WriteString(w, "id: 2\ndata: second\n\n")
	})
	p := start(t, u, Server{Name: "api", Upstream: u.at(t, "/mcp"), Header: bearer()})
	req := newRequest(t, http.MethodGet, p.URL("api"), nil)
	req.Header.Set("Accept", "text/event-stream")
	res, err := agent(t).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	br := bufio.NewReader(res.Body)

	got := make(chan string, 1)
	go func() {
		ev, _ := readEvent(br)
		got <- ev
	}()
	if ev := within(t, got, "the first event"); ev != "id: 1\ndata: first\n" {
		t.Fatalf("first event %q", ev)
	}
	close(read)
	if err := within(t, waited, "the upstream"); err != nil {
		t.Fatalf("the upstream stopped waiting: %v", err)
	}
	if ev, err := readEvent(br); err != nil || ev != "id: 2\ndata: second\n" {
		t.Fatalf("second event %q, %v", ev, err)
	}
}

func TestRequestBodyStreams(t *testing.T) {
	first := make(chan string, 1)
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		br := bufio.NewReader(r.Body)
		line, _ := br.ReadString('\n')
		first <- line
		rest, _ := io.ReadAll(br)
		io.WriteString(w, line+string(rest))
	})
	p := start(t, u, Server{Name: "api", Upstream: u.at(t, "/stream"), Header: bearer()})
	pr, pw := io.Pipe()
	done := make(chan result, 1)
	go func() {
		res, err := agent(t).Do(newRequest(t, http.MethodPost, p.URL("api"), pr))
		if err != nil {
			done <- result{Body: err.Error()}
			return
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		done <- result{Status: res.StatusCode, Body: string(b)}
	}()
	io.WriteString(pw, "part one\n")
	if line := within(t, first, "the first part upstream"); line != "part one\n" {
		t.Fatalf("upstream read %q", line)
	}
	io.WriteString(pw, "part two\n")
	pw.Close()
	if res := within(t, done, "the response"); res.Status != 200 || res.Body != "part one\npart two\n" {
		t.Errorf("got %d %q", res.Status, res.Body)
	}
}

// TestRefusedCredential checks that an upstream's 401 or 403, with the
// challenge that starts an OAuth flow, reaches the agent as a plain 502.
func TestRefusedCredential(t *testing.T) {
	for _, status := range []int{http.StatusUnauthorized, http.StatusForbidden} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope", resource_metadata="https://x/.well-known/oauth-protected-resource"`)
				w.Header().Set("Mcp-Session-Id", "s")
				w.WriteHeader(status)
				io.WriteString(w, `{"authorization_servers":["https://auth.example.com"],"echo":"`+r.Header.Get("Authorization")+`"}`)
			})
			servers := []Server{
				{Name: "right", Upstream: u.at(t, "/mcp"), Header: bearer()},
				// A key the upstream refuses: the test upstream's own 401.
				{Name: "wrong", Upstream: u.at(t, "/mcp"), Header: http.Header{"Authorization": {"Bearer sk-revoked-0123456789"}}},
			}
			p := start(t, u, servers...)
			for _, name := range []string{"right", "wrong"} {
				res := do(t, agent(t), newRequest(t, http.MethodPost, p.URL(name), strings.NewReader("{}")))
				if res.Status != http.StatusBadGateway {
					t.Errorf("%s: status %d", name, res.Status)
				}
				if len(res.Header.Values("Www-Authenticate")) != 0 || res.Header.Get("Mcp-Session-Id") != "" {
					t.Errorf("%s: headers %v", name, res.Header)
				}
				if !strings.Contains(res.Body, "refused the credential") || !strings.Contains(res.Body, name) {
					t.Errorf("%s: body %q", name, res.Body)
				}
				for _, leak := range []string{"resource_metadata", "authorization_servers", "auth.example.com", secret, "sk-revoked", "Bearer"} {
					if strings.Contains(res.Body, leak) {
						t.Errorf("%s: body holds %q: %q", name, leak, res.Body)
					}
				}
			}
		})
	}
}

// TestSecretsNotEchoed has the upstream echo the credential in response
// headers; those headers never reach the agent.
func TestSecretsNotEchoed(t *testing.T) {
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Echo-Authorization", r.Header.Get("Authorization"))
		h.Set("X-Echo-Key", "key="+strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		h.Set("X-Api-Key", "other")
		h.Set("X-Echo-Query", "q="+r.URL.Query().Get("token"))
		h.Set("Authentication-Info", "nextnonce=x")
		h.Set("X-Benign", "kept")
		h.Set("Content-Type", "application/json")
		io.WriteString(w, "{}")
	})
	header := bearer()
	header.Set("X-Api-Key", "short")
	p := start(t, u, Server{Name: "api", Upstream: u.at(t, "/mcp?token=query-secret-value"), Header: header})
	res := do(t, agent(t), newRequest(t, http.MethodGet, p.URL("api"), nil))
	if res.Status != 200 || res.Header.Get("X-Benign") != "kept" || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("got %d %v", res.Status, res.Header)
	}
	for _, name := range []string{"X-Echo-Authorization", "X-Echo-Key", "X-Api-Key", "X-Echo-Query", "Authentication-Info"} {
		if v := res.Header.Values(name); len(v) != 0 {
			t.Errorf("agent got %s: %q", name, v)
		}
	}
}

func TestInformationalHeadersDropped(t *testing.T) {
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.Header().Set("X-Echo", r.Header.Get("Authorization"))
		w.WriteHeader(http.StatusEarlyHints)
		w.Header().Del("Link")
		w.Header().Del("X-Echo")
		io.WriteString(w, "done")
	})
	p := start(t, u, Server{Name: "api", Upstream: u.at(t, "/mcp"), Header: bearer()})
	var early []textproto.MIMEHeader
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
		early = append(early, h)
		return nil
	}}
	req := newRequest(t, http.MethodGet, p.URL("api"), nil)
	req = req.WithContext(httptrace.WithClientTrace(context.Background(), trace))
	res := do(t, agent(t), req)
	if res.Status != 200 || res.Body != "done" {
		t.Fatalf("got %d %q", res.Status, res.Body)
	}
	if len(early) != 1 || len(early[0]) != 0 {
		t.Errorf("informational responses: %v", early)
	}
}

func TestCookiesStayInProxy(t *testing.T) {
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("sid"); err == nil {
			io.WriteString(w, "cookie "+c.Value)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: "upstream-session-cookie", Path: "/", HttpOnly: true})
		io.WriteString(w, "new")
	})
	p := start(t, u, Server{Name: "api", Upstream: u.at(t, "/mcp"), Header: bearer()})
	c := agent(t)
	res := do(t, c, newRequest(t, http.MethodGet, p.URL("api"), nil))
	if res.Body != "new" || len(res.Header.Values("Set-Cookie")) != 0 {
		t.Fatalf("first: %q, headers %v", res.Body, res.Header)
	}
	req := newRequest(t, http.MethodGet, p.URL("api"), nil)
	req.Header.Set("Cookie", "sid=agent-forged")
	if res := do(t, c, req); res.Body != "cookie upstream-session-cookie" {
		t.Errorf("second: %q", res.Body)
	}
	if got := u.last(t).Header.Values("Cookie"); len(got) != 1 || got[0] != "sid=upstream-session-cookie" {
		t.Errorf("upstream got Cookie %q", got)
	}
}

func TestRedirects(t *testing.T) {
	var location atomic.Value
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", location.Load().(string))
		w.WriteHeader(http.StatusTemporaryRedirect)
	})
	p := start(t, u, Server{Name: "api", Upstream: u.at(t, "/mcp?tenant=t1"), Header: bearer()})
	prefix := "/" + string(p.token) + "/api"
	tests := []struct {
		location string
		want     string // the Location the agent gets; "" for a 502
	}{
		{"/mcp/", prefix + "/"},
		{"mcp/", prefix + "/"},
		{u.URL + "/mcp/next?tenant=t1&x=1", prefix + "/next?x=1"},
		{strings.Replace(u.URL, "127.0.0.1", "LOCALHOST", 1) + "/mcp", ""},
		{"/mcp?tenant=t1", prefix},
		{"/other", ""},
		{"/mcpx", ""},
		{"https://evil.example/mcp", ""},
		{"http" + strings.TrimPrefix(u.URL, "https") + "/mcp", ""},
		{"//evil.example/mcp", ""},
	}
	for _, tt := range tests {
		t.Run(tt.location, func(t *testing.T) {
			location.Store(tt.location)
			res := do(t, agent(t), newRequest(t, http.MethodGet, p.URL("api"), nil))
			if tt.want == "" {
				if res.Status != http.StatusBadGateway || res.Header.Get("Location") != "" || !strings.Contains(res.Body, "redirected outside") {
					t.Errorf("got %d, Location %q, %q", res.Status, res.Header.Get("Location"), res.Body)
				}
				return
			}
			if res.Status != http.StatusTemporaryRedirect || res.Header.Get("Location") != tt.want {
				t.Errorf("got %d, Location %q, want %q", res.Status, res.Header.Get("Location"), tt.want)
			}
		})
	}
}

// TestLegacySSE runs the HTTP+SSE transport: the endpoint the upstream
// announces is mapped into the proxy, and posting to it works.
func TestLegacySSE(t *testing.T) {
	posted := make(chan string, 1)
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/sse":
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, "event: endpoint\ndata: /messages/?session_id=abc\n\n")
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		case "/messages/":
			posted <- r.URL.RawQuery
			w.WriteHeader(http.StatusAccepted)
		}
	})
	p := start(t, u,
		Server{Name: "root", Upstream: u.at(t, ""), Header: bearer()},
		Server{Name: "narrow", Upstream: u.at(t, "/sse"), Header: bearer()},
	)
	c := agent(t)

	res, err := c.Get(p.URL("root") + "/sse")
	if err != nil {
		t.Fatal(err)
	}
	ev, err := readEvent(bufio.NewReader(res.Body))
	res.Body.Close()
	endpoint := "/" + string(p.token) + "/root/messages/?session_id=abc"
	if err != nil || ev != "event: endpoint\ndata: "+endpoint+"\n" {
		t.Fatalf("endpoint event %q, %v", ev, err)
	}
	post := do(t, c, newRequest(t, http.MethodPost, "http://127.0.0.1:"+p.port+endpoint, strings.NewReader("{}")))
	if post.Status != http.StatusAccepted {
		t.Fatalf("post: %d %q", post.Status, post.Body)
	}
	if q := within(t, posted, "the message"); q != "session_id=abc" {
		t.Errorf("upstream got query %q", q)
	}

	// With the upstream at /sse, /messages/ lies outside its path: the
	// stream ends instead of sending the agent elsewhere.
	// (Whether the agent gets the response headers first depends on
	// buffering; either way it gets no endpoint.)
	res, err = c.Get(p.URL("narrow"))
	if err == nil {
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err == nil || strings.Contains(string(b), "messages") {
			t.Errorf("narrow: read %q, %v", b, err)
		}
	}
}

func TestUpstreamFailureText(t *testing.T) {
	gone := newUpstream(t, func(http.ResponseWriter, *http.Request) {})
	gone.Close()
	live := newUpstream(t, func(http.ResponseWriter, *http.Request) {})
	const pathSecret = "/s/path-secret-0123456789/mcp"
	servers := []Server{
		{Name: "gone", Upstream: gone.at(t, pathSecret+"?key=query-secret-0123"), Header: bearer()},
		{Name: "untrusted", Upstream: live.at(t, pathSecret+"?key=query-secret-0123"), Header: bearer()},
	}
	// The proxy trusts neither: "untrusted" fails verification.
	p, err := Start(servers, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	tests := []struct{ name, cause string }{
		{"gone", "connect"},
		{"untrusted", "certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := do(t, agent(t), newRequest(t, http.MethodGet, p.URL(tt.name), nil))
			if res.Status != http.StatusBadGateway || !strings.Contains(res.Body, "upstream request failed") || !strings.Contains(res.Body, tt.cause) {
				t.Errorf("got %d %q", res.Status, res.Body)
			}
			for _, leak := range []string{secret, "path-secret", "query-secret"} {
				if strings.Contains(res.Body, leak) {
					t.Errorf("body holds %q: %q", leak, res.Body)
				}
			}
		})
	}
}

func TestCloseEndsStreams(t *testing.T) {
	ended := make(chan struct{})
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		defer close(ended)
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: open\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	p, err := Start([]Server{{Name: "api", Upstream: u.at(t, "/mcp"), Header: bearer()}}, Options{RootCAs: u.pool()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	c := agent(t)
	res, err := c.Get(p.URL("api"))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	br := bufio.NewReader(res.Body)
	if ev, err := readEvent(br); err != nil || ev != "data: open\n" {
		t.Fatalf("event %q, %v", ev, err)
	}

	closed := make(chan error, 1)
	go func() { closed <- p.Close() }()
	if err := within(t, closed, "Close"); err != nil {
		t.Errorf("Close: %v", err)
	}
	read := make(chan error, 1)
	go func() {
		_, err := io.ReadAll(br)
		read <- err
	}()
	if err := within(t, read, "the end of the agent's stream"); err == nil {
		t.Error("the stream ended cleanly; want an error")
	}
	within(t, ended, "the end of the upstream's request")

	if _, err := c.Get(p.URL("api")); err == nil {
		t.Error("a request after Close succeeded")
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestURL(t *testing.T) {
	u := newUpstream(t, func(http.ResponseWriter, *http.Request) {})
	p := start(t, u,
		Server{Name: "a", Upstream: u.at(t, "/mcp"), Header: bearer()},
		Server{Name: "b.c_d-e", Upstream: u.at(t, "/mcp"), Header: bearer()},
	)
	for _, name := range []string{"a", "b.c_d-e"} {
		got, err := url.Parse(p.URL(name))
		if err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(got.Path, "/")
		if got.Scheme != "http" || got.Hostname() != "127.0.0.1" || got.Port() != p.port ||
			len(parts) != 3 || parts[2] != name || got.RawQuery != "" {
			t.Errorf("URL(%q) = %s", name, got)
		}
		token := parts[1]
		// 32 bytes in unpadded base64url are 43 characters.
		if len(token) != 43 || strings.Trim(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			t.Errorf("token %q", token)
		}
	}
	if got := p.URL("missing"); got != "" {
		t.Errorf("URL of an unknown name: %q", got)
	}
	q, err := Start([]Server{{Name: "a", Upstream: u.at(t, "/mcp")}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if q.URL("a") == p.URL("a") || string(q.token) == string(p.token) {
		t.Error("two proxies share a URL")
	}
}

// TestPlainHTTPLoopback runs a plain http upstream on 127.0.0.1, which
// needs Options.AllowLoopbackHTTP.
func TestPlainHTTPLoopback(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Header.Get("Authorization"))
	}))
	defer plain.Close()
	up, err := url.Parse(plain.URL + "/mcp")
	if err != nil {
		t.Fatal(err)
	}
	servers := []Server{{Name: "local", Upstream: up, Header: bearer()}}
	if _, err := Start(servers, Options{}); err == nil || !strings.Contains(err.Error(), "https") {
		t.Fatalf("plain http without the option: %v", err)
	}
	p, err := Start(servers, Options{AllowLoopbackHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if res := do(t, agent(t), newRequest(t, http.MethodGet, p.URL("local"), nil)); res.Status != 200 || res.Body != "Bearer "+secret {
		t.Errorf("got %d", res.Status)
	}
}
