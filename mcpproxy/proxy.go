package mcpproxy

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// Server is one remote MCP server the proxy stands in for.
type Server struct {
	// Name is the last segment of the server's local URL. It must be 1 to 64
	// bytes of ASCII letters, digits, '.', '_' or '-', not "." or "..", and
	// unique within one Proxy.
	Name string
	// Upstream is the server's endpoint. Its scheme must be https, unless
	// Options.AllowLoopbackHTTP is set and its host is a loopback address.
	// It may carry a path and a query, which the agent never sees; it must
	// not carry a user name or password (put credentials in Header) nor a
	// fragment. Start copies it.
	Upstream *url.URL
	// Header holds the headers set on every request to Upstream, such as
	// "Authorization: Bearer <key>" or "X-API-Key: <key>". Whatever the
	// agent sent under these names is dropped first. Hop-by-hop names,
	// Host, Content-Length and Transfer-Encoding are refused. Start copies
	// it.
	Header http.Header
}

// Options tune a Proxy. The zero value suits production use.
type Options struct {
	// RootCAs verifies the upstream servers' certificates; nil means the
	// system's roots.
	RootCAs *x509.CertPool
	// AllowLoopbackHTTP permits plain http upstreams whose host is
	// "localhost" or a loopback IP address, for tests and for servers run on
	// this machine. Plain http to any other host is always refused, as it
	// would send the credential in clear text.
	AllowLoopbackHTTP bool
}

// Proxy is a running proxy, listening on 127.0.0.1 at a port of the
// kernel's choosing. It is safe for concurrent use.
type Proxy struct {
	port    string // decimal
	token   []byte // the first path segment of every local URL
	servers map[string]*server

	srv       *http.Server
	transport *http.Transport
	cancel    context.CancelFunc // cancels every request in flight
	served    chan struct{}      // closed when Serve returned
	serveErr  error              // what Serve returned, read after served

	mu     sync.Mutex
	closed bool
	active sync.WaitGroup // handlers running
}

// server is the state kept for one Server.
type server struct {
	name     string
	prefix   string   // "/TOKEN/NAME": the local path of the server
	upstream *url.URL // a copy of Server.Upstream, scheme in lower case
	path     string   // upstream's escaped path, "/" when empty
	header   http.Header
	// secrets are the strings whose presence in a response header or an
	// error text means a credential is being echoed: see secretsOf.
	secrets []string
	// jar keeps the upstream's cookies on the proxy's side: a session
	// cookie handed out in exchange for the credential is as good as the
	// credential, so the agent never sees it.
	jar *cookiejar.Jar
	rp  *httputil.ReverseProxy
}

// Timeouts of the local listener and of the connections to upstream
// servers. There is deliberately no overall read, write or response
// timeout: an event stream may stay open for hours, and a tool call may
// take minutes before its response starts.
const (
	readHeaderTimeout   = 10 * time.Second
	idleTimeout         = 2 * time.Minute
	dialTimeout         = 30 * time.Second
	tlsHandshakeTimeout = 10 * time.Second
	upstreamIdleTimeout = 90 * time.Second
)

// Start checks the servers, listens on 127.0.0.1 at a free port and serves
// until Close. The returned errors never contain a header value, nor an
// upstream URL's path or query, which may hold a credential too.
func Start(servers []Server, opt Options) (*Proxy, error) {
	if len(servers) == 0 {
		return nil, errors.New("no servers to proxy")
	}
	raw := make([]byte, 32)
	// rand.Read never fails since Go 1.24: it crashes the program instead.
	rand.Read(raw)
	token := base64.RawURLEncoding.EncodeToString(raw)

	p := &Proxy{
		token:   []byte(token),
		servers: make(map[string]*server, len(servers)),
		served:  make(chan struct{}),
	}
	// No error log goes to stderr: the agent may share it, and nothing in
	// this package prints.
	quiet := log.New(io.Discard, "", 0)
	p.transport = newTransport(opt.RootCAs)
	rt := filterInformational{p.transport}
	for i, s := range servers {
		if err := checkName(s.Name); err != nil {
			return nil, fmt.Errorf("server %d: %w", i, err)
		}
		if p.servers[s.Name] != nil {
			return nil, fmt.Errorf("server %q: duplicate name", s.Name)
		}
		up, err := checkUpstream(s.Upstream, opt.AllowLoopbackHTTP)
		if err != nil {
			return nil, fmt.Errorf("server %q: %w", s.Name, err)
		}
		header, err := checkHeader(s.Header)
		if err != nil {
			return nil, fmt.Errorf("server %q: %w", s.Name, err)
		}
		// cookiejar.New fails only on bad options; nil has none.
		jar, _ := cookiejar.New(nil)
		sv := &server{
			name:     s.Name,
			prefix:   "/" + token + "/" + s.Name,
			upstream: up,
			path:     up.EscapedPath(),
			header:   header,
			secrets:  secretsOf(header, up),
			jar:      jar,
		}
		if sv.path == "" {
			sv.path = "/"
		}
		sv.rp = &httputil.ReverseProxy{
			Rewrite:        sv.rewrite,
			Transport:      rt,
			FlushInterval:  -1, // every write reaches the agent at once: events must not wait in a buffer
			ErrorLog:       quiet,
			ModifyResponse: sv.modifyResponse,
			ErrorHandler:   sv.fail,
		}
		p.servers[s.Name] = sv
	}

	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("failed to listen on 127.0.0.1: %w", err)
	}
	p.port = strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	p.srv = &http.Server{
		Handler:           http.HandlerFunc(p.serve),
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          quiet,
		// "OPTIONS *" would otherwise be answered before the checks.
		DisableGeneralOptionsHandler: true,
		// Every request's context derives from ctx, so that Close cancels
		// the upstream requests and ends the streams in flight.
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	go func() {
		p.serveErr = p.srv.Serve(ln)
		close(p.served)
	}()
	return p, nil
}

// newTransport makes the client side: system proxy settings from the
// environment as any Go program honours them (a proxy only sees the TLS
// tunnel), TLS 1.2 at least, HTTP/2 when the upstream offers it, and no
// transparent decompression, so that bodies pass through as they come.
func newTransport(roots *x509.CertPool) *http.Transport {
	dialer := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         dialer.DialContext,
		TLSClientConfig:     &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout: tlsHandshakeTimeout,
		ForceAttemptHTTP2:   true,
		DisableCompression:  true,
		IdleConnTimeout:     upstreamIdleTimeout,
		MaxIdleConnsPerHost: 4,
	}
}

// URL returns the local URL that stands for the named server, to be put in
// the agent's MCP configuration: http://127.0.0.1:PORT/TOKEN/NAME. A path
// appended to it is appended to the upstream's path. It returns "" for a
// name Start was not given.
//
// The URL is a credential for as long as the proxy runs: whoever holds it
// can use the server. It is worthless once the proxy is closed.
func (p *Proxy) URL(name string) string {
	s := p.servers[name]
	if s == nil {
		return ""
	}
	return "http://127.0.0.1:" + p.port + s.prefix
}

// Close stops listening, cancels the requests in flight (ending open event
// streams) and returns once every request handler has returned. It returns
// the error that stopped serving early, if any. Closing again does nothing.
func (p *Proxy) Close() error {
	p.mu.Lock()
	was := p.closed
	p.closed = true
	p.mu.Unlock()
	if was {
		return nil
	}
	p.cancel()
	err := p.srv.Close()
	p.active.Wait()
	<-p.served
	p.transport.CloseIdleConnections()
	if p.serveErr != nil && !errors.Is(p.serveErr, http.ErrServerClosed) {
		return fmt.Errorf("serving stopped: %w", p.serveErr)
	}
	if err != nil {
		return fmt.Errorf("failed to close: %w", err)
	}
	return nil
}

// enter registers a request handler, so that Close can wait for it; it
// reports false once Close has begun.
func (p *Proxy) enter() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.active.Add(1)
	return true
}
