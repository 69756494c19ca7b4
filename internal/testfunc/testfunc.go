// Package testfunc holds the reference functions that chainrule's tests,
// benchmarks and side-by-side harness share: the Rosenbrock function in
// vector and scalar form with its hand-derived gradient, and the chain of
// tanh(W·h) layers used to measure checkpointing.
package testfunc

import "github.com/chainrule/chainrule/ad"

// RosenbrockVector returns Σ 100(x[1:] − x[:−1]²)² + (1 − x[:−1])² for a 1-d
// x, written with vector ops.
func RosenbrockVector(x ad.Value) ad.Value {
	n := x.Size()
	a, b := ad.Slice(x, 0, 0, n-1), ad.Slice(x, 0, 1, n)
	t1 := ad.Mul(ad.Scalar(100), ad.Square(ad.Sub(b, ad.Square(a))))
	t2 := ad.Square(ad.Sub(ad.Scalar(1), a))
	return ad.Sum(ad.Add(t1, t2), false)
}

// RosenbrockScalar returns the same function of the scalars xs, written one
// scalar op at a time with ordinary Go control flow (about 8 ops a term).
func RosenbrockScalar(xs []ad.Value) ad.Value {
	s := ad.Scalar(0)
	for i := 0; i+1 < len(xs); i++ {
		d := ad.Sub(xs[i+1], ad.Mul(xs[i], xs[i]))
		e := ad.Sub(ad.Scalar(1), xs[i])
		s = ad.Add(s, ad.Add(ad.Mul(ad.Scalar(100), ad.Mul(d, d)), ad.Mul(e, e)))
	}
	return s
}

// RosenbrockHand returns the Rosenbrock function at x and writes its
// hand-derived gradient into g (of x's length): the physical limit for
// scalar code.
func RosenbrockHand(x, g []float64) float64 {
	clear(g)
	s := 0.0
	for i := 0; i+1 < len(x); i++ {
		d := x[i+1] - x[i]*x[i]
		e := 1 - x[i]
		s += 100*d*d + e*e
		g[i] += -400*d*x[i] - 2*e
		g[i+1] += 200 * d
	}
	return s
}

// TanhChain returns Σ h_L for h_{k+1} = layer(h_k) over the given number
// of layers, plainly and with every run of seg layers under ad.Checkpoint
// (the remainder plain).
func TanhChain(layer func(ad.Value) ad.Value, layers, seg int) (plain, checkpointed func([]ad.Value) ad.Value) {
	segment := ad.Checkpoint(func(xs []ad.Value) ad.Value {
		h := xs[0]
		for i := 0; i < seg; i++ {
			h = layer(h)
		}
		return h
	})
	plain = func(xs []ad.Value) ad.Value {
		h := xs[0]
		for i := 0; i < layers; i++ {
			h = layer(h)
		}
		return ad.Sum(h, false)
	}
	checkpointed = func(xs []ad.Value) ad.Value {
		h := xs[0]
		i := 0
		for ; i+seg <= layers; i += seg {
			h = segment(h)
		}
		for ; i < layers; i++ {
			h = layer(h)
		}
		return ad.Sum(h, false)
	}
	return plain, checkpointed
}
