package tmpl

import (
	"errors"
	"strconv"
	"strings"
)

// Path is a dotted key path into the secrets file, without the leading
// "secrets." namespace: the placeholder {{secrets.mcp."api.key"}} has the
// Path {"mcp", "api.key"}.
type Path []string

// parsePath parses the part of a placeholder after "secrets.": dot-separated
// segments, each a bare key (A-Z a-z 0-9 _ -) or a double-quoted key, which
// may hold any character but a double quote or a line break.
func parsePath(s string) (Path, error) {
	if s == "" {
		return nil, errors.New("empty key path")
	}
	var p Path
	for {
		var seg string
		if strings.HasPrefix(s, `"`) {
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				return nil, errors.New("unterminated quoted key")
			}
			seg, s = s[1:1+end], s[2+end:]
			if strings.ContainsAny(seg, "\r\n") {
				return nil, errors.New("line break in quoted key")
			}
		} else {
			n := 0
			for n < len(s) && isBareKeyByte(s[n]) {
				n++
			}
			if n == 0 {
				return nil, errors.New("invalid key path")
			}
			seg, s = s[:n], s[n:]
		}
		p = append(p, seg)
		if s == "" {
			return p, nil
		}
		if s[0] != '.' {
			return nil, errors.New("invalid key path")
		}
		s = s[1:]
	}
}

func isBareKeyByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-'
}

func isBareKey(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isBareKeyByte(s[i]) {
			return false
		}
	}
	return true
}

// String returns the path as it is written in a placeholder, with its
// "secrets." namespace: secrets.mcp."api.key". A key that cannot be written
// in a placeholder (one holding a double quote or a line break) is shown with
// Go escapes, so that it is at least recognisable in a message.
func (p Path) String() string {
	var b strings.Builder
	b.WriteString("secrets")
	for _, seg := range p {
		b.WriteByte('.')
		switch {
		case isBareKey(seg):
			b.WriteString(seg)
		case !strings.ContainsAny(seg, "\"\r\n"):
			b.WriteString(`"` + seg + `"`)
		default:
			b.WriteString(strconv.Quote(seg))
		}
	}
	return b.String()
}
