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
// A secrets file is encrypted to recipients: SSH public keys, and age
// X25519 keys (age1...) for those who decrypt with age itself. [ReadHeader]
// tells what a file's header says about them without decrypting: SSH keys
// are recognised by their stanza's tag, X25519 stanzas can only be counted,
// and the rest (a passphrase, keys of age plugins) is reported, so that a
// caller never re-encrypts the file without them unknowingly.
//
// The package never prompts itself: a [PassphraseFunc] supplied by the
// caller asks. Inputs are capped in size, and no error holds a passphrase or
// a byte of plaintext.
package crypto
