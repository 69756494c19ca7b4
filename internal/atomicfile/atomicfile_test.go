package atomicfile

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// entries returns the names in dir.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteNewFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.bin")
	want := bytes.Repeat([]byte("chainrule "), 20000) // larger than the buffer
	if err := WriteBytes(path, 0o640, want); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("read back %d bytes, want %d", len(got), len(want))
	}
	if runtime.GOOS != "windows" {
		fi, _ := os.Stat(path)
		if fi.Mode().Perm() != 0o640 {
			t.Errorf("mode %v, want 0640", fi.Mode().Perm())
		}
	}
	if names := entries(t, dir); len(names) != 1 {
		t.Errorf("directory holds %v, want only out.bin", names)
	}
}

// A writer that fails halfway leaves the old file whole, keeps no temporary
// file, and returns the writer's error.
func TestWriteFailureKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ckpt")
	old := []byte("the old checkpoint")
	if err := os.WriteFile(path, old, 0o600); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk on fire")
	err := Write(path, 0o644, func(w io.Writer) error {
		w.Write(bytes.Repeat([]byte{'x'}, 1<<17)) // more than the buffer: part reaches the temporary file
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
	got, _ := os.ReadFile(path)
	if !bytes.Equal(got, old) {
		t.Fatalf("after a failed write the file holds %q, want the old contents", got[:min(len(got), 40)])
	}
	if names := entries(t, dir); len(names) != 1 {
		t.Errorf("directory holds %v after a failure, want only ckpt", names)
	}
}

// Replacing a file keeps its mode.
func TestWriteReplaceKeepsMode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes are not POSIX on Windows")
	}
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("a"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteBytes(path, 0o644, []byte("bb")); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v after replacing, want the old 0600", fi.Mode().Perm())
	}
	if got, _ := os.ReadFile(path); string(got) != "bb" {
		t.Errorf("contents %q, want %q", got, "bb")
	}
}

// A missing directory is an error, not a panic, and creates nothing.
func TestWriteMissingDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "dir", "f")
	if err := WriteBytes(path, 0o644, []byte("x")); err == nil {
		t.Fatal("writing into a missing directory succeeded")
	}
}

// A bare file name writes into the working directory.
func TestWriteBareName(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := WriteBytes("bare.txt", 0o644, []byte("ok")); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile("bare.txt"); string(got) != "ok" {
		t.Errorf("contents %q, want %q", got, "ok")
	}
}
