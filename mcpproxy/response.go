package mcpproxy

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"net/url"
	"strings"
)

// refusedError stands for an upstream's 401 or 403, which never reaches
// the agent as such: see modifyResponse.
type refusedError struct{ status int }

func (e *refusedError) Error() string {
	return fmt.Sprintf("upstream refused the configured credential (HTTP %d)", e.status)
}

// redirectError is a redirect to a place the proxy cannot stand for.
type redirectError struct{}

func (redirectError) Error() string { return "upstream redirected outside the configured URL" }

// upstreamHeadersDropped are the response headers never passed to the
// agent: challenges that would invite it to authenticate by itself,
// cookies (kept in the server's jar instead), and Content-Location, which
// could name the upstream URL.
var upstreamHeadersDropped = []string{
	"Www-Authenticate", "Proxy-Authenticate", "Authentication-Info",
	"Set-Cookie", "Set-Cookie2", "Content-Location",
}

// modifyResponse filters what the upstream answers.
//
// A 401 or 403 is replaced by a 502 (see fail). Such an answer means the
// configured credential was refused, and under the MCP authorization
// specification its WWW-Authenticate header, with a resource_metadata
// link, is an invitation to the client to run an OAuth flow of its own.
// The agent must not take it: a token it obtained would be a credential it
// holds. Nor could it fix the configured credential. A 502 says the
// upstream failed, which is the truth from where the agent stands, and MCP
// clients start authorization on a 401 or 403, not on a 502.
//
// Of the other responses, the challenge, cookie and injected headers are
// dropped, as are headers quoting a credential; a Location inside the
// upstream's path is turned into the matching local path, and a redirect
// anywhere else becomes a 502, so that the agent is never sent to the
// upstream directly; the "endpoint" events of an event stream are mapped
// the same way.
func (s *server) modifyResponse(res *http.Response) error {
	if res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden {
		return &refusedError{res.StatusCode}
	}
	h := res.Header
	if cookies := res.Cookies(); len(cookies) > 0 {
		s.jar.SetCookies(res.Request.URL, cookies)
	}
	for _, name := range upstreamHeadersDropped {
		h.Del(name)
	}
	for name := range s.header {
		h.Del(name)
	}
	if loc, ok := h["Location"]; ok {
		local, ok := "", len(loc) == 1
		if ok {
			local, ok = s.local(res.Request.URL, loc[0])
		}
		switch {
		case ok:
			h.Set("Location", local)
		case res.StatusCode/100 == 3:
			return redirectError{}
		default:
			h.Del("Location")
		}
	}
	dropEchoes(h, s.secrets)
	if isEventStream(h.Get("Content-Type")) {
		base := res.Request.URL
		res.Body = newEventRewriter(res.Body, func(ref string) (string, bool) { return s.local(base, ref) })
		// The rewritten events may be longer or shorter: a stream
		// that came with a length goes on without one.
		res.ContentLength = -1
		h.Del("Content-Length")
	}
	return nil
}

// dropEchoes removes every header with a value that holds a secret: an
// upstream that echoes the request's headers must not hand the credential
// to the agent.
func dropEchoes(h http.Header, secrets []string) {
	for name, values := range h {
		for _, v := range values {
			if containsSecret(v, secrets) {
				delete(h, name)
				break
			}
		}
	}
}

func isEventStream(contentType string) bool {
	mediaType, _, _ := strings.Cut(contentType, ";")
	return strings.EqualFold(strings.TrimSpace(mediaType), "text/event-stream")
}

// local maps ref, a URL reference from the upstream resolved against base,
// to the local path that reaches it through the proxy. It fails for
// anything outside the upstream's origin and path. The upstream's own
// query parameters are left out: the proxy adds them again on the way.
func (s *server) local(base *url.URL, ref string) (string, bool) {
	u, err := base.Parse(ref)
	if err != nil || !sameOrigin(u, s.upstream) {
		return "", false
	}
	rest, ok := s.restOf(u.EscapedPath())
	if !ok {
		return "", false
	}
	if _, ok := cleanSegments(rest); !ok {
		return "", false
	}
	out := s.prefix + rest
	if q := withoutParams(u.RawQuery, s.upstream.RawQuery); q != "" {
		out += "?" + q
	}
	return out, true
}

// restOf is the inverse of target's path: it returns the rest that target
// would append to the upstream's path to give the escaped path p.
func (s *server) restOf(p string) (string, bool) {
	if p == "" {
		p = "/"
	}
	if p == s.path {
		return "", true
	}
	if rest, ok := strings.CutPrefix(p, strings.TrimSuffix(s.path, "/")+"/"); ok {
		return "/" + rest, true
	}
	return "", false
}

func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) &&
		strings.EqualFold(a.Hostname(), b.Hostname()) &&
		portOf(a) == portOf(b)
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "http") {
		return "80"
	}
	return "443"
}

// withoutParams returns query without the parameters that also appear,
// with the same value, in drop.
func withoutParams(query, drop string) string {
	if query == "" || drop == "" {
		return query
	}
	dropped := strings.Split(drop, "&")
	var kept []string
	for pair := range strings.SplitSeq(query, "&") {
		found := false
		for _, d := range dropped {
			if pair == d {
				found = true
				break
			}
		}
		if !found {
			kept = append(kept, pair)
		}
	}
	return strings.Join(kept, "&")
}

// fail answers the agent when no upstream response can be passed on. The
// text says what went wrong without a header value or the upstream's path
// or query. The transport's errors name the upstream's address (a dial
// error, a certificate that did not verify) but not its URL; the text is
// checked all the same, and replaced by a bare message if a secret slipped
// in.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		// The agent went away or the proxy is closing: nobody reads this.
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	var msg string
	var refused *refusedError
	switch {
	case errors.As(err, &refused):
		msg = fmt.Sprintf("mcpproxy: %s: the upstream server refused the credential configured for it (HTTP %d); "+
			"the credential is kept outside this session, so signing in from here cannot fix it: "+
			"the user must update the configured secret", s.name, refused.status)
	case errors.As(err, new(redirectError)):
		msg = fmt.Sprintf("mcpproxy: %s: %v", s.name, err)
	default:
		msg = fmt.Sprintf("mcpproxy: %s: upstream request failed: %v", s.name, err)
		if containsSecret(msg, s.secrets) || s.path != "/" && strings.Contains(msg, s.path) ||
			s.upstream.RawQuery != "" && strings.Contains(msg, s.upstream.RawQuery) {
			msg = fmt.Sprintf("mcpproxy: %s: upstream request failed", s.name)
		}
	}
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusBadGateway)
	io.WriteString(w, msg+"\n")
}

// status answers with a bare status line and its standard text.
func status(w http.ResponseWriter, code int) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	io.WriteString(w, http.StatusText(code)+"\n")
}

// filterInformational is the transport of the reverse proxies. It empties
// the headers of informational (1xx) responses, which
// httputil.ReverseProxy passes to the agent before ModifyResponse could
// see them; an MCP client has no use for them.
type filterInformational struct {
	rt http.RoundTripper
}

func (f filterInformational) RoundTrip(req *http.Request) (*http.Response, error) {
	// Hooks added last run first, so the headers are emptied before the
	// reverse proxy's own hook copies them.
	trace := &httptrace.ClientTrace{
		Got1xxResponse: func(_ int, h textproto.MIMEHeader) error {
			clear(h)
			return nil
		},
	}
	return f.rt.RoundTrip(req.WithContext(httptrace.WithClientTrace(req.Context(), trace)))
}
