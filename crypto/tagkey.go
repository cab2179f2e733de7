package crypto

import (
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
)

// tagKeyInfo separates the tag key from any other use of the private key.
const tagKeyInfo = "rigup-exec value tags v1"

// deriveTagKey derives, with HKDF-SHA256, a 32-byte secret from a parsed
// private key: its ed25519 seed, or its RSA key in PKCS #1 form.
func deriveTagKey(raw any) []byte {
	var secret []byte
	switch raw := raw.(type) {
	case *ed25519.PrivateKey:
		secret = raw.Seed()
	case ed25519.PrivateKey:
		secret = raw.Seed()
	case *rsa.PrivateKey:
		secret = x509.MarshalPKCS1PrivateKey(raw)
	default:
		return nil
	}
	defer clear(secret)
	k, err := hkdf.Key(sha256.New, secret, nil, tagKeyInfo, 32)
	if err != nil {
		return nil
	}
	return k
}

// TagKey returns a secret of the user's own for tagging values without
// revealing them (what git diff shows of the secrets): derived from the
// private key of the first of keys that was used to decrypt, so that no one
// without that key can compute a tag, nor test a guess of a value against
// one. It is nil when none of keys was used.
func TagKey(keys []*Key) []byte {
	for _, k := range keys {
		if k.id != nil && k.tagKey != nil {
			return k.tagKey
		}
	}
	return nil
}
