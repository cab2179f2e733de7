package relay

import (
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// maxSocketPath is the longest socket path: sun_path is 108 bytes, the
// final NUL included.
const maxSocketPath = 107

// hangupEvents are the poll events asked for by waitHangup. Linux reports
// POLLHUP on a unix stream socket once both directions are shut down,
// whatever is asked.
const hangupEvents = 0

// peerUID returns the effective uid of the process that connected c, as
// the kernel recorded it at connect.
func peerUID(c *net.UnixConn) (int, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return -1, err
	}
	var cred *unix.Ucred
	var credErr error
	if err := rc.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return -1, err
	}
	if credErr != nil {
		return -1, credErr
	}
	return int(cred.Uid), nil
}

// beforeBind gives the socket mode 0600 before it has a name, so that its
// file never exists with a wider mode: Linux makes the file with the
// socket inode's mode (less the umask), which fchmod changes.
func beforeBind(network, address string, c syscall.RawConn) error {
	var err error
	if cerr := c.Control(func(fd uintptr) { err = unix.Fchmod(int(fd), 0o600) }); cerr != nil {
		return cerr
	}
	return err
}

// sysProcAttr puts a server in a process group of its own, and has the
// kernel send it SIGTERM if the supervisor dies (strictly: if the thread
// that started it ends, which the Go runtime does only to a thread locked
// by a goroutine that ended while locked; servers are never started from
// such a goroutine).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}

// awaitExit blocks until the process pid has exited, without reaping it,
// and reports whether it could.
func awaitExit(pid int) bool {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err != unix.EINTR {
			return err == nil
		}
	}
}
