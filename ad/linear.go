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
// memory, as MatMul(x, MT(w)) would. Evaluated eagerly or under
// first-order reverse mode, the bias is written into the product's tiles
// (tensor.Linear) instead of added in a pass of its own; the result then
// differs from the product plus b only in rounding. It panics with
// tensor.ErrShape unless x has rank ≥ 1 with in features, w is out×in and
// b has length out, and with tensor.ErrDType if the dtypes differ.
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
	x2 := Reshape(x, tensor.Size(lead), ws[1])
	var y Value
	switch {
	case b.IsZero():
		y = matmulT(x2, w, false, true)
	case recordsLinear(x2, w, b):
		y = bind(linearPrim, nil, x2, w, b)
	default:
		y = Add(matmulT(x2, w, false, true), b)
	}
	return Reshape(y, append(slices.Clone(lead), ws[0])...)
}

// linearPrim is x·wᵀ + b in one pass (tensor.Linear: the bias written into
// the product's tiles), for x n×in, w out×in and b of length out. Its
// rules are those of the matmul and the add it stands for. Linear records
// it only when every operand is a concrete value or a first-order
// reverse-mode tracer of one (eager evaluation, Grad, VJP), or the same
// under Compile (whose programs run it, and whose ONNX export lowers it
// to MatMul and Add): every other transformation (JVP, Vmap, higher
// orders, Trace's graphs) sees the matmul and the add, as before.
var linearPrim = new(prim)

// linearT are the matmul parameters of x·wᵀ.
var linearT = &params{tb: true}

func init() {
	*linearPrim = prim{
		name: "linear",
		impl: func(t []*tensor.Tensor, _ *params) *tensor.Tensor { return tensor.Linear(t[0], t[1], t[2]) },
		// d(x·wᵀ + b) = dx·wᵀ + x·dwᵀ + db
		jvp: func(tans []Value, a []Value, out Value, _ *params, b int) Value {
			acc := matmulPrim.jvp(tans[:2], a[:2], out, linearT, b)
			if tb := tans[2]; !tb.IsZero() {
				tb = alignBatch(tb, b, out.Rank())
				if acc.IsZero() {
					return BroadcastTo(tb, batched(tb, b, out.Shape())...)
				}
				acc = Add(acc, tb)
			}
			return acc
		},
		// x̄ and w̄ as for the matmul, b̄ the cotangent summed over the rows
		vjp: func(ct Value, i int, a []Value, out Value, _ *params) Value {
			if i < 2 {
				return matmulPrim.vjp(ct, i, a[:2], out, linearT)
			}
			return sumToBatch(ct, ctBatch(ct, out), a[2].Shape())
		},
		vmap: func(_ *prim, a []Value, bat []bool, _ *params, k int) Value {
			var y Value
			if bat[0] || bat[1] {
				y = vmapMatMul(matmulPrim, a[:2], bat[:2], linearT, k)
			} else {
				y = matmulT(a[0], a[1], false, true)
			}
			b := a[2]
			if bat[2] {
				b = Reshape(b, k, 1, b.Shape()[1])
			}
			return Add(y, b)
		},
	}
}

// recordsLinear reports whether every one of vs is a concrete value, a
// tracer of Compile's recording, or a tracer of a reverse trace other
// than Trace's whose primal is one of those: the values for which Linear
// records its fused primitive (eager evaluation, Grad and VJP, and the
// same under Compile).
func recordsLinear(vs ...Value) bool {
	staged := func(v Value) bool { return v.tc == nil || (v.tc.kind == stageTrace && !v.tc.done) }
	for _, v := range vs {
		if staged(v) {
			continue
		}
		// (a tracer of a finished trace is left to bind, which reports it)
		if v.tc.done || v.tc.kind != revTrace || v.tc.graph || !staged(v.primal()) {
			return false
		}
	}
	return true
}
