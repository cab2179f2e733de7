package tmpl

import "golang.org/x/sys/unix"

// scratch is where Render writes a rendering to check it (is a .json still
// JSON?) before anything is written for real. It is a private anonymous
// mapping outside the Go heap: locked in memory when RLIMIT_MEMLOCK allows,
// so that the plaintext in it cannot be swapped out, zeroed after each use
// by its caller, and unmapped by release, so that it does not stay resident
// as a freed heap buffer would until the garbage collector and the
// scavenger give it back. One scratch is reused for every file, grown to
// the largest.
type scratch struct {
	b      []byte
	mapped bool
}

// get returns n bytes of scratch memory, mapped when it can be, from the
// heap otherwise.
func (s *scratch) get(n int) []byte {
	if n <= cap(s.b) {
		return s.b[:n]
	}
	s.release()
	b, err := unix.Mmap(-1, 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		s.b = make([]byte, n)
		return s.b
	}
	unix.Mlock(b) // best effort, as for the rendered files
	s.b, s.mapped = b, true
	return b
}

// release gives the memory back; its caller has zeroed it.
func (s *scratch) release() {
	if s.mapped {
		unix.Munmap(s.b) // which unlocks too
	}
	s.b, s.mapped = nil, false
}
