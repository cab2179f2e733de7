package main

import (
	"fmt"
	"strings"
)

// plural says n of what: "1 key", "2 keys".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// kib says n bytes in KiB, rounded up.
func kib(n uint64) string {
	return fmt.Sprintf("%d KiB", (n+1023)/1024)
}

// itOrThem is the pronoun for n things.
func itOrThem(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

// whichOnes is "which one" or "which ones", for n things.
func whichOnes(n int) string {
	if n == 1 {
		return "which one"
	}
	return "which ones"
}

// lowerFirst lower-cases the first letter of a message, as every
// message of rigup-exec starts.
func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
