//go:build linux

package e2e

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// terminal runs rigup-exec with a pseudo-terminal as its controlling
// terminal and its stdio, as a user's shell would.
type terminal struct {
	t       *testing.T
	ptmx    *os.File
	tty     *os.File
	cmd     *exec.Cmd
	mu      sync.Mutex
	out     bytes.Buffer
	changed chan struct{}
}

func startInTerminal(t *testing.T, dir string, env []string, args ...string) *terminal {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	cmd := exec.Command(filepath.Join(binDir, "rigup-exec"), args...)
	cmd.Dir, cmd.Env = dir, env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	term := &terminal{t: t, ptmx: ptmx, tty: tty, cmd: cmd, changed: make(chan struct{}, 1)}
	t.Cleanup(func() {
		cmd.Process.Kill()
		ptmx.Close()
		tty.Close()
	})
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			term.mu.Lock()
			term.out.Write(buf[:n])
			term.mu.Unlock()
			select {
			case term.changed <- struct{}{}:
			default:
			}
			if err != nil {
				return
			}
		}
	}()
	return term
}

// waitFor waits until the terminal has shown text. The deadline only keeps
// a broken build from hanging the suite; the test synchronises on output.
func (term *terminal) waitFor(text string) {
	term.t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		term.mu.Lock()
		found := strings.Contains(term.out.String(), text)
		term.mu.Unlock()
		if found {
			return
		}
		select {
		case <-term.changed:
		case <-deadline:
			term.t.Fatalf("terminal never showed %q; it shows %q", text, term.screen())
		}
	}
}

func (term *terminal) screen() string {
	term.mu.Lock()
	defer term.mu.Unlock()
	return term.out.String()
}

func (term *terminal) typeText(s string) {
	if _, err := term.ptmx.Write([]byte(s)); err != nil {
		term.t.Fatal(err)
	}
}

// echoOn reports whether the terminal echoes what is typed.
func (term *terminal) echoOn() bool {
	term.t.Helper()
	tios, err := unix.IoctlGetTermios(int(term.tty.Fd()), unix.TCGETS)
	if err != nil {
		term.t.Fatal(err)
	}
	return tios.Lflag&unix.ECHO != 0
}

func (term *terminal) wait() int {
	err := term.cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode()
	}
	if err != nil {
		term.t.Fatal(err)
	}
	return 0
}

// passphraseProject makes a home with a passphrase-protected ed25519 key
// (real ssh-keygen) and a project whose secrets file the real age CLI
// encrypted to it.
func passphraseProject(t *testing.T) (dir string, env []string) {
	require(t, "ssh-keygen", "age")
	dir = t.TempDir()
	home := filepath.Join(dir, "home")
	key := filepath.Join(home, ".ssh", "id_ed25519")
	os.MkdirAll(filepath.Dir(key), 0o700)
	os.MkdirAll(filepath.Join(dir, "templates"), 0o755)
	os.WriteFile(filepath.Join(dir, "templates", "a.json"), []byte(`{"k": "{{secrets.k}}"}`), 0o644)
	os.WriteFile(filepath.Join(dir, "secrets.toml"), []byte("k = \"sk-SECRET\"\n"), 0o600)
	for _, args := range [][]string{
		{"ssh-keygen", "-q", "-t", "ed25519", "-N", "open sesame", "-f", key},
		{"age", "-R", key + ".pub", "-o", filepath.Join(dir, "rigup.secrets.toml.age"), filepath.Join(dir, "secrets.toml")},
	} {
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", args[0], err, out)
		}
	}
	env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "TERM=dumb"}
	return dir, env
}

func TestPassphrasePromptOnTerminal(t *testing.T) {
	dir, env := passphraseProject(t)
	term := startInTerminal(t, dir, env, "-t", "templates", "check")
	term.waitFor("Enter passphrase for ~/.ssh/id_ed25519: ")
	term.typeText("wrong\r")
	term.waitFor("Wrong passphrase, try 2 of 3, for ~/.ssh/id_ed25519: ")
	term.typeText("open sesame\r")
	if code := term.wait(); code != 0 {
		t.Fatalf("exit %d; terminal shows %q", code, term.screen())
	}
	term.waitFor("1 template, 0 plain files, 1 placeholder: all resolve")
	screen := term.screen()
	if strings.Contains(screen, "sesame") || strings.Contains(screen, "wrong\r") {
		t.Errorf("the passphrase was echoed: %q", screen)
	}
	if !strings.Contains(screen, "\r\x1b[K") {
		t.Errorf("the prompt was not erased: %q", screen)
	}
}

// With a terminal, the terminal is asked even when a display and an
// SSH_ASKPASS program are there, as ssh does.
func TestTerminalBeforeAskpass(t *testing.T) {
	dir, env := passphraseProject(t)
	askpass, calls := askpassScript(t, dir, "open sesame")
	env = append(env, "DISPLAY=:0", "SSH_ASKPASS="+askpass)
	term := startInTerminal(t, dir, env, "-t", "templates", "check")
	term.waitFor("Enter passphrase for ~/.ssh/id_ed25519: ")
	term.typeText("open sesame\r")
	if code := term.wait(); code != 0 {
		t.Fatalf("exit %d; terminal shows %q", code, term.screen())
	}
	if _, err := os.Stat(calls); err == nil {
		t.Error("SSH_ASKPASS was run although there is a terminal")
	}
}

func TestCtrlCAtPromptRestoresTerminal(t *testing.T) {
	dir, env := passphraseProject(t)
	term := startInTerminal(t, dir, env, "-t", "templates", "check")
	if !term.echoOn() {
		t.Fatal("echo is off before the prompt")
	}
	term.waitFor("Enter passphrase for ~/.ssh/id_ed25519: ")
	term.typeText("\x03")
	if code := term.wait(); code != 130 {
		t.Errorf("exit %d after Ctrl-C, want 130; terminal shows %q", code, term.screen())
	}
	if !term.echoOn() {
		t.Error("echo is still off after Ctrl-C at the prompt")
	}
	term.waitFor("rigup-exec: error: interrupted")
}
