package sandbox

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The test binary, run again by a test, plays the role named by
// $SANDBOX_TEST_ROLE; the other SANDBOX_TEST_ variables configure it.
const roleVar = "SANDBOX_TEST_ROLE"

func TestMain(m *testing.M) {
	switch os.Getenv(roleVar) {
	case "":
		os.Exit(m.Run())
	case "intruder":
		intruder()
	case "attacker":
		attacker()
	case "sibling":
		sibling()
	case "mount":
		err := unix.Mount("none", os.Getenv("SANDBOX_TEST_DIR"), "tmpfs", 0, "")
		fmt.Println(errnoOf(err))
	case "dumpable":
		n, err := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0)
		fmt.Println(n, err)
	}
	os.Exit(0)
}

// requireLandlock skips the test where the kernel offers no usable
// Landlock, unless RIGUP_E2E_REQUIRE=1 asks for everything to be there.
func requireLandlock(t *testing.T) Status {
	t.Helper()
	s := Probe()
	if s.Reason != "" {
		if os.Getenv("RIGUP_E2E_REQUIRE") == "1" {
			t.Fatalf("Landlock is required (RIGUP_E2E_REQUIRE=1): %s", s.Reason)
		}
		t.Skip(s.String())
	}
	return s
}

func TestUnavailable(t *testing.T) {
	if seccompFiltered() {
		t.Skip("a seccomp filter applies to the test")
	}
	for errno, want := range map[syscall.Errno]string{
		unix.ENOSYS:     "the kernel has no Landlock (it needs Linux 5.13 or later",
		unix.EOPNOTSUPP: "not enabled (it must be listed in the lsm= boot parameter)",
		unix.EPERM:      "landlock_create_ruleset: operation not permitted",
	} {
		if got := unavailable(errno); !strings.Contains(got, want) {
			t.Errorf("%v: %q, expected %q", errno, got, want)
		}
	}
}

// report is what the intruder found out, written to its stdout as JSON.
type report struct {
	Status     Status
	EnterErr   string
	NoNewPrivs int
	Attempts   []attempt
}

// attempt is one thing the intruder tried.
type attempt struct {
	Name  string
	Errno int // 0 when it worked, -1 for an error that is no errno
	Err   string
	Data  []byte // what it read
}

// intruder enters the sandbox if asked to and executes the attacker, as
// rigup-exec's re-exec step executes the agent.
func intruder() {
	var r report
	knobs()
	if os.Getenv("SANDBOX_TEST_DROP_CAPS") == "1" {
		if err := DropReadCaps(); err != nil {
			fmt.Fprintln(os.Stderr, "drop capabilities:", err)
			os.Exit(1)
		}
	}
	if os.Getenv("SANDBOX_TEST_ENTER") == "1" {
		var err error
		r.Status, err = Enter()
		if err != nil {
			r.EnterErr = err.Error()
		}
		if !r.Status.Entered {
			r.NoNewPrivs, _ = unix.PrctlRetInt(unix.PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0)
			json.NewEncoder(os.Stdout).Encode(r)
			return
		}
	}
	entered, _ := json.Marshal(r)
	// syscall.Exec, unlike os/exec, passes a variable set twice on twice,
	// and Getenv takes the first.
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, roleVar+"=") {
			env = append(env, kv)
		}
	}
	env = append(env, roleVar+"=attacker", "SANDBOX_TEST_ENTERED="+string(entered))
	err := syscall.Exec(os.Args[0], os.Args[:1], env)
	fmt.Fprintln(os.Stderr, "exec:", err)
	os.Exit(1)
}

func knobs() {
	if s := os.Getenv("SANDBOX_TEST_MAX_ABI"); s != "" {
		testOnlyMaxABI, _ = strconv.Atoi(s)
	}
	testOnlyOneThread = os.Getenv("SANDBOX_TEST_ONE_THREAD") == "1"
}

// attacker tries to reach into its parent (the test process) and a
// sibling, both outside the domain the intruder may have entered, and does
// the ordinary work an agent does.
func attacker() {
	var r report
	json.Unmarshal([]byte(os.Getenv("SANDBOX_TEST_ENTERED")), &r)
	knobs()
	r.NoNewPrivs, _ = unix.PrctlRetInt(unix.PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0)

	ppid, sib := os.Getppid(), os.Getenv("SANDBOX_TEST_SIBLING")
	var addr, size uint64
	fmt.Sscanf(os.Getenv("SANDBOX_TEST_MEM"), "%x:%d", &addr, &size)
	dir := os.Getenv("SANDBOX_TEST_DIR")
	try := func(name string, data []byte, err error) {
		a := attempt{Name: name, Errno: errnoOf(err), Data: data}
		if err != nil {
			a.Err = err.Error()
		}
		r.Attempts = append(r.Attempts, a)
	}

	// Outside the domain.
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", ppid))
	try("parent environ", data, err)
	data, err = os.ReadFile(fmt.Sprintf("/proc/%d/maps", ppid))
	try("parent maps", data, err)
	data, err = readMem(ppid, int64(addr), int(size))
	try("parent mem", data, err)
	data, err = os.ReadFile("/proc/" + sib + "/environ")
	try("sibling environ", data, err)
	try("parent kill -0", nil, unix.Kill(ppid, 0))
	sibPid, _ := strconv.Atoi(sib)
	try("sibling SIGUSR1", nil, unix.Kill(sibPid, unix.SIGUSR1))
	data, err = dial(os.Getenv("SANDBOX_TEST_ABSTRACT"))
	try("parent abstract socket", data, err)
	data, err = dial(os.Getenv("SANDBOX_TEST_PATH_SOCKET"))
	try("parent pathname socket", data, err)

	// Inside the domain.
	try("files", nil, fileWork(dir))
	data, err = exec.Command("/bin/sh", "-c", "echo shell works").Output()
	try("shell", data, err)
	try("signal own child", nil, signalChild())
	data, err = innerAbstract()
	try("own abstract socket", data, err)
	data, err = mountInUserNamespace(dir)
	try("mount in a user namespace", data, err)
	if r.Status.Entered {
		s, err := Enter()
		if err == nil && !s.Entered {
			err = errors.New(s.Reason)
		}
		try("nested domain", nil, err)
	}

	// Last, as it may stop the parent's main thread until we exit.
	try("parent ptrace", nil, unix.PtraceSeize(ppid))
	json.NewEncoder(os.Stdout).Encode(r)
}

func errnoOf(err error) int {
	var errno syscall.Errno
	switch {
	case err == nil:
		return 0
	case errors.As(err, &errno):
		return int(errno)
	}
	return -1
}

func readMem(pid int, addr int64, size int) ([]byte, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/mem", pid))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, size)
	n, err := f.ReadAt(buf, addr)
	return buf[:n], err
}

// dial connects to the unix socket at addr ("@name" for an abstract one)
// and reads what the other end says before closing.
func dial(addr string) ([]byte, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: addr}); err != nil {
		return nil, err
	}
	buf := make([]byte, 64)
	n, err := unix.Read(fd, buf)
	if err != nil {
		return nil, err
	}
	return buf[:n], nil
}

// listen binds a unix socket to addr ("@name" for an abstract one) and
// answers every connection with reply until stop is called.
func listen(addr, reply string) (stop func(), err error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: addr}); err != nil {
		unix.Close(fd)
		return nil, err
	}
	if err := unix.Listen(fd, 8); err != nil {
		unix.Close(fd)
		return nil, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, _, err := unix.Accept4(fd, unix.SOCK_CLOEXEC)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				return // shut down
			}
			unix.Write(c, []byte(reply))
			unix.Close(c)
		}
	}()
	return func() {
		unix.Shutdown(fd, unix.SHUT_RDWR) // wakes the Accept4
		<-done
		unix.Close(fd)
	}, nil
}

// fileWork writes, reads, moves and links files, the moves and links
// between directories.
func fileWork(dir string) error {
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	for _, d := range []string{a, b} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(a, "f"), []byte("content"), 0o600); err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(a, "f"), filepath.Join(b, "f")); err != nil {
		return err
	}
	if err := os.Link(filepath.Join(b, "f"), filepath.Join(a, "g")); err != nil {
		return err
	}
	data, err := os.ReadFile(filepath.Join(a, "g"))
	if err == nil && string(data) != "content" {
		err = fmt.Errorf("read back %q", data)
	}
	return err
}

// signalChild starts a child and kills it with SIGTERM.
func signalChild() error {
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		return err
	}
	if err := unix.Kill(cmd.Process.Pid, unix.SIGTERM); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return err
	}
	cmd.Wait()
	if ws := cmd.ProcessState.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != unix.SIGTERM {
		return fmt.Errorf("child ended with %v", cmd.ProcessState)
	}
	return nil
}

// innerAbstract listens on an abstract socket and connects to it.
func innerAbstract() ([]byte, error) {
	addr := "@rigup-sandbox-test-inner-" + randomHex()
	stop, err := listen(addr, "inner")
	if err != nil {
		return nil, err
	}
	defer stop()
	return dial(addr)
}

// mountInUserNamespace mounts a tmpfs on dir in a new user and mount
// namespace, as bubblewrap does; the data is the mount's errno.
func mountInUserNamespace(dir string) ([]byte, error) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), roleVar+"=mount", "SANDBOX_TEST_DIR="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}},
	}
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("start in a user namespace: %w", err)
	}
	return bytes.TrimSpace(out), nil
}

// sibling holds the planted value in its environment, says ready, and
// reports each SIGUSR1 until its stdin closes.
func sibling() {
	got := make(chan os.Signal, 8)
	signal.Notify(got, unix.SIGUSR1)
	go func() {
		for range got {
			fmt.Println("usr1")
		}
	}()
	fmt.Println("ready")
	os.Stdin.Read(make([]byte, 1))
}

func randomHex() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// world is what the intruder tries to reach: the test process itself
// (environment, a value in memory, an abstract and a pathname socket) and
// a sibling process (a value in its environment, a SIGUSR1 handler), all
// outside any domain the intruder enters.
type world struct {
	planted  []byte // in our memory and in the sibling's environment
	environ  []byte // our own /proc/self/environ
	abstract string
	pathSock string
	sibling  int
	usr1     chan struct{}
}

func newWorld(t *testing.T) *world {
	w := &world{
		planted:  []byte("rigup-sandbox-planted-" + randomHex()),
		abstract: "@rigup-sandbox-test-" + randomHex(),
		pathSock: filepath.Join(t.TempDir(), "s"),
		usr1:     make(chan struct{}, 8),
	}
	var err error
	if w.environ, err = os.ReadFile("/proc/self/environ"); err != nil {
		t.Fatal(err)
	}
	for _, addr := range []string{w.abstract, w.pathSock} {
		stop, err := listen(addr, "hello")
		if err != nil {
			t.Fatalf("listen on %s: %v", addr, err)
		}
		t.Cleanup(stop)
	}

	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), roleVar+"=sibling", "SANDBOX_TEST_PLANTED="+string(w.planted))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() || lines.Text() != "ready" {
		t.Fatalf("sibling did not say ready: %q %v", lines.Text(), lines.Err())
	}
	go func() {
		for lines.Scan() {
			if lines.Text() == "usr1" {
				w.usr1 <- struct{}{}
			}
		}
	}()
	w.sibling = cmd.Process.Pid
	return w
}

// intrude runs the intruder with the SANDBOX_TEST_ settings in env.
func (w *world) intrude(t *testing.T, env ...string) report {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), roleVar+"=intruder",
		"SANDBOX_TEST_SIBLING="+strconv.Itoa(w.sibling),
		fmt.Sprintf("SANDBOX_TEST_MEM=%x:%d", uintptr(unsafe.Pointer(&w.planted[0])), len(w.planted)),
		"SANDBOX_TEST_ABSTRACT="+w.abstract,
		"SANDBOX_TEST_PATH_SOCKET="+w.pathSock,
		"SANDBOX_TEST_DIR="+t.TempDir())
	cmd.Env = append(cmd.Env, env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("intruder: %v\n%s", err, stderr.Bytes())
	}
	var r report
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("intruder's report: %v\n%s", err, out)
	}
	return r
}

// find gives the attempt named name.
func find(t *testing.T, r report, name string) attempt {
	t.Helper()
	for _, a := range r.Attempts {
		if a.Name == name {
			return a
		}
	}
	t.Fatalf("%s: not tried", name)
	return attempt{}
}

// expect checks that the attempt named name worked (errno 0), or failed
// with errno.
func expect(t *testing.T, r report, name string, errno syscall.Errno) attempt {
	t.Helper()
	a := find(t, r, name)
	if a.Errno != int(errno) {
		want := "to work"
		if errno != 0 {
			want = "to fail with " + unix.ErrnoName(errno)
		}
		t.Errorf("%s: expected %s, got %q (errno %d)", name, want, a.Err, a.Errno)
	}
	return a
}

// noControl says why the intruder could not read the test process's /proc
// files even outside a domain ("" when it could): with attach set, those
// that need ptrace's attach mode (mem, and ptrace itself).
func noControl(attach bool) string {
	if os.Geteuid() == 0 {
		return ""
	}
	if n, _ := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0); n != 1 {
		return "the test process is not dumpable"
	}
	if s, err := os.ReadFile("/proc/sys/kernel/yama/ptrace_scope"); attach && err == nil && strings.TrimSpace(string(s)) != "0" {
		return "Yama's ptrace_scope is " + strings.TrimSpace(string(s)) + ", which keeps a child from attaching to its parent"
	}
	return ""
}

// rootWithReadCaps reports whether the test runs as root with CAP_SYS_ADMIN
// or CAP_PERFMON in its bounding set, read from /proc/self/status.
func rootWithReadCaps(t *testing.T) bool {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	_, after, _ := strings.Cut(string(status), "\nCapBnd:\t")
	bnd, err := strconv.ParseUint(strings.Fields(after)[0], 16, 64)
	if err != nil {
		t.Fatal(err)
	}
	return os.Geteuid() == 0 && bnd&(1<<unix.CAP_SYS_ADMIN|1<<unix.CAP_PERFMON) != 0
}

// cgoLinked reports whether this test binary runs C code, where Go cannot
// make a system call on every thread.
func cgoLinked() bool {
	_, _, errno := syscall.AllThreadsSyscall(unix.SYS_GETPID, 0, 0, 0)
	return errno == syscall.ENOTSUP
}

func TestIsolation(t *testing.T) {
	native := requireLandlock(t)
	t.Logf("kernel: %v", native)
	w := newWorld(t)

	// Without a domain the same attempts work, so that the ones below
	// prove something.
	control := w.intrude(t)
	if why := noControl(false); why != "" {
		t.Logf("no control for the test process's /proc/PID/environ and maps: %s", why)
	} else {
		if a := expect(t, control, "parent environ", 0); !bytes.Equal(a.Data, w.environ) {
			t.Errorf("parent environ: read %d bytes that are not our environment", len(a.Data))
		}
		expect(t, control, "parent maps", 0)
	}
	if a := expect(t, control, "sibling environ", 0); !bytes.Contains(a.Data, w.planted) {
		t.Error("sibling environ: no planted value in it")
	}
	if why := noControl(true); why != "" {
		t.Logf("no control for ptrace and /proc/PID/mem: %s", why)
	} else {
		if a := expect(t, control, "parent mem", 0); !bytes.Equal(a.Data, w.planted) {
			t.Errorf("parent mem: read %q, not the planted value", a.Data)
		}
		expect(t, control, "parent ptrace", 0)
	}
	expect(t, control, "parent kill -0", 0)
	expect(t, control, "sibling SIGUSR1", 0)
	w.awaitUSR1(t)
	if a := expect(t, control, "parent abstract socket", 0); string(a.Data) != "hello" {
		t.Errorf("parent abstract socket: read %q", a.Data)
	}
	mount := find(t, control, "mount in a user namespace")
	noMount := ""
	if mount.Errno != 0 || string(mount.Data) != "0" {
		noMount = fmt.Sprintf("mounting in a user namespace fails outside a domain too: %s%s", mount.Err, mount.Data)
		t.Log(noMount)
	}
	expectWork(t, control, "", false)

	privileged := rootWithReadCaps(t)
	if native.Privileged != privileged {
		t.Errorf("Probe says Privileged is %v, /proc/self/status says %v", native.Privileged, privileged)
	}
	cases := []struct {
		name      string
		abi       int  // the ABI the domain is made for
		oneThread bool // as in a cgo program
		dropCaps  bool // root without CAP_SYS_ADMIN and CAP_PERFMON
	}{
		{"native", native.ABI, false, false},
		{"one thread", native.ABI, true, false},
		{"ABI 5", 5, false, false},
		{"ABI 2", 2, false, false},
		{"root without CAP_SYS_ADMIN and CAP_PERFMON", native.ABI, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.abi > native.ABI {
				t.Skipf("the kernel offers ABI %d", native.ABI)
			}
			env := []string{"SANDBOX_TEST_ENTER=1", "SANDBOX_TEST_MAX_ABI=" + strconv.Itoa(tc.abi)}
			if tc.oneThread {
				env = append(env, "SANDBOX_TEST_ONE_THREAD=1")
			}
			if tc.dropCaps {
				if !privileged || cgoLinked() {
					t.Skip("needs root with CAP_SYS_ADMIN or CAP_PERFMON, in a test binary without cgo")
				}
				env = append(env, "SANDBOX_TEST_DROP_CAPS=1")
			}
			r := w.intrude(t, env...)
			s := r.Status
			if r.EnterErr != "" || !s.Entered || s.ABI != tc.abi || r.NoNewPrivs != 1 {
				t.Fatalf("Enter: %+v, %q, no_new_privs %d", s, r.EnterErr, r.NoNewPrivs)
			}
			t.Logf("entered: %v", s)
			if want := !tc.oneThread && !cgoLinked(); s.AllThreads != want {
				t.Errorf("AllThreads is %v, expected %v", s.AllThreads, want)
			}
			if !s.Ptrace || s.Signals != (tc.abi >= 6) || s.AbstractSockets != (tc.abi >= 6) {
				t.Errorf("protections do not match ABI %d: %+v", tc.abi, s)
			}
			if want := privileged && !tc.dropCaps; s.Privileged != want {
				t.Errorf("Privileged is %v, expected %v", s.Privileged, want)
			}
			if s.Privileged {
				// The weakness the Status owns up to.
				expect(t, r, "parent environ", 0)
				expect(t, r, "parent maps", 0)
				if a := expect(t, r, "sibling environ", 0); !bytes.Contains(a.Data, w.planted) {
					t.Error("sibling environ: no planted value in it")
				}
			} else {
				for _, a := range r.Attempts {
					if bytes.Contains(a.Data, w.planted) {
						t.Errorf("%s: found the planted value", a.Name)
					}
				}
				expect(t, r, "parent environ", unix.EACCES)
				expect(t, r, "sibling environ", unix.EACCES)
				expect(t, r, "parent maps", unix.EACCES)
			}
			if a := find(t, r, "parent mem"); bytes.Contains(a.Data, w.planted) {
				t.Error("parent mem: found the planted value")
			}
			expect(t, r, "parent mem", unix.EACCES)
			expect(t, r, "parent ptrace", unix.EPERM)
			if s.Signals {
				expect(t, r, "parent kill -0", unix.EPERM)
				expect(t, r, "sibling SIGUSR1", unix.EPERM)
			} else {
				expect(t, r, "parent kill -0", 0)
				expect(t, r, "sibling SIGUSR1", 0)
				w.awaitUSR1(t)
			}
			if s.AbstractSockets {
				expect(t, r, "parent abstract socket", unix.EPERM)
			} else {
				expect(t, r, "parent abstract socket", 0)
			}
			expectWork(t, r, noMount, s.ABI < 6)
			expect(t, r, "nested domain", 0)
		})
	}

	t.Run("ABI 1", func(t *testing.T) {
		r := w.intrude(t, "SANDBOX_TEST_ENTER=1", "SANDBOX_TEST_MAX_ABI=1")
		if s := r.Status; s.Entered || s.ABI != 1 || s.Reason == "" || s.Ptrace || r.EnterErr != "" {
			t.Errorf("Enter at ABI 1: %+v, %q", s, r.EnterErr)
		}
		if r.NoNewPrivs != 0 {
			t.Error("Enter at ABI 1 set no_new_privs")
		}
	})
}

// expectWork checks the work an agent does in its domain. A domain that
// handles file access rights denies mounting (mountDenied); noMount says
// why mounting is not checked at all.
func expectWork(t *testing.T, r report, noMount string, mountDenied bool) {
	t.Helper()
	expect(t, r, "files", 0)
	if a := expect(t, r, "shell", 0); string(a.Data) != "shell works\n" {
		t.Errorf("shell: printed %q", a.Data)
	}
	expect(t, r, "signal own child", 0)
	if a := expect(t, r, "own abstract socket", 0); string(a.Data) != "inner" {
		t.Errorf("own abstract socket: read %q", a.Data)
	}
	if a := expect(t, r, "parent pathname socket", 0); string(a.Data) != "hello" {
		t.Errorf("parent pathname socket: read %q", a.Data)
	}
	if noMount == "" {
		want := "0"
		if mountDenied {
			want = strconv.Itoa(int(unix.EPERM))
		}
		if a := expect(t, r, "mount in a user namespace", 0); string(a.Data) != want {
			t.Errorf("mount in a user namespace: errno %s, expected %s", a.Data, want)
		}
	}
}

// awaitUSR1 waits for the sibling to report a SIGUSR1.
func (w *world) awaitUSR1(t *testing.T) {
	t.Helper()
	select {
	case <-w.usr1:
	case <-time.After(10 * time.Second):
		t.Fatal("the sibling reported no SIGUSR1")
	}
}
