// Package mcpproxy is a local reverse proxy for remote MCP servers (the
// Streamable HTTP and the older HTTP+SSE transports) that adds each
// server's credential to the requests on their way out, so that an agent's
// MCP configuration holds a local URL and never the credential itself.
//
// A supervisor holding the secrets calls [Start] with one [Server] per
// upstream, writes [Proxy.URL] of each into the agent's configuration, runs
// the agent, and calls [Proxy.Close] when it is done:
//
//	p, err := mcpproxy.Start([]mcpproxy.Server{{
//		Name:     "github",
//		Upstream: upstream, // https://api.githubcopilot.com/mcp/
//		Header:   http.Header{"Authorization": {"Bearer " + key}},
//	}}, mcpproxy.Options{})
//	...
//	url := p.URL("github") // http://127.0.0.1:PORT/TOKEN/github
//
// # What the agent can and cannot do
//
// The agent is assumed hostile (prompt-injected) and to run as the same
// user. It may use each server, which is the point, but must never learn
// the credential, nor obtain another one it could carry away.
//
//   - The proxy listens on 127.0.0.1 only, at a port the kernel picks. Every
//     local URL starts with a token of 32 random bytes (base64url). A
//     request without the right token, or with an unknown server name,
//     gets a bare 404; the token is compared in constant time.
//   - Each server has one fixed upstream. The path after /TOKEN/NAME is
//     appended to the upstream's path, and the agent's query to the
//     upstream's query; segments that could climb out of that path (".",
//     "..", an escaped slash or backslash) get a 400. The absolute request
//     form and CONNECT get a 400, so the agent can never pick a host.
//   - Host must be 127.0.0.1:PORT or localhost:PORT, so a web page that
//     rebinds its own name to 127.0.0.1 gets a 403; so does any request with
//     an Origin other than http://127.0.0.1:PORT or http://localhost:PORT,
//     which only a browser would send.
//   - GET, POST and DELETE pass; other methods get a 405.
//   - OAuth and OpenID discovery documents (/.well-known/oauth-* and
//     /.well-known/openid-* anywhere in the path) get a 404.
//
// The token is what stands between the proxy and any other local process:
// whoever reads the agent's configuration can use the servers too, for as
// long as the proxy runs. It protects the credential's value, not its use.
//
// # Requests
//
// The agent's headers pass through, the MCP ones among them
// (Mcp-Session-Id, MCP-Protocol-Version, Accept, Last-Event-ID), but for:
// hop-by-hop headers and those named in Connection; Upgrade, so that no
// request turns into a tunnel; the agent's own Authorization,
// Proxy-Authorization and Cookie; any header named in Server.Header, which
// is then set to the configured value; Origin and Referer, which name the
// local URL (Referer with the token). No forwarding header is sent:
// Forwarded, X-Forwarded-*, X-Real-IP and Via are removed and none is
// added, as they would only tell the upstream "localhost". Cookies the
// upstream set are sent back from a jar kept in the proxy. Bodies stream both ways:
// each write of the upstream reaches the agent at once, so server-sent
// events arrive one by one.
//
// Upstreams must use https, verified against the system's roots or
// Options.RootCAs; plain http is allowed only to a loopback address, and
// only with Options.AllowLoopbackHTTP. The proxy honours HTTPS_PROXY and
// NO_PROXY as any Go program does.
//
// # Responses
//
// A 401 or 403 from the upstream becomes a 502 whose text says that the
// configured credential was refused and that signing in from the agent's
// side cannot help. Neither its WWW-Authenticate header, whose
// resource_metadata link tells an MCP client to start an OAuth flow, nor
// its body reaches the agent. An agent that signed in by itself would hold
// a token of its own, which is exactly what the proxy exists to prevent. A
// 401 without the header was not chosen: the MCP authorization
// specification has clients look for the well-known documents by
// themselves when a 401 names none.
//
// Besides the hop-by-hop headers, these response headers are removed:
// WWW-Authenticate, Proxy-Authenticate and Authentication-Info; Set-Cookie
// (the cookie goes to the jar: a session cookie obtained with the
// credential is as good as the credential); Content-Location; any header
// named in Server.Header; and any header whose value holds an injected
// value, the last word of one ("Bearer KEY" gives KEY), or a value of the
// upstream's query, if 8 bytes or longer. Informational (1xx) responses
// pass with no headers at all.
//
// A Location inside the upstream's path becomes the matching local path;
// a redirect anywhere else becomes a 502, since following it would take
// the agent to the upstream directly. For the same reason the "endpoint"
// event of the HTTP+SSE transport is mapped to a local path, and a stream
// whose endpoint lies outside the upstream's path ends with an error. For
// that transport, give the upstream as the common prefix of the stream's
// and the messages' paths (often the bare origin) and append the stream's
// path to [Proxy.URL]: with an upstream of https://example.com, the agent's
// URL is p.URL("name") + "/sse", and an endpoint of
// /messages?session_id=X becomes /TOKEN/name/messages?session_id=X.
//
// Errors that stop a request (connection refused, a bad certificate)
// become a 502 with the transport's error text, which names the upstream's
// address but not its URL; a text that holds a secret or the upstream's
// path or query anyway is replaced by a bare one. Errors returned by [Start] and
// [Proxy.Close] name the server and what is wrong, never a header value or
// the upstream's path or query.
//
// # Limits
//
//   - Bodies are passed through unread: an upstream that echoes the
//     credential in a body, or in a trailer, hands it to the agent.
//   - Values shorter than 8 bytes are not looked for in response headers.
//   - Only the endpoint event and Location are mapped; a URL of the
//     upstream in another header (Link, say) or inside a JSON-RPC message
//     reaches the agent as it is.
//   - An event longer than 64 KiB is passed on unparsed, so an "endpoint"
//     event that long would not be mapped.
//   - Timeouts cover reading the agent's request headers (10 s), idle
//     connections, dialling and the TLS handshake; nothing limits how long
//     a response or a stream may last.
package mcpproxy
