//go:build linux

// Package e2e tests the built rigup-exec binary from the outside, with keys
// made by the real ssh-keygen and files encrypted by the real age CLI.
package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/sys/unix"
)

// binDir holds the rigup-exec under test: built once by TestMain, or the
// one RIGUP_EXEC_BIN names (a Nix-built binary, say).
var binDir string

// testsBegan is when TestMain started, less a margin for the coarse clock
// of file times: no file older than that holds a value a test made.
var testsBegan = time.Now().Add(-2 * time.Second)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "rigup-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binDir = dir
	bin := filepath.Join(dir, "rigup-exec")
	if prebuilt := os.Getenv("RIGUP_EXEC_BIN"); prebuilt != "" {
		if err := os.Symlink(prebuilt, bin); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	} else if err := noteSources(".."); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	} else if out, err := buildCommand("-tags", "rigup_e2e", "-o", bin, "..").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building rigup-exec: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// buildCommand is go build of rigup-exec as it is shipped: with
// GOEXPERIMENT=runtimesecret, which erases what the preparation of a run
// leaves in memory (see forget_secret.go), and so without cgo.
func buildCommand(args ...string) *exec.Cmd {
	cmd := exec.Command("go", append([]string{"build"}, args...)...)
	cmd.Env = append(os.Environ(), "GOEXPERIMENT=runtimesecret", "CGO_ENABLED=0")
	return cmd
}

// require skips the test when a program is missing, except under
// RIGUP_E2E_REQUIRE=1 (as in CI), where it fails instead.
func require(t testing.TB, programs ...string) {
	t.Helper()
	for _, p := range programs {
		if _, err := exec.LookPath(p); err != nil {
			if os.Getenv("RIGUP_E2E_REQUIRE") == "1" {
				t.Fatalf("%s is required (RIGUP_E2E_REQUIRE=1) but not installed", p)
			}
			t.Skipf("%s not installed", p)
		}
	}
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("PATH", binDir+string(os.PathListSeparator)+env.Getenv("PATH"))
			home := filepath.Join(env.WorkDir, "home")
			env.Setenv("HOME", home)
			env.Setenv("USER", "tester")
			// A runtime directory of the script's own, in RAM, where
			// the rundirs command can see what a run left behind.
			runtime, err := os.MkdirTemp("/dev/shm", "e2e-runtime-")
			if err != nil {
				return err
			}
			env.Defer(func() { os.RemoveAll(runtime) })
			env.Setenv("XDG_RUNTIME_DIR", runtime)
			return os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"agestanza":     ageWithStanza,
			"agepassphrase": ageWithPassphrase,
			"status":        statusCmd,
			// grow FILE SIZE: FILE grows to SIZE bytes with lines
			// of filler (no braces, no NUL) after its own content.
			"grow": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 2 {
					ts.Fatalf("usage: grow FILE SIZE")
				}
				size, err := strconv.Atoi(args[1])
				ts.Check(err)
				f, err := os.OpenFile(ts.MkAbs(args[0]), os.O_RDWR|os.O_APPEND, 0)
				ts.Check(err)
				defer f.Close()
				fi, err := f.Stat()
				ts.Check(err)
				line := strings.Repeat("filler ", 9) + "\n"
				fill := strings.Repeat(line, (size-int(fi.Size()))/len(line)+1)
				_, err = f.WriteString(fill[:size-int(fi.Size())])
				ts.Check(err)
			},
			// rundirs N: $XDG_RUNTIME_DIR holds N run directories.
			"rundirs": func(ts *testscript.TestScript, neg bool, args []string) {
				entries, err := os.ReadDir(ts.Getenv("XDG_RUNTIME_DIR"))
				ts.Check(err)
				n := 0
				for _, e := range entries {
					if strings.HasPrefix(e.Name(), "rigup-") {
						n++
					}
				}
				if want := args[0]; (fmt.Sprint(n) == want) == neg {
					ts.Fatalf("%d run directories, want %s%s", n, map[bool]string{true: "not "}[neg], want)
				}
			},
		},
		// [tool:NAME] is true when NAME is installed; under
		// RIGUP_E2E_REQUIRE=1 a missing tool is an error rather than
		// false, so that CI cannot skip what it was meant to test.
		// [root] is true when running as root, which reads any file.
		Condition: func(cond string) (bool, error) {
			if name, ok := strings.CutPrefix(cond, "tool:"); ok {
				if _, err := exec.LookPath(name); err != nil {
					if os.Getenv("RIGUP_E2E_REQUIRE") == "1" {
						return false, fmt.Errorf("%s is required (RIGUP_E2E_REQUIRE=1) but not installed", name)
					}
					return false, nil
				}
				return true, nil
			}
			if cond == "root" {
				return os.Getuid() == 0, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
	})
}

// statusCmd is the testscript command
//
//	status WANT PROGRAM [ARG...]
//
// which runs PROGRAM as exec does, keeping its stdout and stderr for the
// commands that follow, and checks how it ended: WANT is an exit status
// (125) or the name of the signal that killed it (SIGKILL).
func statusCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: status CODE|SIGNAL PROGRAM [ARG...]")
	}
	err := ts.Exec(args[1], args[2:]...)
	got := "0"
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		ws := exit.Sys().(syscall.WaitStatus)
		got = strconv.Itoa(ws.ExitStatus())
		if ws.Signaled() {
			got = unix.SignalName(ws.Signal())
		}
	case err != nil:
		ts.Fatalf("%s: %v", args[1], err)
	}
	if got != args[0] {
		ts.Fatalf("%s ended with %s, want %s", args[1], got, args[0])
	}
}

// noteSources stats every file the binary is built from. The go command
// caches test results by the files a test reads, and go build reads them
// in another process: without this, a change to rigup-exec would not run
// the tests again.
func noteSources(root string) error {
	return filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".go") || d.Name() == "go.mod" || d.Name() == "go.sum") {
			_, err = os.Stat(p)
		}
		return err
	})
}
