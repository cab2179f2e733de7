//go:build linux

package e2e

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// blockingAskpass writes an SSH_ASKPASS program that says "asked" on the
// FIFO asked and then waits for a line on the FIFO answer before printing
// the passphrase: rigup-exec is held at a known point, with its key loaded.
func blockingAskpass(t *testing.T, dir, passphrase string) (program, asked, answer string) {
	t.Helper()
	program = filepath.Join(dir, "askpass-blocking")
	asked, answer = filepath.Join(dir, "asked"), filepath.Join(dir, "answer")
	for _, f := range []string{asked, answer} {
		if err := syscall.Mkfifo(f, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	script := "#!/bin/sh\necho asked > '" + asked + "'\nread line < '" + answer + "'\necho '" + passphrase + "'\n"
	if err := os.WriteFile(program, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return program, asked, answer
}

// readFIFO waits for a line on a FIFO and returns it.
func readFIFO(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	line, _ := bufio.NewReader(f).ReadString('\n')
	return line
}

// TestNoCoreDump crashes rigup-exec while it holds a key and waits for the
// passphrase (SIGQUIT with GOTRACEBACK=crash makes the Go runtime abort),
// under `ulimit -c unlimited`: no core is written. As a user, another
// process of the same user cannot read its memory or environment either.
func TestNoCoreDump(t *testing.T) {
	dir, env := passphraseProject(t)
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_CORE, &lim); lim.Max != ^uint64(0) {
		t.Skipf("the hard core size limit is %d, not unlimited", lim.Max)
	}
	askpass, asked, answer := blockingAskpass(t, dir, "open sesame")
	cmd := exec.Command("sh", "-c", `ulimit -c unlimited && exec "$0" "$@"`,
		filepath.Join(binDir, "rigup-exec"), "-t", "templates", "check")
	cmd.Dir = dir
	cmd.Env = append(env, "SSH_ASKPASS="+askpass, "SSH_ASKPASS_REQUIRE=force", "GOTRACEBACK=crash")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	// A file, not a pipe: the askpass program, still waiting, holds it.
	stderr, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		if f, err := os.OpenFile(answer, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.WriteString("\n")
			f.Close()
		}
	})
	readFIFO(t, asked)

	pid := cmd.Process.Pid
	if os.Getuid() != 0 {
		for _, name := range []string{"mem", "environ"} {
			if _, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), name)); !errors.Is(err, os.ErrPermission) {
				t.Errorf("/proc/%d/%s of rigup-exec: %v, want permission denied", pid, name, err)
			}
		}
	}
	syscall.Kill(pid, syscall.SIGQUIT)
	ws := waitStatus(t, cmd)
	if !ws.Signaled() || ws.Signal() != syscall.SIGABRT {
		out, _ := os.ReadFile(stderr.Name())
		t.Fatalf("rigup-exec ended with %v, want the Go runtime's abort\n%s", ws, out)
	}
	if ws.CoreDump() {
		t.Errorf("rigup-exec dumped core")
	}
	if cores, _ := filepath.Glob(filepath.Join(dir, "core*")); len(cores) > 0 {
		t.Errorf("core files: %v", cores)
	}
}

// TestSignalWhileAsking sends TERM to rigup-exec while its SSH_ASKPASS
// program does not answer: the run ends at once, by that signal, with the
// program killed, no directory and the command never started.
func TestSignalWhileAsking(t *testing.T) {
	dir, env := passphraseProject(t)
	askpass, asked, _ := blockingAskpass(t, dir, "open sesame")
	base, err := os.MkdirTemp("/dev/shm", "e2e-runtime-")
	if err != nil {
		t.Skipf("no /dev/shm: %v", err)
	}
	defer os.RemoveAll(base)
	marker := filepath.Join(dir, "started")
	cmd := exec.Command(filepath.Join(binDir, "rigup-exec"), "-t", "templates", "--", "touch", marker)
	cmd.Dir = dir
	cmd.Env = append(env, "SSH_ASKPASS="+askpass, "SSH_ASKPASS_REQUIRE=force", "XDG_RUNTIME_DIR="+base)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	readFIFO(t, asked)
	askpassPID := childOf(t, cmd.Process.Pid)

	syscall.Kill(cmd.Process.Pid, syscall.SIGTERM)
	exited := make(chan syscall.WaitStatus, 1)
	go func() { exited <- waitStatus(t, cmd) }()
	select {
	case ws := <-exited:
		if !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
			t.Errorf("rigup-exec ended with %v, want death by SIGTERM", ws)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("rigup-exec is still waiting for SSH_ASKPASS 20 s after SIGTERM")
	}
	if err := syscall.Kill(askpassPID, 0); err == nil {
		if state, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(askpassPID), "stat")); !strings.Contains(string(state), ") Z") {
			t.Errorf("the SSH_ASKPASS program (%d) still runs", askpassPID)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the command was started")
	}
	if left, _ := filepath.Glob(filepath.Join(base, "rigup-*")); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

// childOf returns the one child process of pid.
func childOf(t *testing.T, pid int) int {
	t.Helper()
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	var children []string
	for _, task := range tasks {
		data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, task.Name()))
		children = append(children, strings.Fields(string(data))...)
	}
	if len(children) != 1 {
		t.Fatalf("children of %d: %q", pid, children)
	}
	child, _ := strconv.Atoi(children[0])
	return child
}

// TestUntrustedOwner: a template root or a secrets file owned by another
// user is refused, as ssh refuses such a key, even when only its owner may
// write it.
func TestUntrustedOwner(t *testing.T) {
	requireRoot(t, "files owned by another user")
	dir, env := passphraseProject(t)
	nobody := 65534
	for _, tc := range []struct{ path, args, want string }{
		{"templates", "-t templates check", "rigup-exec: error: template root templates is owned by "},
		{"rigup.secrets.toml.age", "-t templates check", "rigup-exec: error: secrets file rigup.secrets.toml.age is owned by "},
		{"templates/a.json", "-t templates check", "rigup-exec: error: template root templates: templates/a.json is owned by "},
	} {
		p := filepath.Join(dir, tc.path)
		if err := os.Chown(p, nobody, nobody); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(filepath.Join(binDir, "rigup-exec"), strings.Fields(tc.args)...)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.HasPrefix(string(out), tc.want) || !strings.Contains(string(out), ", not by you or root\n") {
			t.Errorf("%s owned by uid %d: %v\n%s", tc.path, nobody, err, out)
		}
		// doctor reports it as a problem, with world-writable bits too.
		os.Chmod(p, 0o777)
		cmd = exec.Command(filepath.Join(binDir, "rigup-exec"), "-t", "templates", "doctor")
		cmd.Dir, cmd.Env = dir, env
		out, err = cmd.Output()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 ||
			!strings.Contains(string(out), "\nproblem  "+strings.TrimPrefix(tc.want, "rigup-exec: error: ")) {
			t.Errorf("doctor, %s owned by uid %d: %v\n%s", tc.path, nobody, err, out)
		}
		os.Chmod(p, 0o755)
		os.Chown(p, 0, 0)
	}
}

// scanMemory returns which of values occur in the memory of process pid,
// leaving out the mappings of files under skip (the rendered files
// themselves, which are the values' one place by design).
func scanMemory(t *testing.T, pid int, skip string, values []string) []string {
	t.Helper()
	maps, err := os.ReadFile(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		t.Fatal(err)
	}
	mem, err := os.Open(fmt.Sprintf("/proc/%d/mem", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	found := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(maps)), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 || f[1][0] != 'r' || (len(f) > 5 && skip != "" && strings.HasPrefix(f[5], skip)) {
			continue
		}
		var start, end uint64
		fmt.Sscanf(f[0], "%x-%x", &start, &end)
		if f[len(f)-1] == "[vsyscall]" {
			continue
		}
		buf := make([]byte, end-start)
		n, _ := mem.ReadAt(buf, int64(start))
		for _, v := range values {
			if i := bytes.Index(buf[:n], []byte(v)); i >= 0 {
				found[v] = true
				lo, hi := max(0, i-64), min(n, i+len(v)+64)
				t.Logf("%s at %#x in %s: %q", v, start+uint64(i), line, buf[lo:hi])
			}
		}
	}
	var out []string
	for _, v := range values {
		if found[v] {
			out = append(out, v)
		}
	}
	return out
}

// TestNoSecretInSupervisorMemory reads rigup-exec's memory while its
// command runs: once the files are written, no value is left in it but in
// the rendered files' own mappings.
func TestNoSecretInSupervisorMemory(t *testing.T) {
	requireRoot(t, "reading the memory of a non-dumpable process", "ssh-keygen", "age")
	values := []string{"sk-live-4f1c9a7e0b2d8c3f", "ghp-9d8c7b6a5f4e3d2c1b0a", "tok-0a1b2c3d4e5f6a7b8c9d"}
	p := newRigupProject(t, fmt.Sprintf("[mcp]\nkey = %q\n[gh]\ntoken = %q\n[x]\nraw = %q\n", values[0], values[1], values[2]), "")
	tpl := filepath.Join(p.dir, "templates")
	os.MkdirAll(filepath.Join(tpl, "app"), 0o755)
	os.WriteFile(filepath.Join(tpl, "app", "mcp.json"), []byte(`{"k": "{{secrets.mcp.key}}", "t": "{{secrets.gh.token}}"}`), 0o644)
	os.WriteFile(filepath.Join(tpl, "app", "raw"), []byte("{{secrets.x.raw}}\n"), 0o644)

	cmd := exec.Command(filepath.Join(binDir, "rigup-exec"), "-t", tpl, "--", "sh", "-c", `echo "$XDG_CONFIG_HOME"; read line || true`)
	cmd.Dir, cmd.Env = p.dir, p.env
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	dir, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	// The scan sees what it should: the rendered files' mappings hold all.
	if found := scanMemory(t, cmd.Process.Pid, "", values); len(found) != len(values) {
		t.Errorf("the scan finds %d of %d values with the rendered files", len(found), len(values))
	}
	if found := scanMemory(t, cmd.Process.Pid, strings.TrimSpace(dir)+"/", values); len(found) > 0 {
		t.Errorf("rigup-exec's memory holds %d of %d values while the command runs", len(found), len(values))
	}
	stdin.Close()
	if ws := waitStatus(t, cmd); !ws.Exited() || ws.ExitStatus() != 0 {
		t.Errorf("rigup-exec ended with %v", ws)
	}
}

// TestGroupWritable: a group-writable template root is refused, unless its
// group is the owner's private group (Debian's and Ubuntu's umask 002 makes
// every file group-writable), as their ssh accepts it.
func TestGroupWritable(t *testing.T) {
	dir, env := passphraseProject(t)
	tpl := filepath.Join(dir, "templates")
	os.Chmod(tpl, 0o775)
	check := func() (string, error) {
		cmd := exec.Command(filepath.Join(binDir, "rigup-exec"), "-t", "templates", "doctor")
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.Output()
		return string(out), err
	}
	me, _ := user.Current()
	if g, err := user.LookupGroupId(me.Gid); err == nil && g.Name == me.Username {
		if out, _ := check(); !strings.Contains(out, "\nok       template root templates:") {
			t.Errorf("a root writable by the private group %s:\n%s", g.Name, out)
		}
	} else {
		t.Logf("%s's primary group is not a private group: that case is not tested", me.Username)
	}
	if os.Getuid() != 0 {
		return
	}
	other, err := user.LookupGroup("nogroup")
	if err != nil {
		t.Skip("no group nogroup")
	}
	gid, _ := strconv.Atoi(other.Gid)
	os.Chown(tpl, 0, gid)
	if out, _ := check(); !strings.Contains(out, "\nproblem  template root templates is writable by its group (mode 0775)\n") {
		t.Errorf("a root writable by the group nogroup:\n%s", out)
	}
}

// TestNoSecretInMemoryWhileEditing reads the memory of secrets edit while
// the editor runs: the file in RAM is the one copy of the values, when the
// editor first opens and when it opens again after invalid TOML (on a
// terminal, which is asked whether to re-open it).
func TestNoSecretInMemoryWhileEditing(t *testing.T) {
	requireRoot(t, "reading the memory of a non-dumpable process", "ssh-keygen", "age")
	values := []string{"sk-live-7e6d5c4b3a2918f0", "ghp-1a2b3c4d5e6f7a8b9c0d"}
	for _, reopen := range []bool{false, true} {
		t.Run(map[bool]string{false: "first", true: "reopened"}[reopen], func(t *testing.T) {
			p := newRigupProject(t, fmt.Sprintf("[mcp]\nkey = %q\n[gh]\ntoken = %q\n", values[0], values[1]), "")
			os.WriteFile(filepath.Join(p.dir, "rigup.secrets.recipients"), readFile(t, p.key+".pub"), 0o644)
			ready, done, broke := filepath.Join(p.dir, "ready"), filepath.Join(p.dir, "done"), filepath.Join(p.dir, "broke")
			for _, f := range []string{ready, done} {
				if err := syscall.Mkfifo(f, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			// When reopen is set, the editor first breaks the TOML
			// (every value still in it) and exits.
			script := "#!/bin/sh\n"
			if reopen {
				script += fmt.Sprintf("if [ ! -e '%s' ]; then echo 'broken = ' >> \"$1\"; touch '%s'; exit 0; fi\n", broke, broke)
			}
			script += fmt.Sprintf("echo \"$1\" > '%s'\nread line < '%s'\nsed -i '/^broken = $/d' \"$1\"\n", ready, done)
			editor := filepath.Join(p.dir, "editor")
			os.WriteFile(editor, []byte(script), 0o755)
			env := append(p.env, "EDITOR="+editor, "VISUAL=")

			var pid int
			var wait func() (syscall.WaitStatus, string)
			if reopen {
				term := startInTerminal(t, p.dir, env, "secrets", "edit")
				term.waitFor("[Y/n]")
				term.typeText("y\n")
				pid = term.cmd.Process.Pid
				wait = func() (syscall.WaitStatus, string) {
					term.wait()
					return term.cmd.ProcessState.Sys().(syscall.WaitStatus), term.screen()
				}
			} else {
				cmd := exec.Command(filepath.Join(binDir, "rigup-exec"), "secrets", "edit")
				cmd.Dir, cmd.Env = p.dir, env
				cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				defer cmd.Process.Kill()
				pid = cmd.Process.Pid
				wait = func() (syscall.WaitStatus, string) { return waitStatus(t, cmd), stderr.String() }
			}
			file := strings.TrimSpace(readFIFO(t, ready))
			// The file's own mapping is skipped: the editor's directory.
			if found := scanMemory(t, pid, filepath.Dir(filepath.Dir(file))+"/", values); len(found) > 0 {
				t.Errorf("rigup-exec's memory holds %d of %d values while the editor runs", len(found), len(values))
			}
			os.WriteFile(done, []byte("\n"), 0o600)
			ws, out := wait()
			if !ws.Exited() || ws.ExitStatus() != 0 || !strings.Contains(out, "no changes") {
				t.Errorf("secrets edit ended with %v\n%s", ws, out)
			}
		})
	}
}
