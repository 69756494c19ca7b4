package ad

import (
	"slices"

	"github.com/chainrule/chainrule/tensor"
)

// Linear returns the affine map x·wᵀ + b of PyTorch's F.linear: x shaped
// …×in, w out×in, b of length out (or the zero Value for no bias), and
// the result …×out. The leading dimensions of x are flattened into the
// rows of one matrix product that reads w transposed in place, so w's
// gradient is one product over all the rows (not one per batch element
// summed afterwards) and neither w nor its gradient is transposed in
// memory, as MatMul(x, MT(w)) would. It panics with tensor.ErrShape
// unless x has rank ≥ 1 with in features, w is out×in and b has length
// out, and with tensor.ErrDType if the dtypes differ.
func Linear(x, w, b Value) Value {
	const op = "linear"
	check(op, x, w)
	xs, ws := x.Shape(), w.Shape()
	if len(xs) < 1 || len(ws) != 2 || xs[len(xs)-1] != ws[1] {
		tensor.Panicf(tensor.ErrShape, op, "input %s and weight %s: want …×in and out×in", tensor.ShapeString(xs), tensor.ShapeString(ws))
	}
	if !b.IsZero() && (b.Rank() != 1 || b.Shape()[0] != ws[0]) {
		tensor.Panicf(tensor.ErrShape, op, "bias %s for weight %s: want (%d)", tensor.ShapeString(b.Shape()), tensor.ShapeString(ws), ws[0])
	}
	if x.DType() != w.DType() || (!b.IsZero() && b.DType() != w.DType()) {
		bd := "none"
		if !b.IsZero() {
			bd = b.DType().String()
		}
		tensor.Panicf(tensor.ErrDType, op, "input %s, weight %s and bias %s", x.DType(), w.DType(), bd)
	}
	lead := xs[:len(xs)-1]
	y := matmulT(Reshape(x, tensor.Size(lead), ws[1]), w, false, true)
	if !b.IsZero() {
		y = Add(y, b)
	}
	return Reshape(y, append(slices.Clone(lead), ws[0])...)
}
