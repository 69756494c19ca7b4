package onnx_test

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/onnx"
	"github.com/chainrule/chainrule/tensor"
)

// The reference models and data are written by
// testdata/onnx/import/gen.py (PyTorch 1.13's torch.onnx.export).
const refDir = "../testdata/onnx/import"

type refArray struct {
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

func (a refArray) tensor(d tensor.DType) *tensor.Tensor {
	return tensor.New(append([]float64(nil), a.Data...), a.Shape...).As(d)
}

type reference struct {
	X     refArray            `json:"x"`
	Y     refArray            `json:"y"`
	R     refArray            `json:"r"`
	Grads map[string]refArray `json:"grads"`
}

func readJSON(t testing.TB, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(refDir, name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func load(t testing.TB, name string) *onnx.Imported {
	t.Helper()
	m, err := onnx.Load(filepath.Join(refDir, name))
	if err != nil {
		t.Fatal(err)
	}
	im, err := onnx.Import(m)
	if err != nil {
		t.Fatal(err)
	}
	return im
}

// closeTo checks got against want to a relative tolerance: the largest
// error over the largest reference magnitude.
func closeTo(t *testing.T, what string, got *tensor.Tensor, want refArray, tol float64) {
	t.Helper()
	if !slices.Equal(got.Shape(), want.Shape) {
		t.Errorf("%s: shape %v, want %v", what, got.Shape(), want.Shape)
		return
	}
	g := got.Float64s()
	maxErr, scale := 0.0, 0.0
	for i, w := range want.Data {
		maxErr = math.Max(maxErr, math.Abs(g[i]-w))
		scale = math.Max(scale, math.Abs(w))
	}
	if !(maxErr <= tol*scale) {
		t.Errorf("%s: max error %.3g over max magnitude %.3g, relative %.3g > %g", what, maxErr, scale, maxErr/scale, tol)
	}
}

// TestImportTorch runs each model PyTorch exported on its seeded input and
// compares the output, and the gradients of sum(y * r) with respect to
// the input and to every parameter, with PyTorch's.
func TestImportTorch(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(refDir, "*.onnx"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no reference models in %s (%v)", refDir, err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			parts := strings.Split(strings.TrimSuffix(name, ".onnx"), "_")
			var ref reference
			readJSON(t, parts[0]+"_"+parts[1]+".json", &ref)
			d, tol := tensor.Float64, 1e-10
			if parts[1] == "f32" {
				d, tol = tensor.Float32, 1e-5
			}
			im := load(t, name)
			x := ad.From(ref.X.tensor(d))
			closeTo(t, "y", im.Call(x)[0].Tensor(), ref.Y, tol)

			r := ad.From(ref.R.tensor(d))
			xs := []ad.Value{x}
			for _, p := range im.Params {
				xs = append(xs, ad.From(p.T))
			}
			grads := ad.Grads(func(vs []ad.Value) ad.Value {
				return ad.SumAll(ad.Mul(im.Apply(vs[1:], vs[0])[0], r))
			}, xs...)
			closeTo(t, "grad x", grads[0].Tensor(), ref.Grads["x"], tol)
			checked := 0
			for i, p := range im.Params {
				want, ok := ref.Grads[p.Name]
				if !ok {
					if parts[2] != "default" {
						t.Errorf("parameter %q has no PyTorch gradient", p.Name)
					}
					continue
				}
				closeTo(t, "grad "+p.Name, grads[i+1].Tensor(), want, tol)
				checked++
			}
			if parts[2] != "default" && checked != len(ref.Grads)-1 {
				t.Errorf("checked %d parameter gradients of PyTorch's %d", checked, len(ref.Grads)-1)
			}
		})
	}
}
