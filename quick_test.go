package main

import (
	"io"
	"reflect"
	"strings"
	"testing"
)

// quickParse must read every command line it takes as kong reads it.
func TestQuickParseAgreesWithKong(t *testing.T) {
	taken := [][]string{
		{"--", "true"},
		{"--", "--", "x"},
		{"--", "sh", "-c", "exit 3", "--", "-v"},
		{"-t", "T", "--", "true"},
		{"--templates", "T", "--", "true"},
		{"--templates=T", "--", "true"},
		{"--templates=a=b", "--", "true"},
		{"-t", "T", "-s", "S", "-i", "/a", "-i", "/b", "--", "cmd", "arg"},
		{"--secrets=S", "--identity=/a", "--identity", "/b", "-i", "/c", "--", "cmd"},
		{"--allow-disk", "--janitor", "-v", "--user-config", "-t", "T", "--", "x"},
		{"--verbose", "--no-user-config", "--", "x"},
		{"--", "--version"},
		{"--secrets=--", "--", "x"},
		{"-i", "a:b", "--", "x"},
		{"-t", "", "--", "x"},
	}
	for _, args := range taken {
		var quick CLI
		if !quickParse(args, &quick) {
			t.Errorf("quickParse(%q) leaves it to kong; it is one it should take", args)
			continue
		}
		var full CLI
		ctx, err := parse(&full, args, io.Discard, io.Discard)
		if err != nil {
			t.Errorf("kong refuses %q, which quickParse takes: %v", args, err)
			continue
		}
		if cmd := ctx.Command(); !strings.HasPrefix(cmd, "run") {
			t.Errorf("kong reads %q as %q, quickParse as run", args, cmd)
		}
		quick.env, full.env = environ{}, environ{}
		if !reflect.DeepEqual(quick, full) {
			t.Errorf("for %q quickParse gives\n%+v\nkong gives\n%+v", args, quick, full)
		}
	}
	left := [][]string{
		nil,
		{"--"},
		{"-t", "T", "--"},
		{"true"},
		{"run", "--", "true"},
		{"check"},
		{"-t", "T", "shell"},
		{"--help", "--", "x"},
		{"-h", "--", "x"},
		{"-tT", "--", "true"},
		{"-t=T", "--", "true"},
		{"-vt", "T", "--", "true"},
		{"-t"},
		{"-t", "A", "-t", "B", "--", "x"},
		{"-v", "--verbose", "--", "x"},
		{"--user-config", "--no-user-config", "--", "x"},
		{"--janitor=true", "--", "x"},
		{"--unknown", "--", "true"},
		{"help", "--", "x"},
		{"-s", "--", "--", "x"},
		{"-t", "-v", "--", "x"},
	}
	for _, args := range left {
		cli := CLI{Templates: "untouched"}
		if quickParse(args, &cli) {
			t.Errorf("quickParse(%q) takes it; it should leave it to kong", args)
		}
		if cli.Templates != "untouched" {
			t.Errorf("quickParse(%q) changed the CLI it left to kong", args)
		}
	}
}
