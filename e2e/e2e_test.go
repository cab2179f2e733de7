//go:build linux

// Package e2e tests the built rigup-exec binary from the outside, with keys
// made by the real ssh-keygen, files encrypted by the real age CLI, and the
// real programs rigup-exec serves (shells, editors, git, jq, Nix).
//
// # Harness
//
// TestMain builds rigup-exec once, with the rigup_e2e tag and its test
// hooks. Every test runs it in a world of its own (world_test.go): a home,
// a working directory, $TMPDIR and a runtime base in RAM, with an
// environment made from nothing. Scenarios that a script can tell are
// testscript files, testdata/*.txtar, with the commands status, rundirs,
// noplaintext, grammar, grow, agestanza and agepassphrase; Go tests are
// for what needs a pseudo-terminal (terminal_test.go), signals, processes
// (procs_test.go) or memory. After a scenario that handled secret values,
// no file it could have written may hold one (scan_test.go).
//
// The tests run in parallel: they wait on programs and terminals far more
// than they compute. -short leaves out the exhaustive variants, not a
// command or a main path.
package e2e

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"rigup-exec/sandbox"

	"github.com/rogpeppe/go-internal/testscript"
)

// binDir holds the rigup-exec under test: built once by TestMain, or the
// one RIGUP_EXEC_BIN names (a Nix-built binary, say).
var binDir string

// testsBegan is when TestMain started, less a margin for the coarse clock
// of file times: no file older than that holds a value a test made.
var testsBegan = time.Now().Add(-2 * time.Second)

// parallelPerCPU is how many tests run at once per CPU, unless -parallel
// says: most of a test's time goes to waiting for a program or a terminal.
const parallelPerCPU = 4

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	parallelSet := false
	flag.Visit(func(f *flag.Flag) { parallelSet = parallelSet || f.Name == "test.parallel" })
	if !parallelSet {
		flag.Set("test.parallel", strconv.Itoa(parallelPerCPU*runtime.GOMAXPROCS(0)))
	}
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
	} else if out, err := buildCommand("-o", filepath.Join(dir, "rigup-exec-guard"), "../cmd/rigup-exec-guard").CombinedOutput(); err != nil {
		// Beside rigup-exec, where it looks for it.
		fmt.Fprintf(os.Stderr, "building rigup-exec-guard: %v\n%s", err, out)
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

// requireRoot skips a test that needs root for what, and needs programs.
// .ci/run runs the suite as root, then as a user.
func requireRoot(t testing.TB, what string, programs ...string) {
	t.Helper()
	require(t, programs...)
	if os.Getuid() != 0 {
		t.Skipf("%s needs root here", what)
	}
}

// TestScripts runs the scenarios of testdata/*.txtar, each in a world
// of its own (see scriptWorld): $WORK is its working directory, $HOME is
// $WORK/home, $XDG_RUNTIME_DIR its runtime base.
func TestScripts(t *testing.T) {
	t.Parallel()
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup:               scriptWorld,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"agestanza":     ageWithStanza,
			"agepassphrase": ageWithPassphrase,
			"grow":          grow,
			"noplaintext":   noplaintextCmd,
			"rundirs":       rundirsCmd,
			"status":        statusCmd,
			"grammar":       grammarCmd,
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
			if cond == "landlock" {
				return sandbox.Probe().Reason == "", nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
	})
}

// grow is the testscript command
//
//	grow FILE SIZE
//
// which makes FILE grow to SIZE bytes with lines of filler (no braces, no
// NUL) after its own content.
func grow(ts *testscript.TestScript, neg bool, args []string) {
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
