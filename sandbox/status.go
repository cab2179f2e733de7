package sandbox

import "strconv"

// Status says whether Landlock is there, and what a domain entered with it
// keeps from processes outside the domain.
type Status struct {
	// ABI is the Landlock ABI version the kernel offers, 0 when none.
	ABI int
	// Reason says why no domain can be entered; "" when one can.
	Reason string
	// Entered reports that [Enter] put the process into a domain.
	Entered bool
	// AllThreads reports that Enter restricted every thread of the
	// process, not the calling one alone (see Threads in the package doc).
	AllThreads bool

	// Ptrace: processes in the domain cannot ptrace processes outside, nor
	// read their /proc/PID/mem; nor, unless Privileged, their
	// /proc/PID/environ and maps.
	Ptrace bool
	// Signals: they cannot signal processes outside (ABI 6).
	Signals bool
	// AbstractSockets: they cannot connect to abstract unix sockets bound
	// outside (ABI 6).
	AbstractSockets bool

	// Privileged: what the process executes will hold CAP_SYS_ADMIN or
	// CAP_PERFMON (it runs as root, or has them as ambient capabilities),
	// which let it read /proc/PID/environ and maps of processes outside
	// the domain all the same. See Root in the package doc.
	Privileged bool
}

// Test-only knobs, set from TestMain in a helper process.
var (
	testOnlyMaxABI    int  // Probe and Enter act as if the kernel offered no later ABI
	testOnlyOneThread bool // Enter restricts the calling thread alone, as in a cgo program
)

// The first ABI with each feature the domain relies on.
const (
	abiRefer  = 2 // LANDLOCK_ACCESS_FS_REFER
	abiScopes = 6 // LANDLOCK_SCOPE_SIGNAL, LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
)

// statusFor says what a domain gives with the kernel's ABI version abi.
func statusFor(abi int) Status {
	if testOnlyMaxABI > 0 && abi > testOnlyMaxABI {
		abi = testOnlyMaxABI
	}
	s := Status{ABI: abi}
	if abi < abiRefer {
		s.Reason = "the kernel's Landlock ABI 1 (Linux 5.13 to 5.18) would make moving files between directories fail; Linux 5.19 or later is needed"
		return s
	}
	s.Ptrace = true
	s.Signals = abi >= abiScopes
	s.AbstractSockets = abi >= abiScopes
	return s
}

// String sums the status up in one line, for a warning or a doctor report.
func (s Status) String() string {
	if s.Reason != "" {
		return "no Landlock domain: " + s.Reason
	}
	line := "Landlock ABI " + strconv.Itoa(s.ABI) + ": no ptrace or /proc/PID access to processes outside the domain"
	if s.Signals && s.AbstractSockets {
		line += ", no signals to them, no connections to their abstract unix sockets"
	} else {
		line += " (signals and abstract unix sockets need ABI 6, Linux 6.12)"
	}
	if s.Privileged {
		line += "; but with CAP_SYS_ADMIN or CAP_PERFMON (root) their /proc/PID/environ stays readable"
	}
	return line
}
