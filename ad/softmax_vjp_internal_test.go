package ad

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/chainrule/chainrule/tensor"
)

// TestSoftmaxVJPFused checks softmax_last_vjp, the fused reverse rule of
// Attention's softmax, against the rule written with ad's ops
// (softmaxRule), and its own derivative rules: odd row lengths, rows of one
// element, rank 1 to 4, float64 and float32, and NaN and ±Inf in either
// argument, which must reach the same elements.
func TestSoftmaxVJPFused(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, d := range []tensor.DType{tensor.Float64, tensor.Float32} {
		for _, shape := range [][]int{{1}, {7}, {3, 1}, {2, 5}, {4, 129}, {2, 3, 17}, {2, 2, 3, 128}} {
			y := softmaxLast(d.RandN(r, shape...))
			g := d.RandN(r, shape...)
			check := func(name string, y, g *tensor.Tensor) {
				t.Helper()
				want := softmaxRule(From(g), From(y)).Tensor().Float64s()
				got := softmaxVJP(From(g), From(y))
				if got.Tensor().DType() != d {
					t.Fatalf("%s %v %s: dtype %s", name, shape, d, got.Tensor().DType())
				}
				gd := got.Tensor().Float64s()
				tol := 1e-14
				if d == tensor.Float32 {
					tol = 3e-6
				}
				for i := range want {
					w, v := want[i], gd[i]
					switch {
					case math.IsNaN(w) || math.IsInf(w, 0):
						if !(math.IsNaN(w) && math.IsNaN(v)) && w != v {
							t.Errorf("%s %v %s: element %d = %g, want %g", name, shape, d, i, v, w)
						}
					case math.Abs(v-w) > tol*(1+math.Abs(w)):
						t.Errorf("%s %v %s: element %d = %g, want %g", name, shape, d, i, v, w)
					}
				}
			}
			check("random", y, g)
			// specials: NaN and ±Inf in the cotangent and in the output
			n := shape[len(shape)-1]
			yd, gd := y.Clone(), g.Clone()
			gd.SetFlat(0, math.NaN())
			gd.SetFlat(gd.Size()-1, math.Inf(1))
			if yd.Size() >= 2*n && n > 1 {
				yd.SetFlat(n+1, math.Inf(-1)) // in the second row
			}
			check("specials", yd, gd)
		}
	}
}

// TestSoftmaxVJPRules checks the derivatives of softmax_last_vjp (its jvp,
// vjp and vmap rules) against those of softmaxRule, which ad derives from
// its ops: forward and reverse mode in both arguments, and batched.
func TestSoftmaxVJPRules(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	y0 := From(softmaxLast(tensor.RandN(r, 3, 5)))
	g0 := From(tensor.RandN(r, 3, 5))
	w := From(tensor.RandN(r, 3, 5))
	fused := func(y, g Value) Value { return Sum(Mul(softmaxVJP(g, y), w), false) }
	slow := func(y, g Value) Value { return Sum(Mul(softmaxRule(g, y), w), false) }
	close := func(name string, a, b *tensor.Tensor) {
		t.Helper()
		ad, bd := a.Data(), b.Data()
		for i := range ad {
			if math.Abs(ad[i]-bd[i]) > 1e-12*(1+math.Abs(bd[i])) {
				t.Errorf("%s: element %d = %g, want %g", name, i, ad[i], bd[i])
			}
		}
	}
	gf := Grads(func(v []Value) Value { return fused(v[0], v[1]) }, y0, g0)
	gs := Grads(func(v []Value) Value { return slow(v[0], v[1]) }, y0, g0)
	close("grad y", gf[0].Tensor(), gs[0].Tensor())
	close("grad g", gf[1].Tensor(), gs[1].Tensor())
	ty, tg := From(tensor.RandN(r, 3, 5)), From(tensor.RandN(r, 3, 5))
	_, jf := JVP(func(v []Value) Value { return softmaxVJP(v[1], v[0]) }, []Value{y0, g0}, []Value{ty, tg})
	_, js := JVP(func(v []Value) Value { return softmaxRule(v[1], v[0]) }, []Value{y0, g0}, []Value{ty, tg})
	close("jvp", jf.Tensor(), js.Tensor())
	// second order: the gradient of a function of the gradient
	hf := Grad(func(y Value) Value {
		return Sum(Square(Grads(func(v []Value) Value { return fused(v[0], v[1]) }, y, g0)[1]), false)
	}, y0)
	hs := Grad(func(y Value) Value {
		return Sum(Square(Grads(func(v []Value) Value { return slow(v[0], v[1]) }, y, g0)[1]), false)
	}, y0)
	close("second order", hf.Tensor(), hs.Tensor())
	// batched: both arguments, and the cotangent alone
	ys := From(softmaxLast(tensor.RandN(r, 2, 3, 5)))
	gs2 := From(tensor.RandN(r, 2, 3, 5))
	close("vmap both", Vmap(func(v []Value) Value { return softmaxVJP(v[1], v[0]) })(ys, gs2).Tensor(),
		Vmap(func(v []Value) Value { return softmaxRule(v[1], v[0]) })(ys, gs2).Tensor())
	close("vmap one", Vmap(func(v []Value) Value { return softmaxVJP(v[0], y0) })(gs2).Tensor(),
		Vmap(func(v []Value) Value { return softmaxRule(v[0], y0) })(gs2).Tensor())
}

// BenchmarkSoftmaxVJP times the reverse rule of Attention's softmax over
// W9's scores (8·4·128 rows of 128, float32): fused (softmax_last_vjp) and
// written with ad's ops (softmaxRule), as it was before.
func BenchmarkSoftmaxVJP(b *testing.B) {
	r := rand.New(rand.NewPCG(25, 26))
	y := From(softmaxLast(tensor.Float32.RandN(r, 8, 4, 128, 128)))
	g := From(tensor.Float32.RandN(r, 8, 4, 128, 128))
	b.Run("fused", func(b *testing.B) {
		for b.Loop() {
			softmaxVJP(g, y)
		}
	})
	b.Run("ops", func(b *testing.B) {
		for b.Loop() {
			softmaxRule(g, y)
		}
	})
}
