package safetensors

import (
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chainrule/chainrule/tensor"
)

func TestLoadInto(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.safetensors")
	saved := map[string]*tensor.Tensor{
		"w":   tensor.RandN(seeded(1), 3, 2),
		"b":   tensor.Float32.RandN(seeded(2), 3),
		"w32": tensor.New([]float64{0.1, 1e300, -2}, 3), // F64 into a float32 parameter
		"b64": tensor.Float32.RandN(seeded(4), 2),       // F32 into a float64 parameter
	}
	if err := Save(path, saved, nil); err != nil {
		t.Fatal(err)
	}
	params := map[string]*tensor.Tensor{
		"w":   tensor.Zeros(3, 2),
		"b":   tensor.Float32.Zeros(3),
		"w32": tensor.Float32.Zeros(3),
		"b64": tensor.Zeros(2),
	}
	keep := map[string]*tensor.Tensor{}
	for k, v := range params {
		keep[k] = v
	}
	if err := LoadInto(path, params); err != nil {
		t.Fatal(err)
	}
	for name, p := range params {
		if keep[name] != p {
			t.Errorf("%s: LoadInto replaced the tensor instead of filling it", name)
		}
		want := saved[name].As(p.DType())
		if !sameTensor(p, want) {
			t.Errorf("%s = %v, want %v", name, p, want)
		}
	}
	if v := params["w32"].At(1); !math.IsInf(v, 1) {
		t.Errorf("1e300 into float32 gave %v, want +Inf as a float32 conversion does", v)
	}
}

// TestLoadIntoMismatch loads a checkpoint into parameters that do not fit
// it: the error names every offending parameter and nothing is changed.
func TestLoadIntoMismatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := Save(path, map[string]*tensor.Tensor{
		"blocks.0.attn.q.weight": tensor.RandN(seeded(1), 4, 4),
		"blocks.0.attn.q.bias":   tensor.RandN(seeded(2), 4),
		"extra":                  tensor.Zeros(1),
	}, nil); err != nil {
		t.Fatal(err)
	}
	w := tensor.Ones(4, 5)
	b := tensor.Ones(4)
	err := LoadInto(path, map[string]*tensor.Tensor{
		"blocks.0.attn.q.weight": w,
		"blocks.0.attn.q.bias":   b,
		"head.weight":            tensor.Ones(2),
	})
	for _, want := range []string{
		`parameter "blocks.0.attn.q.weight" has shape (4,5) but the file's tensor has shape (4,4)`,
		`missing from the file: "head.weight"`,
		`unexpected in the file: "extra"`,
		"m.safetensors",
	} {
		if !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want ErrMismatch containing %q", err, want)
		}
	}
	for _, p := range []*tensor.Tensor{w, b} {
		for _, v := range p.Data() {
			if v != 1 {
				t.Fatalf("a failed LoadInto changed a parameter: %v", p)
			}
		}
	}
}

func TestLoadIntoTorchFile(t *testing.T) {
	f, err := Load("testdata/mixed.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	// An integer entry refuses to load into a tensor, naming it.
	params := map[string]*tensor.Tensor{}
	for _, e := range f.Entries {
		params[e.Name] = tensor.Zeros(e.Shape...)
	}
	if err := f.LoadInto(params); !errors.Is(err, ErrDType) {
		t.Errorf("got %v, want ErrDType", err)
	}
	err = tensor.Maybe(func() { f.LoadInto(map[string]*tensor.Tensor{"scale": nil}) })
	if !errors.Is(err, tensor.ErrArg) {
		t.Errorf("nil parameter: got %v, want a panic with ErrArg", err)
	}
	// File.Tensor names a missing tensor.
	if _, err := f.Tensor("nope"); !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("missing tensor: %v", err)
	}
}

// TestFileByHand checks that a File assembled by the caller, not by Parse,
// finds its entries.
func TestFileByHand(t *testing.T) {
	f := &File{Entries: []Entry{{Name: "x", DType: F32, Shape: []int{1}, Data: []byte{0, 0, 0x80, 0x3f}}}}
	x, err := f.Tensor("x")
	if err != nil || x.Item() != 1 {
		t.Fatalf("got %v, %v; want 1", x, err)
	}
	if err := f.LoadInto(map[string]*tensor.Tensor{"x": tensor.Zeros(1)}); err != nil {
		t.Fatal(err)
	}
}
