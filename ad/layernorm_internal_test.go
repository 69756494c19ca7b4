package ad

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/chainrule/chainrule/tensor"
)

// TestLayerNormFusedMatchesComposite checks the fused layer_norm against
// the composite it replaced (normalize: Mean, Sub, Square, Mean, Rsqrt,
// kept for BatchNorm): values, gradients (through layer_norm_grad) and
// Hessian-vector products (through layer_norm_grad's own rules), over one
// and two trailing axes, rows long enough to split over the cores, and in
// float32, where both are rounded from different orders of operations.
func TestLayerNormFusedMatchesComposite(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, c := range []struct {
		shape []int
		n     int
		d     tensor.DType
	}{
		{[]int{3, 5}, 1, tensor.Float64}, {[]int{2, 3, 4}, 2, tensor.Float64}, {[]int{64, 300}, 1, tensor.Float64},
		{[]int{3, 5}, 1, tensor.Float32}, {[]int{16, 256}, 1, tensor.Float32},
		// W9's rows, split across the cores, and odd lengths (the lanes' tails)
		{[]int{1024, 256}, 1, tensor.Float32}, {[]int{41, 7, 33}, 2, tensor.Float64}, {[]int{9, 3}, 1, tensor.Float64},
	} {
		x := tensor.Map(tensor.RandN(r, c.shape...), func(a float64) float64 { return 3*a + 1 })
		w := tensor.RandN(r, c.shape...)
		v := tensor.RandN(r, c.shape...)
		x, w, v = x.As(c.d), w.As(c.d), v.As(c.d)
		axes := make([]int, c.n)
		for i := range axes {
			axes[i] = len(c.shape) - c.n + i
		}
		// a weighted sum makes the gradient non-trivial (Σ y alone has ∇ = 0)
		fused := func(x Value) Value {
			return Sum(Mul(Square(LayerNorm(x, c.n, Value{}, Value{}, 1e-5)), From(w)), false)
		}
		composite := func(x Value) Value { return Sum(Mul(Square(normalize(x, axes, 1e-5)), From(w)), false) }
		tol := 1e-12
		if c.d == tensor.Float32 {
			tol = 2e-5
		}
		for _, q := range []struct {
			name string
			f    func(func(Value) Value) *tensor.Tensor
		}{
			{"value", func(f func(Value) Value) *tensor.Tensor {
				return LayerNorm(From(x), c.n, Value{}, Value{}, 1e-5).Tensor()
			}},
			{"gradient", func(f func(Value) Value) *tensor.Tensor { return Grad(f, From(x)).Tensor() }},
			{"hvp", func(f func(Value) Value) *tensor.Tensor { return HVP(f, From(x), From(v)).Tensor() }},
		} {
			got := q.f(fused)
			var want *tensor.Tensor
			if q.name == "value" {
				want = normalize(From(x), axes, 1e-5).Tensor()
			} else {
				want = q.f(composite)
			}
			scale := 0.0
			for i := range want.Size() {
				scale = max(scale, math.Abs(want.AtFlat(i)))
			}
			for i := range want.Size() {
				if d := math.Abs(got.AtFlat(i) - want.AtFlat(i)); d > tol*(1+scale) {
					t.Fatalf("%v %s %s[%d]: fused %g, composite %g", c.shape, c.d, q.name, i, got.AtFlat(i), want.AtFlat(i))
				}
			}
		}
	}
}
