package ad_test

import (
	"math/rand/v2"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// TestLayerNormVmapOfDerivatives checks Vmap of forward Jacobians and
// Hessians of LayerNorm against the same derivatives taken row by row,
// which the differential fuzzer checks against finite differences. Under
// Vmap, layer_norm_grad(x, v) sees a batched x and a v with leading axes
// of its own (the inner transformation's tangents): its batching rule
// paired v's rows with the wrong repetitions of x's, and Vmap of JacFwd
// panicked ("reshape: cannot reshape (3) to (3,3)").
func TestLayerNormVmapOfDerivatives(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 2} {
		gamma := ad.From(tensor.RandN(r, []int{2, 3}[2-n:]...))
		ln := func(x ad.Value) ad.Value { return ad.LayerNorm(x, n, gamma, ad.Value{}, 0.1) }
		scalar := func(x ad.Value) ad.Value { return ad.Sum(ad.Mul(ad.Sin(x), ln(x)), false) }
		for _, c := range []struct {
			name string
			f    func(ad.Value) ad.Value
		}{
			{"JacFwd", func(x ad.Value) ad.Value { return ad.JacFwd(ln, x) }},
			{"JacRev", func(x ad.Value) ad.Value { return ad.JacRev(ln, x) }},
			{"Hessian", func(x ad.Value) ad.Value { return ad.Hessian(scalar, x) }},
			{"fwd-over-fwd", func(x ad.Value) ad.Value {
				return ad.JacFwd(func(y ad.Value) ad.Value { return ad.JacFwd(scalar, y) }, x)
			}},
		} {
			xs := ad.From(tensor.RandN(r, 4, 2, 3))
			got := ad.Vmap(func(v []ad.Value) ad.Value { return c.f(v[0]) })(xs)
			for i := range 4 {
				want := c.f(ad.Reshape(ad.Slice(xs, 0, i, i+1), 2, 3))
				row := ad.Reshape(ad.Slice(got, 0, i, i+1), want.Shape()...)
				if d := mismatch(flatOf(row), flatOf(want), 1e-12, 1+maxAbs(flatOf(want))); d != "" {
					t.Errorf("n=%d: Vmap of %s, row %d: %s", n, c.name, i, d)
				}
			}
		}
	}
}
