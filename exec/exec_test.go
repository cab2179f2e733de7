package exec

import (
	"errors"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func TestMain(m *testing.M) {
	// Re-executed by TestReraise as the process that must die.
	if s := os.Getenv("EXEC_TEST_RERAISE"); s != "" {
		n, _ := strconv.Atoi(s)
		Watch() // as rigup-exec does: the runtime now handles these signals
		err := Reraise(syscall.Signal(n))
		fmt.Fprintln(os.Stderr, "survived:", err)
		os.Exit(3)
	}
	os.Exit(m.Run())
}

func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tool := write("tool", 0o755)
	write("plain", 0o644)
	os.Mkdir(filepath.Join(dir, "adir"), 0o755)
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "plain"), []byte("x"), 0o755)

	for _, tc := range []struct {
		name, path string
		want       string // the path found, or "127" or "126"
	}{
		{"tool", dir, tool},
		{"tool", "/nonexistent:" + dir, tool},
		{"missing", dir, "127"},
		{"plain", dir, "126"},                                       // only a non-executable match
		{"plain", dir + ":" + other, filepath.Join(other, "plain")}, // execvp goes on looking
		{"adir", dir, "126"},
		{tool, "", tool},
		{dir + "/plain", "", "126"},
		{dir + "/missing", "", "127"},
		{"", dir, "127"},
	} {
		got, err := LookPath(tc.name, tc.path)
		var notFound *NotFoundError
		var cannot *CannotRunError
		switch {
		case errors.As(err, &notFound):
			got = "127"
		case errors.As(err, &cannot):
			got = "126"
		case err != nil:
			t.Errorf("LookPath(%q, %q): %v", tc.name, tc.path, err)
			continue
		}
		if got != tc.want {
			t.Errorf("LookPath(%q, %q) = %q, want %q", tc.name, tc.path, got, tc.want)
		}
	}

	// A directory of PATH that cannot be searched is passed over (as
	// root, every directory can be searched).
	if os.Geteuid() != 0 {
		closed := filepath.Join(t.TempDir(), "closed")
		os.Mkdir(closed, 0o755)
		os.WriteFile(filepath.Join(closed, "tool"), []byte("x"), 0o755)
		os.Chmod(closed, 0)
		defer os.Chmod(closed, 0o755)
		for _, tc := range []struct{ path, want string }{{closed, "127"}, {closed + ":" + dir, tool}} {
			got, err := LookPath("tool", tc.path)
			if _, ok := err.(*NotFoundError); ok {
				got = "127"
			}
			if got != tc.want {
				t.Errorf("LookPath(tool, %q) = %q, %v; want %s", tc.path, got, err, tc.want)
			}
		}
	}

	// An empty element of PATH is the working directory, as for execvp.
	t.Chdir(dir)
	if got, err := LookPath("tool", "/nonexistent:"); err != nil || got != "./tool" {
		t.Errorf("empty PATH element: %q, %v", got, err)
	}
}

func run(t *testing.T, inherit []*os.File, args ...string) (Status, error) {
	t.Helper()
	path, err := LookPath(args[0], os.Getenv("PATH"))
	if err != nil {
		t.Fatal(err)
	}
	return Run(&Cmd{Path: path, Args: args, Env: os.Environ(),
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Inherit: inherit}, Watch())
}

func TestRunStatus(t *testing.T) {
	for _, code := range []int{0, 1, 42, 126, 127, 128, 255} {
		st, err := run(t, nil, "sh", "-c", fmt.Sprintf("exit %d", code))
		if err != nil || st != (Status{Code: code}) {
			t.Errorf("exit %d: got %+v, %v", code, st, err)
		}
	}
	st, err := run(t, nil, "sh", "-c", "kill -TERM $$")
	if err != nil || st != (Status{Signal: syscall.SIGTERM}) {
		t.Errorf("killed by TERM: got %+v, %v", st, err)
	}
}

func TestRunCannotStart(t *testing.T) {
	// Executable bits but no format the kernel knows: ENOEXEC.
	p := filepath.Join(t.TempDir(), "junk")
	os.WriteFile(p, []byte{0, 1, 2, 3}, 0o755)
	_, err := Run(&Cmd{Path: p, Args: []string{p}}, Watch())
	var cannot *CannotRunError
	if !errors.As(err, &cannot) || !errors.Is(err, syscall.ENOEXEC) {
		t.Errorf("got %v, want a CannotRunError for ENOEXEC", err)
	}
}

// The child keeps exactly its stdio and the descriptors it is given.
func TestRunDescriptors(t *testing.T) {
	keep, err := os.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer keep.Close()
	secret, err := os.Open(os.DevNull) // close-on-exec, as all of Go's
	if err != nil {
		t.Fatal(err)
	}
	defer secret.Close()
	out := filepath.Join(t.TempDir(), "fds")
	st, err := run(t, []*os.File{keep}, "sh", "-c", "ls /proc/$$/fd > "+out)
	if err != nil || st.Code != 0 {
		t.Fatal(st, err)
	}
	data, _ := os.ReadFile(out)
	fds := strings.Fields(string(data))
	want := fmt.Sprint(keep.Fd())
	has := func(fd string) bool {
		for _, f := range fds {
			if f == fd {
				return true
			}
		}
		return false
	}
	if !has(want) {
		t.Errorf("child fds %v lack the inherited %s", fds, want)
	}
	if has(fmt.Sprint(secret.Fd())) {
		t.Errorf("child fds %v include the wrapper's %d", fds, secret.Fd())
	}
	// The descriptor is close-on-exec again for anything started later.
	flags, _ := fcntlFlags(keep)
	if flags&syscall.FD_CLOEXEC == 0 {
		t.Error("inherited descriptor left without close-on-exec")
	}
}

func fcntlFlags(f *os.File) (int, error) {
	r, _, e := syscall.Syscall(syscall.SYS_FCNTL, f.Fd(), syscall.F_GETFD, 0)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

// Reraise must end the process by the signal itself, including those the
// Go runtime would turn into a goroutine dump (QUIT, SEGV, ABRT) or swallow
// (USR1, PIPE), and without a word on stderr.
func TestReraise(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT,
		syscall.SIGABRT, syscall.SIGSEGV, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGPIPE,
		syscall.SIGALRM, syscall.SIGKILL} {
		cmd := osexec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), fmt.Sprintf("EXEC_TEST_RERAISE=%d", sig))
		cmd.Dir = t.TempDir() // where a core file would land
		out, err := cmd.CombinedOutput()
		ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
		if !ws.Signaled() || ws.Signal() != sig {
			t.Errorf("%v: exit %v (%v), want death by the signal; output %q", sig, ws, err, out)
		}
		if len(out) > 0 {
			t.Errorf("%v: printed %q", sig, out)
		}
		if ws.CoreDump() {
			t.Errorf("%v: dumped core", sig)
		}
	}
}
