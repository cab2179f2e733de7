package crypto

import (
	"crypto/rsa"
	"encoding/binary"
	"errors"
	"math/big"
)

// parseOpenSSHRSA reads an unencrypted RSA key in OpenSSH's format (the
// bytes of its PEM block), and reports whether the data was one. It
// exists for speed: x/crypto/ssh validates an RSA key twice (Validate,
// then Precompute, each a few milliseconds for RSA-4096), and every run
// with an RSA key pays for it. Here the key is precomputed once, and
// Validate then only compares (it recomputes, and reports why, only when
// the precomputation failed). The checks are those of x/crypto/ssh.
//
// Encrypted keys and other key types return false, for x/crypto/ssh to
// read: the passphrase prompt is the cost there.
func parseOpenSSHRSA(der []byte) (*rsa.PrivateKey, bool, error) {
	r := wire(der)
	if !r.prefix("openssh-key-v1\x00") {
		return nil, false, nil
	}
	cipher, kdf, kdfOpts := r.str(), r.str(), r.str()
	if r.err != nil || string(cipher) != "none" || string(kdf) != "none" || len(kdfOpts) != 0 {
		return nil, false, nil
	}
	if r.u32() != 1 {
		return nil, false, nil
	}
	pubBlob := wire(r.str())
	if string(pubBlob.str()) != "ssh-rsa" || pubBlob.err != nil {
		return nil, false, nil
	}
	priv := wire(r.str())
	if r.err != nil || len(r.b) != 0 {
		return nil, true, errors.New("ssh: malformed OpenSSH key")
	}
	if priv.u32() != priv.u32() || priv.err != nil {
		return nil, true, errors.New("ssh: malformed OpenSSH key")
	}
	if string(priv.str()) != "ssh-rsa" {
		return nil, true, errors.New("ssh: malformed OpenSSH key")
	}
	n, e, d, _, p, q := priv.mpint(), priv.mpint(), priv.mpint(), priv.mpint(), priv.mpint(), priv.mpint()
	priv.str() // the comment
	if priv.err != nil {
		return nil, true, priv.err
	}
	// The padding is 1, 2, 3...
	for i, c := range priv.b {
		if int(c) != i+1 {
			return nil, true, errors.New("ssh: padding not as expected")
		}
	}
	switch {
	case n.BitLen() > 16384:
		return nil, true, errors.New("ssh: rsa modulus too large")
	case p.BitLen() > 8192 || q.BitLen() > 8192:
		return nil, true, errors.New("ssh: rsa prime too large")
	case e.BitLen() > 24:
		return nil, true, errors.New("ssh: exponent too large")
	case e.Int64() < 3 || e.Int64()&1 == 0:
		return nil, true, errors.New("ssh: incorrect exponent")
	}
	k := &rsa.PrivateKey{
		PublicKey: rsa.PublicKey{N: n, E: int(e.Int64())},
		D:         d,
		Primes:    []*big.Int{p, q},
	}
	k.Precompute()
	if err := k.Validate(); err != nil {
		return nil, true, err
	}
	return k, true, nil
}

// A wireReader reads the SSH wire encoding; the first error sticks, and
// later reads return zero values.
type wireReader struct {
	b   []byte
	err error
}

func wire(b []byte) *wireReader { return &wireReader{b: b} }

var errTruncated = errors.New("ssh: malformed OpenSSH key: truncated")

func (r *wireReader) prefix(p string) bool {
	if len(r.b) < len(p) || string(r.b[:len(p)]) != p {
		return false
	}
	r.b = r.b[len(p):]
	return true
}

func (r *wireReader) u32() uint32 {
	if r.err != nil || len(r.b) < 4 {
		r.err = errTruncated
		return 0
	}
	v := binary.BigEndian.Uint32(r.b)
	r.b = r.b[4:]
	return v
}

func (r *wireReader) str() []byte {
	n := r.u32()
	if r.err != nil || uint64(n) > uint64(len(r.b)) {
		r.err = errTruncated
		return nil
	}
	s := r.b[:n]
	r.b = r.b[n:]
	return s
}

// mpint reads a non-negative multiple-precision integer.
func (r *wireReader) mpint() *big.Int {
	b := r.str()
	if r.err != nil {
		return new(big.Int)
	}
	if len(b) > 0 && b[0]&0x80 != 0 {
		r.err = errors.New("ssh: malformed OpenSSH key: negative integer")
		return new(big.Int)
	}
	return new(big.Int).SetBytes(b)
}
