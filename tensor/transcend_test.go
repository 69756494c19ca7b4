package tensor

import (
	"math"
	"testing"
)

func TestTranscendental(t *testing.T) {
	sigmoid := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	for _, c := range []struct {
		name string
		f    func(*Tensor) *Tensor
		ref  func(float64) float64
	}{{"Exp", Exp, math.Exp}, {"Tanh", Tanh, math.Tanh}, {"Sigmoid", Sigmoid, sigmoid},
		{"Neg", Neg, func(x float64) float64 { return -x }}, {"Square", Square, func(x float64) float64 { return x * x }}} {
		for _, d := range dtypes {
			tol := 1e-15 // a few float64 ulps; float32: one ulp after rounding
			if d == Float32 {
				tol = 1.2e-7
			}
			for _, shape := range [][]int{{}, {0, 3}, {4, 5}, {3, 1 << 17}} {
				vals := reals(21, Size(shape))
				for i := range vals {
					vals[i] *= 8 // (-16, 16): both branches of each kernel
				}
				x := mk(d, vals, shape...)
				x0 := x.Clone()
				got := c.f(x)
				if got.DType() != d || !Equal(x, x0) || len(got.Shape()) != len(shape) || got.Size() != x.Size() {
					t.Fatalf("%s %s %v: dtype %s, shape %v (argument changed: %v)", c.name, d, shape, got.DType(), got.Shape(), !Equal(x, x0))
				}
				for i, v := range x.Float64s() {
					want := c.ref(v)
					if e := math.Abs(got.AtFlat(i)-want) / math.Max(math.Abs(want), 1e-300); e > tol {
						t.Fatalf("%s %s (%v) at %v: %v, want %v (relative error %.2g)", c.name, d, shape, v, got.AtFlat(i), want, e)
					}
				}
			}
		}
	}
}
