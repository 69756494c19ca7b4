package tensor

import (
	"slices"

	"github.com/chainrule/chainrule/internal/kernel"
)

// Arithmetic kernels with tight loops: the same-shape and scalar-operand
// cases, which dominate AD workloads, run without a function call per
// element; other broadcasts go through the general path.

var arithNames = [...]string{"add", "sub", "mul", "div", "strong_mul"}

func arith(op kernel.ArithOp, a, b *Tensor) *Tensor {
	name := arithNames[op]
	sameDType(name, a, b)
	if a.dtype == Float32 {
		return arithT(op, a, b, a.f32, b.f32)
	}
	return arithT(op, a, b, a.f64, b.f64)
}

func arithT[T Float](op kernel.ArithOp, a, b *Tensor, x, y []T) *Tensor {
	name := arithNames[op]
	shape := BroadcastShapes(name, a.shape, b.shape)
	n := Size(shape)
	var z []T
	alloc := func() {
		out := dirty(a.dtype, append([]int(nil), shape...))
		z = data[T](out)
		a = out
	}
	switch {
	case len(x) == n && len(y) == n:
		alloc()
		parallel(n, func(lo, hi int) { kernel.ArithSame(op, x[lo:hi], y[lo:hi], z[lo:hi]) })
	case len(y) == 1 && len(x) == n:
		alloc()
		parallel(n, func(lo, hi int) { kernel.ArithScalarY(op, x[lo:hi], y[0], z[lo:hi]) })
	case len(x) == 1 && len(y) == n:
		alloc()
		parallel(n, func(lo, hi int) { kernel.ArithScalarX(op, x[0], y[lo:hi], z[lo:hi]) })
	case len(x) == n && len(y) > 0 && isSuffix(b.shape, shape):
		// y repeats along leading dimensions: (k, …) op (…)
		alloc()
		m := len(y)
		eachRun(n, m, func(_, lo, hi int) {
			kernel.ArithSame(op, x[lo:hi], y[lo%m:], z[lo:hi])
		})
	case len(y) == n && len(x) > 0 && isSuffix(a.shape, shape):
		xs := x
		alloc()
		m := len(xs)
		eachRun(n, m, func(_, lo, hi int) {
			kernel.ArithSame(op, xs[lo%m:], y[lo:hi], z[lo:hi])
		})
	case len(x) == n && channelRuns(b.shape, shape) > 0:
		// y is constant along runs of inner elements, cycling through its
		// elements: a per-channel bias (O×1×1 against N×O×H×W)
		inner := channelRuns(b.shape, shape)
		alloc()
		eachRun(n, inner, func(r, lo, hi int) {
			kernel.ArithScalarY(op, x[lo:hi], y[r%len(y)], z[lo:hi])
		})
	case len(y) == n && channelRuns(a.shape, shape) > 0:
		xs, inner := x, channelRuns(a.shape, shape) // before alloc replaces a
		alloc()
		eachRun(n, inner, func(r, lo, hi int) {
			kernel.ArithScalarX(op, xs[r%len(xs)], y[lo:hi], z[lo:hi])
		})
	default:
		return map2(name, a, b, x, y, func(u, v T) T { return kernel.ScalarArith(op, u, v) })
	}
	return a
}

// eachRun calls f(r, lo, hi) on the parts [lo, hi) of run r, for the runs
// of inner elements that cover [0, n), split across the cores.
func eachRun(n, inner int, f func(r, lo, hi int)) {
	parallel(n, func(lo, hi int) {
		for lo < hi {
			r := lo / inner
			end := min(hi, (r+1)*inner)
			f(r, lo, end)
			lo = end
		}
	})
}

// channelRuns returns the length of the runs of out's elements along which
// an operand of shape s, broadcast to out, is constant, when s (aligned to
// out's rank) is out's shape on one contiguous range of axes and 1 on the
// others, with at least one axis after the range: a per-channel operand
// such as a bias O×1×1 against N×O×H×W, whose elements then repeat in
// runs of H·W, cycling through its elements. It returns 0 for any other s.
func channelRuns(s, out []int) int {
	if len(s) > len(out) {
		return 0
	}
	off := len(out) - len(s)
	first, last := -1, -1
	for i, d := range s {
		if d != 1 {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 || last == len(s)-1 || !slices.Equal(s[first:last+1], out[off+first:off+last+1]) {
		return 0
	}
	return Size(out[off+last+1:])
}

// isSuffix reports whether shape s, less leading 1s, is the trailing part
// of out, so that its elements repeat in blocks along out's leading axes.
func isSuffix(s, out []int) bool {
	for len(s) > 0 && s[0] == 1 {
		s = s[1:]
	}
	if len(s) > len(out) {
		return false
	}
	return slices.Equal(s, out[len(out)-len(s):])
}

// Add returns a + b elementwise with broadcasting. It panics with ErrShape
// if the shapes do not broadcast and ErrDType if the dtypes differ.
func Add(a, b *Tensor) *Tensor { return arith(kernel.OpAdd, a, b) }

// Sub returns a - b elementwise with broadcasting; it panics like Add.
func Sub(a, b *Tensor) *Tensor { return arith(kernel.OpSub, a, b) }

// Mul returns a * b elementwise with broadcasting; it panics like Add.
func Mul(a, b *Tensor) *Tensor { return arith(kernel.OpMul, a, b) }

// Div returns a / b elementwise with broadcasting (IEEE: x/0 is ±Inf or
// NaN); it panics like Add.
func Div(a, b *Tensor) *Tensor { return arith(kernel.OpDiv, a, b) }

// StrongMul returns a * b elementwise with broadcasting, with a one-sided
// strong zero: where a is 0 the result is 0 even if b is ±Inf or NaN, while
// ±Inf or NaN in a times 0 in b is NaN, as in IEEE arithmetic. Automatic
// differentiation passes the tangent or cotangent as a and the local
// derivative as b, so a zero adjoint stays zero through an infinite local
// derivative, but an infinite adjoint through a zero derivative (an
// underflow upstream) shows as NaN. It panics like Add.
func StrongMul(a, b *Tensor) *Tensor { return arith(kernel.OpStrongMul, a, b) }
