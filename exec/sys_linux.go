package exec

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// setForeground makes pgrp the terminal's foreground group. SIGTTOU is
// blocked on this thread meanwhile, so that the call also works while we
// are in the background, without ignoring SIGTTOU for the whole process
// (an ignore would be inherited by a child started at that moment).
func (t *terminal) setForeground(pgrp int) {
	if t == nil {
		return
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var set, old unix.Sigset_t
	addSignal(&set, syscall.SIGTTOU)
	if unix.PthreadSigmask(unix.SIG_BLOCK, &set, &old) != nil {
		return
	}
	unix.IoctlSetPointerInt(t.fd, unix.TIOCSPGRP, pgrp)
	unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil)
}

func addSignal(set *unix.Sigset_t, sig syscall.Signal) {
	n := uint(sig - 1)
	set.Val[n/64] |= 1 << (n % 64)
}

// stopSelf stops the whole process with sig and returns once it is
// continued. The signal goes to this very thread: sent to the process,
// another thread could take it while this one went on running.
func stopSelf(sig syscall.Signal) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	unix.Tgkill(unix.Getpid(), unix.Gettid(), sig)
}

// stillStopped reports whether the process is stopped right now: a stop
// reported by wait4 may be stale when the child was stopped and continued
// together with us.
func stillStopped(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name, which may hold ") ".
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] == 'T'
}

// othersStopped reports whether a process of group pgrp other than pid is
// stopped, reading /proc.
func othersStopped(pgrp, pid int) bool {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return false
	}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil || p == pid {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// After the command name: state, ppid, pgrp.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) > 2 && f[0] == "T" && f[2] == strconv.Itoa(pgrp) {
			return true
		}
	}
	return false
}

// Reraise makes the process die by sig, as the child did: with core dumps
// off, the default action restored under the Go runtime's handler, and the
// signal unblocked and sent to this thread. It returns only when that did
// not end the process, as for PID 1, which the kernel does not let die by
// its own signals; the caller then exits with 128+sig.
func Reraise(sig syscall.Signal) error {
	if os.Getpid() == 1 {
		return errors.New("pid 1 cannot die by its own signal")
	}
	runtime.LockOSThread()
	unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	if sig != syscall.SIGKILL && sig != syscall.SIGSTOP {
		// A zeroed kernel sigaction is SIG_DFL with no flags and an
		// empty mask, whatever the architecture's layout.
		var act [4]uint64
		if _, _, errno := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig),
			uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0); errno != 0 {
			return errno
		}
	}
	var set unix.Sigset_t
	addSignal(&set, sig)
	unix.PthreadSigmask(unix.SIG_UNBLOCK, &set, nil)
	if err := unix.Tgkill(unix.Getpid(), unix.Gettid(), sig); err != nil {
		return err
	}
	// Delivery happens on the way out of the system call; a default
	// action of "ignore" (CHLD, URG, WINCH) leaves us here.
	time.Sleep(10 * time.Millisecond)
	return fmt.Errorf("still alive after raising %v", sig)
}
