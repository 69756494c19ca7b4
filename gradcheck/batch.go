package gradcheck

import (
	"fmt"
	"slices"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// CheckBatchedVJP checks batched reverse mode, ad.VJPBatch, for op at args.
// With k = 1 and 3 random cotangents it must give the same primal and, row
// by row, the same cotangents as k separate ad.VJP pull-backs, to relative
// tolerance tol (0 for ExactTol); each row must pass the dot-product test
// <VJPBatch(U)_d, v> = <U_d, J·v> against central differences (DefaultTol).
// Its second order is checked against the per-row loop too: the gradient
// of Σ_d <VJPBatch(U)_d, W_d> (reverse over batched reverse) and its JVP
// (forward over batched reverse). In float32 (arguments rounded) its rows
// must match float64's to 1e-4. For a Constant op every cotangent must be
// exactly 0.
func CheckBatchedVJP(tb TB, op Op, args []*tensor.Tensor, tol float64) bool {
	tb.Helper()
	if tol == 0 {
		tol = ExactTol
	}
	c := newChecker(tb, op, "batched reverse", args, tol)
	defer c.catch()
	y0, ok := c.start()
	if !ok {
		return false
	}
	xs := values(args)
	_, pull1 := ad.VJP(c.fn(), xs...)
	var jv []float64 // J·v by central differences, for the dot-product test
	v := c.directions()
	if !op.Constant {
		jv = c.fdDir(v)
	}
	for _, k := range []int{1, 3} {
		y, pull := ad.VJPBatch(c.fn(), xs...)
		if !c.sameTensor("VJPBatch primal", y.Tensor(), y0) {
			return false
		}
		u := c.randn(y.DType(), append([]int{k}, y.Shape()...))
		gs := tensors(pull(ad.From(u)))
		for i, a := range args {
			want := append([]int{k}, a.Shape()...)
			if !slices.Equal(gs[i].Shape(), want) || gs[i].DType() != a.DType() {
				c.errorf("VJPBatch cotangent %d: %s %s, want %s %s", i, gs[i].DType(), tensor.ShapeString(gs[i].Shape()), a.DType(), tensor.ShapeString(want))
				return false
			}
		}
		if op.Constant {
			if !c.zero("VJPBatch cotangent", gs...) {
				return false
			}
			continue
		}
		for d := range k {
			ud := tensor.Slice(u, 0, d, d+1).Reshape(y.Shape()...)
			one := tensors(pull1(ad.From(ud)))
			rows := make([]*tensor.Tensor, len(args))
			for i, a := range args {
				rows[i] = tensor.Slice(gs[i], 0, d, d+1).Reshape(a.Shape()...)
				c.nearAll(fmt.Sprintf("VJPBatch row %d of %d, argument %d, against VJP", d, k, i),
					rows[i].Float64s(), one[i].Float64s(), c.tol)
			}
			c.nearOne(fmt.Sprintf("<VJPBatch row %d of %d, v> against <u, J·v> by central differences", d, k),
				innerAll(rows, v), innerFlat(ud, jv), max(DefaultTol, op.Tol))
		}
	}
	if op.Constant {
		return c.ok
	}
	c.batchedSecondOrder(y0)
	c.batchedFloat32(y0)
	return c.ok
}

// batchedSecondOrder differentiates s(x) = Σ_d <VJPBatch(U)_d, W_d> with
// respect to all arguments, by reverse mode and by forward mode along v,
// and compares both with the same function written as a loop of VJPs.
func (c *checker) batchedSecondOrder(y0 *tensor.Tensor) {
	const k = 3
	u := ad.From(c.randn(y0.DType(), append([]int{k}, y0.Shape()...)))
	ws := make([]ad.Value, len(c.args))
	for i, a := range c.args {
		ws[i] = ad.From(c.randn(a.DType(), append([]int{k}, a.Shape()...)))
	}
	batchedS := func(xs []ad.Value) ad.Value {
		_, pull := ad.VJPBatch(c.fn(), xs...)
		var s ad.Value
		for i, g := range pull(u) {
			t := ad.Sum(ad.Mul(g, ws[i]), false)
			if i == 0 {
				s = t
			} else {
				s = ad.Add(s, t)
			}
		}
		return s
	}
	loopS := func(xs []ad.Value) ad.Value {
		_, pull := ad.VJP(c.fn(), xs...)
		var s ad.Value
		for d := range k {
			for i, g := range pull(ad.Reshape(ad.Slice(u, 0, d, d+1), y0.Shape()...)) {
				t := ad.Sum(ad.Mul(g, ad.Reshape(ad.Slice(ws[i], 0, d, d+1), c.args[i].Shape()...)), false)
				if d == 0 && i == 0 {
					s = t
				} else {
					s = ad.Add(s, t)
				}
			}
		}
		return s
	}
	xs := values(c.args)
	gb, gl := ad.Grads(batchedS, xs...), ad.Grads(loopS, xs...)
	for i := range gb {
		c.nearAll(fmt.Sprintf("Grad of Σ<VJPBatch(U), W>, argument %d, against a loop of VJPs", i),
			gb[i].Tensor().Float64s(), gl[i].Tensor().Float64s(), c.exact)
	}
	v := values(c.directions())
	_, tb := ad.JVP(batchedS, xs, v)
	_, tl := ad.JVP(loopS, xs, v)
	c.nearOne("JVP of Σ<VJPBatch(U), W> against a loop of VJPs", tb.Item(), tl.Item(), c.exact)
}

// batchedFloat32 compares VJPBatch in float32 with float64 at the
// arguments rounded to float32.
func (c *checker) batchedFloat32(y0 *tensor.Tensor) {
	a32 := make([]*tensor.Tensor, len(c.args))
	a64 := make([]*tensor.Tensor, len(c.args))
	for i, a := range c.args {
		a32[i] = a.As(tensor.Float32)
		a64[i] = a32[i].As(tensor.Float64)
	}
	y32, pull32 := ad.VJPBatch(c.fn(), values(a32)...)
	y64, pull64 := ad.VJPBatch(c.fn(), values(a64)...)
	u := c.randn(y64.DType(), append([]int{3}, y0.Shape()...))
	g32, g64 := tensors(pull32(ad.From(u.As(y32.DType())))), tensors(pull64(ad.From(u)))
	for i := range g32 {
		if g32[i].DType() != tensor.Float32 {
			c.errorf("float32 VJPBatch argument %d has dtype %s", i, g32[i].DType())
			continue
		}
		c.nearAll(fmt.Sprintf("float32 VJPBatch argument %d against float64", i), g32[i].Float64s(), g64[i].Float64s(), max(1e-4, c.op.Tol))
	}
}
