package ad_test

// Reference tests at singular points against PyTorch 1.13's autograd:
// testdata/torch/singular.json (testdata/torch/singular.py) holds values,
// gradients and double-backward Hessians where functions or their
// derivatives are singular. Entries where chainrule deliberately differs
// are listed in singularDiffers with the reason (and in the Conventions
// of the package doc and README).

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

type singularCase struct {
	Kind    string     `json:"kind"`
	Fn      string     `json:"fn"`
	X       []string   `json:"x"`
	Value   string     `json:"value"`
	Grad    []string   `json:"grad"`
	Hessian [][]string `json:"hessian"`
}

// singularFns are the functions of the cases, of the scalar leaves xs.
var singularFns = map[string]func(xs []ad.Value) ad.Value{
	"atan2":     func(xs []ad.Value) ad.Value { return ad.Atan2(xs[0], xs[1]) },
	"pow":       func(xs []ad.Value) ad.Value { return ad.Pow(xs[0], xs[1]) },
	"hypot":     func(xs []ad.Value) ad.Value { return ad.Hypot(xs[0], xs[1]) },
	"logsumexp": func(xs []ad.Value) ad.Value { return ad.LogSumExp(ad.Stack(0, xs...), false) },
	"log_exp":   sumOver(func(x ad.Value) ad.Value { return ad.Log(ad.Exp(x)) }),
	"log_sigmoid": sumOver(func(x ad.Value) ad.Value {
		return ad.Log(ad.Sigmoid(x))
	}),
	"sqrt_square": sumOver(func(x ad.Value) ad.Value { return ad.Sqrt(ad.Mul(x, x)) }),
	"where_sqrt": sumOver(func(x ad.Value) ad.Value {
		return ad.Where(ad.Greater(x, ad.Scalar(0)), ad.Sqrt(x), ad.Scalar(0))
	}),
}

func sumOver(f func(ad.Value) ad.Value) func(xs []ad.Value) ad.Value {
	return func(xs []ad.Value) ad.Value {
		s := f(xs[0])
		for _, x := range xs[1:] {
			s = ad.Add(s, f(x))
		}
		return s
	}
}

// singularDiffers lists, by case ("fn x"), the entries ("grad i" or
// "hessian i j") where chainrule deliberately gives another value than
// PyTorch, with that value.
var singularDiffers = map[string]map[string]float64{
	// Where(x > 0, √x, 0): the branch not selected gets exactly 0, where
	// PyTorch computes 0·∞ = NaN in it (its where selects, then sqrt's
	// backward multiplies).
	"where_sqrt [0 -1 4]": {"grad 0": 0, "grad 1": 0},
	// Pow's conventions make ∂/∂y xʸ exactly 0 on the line x = 0 (y ≥ 0)
	// and ∂/∂x exactly 0 on y = 0, each selected by a Where, so the
	// derivatives of those partials along the selected branch are 0 and
	// the Hessian is symmetric; PyTorch's double backward computes 0·∞ =
	// NaN in the branches its where did not select (log 0), and is not
	// even symmetric at (0, 2).
	"pow [0 0.5]": {"hessian 1 1": 0},
	"pow [0 2]":   {"hessian 1 0": 0, "hessian 1 1": 0},
	"pow [0 0]":   {"hessian 0 0": 0, "hessian 0 1": 0, "hessian 1 0": 0, "hessian 1 1": 0},
}

func parseNum(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("bad number %q: %v", s, err)
	}
	return v
}

func parseNums(t *testing.T, ss []string) []float64 {
	v := make([]float64, len(ss))
	for i, s := range ss {
		v[i] = parseNum(t, s)
	}
	return v
}

// same reports whether got equals want: NaN and infinities exactly,
// finite values to a relative 1e-12.
func same(got, want float64) bool {
	if math.IsNaN(want) || math.IsInf(want, 0) {
		return math.IsNaN(got) && math.IsNaN(want) || got == want
	}
	return math.Abs(got-want) <= 1e-12*(1+math.Abs(want))
}

func TestTorchSingularPoints(t *testing.T) {
	b, err := os.ReadFile("../testdata/torch/singular.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Cases []singularCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, c := range file.Cases {
		x := parseNums(t, c.X)
		key := fmt.Sprintf("%s %v", c.Fn, x)
		differs := singularDiffers[key]
		used[key] = differs != nil
		f := singularFns[c.Fn]
		if f == nil {
			t.Fatalf("%s: unknown function", key)
		}
		expect := func(entry string, got, torch float64) {
			t.Helper()
			want, ok := differs[entry]
			if !ok {
				want = torch
			} else if same(got, torch) {
				t.Errorf("%s: %s = %v agrees with PyTorch now; drop it from singularDiffers", key, entry, got)
			}
			if !same(got, want) {
				t.Errorf("%s: %s = %v, want %v (PyTorch %v)", key, entry, got, want, torch)
			}
		}
		xs := make([]ad.Value, len(x))
		for i, v := range x {
			xs[i] = ad.Scalar(v)
		}
		// the scalar leaves, as the CLI's variables …
		y, gs := ad.ValueAndGrads(f, xs...)
		expect("value", y.Item(), parseNum(t, c.Value))
		for i, g := range parseNums(t, c.Grad) {
			expect(fmt.Sprintf("grad %d", i), gs[i].Item(), g)
		}
		// … and one vector (the tensor path of the sweep)
		fv := func(v ad.Value) ad.Value {
			parts := make([]ad.Value, len(x))
			for i := range parts {
				parts[i] = ad.Reshape(ad.Slice(v, 0, i, i+1))
			}
			return f(parts)
		}
		g := ad.Grad(fv, ad.New(x, len(x))).Tensor()
		for i, w := range parseNums(t, c.Grad) {
			expect(fmt.Sprintf("grad %d", i), g.AtFlat(i), w)
		}
		if c.Kind != "hessian" {
			continue
		}
		h := ad.Hessian(fv, ad.New(x, len(x))).Tensor()
		for i, row := range c.Hessian {
			for j, w := range parseNums(t, row) {
				expect(fmt.Sprintf("hessian %d %d", i, j), h.At(i, j), w)
			}
		}
	}
	for k := range singularDiffers {
		if !used[k] {
			t.Errorf("singularDiffers lists %q, which has no case", k)
		}
	}
}

// Hessian's NaN masking keeps it differentiable and dtype-preserving: a
// third derivative through it, and a float32 Hessian at a singular point.
func TestHessianMaskNested(t *testing.T) {
	// f = x³y: ∂³f/∂x²∂x summed over the Hessian's entries
	// Σ H = 6xy + 2·3x² = 6xy + 6x², whose gradient is (6y + 12x, 6x)
	f := func(v ad.Value) ad.Value {
		x, y := ad.Reshape(ad.Slice(v, 0, 0, 1)), ad.Reshape(ad.Slice(v, 0, 1, 2))
		return ad.Mul(ad.Mul(x, ad.Mul(x, x)), y)
	}
	g := ad.Grad(func(v ad.Value) ad.Value { return ad.Sum(ad.Hessian(f, v), false) }, ad.New([]float64{2, 3}, 2)).Tensor()
	nearT(t, "∇ Σ Hessian", g, tensorOf(6*3+12*2, 6*2), 1e-12)
	// atan2 at the origin in float32: NaN everywhere, float32
	a := func(v ad.Value) ad.Value {
		return ad.Atan2(ad.Reshape(ad.Slice(v, 0, 0, 1)), ad.Reshape(ad.Slice(v, 0, 1, 2)))
	}
	h := ad.Hessian(a, ad.AsType(ad.New([]float64{0, 0}, 2), tensor.Float32)).Tensor()
	if h.DType() != tensor.Float32 {
		t.Errorf("float32 Hessian has dtype %v", h.DType())
	}
	for i := range 4 {
		if !math.IsNaN(h.AtFlat(i)) {
			t.Errorf("float32 atan2 Hessian at the origin: %v, want all NaN", h)
			break
		}
	}
}

func tensorOf(v ...float64) *tensor.Tensor { return tensor.New(v, len(v)) }

// HVP follows Hessian: components that depend on a NaN gradient component
// are NaN. f(x, y, z) = atan2(x, y) + z² at the origin: the gradient is
// (NaN, NaN, 0), H = diag(NaN block, 2).
func TestHVPAtSingularPoint(t *testing.T) {
	f := func(v ad.Value) ad.Value {
		x, y, z := ad.Reshape(ad.Slice(v, 0, 0, 1)), ad.Reshape(ad.Slice(v, 0, 1, 2)), ad.Reshape(ad.Slice(v, 0, 2, 3))
		return ad.Add(ad.Atan2(x, y), ad.Mul(z, z))
	}
	x := ad.New([]float64{0, 0, 0}, 3)
	nan := math.NaN()
	for _, c := range []struct{ v, want []float64 }{
		{[]float64{0, 0, 1}, []float64{nan, nan, 2}}, // only the defined column
		{[]float64{1, 0, 1}, []float64{nan, nan, nan}},
	} {
		hv := ad.HVP(f, x, ad.New(c.v, 3)).Tensor()
		nearT(t, "HVP", hv, tensorOf(c.want...), 0)
	}
	// the Hessian agrees
	h := ad.Hessian(f, x).Tensor()
	nearT(t, "Hessian", h, tensor.New([]float64{nan, nan, nan, nan, nan, nan, nan, nan, 2}, 3, 3), 0)
}
