package main

import (
	"bytes"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
)

// hook direnv prints direnv/use_rig.sh byte for byte: the Nix package
// installs that file, and both must be one library.
func TestHookDirenvPrintsTheLibrary(t *testing.T) {
	want, err := os.ReadFile("direnv/use_rig.sh")
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"hook", "direnv"}, &stdout, &stderr); code != 0 || stderr.Len() != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	if !bytes.Equal(stdout.Bytes(), want) {
		t.Errorf("hook direnv printed %d bytes that are not direnv/use_rig.sh (%d bytes)", stdout.Len(), len(want))
	}
	if !strings.Contains(stdout.String(), "\nuse_rig() {\n") {
		t.Errorf("no use_rig function in\n%s", stdout.String())
	}
}

// The library's code (its comments and messages aside) never runs
// rigup-exec or age, which would decrypt, and never names XDG_CONFIG_HOME
// or the rendered directory: it only says where things are.
func TestHookDirenvNeverDecrypts(t *testing.T) {
	forbidden := regexp.MustCompile(`rigup-exec|(^|[^.\w-])age\b|XDG_CONFIG_HOME|RIGUP_CONFIG_DIR`)
	quoted := regexp.MustCompile(`"[^"]*"`)
	for i, line := range strings.Split(direnvLibrary, "\n") {
		code := strings.TrimSpace(line)
		if strings.HasPrefix(code, "#") {
			continue
		}
		code = quoted.ReplaceAllString(code, `""`)
		if forbidden.MatchString(code) {
			t.Errorf("direnv/use_rig.sh:%d: %s", i+1, code)
		}
	}
}

func TestHookHelp(t *testing.T) {
	var stdout bytes.Buffer
	if code := Main([]string{"help", "hook", "direnv"}, &stdout, io.Discard); code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"Usage: rigup-exec hook direnv", `eval "$(rigup-exec hook direnv)"`, "use rig ./result"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("no %q in\n%s", want, stdout.String())
		}
	}
}
