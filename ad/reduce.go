package ad

// Reductions and broadcasting. SumTo and BroadcastTo are each other's
// transpose; Max and Min are the only other reducing primitives. Sum, Mean,
// Prod, LogSumExp, Softmax and LogSoftmax are composites.

import (
	"slices"

	"github.com/chainrule/chainrule/tensor"
)

func withBatch(tans []Value, b int, shape []int) []int {
	return append(slices.Clone(batchDims(tans, b)), shape...)
}

var sumToPrim = new(prim)

func init() {
	*sumToPrim = prim{
		name: "sum_to",
		impl: func(t []*tensor.Tensor, p *params) *tensor.Tensor { return tensor.SumTo(t[0], p.shape) },
		// Linear, so the tangent is summed the same way. With batch
		// dimensions in front, the target is first padded with 1s to the
		// argument's rank so that the batch axes line up.
		jvp: func(tans, a []Value, _ Value, p *params, b int) Value {
			if b == 0 {
				return SumTo(tans[0], p.shape...)
			}
			padded := make([]int, a[0].Rank()-len(p.shape), a[0].Rank())
			for i := range padded {
				padded[i] = 1
			}
			padded = append(padded, p.shape...)
			return Reshape(SumTo(tans[0], withBatch(tans, b, padded)...), withBatch(tans, b, p.shape)...)
		},
		vjp: func(ct Value, _ int, a []Value, out Value, _ *params) Value {
			if b := ctBatch(ct, out); b > 0 {
				return BroadcastTo(alignBatch(ct, b, a[0].Rank()), batched(ct, b, a[0].Shape())...)
			}
			return BroadcastTo(ct, a[0].Shape()...)
		},
		vmap: vmapSumTo,
	}
}

// SumTo sums x down to shape, undoing a broadcast of shape to x's shape.
// It panics with tensor.ErrShape if shape does not broadcast to x's shape.
func SumTo(x Value, shape ...int) Value {
	check("sum_to", x)
	if sameShape(x.Shape(), shape) {
		return x
	}
	return bind(sumToPrim, &params{shape: slices.Clone(shape)}, x)
}

var broadcastToPrim = new(prim)

func init() {
	*broadcastToPrim = prim{
		name: "broadcast_to",
		impl: func(t []*tensor.Tensor, p *params) *tensor.Tensor { return tensor.BroadcastTo(t[0], p.shape) },
		jvp: func(tans, _ []Value, _ Value, p *params, b int) Value {
			return BroadcastTo(alignBatch(tans[0], b, len(p.shape)), withBatch(tans, b, p.shape)...)
		},
		vjp: func(ct Value, _ int, a []Value, out Value, _ *params) Value {
			return sumToBatch(ct, ctBatch(ct, out), a[0].Shape())
		},
		vmap: vmapBroadcastTo,
	}
}

// BroadcastTo returns x broadcast to shape. It panics with tensor.ErrShape
// unless x's shape broadcasts to exactly shape.
func BroadcastTo(x Value, shape ...int) Value {
	check("broadcast_to", x)
	if sameShape(x.Shape(), shape) {
		return x
	}
	return bind(broadcastToPrim, &params{shape: slices.Clone(shape)}, x)
}

// reduceParams normalizes axes for a reduction of x and returns the params
// of the keepdims reduction and the final shape.
func reduceParams(op string, x Value, axes []int, keep bool) (*params, []int) {
	ax := tensor.NormalizeAxes(op, x.Shape(), axes)
	kshape := tensor.ReducedShape(x.Shape(), ax, true)
	if keep {
		return &params{axes: ax, shape: kshape}, kshape
	}
	return &params{axes: ax, shape: kshape}, tensor.ReducedShape(x.Shape(), ax, false)
}

// Sum returns the sum of x over axes (none given: all axes). With keep the
// reduced axes stay as size 1. It panics with tensor.ErrAxis for a bad axis.
func Sum(x Value, keep bool, axes ...int) Value {
	check("sum", x)
	if axes == nil {
		axes = allAxes(x)
	}
	p, shape := reduceParams("sum", x, axes, keep)
	return Reshape(SumTo(x, p.shape...), shape...)
}

func allAxes(x Value) []int {
	ax := make([]int, x.Rank())
	for i := range ax {
		ax[i] = i
	}
	return ax
}

// Mean returns the mean of x over axes (none given: all axes); see Sum.
func Mean(x Value, keep bool, axes ...int) Value {
	check("mean", x)
	if axes != nil {
		reduceParams("mean", x, axes, keep) // errors name mean, not sum
	}
	s := Sum(x, keep, axes...)
	return Div(s, like(x, float64(x.Size())/float64(max(s.Size(), 1))))
}

// extremes: the gradient is shared evenly between the elements that attain
// the extremum (PyTorch's amax/amin convention).
func extremeReduce(name string, k func(*tensor.Tensor, []int, bool) *tensor.Tensor) *prim {
	weights := func(a []Value, out Value) Value {
		hit := Equal(StopGradient(a[0]), StopGradient(out))
		return Div(hit, SumTo(hit, out.Shape()...))
	}
	return &prim{
		name: name,
		impl: func(t []*tensor.Tensor, p *params) *tensor.Tensor { return k(t[0], p.axes, true) },
		jvp: func(tans, a []Value, out Value, p *params, b int) Value {
			return SumTo(chainMul(weights(a, out), tans[0]), withBatch(tans, b, p.shape)...) // a selection: the weights are the strong operand
		},
		vjp: func(ct Value, _ int, a []Value, out Value, _ *params) Value {
			return chainMul(weights(a, out), BroadcastTo(ct, batched(ct, ctBatch(ct, out), a[0].Shape())...))
		},
		vmap: vmapExtreme,
	}
}

var (
	maxPrim = extremeReduce("max", tensor.Max)
	minPrim = extremeReduce("min", tensor.Min)
)

// Max returns the maximum of x over axes (none given: all axes), propagating
// NaN; see Sum. The gradient is split evenly among the elements equal to the
// maximum. It panics with tensor.ErrShape for an empty x.
func Max(x Value, keep bool, axes ...int) Value {
	check("max", x)
	p, shape := reduceParams("max", x, axes, keep)
	return Reshape(bind(maxPrim, p, x), shape...)
}

// Min returns the minimum of x over axes; see Max.
func Min(x Value, keep bool, axes ...int) Value {
	check("min", x)
	p, shape := reduceParams("min", x, axes, keep)
	return Reshape(bind(minPrim, p, x), shape...)
}

// Prod returns the product of x over axes (none given: all axes); see Sum.
// It multiplies halves pairwise, so its gradient is exact where elements are
// zero (no division by x).
func Prod(x Value, keep bool, axes ...int) Value {
	check("prod", x)
	if axes == nil {
		axes = allAxes(x)
	}
	p, shape := reduceParams("prod", x, axes, keep)
	for _, a := range p.axes {
		for n := x.Shape()[a]; n > 1; n = x.Shape()[a] {
			h := n / 2
			y := Mul(Slice(x, a, 0, h), Slice(x, a, h, 2*h))
			if n%2 == 1 {
				y = Concat(a, y, Slice(x, a, 2*h, n))
			}
			x = y
		}
		if x.Shape()[a] == 0 { // empty product
			s := slices.Clone(x.Shape())
			s[a] = 1
			x = Add(BroadcastTo(like(x, 1), s...), SumTo(x, s...))
		}
	}
	return Reshape(x, shape...)
}

// LogSumExp returns log Σ exp(x) over axes (none given: all axes), shifted
// by the maximum so that large inputs do not overflow; see Sum. Over no
// elements (a reduced axis of length 0) it is log 0 = −Inf, as in PyTorch.
// Its gradient is exp(x − LogSumExp(x)), the softmax of x, as PyTorch's:
// where the result is infinite or NaN — a +Inf element, or all elements
// −Inf — the gradient is NaN for the elements that are ±Inf or NaN (∞−∞)
// and 0 for the finite others next to a +Inf, so a diverging loss shows.
func LogSumExp(x Value, keep bool, axes ...int) Value {
	check("logsumexp", x)
	if axes == nil {
		axes = allAxes(x)
	}
	p, shape := reduceParams("logsumexp", x, axes, keep)
	for _, a := range p.axes {
		if x.Shape()[a] == 0 { // nothing to shift by: Max would panic
			return Reshape(Log(Sum(Exp(x), true, axes...)), shape...)
		}
	}
	return Reshape(bind(logSumExpPrim, p, x), shape...)
}

// logSumExpPrim is LogSumExp keeping the reduced axes, with PyTorch's
// rules: the derivative is w = exp(x − out), the softmax, multiplied in
// with the tangent's or cotangent's strong zero.
var logSumExpPrim = new(prim)

func init() {
	weights := func(a []Value, out Value) Value { return Exp(Sub(a[0], out)) }
	*logSumExpPrim = prim{
		name: "logsumexp",
		impl: func(t []*tensor.Tensor, p *params) *tensor.Tensor {
			return shiftedLogSumExp(wrap(t[0]), p.axes).tensor()
		},
		jvp: func(tans, a []Value, out Value, p *params, b int) Value {
			return SumTo(chainMul(tans[0], weights(a, out)), withBatch(tans, b, p.shape)...)
		},
		vjp: func(ct Value, _ int, a []Value, out Value, _ *params) Value {
			return chainMul(BroadcastTo(ct, batched(ct, ctBatch(ct, out), a[0].Shape())...), weights(a, out))
		},
		vmap: vmapExtreme, // a reduction over axes, kept, as Max
	}
}

// shiftedLogSumExp is log Σ exp(x − m) + m over axes, kept, for a constant
// x, with m the maximum (0 where it is not finite: an all −Inf slice must
// not give NaN).
func shiftedLogSumExp(x Value, axes []int) Value {
	m := bind(finitePrim, nil, Max(x, true, axes...))
	return Add(Log(Sum(Exp(Sub(x, m)), true, axes...)), m)
}

// finitePrim replaces ±Inf and NaN by 0; it is used only on constants.
var finitePrim = unary("finite_or_zero", finiteOrZero, func(Value, Value) Value { return Value{} })

func finiteOrZero(v float64) float64 {
	if v-v != 0 {
		return 0
	}
	return v
}

// Softmax returns exp(x) / Σ exp(x) along axis, computed stably. It panics
// with tensor.ErrAxis for a bad axis.
func Softmax(x Value, axis int) Value {
	check("softmax", x)
	tensor.NormalizeAxis("softmax", x.Shape(), axis)
	e := Exp(Sub(x, StopGradient(Max(x, true, axis))))
	return Div(e, Sum(e, true, axis))
}

// LogSoftmax returns x - LogSumExp(x) along axis, computed stably. It
// panics with tensor.ErrAxis for a bad axis.
func LogSoftmax(x Value, axis int) Value {
	check("log_softmax", x)
	tensor.NormalizeAxis("log_softmax", x.Shape(), axis)
	return Sub(x, LogSumExp(x, true, axis))
}
