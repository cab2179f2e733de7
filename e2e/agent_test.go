//go:build linux

package e2e

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"rigup-exec/sandbox"
)

// TestAgentCannotReadKeys runs a program that plays a prompt-injected
// agent (testdata/agentprobe) as the command of a rig whose MCP servers
// are private: a stdio server that needs its key in its environment, and
// a remote one, a TLS server here that needs its key in a header and
// streams events. The agent must complete calls through both, and find
// neither key by any other route: the rendered directory, /proc of every
// process of the user (rigup-exec, the guard, the server, this test),
// ptrace, signals, abstract sockets, the relay asked for something else,
// the proxy without its token or towards another host.
func TestAgentCannotReadKeys(t *testing.T) {
	if testing.Short() {
		t.Skip("exhaustive (every process of the user, every route): run_private_mcp and the sandbox package's tests cover the main path in -short")
	}
	t.Parallel()
	st := sandbox.Probe()
	if st.Reason != "" {
		t.Skipf("Landlock is not there (%s): the agent's domain, and so this test, cannot run", st.Reason)
	}
	require(t, "ssh-keygen", "age")
	localKey, remoteKey := "sk-local-"+rand.Text(), "sk-remote-"+rand.Text()
	w := newWorld(t).withSecrets(fmt.Sprintf("[mcp]\nlocal = %q\nremote = %q\n", localKey, remoteKey), "")

	probe := filepath.Join(w.root, "agentprobe")
	if out, err := exec.Command("go", "build", "-o", probe, "./testdata/agentprobe").CombinedOutput(); err != nil {
		t.Fatalf("building the probe: %v\n%s", err, out)
	}

	upstream := httptest.NewTLSServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+remoteKey {
			rw.Header().Set("WWW-Authenticate", `Bearer resource_metadata="https://auth.example/.well-known/oauth-protected-resource"`)
			http.Error(rw, "unauthorized", http.StatusUnauthorized)
			return
		}
		rw.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(rw, "data: first\n\n")
		rw.(http.Flusher).Flush()
		time.Sleep(300 * time.Millisecond)
		fmt.Fprint(rw, "data: second\n\n")
	}))
	t.Cleanup(upstream.Close)
	ca := w.write(filepath.Join(w.root, "upstream.pem"),
		string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: upstream.Certificate().Raw})), 0o644)

	sum := sha256.Sum256([]byte(localKey))
	tpl := w.templates()
	w.write(filepath.Join(tpl, "claude/settings.json"), `{"theme": "dark"}`, 0o644)
	w.write(filepath.Join(tpl, ".rigup-private/claude/mcp.json"), fmt.Sprintf(`{"mcpServers": {
		"local": {"command": %q, "args": ["serve", %q], "env": {"FAKE_KEY": "{{secrets.mcp.local}}"}},
		"remote": {"type": "http", "url": %q, "headers": {"Authorization": "Bearer {{secrets.mcp.remote}}"}}
	}}`, probe, hex.EncodeToString(sum[:]), upstream.URL+"/mcp"), 0o644)

	out := filepath.Join(w.root, "probe-out")
	if err := os.Mkdir(out, 0o700); err != nil {
		t.Fatal(err)
	}
	// The guard trusts the test's upstream through SSL_CERT_FILE, as Go
	// programs do.
	w.setenv("PROBE_OUT="+out, "SSL_CERT_FILE="+ca)
	res := w.run("-t", tpl, "--", probe, "attack")
	if !exited(res.ws, 0) {
		t.Fatalf("rigup-exec: %s\n%s", describe(res.ws), res.stderr)
	}
	var report struct {
		Relay      string
		Events     []string
		EventGapMS int64
		Attempts   map[string]string
	}
	if err := json.Unmarshal([]byte(res.stdout), &report); err != nil {
		t.Fatalf("the probe's report: %v\n%s\n%s", err, res.stdout, res.stderr)
	}

	// The agent's work.
	if report.Relay != "ok ping\n" {
		t.Errorf("through the relay the stdio server answered %q (%s), want ok ping", report.Relay, report.Attempts["use the stdio server"])
	}
	if strings.Join(report.Events, " ") != "first second" || report.EventGapMS < 200 {
		t.Errorf("through the proxy: events %q, %d ms apart; want first and second, streamed 300 ms apart", report.Events, report.EventGapMS)
	}

	// Every other route.
	tried := map[string]int{}
	for route, outcome := range report.Attempts {
		kind, target, _ := strings.Cut(route, " ")
		tried[kind]++
		refused := outcome != "ok"
		switch kind {
		case "environ", "maps", "mem", "ptrace":
			if !refused {
				t.Errorf("%s: the agent could", route)
			}
		case "signal":
			if st.Signals && !refused {
				t.Errorf("%s: the agent could signal a process outside its domain", route)
			}
		case "abstract":
			if st.AbstractSockets && !refused {
				t.Errorf("%s: the agent could connect to an abstract socket outside its domain", route)
			}
		case "relay":
			if !refused {
				t.Errorf("rigup-exec relay %s: it worked", target)
			}
		case "raw":
			if !strings.HasPrefix(outcome, "error:") {
				t.Errorf("%s: the relay answered %q", route, outcome)
			}
		case "proxy":
			want := map[string]string{"proxy absolute uri": "400", "proxy other host": "403"}[route]
			if want == "" {
				want = "404"
			}
			if !strings.Contains(outcome, want) {
				t.Errorf("%s: %q, want %s", route, outcome, want)
			}
		}
	}
	// That the routes were tried: the supervisor, the guard, the server
	// and this test are processes of the user, and the honeypot is there.
	for _, kind := range []string{"environ", "mem", "ptrace", "signal", "abstract", "relay", "raw", "proxy", "file"} {
		if tried[kind] == 0 {
			t.Errorf("the probe tried no %s route", kind)
		}
	}
	if !strings.Contains(fmt.Sprint(report.Attempts), "@agentprobe-honeypot-") {
		t.Error("the probe did not find the stdio server's abstract socket")
	}

	// Nothing it read, nor its report, holds a key.
	entries, err := os.ReadDir(out)
	if err != nil || len(entries) == 0 {
		t.Fatalf("the probe read nothing at all (%v): the search below would prove nothing", err)
	}
	all := [][]byte{[]byte(res.stdout), []byte(res.stderr)}
	for _, e := range entries {
		data, _ := os.ReadFile(filepath.Join(out, e.Name()))
		all = append(all, data)
	}
	for _, data := range all {
		for _, key := range []string{localKey, remoteKey} {
			// The key's random part, whole or its first half.
			random := key[strings.LastIndexByte(key, '-')+1:]
			if bytes.Contains(data, []byte(random[:len(random)/2])) {
				route, _, _ := bytes.Cut(data, []byte("\n"))
				t.Errorf("the agent found a key through %s", route)
			}
		}
	}
	w.expectRunDirs(0)
}

// rigup-exec-guard and the servers it runs end with rigup-exec, even when
// rigup-exec is killed with SIGKILL and cannot stop them: the guard's
// input, a pipe only rigup-exec holds, ends.
func TestGuardEndsWithRigupExec(t *testing.T) {
	t.Parallel()
	require(t, "ssh-keygen", "age")
	w := newWorld(t).withSecrets("[mcp]\nkey = \"sk-guard-end-value\"\n", "")
	bin := filepath.Join(w.root, "bin")
	w.write(filepath.Join(bin, "fake-mcp"), "#!/bin/sh\nwhile read -r line; do echo \"ok $line\"; done\n", 0o755)
	tpl := w.templates()
	w.write(filepath.Join(tpl, ".rigup-private/mcp.json"),
		`{"mcpServers": {"fake": {"command": "`+filepath.Join(bin, "fake-mcp")+`", "env": {"KEY": "{{secrets.mcp.key}}"}}}}`, 0o644)
	// The command keeps a relay session open, so that a server runs.
	agent := w.write(filepath.Join(w.root, "agent.sh"), `sock=$(tr -d '\n ' < "$XDG_CONFIG_HOME/mcp.json" | sed 's/.*"--socket","\([^"]*\)".*/\1/')
sleep 100 | rigup-exec relay --socket "$sock" fake &
exec sleep 100
`, 0o644)
	cmd := w.command("-t", tpl, "--", "sh", agent)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var guard, server proc
	poll(t, "no guard and server running", func() bool {
		guard, server = proc{}, proc{}
		for _, p := range descendants(cmd.Process.Pid) {
			switch p.comm {
			case "rigup-exec-guar":
				guard = p
			case "fake-mcp":
				server = p
			}
		}
		return guard.pid != 0 && server.pid != 0 && server.ppid == guard.pid
	})
	// The command's own processes (sleep, the relay) are the test's to
	// end: rigup-exec's death leaves them running.
	agents := descendants(cmd.Process.Pid)
	t.Cleanup(func() {
		for pid, p := range agents {
			if p.comm != "rigup-exec-guar" && p.comm != "fake-mcp" {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	poll(t, "the guard or its server outlived rigup-exec", func() bool {
		return !alive(guard.pid) && !alive(server.pid)
	})
}
