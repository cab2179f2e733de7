package relay

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	osexec "os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The relay carries requests to a server started with the supervisor's
// environment, delivers what the server says after its stdin ended, and
// returns once the server is gone, with what it left in its group.
func TestRelay(t *testing.T) {
	t.Parallel()
	var flags []string
	if runtime.GOOS == "linux" {
		flags = append(flags, "-child") // killed with the group once the server exits
	}
	wrong := fake("wrong")
	wrong.Env = []string{"FAKE_API_KEY=not-" + fakeKey}
	hs := start(t, []Server{fake("fake", flags...), wrong}, time.Second, hooks{})

	s, done := dial(t, hs.path, "fake")
	r := s.call("check")
	if r.Key != "ok" {
		t.Errorf("server's key is %s", r.Key)
	}
	if pid := <-hs.started; pid != r.PID {
		t.Errorf("started %d, answered by %d", pid, r.PID)
	}
	if r2 := s.call("check"); r2.PID != r.PID {
		t.Errorf("second answer from %d, first from %d", r2.PID, r.PID)
	}

	w, wdone := dial(t, hs.path, "wrong")
	if rw := w.call("check"); rw.Key != "wrong" {
		t.Errorf("server with the wrong key says %s", rw.Key)
	}
	w.stdin.Close()
	w.read()
	waitErr(t, wdone)

	s.stdin.Close()
	if e := s.read(); e.Event != "eof" {
		t.Errorf("server's last words: %+v", e)
	}
	if err := waitErr(t, done); err != nil {
		t.Errorf("Dial: %v", err)
	}
	if alive(r.PID) {
		t.Errorf("server %d still there after Dial returned", r.PID)
	}
	if r.Child != 0 && !exited(r.Child, 2*time.Second) {
		t.Errorf("server's child %d still running", r.Child)
	}
	if !strings.Contains(hs.stderr.String(), "fake: started") {
		t.Errorf("server's stderr not passed on: %q", hs.stderr.String())
	}
}

// A server's environment is Server.Env, nothing more: neither the
// supervisor's nor the relay's.
func TestEnvironment(t *testing.T) {
	t.Parallel()
	srv := fake("fake")
	bare := fake("bare")
	bare.Env = nil
	hs := start(t, []Server{srv, bare}, time.Second, hooks{})

	c := runClient(t, hs.path, "fake", "RELAY_TEST_CLIENT=from-the-relay")
	r := c.call("env")
	if want := []string{"FAKE_API_KEY", "FAKE_OTHER"}; !slices.Equal(r.Env, want) {
		t.Errorf("server's environment has %q, want %q", r.Env, want)
	}
	if r.EnvSum != sum(strings.Join(srv.Env, "\x00")) {
		t.Error("server's environment differs from Server.Env")
	}
	if r := c.call("check"); r.Key != "ok" {
		t.Errorf("server's key is %s", r.Key)
	}
	c.stdin.Close()
	c.read()
	if err := c.cmd.Wait(); err != nil {
		t.Errorf("relay: %v: %s", err, c.stderr)
	}

	s, done := dial(t, hs.path, "bare")
	if r := s.call("env"); len(r.Env) != 0 {
		t.Errorf("server with a nil Env sees %q", r.Env)
	}
	if r := s.call("check"); r.Key != "missing" {
		t.Errorf("server with a nil Env: key %s", r.Key)
	}
	s.stdin.Close()
	s.read()
	waitErr(t, done)
}

// A server that exits ends the relay, once it is reaped.
func TestServerExits(t *testing.T) {
	t.Parallel()
	hs := start(t, []Server{fake("fake")}, time.Second, hooks{})
	s, done := dial(t, hs.path, "fake")
	r := s.call("check")
	io.WriteString(s.stdin, `{"id":2,"method":"exit"}`+"\n")
	if err := waitErr(t, done); err != nil {
		t.Errorf("Dial: %v", err)
	}
	if alive(r.PID) {
		t.Errorf("server %d still there after Dial returned", r.PID)
	}
}

// A server that closes its stdout but goes on running ends the relay after
// the grace period, and is then killed.
func TestServerClosesStdout(t *testing.T) {
	t.Parallel()
	hs := start(t, []Server{fake("fake")}, 100*time.Millisecond, hooks{})
	s, done := dial(t, hs.path, "fake")
	r := s.call("check")
	io.WriteString(s.stdin, `{"id":2,"method":"close-stdout"}`+"\n")
	if err := waitErr(t, done); err != nil {
		t.Errorf("Dial: %v", err)
	}
	if sig := signalled(hs.waitReaped(t, r.PID)); sig != syscall.SIGTERM {
		t.Errorf("server ended by signal %d, want SIGTERM", sig)
	}
}

// A relay killed while its server runs takes the server and its group
// with it.
func TestRelayKilled(t *testing.T) {
	t.Parallel()
	flags := []string{"-ignore-eof"}
	if runtime.GOOS == "linux" {
		flags = append(flags, "-child")
	}
	hs := start(t, []Server{fake("stubborn", flags...)}, time.Second, hooks{})
	c := runClient(t, hs.path, "stubborn")
	r := c.call("check")
	c.cmd.Process.Kill()
	c.cmd.Wait()
	if sig := signalled(hs.waitReaped(t, r.PID)); sig != syscall.SIGTERM {
		t.Errorf("server ended by signal %d, want SIGTERM", sig)
	}
	if r.Child != 0 && !exited(r.Child, 2*time.Second) {
		t.Errorf("server's child %d still running", r.Child)
	}
}

// A relay whose stdin ended waits for the server's output; when it is
// killed then, the server is killed too, although the relay's end of
// file reached it long before.
func TestHalfClosedRelayKilled(t *testing.T) {
	t.Parallel()
	hs := start(t, []Server{fake("stubborn", "-ignore-eof")}, time.Second, hooks{})
	c := runClient(t, hs.path, "stubborn")
	r := c.call("check")
	c.stdin.Close()
	if e := c.read(); e.Event != "eof" {
		t.Fatalf("server's last words: %+v", e)
	}
	if !alive(r.PID) {
		t.Fatal("server gone before the relay")
	}
	c.cmd.Process.Kill()
	c.cmd.Wait()
	if sig := signalled(hs.waitReaped(t, r.PID)); sig != syscall.SIGTERM {
		t.Errorf("server ended by signal %d, want SIGTERM", sig)
	}
}

// A server that ignores SIGTERM gets SIGKILL after the grace period.
func TestGrace(t *testing.T) {
	t.Parallel()
	hs := start(t, []Server{fake("deaf", "-ignore-term", "-ignore-eof")}, 100*time.Millisecond, hooks{})
	c, out, answer := raw(t, hs.path, "deaf\n")
	if answer != "ok\n" {
		t.Fatalf("answer %q", answer)
	}
	s := &talk{t: t, stdin: c, out: out}
	r := s.call("check") // the server now ignores SIGTERM
	c.Close()
	if sig := signalled(hs.waitReaped(t, r.PID)); sig != syscall.SIGKILL {
		t.Errorf("server ended by signal %d, want SIGKILL", sig)
	}
}

// Two relays for one name get a server each.
func TestConcurrentSessions(t *testing.T) {
	t.Parallel()
	hs := start(t, []Server{fake("fake")}, time.Second, hooks{})
	s1, done1 := dial(t, hs.path, "fake")
	s2, done2 := dial(t, hs.path, "fake")
	r1, r2 := s1.call("check"), s2.call("check")
	if r1.PID == r2.PID {
		t.Fatalf("both relays talk to server %d", r1.PID)
	}
	if !alive(r1.PID) || !alive(r2.PID) {
		t.Fatal("a server is gone")
	}
	s1.stdin.Close()
	s1.read()
	if err := waitErr(t, done1); err != nil {
		t.Errorf("first Dial: %v", err)
	}
	if r := s2.call("check"); r.PID != r2.PID || r.Key != "ok" {
		t.Errorf("second session after the first ended: %+v", r)
	}
	s2.stdin.Close()
	s2.read()
	if err := waitErr(t, done2); err != nil {
		t.Errorf("second Dial: %v", err)
	}
}

func TestRejected(t *testing.T) {
	t.Parallel()
	hs := start(t, []Server{fake("fake")}, time.Second, hooks{})

	err := Dial(hs.path, "nope", strings.NewReader(""), io.Discard)
	if !errors.Is(err, ErrUnknownServer) || err.Error() != `unknown server "nope"` {
		t.Errorf("Dial of an unknown server: %v", err)
	}
	// Dial refuses these before connecting: the socket does not exist.
	for _, name := range []string{"", "a/b", "a b", "../../bin/sh", strings.Repeat("x", 65)} {
		err := Dial("/nonexistent/socket", name, strings.NewReader(""), io.Discard)
		if !errors.Is(err, ErrInvalidName) {
			t.Errorf("Dial(%q): %v", name, err)
		}
	}
	// The supervisor refuses them too, and repeats nothing.
	for _, req := range []string{
		"../fake\n",
		"fake --flag\n",
		"npx -y @upstash/context7-mcp\n",
		"/bin/sh -c id\n",
		"FAKE_API_KEY=x fake\n",
		"\n",
		"fake\r\n",
		"fake\x00\n",
		strings.Repeat("f", 65) + "\n",
		strings.Repeat("f", 4096), // and no newline
	} {
		_, r, answer := raw(t, hs.path, req)
		if answer != "error: invalid name\n" {
			t.Errorf("request %q: answer %q", req, answer)
		}
		if rest, _ := io.ReadAll(r); len(rest) != 0 {
			t.Errorf("request %q: more after the answer: %q", req, rest)
		}
	}
	if _, _, answer := raw(t, hs.path, "nope\n"); answer != "error: unknown server\n" {
		t.Errorf("unknown server: answer %q", answer)
	}
	hs.noneStarted(t)
}

// Bytes sent after the request without waiting for "ok" reach the server.
func TestPipelinedRequest(t *testing.T) {
	t.Parallel()
	hs := start(t, []Server{fake("fake")}, time.Second, hooks{})
	c, out, answer := raw(t, hs.path, "fake\n"+`{"id":1,"method":"check"}`+"\n")
	if answer != "ok\n" {
		t.Fatalf("answer %q", answer)
	}
	s := &talk{t: t, stdin: c, out: out}
	if r := s.read(); r.ID != 1 || r.Key != "ok" {
		t.Errorf("answer %+v", r)
	}
}

// A relay that does not finish its request in time is cut off unanswered.
func TestRequestTimeout(t *testing.T) {
	t.Parallel()
	hs := start(t, []Server{fake("fake")}, time.Second, hooks{requestTimeout: 50 * time.Millisecond})
	for _, req := range []string{"", "fak"} {
		if _, _, answer := raw(t, hs.path, req); answer != "" {
			t.Errorf("request %q: answer %q", req, answer)
		}
	}
	hs.noneStarted(t)
}

func TestStartError(t *testing.T) {
	t.Parallel()
	missing := fake("missing")
	missing.Path = "/nonexistent/server"
	hs := start(t, []Server{missing}, time.Second, hooks{})
	err := Dial(hs.path, "missing", strings.NewReader(""), io.Discard)
	var se *StartError
	if !errors.As(err, &se) || se.Name != "missing" || !strings.Contains(se.Reason, "/nonexistent/server") {
		t.Errorf("Dial: %v", err)
	}
	if err != nil && strings.Contains(err.Error(), fakeKey) {
		t.Error("error holds the key")
	}
	hs.noneStarted(t)
}

// The supervisor refuses a peer of another uid (as seen by the check alone).
func TestPeerUID(t *testing.T) {
	t.Parallel()
	other := os.Geteuid() + 1
	hs := start(t, []Server{fake("fake")}, time.Second, hooks{uid: &other})
	if err := Dial(hs.path, "fake", strings.NewReader(""), io.Discard); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("Dial: %v", err)
	}
	hs.noneStarted(t)
}

// A process of another uid that gets through the socket's mode is refused
// by the credential check.
func TestPeerOtherUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("connecting as another uid needs root")
	}
	t.Parallel()
	dir := socketDir(t)
	if err := os.Chmod(dir, 0o711); err != nil {
		t.Fatal(err)
	}
	// The relay runs from a copy of the test binary that nobody can reach.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	relayBin := filepath.Join(dir, "relay.test")
	if err := os.WriteFile(relayBin, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	started := make(chan int, 1)
	sock := filepath.Join(dir, "s")
	s, err := listen(sock, []Server{fake("fake")}, Options{}, hooks{started: func(string, int) { started <- 0 }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := os.Chmod(sock, 0o666); err != nil { // let the connection through
		t.Fatal(err)
	}
	cmd := osexec.Command(relayBin, "relay-client", sock, "fake")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), ErrNotAllowed.Error()) {
		t.Errorf("relay as uid 65534: %v: %s", err, out)
	}
	select {
	case <-started:
		t.Error("server started for another uid")
	default:
	}
}

func TestListen(t *testing.T) {
	t.Parallel()
	dir := socketDir(t)
	p := filepath.Join(dir, "s")
	s, err := Listen(p, []Server{fake("fake")}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v", fi.Mode())
	}
	if _, err := Listen(p, nil, Options{}); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Listen on a live socket: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket left after Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := Dial(p, "fake", strings.NewReader(""), io.Discard); err == nil {
		t.Error("Dial after Close")
	}

	// Nothing that exists is replaced or followed.
	file := filepath.Join(dir, "file")
	os.WriteFile(file, []byte("data"), 0o600)
	target := filepath.Join(dir, "target")
	dangling := filepath.Join(dir, "dangling")
	os.Symlink(target, dangling)
	toFile := filepath.Join(dir, "tofile")
	os.Symlink(file, toFile)
	toDir := filepath.Join(dir, "todir")
	os.Symlink(socketDir(t), toDir)
	for _, p := range []string{file, dangling, toFile, toDir} {
		if _, err := Listen(p, nil, Options{}); !errors.Is(err, fs.ErrExist) {
			t.Errorf("Listen(%s): %v", filepath.Base(p), err)
		}
	}
	if b, _ := os.ReadFile(file); string(b) != "data" {
		t.Errorf("file now holds %q", b)
	}
	if _, err := os.Lstat(target); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("symlink followed: %v", err)
	}

	open := socketDir(t)
	os.Chmod(open, 0o777)
	bad := []string{
		filepath.Join(dir, strings.Repeat("x", 120)), // too long for sun_path
		filepath.Join(file, "s"),                     // not in a directory
		filepath.Join(dir, "missing", "s"),
		filepath.Join(open, "s"), // others may write there
	}
	if os.Geteuid() == 0 {
		theirs := socketDir(t)
		os.Chown(theirs, 65534, 65534)
		bad = append(bad, filepath.Join(theirs, "s"))
	}
	for _, p := range bad {
		if s, err := Listen(p, nil, Options{}); err == nil {
			s.Close()
			t.Errorf("Listen(%s) succeeded", p)
		}
	}

	self, _ := os.Executable()
	for _, servers := range [][]Server{
		{{Name: "a b", Path: self}},
		{{Name: "a", Path: self}, {Name: "a", Path: self}},
		{{Name: "a", Path: "relative/server"}},
	} {
		if s, err := Listen(filepath.Join(dir, "t"), servers, Options{}); err == nil {
			s.Close()
			t.Errorf("Listen(%+v) succeeded", servers)
		}
		if _, err := os.Lstat(filepath.Join(dir, "t")); err == nil {
			t.Errorf("socket made for refused servers %+v", servers)
		}
	}
}

// Close ends every session and returns once the servers are reaped.
func TestClose(t *testing.T) {
	t.Parallel()
	hs := start(t, []Server{fake("stubborn", "-ignore-eof")}, time.Second, hooks{})
	s, done := dial(t, hs.path, "stubborn")
	r := s.call("check")
	if err := hs.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if alive(r.PID) {
		t.Errorf("server %d still there after Close", r.PID)
	}
	if err := waitErr(t, done); err != nil {
		t.Errorf("Dial after Close: %v", err)
	}
	if _, err := os.Lstat(hs.path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket left after Close: %v", err)
	}
}

// No more than MaxSessions of a server run at once; one that ends makes
// room for another.
func TestSessionLimit(t *testing.T) {
	t.Parallel()
	hs := start(t, []Server{fake("fake")}, time.Second, hooks{})
	type open struct {
		s    *talk
		done <-chan error
	}
	var sessions []open
	for range MaxSessions {
		s, done := dial(t, hs.path, "fake")
		s.call("check")
		sessions = append(sessions, open{s, done})
	}
	var startErr *StartError
	err := Dial(hs.path, "fake", strings.NewReader(""), io.Discard)
	if !errors.As(err, &startErr) || !strings.Contains(startErr.Reason, "sessions of it run already") {
		t.Fatalf("Dial beyond the limit: %v", err)
	}
	first := sessions[0]
	first.s.stdin.Close()
	first.s.read()
	if err := waitErr(t, first.done); err != nil {
		t.Fatal(err)
	}
	// The supervisor counts the session out once it has reaped its
	// server, a moment after the relay has seen the end.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var out bytes.Buffer
		err := Dial(hs.path, "fake", strings.NewReader(`{"id":1,"method":"check"}`+"\n"), &out)
		if err == nil {
			if !strings.Contains(out.String(), `"ok"`) {
				t.Errorf("a session after one ended answered %q", out.String())
			}
			break
		}
		if !errors.As(err, &startErr) || time.Now().After(deadline) {
			t.Fatalf("no room for a session after one ended: %v", err)
		}
	}
	for _, o := range sessions[1:] {
		o.s.stdin.Close()
		o.s.read()
		waitErr(t, o.done)
	}
}
