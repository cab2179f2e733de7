package sandbox

import "errors"

// ExecOnlyCopy fails on macOS: the protection it gives comes from Linux.
func ExecOnlyCopy(dir, path string) (string, error) {
	return "", errors.New("execute-only copies are not available on macOS")
}
