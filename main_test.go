package main

import (
	"bytes"
	"io"
	"reflect"
	"strings"
	"testing"
)

func TestRouting(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		command string
		argv    []string
	}{
		{[]string{"--", "check"}, "run <command>", []string{"check"}},
		{[]string{"--", "version", "--help"}, "run <command>", []string{"version", "--help"}},
		{[]string{"-s", "f", "--", "check"}, "run <command>", []string{"check"}},
		{[]string{"--secrets=f", "-i", "k", "--", "check", "-s", "x"}, "run <command>", []string{"check", "-s", "x"}},
		{[]string{"check"}, "check", nil},
		{[]string{"-t", "dir", "check"}, "check", nil},
		{[]string{"version"}, "version", nil},
		{[]string{"claude", "--model", "x"}, "run <command>", []string{"claude", "--model", "x"}},
		{[]string{"claude", "--", "check"}, "run <command>", []string{"claude", "--", "check"}},
		{[]string{"-i", "k", "claude", "-i", "notmine"}, "run <command>", []string{"claude", "-i", "notmine"}},
		{[]string{"run", "--", "check"}, "run <command>", []string{"check"}},
		{[]string{"run", "--", "--", "x"}, "run <command>", []string{"--", "x"}},
		{[]string{"--", "--", "x"}, "run <command>", []string{"--", "x"}},
	} {
		var cli CLI
		ctx, err := parse(&cli, tc.args, io.Discard, io.Discard)
		if err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		if ctx.Command() != tc.command {
			t.Errorf("%q: command %q, want %q", tc.args, ctx.Command(), tc.command)
		}
		if tc.argv != nil && !reflect.DeepEqual(cli.Run.argv(), tc.argv) {
			t.Errorf("%q: argv %q, want %q", tc.args, cli.Run.argv(), tc.argv)
		}
	}
}

func TestFlagsAreParsed(t *testing.T) {
	var cli CLI
	if _, err := parse(&cli, []string{"-t", "T", "--secrets", "S", "-i", "a,b", "--identity=c", "--", "x"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if cli.Templates != "T" || cli.Secrets != "S" || !reflect.DeepEqual(cli.Identity, []string{"a,b", "c"}) {
		t.Errorf("got %+v", cli)
	}
}

func TestUsageErrorsExit125(t *testing.T) {
	for _, args := range [][]string{{}, {"--bogus"}, {"check", "extra"}, {"-t"}, {"run"}} {
		var stdout, stderr bytes.Buffer
		if code := Main(args, &stdout, &stderr); code != exitFailure {
			t.Errorf("%q: exit %d, want %d", args, code, exitFailure)
		}
		if !strings.HasPrefix(stderr.String(), "rigup-exec: error: ") {
			t.Errorf("%q: stderr %q", args, stderr.String())
		}
		for _, line := range strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n") {
			if !strings.HasPrefix(line, "rigup-exec: error: ") && !strings.HasPrefix(line, "rigup-exec: hint: ") || strings.HasSuffix(line, ".") {
				t.Errorf("%q: badly formed message %q", args, line)
			}
		}
	}
	var stdout bytes.Buffer
	if code := Main([]string{"--help"}, &stdout, io.Discard); code != 0 || !strings.Contains(stdout.String(), "Usage: rigup-exec") {
		t.Errorf("--help: exit %d, %q", code, stdout.String())
	}
}

// help prints the help, of a command when one is named; each command's
// help has an example of it.
func TestHelp(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"help"}, []string{"Usage: rigup-exec <command>", "{{secrets.PATH}}", "json, toml, yaml, shell, base64 or raw", "Exit status:", "rigup.secrets.recipients"}},
		{[]string{"help", "check"}, []string{"Usage: rigup-exec check", "  rigup-exec -t ./result check"}},
		{[]string{"help", "secrets", "edit"}, []string{"Usage: rigup-exec secrets edit", "  rigup-exec secrets edit -R"}},
		{[]string{"help", "secrets", "rekey"}, []string{"  rigup-exec secrets rekey"}},
		{[]string{"help", "secrets", "recipients"}, []string{"  rigup-exec secrets recipients"}},
		{[]string{"help", "doctor"}, []string{"  rigup-exec -t ./result doctor"}},
		{[]string{"help", "run"}, []string{"  rigup-exec -t ./result -- claude"}},
		{[]string{"help", "demo"}, []string{"  rigup-exec demo"}},
		{[]string{"check", "--help"}, []string{"  rigup-exec -t ./result check"}},
	} {
		var stdout bytes.Buffer
		if code := Main(tc.args, &stdout, io.Discard); code != 0 {
			t.Errorf("%q: exit %d", tc.args, code)
		}
		for _, w := range tc.want {
			if !strings.Contains(stdout.String(), w) {
				t.Errorf("%q: no %q in\n%s", tc.args, w, stdout.String())
			}
		}
	}
}
