// Package crypto decrypts an age-encrypted secrets file with SSH private
// keys.
//
// Keys are ssh-ed25519 or ssh-rsa private key files, in the OpenSSH format
// (plain or passphrase-protected) or in the older PEM formats. Loading a key
// reads the file and its public half, but not the private key: that is parsed
// only when the file's header has a stanza for exactly this key, so an RSA
// key (slow to parse) or a passphrase prompt costs nothing when another key
// decrypts the file.
//
// The package never prompts itself: a [PassphraseFunc] supplied by the
// caller asks. Inputs are capped in size, and no error holds a passphrase or
// a byte of plaintext.
package crypto
