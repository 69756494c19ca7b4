package ad

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/chainrule/chainrule/tensor"
)

// The batching rules of the convolution and pooling primitives, each
// batching pattern (one operand batched, the other, both) against a loop
// of the unbatched primitive over the batch elements; and a batch of none.

func randVal(r *rand.Rand, shape ...int) Value { return wrap(tensor.RandN(r, shape...)) }

// loopOf applies f to the batch elements of args (those flagged in bat
// have a leading batch axis of k) and stacks the results.
func loopOf(f func(a, b Value) Value, args [2]Value, bat [2]bool, k int) *tensor.Tensor {
	outs := make([]Value, k)
	for d := range k {
		var xs [2]Value
		for i, a := range args {
			xs[i] = a
			if bat[i] {
				xs[i] = wrap(tensor.Slice(a.t, 0, d, d+1).Reshape(a.Shape()[1:]...))
			}
		}
		outs[d] = f(xs[0], xs[1])
	}
	return Stack(0, outs...).Tensor()
}

func closeT(t *testing.T, what string, got, want *tensor.Tensor) {
	t.Helper()
	if !sameShape(got.Shape(), want.Shape()) {
		t.Errorf("%s: shape %v, want %v", what, got.Shape(), want.Shape())
		return
	}
	g, w := got.Float64s(), want.Float64s()
	for i := range g {
		if math.Abs(g[i]-w[i]) > 1e-12*(1+math.Abs(w[i])) {
			t.Errorf("%s: element %d is %v, want %v", what, i, g[i], w[i])
			return
		}
	}
}

func TestConvBatchRules(t *testing.T) {
	const k, n, c, h, w, o = 3, 2, 4, 7, 6, 6
	cfgs := []ConvConfig{
		{},
		{Stride: [2]int{2, 1}, Padding: [2][2]int{{1, 0}, {2, 1}}},
		{Dilation: [2]int{2, 1}, Padding: [2][2]int{{1, 1}, {0, 1}}},
		{Groups: 2, Stride: [2]int{2, 2}},
		{Groups: 2, Padding: [2][2]int{{1, 1}, {1, 1}}, Dilation: [2]int{1, 2}},
	}
	pats := [][2]bool{{true, false}, {false, true}, {true, true}}
	r := rand.New(rand.NewPCG(7, 8))
	for _, cfg := range cfgs {
		cfg = cfg.Normalized("test")
		g := cfg.Groups
		ws := []int{o, c / g, 3, 2}
		_, ys := tensor.ConvShape("test", []int{n, c, h, w}, ws, cfg)
		s := convSpec{cfg: cfg, h: h, w: w, kh: ws[2], kw: ws[3]}
		type prim2 struct {
			name   string
			shapes [2][]int
			one    func(a, b Value) Value
			batch  func(a, b Value, ba, bb bool, s convSpec, k int) Value
		}
		prims := []prim2{
			{"conv", [2][]int{{n, c, h, w}, ws}, func(a, b Value) Value { return conv(a, b, s) }, convBatch},
			{"convT", [2][]int{ys, ws}, func(a, b Value) Value { return convT(a, b, s) }, convTBatch},
			{"convW", [2][]int{{n, c, h, w}, ys}, func(a, b Value) Value { return convW(a, b, s) }, convWBatch},
		}
		for _, p := range prims {
			for _, bat := range pats {
				var args [2]Value
				for i := range args {
					sh := p.shapes[i]
					if bat[i] {
						sh = lead(k, sh)
					}
					args[i] = randVal(r, sh...)
				}
				what := fmt.Sprintf("%s %+v batched %v", p.name, cfg, bat)
				closeT(t, what, p.batch(args[0], args[1], bat[0], bat[1], s, k).Tensor(), loopOf(p.one, args, bat, k))
				// a batch of none: empty, shaped as one result
				var none [2]Value
				for i := range none {
					none[i] = args[i]
					if bat[i] {
						none[i] = wrap(tensor.Zeros(lead(0, p.shapes[i])...))
					}
				}
				got := p.batch(none[0], none[1], bat[0], bat[1], s, 0)
				if want := lead(0, p.one(wrap(tensor.Zeros(p.shapes[0]...)), wrap(tensor.Zeros(p.shapes[1]...))).Shape()); !sameShape(got.Shape(), want) {
					t.Errorf("%s, batch of 0: shape %v, want %v", what, got.Shape(), want)
				}
			}
		}
	}
}

func TestPoolBatchRule(t *testing.T) {
	const k, n, c, h, w = 3, 2, 3, 7, 6
	kern := [2]int{3, 2}
	cfg, ys := tensor.PoolShape("test", []int{n, c, h, w}, kern, PoolConfig{Stride: [2]int{1, 2}, Padding: [2][2]int{{1, 1}, {0, 1}}})
	prm := poolParams(kern, cfg)
	r := rand.New(rand.NewPCG(9, 10))
	xs := []int{n, c, h, w}
	for _, p := range []*prim{poolTakePrim, poolScatterPrim} {
		vs := xs
		if p == poolScatterPrim {
			vs = ys
		}
		for _, extra := range [][]int{nil, {2}} { // v with leading dimensions of its own (batched tangents)
			for _, bat := range [][2]bool{{true, false}, {false, true}, {true, true}} {
				var args [2]Value
				args[0] = randVal(r, xs...)
				args[1] = randVal(r, append(append([]int(nil), extra...), vs...)...)
				for i := range args {
					if bat[i] {
						args[i] = randVal(r, lead(k, args[i].Shape())...)
					}
				}
				what := fmt.Sprintf("%s, v's extra dimensions %v, batched %v", p.name, extra, bat)
				one := func(a, b Value) Value { return bind(p, prm, a, b) }
				got := vmapPool(p, args[:], bat[:], prm, k).Tensor()
				closeT(t, what, got, loopOf(one, args, bat, k))
			}
		}
	}
}
