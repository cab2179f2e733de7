package project

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"

	"rigup-exec/tmpl"
)

// What git diff shows of the secrets (see KeyTags): every key, its type,
// and a tag of its value that changes when the value changes and tells
// nothing else to whoever sees it.

// KeyTag is one key of the secrets, as a diff shows it.
type KeyTag struct {
	Key  string // the dotted key path
	Kind string // its TOML type: "string", "integer", "array", ...
	Tag  string // hex: the same value of the same key always has the same tag
}

// tagLen is how many bytes of the HMAC a tag keeps: enough that a changed
// value keeps its tag with a chance of 2^-48.
const tagLen = 6

// KeyTags lists the keys of the secrets in order, each with a tag of its
// value: HMAC-SHA256, keyed with tagKey, of the key and the value in TOML
// syntax. Without tagKey, a secret of the user's own (see crypto.Key's
// TagKey), a tag cannot be computed, so it cannot be checked against a
// guess of the value, however short the value is. It says whether a
// value changed, and that it is one seen before.
func KeyTags(plaintext, tagKey []byte) ([]KeyTag, error) {
	if len(tagKey) < 32 {
		return nil, errors.New("no key to tag values with")
	}
	s, err := tmpl.ParseSecrets(plaintext)
	if err != nil {
		return nil, err
	}
	leaves := flatten(s.Document())
	keys := sortedKeys(leaves)
	slices.SortFunc(keys, func(a, b string) int { return comparePaths(leaves[a].path, leaves[b].path) })
	out := make([]KeyTag, 0, len(keys))
	var buf []byte
	for _, k := range keys {
		l := leaves[k]
		buf = append(append(append(buf[:0], k...), 0), "= "...)
		buf = appendValue(buf, l.value)
		mac := hmac.New(sha256.New, tagKey)
		mac.Write(buf)
		clear(buf)
		out = append(out, KeyTag{Key: k, Kind: kindOf(l.value), Tag: hex.EncodeToString(mac.Sum(nil)[:tagLen])})
	}
	clear(buf[:cap(buf)])
	return out, nil
}
