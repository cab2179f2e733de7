package sandbox

// DropReadCaps does nothing on macOS, which has no Landlock domain for
// capabilities to reach out of.
func DropReadCaps() error { return nil }
