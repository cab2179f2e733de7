package mcpproxy

import (
	"bufio"
	"crypto/x509"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// The credential the test upstreams require. Tests check that it never
// reaches the agent's side.
const secret = "sk-test-0123456789abcdef-SECRET"

// waitLimit bounds every wait on a channel, so that a broken proxy fails a
// test instead of hanging it. No test waits this long when all is well.
const waitLimit = 5 * time.Second

// seen is what an upstream received.
type seen struct {
	Method, Path, RawPath, Query string
	Header                       http.Header
	Body                         string
}

// upstream is a TLS test server that refuses any request without the
// injected credential (as a bearer token, or as X-Api-Key), as a real MCP
// server would, with the challenge the MCP authorization specification
// prescribes.
type upstream struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []seen
}

func newUpstream(t *testing.T, h http.HandlerFunc) *upstream {
	t.Helper()
	u := &upstream{}
	u.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bearer := r.Header.Get("Authorization") == "Bearer "+secret && len(r.Header["Authorization"]) == 1
		key := r.Header.Get("X-Api-Key") == secret && len(r.Header["X-Api-Key"]) == 1
		if !bearer && !key {
			w.Header().Set("WWW-Authenticate", `Bearer resource_metadata="`+u.URL+`/.well-known/oauth-protected-resource"`)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"resource":"`+u.URL+`","authorization_servers":["https://auth.example.com"]}`)
			return
		}
		body := ""
		if r.Method == http.MethodPost && !strings.HasPrefix(r.URL.Path, "/stream") {
			b, _ := io.ReadAll(r.Body)
			body = string(b)
		}
		u.mu.Lock()
		u.reqs = append(u.reqs, seen{r.Method, r.URL.Path, r.URL.RawPath, r.URL.RawQuery, r.Header.Clone(), body})
		u.mu.Unlock()
		h(w, r)
	}))
	// Handshakes the proxy fails on purpose are not worth a log line.
	u.Config.ErrorLog = log.New(io.Discard, "", 0)
	u.StartTLS()
	t.Cleanup(u.Close)
	return u
}

// received returns what the upstream has been sent so far.
func (u *upstream) received() []seen {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]seen(nil), u.reqs...)
}

// last returns the last request the upstream accepted.
func (u *upstream) last(t *testing.T) seen {
	t.Helper()
	r := u.received()
	if len(r) == 0 {
		t.Fatal("the upstream received nothing")
	}
	return r[len(r)-1]
}

func (u *upstream) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(u.Certificate())
	return p
}

// at returns the upstream's URL with path and query appended.
func (u *upstream) at(t *testing.T, pathQuery string) *url.URL {
	t.Helper()
	v, err := url.Parse(u.URL + pathQuery)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// start starts a proxy for the servers, trusting u's certificate, and
// closes it when the test ends.
func start(t *testing.T, u *upstream, servers ...Server) *Proxy {
	t.Helper()
	p, err := Start(servers, Options{RootCAs: u.pool()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
	return p
}

// bearer is the Header of a server that injects the right credential.
func bearer() http.Header {
	return http.Header{"Authorization": {"Bearer " + secret}}
}

// agent is the HTTP client standing for the agent: its own transport,
// no proxy from the environment, redirects not followed.
func agent(t *testing.T) *http.Client {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       waitLimit,
	}
}

// result is a response the agent got, its body read.
type result struct {
	Status int
	Header http.Header
	Body   string
}

func do(t *testing.T, c *http.Client, req *http.Request) result {
	t.Helper()
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return result{res.StatusCode, res.Header, string(b)}
}

func newRequest(t *testing.T, method, target string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// raw sends text as it is to the proxy's port and returns the status of
// the answer, for requests an HTTP client would not send.
func raw(t *testing.T, p *Proxy, text string) int {
	t.Helper()
	conn, err := net.Dial("tcp", "127.0.0.1:"+p.port)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(waitLimit))
	if _, err := io.WriteString(conn, text); err != nil {
		t.Fatal(err)
	}
	method, _, _ := strings.Cut(text, " ")
	res, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// readEvent reads one server-sent event, up to and without its blank line.
func readEvent(br *bufio.Reader) (string, error) {
	var ev strings.Builder
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return ev.String() + line, err
		}
		if line == "\n" {
			return ev.String(), nil
		}
		ev.WriteString(line)
	}
}

// within receives from ch, failing the test after waitLimit.
func within[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitLimit):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}
