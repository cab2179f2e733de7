package relay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// Server is a stdio server the supervisor may start.
type Server struct {
	// Name is what a relay asks for; see [ValidName].
	Name string
	// Path is the absolute path of the program, resolved by the caller
	// (with the server's PATH, not the supervisor's).
	Path string
	// Args are the arguments after the program's name, which is Path.
	Args []string
	// Env is the server's complete environment, secrets included, as
	// "KEY=value" strings. Nothing is added to it; nil means an empty
	// environment, not the supervisor's.
	Env []string
	// Dir is the working directory; empty means the supervisor's.
	Dir string
}

// Options tune a [Supervisor]. The zero value is ready to use.
type Options struct {
	// Stderr receives what the servers write to their standard error. It
	// is shared by all servers, so it must be safe for concurrent use
	// (an *os.File is). Nil discards it.
	Stderr io.Writer
	// Grace is how long a server may take to exit after SIGTERM before it
	// gets SIGKILL, and how long the supervisor waits for the ends of a
	// session to close by themselves. Zero means [DefaultGrace].
	Grace time.Duration
}

// DefaultGrace is the grace period when Options.Grace is zero.
const DefaultGrace = 2 * time.Second

// requestTimeout is how long a relay has to send its request.
const requestTimeout = 10 * time.Second

// Supervisor listens on a unix socket and starts a server for each relay
// that connects. Its methods may be called from any goroutine.
type Supervisor struct {
	ln      *net.UnixListener
	servers map[string]Server
	opts    Options
	uid     int
	hooks   hooks

	done chan struct{} // closed by Close

	mu      sync.Mutex
	closed  bool
	conns   map[*net.UnixConn]struct{}
	running map[string]int // sessions of each server
	wg      sync.WaitGroup // the accept loop and every connection
}

// MaxSessions is how many sessions of one server may run at once. Each
// starts a process outside the agent's reach, on the agent's request:
// without a bound, an agent could start them until the machine stops.
const MaxSessions = 16

// hooks let tests watch the servers and change what is checked.
type hooks struct {
	started        func(name string, pid int)
	reaped         func(name string, pid int, state *os.ProcessState)
	requestTimeout time.Duration
	uid            *int // the uid a peer must have, instead of the effective uid
}

// Listen makes a unix socket at socketPath and starts accepting relays for
// servers. The socket gets mode 0600. The directory holding it must be the
// caller's: owned by the effective uid and writable by nobody else. Listen
// refuses a socketPath that exists in any form, a symlink included, and
// never follows a symlink there.
//
// The servers are copied; the caller may reuse the slices. Every name must
// be valid and unique, and every Path absolute.
func Listen(socketPath string, servers []Server, opts Options) (*Supervisor, error) {
	return listen(socketPath, servers, opts, hooks{})
}

func listen(socketPath string, servers []Server, opts Options, h hooks) (*Supervisor, error) {
	byName := make(map[string]Server, len(servers))
	for _, srv := range servers {
		if !ValidName(srv.Name) {
			return nil, fmt.Errorf("%w %q", ErrInvalidName, srv.Name)
		}
		if _, dup := byName[srv.Name]; dup {
			return nil, fmt.Errorf("server %s is defined twice", srv.Name)
		}
		if !filepath.IsAbs(srv.Path) {
			return nil, fmt.Errorf("server %s: program path %q is not absolute", srv.Name, srv.Path)
		}
		srv.Args = append([]string(nil), srv.Args...)
		srv.Env = append([]string{}, srv.Env...)
		byName[srv.Name] = srv
	}
	if opts.Grace <= 0 {
		opts.Grace = DefaultGrace
	}
	if h.requestTimeout <= 0 {
		h.requestTimeout = requestTimeout
	}
	ln, err := makeSocket(socketPath)
	if err != nil {
		return nil, err
	}
	s := &Supervisor{
		ln:      ln,
		servers: byName,
		opts:    opts,
		uid:     os.Geteuid(),
		hooks:   h,
		done:    make(chan struct{}),
		conns:   make(map[*net.UnixConn]struct{}),
	}
	if h.uid != nil {
		s.uid = *h.uid
	}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// makeSocket binds a listening socket at path, with mode 0600, after
// checking the directory that holds it.
func makeSocket(path string) (*net.UnixListener, error) {
	if len(path) > maxSocketPath {
		return nil, fmt.Errorf("socket path is %d bytes long, at most %d are possible", len(path), maxSocketPath)
	}
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("socket directory: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case !fi.IsDir():
		return nil, fmt.Errorf("socket directory %s is not a directory", dir)
	case !ok || int(st.Uid) != os.Geteuid():
		return nil, fmt.Errorf("socket directory %s is not owned by the current user", dir)
	case fi.Mode().Perm()&0o022 != 0:
		return nil, fmt.Errorf("socket directory %s is writable by others", dir)
	}
	// bind itself refuses any existing file, a dangling symlink included,
	// and follows none; this check only makes the error clearer.
	if _, err := os.Lstat(path); err == nil {
		return nil, &fs.PathError{Op: "listen", Path: path, Err: fs.ErrExist}
	}
	lc := net.ListenConfig{Control: beforeBind}
	l, err := lc.Listen(context.Background(), "unix", path)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, &fs.PathError{Op: "listen", Path: path, Err: fs.ErrExist}
		}
		return nil, err
	}
	ln := l.(*net.UnixListener)
	// The directory is the caller's alone, so path is still the socket.
	// chmod sets the bits the umask took away and, where beforeBind
	// cannot, narrows the mode.
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

// Close stops accepting relays, removes the socket, ends every session
// (SIGTERM to each server, SIGKILL after the grace period) and returns
// when every server has been reaped. Calling it again does nothing.
func (s *Supervisor) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.wg.Wait()
		return nil
	}
	s.closed = true
	close(s.done)
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	err := s.ln.Close() // removes the socket
	s.wg.Wait()
	return err
}

func (s *Supervisor) accept() {
	defer s.wg.Done()
	var pause time.Duration
	for {
		c, err := s.ln.AcceptUnix()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of descriptors or the like: try again later, as
			// net/http does.
			pause = min(max(2*pause, 5*time.Millisecond), time.Second)
			select {
			case <-s.done:
				return
			case <-time.After(pause):
			}
			continue
		}
		pause = 0
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			s.serve(c)
			c.Close()
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}
