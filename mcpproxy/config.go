package mcpproxy

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/textproto"
	"net/url"
	"strings"
)

// minSecret is the shortest string treated as a secret when responses and
// error texts are searched for echoes: a shorter injected value (a region
// or a version number) would match innocent headers, such as a
// Content-Length, and a real credential is never that short.
const minSecret = 8

// checkName reports whether name can be a path segment of the local URL,
// where it must mean itself whatever the client's escaping.
func checkName(name string) error {
	if name == "" || len(name) > 64 {
		return errors.New("name must be 1 to 64 bytes")
	}
	if name == "." || name == ".." {
		return errors.New(`name must not be "." or ".."`)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return errors.New("name may hold only ASCII letters, digits, '.', '_' and '-'")
		}
	}
	return nil
}

// checkUpstream returns a copy of u fit to be the fixed target of a server.
// Its errors name what is wrong but never quote the URL, whose path or
// query may be a credential.
func checkUpstream(u *url.URL, allowLoopbackHTTP bool) (*url.URL, error) {
	if u == nil {
		return nil, errors.New("no upstream URL")
	}
	c := *u
	c.Scheme = strings.ToLower(c.Scheme)
	switch {
	case c.Opaque != "":
		return nil, errors.New("upstream URL is not hierarchical")
	case c.User != nil:
		return nil, errors.New("upstream URL must not carry a user name or password: pass credentials in Header")
	case c.Fragment != "" || c.RawFragment != "":
		return nil, errors.New("upstream URL must not carry a fragment")
	case c.Hostname() == "":
		return nil, errors.New("upstream URL has no host")
	case c.Path != "" && !strings.HasPrefix(c.Path, "/"):
		return nil, errors.New("upstream URL path is not absolute")
	}
	switch c.Scheme {
	case "https":
	case "http":
		if !allowLoopbackHTTP {
			return nil, errors.New("upstream URL must use https")
		}
		if !isLoopback(c.Hostname()) {
			return nil, errors.New("plain http upstream must be on a loopback address")
		}
	default:
		return nil, errors.New("upstream URL must use https")
	}
	c.ForceQuery = false
	return &c, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// checkHeader returns a copy of h with canonical names. Errors name the
// header but never quote its value.
func checkHeader(h http.Header) (http.Header, error) {
	out := make(http.Header, len(h))
	for name, values := range h {
		if !isToken(name) {
			return nil, fmt.Errorf("header name %q is not a valid token", name)
		}
		name = textproto.CanonicalMIMEHeaderKey(name)
		if isHopByHop(name) || name == "Host" || name == "Content-Length" {
			return nil, fmt.Errorf("header %s cannot be injected", name)
		}
		for _, v := range values {
			if !isFieldValue(v) {
				return nil, fmt.Errorf("header %s has a value with a control character", name)
			}
		}
		// Names that differ only in case merge; a name without a value
		// still removes what the agent sent under it.
		out[name] = append(out[name], values...)
	}
	return out, nil
}

// isHopByHop reports the headers that concern one connection only, which
// neither a proxy nor an injection may pass on (RFC 9110, section 7.6.1,
// and the older names still in use).
func isHopByHop(canonical string) bool {
	switch canonical {
	case "Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
		"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade":
		return true
	}
	return false
}

// isToken reports whether s is an HTTP token (RFC 9110, section 5.6.2).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}

// isFieldValue reports whether v holds no control character but tab, so
// that it can neither split the request nor be refused by the transport
// with an error that might quote it.
func isFieldValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// secretsOf lists what must not reach the agent: each injected value, the
// last word of it (the credential of "Bearer <key>" or "Basic <key>"), and
// each value of the upstream's query. Strings shorter than minSecret are
// left out.
func secretsOf(h http.Header, up *url.URL) []string {
	var out []string
	add := func(s string) {
		if len(s) >= minSecret {
			out = append(out, s)
		}
	}
	for _, values := range h {
		for _, v := range values {
			v = strings.TrimSpace(v)
			add(v)
			if i := strings.LastIndexAny(v, " \t"); i >= 0 {
				add(v[i+1:])
			}
		}
	}
	if up.RawQuery != "" {
		for pair := range strings.SplitSeq(up.RawQuery, "&") {
			_, v, _ := strings.Cut(pair, "=")
			add(v)
			if d, err := url.QueryUnescape(v); err == nil && d != v {
				add(d)
			}
		}
	}
	return out
}

// containsSecret reports whether s holds one of secrets.
func containsSecret(s string, secrets []string) bool {
	for _, secret := range secrets {
		if strings.Contains(s, secret) {
			return true
		}
	}
	return false
}
