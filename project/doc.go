// Package project is a project's secrets on disk: the encrypted secrets
// file, rigup.secrets.toml.age, and the recipients file beside it,
// rigup.secrets.recipients, which lists the keys it is encrypted to.
//
// It finds the secrets file, takes the lock that serialises changes to a
// project, decides whom an edit encrypts to and how that differs from whom
// the file is encrypted to now, and replaces the files atomically and
// durably: whatever happens (a crash, a full disk, a signal), each holds
// either its old or its new content.
//
// It does not print, prompt or read the environment. Its errors are typed,
// so that the command line can say what to do about them, and none holds
// a secret.
package project
