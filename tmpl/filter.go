package tmpl

import (
	"encoding/base64"
	"errors"
	"fmt"
	"path"
	"strings"
)

// filters lists the filters a placeholder may name after "|".
var filters = []string{"json", "toml", "yaml", "shell", "base64", "raw"}

// defaultFilter returns the filter a placeholder without one gets in a file
// with the given name: the escaping of the file's format, chosen by its
// extension, or raw for any other file.
func defaultFilter(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".json":
		return "json"
	case ".toml":
		return "toml"
	case ".yaml", ".yml":
		return "yaml"
	}
	return "raw"
}

func isFilter(name string) bool {
	for _, f := range filters {
		if f == name {
			return true
		}
	}
	return false
}

var errShellNUL = errors.New("holds a NUL byte, which a shell word cannot carry")

// escape returns value escaped by filter:
//
//   - json: the inside of a JSON double-quoted string
//   - toml: the inside of a TOML basic (double-quoted) string
//   - yaml: the inside of a YAML double-quoted scalar
//   - shell: a complete single-quoted POSIX shell word, quotes included
//   - base64: standard base64 with padding
//   - raw: the value unchanged
func escape(filter, value string) (string, error) {
	switch filter {
	case "raw":
		return value, nil
	case "base64":
		return base64.StdEncoding.EncodeToString([]byte(value)), nil
	case "shell":
		if strings.IndexByte(value, 0) >= 0 {
			return "", errShellNUL
		}
		return "'" + strings.ReplaceAll(value, "'", `'\''`) + "'", nil
	case "json":
		return escapeQuoted(value, jsonEscape), nil
	case "toml":
		return escapeQuoted(value, tomlEscape), nil
	case "yaml":
		return escapeQuoted(value, yamlEscape), nil
	}
	return "", fmt.Errorf("unknown filter %q", filter)
}

// escapeQuoted writes value with each rune that esc maps to a non-empty
// string replaced by it. Invalid UTF-8 becomes U+FFFD: none of the three
// formats can carry it.
func escapeQuoted(value string, esc func(rune) string) string {
	var b strings.Builder
	b.Grow(len(value) + 8)
	for _, r := range value {
		if e := esc(r); e != "" {
			b.WriteString(e)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func jsonEscape(r rune) string {
	switch r {
	case '"':
		return `\"`
	case '\\':
		return `\\`
	case '\n':
		return `\n`
	case '\r':
		return `\r`
	case '\t':
		return `\t`
	case '\b':
		return `\b`
	case '\f':
		return `\f`
	}
	// JSON requires escaping the C0 controls; DEL, the C1 controls and the
	// two Unicode line separators are escaped too, so that the output stays
	// safe inside JavaScript and on a terminal.
	if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029 {
		return fmt.Sprintf(`\u%04x`, r)
	}
	return ""
}

func tomlEscape(r rune) string {
	switch r {
	case '"':
		return `\"`
	case '\\':
		return `\\`
	case '\n':
		return `\n`
	case '\r':
		return `\r`
	case '\t':
		return `\t`
	case '\b':
		return `\b`
	case '\f':
		return `\f`
	}
	// TOML forbids the C0 controls but tab, and DEL, in basic strings.
	if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
		return fmt.Sprintf(`\u%04X`, r)
	}
	return ""
}

func yamlEscape(r rune) string {
	switch r {
	case '"':
		return `\"`
	case '\\':
		return `\\`
	case '\n':
		return `\n`
	case '\r':
		return `\r`
	case '\t':
		return `\t`
	}
	// escape everything outside YAML's printable set, plus NEL and the
	// Unicode line separators, which YAML 1.1 parsers fold as line breaks,
	// and the byte order mark.
	switch {
	case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
		return fmt.Sprintf(`\x%02X`, r)
	case r == 0x2028 || r == 0x2029 || r == 0xfeff || r == 0xfffe || r == 0xffff:
		return fmt.Sprintf(`\u%04X`, r)
	}
	return ""
}
