package relay

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

var errBadRequest = errors.New("bad request")

// serve answers one relay and runs its server until the session ends.
func (s *Supervisor) serve(c *net.UnixConn) {
	uid, err := peerUID(c)
	if err != nil || uid != s.uid {
		s.answer(c, answerNotAllowed)
		return
	}
	name, rest, err := s.readRequest(c)
	if errors.Is(err, errBadRequest) {
		s.answer(c, answerInvalidName)
		return
	}
	if err != nil {
		return // closed, or too slow: nobody to answer
	}
	srv, ok := s.servers[name]
	if !ok {
		s.answer(c, answerUnknown)
		return
	}
	if !s.enter(name) {
		s.answer(c, answerCannotStart+fmt.Sprintf("%d sessions of it run already", MaxSessions))
		return
	}
	defer s.leave(name)
	ss, err := s.start(srv)
	if err != nil {
		s.answer(c, answerCannotStart+oneLine(err.Error()))
		return
	}
	s.answer(c, answerOK)
	ss.run(c, rest)
}

// enter counts a session of name in, if there is room for it.
func (s *Supervisor) enter(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running == nil {
		s.running = map[string]int{}
	}
	if s.running[name] >= MaxSessions {
		return false
	}
	s.running[name]++
	return true
}

// leave counts a session of name out, once its server is reaped.
func (s *Supervisor) leave(name string) {
	s.mu.Lock()
	s.running[name]--
	s.mu.Unlock()
}

// readRequest reads the request line: a valid name and a newline. It reads
// no more than a longest request, and returns what came after the newline
// in the same reads. It fails with errBadRequest as soon as a byte cannot
// belong to a request.
func (s *Supervisor) readRequest(c *net.UnixConn) (name string, rest []byte, err error) {
	c.SetReadDeadline(time.Now().Add(s.hooks.requestTimeout))
	defer c.SetReadDeadline(time.Time{})
	var buf [MaxNameLen + 1]byte
	n := 0
	for n < len(buf) {
		m, err := c.Read(buf[n:])
		for i := n; i < n+m; i++ {
			switch {
			case buf[i] == '\n' && i > 0:
				return string(buf[:i]), bytes.Clone(buf[i+1 : n+m]), nil
			case !nameByte(buf[i]):
				return "", nil, errBadRequest
			}
		}
		n += m
		if err != nil {
			return "", nil, err
		}
	}
	return "", nil, errBadRequest // too long
}

// answer sends one answer line. If it cannot, the relay is gone, which
// the session notices.
func (s *Supervisor) answer(c *net.UnixConn, line string) {
	c.SetWriteDeadline(time.Now().Add(s.hooks.requestTimeout))
	defer c.SetWriteDeadline(time.Time{})
	c.Write([]byte(line + "\n"))
}

// session is one running server.
type session struct {
	s      *Supervisor
	name   string
	cmd    *exec.Cmd
	stdin  *os.File // the writing end of the server's stdin
	stdout *os.File // the reading end of the server's stdout

	mu     sync.Mutex
	exited bool          // the server exited: its group is signalled no more
	reaped chan struct{} // closed once the server is reaped
}

// start starts srv with pipes for stdin and stdout, in a process group of
// its own.
func (s *Supervisor) start(srv Server) (*session, error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	cmd := &exec.Cmd{
		Path:        srv.Path,
		Args:        append([]string{srv.Path}, srv.Args...),
		Env:         srv.Env, // never nil (see listen): nil would pass ours on
		Dir:         srv.Dir,
		Stdin:       inR,
		Stdout:      outW,
		Stderr:      s.opts.Stderr,
		SysProcAttr: sysProcAttr(),
		WaitDelay:   s.opts.Grace,
	}
	err = cmd.Start()
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, err
	}
	if s.hooks.started != nil {
		s.hooks.started(srv.Name, cmd.Process.Pid)
	}
	ss := &session{s: s, name: srv.Name, cmd: cmd, stdin: inW, stdout: outR, reaped: make(chan struct{})}
	go ss.wait()
	return ss, nil
}

// wait reaps the server. Where the platform lets it see the exit without
// reaping, it first kills what is left of the server's process group: its
// id cannot be reused while the server is a zombie.
func (ss *session) wait() {
	if awaitExit(ss.cmd.Process.Pid) {
		ss.mu.Lock()
		syscall.Kill(-ss.cmd.Process.Pid, syscall.SIGKILL)
		ss.exited = true
		ss.mu.Unlock()
	}
	ss.cmd.Wait()
	ss.mu.Lock()
	ss.exited = true
	ss.mu.Unlock()
	if h := ss.s.hooks.reaped; h != nil {
		h(ss.name, ss.cmd.Process.Pid, ss.cmd.ProcessState)
	}
	close(ss.reaped)
}

// signal sends sig to the server's process group, and to the server itself
// in case it left the group, until it has exited.
func (ss *session) signal(sig syscall.Signal) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.exited {
		return
	}
	syscall.Kill(-ss.cmd.Process.Pid, sig)
	ss.cmd.Process.Signal(sig)
}

// run joins the server to the connection c until both are done; rest is
// what the relay sent after its request.
func (ss *session) run(c *net.UnixConn, rest []byte) {
	grace := ss.s.opts.Grace
	closing := ss.s.done

	// The relay's bytes go to the server's stdin. When the relay shuts
	// down its writing side, the server's stdin is closed, and the relay
	// is then watched until it closes the connection entirely.
	hungUp := make(chan struct{}) // closed when the relay is gone
	inDone := make(chan struct{}) // closed when this goroutine returns
	go func() {
		defer close(inDone)
		readErr, _ := pump(ss.stdin, io.MultiReader(bytes.NewReader(rest), c))
		ss.stdin.Close()
		if readErr == nil {
			readErr = waitHangup(c)
		}
		if readErr == nil || !errors.Is(readErr, net.ErrClosed) {
			close(hungUp)
		}
	}()

	// The server's output goes to the relay.
	outEnded := make(chan error, 1) // nil: the server's stdout ended; else writing to the relay failed
	go func() {
		readErr, writeErr := pump(c, ss.stdout)
		if writeErr != nil {
			outEnded <- writeErr
		} else {
			outEnded <- readErr // only when ss.stdout was closed below
		}
	}()

	var (
		terminating bool
		killTimer   <-chan time.Time
		closeTimer  <-chan time.Time // after the server's stdout ended
		outDone     bool
		wroteEOF    bool
	)
	terminate := func() {
		if !terminating {
			terminating = true
			ss.signal(syscall.SIGTERM)
			killTimer = time.After(grace)
		}
	}
	closeWrite := func() {
		if !wroteEOF {
			wroteEOF = true
			c.CloseWrite()
		}
	}
	reaped := ss.reaped
	for reaped != nil {
		select {
		case <-reaped:
			reaped = nil
		case <-hungUp:
			hungUp = nil
			terminate()
		case err := <-outEnded:
			outEnded, outDone = nil, true
			if err != nil {
				terminate()
			} else {
				// The server normally exits now; the relay learns of
				// the end once it has, so that it outlives no server.
				closeTimer = time.After(grace)
			}
		case <-closeTimer:
			closeTimer = nil
			closeWrite() // the relay then closes, which ends the server
		case <-closing:
			closing = nil
			terminate()
		case <-killTimer:
			killTimer = nil
			ss.signal(syscall.SIGKILL)
		}
	}

	// The server is gone. Its output may still be in the pipe, or held by
	// a descendant that left its group: wait a grace period for the end.
	if !outDone {
		select {
		case <-outEnded:
		case <-time.After(grace):
			ss.stdout.Close()
			<-outEnded
		}
	}
	ss.stdout.Close()
	closeWrite()
	// Let the relay close first, so that it reads the end of the output
	// and not a reset for what it sent that nobody read.
	select {
	case <-inDone:
	case <-ss.s.done:
	case <-time.After(grace):
	}
	c.Close()
	ss.stdin.Close() // in case a write to a stdin still held open blocks
	<-inDone
}

// waitHangup blocks until the peer has closed c entirely, not only its
// writing side, and returns nil then. It returns an error if c is closed
// meanwhile.
func waitHangup(c *net.UnixConn) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var pollErr error
	err = rc.Read(func(fd uintptr) bool {
		fds := []unix.PollFd{{Fd: int32(fd), Events: hangupEvents}}
		n, err := unix.Poll(fds, 0)
		switch {
		case err == unix.EINTR:
			return false
		case err != nil:
			pollErr = err
			return true
		}
		// Any other event wakes the reader too: look again at the next.
		return n > 0 && fds[0].Revents&(unix.POLLHUP|unix.POLLERR) != 0
	})
	if err != nil {
		return err
	}
	return pollErr
}
