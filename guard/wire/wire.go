// Package wire is what rigup-exec and rigup-exec-guard say to each other.
// rigup-exec writes one Request, a line of JSON, to the guard's standard
// input, and reads one Response, a line of JSON, from its standard output;
// then it keeps that input open for as long as the guard is to run. The
// guard stops its servers and exits when the input ends, which is also
// what happens when rigup-exec dies, however it dies.
//
// It is a package of its own so that rigup-exec does not link the guard's
// HTTP proxy: every package linked into a Go program is initialised at
// each start, and net/http with crypto/tls would add 1.5 ms to every run.
package wire

// Request asks the guard to run the servers of each definition.
type Request struct {
	// Self is the rigup-exec that the agent runs as a relay.
	Self        string       `json:"self"`
	Definitions []Definition `json:"definitions"`
}

// Definition is a rendered private MCP definition.
type Definition struct {
	Name   string `json:"name"`   // its path in the template root, for messages
	Socket string `json:"socket"` // where its relay listens
	Data   []byte `json:"data"`   // the rendered JSON, secrets included
	// Values are the secrets Data holds, as looked up: where they may
	// not go is checked against them (see guard.CheckPlaces).
	Values []string `json:"values"`
}

// Response is the guard's answer: an error, or for each definition the
// agent's configuration, which holds no secret.
type Response struct {
	Error    string   `json:"error,omitempty"`
	Configs  [][]byte `json:"configs,omitempty"`
	Warnings []string `json:"warnings,omitempty"` // for rigup-exec to show
}
