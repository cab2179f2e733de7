package relay

import (
	"syscall"
	"time"
)

// exited waits up to timeout for pid to exit and reports whether it did.
// Without pidfds, it looks every few milliseconds; a zombie counts as
// alive.
func exited(pid int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}
