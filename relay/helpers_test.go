package relay

import (
	"bufio"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	osexec "os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The test binary is also the fake server, its grandchild and the relay
// client, chosen by its first argument. They end with exit rather than
// os.Exit, which would wait a second when built with -race.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "fake-server":
			fakeServer(os.Args[2:])
		case "fake-sleeper":
			time.Sleep(time.Hour)
			exit(0)
		case "relay-client":
			if err := Dial(os.Args[2], os.Args[3], os.Stdin, os.Stdout); err != nil {
				fmt.Fprintln(os.Stderr, "relay:", err)
				exit(1)
			}
			exit(0)
		}
	}
	os.Exit(m.Run())
}

// request and response are the fake server's JSON-RPC-ish lines.
type request struct {
	ID     int    `json:"id"`
	Method string `json:"method"`
}

type response struct {
	ID     int      `json:"id,omitempty"`
	Event  string   `json:"event,omitempty"` // "eof" once stdin ended
	Key    string   `json:"key,omitempty"`   // "ok", "wrong" or "missing"
	PID    int      `json:"pid,omitempty"`
	Child  int      `json:"child,omitempty"` // pid of a grandchild, with -child
	Env    []string `json:"env,omitempty"`   // names only
	EnvSum string   `json:"envsum,omitempty"`
}

// fakeServer is a stdio server that needs FAKE_API_KEY, whose SHA-256 it
// is given as its first argument, and never prints the key. It answers
// "check" with the key's state and its pid, and "env" with the names in
// its environment and a hash of the whole of it; "exit" and "close-stdout"
// do what they say. When stdin ends it says
// so, then exits, unless told -ignore-eof.
func fakeServer(args []string) {
	keySum, flags := args[0], args[1:]
	fmt.Fprintln(os.Stderr, "fake: started")
	if slices.Contains(flags, "-ignore-term") {
		signal.Ignore(syscall.SIGTERM)
	}
	var child int
	if slices.Contains(flags, "-child") {
		// The grandchild holds the server's stdout, as a careless server's
		// descendant would.
		self, _ := os.Executable()
		cmd := osexec.Command(self, "fake-sleeper")
		cmd.Stdout = os.Stdout
		if err := cmd.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "fake:", err)
			exit(2)
		}
		child = cmd.Process.Pid
	}
	out := json.NewEncoder(os.Stdout)
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		var req request
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			fmt.Fprintln(os.Stderr, "fake: bad request")
			continue
		}
		resp := response{ID: req.ID, PID: os.Getpid(), Child: child}
		switch req.Method {
		case "exit": // at once, without an answer
			exit(3)
		case "close-stdout": // and go on running
			os.Stdout.Close()
			time.Sleep(time.Hour)
		case "check":
			key, ok := os.LookupEnv("FAKE_API_KEY")
			switch {
			case !ok:
				resp.Key = "missing"
			case sum(key) == keySum:
				resp.Key = "ok"
			default:
				resp.Key = "wrong"
			}
		case "env":
			env := os.Environ()
			for _, kv := range env {
				name, _, _ := strings.Cut(kv, "=")
				resp.Env = append(resp.Env, name)
			}
			resp.EnvSum = sum(strings.Join(env, "\x00"))
		}
		out.Encode(resp)
	}
	out.Encode(response{Event: "eof"})
	if slices.Contains(flags, "-ignore-eof") {
		time.Sleep(time.Hour)
	}
	exit(0)
}

func exit(code int) { syscall.Exit(code) }

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// fakeKey is the fake servers' API key.
var fakeKey = rand.Text()

// fake returns a fake server with the given flags and the right key.
func fake(name string, flags ...string) Server {
	self, err := os.Executable()
	if err != nil {
		panic(err)
	}
	return Server{
		Name: name,
		Path: self,
		Args: append([]string{"fake-server", sum(fakeKey)}, flags...),
		Env:  []string{"FAKE_API_KEY=" + fakeKey, "FAKE_OTHER=1"},
	}
}

// reap is what the supervisor reports of a reaped server.
type reap struct {
	name  string
	pid   int
	state *os.ProcessState
}

// harness is a supervisor under test, with what it reports.
type harness struct {
	*Supervisor
	path    string
	stderr  *syncBuffer
	started chan int
	reaped  chan reap
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// socketDir returns a new directory for a socket; t.TempDir's paths can
// be too long for one.
func socketDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "relay")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// start starts a supervisor for servers, closed when the test ends.
func start(t *testing.T, servers []Server, grace time.Duration, h hooks) *harness {
	t.Helper()
	hs := &harness{
		path:   filepath.Join(socketDir(t), "s"),
		stderr: &syncBuffer{},
		// Room for every server a test starts (TestSessionLimit's
		// MaxSessions+2): a full channel would hold the supervisor up.
		started: make(chan int, 64),
		reaped:  make(chan reap, 64),
	}
	h.started = func(name string, pid int) { hs.started <- pid }
	h.reaped = func(name string, pid int, state *os.ProcessState) { hs.reaped <- reap{name, pid, state} }
	s, err := listen(hs.path, servers, Options{Stderr: hs.stderr, Grace: grace}, h)
	if err != nil {
		t.Fatal(err)
	}
	hs.Supervisor = s
	t.Cleanup(func() { s.Close() })
	return hs
}

// waitReaped waits for the supervisor to reap pid and returns its state.
func (hs *harness) waitReaped(t *testing.T, pid int) *os.ProcessState {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case r := <-hs.reaped:
			if r.pid == pid {
				return r.state
			}
		case <-timeout:
			t.Fatalf("server %d not reaped", pid)
		}
	}
}

// noneStarted fails if the supervisor started a server.
func (hs *harness) noneStarted(t *testing.T) {
	t.Helper()
	select {
	case pid := <-hs.started:
		t.Errorf("server %d started", pid)
	default:
	}
}

// talk is a relay at work, seen from the agent's side.
type talk struct {
	t     *testing.T
	stdin io.WriteCloser
	out   *bufio.Reader
	id    int
}

func (s *talk) call(method string) response {
	s.t.Helper()
	s.id++
	if _, err := fmt.Fprintf(s.stdin, `{"id":%d,"method":%q}`+"\n", s.id, method); err != nil {
		s.t.Fatal(err)
	}
	resp := s.read()
	if resp.ID != s.id {
		s.t.Fatalf("answer %+v to request %d", resp, s.id)
	}
	return resp
}

func (s *talk) read() response {
	s.t.Helper()
	line, err := s.out.ReadBytes('\n')
	if err != nil {
		s.t.Fatalf("reading the server's output: %v (got %q)", err, line)
	}
	var resp response
	if err := json.Unmarshal(line, &resp); err != nil {
		s.t.Fatalf("server's output %q: %v", line, err)
	}
	return resp
}

// dial runs Dial in a goroutine, with pipes for stdin and stdout; its
// result comes on the returned channel.
func dial(t *testing.T, path, name string) (*talk, <-chan error) {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	t.Cleanup(func() { inW.Close(); outR.Close() })
	done := make(chan error, 1)
	go func() {
		err := Dial(path, name, inR, outW)
		outW.CloseWithError(io.EOF)
		done <- err
	}()
	return &talk{t: t, stdin: inW, out: bufio.NewReader(outR)}, done
}

// waitErr waits for the result of Dial.
func waitErr(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("Dial did not return")
		return nil
	}
}

// client is a relay process.
type client struct {
	*talk
	cmd    *osexec.Cmd
	stderr *strings.Builder
}

// runClient starts a relay process for name, with extra variables in its
// environment.
func runClient(t *testing.T, path, name string, env ...string) *client {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := osexec.Command(self, "relay-client", path, name)
	cmd.Env = append(os.Environ(), env...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &strings.Builder{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return &client{&talk{t: t, stdin: stdin, out: bufio.NewReader(stdout)}, cmd, stderr}
}

// raw connects to the socket without Dial, sends req and returns the
// connection and what the supervisor answered up to its first newline.
func raw(t *testing.T, path, req string) (*net.UnixConn, *bufio.Reader, string) {
	t.Helper()
	c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if req != "" {
		if _, err := c.Write([]byte(req)); err != nil {
			t.Fatal(err)
		}
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	answer, _ := r.ReadString('\n')
	return c, r, answer
}

// alive reports whether pid names a process, a zombie included.
func alive(pid int) bool {
	return syscall.Kill(pid, 0) == nil
}

// signalled returns the signal that ended a process, or 0.
func signalled(state *os.ProcessState) syscall.Signal {
	if ws, ok := state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return ws.Signal()
	}
	return 0
}
