package ad_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/internal/testfunc"
	"github.com/chainrule/chainrule/tensor"
)

// vjpRows pulls each row of cts back through VJP's pull-back separately
// and stacks the results: the per-row loop VJPBatch must agree with.
func vjpRows(f func([]ad.Value) ad.Value, xs []ad.Value, cts *tensor.Tensor) []*tensor.Tensor {
	y, pull := ad.VJP(f, xs...)
	k := cts.Shape()[0]
	rows := make([][]ad.Value, len(xs))
	for d := 0; d < k; d++ {
		for i, g := range pull(ad.From(tensor.Slice(cts, 0, d, d+1).Reshape(y.Shape()...))) {
			rows[i] = append(rows[i], g)
		}
	}
	out := make([]*tensor.Tensor, len(xs))
	for i := range xs {
		out[i] = ad.Stack(0, rows[i]...).Tensor()
	}
	return out
}

// TestVJPBatchAgainstLoop: functions that exercise broadcasting of every
// kind, scalar arguments, first-order scalar code, a custom rule, a
// checkpoint, an argument the output does not depend on and an output that
// depends on nothing, in float64 and float32, against a loop of VJPs.
func TestVJPBatchAgainstLoop(t *testing.T) {
	thrice := func(v ad.Value) ad.Value { return ad.Add(v, ad.Add(v, v)) } // no constant: any dtype
	cube := ad.Custom("cube",
		func(xs []ad.Value) ad.Value { return ad.Mul(xs[0], ad.Square(xs[0])) },
		func(p, tg []ad.Value) ad.Value { return ad.Mul(tg[0], thrice(ad.Square(p[0]))) },
		func(p []ad.Value, _, ct ad.Value) []ad.Value {
			return []ad.Value{ad.Mul(ct, thrice(ad.Square(p[0])))}
		})
	w := tensor.RandN(seeded(1), 4, 3)
	layer := ad.Checkpoint(func(xs []ad.Value) ad.Value { return ad.Tanh(ad.MatMul(ad.From(w.As(xs[0].DType())), xs[0])) })
	cases := []struct {
		name string
		f    func([]ad.Value) ad.Value
		xs   [][]int
	}{
		{"broadcast", func(x []ad.Value) ad.Value { // (2,3) with (3), (2,1) and a scalar
			return ad.Mul(ad.Add(x[0], x[1]), ad.Sub(ad.Exp(x[2]), x[3]))
		}, [][]int{{2, 3}, {3}, {2, 1}, {}}},
		{"scalar code", func(x []ad.Value) ad.Value {
			return ad.Mul(ad.Sin(x[0]), ad.Add(x[1], ad.Square(x[0])))
		}, [][]int{{}, {}}},
		{"reductions and shapes", func(x []ad.Value) ad.Value {
			a := ad.Softmax(ad.MatMul(ad.MT(x[0]), x[0]), 1)
			b := ad.Concat(0, ad.Max(x[0], true, 0), ad.Slice(x[0], 0, 1, 2))
			return ad.Add(ad.Sum(a, false, 0), ad.Prod(ad.Pad(b, 1, 0, 0), false, 0))
		}, [][]int{{2, 3}}},
		{"gather", func(x []ad.Value) ad.Value {
			return ad.Mul(ad.TakeAlong(x[0], 1, []int{2, 0, 0, 1}), ad.Take(x[1], 0, []int{1, 1}))
		}, [][]int{{2, 3}, {2, 2}}},
		{"custom and checkpoint", func(x []ad.Value) ad.Value {
			return ad.Add(cube(layer(x[0])), ad.Sum(x[1], false))
		}, [][]int{{3}, {2}}},
		{"unused argument", func(x []ad.Value) ad.Value { return ad.Square(x[0]) }, [][]int{{3}, {2, 2}}},
		{"constant output", func(x []ad.Value) ad.Value { return ad.From(x[0].DType().Ones(2)) }, [][]int{{3}}},
	}
	for _, dt := range []tensor.DType{tensor.Float64, tensor.Float32} {
		for _, c := range cases {
			t.Run(c.name+"/"+dt.String(), func(t *testing.T) {
				xs := make([]ad.Value, len(c.xs))
				for i, s := range c.xs {
					xs[i] = ad.From(dt.RandN(seeded(uint64(10+i)), s...))
				}
				tol := 1e-12
				if dt == tensor.Float32 { // the batched products may sum in another order
					tol = 1e-5
				}
				y, pull := ad.VJPBatch(c.f, xs...)
				for _, k := range []int{1, 4} {
					cts := dt.RandN(seeded(99), append([]int{k}, y.Shape()...)...)
					gs := pull(ad.From(cts))
					want := vjpRows(c.f, xs, cts)
					for i := range xs {
						if gs[i].DType() != dt {
							t.Errorf("argument %d: dtype %v", i, gs[i].DType())
						}
						nearT(t, fmt.Sprintf("k=%d argument %d", k, i), gs[i].Tensor(), want[i], tol)
					}
				}
			})
		}
	}
}

// w5 is the W5 benchmark function tanh(W·sin x) and its Jacobian in closed
// form (w5Jac).
func w5(m, n int) (f func(ad.Value) ad.Value, x *tensor.Tensor, jac *tensor.Tensor) {
	w := tensor.RandN(seeded(5), m, n)
	x = tensor.RandN(seeded(6), n)
	f = func(x ad.Value) ad.Value { return ad.Tanh(ad.MatMul(ad.From(w), ad.Sin(x))) }
	return f, x, w5Jac(w, x)
}

// w5Jac returns the Jacobian of tanh(W·sin x) in closed form,
// diag(1 − tanh²(W·sin x))·W·diag(cos x), element by element.
func w5Jac(w, x *tensor.Tensor) *tensor.Tensor {
	m, n := w.Shape()[0], w.Shape()[1]
	jac := tensor.Zeros(m, n)
	for i := 0; i < m; i++ {
		z := 0.0
		for j := 0; j < n; j++ {
			z += w.At(i, j) * math.Sin(x.AtFlat(j))
		}
		th := math.Tanh(z)
		for j := 0; j < n; j++ {
			jac.Set(w.At(i, j)*math.Cos(x.AtFlat(j))*(1-th*th), i, j)
		}
	}
	return jac
}

// TestJacRevBatchedClosedForm: JacRev and Jacobian(Auto), which pull all
// rows back in one batched sweep, against the closed form, in both shapes
// of the W5 workload (the tall one takes the matrix-times-vector fold of
// matmul's batched rule).
func TestJacRevBatchedClosedForm(t *testing.T) {
	for _, s := range [][2]int{{7, 3}, {3, 40}} {
		f, x, want := w5(s[0], s[1])
		nearT(t, fmt.Sprintf("JacRev %v", s), ad.JacRev(f, ad.From(x)).Tensor(), want, 1e-13)
		j, _ := ad.Jacobian(f, ad.From(x), ad.Auto)
		nearT(t, fmt.Sprintf("Jacobian(Auto) %v", s), j.Tensor(), want, 1e-13)
	}
	// float32: against the float64 closed form at the rounded point
	w := tensor.RandN(seeded(5), 3, 40)
	x := tensor.RandN(seeded(6), 40).As(tensor.Float32)
	f32 := func(x ad.Value) ad.Value { return ad.Tanh(ad.MatMul(ad.From(w.As(tensor.Float32)), ad.Sin(x))) }
	f64 := func(x ad.Value) ad.Value {
		return ad.Tanh(ad.MatMul(ad.From(w.As(tensor.Float32).As(tensor.Float64)), ad.Sin(x)))
	}
	j32 := ad.JacRev(f32, ad.From(x))
	if j32.DType() != tensor.Float32 {
		t.Fatalf("float32 JacRev has dtype %v", j32.DType())
	}
	nearT(t, "float32 JacRev", j32.Tensor().As(tensor.Float64), ad.JacFwd(f64, ad.From(x.As(tensor.Float64))).Tensor(), 1e-5)
}

// TestHessianBatchedReverse: Hessian, reverse over batched reverse, of
// s(x) = Σ c·tanh(W·x) against its closed form Wᵀ·diag(c·tanh”(W·x))·W
// (the batched sweep runs through matmul's transposed reverse rules), and
// of the Rosenbrock function against the hand-derived one.
func TestHessianBatchedReverse(t *testing.T) {
	const m, n = 5, 4
	w, c, x := tensor.RandN(seeded(1), m, n), tensor.RandN(seeded(2), m), tensor.RandN(seeded(3), n)
	s := func(x ad.Value) ad.Value {
		return ad.Sum(ad.Mul(ad.From(c), ad.Tanh(ad.MatMul(ad.From(w), x))), false)
	}
	want := tensor.Zeros(n, n)
	for r := 0; r < m; r++ {
		z := 0.0
		for j := 0; j < n; j++ {
			z += w.At(r, j) * x.AtFlat(j)
		}
		th := math.Tanh(z)
		d2 := c.AtFlat(r) * (-2 * th * (1 - th*th))
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				want.Set(want.At(i, j)+w.At(r, i)*d2*w.At(r, j), i, j)
			}
		}
	}
	nearT(t, "Hessian of Σ c·tanh(W·x)", ad.Hessian(s, ad.From(x)).Tensor(), want, 1e-13)
	// the matrix form: X of shape (2,2) through X·W-like products
	xm := tensor.RandN(seeded(4), 2, 2)
	sm := func(x ad.Value) ad.Value { return ad.Sum(ad.Tanh(ad.MatMul(x, ad.MT(x))), false) }
	hr := ad.Hessian(sm, ad.From(xm)).Tensor()
	hf := ad.JacFwd(func(y ad.Value) ad.Value { return ad.Grad(sm, y) }, ad.From(xm)).Tensor()
	nearT(t, "Hessian of Σ tanh(X·Xᵀ) against forward-over-reverse", hr, hf, 1e-12)

	xr := tensor.Rand(seeded(7), -1, 1, 30)
	h := ad.Hessian(rosenN, ad.From(xr)).Tensor()
	wantR := tensor.Zeros(30, 30)
	for i := 0; i+1 < 30; i++ { // Σ 100(x_{i+1} − x_i²)² + (1 − x_i)²
		a, b := xr.AtFlat(i), xr.AtFlat(i+1)
		wantR.Set(wantR.At(i, i)+1200*a*a-400*b+2, i, i)
		wantR.Set(wantR.At(i+1, i+1)+200, i+1, i+1)
		wantR.Set(-400*a, i, i+1)
		wantR.Set(-400*a, i+1, i)
	}
	nearT(t, "Hessian of Rosenbrock n=30", h, wantR, 1e-12)
}

// TestVJPBatchCustomRulePerRow: a custom vjp rule is written for one
// cotangent, so VJPBatch calls it once per row.
func TestVJPBatchCustomRulePerRow(t *testing.T) {
	calls := 0
	double := ad.Custom("double",
		func(xs []ad.Value) ad.Value { return ad.Mul(xs[0], ad.Scalar(2)) },
		func(_, tg []ad.Value) ad.Value { return ad.Mul(tg[0], ad.Scalar(2)) },
		func(_ []ad.Value, _, ct ad.Value) []ad.Value {
			calls++
			if ct.Rank() != 1 {
				t.Errorf("custom rule saw a cotangent of shape %v", ct.Shape())
			}
			return []ad.Value{ad.Mul(ct, ad.Scalar(2))}
		})
	_, pull := ad.VJPBatch(func(xs []ad.Value) ad.Value { return double(xs[0]) }, ad.From(tensor.Ones(3)))
	g := pull(ad.From(tensor.Eye(3)))[0]
	nearT(t, "custom rule rows", g.Tensor(), tensor.Map(tensor.Eye(3), func(v float64) float64 { return 2 * v }), 0)
	if calls != 3 {
		t.Errorf("custom vjp rule called %d times for 3 rows", calls)
	}
}

// TestVJPBatchErrors: a cotangent without the batch dimension, of the
// wrong shape or dtype panics with tensor.ErrShape naming vjp_batch.
func TestVJPBatchErrors(t *testing.T) {
	_, pull := ad.VJPBatch(func(xs []ad.Value) ad.Value { return ad.Sin(xs[0]) }, ad.From(tensor.Ones(2, 3)))
	for name, ct := range map[string]*tensor.Tensor{
		"no batch dimension": tensor.Ones(2, 3),
		"wrong shape":        tensor.Ones(4, 3, 2),
		"wrong dtype":        tensor.Float32.Ones(4, 2, 3),
	} {
		err := tensor.Maybe(func() { pull(ad.From(ct)) })
		if !errors.Is(err, tensor.ErrShape) {
			t.Errorf("%s: %v, want ErrShape", name, err)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "chainrule: vjp_batch: ") {
			t.Errorf("%s: message %q does not name vjp_batch", name, err)
		}
	}
}

// TestVJPBatchNoCotangents: k = 0 gives empty stacks of each argument's
// shape, as k separate pull-backs would.
func TestVJPBatchNoCotangents(t *testing.T) {
	f := func(xs []ad.Value) ad.Value { return ad.Mul(ad.Sin(xs[0]), xs[1]) }
	_, pull := ad.VJPBatch(f, ad.From(tensor.RandN(seeded(1), 2, 3)), ad.From(tensor.RandN(seeded(2), 3)))
	gs := pull(ad.From(tensor.Zeros(0, 2, 3)))
	for i, want := range [][]int{{0, 2, 3}, {0, 3}} {
		if got := gs[i].Shape(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("argument %d: shape %v, want %v", i, got, want)
		}
	}
}

// TestJVPBatchMatMulFolded: JVPBatch folds a batch of directions through a
// matrix product into one product (foldBatchJVP); each shape it folds, and
// one it does not, against closed forms computed element by element.
func TestJVPBatchMatMulFolded(t *testing.T) {
	const m, k, n, d = 5, 4, 3, 6
	r := seeded(21)
	W, X, B := tensor.RandN(r, m, k), tensor.RandN(r, k, n), tensor.RandN(r, k, n)
	x := tensor.RandN(r, k)
	at := func(a *tensor.Tensor, i ...int) float64 { return a.At(i...) }
	// tanh(W·sin x), directions the identity: J = diag(1−y²)·W·diag(cos x)
	f := func(xs []ad.Value) ad.Value { return ad.Tanh(ad.MatMul(ad.From(W), ad.Sin(xs[0]))) }
	_, tan := ad.JVPBatch(f, []ad.Value{ad.From(x)}, []ad.Value{ad.From(tensor.Eye(k))})
	want := tensor.Transpose(w5Jac(W, x), 1, 0) // direction j is column j
	nearT(t, "W·x: tangents", tan.Tensor(), want, 1e-13)

	// random directions dX of a matrix, on either side of a product
	dX := tensor.RandN(r, d, k, n)
	prod := func(a, b *tensor.Tensor, p, q int) *tensor.Tensor { // a (…)·b for direction p of dX on side q
		rows, inner, cols := a.Shape()[0], a.Shape()[1], b.Shape()[1]
		out := tensor.Zeros(rows, cols)
		for i := 0; i < rows; i++ {
			for j := 0; j < cols; j++ {
				s := 0.0
				for l := 0; l < inner; l++ {
					u, v := at(a, i, l), at(b, l, j)
					if q == 0 {
						u = at(dX, p, i, l)
					} else {
						v = at(dX, p, l, j)
					}
					s += u * v
				}
				out.Set(s, i, j)
			}
		}
		return out
	}
	for _, c := range []struct {
		name string
		f    func(v ad.Value) ad.Value
		want func(p int) *tensor.Tensor
	}{
		{"dX·Bᵀ (tangent of the left operand)", func(v ad.Value) ad.Value { return ad.MatMul(v, ad.MT(ad.From(B))) },
			func(p int) *tensor.Tensor { return prod(X, tensor.Transpose(B, 1, 0), p, 0) }},
		{"W·dX (several columns: not folded)", func(v ad.Value) ad.Value { return ad.MatMul(ad.From(W), v) },
			func(p int) *tensor.Tensor { return prod(W, X, p, 1) }},
	} {
		_, tan := ad.JVPBatch(func(xs []ad.Value) ad.Value { return c.f(xs[0]) }, []ad.Value{ad.From(X)}, []ad.Value{ad.From(dX)})
		for p := 0; p < d; p++ {
			nearT(t, c.name, tensor.Slice(tan.Tensor(), 0, p, p+1).Reshape(c.want(p).Shape()...), c.want(p), 1e-13)
		}
	}

	// forward over reverse: the transposed products of matmul's reverse
	// rule, batched. The Hessian of Σ tanh(W·x) is Wᵀ·diag(−2y(1−y²))·W.
	g := func(xs []ad.Value) ad.Value {
		return ad.Grad(func(v ad.Value) ad.Value { return ad.Sum(ad.Tanh(ad.MatMul(ad.From(W), v)), false) }, xs[0])
	}
	_, h := ad.JVPBatch(g, []ad.Value{ad.From(x)}, []ad.Value{ad.From(tensor.Eye(k))})
	wx := tensor.MatMul(W, x.Reshape(k, 1))
	hw := tensor.Zeros(k, k)
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			s := 0.0
			for l := 0; l < m; l++ {
				yl := math.Tanh(wx.At(l, 0))
				s += at(W, l, i) * -2 * yl * (1 - yl*yl) * at(W, l, j)
			}
			hw.Set(s, i, j)
		}
	}
	nearT(t, "Hessian by forward over reverse", h.Tensor(), hw, 1e-12)
}

// TestJVPManyDuals: a JVP of scalar code records thousands of duals, past
// the small first chunk and its doublings (pushDual) and into later
// chunks; the directional derivative against the hand-derived gradient.
func TestJVPManyDuals(t *testing.T) {
	const n = 500 // about 8 duals a term
	r := seeded(22)
	x, v := make([]float64, n), make([]float64, n)
	xs, vs := make([]ad.Value, n), make([]ad.Value, n)
	for i := range xs {
		x[i], v[i] = 2*r.Float64()-1, r.NormFloat64()
		xs[i], vs[i] = ad.Scalar(x[i]), ad.Scalar(v[i])
	}
	g := make([]float64, n)
	want := testfunc.RosenbrockHand(x, g)
	dot := 0.0
	for i := range g {
		dot += g[i] * v[i]
	}
	y, d := ad.JVP(testfunc.RosenbrockScalar, xs, vs)
	near(t, "value", y.Item(), want, 1e-14)
	near(t, "directional derivative", d.Item(), dot, 1e-12)
}

// TestJacobianForwardRecyclesOnlyItsOwn: Jacobian's forward branch hands
// the batched tangent back to the storage cache after transposing it.
// Jacobians kept from earlier calls, and a tangent a custom rule returns
// from storage the caller holds, must survive later calls and a cache
// filled with garbage; every result against its closed form.
func TestJacobianForwardRecyclesOnlyItsOwn(t *testing.T) {
	const n, m = 10, 1000 // the batched tangent is large enough to be cached
	r := seeded(23)
	W := tensor.RandN(r, m, n)
	f := func(x ad.Value) ad.Value { return ad.Tanh(ad.MatMul(ad.From(W), ad.Sin(x))) }
	garbage := func() {
		for range 8 {
			for _, size := range []int{n * m, 5000} {
				g := tensor.Uninitialized(tensor.Float64, []int{size})
				for i := range g.Data() {
					g.Data()[i] = math.NaN()
				}
				tensor.Recycle(g)
			}
		}
	}
	var xs []*tensor.Tensor
	var js []ad.Value
	for range 4 {
		x := tensor.RandN(r, n)
		j, mode := ad.Jacobian(f, ad.From(x), ad.Forward)
		if mode != ad.Forward {
			t.Fatalf("mode %v", mode)
		}
		xs, js = append(xs, x), append(js, j)
		garbage()
	}
	for i := range js {
		nearT(t, fmt.Sprintf("Jacobian %d after later calls", i), js[i].Tensor(), w5Jac(W, xs[i]), 1e-13)
	}

	// one input: the transpose of the (1, 5000) tangent may share its
	// storage, which must then not be recycled
	v := tensor.RandN(r, 5000)
	g := func(x ad.Value) ad.Value { return ad.Mul(ad.From(v), ad.Sin(x)) }
	var ones []ad.Value
	for range 3 {
		j, _ := ad.Jacobian(g, ad.Scalar(0.5), ad.Forward)
		ones = append(ones, j)
		garbage()
	}
	for i, j := range ones {
		nearT(t, fmt.Sprintf("one-input Jacobian %d", i), j.Tensor(), tensor.Map(v, func(u float64) float64 { return u * math.Cos(0.5) }), 1e-15)
	}

	// a custom rule whose tangent is storage the caller keeps
	held := tensor.RandN(r, 5000)
	want := held.Clone()
	c := ad.Custom("held", func(xs []ad.Value) ad.Value { return ad.Mul(ad.From(held), xs[0]) },
		func(_, tg []ad.Value) ad.Value { return ad.From(held) },
		func(_ []ad.Value, _, ct ad.Value) []ad.Value {
			return []ad.Value{ad.Sum(ad.Mul(ct, ad.From(held)), false)}
		})
	j, _ := ad.Jacobian(func(x ad.Value) ad.Value { return c(x) }, ad.Scalar(2), ad.Forward)
	garbage()
	nearT(t, "custom Jacobian", j.Tensor(), want, 0)
	nearT(t, "storage the custom rule returned", held, want, 0)
}
