package sandbox

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Probe asks the kernel for its Landlock ABI version and says what [Enter]
// would do with it. It changes nothing.
func Probe() Status {
	abi, _, errno := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, 0, 0, unix.LANDLOCK_CREATE_RULESET_VERSION)
	if errno != 0 {
		return Status{Reason: unavailable(errno)}
	}
	s := statusFor(int(abi))
	s.Privileged = s.Reason == "" && privileged()
	return s
}

// privileged reports whether this process, or a program it executes,
// holds CAP_SYS_ADMIN or CAP_PERFMON. At exec root gets its bounding and
// inheritable sets, and anyone keeps the ambient set. (File capabilities
// are not gained under no_new_privs.)
func privileged() bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	unix.Capget(&hdr, &data[0])
	root := os.Getuid() == 0 || os.Geteuid() == 0
	for _, c := range []int{unix.CAP_SYS_ADMIN, unix.CAP_PERFMON} {
		bit := uint32(1) << (c % 32)
		if data[c/32].Effective&bit != 0 || root && data[c/32].Inheritable&bit != 0 {
			return true
		}
		if n, _ := unix.PrctlRetInt(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_IS_SET, uintptr(c), 0, 0); n == 1 {
			return true
		}
		if n, _ := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(c), 0, 0, 0); root && n == 1 {
			return true
		}
	}
	return false
}

// unavailable says why the version query failed with errno.
func unavailable(errno syscall.Errno) string {
	switch {
	case errno == unix.EOPNOTSUPP:
		return "the kernel has Landlock built in but not enabled (it must be listed in the lsm= boot parameter)"
	case errno == unix.ENOSYS && seccompFiltered():
		return "the kernel has no Landlock, or a seccomp filter hides it (landlock_create_ruleset: function not implemented)"
	case errno == unix.ENOSYS:
		return "the kernel has no Landlock (it needs Linux 5.13 or later, built with CONFIG_SECURITY_LANDLOCK)"
	case seccompFiltered():
		return fmt.Sprintf("a seccomp filter blocks Landlock (landlock_create_ruleset: %v)", errno)
	}
	return fmt.Sprintf("landlock_create_ruleset: %v", errno)
}

// seccompFiltered reports whether a seccomp filter applies to this process.
func seccompFiltered() bool {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return false
	}
	return bytes.Contains(status, []byte("\nSeccomp:\t2\n"))
}

// Enter sets no_new_privs and puts the calling process into a new Landlock
// domain, with the protections its Status lists; everything the process
// executes afterwards stays in it. Where Landlock is missing, or is ABI 1,
// Enter changes nothing and returns a Status whose Reason says why, and a
// nil error: the caller decides whether to go on. The error reports a
// system call that failed on a kernel that offers Landlock.
func Enter() (Status, error) {
	s := Probe()
	if s.Reason != "" {
		return s, nil
	}
	fd, err := ruleset(s.ABI)
	if err != nil {
		return s, err
	}
	defer unix.Close(fd)
	s.AllThreads, err = restrict(fd)
	if err != nil {
		return s, err
	}
	s.Entered = true
	return s, nil
}

// ruleset makes the ruleset of the domain for the kernel's ABI version abi:
// see What it costs the agent in the package doc.
func ruleset(abi int) (int, error) {
	var attr unix.LandlockRulesetAttr
	if abi >= abiScopes {
		attr.Scoped = unix.LANDLOCK_SCOPE_SIGNAL | unix.LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
	} else {
		attr.Handled_access_fs = unix.LANDLOCK_ACCESS_FS_MAKE_BLOCK | unix.LANDLOCK_ACCESS_FS_REFER
	}
	r, _, errno := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr), 0)
	if errno != 0 {
		return -1, fmt.Errorf("failed to create a Landlock ruleset: %w", errno)
	}
	fd := int(r)
	if abi >= abiScopes {
		return fd, nil
	}
	root, err := unix.Open("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("failed to open / for a Landlock rule: %w", err)
	}
	defer unix.Close(root)
	rule := unix.LandlockPathBeneathAttr{Allowed_access: unix.LANDLOCK_ACCESS_FS_REFER, Parent_fd: int32(root)}
	_, _, errno = unix.Syscall6(unix.SYS_LANDLOCK_ADD_RULE, uintptr(fd), unix.LANDLOCK_RULE_PATH_BENEATH, uintptr(unsafe.Pointer(&rule)), 0, 0, 0)
	if errno != 0 {
		unix.Close(fd)
		return -1, fmt.Errorf("failed to add a Landlock rule: %w", errno)
	}
	return fd, nil
}

// restrict sets no_new_privs and enforces the ruleset fd on every thread,
// or, in a cgo program, on the calling thread alone. Either way it locks
// the calling goroutine to its thread for good.
func restrict(fd int) (allThreads bool, err error) {
	runtime.LockOSThread()
	if !testOnlyOneThread {
		_, _, errno := syscall.AllThreadsSyscall6(unix.SYS_PRCTL, unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0)
		if errno == 0 {
			_, _, errno = syscall.AllThreadsSyscall(unix.SYS_LANDLOCK_RESTRICT_SELF, uintptr(fd), 0, 0)
			if errno != 0 {
				return true, fmt.Errorf("failed to enter the Landlock domain: %w", errno)
			}
			return true, nil
		}
		if errno != syscall.ENOTSUP { // ENOTSUP: a cgo program
			return true, fmt.Errorf("failed to set no_new_privs: %w", errno)
		}
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return false, fmt.Errorf("failed to set no_new_privs: %w", err)
	}
	if _, _, errno := unix.Syscall(unix.SYS_LANDLOCK_RESTRICT_SELF, uintptr(fd), 0, 0); errno != 0 {
		return false, fmt.Errorf("failed to enter the Landlock domain: %w", errno)
	}
	return false, nil
}

// Confined reports whether this process runs under no_new_privs, which
// Enter sets and nothing can clear: it may be inside a domain already (an
// agent's, if an agent started it), where what it starts is within that
// agent's reach.
func Confined() bool {
	n, err := unix.PrctlRetInt(unix.PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0)
	return err == nil && n == 1
}
