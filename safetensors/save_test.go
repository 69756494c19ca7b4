package safetensors

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chainrule/chainrule/tensor"
)

// failingWriter passes the first n bytes on and then fails.
type failingWriter struct {
	w io.Writer
	n int
}

var errDiskFull = errors.New("disk full (injected)")

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		k, _ := f.w.Write(p[:f.n])
		f.n = 0
		return k, errDiskFull
	}
	f.n -= len(p)
	return f.w.Write(p)
}

func dirNames(t *testing.T, dir string) []string {
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

func TestSave(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	in := sample()
	if err := Save(path, in, map[string]string{"step": "1"}); err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	Write(&want, in, map[string]string{"step": "1"})
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("the saved file differs from Write's bytes (%v)", err)
	}
	if fi, _ := os.Stat(path); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o644 {
		t.Errorf("new file has mode %v, want 0644", fi.Mode().Perm())
	}
	// Overwriting keeps the mode and leaves no temporary file.
	os.Chmod(path, 0o600)
	in["z"] = tensor.New([]float64{7, 8}, 2, 1)
	if err := Save(path, in, nil); err != nil {
		t.Fatal(err)
	}
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if z, _ := f.Tensor("z"); !sameTensor(z, in["z"]) || f.Metadata != nil {
		t.Errorf("overwritten file holds z = %v, metadata %v", z, f.Metadata)
	}
	if fi, _ := os.Stat(path); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("replaced file has mode %v, want 0600 kept", fi.Mode().Perm())
	}
	if names := dirNames(t, dir); len(names) != 1 {
		t.Errorf("directory holds %v, want only the checkpoint", names)
	}
}

// TestSaveFailsHalfway makes the writer fail halfway through a save over an
// existing checkpoint: Save must return the error, and the old checkpoint
// must be intact with no temporary file left.
func TestSaveFailsHalfway(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ckpt.safetensors")
	old := sample()
	if err := Save(path, old, nil); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	bigger := map[string]*tensor.Tensor{"w": tensor.RandN(seeded(9), 300, 300)}
	var full bytes.Buffer
	Write(&full, bigger, nil)
	for _, at := range []int{0, 7, 100, full.Len() / 2, full.Len() - 1} {
		err := atomicWrite(path, func(w io.Writer) error {
			return Write(&failingWriter{w: w, n: at}, bigger, nil)
		})
		if !errors.Is(err, errDiskFull) || !strings.Contains(err.Error(), path) {
			t.Errorf("failing at byte %d: got %v, want the injected error naming the path", at, err)
		}
		after, _ := os.ReadFile(path)
		if !bytes.Equal(before, after) {
			t.Fatalf("failing at byte %d changed the old checkpoint", at)
		}
		if names := dirNames(t, dir); len(names) != 1 {
			t.Fatalf("failing at byte %d left %v", at, names)
		}
	}
	// A save into a directory that does not exist fails before anything.
	if err := Save(filepath.Join(dir, "no", "such.safetensors"), old, nil); err == nil {
		t.Error("save into a missing directory succeeded")
	}
}

// TestSaveCrash kills a process in the middle of a save, after it has
// written half of the new file: the old checkpoint must be intact, since
// only the temporary file was being written.
func TestSaveCrash(t *testing.T) {
	if path := os.Getenv("SAFETENSORS_CRASH_PATH"); path != "" {
		crashHelper(path)
		return
	}
	if testing.Short() {
		t.Skip("starts a subprocess")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "ckpt.safetensors")
	if err := Save(path, sample(), map[string]string{"v": "old"}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	cmd := exec.Command(exe, "-test.run=^TestSaveCrash$")
	cmd.Env = append(os.Environ(), "SAFETENSORS_CRASH_PATH="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	halfway := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "halfway" {
				halfway <- true
				return
			}
		}
		halfway <- false
	}()
	select {
	case ok := <-halfway:
		if !ok {
			t.Fatal("the helper process ended without reaching the middle of its save")
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the helper process did not reach the middle of its save")
	}
	cmd.Process.Kill()
	cmd.Wait()
	after, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(before, after) {
		t.Fatalf("after the crash the checkpoint changed (%v)", err)
	}
	if f, err := Load(path); err != nil || f.Metadata["v"] != "old" {
		t.Fatalf("after the crash: %v", err)
	}
	// The crash left the half-written temporary file beside it, which shows
	// that the helper was killed in the middle of writing.
	var partial int64
	for _, name := range dirNames(t, dir) {
		if strings.HasPrefix(name, ".ckpt.safetensors.tmp") {
			fi, _ := os.Stat(filepath.Join(dir, name))
			partial = fi.Size()
		}
	}
	if partial < 8*400*400/2 {
		t.Errorf("no half-written temporary file (%d bytes) after the crash", partial)
	}
}

// blockingWriter passes n bytes on, announces that it is halfway, and
// blocks until the process is killed.
type blockingWriter struct {
	w io.Writer
	n int
}

func (b *blockingWriter) Write(p []byte) (int, error) {
	if len(p) > b.n {
		b.w.Write(p[:b.n])
		if f, ok := b.w.(*bufio.Writer); ok {
			f.Flush()
		}
		os.Stdout.WriteString("halfway\n")
		time.Sleep(time.Hour)
	}
	b.n -= len(p)
	return b.w.Write(p)
}

func crashHelper(path string) {
	big := map[string]*tensor.Tensor{"w": tensor.RandN(seeded(3), 400, 400)}
	atomicWrite(path, func(w io.Writer) error {
		return Write(&blockingWriter{w: w, n: 8 * 400 * 400 / 2}, big, nil)
	})
}

func TestSavePanicsBeforeWriting(t *testing.T) {
	dir := t.TempDir()
	err := tensor.Maybe(func() {
		Save(filepath.Join(dir, "x.safetensors"), map[string]*tensor.Tensor{"w": nil}, nil)
	})
	if !errors.Is(err, tensor.ErrArg) || !strings.Contains(err.Error(), "safetensors.Save") || !strings.Contains(err.Error(), `"w"`) {
		t.Errorf("got %v, want ErrArg naming safetensors.Save and the tensor", err)
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("a refused Save left %v", names)
	}
}
