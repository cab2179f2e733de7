//go:build linux

package e2e

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// The plaintext scan: after a scenario, no file it could have written may
// hold a secret value. A scenario writes only in its world (its working
// directory, $HOME, $TMPDIR, the XDG directories its runs are given, its
// runtime base), and in /dev/shm when a run has no runtime base of its own:
// the scan reads those, and no more, so that it stays cheap when every test
// makes one. The values are unique to the test, so a file of another test
// cannot hold them by chance; /dev/shm's e2e-* directories, the worlds'
// runtime bases, are left to their own tests.

// sharedRAM is where a run without a runtime base of its own writes.
const sharedRAM = "/dev/shm"

// scan fails the test if a file of the world holds any of values, or the
// random end of one that secretValue made.
func (w *world) scan(values ...string) {
	w.t.Helper()
	needles := make([]string, len(values))
	value := map[string]string{}
	for i, v := range values {
		needles[i] = v
		if len(v) >= 32 {
			needles[i] = distinctive(v)
		}
		value[needles[i]] = v
	}
	for needle, paths := range findPlaintext(needles, w.places(), nil) {
		for _, p := range paths {
			w.t.Errorf("plaintext: %s holds the secret value %s…", p, redact(value[needle]))
		}
	}
}

// places are the directories a run in the world can write to: the world's
// own, and those its environment names.
func (w *world) places() []string {
	dirs := []string{w.root, w.home, w.dir, w.tmp, w.runtime}
	for _, kv := range w.env() {
		k, v, _ := strings.Cut(kv, "=")
		if (k == "HOME" || k == "TMPDIR" || strings.HasPrefix(k, "XDG_")) && filepath.IsAbs(v) {
			dirs = append(dirs, v)
		}
	}
	return dirs
}

// findPlaintext returns, for each of values found, the regular files that
// hold it: under dirs, and in sharedRAM but for its e2e-* directories.
// Files that skip accepts are not read, nor any file older than the tests
// (a value is made by a test); nothing unreadable, and no symlink is
// followed.
func findPlaintext(values, dirs []string, skip func(path string) bool) map[string][]string {
	needles := make([][]byte, len(values))
	for i, v := range values {
		needles[i] = []byte(v)
	}
	found := map[string][]string{}
	own := outermost(dirs)
	walk := func(root string, shared bool) {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil // unreadable: skipped (a directory's entries are then not walked)
			}
			if shared && d.IsDir() && p != root && (slices.Contains(own, p) ||
				filepath.Dir(p) == sharedRAM && strings.HasPrefix(d.Name(), "e2e-")) {
				return filepath.SkipDir // read already, or another test's
			}
			if !d.Type().IsRegular() || (skip != nil && skip(p)) {
				return nil
			}
			if info, err := d.Info(); err != nil || info.ModTime().Before(testsBegan) {
				return nil
			}
			for _, i := range fileContains(p, needles) {
				found[values[i]] = append(found[values[i]], p)
			}
			return nil
		})
	}
	for _, dir := range own {
		walk(dir, false)
	}
	if !slices.Contains(own, sharedRAM) {
		walk(sharedRAM, true)
	}
	return found
}

// outermost resolves dirs and drops those inside another one.
func outermost(dirs []string) []string {
	var resolved []string
	for _, d := range dirs {
		if r, err := filepath.EvalSymlinks(d); err == nil {
			resolved = append(resolved, filepath.Clean(r))
		}
	}
	slices.Sort(resolved)
	var out []string
	for _, d := range resolved {
		if len(out) > 0 {
			last := out[len(out)-1]
			if d == last || strings.HasPrefix(d, strings.TrimSuffix(last, "/")+"/") {
				continue
			}
		}
		out = append(out, d)
	}
	return out
}

// fileContains returns the indexes of the needles that the regular file at
// p contains, reading it once in chunks that overlap by the longest
// needle's length less one.
func fileContains(p string, needles [][]byte) []int {
	if len(needles) == 0 {
		return nil
	}
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil
	}
	defer f.Close()
	longest := 0
	for _, n := range needles {
		longest = max(longest, len(n))
	}
	found := make([]bool, len(needles))
	buf := make([]byte, 1<<20+longest)
	keep := 0
	for {
		n, err := f.Read(buf[keep:])
		window := buf[:keep+n]
		for i, needle := range needles {
			found[i] = found[i] || bytes.Contains(window, needle)
		}
		if err != nil || n == 0 {
			break
		}
		keep = min(longest-1, len(window))
		copy(buf, window[len(window)-keep:])
	}
	var out []int
	for i, ok := range found {
		if ok {
			out = append(out, i)
		}
	}
	return out
}

// secretValue is a value unique to the test and the label, random enough
// to be found nowhere by chance.
func secretValue(t testing.TB, label string) string {
	b := make([]byte, 8)
	rand.Read(b)
	name := regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(t.Name(), "-")
	return "sk-" + name + "-" + label + "-" + hex.EncodeToString(b)
}

// distinctive is the random end of a secret value.
func distinctive(value string) string { return value[len(value)-16:] }

// split cuts a secret value in two inside its random end, so that neither
// piece holds the value or its random end, for a script that must write
// the value without holding it.
func split(value string) (string, string) { return value[:len(value)-8], value[len(value)-8:] }

// redact is a secret value without its random end, safe to print: the
// full value is never printed, so that no log holds it. A short value (a
// scenario's fixture) is no secret, and is printed whole.
func redact(value string) string {
	if len(value) < 32 {
		return value
	}
	return value[:len(value)-16]
}

// redactValues cuts the random ends of values out of text, so that a
// failure's output holds no secret.
func redactValues(text string, values ...string) string {
	for _, v := range values {
		if len(v) >= 32 {
			text = strings.ReplaceAll(text, distinctive(v), "…")
		}
	}
	return text
}

// expectNoSecret checks that text does not quote a secret value.
func expectNoSecret(t testing.TB, what, text, value string) {
	t.Helper()
	if strings.Contains(text, value) || strings.Contains(text, distinctive(value)) {
		t.Errorf("%s quotes the secret value (%s…): %d bytes of output", what, redact(value), len(text))
	}
}

// fixturesKey is where a script's world keeps the hashes of its fixtures.
type fixturesKey struct{}

// noteFixtures notes the files of a script's archive, as extracted, so
// that the scan can leave them out while they are unchanged: they hold the
// scenario's values in clear (the plaintext it encrypts, its editors).
func noteFixtures(env *testscript.Env) error {
	sums := map[string][sha256.Size]byte{}
	err := filepath.WalkDir(env.WorkDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		sums[p] = sha256.Sum256(data)
		return err
	})
	env.Values[fixturesKey{}] = sums
	return err
}

// noplaintextCmd is the testscript command
//
//	noplaintext VALUE...
//
// which checks that no file the scenario could have written holds a
// VALUE: under $WORK (with $HOME and $TMPDIR), $XDG_RUNTIME_DIR, the
// script's runtime base, and /dev/shm. The script's own files are left out
// while they are as its archive holds them. With !, each VALUE must be
// found: a check that the scan reaches where a value was written.
func noplaintextCmd(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 0 {
		ts.Fatalf("usage: noplaintext VALUE...")
	}
	w := ts.Value(worldKey{}).(*world)
	sums := ts.Value(fixturesKey{}).(map[string][sha256.Size]byte)
	unchanged := func(p string) bool {
		sum, ok := sums[p]
		if !ok {
			return false
		}
		data, err := os.ReadFile(p)
		return err == nil && sha256.Sum256(data) == sum
	}
	var dirs []string
	for _, k := range []string{"WORK", "HOME", "TMPDIR", "XDG_RUNTIME_DIR"} {
		if v := ts.Getenv(k); filepath.IsAbs(v) {
			dirs = append(dirs, v)
		}
	}
	found := findPlaintext(args, append(dirs, w.runtime), unchanged)
	for _, v := range args {
		switch {
		case !neg && len(found[v]) > 0:
			ts.Fatalf("plaintext: %s holds %s", strings.Join(found[v], ", "), v)
		case neg && len(found[v]) == 0:
			ts.Fatalf("%s is in no file the scan reads", v)
		}
	}
}

// TestPlaintextScan: the scan of a world finds a value wherever a run in
// it writes one: the working directory, $HOME, $TMPDIR, an XDG directory
// its environment names, its runtime base, and /dev/shm.
func TestPlaintextScan(t *testing.T) {
	t.Parallel()
	w, tpl := runWorld(t)
	w.setenv("XDG_STATE_HOME=" + filepath.Join(w.root, "state"))
	shm, err := os.CreateTemp(sharedRAM, "scan-test-")
	if err != nil {
		t.Skipf("no /dev/shm: %v", err)
	}
	shm.Close()
	t.Cleanup(func() { os.Remove(shm.Name()) })
	values := map[string]string{}
	for _, place := range []string{"$PWD/leak", "$HOME/leak", "$TMPDIR/leak", "$XDG_STATE_HOME/leak", "$XDG_RUNTIME_DIR/leak", shm.Name()} {
		values[place] = secretValue(t, "leak")
		// The value is made by the command: no file of the test holds it.
		a, b := split(values[place])
		r := runToEnd(t, w.job("-t", tpl, "--", "sh", "-c", `mkdir -p "$(dirname "$1")" && printf '%s%s\n' "$2" "$3" > "$1"`,
			"sh", os.Expand(place, func(k string) string { return "${" + k + "}" }), a, b))
		if !exited(r.ws, 0) {
			t.Fatalf("writing to %s: %s\n%s", place, describe(r.ws), r.stderr)
		}
	}
	found := findPlaintext(slices.Collect(maps.Values(values)), w.places(), nil)
	for place, v := range values {
		if len(found[v]) != 1 {
			t.Errorf("the scan found the value written to %s in %q, want one file", place, found[v])
		}
	}
}
