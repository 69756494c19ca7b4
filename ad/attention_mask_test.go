package ad_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// TestAttentionCausalMask checks causal Attention against the composite
// softmax(q·kᵀ/√d + mask)·v, the mask -Inf above the diagonal written out
// element by element, with more queries than keys, fewer and as many, in
// float64 and float32: values and the gradients of a weighted sum.
func TestAttentionCausalMask(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, d := range []tensor.DType{tensor.Float64, tensor.Float32} {
		tol := 1e-12
		if d == tensor.Float32 {
			tol = 2e-5
		}
		for _, c := range [][2]int{{5, 3}, {3, 5}, {4, 4}, {1, 6}} {
			lq, lk := c[0], c[1]
			q, k, v := ad.From(d.RandN(rng, 2, lq, 3)), ad.From(d.RandN(rng, 2, lk, 3)), ad.From(d.RandN(rng, 2, lk, 2))
			w := ad.From(d.RandN(rng, 2, lq, 2))
			mask := d.Zeros(lq, lk)
			for i := range lq {
				for j := range lk {
					if j > i {
						mask.SetFlat(i*lk+j, math.Inf(-1))
					}
				}
			}
			ref := func(p []ad.Value) ad.Value {
				s := ad.Add(ad.Mul(ad.MatMul(p[0], ad.MT(p[1])), 1/math.Sqrt(3)), ad.From(mask))
				return ad.Sum(ad.Mul(ad.MatMul(ad.Softmax(s, -1), p[2]), w), false)
			}
			got := func(p []ad.Value) ad.Value { return ad.Sum(ad.Mul(ad.Attention(p[0], p[1], p[2], true), w), false) }
			gv, gg := ad.ValueAndGrads(got, q, k, v)
			wv, wg := ad.ValueAndGrads(ref, q, k, v)
			name := fmt.Sprintf("%s lq=%d lk=%d", d, lq, lk)
			near(t, name+" value", gv.Item(), wv.Item(), tol)
			for i := range gg {
				nearT(t, fmt.Sprintf("%s gradient %d", name, i), gg[i].Tensor(), wg[i].Tensor(), tol)
			}
		}
	}
}
