//go:build linux

package e2e

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestNoCoreDump crashes rigup-exec while it holds a key and waits for the
// passphrase (SIGQUIT with GOTRACEBACK=crash makes the Go runtime abort),
// under `ulimit -c unlimited`: no core is written. As a user, another
// process of the same user cannot read its memory or environment either.
func TestNoCoreDump(t *testing.T) {
	t.Parallel()
	w := passphraseWorld(t)
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_CORE, &lim); lim.Max != ^uint64(0) {
		t.Skipf("the hard core size limit is %d, not unlimited", lim.Max)
	}
	askpass, asked, answer := blockingAskpass(t, w.root, "open sesame")
	cmd := w.program("sh", "-c", `ulimit -c unlimited && exec "$0" "$@"`, rigupExec(), "-t", "templates", "check")
	cmd.Env = append(cmd.Env, "SSH_ASKPASS="+askpass, "SSH_ASKPASS_REQUIRE=force", "GOTRACEBACK=crash")
	// A file, not a pipe: the askpass program, still waiting, holds it.
	stderr, err := os.Create(filepath.Join(w.root, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
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
		t.Fatalf("rigup-exec ended with %s, want the Go runtime's abort\n%s", describe(ws), readFile(t, stderr.Name()))
	}
	if ws.CoreDump() {
		t.Errorf("rigup-exec dumped core")
	}
	if cores, _ := filepath.Glob(filepath.Join(w.dir, "core*")); len(cores) > 0 {
		t.Errorf("core files: %v", cores)
	}
}

// TestSignalWhileAsking sends TERM to rigup-exec while its SSH_ASKPASS
// program does not answer: the run ends at once, by that signal, with the
// program killed, no directory and the command never started.
func TestSignalWhileAsking(t *testing.T) {
	t.Parallel()
	w := passphraseWorld(t)
	askpass, asked, _ := blockingAskpass(t, w.root, "open sesame")
	marker := filepath.Join(w.dir, "started")
	cmd := w.command("-t", "templates", "--", "touch", marker)
	cmd.Env = append(cmd.Env, "SSH_ASKPASS="+askpass, "SSH_ASKPASS_REQUIRE=force")
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
			t.Errorf("rigup-exec ended with %s, want death by SIGTERM", describe(ws))
		}
	case <-time.After(20 * time.Second):
		t.Fatal("rigup-exec is still waiting for SSH_ASKPASS 20 s after SIGTERM")
	}
	// Killed, it may take a moment to go; nothing else ends it: it waits
	// on a FIFO, in a session without a terminal.
	poll(t, fmt.Sprintf("the SSH_ASKPASS program (%d) still runs", askpassPID), func() bool { return !alive(askpassPID) })
	if _, err := os.Stat(marker); err == nil {
		t.Error("the command was started")
	}
	w.expectRunDirs(0)
}

// TestUntrustedOwner: a template root or a secrets file owned by another
// user is refused, as ssh refuses such a key, even when only its owner may
// write it.
func TestUntrustedOwner(t *testing.T) {
	t.Parallel()
	requireRoot(t, "files owned by another user")
	w := passphraseWorld(t)
	nobody := 65534
	for _, tc := range []struct{ path, want string }{
		{"templates", "rigup-exec: error: template root templates is owned by "},
		{"rigup.secrets.toml.age", "rigup-exec: error: secrets file rigup.secrets.toml.age is owned by "},
		{"templates/a.json", "rigup-exec: error: template root templates: templates/a.json is owned by "},
	} {
		p := filepath.Join(w.dir, tc.path)
		if err := os.Chown(p, nobody, nobody); err != nil {
			t.Fatal(err)
		}
		r := w.run("-t", "templates", "check")
		if exited(r.ws, 0) || !strings.HasPrefix(r.stderr, tc.want) || !strings.Contains(r.stderr, ", not by you or root\n") {
			t.Errorf("%s owned by uid %d: %s\n%s", tc.path, nobody, describe(r.ws), r.stderr)
		}
		// doctor reports it as a problem, with world-writable bits too.
		os.Chmod(p, 0o777)
		r = w.run("-t", "templates", "doctor")
		if !exited(r.ws, 1) || !strings.Contains(r.stdout, "\nproblem  "+strings.TrimPrefix(tc.want, "rigup-exec: error: ")) {
			t.Errorf("doctor, %s owned by uid %d: %s\n%s", tc.path, nobody, describe(r.ws), r.stdout)
		}
		os.Chmod(p, 0o755)
		os.Chown(p, 0, 0)
	}
}

// memHit is a value found in a process's memory.
type memHit struct {
	value   string
	at      uint64
	mapping string // its line of /proc/PID/maps
	file    string // the file mapped there, if any
	context []byte
}

// scanMemory reads the memory of process pid once, and returns where each
// of values occurs.
func scanMemory(t *testing.T, pid int, values []string) []memHit {
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
	var hits []memHit
	for _, line := range strings.Split(strings.TrimSpace(string(maps)), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 || f[1][0] != 'r' || f[len(f)-1] == "[vsyscall]" {
			continue
		}
		var start, end uint64
		fmt.Sscanf(f[0], "%x-%x", &start, &end)
		buf := make([]byte, end-start)
		n, _ := mem.ReadAt(buf, int64(start))
		for _, v := range values {
			if i := bytes.Index(buf[:n], []byte(v)); i >= 0 {
				h := memHit{value: v, at: start + uint64(i), mapping: line,
					context: buf[max(0, i-64):min(n, i+len(v)+64)]}
				if len(f) > 5 {
					h.file = f[5]
				}
				hits = append(hits, h)
			}
		}
	}
	return hits
}

// valuesOutside returns the values of hits that are not in the mappings of
// files under dir (the rendered files themselves, which are the values'
// one place by design), and logs where they are.
func valuesOutside(t *testing.T, hits []memHit, dir string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, h := range hits {
		if !strings.HasPrefix(h.file, dir) {
			out[h.value] = true
			t.Logf("%s at %#x in %s: %q", h.value, h.at, h.mapping, h.context)
		}
	}
	return out
}

// TestNoSecretInSupervisorMemory reads rigup-exec's memory while its
// command runs: once the files are written, no value is left in it but in
// the rendered files' own mappings.
func TestNoSecretInSupervisorMemory(t *testing.T) {
	t.Parallel()
	requireRoot(t, "reading the memory of a non-dumpable process", "ssh-keygen", "age")
	values := []string{"sk-live-4f1c9a7e0b2d8c3f", "ghp-9d8c7b6a5f4e3d2c1b0a", "tok-0a1b2c3d4e5f6a7b8c9d"}
	w := newWorld(t).withSecrets(fmt.Sprintf("[mcp]\nkey = %q\n[gh]\ntoken = %q\n[x]\nraw = %q\n", values[0], values[1], values[2]), "")
	w.write("templates/app/mcp.json", `{"k": "{{secrets.mcp.key}}", "t": "{{secrets.gh.token}}"}`, 0o644)
	w.write("templates/app/raw", "{{secrets.x.raw}}\n", 0o644)

	cmd := w.command("-t", "templates", "--", "sh", "-c", `echo "$XDG_CONFIG_HOME"; read line || true`)
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
	hits := scanMemory(t, cmd.Process.Pid, values)
	found := map[string]bool{}
	for _, h := range hits {
		found[h.value] = true
	}
	if len(found) != len(values) {
		t.Errorf("the scan finds %d of %d values with the rendered files", len(found), len(values))
	}
	if left := valuesOutside(t, hits, strings.TrimSpace(dir)+"/"); len(left) > 0 {
		t.Errorf("rigup-exec's memory holds %d of %d values while the command runs", len(left), len(values))
	}
	stdin.Close()
	if ws := waitStatus(t, cmd); !exited(ws, 0) {
		t.Errorf("rigup-exec ended with %s", describe(ws))
	}
}

// TestGroupWritable: a group-writable template root is refused, unless its
// group is the owner's private group (Debian's and Ubuntu's umask 002 makes
// every file group-writable), as their ssh accepts it.
func TestGroupWritable(t *testing.T) {
	t.Parallel()
	w := passphraseWorld(t)
	tpl := filepath.Join(w.dir, "templates")
	os.Chmod(tpl, 0o775)
	me, _ := user.Current()
	if g, err := user.LookupGroupId(me.Gid); err == nil && g.Name == me.Username {
		if r := w.run("-t", "templates", "doctor"); !strings.Contains(r.stdout, "\nok       template root templates:") {
			t.Errorf("a root writable by the private group %s:\n%s", g.Name, r.stdout)
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
	if r := w.run("-t", "templates", "doctor"); !strings.Contains(r.stdout, "\nproblem  template root templates is writable by its group (mode 0775)\n") {
		t.Errorf("a root writable by the group nogroup:\n%s", r.stdout)
	}
}

// TestNoSecretInMemoryWhileEditing reads the memory of secrets edit while
// the editor runs: the file in RAM is the one copy of the values, when the
// editor first opens and when it opens again after invalid TOML (on a
// terminal, which is asked whether to re-open it).
func TestNoSecretInMemoryWhileEditing(t *testing.T) {
	t.Parallel()
	requireRoot(t, "reading the memory of a non-dumpable process", "ssh-keygen", "age")
	values := []string{"sk-live-7e6d5c4b3a2918f0", "ghp-1a2b3c4d5e6f7a8b9c0d"}
	for _, reopen := range []bool{false, true} {
		t.Run(map[bool]string{false: "first", true: "reopened"}[reopen], func(t *testing.T) {
			t.Parallel()
			if testing.Short() && reopen {
				t.Skip("the editor opened again: not with -short")
			}
			w := newWorld(t).withSecrets(fmt.Sprintf("[mcp]\nkey = %q\n[gh]\ntoken = %q\n", values[0], values[1]), "")
			w.write("rigup.secrets.recipients", string(readFile(t, w.key+".pub")), 0o644)
			ready, done, broke := filepath.Join(w.root, "ready"), filepath.Join(w.root, "done"), filepath.Join(w.root, "broke")
			mkfifo(t, ready, done)
			// When reopen is set, the editor first breaks the TOML
			// (every value still in it) and exits.
			script := "#!/bin/sh\n"
			if reopen {
				script += fmt.Sprintf("if [ ! -e '%s' ]; then echo 'broken = ' >> \"$1\"; touch '%s'; exit 0; fi\n", broke, broke)
			}
			script += fmt.Sprintf("echo \"$1\" > '%s'\nread line < '%s'\nsed -i '/^broken = $/d' \"$1\"\n", ready, done)
			w.editor = w.write(filepath.Join(w.root, "editor"), script, 0o755)
			w.setenv("VISUAL=")

			var pid int
			var wait func() (syscall.WaitStatus, string)
			if reopen {
				term := w.terminal("secrets", "edit")
				term.expect("[Y/n]")
				term.send("y\n")
				pid = term.cmd.Process.Pid
				wait = func() (syscall.WaitStatus, string) {
					ws := term.wait()
					return ws, term.drain()
				}
			} else {
				cmd := w.command("secrets", "edit")
				var stderr strings.Builder
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
			if left := valuesOutside(t, scanMemory(t, pid, values), filepath.Dir(filepath.Dir(file))+"/"); len(left) > 0 {
				t.Errorf("rigup-exec's memory holds %d of %d values while the editor runs", len(left), len(values))
			}
			writeFIFO(t, done, "")
			if ws, out := wait(); !exited(ws, 0) || !strings.Contains(out, "no changes") {
				t.Errorf("secrets edit ended with %s\n%s", describe(ws), out)
			}
		})
	}
}
