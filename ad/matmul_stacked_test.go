package ad_test

import (
	"fmt"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// The gradient of a weight shared by a batch of matrices (x·W and x·Wᵀ
// with x of shape (2,3,4,5)), which MatMul computes as one product over
// the stacked rows, against central finite differences; the
// second test differentiates x's gradient (a product with W read
// transposed) with respect to W.
func TestMatMulSharedWeightGrad(t *testing.T) {
	x := tensor.RandN(seeded(31), 2, 3, 4, 5)
	for _, tb := range []bool{false, true} {
		ws := []int{5, 6}
		if tb {
			ws = []int{6, 5}
		}
		w := tensor.RandN(seeded(32), ws...)
		f := func(w ad.Value) ad.Value {
			if tb {
				w = ad.Transpose(w)
			}
			return ad.Sum(ad.Tanh(ad.MatMul(ad.From(x), w)), false)
		}
		got := ad.Grad(f, ad.From(w))
		want := fdGrad(scalarFn(f, ws...), w.Float64s())
		for i, v := range want {
			near(t, fmt.Sprintf("tb=%v dW[%d]", tb, i), got.Tensor().AtFlat(i), v, 1e-6)
		}
	}
}

func TestMatMulSharedWeightGradOfGrad(t *testing.T) {
	x := tensor.RandN(seeded(33), 2, 3, 4, 5)
	w := tensor.RandN(seeded(34), 5, 6)
	f := func(w ad.Value) ad.Value {
		gx := ad.Grad(func(x ad.Value) ad.Value {
			return ad.Sum(ad.Tanh(ad.MatMul(x, w)), false)
		}, ad.From(x))
		return ad.Sum(ad.Mul(gx, gx), false)
	}
	got := ad.Grad(f, ad.From(w))
	want := fdGrad(scalarFn(f, 5, 6), w.Float64s())
	for i, v := range want {
		near(t, fmt.Sprintf("dW[%d]", i), got.Tensor().AtFlat(i), v, 1e-6)
	}
}
