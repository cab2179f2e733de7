package mcpproxy_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"

	"rigup-exec/mcpproxy"
)

// A supervisor starts the proxy with the key it decrypted, writes the local
// URL into the agent's MCP configuration, and closes the proxy once the
// agent has exited.
func ExampleStart() {
	key := os.Getenv("EXAMPLE_KEY") // in rigup-exec, a value from the decrypted secrets
	upstream, err := url.Parse("https://mcp.example.com/mcp")
	if err != nil {
		return
	}
	p, err := mcpproxy.Start([]mcpproxy.Server{{
		Name:     "example",
		Upstream: upstream,
		Header:   http.Header{"Authorization": {"Bearer " + key}},
	}}, mcpproxy.Options{})
	if err != nil {
		return
	}
	defer p.Close()

	config := map[string]any{"mcpServers": map[string]any{
		"example": map[string]string{"type": "http", "url": p.URL("example")},
	}}
	json.NewEncoder(os.Stdout).Encode(config) // no key in it
	// ... run the agent ...
}
