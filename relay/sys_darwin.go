package relay

import (
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// maxSocketPath is the longest socket path: sun_path is 104 bytes, the
// final NUL included.
const maxSocketPath = 103

// hangupEvents are the poll events asked for by waitHangup. macOS reports
// POLLHUP for the event filters asked for: for reading once the peer shut
// down its writing side, for writing once it closed the connection.
const hangupEvents = unix.POLLOUT

// peerUID returns the effective uid of the process that connected c, as
// the kernel recorded it at connect.
func peerUID(c *net.UnixConn) (int, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return -1, err
	}
	var cred *unix.Xucred
	var credErr error
	if err := rc.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptXucred(int(fd), unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
	}); err != nil {
		return -1, err
	}
	if credErr != nil {
		return -1, credErr
	}
	return int(cred.Uid), nil
}

// beforeBind does nothing: macOS does not take a socket's file mode from
// the socket, so Listen's chmod alone sets it, just after bind.
func beforeBind(network, address string, c syscall.RawConn) error { return nil }

// sysProcAttr puts a server in a process group of its own.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// awaitExit cannot wait without reaping here (no waitid in
// golang.org/x/sys/unix): it returns false at once, and the group is
// signalled only until the server is reaped. A signal sent in the short
// time between the reaping and the end of Wait could reach a new group
// that reused the id; what the server left in its group is not killed.
func awaitExit(pid int) bool { return false }
