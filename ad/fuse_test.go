package ad_test

import (
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// Operands broadcast along leading or trailing axes — a bias row, a
// per-row statistic, a per-position scale — join fused groups: a layer
// normalization and a biased GELU, value and gradients, in float32 and
// float64, with blocks that cut the broadcast runs and with the default
// ones, with a mask and a comparison among the members, replayed at new inputs, equal eager evaluation bit for bit; an
// operand broadcast along an axis between two that are not (N×1×E against
// N×L×E) stays outside the groups and is still right.
func TestCompileFusesBroadcasts(t *testing.T) {
	f := func(xs []ad.Value) ad.Value {
		x, w, b, pos, col := xs[0], xs[1], xs[2], xs[3], xs[4] // N×L×E, E, E, L×1, N×1×E
		e := float64(x.Shape()[2])
		mu := ad.Div(ad.Sum(x, true, 2), e)
		c := ad.Sub(x, mu)
		v := ad.Div(ad.Sum(ad.Square(c), true, 2), e)
		h := ad.Add(ad.Mul(ad.Div(c, ad.Sqrt(ad.Add(v, 1e-5))), w), b)
		h = ad.GELU(ad.Add(ad.Mul(h, pos), b))
		h = ad.Add(ad.Relu(h), ad.Mul(ad.Greater(h, w), h)) // a mask and a comparison, fused too
		return ad.Sum(ad.Mul(ad.Mul(h, col), h), false)
	}
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
		for _, forced := range []bool{true, false} {
			n, l, e := 4, 64, 32
			restore := func() {}
			if forced {
				n, l, e = 2, 3, 5
				restore = ad.SetFusion(1, 7)
			}
			in := func(seed uint64) []ad.Value {
				var vs []ad.Value
				for i, s := range [][]int{{n, l, e}, {e}, {e}, {l, 1}, {n, 1, e}} {
					vs = append(vs, ad.From(dt.RandN(seeded(seed+uint64(i)), s...)))
				}
				return vs
			}
			prog := ad.Compile(valueAndGrads(f), in(1)...)
			v := prog.View()
			fusedReads := map[int]bool{} // inputs read inside groups
			for _, in := range v.Instrs {
				for _, a := range in.Args {
					if in.Group >= 0 && a < len(v.Inputs) {
						fusedReads[a] = true
					}
				}
			}
			if !fusedReads[1] || !fusedReads[2] || !fusedReads[3] || fusedReads[4] {
				t.Errorf("%s: inputs read inside fused groups %v, want 1, 2, 3 (w, b, pos) and not 4 (N×1×E):\n%s", dt, fusedReads, prog)
			}
			for _, op := range []string{"gelu_grad", "relu_mask", "greater"} {
				if !slices.ContainsFunc(v.Instrs, func(in ad.Instr) bool { return in.Op == op && in.Group >= 0 }) {
					t.Errorf("%s: %s is not fused:\n%s", dt, op, prog)
				}
			}
			for seed := uint64(10); seed < 30; seed += 10 {
				xs := in(seed)
				got := prog.Run(xs...)
				want := valueAndGrads(f)(xs)
				for i := range want {
					nearT(t, dt.String()+" fused broadcast output", got[i].Tensor(), want[i].Tensor(), 0)
				}
			}
			restore()
		}
	}
}

// A fused result may be written in place over an operand that dies in its
// group (x·x + x over a matrix product's storage, y + 0.5·x too, though
// only its first member reads x: the sum and the scaling in one pass, as
// x − c·y and y·c + x are), never over one that an
// instruction the group passed over reads afterwards (a sum of the product,
// recorded between the members): replayed three times (each run reusing
// the storage the last one recycled) and by eight goroutines at once, both
// programs equal eager evaluation bit for bit, in both dtypes, with tiny
// blocks and default ones.
func TestCompileFusesInPlace(t *testing.T) {
	inPlace := func(xs []ad.Value) []ad.Value {
		a, b := ad.MatMul(xs[0], xs[1]), ad.MatMul(xs[1], xs[0])
		c := ad.From(xs[0].DType().Scalar(-0.3))
		return []ad.Value{ad.Sum(ad.Add(ad.Mul(a, a), a), true, 1), ad.Mul(ad.Tanh(xs[0]), xs[0]),
			ad.Add(xs[0], ad.Mul(b, 0.5)),                                                    // b, read by the first member only, holds the second's result
			ad.Sub(xs[1], ad.Mul(c, ad.Exp(xs[0]))), ad.Add(ad.Mul(ad.Sin(xs[1]), c), xs[1])} // x − c·y, y·c + x
	}
	passedOver := func(xs []ad.Value) []ad.Value {
		a := ad.MatMul(xs[0], xs[1])
		e := ad.Exp(a)
		s := ad.Sum(a, true, 1) // recorded between the members, run after them
		return []ad.Value{ad.Add(ad.Sum(ad.Mul(a, e), true, 1), s)}
	}
	for _, dt := range []tensor.DType{tensor.Float32, tensor.Float64} {
		for _, forced := range []bool{true, false} {
			n := 64
			restore := func() {}
			if forced {
				n = 6
				restore = ad.SetFusion(1, 5)
			}
			in := func(seed uint64) []ad.Value {
				return []ad.Value{ad.From(dt.RandN(seeded(seed), n, n)), ad.From(dt.RandN(seeded(seed+1), n, n))}
			}
			for _, c := range []struct {
				name    string
				f       func([]ad.Value) []ad.Value
				aliased int
				axpys   int
			}{{"in place", inPlace, 2, 3}, {"passed over", passedOver, 0, 0}} {
				prog := ad.Compile(c.f, in(1)...)
				if got := prog.Aliased(); got != c.aliased {
					t.Errorf("%s %s: %d results written in place, want %d:\n%s", dt, c.name, got, c.aliased, prog)
				}
				if got, want := prog.Axpys(), c.axpys; got != want {
					t.Errorf("%s %s: %d members compute x ± y·c in one pass, want %d:\n%s", dt, c.name, got, want, prog)
				}
				for seed := uint64(10); seed < 40; seed += 10 {
					xs := in(seed)
					got, want := prog.Run(xs...), c.f(xs)
					for i := range want {
						nearT(t, dt.String()+" "+c.name, got[i].Tensor(), want[i].Tensor(), 0)
					}
				}
				xs := in(50)
				want := c.f(xs)
				var wg sync.WaitGroup
				for range 8 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for range 3 {
							got := prog.Run(xs...)
							for i := range want {
								nearT(t, dt.String()+" "+c.name+" concurrent", got[i].Tensor(), want[i].Tensor(), 0)
							}
						}
					}()
				}
				wg.Wait()
			}
			restore()
		}
	}
}

// Relu's reverse rule reads its mask off the output, as PyTorch's
// threshold_backward(grad, result) does, so that a compiled training step
// keeps no pre-activation: the gradient of Σ relu(x + b)·w, compiled, reads
// relu_mask of the relu's result, and its pre-activation x + b lives only
// in the fused group's scratch. The gradient equals the closed form
// w·[x + b > 0] (summed over rows for b), at inputs with exact zeros, a NaN
// and infinities, whose masks are the same read off x + b or relu(x + b).
func TestReluMaskReadsOutput(t *testing.T) {
	const n, c = 64, 96 // 6144 elements: over the fusion threshold
	f := func(xs []ad.Value) ad.Value {
		return ad.Sum(ad.Mul(ad.Relu(ad.Add(xs[0], xs[1])), xs[2]), false)
	}
	grads := func(xs []ad.Value) []ad.Value {
		_, gs := ad.ValueAndGrads(f, xs...)
		return gs
	}
	x, b, w := tensor.RandN(seeded(1), n, c), tensor.RandN(seeded(2), c), tensor.RandN(seeded(3), n, c)
	xd := x.Data()
	xd[0], xd[1], xd[2], xd[3], xd[4] = 0, math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1)
	for j := range 5 { // zero pre-activations: x + b = ±0 exactly
		xd[c+j] = -b.Data()[j]
	}
	in := []ad.Value{ad.From(x), ad.From(b), ad.From(w)}
	prog := ad.Compile(func(xs []ad.Value) []ad.Value { return grads(xs) }, in...)
	v := prog.View()
	relu := -1
	for _, ins := range v.Instrs {
		switch ins.Op {
		case "relu":
			relu = ins.Out
		case "relu_mask":
			if relu < 0 || ins.Args[0] != relu {
				t.Errorf("relu_mask reads r%d, not the relu's result r%d:\n%s", ins.Args[0], relu, prog)
			}
		}
	}
	if relu < 0 {
		t.Fatalf("no relu recorded:\n%s", prog)
	}
	// closed form: dx = w·[x+b > 0], db = Σ_rows dx, dw = relu(x+b)
	wantX, wantB, wantW := tensor.Zeros(n, c), tensor.Zeros(c), tensor.Zeros(n, c)
	for i := range n {
		for j := range c {
			z := xd[i*c+j] + b.Data()[j]
			if z > 0 {
				wantX.Data()[i*c+j] = w.Data()[i*c+j]
				wantB.Data()[j] += w.Data()[i*c+j]
				wantW.Data()[i*c+j] = z
			} else if z != z {
				wantW.Data()[i*c+j] = z
			}
		}
	}
	for name, gs := range map[string][]ad.Value{"eager": grads(in), "compiled": prog.Run(in...)} {
		nearT(t, name+" dx", gs[0].Tensor(), wantX, 0)
		nearT(t, name+" db", gs[1].Tensor(), wantB, 1e-12)
		nearT(t, name+" dw", gs[2].Tensor(), wantW, 0)
	}
}

// The chained kernels of relu, tanh, sigmoid, gelu and gelu_tanh (the local derivative
// times the cotangent or tangent in one pass, as PyTorch's
// threshold_backward and tanh_backward) give the two-step chain's numbers
// bit for bit: reverse and forward mode, float32 and float64, with zeros
// of both signs, infinities, NaNs and huge values among the inputs and
// the cotangents, large enough to split over the cores. A second-order
// gradient, where the local rule's value is recorded, is checked against
// central differences of the first.
func TestChainedUnaryRules(t *testing.T) {
	specials := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), 1e300, -1e-300, 20, -20}
	data := func(seed uint64, n int) []float64 {
		r := seeded(seed)
		x := make([]float64, n)
		for i := range x {
			x[i] = 3 * r.NormFloat64()
			if r.IntN(4) == 0 {
				x[i] = specials[r.IntN(len(specials))]
			}
		}
		return x
	}
	const n = 20000
	bits := func(t *tensor.Tensor) []uint64 {
		out := make([]uint64, t.Size())
		for i := range out {
			v := t.AtFlat(i)
			if v != v {
				out[i] = 1 // any NaN
			} else {
				out[i] = math.Float64bits(v)
			}
		}
		return out
	}
	for _, f := range []struct {
		name string
		f    func(ad.Value) ad.Value
	}{{"relu", ad.Relu}, {"tanh", ad.Tanh}, {"sigmoid", ad.Sigmoid}, {"gelu", ad.GELU}, {"gelu_tanh", ad.GELUTanh}} {
		for _, d := range []tensor.DType{tensor.Float64, tensor.Float32} {
			x := ad.From(tensor.New(data(1, n), n).As(d))
			ct := ad.From(tensor.New(data(2, n), n).As(d))
			run := func() (vjp, jvp *tensor.Tensor) {
				_, back := ad.VJP(f.f, x)
				_, tan := ad.JVP(f.f, []ad.Value{x}, []ad.Value{ct})
				return back(ct)[0].Tensor(), tan.Tensor()
			}
			v1, j1 := run()
			restore := ad.SetChaining(false)
			v2, j2 := run()
			restore()
			if !slices.Equal(bits(v1), bits(v2)) || !slices.Equal(bits(j1), bits(j2)) {
				for i := range n {
					if bits(v1)[i] != bits(v2)[i] || bits(j1)[i] != bits(j2)[i] {
						t.Errorf("%s %s at x = %g, ct = %g: chained vjp %g jvp %g, two-step %g %g", f.name, d, x.Tensor().AtFlat(i), ct.Tensor().AtFlat(i),
							v1.AtFlat(i), j1.AtFlat(i), v2.AtFlat(i), j2.AtFlat(i))
						break
					}
				}
			}
		}
		// second order: d/dx of Σ f'(x)·w (the first derivative computed
		// through the chained kernel at the inner level only when untraced)
		xs := []float64{-1.3, -0.2, 0.4, 2.1}
		w := ad.From(tensor.New([]float64{0.5, -1, 2, 0.7}, 4))
		inner := func(x ad.Value) ad.Value {
			_, back := ad.VJP(f.f, x)
			return ad.Sum(ad.Mul(back(w)[0], w), false)
		}
		got := ad.Grad(inner, ad.From(tensor.New(xs, 4))).Tensor()
		want := fdGrad(func(v []float64) float64 { return inner(ad.From(tensor.New(v, 4))).Item() }, xs)
		for i := range want {
			near(t, f.name+" second derivative", got.AtFlat(i), want[i], 1e-6)
		}
	}
}
