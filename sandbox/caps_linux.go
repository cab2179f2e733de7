package sandbox

import (
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// DropReadCaps takes CAP_SYS_ADMIN and CAP_PERFMON away, so that the
// programs executed after it do not hold them: with either, a process in
// the domain can still read /proc/PID/environ and maps of processes
// outside it (see Status.Privileged). They go from the bounding set, so
// that root does not get them back at exec, and from the effective,
// permitted and inheritable sets. It does nothing for a process that holds
// neither, which is any but root's.
//
// It acts on every thread; in a cgo program, where that cannot be done, on
// the calling one, which the caller must have locked and then exec from.
func DropReadCaps() error {
	if !privileged() {
		return nil
	}
	caps := []int{unix.CAP_SYS_ADMIN, unix.CAP_PERFMON}
	for _, c := range caps {
		if err := allThreads(unix.SYS_PRCTL, unix.PR_CAPBSET_DROP, uintptr(c), 0); err != nil {
			return err
		}
		// An ambient capability would survive exec too.
		if err := allThreads(unix.SYS_PRCTL, unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_LOWER, uintptr(c)); err != nil && err != unix.EINVAL {
			return err
		}
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return err
	}
	for _, c := range caps {
		bit := uint32(1) << (c % 32)
		data[c/32].Effective &^= bit
		data[c/32].Permitted &^= bit
		data[c/32].Inheritable &^= bit
	}
	err := allThreads(unix.SYS_CAPSET, uintptr(unsafe.Pointer(&hdr)), uintptr(unsafe.Pointer(&data[0])), 0)
	runtime.KeepAlive(&data)
	return err
}

// allThreads makes a system call on every thread of the process, or, in a
// cgo program, on the calling one.
func allThreads(trap, a1, a2, a3 uintptr) error {
	_, _, errno := syscall.AllThreadsSyscall(trap, a1, a2, a3)
	if errno == syscall.ENOTSUP {
		_, _, errno = syscall.RawSyscall(trap, a1, a2, a3)
	}
	if errno != 0 {
		return errno
	}
	return nil
}
