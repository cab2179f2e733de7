package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"rigup-exec/tmpfs"
	"rigup-exec/tmpl"
)

// The benchmarks of preparing a run's directory for template roots at the
// two ends of the scale: what a run costs between decrypting and starting
// the command, and after it exits. Each iteration loads the root, renders
// it, makes a directory in /dev/shm, writes the files into it and wipes it.
// bench/run measures the same roots end to end, with the peak RSS.

const benchSecrets = "[mcp]\nkey = \"ctx7sk-9f2c4e1a-7b3d-4c8e-a5f6-2d1b0e9c8a7f\"\n"

// BenchmarkPrepareMany prepares 10,000 one-line templates in 100
// directories.
func BenchmarkPrepareMany(b *testing.B) {
	root := b.TempDir()
	for d := range 100 {
		dir := filepath.Join(root, fmt.Sprintf("d%02d", d))
		if err := os.Mkdir(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		for f := range 100 {
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%02d.conf", f)), []byte("key = {{ secrets.mcp.key }}\n"), 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	benchPrepare(b, root, 10000)
}

// BenchmarkPrepareLarge prepares one JSON template of 15 MiB, which is
// rendered twice: into scratch memory to check that it is still JSON, then
// into its file.
func BenchmarkPrepareLarge(b *testing.B) {
	root := b.TempDir()
	item := `    {"name": "server", "command": "some-mcp-server", "args": ["--flag", "value"]},` + "\n"
	src := `{"key": "{{ secrets.mcp.key }}", "items": [` + "\n" + strings.Repeat(item, (15<<20)/len(item)) + "    {}\n]}\n"
	if err := os.WriteFile(filepath.Join(root, "large.json"), []byte(src), 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	benchPrepare(b, root, 1)
}

func benchPrepare(b *testing.B, root string, templates int) {
	shm, err := os.MkdirTemp("/dev/shm", "bench-")
	if err != nil {
		b.Skipf("no /dev/shm: %v", err)
	}
	b.Cleanup(func() { os.RemoveAll(shm) })
	secrets, err := tmpl.ParseSecrets([]byte(benchSecrets))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		tree, err := tmpl.Load(root, nil)
		if err != nil {
			b.Fatal(err)
		}
		res, err := tree.Render(secrets)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Files) != templates {
			b.Fatalf("%d templates rendered, want %d", len(res.Files), templates)
		}
		dir, err := tmpfs.Create(tmpfs.Options{Rig: "bench", ShmDir: shm})
		if err != nil {
			b.Fatal(err)
		}
		err = materialize(dir, tree, res)
		res.Wipe()
		if err := firstErr(err, dir.Wipe()); err != nil {
			b.Fatal(err)
		}
	}
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func TestRigName(t *testing.T) {
	for root, want := range map[string]string{
		"/nix/store/0123456789abcdfghijklmnpqrsvwxyz-my-rig": "my-rig",
		"/nix/store/0123456789abcdfghijklmnpqrsvwxyz-":       "",
		"/home/me/result":                         "result",
		"/x/0123456789ABCDFGHIJKLMNPQRSVWXYZ-rig": "0123456789ABCDFGHIJKLMNPQRSVWXYZ-rig",
		"/x/0123456789abcdfghijklmnpqrsvwxy-rig":  "0123456789abcdfghijklmnpqrsvwxy-rig",
		"/x/0123456789abcdfghijklmnpqrsvwxyz_rig": "0123456789abcdfghijklmnpqrsvwxyz_rig",
	} {
		if got := rigName(root); got != want {
			t.Errorf("rigName(%q) = %q, want %q", root, got, want)
		}
	}
}
