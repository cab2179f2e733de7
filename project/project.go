package project

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"rigup-exec/crypto"
)

// The names of a project's files.
const (
	SecretsFile    = "rigup.secrets.toml.age"
	RecipientsFile = "rigup.secrets.recipients"
)

// NotFoundError is returned by Find when no directory up from Dir holds a
// secrets file.
type NotFoundError struct{ Dir string }

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("no %s in %s or any directory above it", SecretsFile, e.Dir)
}

// Find returns the path of the secrets file in dir or in the nearest
// directory above it that has one.
func Find(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		p := filepath.Join(d, SecretsFile)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		if d == filepath.Dir(d) {
			return "", &NotFoundError{Dir: dir}
		}
	}
}

// Root returns where a new project's files go when dir is the working
// directory: the top of the enclosing git work tree (the nearest directory
// up from dir with a .git, a directory or a worktree's file), else dir.
func Root(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		if d == filepath.Dir(d) {
			return dir
		}
	}
}

// ErrBusy is returned by Open when another process holds the project's
// lock.
var ErrBusy = errors.New("being changed by another rigup-exec")

// Project is an open project: its files' paths, and the lock that
// serialises changes to them, held until Close.
type Project struct {
	Secrets    string // the secrets file
	Recipients string // the recipients file next to it
	Exists     bool   // whether the secrets file existed when opened

	// Hook, when set, is called at each step of replacing a file (see
	// Save), so that a test can kill the process there.
	Hook func(file, step string)

	lock *os.File
}

// Open takes the lock of the project whose secrets file is (or is to be)
// at the absolute path secrets, and removes what an interrupted save left
// behind. The lock is an flock of the directory, so that it goes with the
// process, however it ends.
func Open(secrets string) (*Project, error) {
	p := &Project{Secrets: secrets, Recipients: filepath.Join(filepath.Dir(secrets), RecipientsFile)}
	d, err := os.Open(filepath.Dir(secrets))
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(d.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		d.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, ErrBusy
		}
		return nil, fmt.Errorf("locking %s: %w", filepath.Dir(secrets), err)
	}
	p.lock = d
	_, err = os.Stat(secrets)
	p.Exists = err == nil
	removeLeftovers(p.Secrets)
	removeLeftovers(p.Recipients)
	return p, nil
}

// Close releases the lock.
func (p *Project) Close() error { return p.lock.Close() }

// Save encrypts plaintext to rs and replaces the secrets file with it,
// after replacing the recipients file with recipientsText when that is not
// nil: a crash between the two leaves a recipients file that a rekey then
// applies. A new file gets mode 0644 (it is encrypted); a replaced one
// keeps its mode.
func (p *Project) Save(plaintext []byte, rs []crypto.Recipient, recipientsText []byte) error {
	if recipientsText != nil {
		if err := p.writeAtomic(p.Recipients, recipientsText, 0o644); err != nil {
			return &WriteError{Path: p.Recipients, Err: err}
		}
	}
	var out bytes.Buffer
	if err := crypto.EncryptTo(&out, plaintext, rs); err != nil {
		return err
	}
	if err := p.writeAtomic(p.Secrets, out.Bytes(), 0o644); err != nil {
		return &WriteError{Path: p.Secrets, Err: err}
	}
	p.Exists = true
	return nil
}

// SaveRecipients replaces the recipients file with text, leaving the
// secrets file as it is.
func (p *Project) SaveRecipients(text []byte) error {
	if err := p.writeAtomic(p.Recipients, text, 0o644); err != nil {
		return &WriteError{Path: p.Recipients, Err: err}
	}
	return nil
}

// WriteError is a failure to replace one of the project's files, which
// then holds its old content.
type WriteError struct {
	Path string
	Err  error
}

func (e *WriteError) Error() string { return fmt.Sprintf("writing %s: %v", e.Path, e.Err) }
func (e *WriteError) Unwrap() error { return e.Err }
