package ad_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// TestLinearMatchesMatMul checks Linear's value and gradients against
// MatMul(x, MT(w)) + b, the product batched over x's leading dimensions
// with w transposed in memory, in float64 and float32 (the gradients
// against finite differences are in gradcheck's table).
func TestLinearMatchesMatMul(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, d := range []tensor.DType{tensor.Float64, tensor.Float32} {
		tol := 1e-12
		if d == tensor.Float32 {
			tol = 1e-4
		}
		for _, xs := range [][]int{{7}, {5, 7}, {3, 4, 7}, {2, 3, 1, 7}, {0, 7}} {
			x := ad.From(d.RandN(rng, xs...))
			w, b := ad.From(d.RandN(rng, 9, 7)), ad.From(d.RandN(rng, 9))
			for _, bias := range []bool{true, false} {
				bb := b
				if !bias {
					bb = ad.Value{}
				}
				f := func(p []ad.Value) ad.Value { return ad.Sum(ad.Square(ad.Linear(p[0], p[1], p[2])), false) }
				ref := func(p []ad.Value) ad.Value {
					y := ad.MatMul(p[0], ad.MT(p[1]))
					if bias {
						y = ad.Add(y, p[2])
					}
					return ad.Sum(ad.Square(y), false)
				}
				args := []ad.Value{x, w, b}
				fb := func(p []ad.Value) ad.Value {
					if !bias {
						p = []ad.Value{p[0], p[1], {}}
					}
					return f(p)
				}
				got, want := ad.Linear(x, w, bb), ad.MatMul(x, ad.MT(w))
				if bias {
					want = ad.Add(want, b)
				}
				name := fmt.Sprintf("%s %v bias %v", d, xs, bias)
				nearT(t, name+" value", got.Tensor(), want.Tensor(), tol)
				gv, gg := ad.ValueAndGrads(fb, args...)
				wv, wg := ad.ValueAndGrads(ref, args...)
				near(t, name+" loss", gv.Item(), wv.Item(), tol)
				n := 2
				if bias {
					n = 3
				}
				for i := range n {
					nearT(t, fmt.Sprintf("%s gradient %d", name, i), gg[i].Tensor(), wg[i].Tensor(), tol)
				}
			}
		}
	}
}

func TestLinearErrors(t *testing.T) {
	x, w, b := ad.From(tensor.Zeros(2, 3)), ad.From(tensor.Zeros(4, 3)), ad.From(tensor.Zeros(4))
	for _, c := range []struct {
		name string
		fn   func()
		kind error
		msg  string
	}{
		{"features", func() { ad.Linear(ad.From(tensor.Zeros(2, 5)), w, b) }, tensor.ErrShape, "linear: input (2,5) and weight (4,3)"},
		{"scalar", func() { ad.Linear(ad.Scalar(1), w, b) }, tensor.ErrShape, "linear: input ()"},
		{"weight rank", func() { ad.Linear(x, ad.From(tensor.Zeros(3)), b) }, tensor.ErrShape, "linear: input (2,3) and weight (3)"},
		{"bias", func() { ad.Linear(x, w, ad.From(tensor.Zeros(3))) }, tensor.ErrShape, "linear: bias (3) for weight (4,3): want (4)"},
		{"dtype", func() { ad.Linear(ad.AsType(x, tensor.Float32), w, b) }, tensor.ErrDType, "linear: input float32, weight float64 and bias float64"},
		{"bias dtype", func() { ad.Linear(x, w, ad.AsType(b, tensor.Float32)) }, tensor.ErrDType, "linear: input float64, weight float64 and bias float32"},
		{"zero", func() { ad.Linear(x, ad.Value{}, b) }, tensor.ErrArg, "linear"},
	} {
		err := tensor.Maybe(c.fn)
		if !errors.Is(err, c.kind) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: error %v, want %v containing %q", c.name, err, c.kind, c.msg)
		}
	}
}

// BenchmarkLinear times the value and gradients of W9's first FFN layer
// (8×128×256 → 1024, float32) through Linear and through the batched
// MatMul(x, MT(w)) + b it replaces in nn.Linear.
func BenchmarkLinear(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := ad.From(tensor.Float32.RandN(rng, 8, 128, 256))
	w, bias := ad.From(tensor.Float32.RandN(rng, 1024, 256)), ad.From(tensor.Float32.RandN(rng, 1024))
	for _, c := range []struct {
		name string
		f    func(p []ad.Value) ad.Value
	}{
		{"Linear", func(p []ad.Value) ad.Value { return ad.Sum(ad.Linear(p[0], p[1], p[2]), false) }},
		{"MatMulMT", func(p []ad.Value) ad.Value { return ad.Sum(ad.Add(ad.MatMul(p[0], ad.MT(p[1])), p[2]), false) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				ad.ValueAndGrads(c.f, x, w, bias)
			}
		})
	}
}
