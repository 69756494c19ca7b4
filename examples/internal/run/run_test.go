package run

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainrule/chainrule/tensor"
)

func TestExit(t *testing.T) {
	for _, tc := range []struct {
		name   string
		f      func() error
		status int
		stderr string
	}{
		{"ok", func() error { return nil }, 0, ""},
		{"help", func() error { return fmt.Errorf("parsing: %w", flag.ErrHelp) }, 0, ""},
		{"error", func() error { return errors.New("data.csv:3: bad\nlabel") }, 2, "prog: data.csv:3: bad label\n"},
		{"tensor panic", func() error {
			tensor.Panicf(tensor.ErrShape, "nn.Linear fc", "input of shape (2,5) has 5 features, want 4")
			return nil
		}, 2, "prog: nn.Linear fc: input of shape (2,5) has 5 features, want 4\n"},
	} {
		var b bytes.Buffer
		if got := Exit("prog", &b, tc.f); got != tc.status || b.String() != tc.stderr {
			t.Errorf("%s: status %d, stderr %q; want %d, %q", tc.name, got, b.String(), tc.status, tc.stderr)
		}
	}
	defer func() {
		if r := recover(); r != "bug" {
			t.Errorf("a panic that is not a chainrule error: recovered %v, want it to propagate", r)
		}
	}()
	Exit("prog", io.Discard, func() error { panic("bug") })
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.txt")
	if err := WriteFile(p, func(w io.Writer) error { _, err := io.WriteString(w, "one"); return err }); err != nil {
		t.Fatal(err)
	}
	err := WriteFile(p, func(w io.Writer) error {
		io.WriteString(w, "two, half written")
		return errors.New("disk on fire")
	})
	if err == nil || !strings.Contains(err.Error(), "f.txt: disk on fire") {
		t.Errorf("failed write: error %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "one" {
		t.Errorf("after a failed write the file holds %q, want %q", b, "one")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("%d files in the directory, want 1 (no temporary file left)", len(ents))
	}
	if err := WriteFile(filepath.Join(dir, "no", "such", "dir"), func(io.Writer) error { return nil }); err == nil {
		t.Error("writing into a missing directory: no error")
	}
}

func TestFigure(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f.png")
	s := Series{Name: "a", X: []float64{1, 2, 3}, Y: []float64{1, 0.5, 0.25}}
	d := s
	d.Dashed = true
	err := Figure(p, Panel{Title: "loss", LogY: true, Series: []Series{s, d}}, Panel{Title: "acc", LegendBottom: true, Series: []Series{s}})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Width <= cfg.Height {
		t.Errorf("two panels side by side in a %d×%d image", cfg.Width, cfg.Height)
	}
	bad := Series{Name: "bad", X: []float64{1, 2}, Y: []float64{1}}
	if err := Figure(p, Panel{Series: []Series{bad}}); err == nil || !strings.Contains(err.Error(), `"bad" has 2 x and 1 y`) {
		t.Errorf("mismatched series: error %v", err)
	}
}

func TestQuietBar(t *testing.T) {
	var b bytes.Buffer
	if bar := NewBar(&b, false, 10, "ex"); bar != nil {
		t.Error("a bar on a buffer, which is not a terminal")
	}
	if bar := NewBar(os.Stderr, true, 10, "ex"); bar != nil {
		t.Error("a bar with quiet set")
	}
	var bar *Bar // a quiet bar's methods do nothing
	bar.Add(1, "x")
	bar.Clear()
	bar.Finish()
}
