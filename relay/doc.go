// Package relay lets an agent use stdio MCP servers whose secrets it must
// never read.
//
// The supervisor holds each server's environment (API keys included) in
// memory and starts the server itself, as its own child. The agent's MCP
// config runs a thin relay instead of the server (rigup-exec relay NAME),
// which connects to the supervisor's unix socket and carries its stdin and
// stdout there. The supervisor starts the server named NAME with the
// environment it holds and joins the server's stdin and stdout to the
// connection. The relay chooses a name and nothing else: never a command,
// an argument or an environment variable.
//
// # Protocol
//
// After connecting, the relay sends one line: the server's name and a
// newline. A name is 1 to 64 bytes of A-Z, a-z, 0-9, '.', '_' and '-'
// (see [ValidName]). The supervisor answers with one line:
//
//	ok
//	error: invalid name
//	error: unknown server
//	error: not allowed
//	error: cannot start: REASON
//
// After "ok" the connection carries raw bytes: from the relay to the
// server's stdin, and from the server's stdout to the relay. After an
// error line the supervisor closes the connection. An error line never
// repeats what the relay sent. A request that is too long or holds any
// other byte (a space, a slash, a command line) is answered "error:
// invalid name" as soon as the offending byte arrives; a request that does
// not arrive in time gets no answer. Bytes sent after the request line
// without waiting for "ok" go to the server's stdin.
//
// End of stream goes both ways with half-closes. When the relay's stdin
// ends, the relay shuts down its writing side and the supervisor closes
// the server's stdin; the server's remaining output still reaches the
// relay. When the server's stdout ends, the supervisor waits (at most the
// grace period) for the server to exit, then shuts down its writing side,
// and the relay returns.
//
// # Lifetimes
//
// Every connection gets a server process of its own, so an agent may open
// several sessions of one server. A server runs in a process group of its
// own; signals go to that group, so that what the server started (npx
// starts node) ends with it. The group gets SIGTERM, then SIGKILL after
// the grace period, when the relay closes its connection entirely (not
// merely its writing side), when writing to the relay fails, when both
// directions are shut down, or when the [Supervisor] is closed. On Linux,
// what is left of the group when the server exits is killed too, and a
// server gets SIGTERM if the supervisor dies.
//
// # Who may connect
//
// The socket is a pathname socket with mode 0600, made by [Listen] in a
// directory the caller owns. The supervisor also checks the peer's
// credentials (SO_PEERCRED on Linux, LOCAL_PEERCRED on macOS) and answers
// "error: not allowed" to a peer whose effective uid is not its own,
// without reading its request.
// Anyone with that uid may use every server: the package keeps the
// servers' secret values away from the agent, not their capability.
//
// Errors never hold environment values. The package prints nothing.
package relay
