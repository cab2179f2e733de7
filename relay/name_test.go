package relay

import (
	"strings"
	"testing"
)

func TestValidName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"context7", true},
		{"a", true},
		{"A.b_c-9", true},
		{"..", true}, // a name, never a path
		{strings.Repeat("x", 64), true},
		{"", false},
		{strings.Repeat("x", 65), false},
		{"a/b", false},
		{"../x", false},
		{"a b", false},
		{"a\n", false},
		{"a\x00", false},
		{"é", false},
		{"npx -y @upstash/context7-mcp", false},
		{"KEY=value", false},
	} {
		if got := ValidName(tc.name); got != tc.ok {
			t.Errorf("ValidName(%q) = %v", tc.name, got)
		}
	}
}
