package gradcheck

import (
	"fmt"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// CheckVmap checks ad.Vmap for op against a loop over the batch: with a
// batch of 3 points (args and two more samples of the op's domain) it maps
// every argument, and, for ops of several arguments, only the first (the
// others passed whole, ad.NotMapped). Row by row, to relative tolerance
// tol (0 for ExactTol), it compares the mapped op with the op on that
// point; per-example gradients, Vmap of Grads of <u, f>, with Grads on
// each point; and the gradient of a weighted sum of the mapped op (Grads
// of Vmap) with the sum of the rows' gradients.
func CheckVmap(tb TB, op Op, args []*tensor.Tensor, tol float64) bool {
	tb.Helper()
	if tol == 0 {
		tol = ExactTol
	}
	c := newChecker(tb, op, "vmap", args, tol)
	defer c.catch()
	y0, ok := c.start()
	if !ok {
		return false
	}
	const k = 3
	shapes := shapesOf(args)
	points := [][]*tensor.Tensor{args}
	for d := 1; d < k; d++ {
		points = append(points, op.Sample(c.rng.Uint64(), shapes))
	}
	u := ad.From(c.randn(y0.DType(), y0.Shape()))
	s := func(xs []ad.Value) ad.Value { return ad.Sum(ad.Mul(op.Fn(xs...), u), false) }
	masks := [][]bool{make([]bool, len(args))}
	for i := range masks[0] {
		masks[0][i] = true
	}
	if len(args) > 1 {
		first := make([]bool, len(args))
		first[0] = true
		masks = append(masks, first)
	}
	for _, mapped := range masks {
		axes := make([]int, len(args))
		in := make([]ad.Value, len(args))
		for i := range args {
			if !mapped[i] {
				axes[i] = ad.NotMapped
				in[i] = ad.From(args[i])
				continue
			}
			rows := make([]ad.Value, k)
			for d := range rows {
				rows[d] = ad.From(points[d][i])
			}
			in[i] = ad.Stack(0, rows...)
		}
		point := func(d int) []ad.Value {
			xs := make([]ad.Value, len(args))
			for i := range args {
				xs[i] = ad.From(args[i])
				if mapped[i] {
					xs[i] = ad.From(points[d][i])
				}
			}
			return xs
		}
		label := fmt.Sprintf("in-axes %v", axes)
		y := ad.Vmap(c.fn(), axes...)(in...).Tensor()
		grads := ad.Vmap(func(xs []ad.Value) ad.Value { return ad.Grads(s, xs...)[0] }, axes...)(in...).Tensor()
		w := ad.From(c.randn(y.DType(), y.Shape()))
		gv := ad.Grads(func(xs []ad.Value) ad.Value {
			return ad.Sum(ad.Mul(ad.Vmap(c.fn(), axes...)(xs...), w), false)
		}, in...)
		var sumGrad *tensor.Tensor // Σ_d of the rows' gradients of the unmapped first argument
		for d := range k {
			xs := point(d)
			c.nearAll(fmt.Sprintf("Vmap row %d against the op (%s)", d, label),
				tensor.Slice(y, 0, d, d+1).Float64s(), op.Fn(xs...).Tensor().Float64s(), c.tol)
			c.nearAll(fmt.Sprintf("Vmap of Grads row %d against Grads (%s)", d, label),
				tensor.Slice(grads, 0, d, d+1).Float64s(), ad.Grads(s, xs...)[0].Tensor().Float64s(), c.tol)
			wd := ad.Reshape(ad.Slice(w, 0, d, d+1), y0.Shape()...)
			gd := ad.Grads(func(xs []ad.Value) ad.Value { return ad.Sum(ad.Mul(op.Fn(xs...), wd), false) }, xs...)
			for i := range args {
				if mapped[i] {
					c.nearAll(fmt.Sprintf("Grads of Vmap, argument %d row %d (%s)", i, d, label),
						tensor.Slice(gv[i].Tensor(), 0, d, d+1).Float64s(), gd[i].Tensor().Float64s(), c.tol)
				} else if i == 1 {
					if sumGrad == nil {
						sumGrad = gd[i].Tensor().Clone()
					} else {
						sumGrad = tensor.Add(sumGrad, gd[i].Tensor())
					}
				}
			}
		}
		if sumGrad != nil {
			c.nearAll(fmt.Sprintf("Grads of Vmap, unmapped argument 1, against the sum over rows (%s)", label),
				gv[1].Tensor().Float64s(), sumGrad.Float64s(), c.tol)
		}
	}
	return c.ok
}
