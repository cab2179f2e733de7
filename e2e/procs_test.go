//go:build linux

package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Processes as /proc shows them, and waiting for what a test cannot be
// told of: a process or a file gone, a file made. The waits poll a
// condition; their deadline only catches a hang.

// waitDeadline is how long a wait polls before the test fails.
const waitDeadline = 30 * time.Second

// proc is a process as /proc/PID/stat describes it.
type proc struct {
	pid, ppid, pgrp, sid int
	state                byte
	comm                 string
}

func readProc(pid int) (proc, bool) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return proc{}, false
	}
	lp, rp := bytes.IndexByte(stat, '('), bytes.LastIndexByte(stat, ')')
	if lp < 0 || rp < lp {
		return proc{}, false
	}
	fields := strings.Fields(string(stat[rp+1:]))
	if len(fields) < 4 {
		return proc{}, false
	}
	p := proc{pid: pid, comm: string(stat[lp+1 : rp]), state: fields[0][0]}
	p.ppid, _ = strconv.Atoi(fields[1])
	p.pgrp, _ = strconv.Atoi(fields[2])
	p.sid, _ = strconv.Atoi(fields[3])
	return p, true
}

// procs returns the live processes that match, by pid.
func procs(match func(proc) bool) map[int]proc {
	out := map[int]proc{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if p, ok := readProc(pid); ok && p.state != 'Z' && p.state != 'X' && match(p) {
			out[pid] = p
		}
	}
	return out
}

// sessionProcs returns the live processes of session sid, by pid.
func sessionProcs(sid int) map[int]proc {
	return procs(func(p proc) bool { return p.sid == sid })
}

// alive reports whether pid is a process that has not ended.
func alive(pid int) bool {
	p, ok := readProc(pid)
	return ok && p.state != 'Z' && p.state != 'X'
}

func stopped(state byte) bool { return state == 'T' }
func running(state byte) bool { return state != 'T' && state != 't' }

// procSignals returns the state and signal masks of pid, for diagnostics.
func procSignals(pid int) string {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return " gone"
	}
	var b strings.Builder
	for _, line := range strings.Split(string(status), "\n") {
		for _, key := range []string{"State:", "PPid:", "SigPnd:", "ShdPnd:", "SigBlk:", "SigIgn:", "SigCgt:"} {
			if strings.HasPrefix(line, key) {
				b.WriteString(" " + strings.Join(strings.Fields(line), " "))
			}
		}
	}
	return b.String()
}

// children returns the child processes of pid, from what each of its
// threads forked.
func children(pid int) []int {
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	var out []int
	for _, task := range tasks {
		data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, task.Name()))
		for _, f := range strings.Fields(string(data)) {
			if child, err := strconv.Atoi(f); err == nil {
				out = append(out, child)
			}
		}
	}
	return out
}

// descendants returns pid and its live descendants, by pid: a walk down
// from pid reads a few files where a scan of /proc reads them all.
func descendants(pid int) map[int]proc {
	out := map[int]proc{}
	for next := []int{pid}; len(next) > 0; {
		p, ok := readProc(next[0])
		next = next[1:]
		if !ok || p.state == 'Z' || p.state == 'X' {
			continue
		}
		out[p.pid] = p
		next = append(next, children(p.pid)...)
	}
	return out
}

// childOf returns the one child process of pid.
func childOf(t testing.TB, pid int) int {
	t.Helper()
	kids := children(pid)
	if len(kids) != 1 {
		t.Fatalf("children of %d: %v", pid, kids)
	}
	return kids[0]
}

// poll calls done until it reports true, and fails the test with what
// after waitDeadline.
func poll(t testing.TB, what string, done func() bool) {
	t.Helper()
	for deadline := time.Now().Add(waitDeadline); !done(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s, after %v", what, waitDeadline)
		}
	}
}

// waitGone waits until path no longer exists (a watchdog's wipe, a process
// under /proc).
func waitGone(t testing.TB, path string) {
	t.Helper()
	poll(t, path+" still exists", func() bool {
		_, err := os.Lstat(path)
		return err != nil
	})
}

// waitGroupGone waits until no process is left in the process group pgid
// (an orphaned editor, a watchdog).
func waitGroupGone(t testing.TB, pgid int) {
	t.Helper()
	poll(t, fmt.Sprintf("processes of group %d still run", pgid), func() bool {
		return syscall.Kill(-pgid, 0) == syscall.ESRCH
	})
}

// waitForFile waits until path exists; it gives up when the program that
// should make it is done (done is closed), showing out.
func waitForFile(t testing.TB, path string, done <-chan struct{}, out fmt.Stringer) {
	t.Helper()
	poll(t, filepath.Base(path)+" never appeared", func() bool {
		if _, err := os.Stat(path); err == nil {
			return true
		}
		select {
		case <-done:
			t.Fatalf("the program ended before %s was made; output:\n%s", filepath.Base(path), out)
		default:
		}
		return false
	})
}

// mkfifo makes FIFOs for a test and its programs to meet at.
func mkfifo(t testing.TB, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// readFIFO waits for a line on a FIFO and returns it.
func readFIFO(t testing.TB, path string) string {
	t.Helper()
	return readFIFOUntil(t, path, nil, nil)
}

// readFIFOUntil waits for a line on a FIFO and returns it; it gives up when
// the program that should write it is done (done is closed), showing out.
func readFIFOUntil(t testing.TB, path string, done <-chan struct{}, out fmt.Stringer) string {
	t.Helper()
	line := make(chan string, 1)
	go func() {
		f, err := os.Open(path)
		if err != nil {
			line <- ""
			return
		}
		defer f.Close()
		s, _ := bufio.NewReader(f).ReadString('\n')
		line <- s
	}()
	// The reader waits in open(2) until a writer comes: one that never
	// will is replaced by the test's own, so that it returns.
	unblock := func() {
		if f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	}
	select {
	case s := <-line:
		return s
	case <-done:
		select {
		case s := <-line:
			return s
		default:
		}
		unblock()
		t.Fatalf("the program ended before writing on %s; output:\n%s", filepath.Base(path), out)
	case <-time.After(waitDeadline):
		unblock()
		t.Fatalf("nothing came on %s", path)
	}
	panic("unreachable")
}

// writeFIFO writes a line on a FIFO, once a program opens it to read.
func writeFIFO(t testing.TB, path, line string) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err == nil {
			_, err = f.WriteString(line + "\n")
			f.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(waitDeadline):
		t.Fatalf("nobody read %s", path)
	}
}
