package relay

// MaxNameLen is the longest server name.
const MaxNameLen = 64

// ValidName reports whether name may name a server: 1 to [MaxNameLen]
// bytes of A-Z, a-z, 0-9, '.', '_' and '-'.
func ValidName(name string) bool {
	if len(name) == 0 || len(name) > MaxNameLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		if !nameByte(name[i]) {
			return false
		}
	}
	return true
}

func nameByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	case c == '.', c == '_', c == '-':
		return true
	}
	return false
}
