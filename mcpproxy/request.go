package mcpproxy

import (
	"crypto/subtle"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
)

// serve checks a request from the agent and hands it to its server's
// reverse proxy. The checks come in an order that tells a caller without
// the token nothing: the form of the request and its Host and Origin first
// (they do not depend on the token), then the token and the name, which
// fail alike with a bare 404.
func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	if !p.enter() {
		status(w, http.StatusServiceUnavailable)
		return
	}
	defer p.active.Done()

	// Only the origin form "/path?query" names a resource of this proxy.
	// The absolute form ("GET https://host/ HTTP/1.1") and CONNECT would
	// ask a forward proxy to pick the host; there is none here.
	if r.Method == http.MethodConnect || !strings.HasPrefix(r.RequestURI, "/") {
		status(w, http.StatusBadRequest)
		return
	}
	// A web page that rebinds a name of its own to 127.0.0.1 reaches the
	// listener with its own name in Host: refuse every Host but ours.
	if !p.ownHost(r.Host) {
		status(w, http.StatusForbidden)
		return
	}
	// Browsers send Origin with cross-origin requests and every POST; no
	// page is served here, so any Origin but ours is a foreign page.
	if origin, sent := r.Header["Origin"]; sent && (len(origin) != 1 || !p.ownOrigin(origin[0])) {
		status(w, http.StatusForbidden)
		return
	}
	s, rest, ok := p.route(r.URL.EscapedPath())
	if !ok {
		status(w, http.StatusNotFound)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodPost, http.MethodDelete:
	default:
		w.Header().Set("Allow", "GET, POST, DELETE")
		status(w, http.StatusMethodNotAllowed)
		return
	}
	segments, ok := cleanSegments(rest)
	if !ok {
		status(w, http.StatusBadRequest)
		return
	}
	if asksAuthMetadata(segments) {
		status(w, http.StatusNotFound)
		return
	}
	s.forward(w, r, rest)
}

func (p *Proxy) ownHost(host string) bool {
	return host == "127.0.0.1:"+p.port || strings.EqualFold(host, "localhost:"+p.port)
}

func (p *Proxy) ownOrigin(origin string) bool {
	return strings.EqualFold(origin, "http://127.0.0.1:"+p.port) || strings.EqualFold(origin, "http://localhost:"+p.port)
}

// route splits an escaped path "/TOKEN/NAME/REST" into its server and
// "/REST" ("" when the path ends at NAME). The token is compared in
// constant time, so that response times do not reveal how much of a guess
// was right.
func (p *Proxy) route(path string) (*server, string, bool) {
	rest, ok := strings.CutPrefix(path, "/")
	if !ok {
		return nil, "", false
	}
	token, rest, _ := strings.Cut(rest, "/")
	if subtle.ConstantTimeCompare([]byte(token), p.token) != 1 {
		return nil, "", false
	}
	name, rest, more := strings.Cut(rest, "/")
	s := p.servers[name]
	if s == nil {
		return nil, "", false
	}
	if more {
		rest = "/" + rest
	}
	return s, rest, true
}

// cleanSegments decodes the segments of rest, refusing any that could climb
// out of the upstream's path once a server or a proxy on the way
// normalises it: "." and "..", and segments hiding a slash or a backslash
// in an escape.
func cleanSegments(rest string) ([]string, bool) {
	if rest == "" {
		return nil, true
	}
	raw := strings.Split(rest[1:], "/")
	out := make([]string, len(raw))
	for i, seg := range raw {
		d, err := url.PathUnescape(seg)
		if err != nil || d == "." || d == ".." || strings.ContainsAny(d, "/\\") {
			return nil, false
		}
		out[i] = d
	}
	return out, true
}

// asksAuthMetadata reports a path into OAuth or OpenID discovery
// (/.well-known/oauth-protected-resource, oauth-authorization-server,
// openid-configuration). The proxy holds the credential; an agent that
// found these documents would be invited to sign in by itself, and a
// token it obtained would be a credential it could carry away.
func asksAuthMetadata(segments []string) bool {
	for i := 0; i+1 < len(segments); i++ {
		if !strings.EqualFold(segments[i], ".well-known") {
			continue
		}
		next := strings.ToLower(segments[i+1])
		if strings.HasPrefix(next, "oauth") || strings.HasPrefix(next, "openid") {
			return true
		}
	}
	return false
}

// forward sends the request to the server's fixed upstream: the upstream's
// path with rest appended, the upstream's query followed by the agent's.
func (s *server) forward(w http.ResponseWriter, r *http.Request, rest string) {
	target := s.target(rest, r.URL.RawQuery)
	out := r.Clone(r.Context())
	out.URL = target
	out.Host = ""
	// A request to switch protocols (WebSocket, h2c) would turn the
	// connection into a tunnel whose traffic no filter of this package
	// sees; without its Upgrade header it is a plain request.
	out.Header.Del("Upgrade")
	s.rp.ServeHTTP(w, out)
}

// target builds the upstream URL for rest (an escaped path, already
// checked) and the agent's raw query.
func (s *server) target(rest, query string) *url.URL {
	esc := s.path
	if rest != "" {
		esc = strings.TrimSuffix(s.path, "/") + rest
	}
	path, err := url.PathUnescape(esc)
	if err != nil { // cannot happen: both parts were unescaped once already
		path = esc
	}
	return &url.URL{
		Scheme:   s.upstream.Scheme,
		Host:     s.upstream.Host,
		Path:     path,
		RawPath:  esc,
		RawQuery: joinQuery(s.upstream.RawQuery, query),
	}
}

func joinQuery(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "&" + b
}

// rewrite prepares the outbound request. httputil.ReverseProxy has already
// removed the hop-by-hop headers (those named by Connection too) and the
// X-Forwarded-For, X-Forwarded-Host, X-Forwarded-Proto and Forwarded
// headers; rewrite adds none back, so the upstream learns nothing about
// the local side, which would only tell it "localhost".
func (s *server) rewrite(pr *httputil.ProxyRequest) {
	h := pr.Out.Header
	for _, name := range agentHeadersDropped {
		h.Del(name)
	}
	for name := range h {
		if strings.HasPrefix(name, "X-Forwarded-") {
			delete(h, name)
		}
	}
	for name, values := range s.header {
		delete(h, name)
		for _, v := range values {
			h.Add(name, v)
		}
	}
	for _, c := range s.jar.Cookies(pr.Out.URL) {
		pr.Out.AddCookie(c)
	}
}

// agentHeadersDropped are the request headers never passed on, besides
// the hop-by-hop ones and the injected names (which are replaced):
// the agent's own credentials, which the upstream must not mistake for the
// configured one, and headers that could carry the local URL (and so the
// token) or identify the local side.
var agentHeadersDropped = []string{
	"Authorization", "Proxy-Authorization", "Cookie",
	"Origin", "Referer", "Via", "X-Real-Ip", "Forwarded",
}
