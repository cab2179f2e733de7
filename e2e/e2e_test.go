// Package e2e tests the built rigup-exec binary from the outside, with keys
// made by the real ssh-keygen and files encrypted by the real age CLI.
package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// binDir holds the rigup-exec under test: built once by TestMain, or the
// one RIGUP_EXEC_BIN names (a Nix-built binary, say).
var binDir string

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
	} else if out, err := exec.Command("go", "build", "-o", bin, "..").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building rigup-exec: %v\n%s", err, out)
		return 1
	}
	return m.Run()
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
			return os.MkdirAll(filepath.Join(home, ".ssh"), 0o700)
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
