package sandbox

const onMacOS = "macOS has no Landlock"

// Probe reports that there is no Landlock on macOS.
func Probe() Status { return Status{Reason: onMacOS} }

// Enter does nothing on macOS and says so.
func Enter() (Status, error) { return Probe(), nil }

// Confined is always false on macOS, which has no Landlock domain.
func Confined() bool { return false }
